// The Spirit X3 grammar of `.rules` files (SPEC §1 and §6). Included by exactly one .cc
// (grammar.cc): every X3 template is instantiated there and nowhere else.
//
// Lexical choices (see docs/dsl.md):
// - Blanks and `#` comments are skipped between tokens; tokens themselves are lexemes.
// - Keywords end at a word boundary (`rule` does not match the start of `ruleset`).
// - Literals keep their text; the checker types and validates them, so that an error says
//   "percentage '150%' is over 100%" rather than "expected a percentage".
// - Expectation points (`>`) sit after every keyword that commits to a statement or clause,
//   so a syntax error points at the token that went wrong.
#ifndef BUKONG_DSL_INTERNAL_GRAMMAR_DEF_H_
#define BUKONG_DSL_INTERNAL_GRAMMAR_DEF_H_

#include <boost/spirit/home/x3.hpp>
#include <boost/spirit/home/x3/support/utility/annotate_on_success.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "dsl/internal/ast.h"
#include "dsl/internal/ast_adapted.h"
#include "dsl/internal/grammar.h"

namespace bukong::dsl::grammar {
namespace detail {

inline bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A keyword: the exact word, not followed by an identifier character.
struct keyword_parser : x3::parser<keyword_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  constexpr explicit keyword_parser(std::string_view w) : word(w) {}
  std::string_view word;

  template <typename It, typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& context, RContext&, Attribute&) const {
    x3::skip_over(first, last, context);
    It i = first;
    for (char c : word) {
      if (i == last || *i != c) return false;
      ++i;
    }
    if (i != last && IsIdentChar(*i)) return false;
    first = i;
    return true;
  }
};

// nested[p]: parses p one level deeper, refusing (by throwing NestingTooDeep) before the
// recursion when the NestingGuard in the context is at its limit.
template <typename Subject>
struct nested_directive : x3::unary_parser<Subject, nested_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, nested_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  constexpr explicit nested_directive(Subject const& subject) : base_type(subject) {}

  template <typename It, typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    NestingGuard& guard = x3::get<nesting_tag>(context).get();
    if (guard.depth >= guard.max_depth) {
      It where = first;
      x3::skip_over(where, last, context);
      throw NestingTooDeep{where};
    }
    ++guard.depth;
    bool ok = this->subject.parse(first, last, context, rcontext, attr);
    --guard.depth;
    return ok;
  }
};

struct nested_gen {
  template <typename Subject>
  constexpr nested_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return nested_directive<typename x3::extension::as_parser<Subject>::value_type>(
        x3::as_parser(subject));
  }
};
inline constexpr nested_gen nested{};

}  // namespace detail
}  // namespace bukong::dsl::grammar

namespace boost::spirit::x3 {
template <>
struct get_info<bukong::dsl::grammar::detail::keyword_parser> {
  using result_type = std::string;
  std::string operator()(bukong::dsl::grammar::detail::keyword_parser const& p) const {
    return "'" + std::string(p.word) + "'";
  }
};
}  // namespace boost::spirit::x3

namespace bukong::dsl::grammar {
namespace parser {

using detail::keyword_parser;
using detail::nested;

inline constexpr keyword_parser kw_ruleset{"ruleset"}, kw_version{"version"}, kw_grade{"grade"},
    kw_factor{"factor"}, kw_floor{"floor"}, kw_ceiling{"ceiling"}, kw_unknown{"unknown"},
    kw_enterprise{"enterprise"}, kw_baseline{"baseline"}, kw_at{"at"}, kw_port{"port"},
    kw_destination{"destination"}, kw_method{"method"}, kw_nii{"nii"}, kw_manual{"manual"},
    kw_fixed{"fixed"}, kw_commodity{"commodity"}, kw_hs{"hs"}, kw_rule{"rule"}, kw_valid{"valid"},
    kw_when{"when"}, kw_then{"then"}, kw_rate{"rate"}, kw_hold{"hold"}, kw_and{"and"}, kw_or{"or"},
    kw_not{"not"}, kw_in{"in"}, kw_has{"has"}, kw_list{"list"}, kw_of{"of"}, kw_sample{"sample"},
    kw_require{"require"};

// Rule IDs: those deriving from annotate_on_success record their node's offsets.
struct skipper_class;
struct name_class : x3::annotate_on_success {};
struct field_name_class : x3::annotate_on_success {};
struct string_lit_class : x3::annotate_on_success {};
struct string_end_class;
struct escape_class;
struct number_lit_class : x3::annotate_on_success {};
struct percent_lit_class : x3::annotate_on_success {};
struct date_lit_class : x3::annotate_on_success {};
struct word_lit_class : x3::annotate_on_success {};
struct literal_class : x3::annotate_on_success {};
struct list_item_class : x3::annotate_on_success {};
struct hs_item_class : x3::annotate_on_success {};
struct list_class : x3::annotate_on_success {};
struct rhs_class;
struct dotdot_class;
struct op_class : x3::annotate_on_success {};
struct comparison_class : x3::annotate_on_success {};
struct commodity_test_class : x3::annotate_on_success {};
struct paren_class : x3::annotate_on_success {};
struct primary_class;
struct unary_class : x3::annotate_on_success {};
struct and_expr_class : x3::annotate_on_success {};
struct or_expr_class : x3::annotate_on_success {};
struct header_class : x3::annotate_on_success {};
struct grade_clause_class : x3::annotate_on_success {};
struct grade_decl_class : x3::annotate_on_success {};
struct unknown_decl_class : x3::annotate_on_success {};
struct site_share_class : x3::annotate_on_success {};
struct at_clause_class : x3::annotate_on_success {};
struct method_body_class : x3::annotate_on_success {};
struct method_clause_class : x3::annotate_on_success {};
struct fixed_clause_class : x3::annotate_on_success {};
struct action_clause_class : x3::annotate_on_success {};
struct rate_action_class : x3::annotate_on_success {};
struct hold_action_class : x3::annotate_on_success {};
struct action_class;
struct baseline_decl_class : x3::annotate_on_success {};
struct commodity_decl_class : x3::annotate_on_success {};
struct valid_window_class : x3::annotate_on_success {};
struct rule_decl_class : x3::annotate_on_success {};
struct list_decl_class : x3::annotate_on_success {};
struct sample_decl_class : x3::annotate_on_success {};
struct require_op_class : x3::annotate_on_success {};
struct require_decl_class : x3::annotate_on_success {};

// Rule names are what "expected ..." messages say.
x3::rule<skipper_class> const skipper = "blank";
x3::rule<name_class, ast::Name> const name = "a name";
x3::rule<field_name_class, ast::Name> const field_name = "a condition";
x3::rule<string_lit_class, ast::StringLit> const string_lit = "a string";
x3::rule<string_end_class> const string_end = "closing quote";
x3::rule<escape_class, char> const escape_char = "an escape (\\\" \\\\ \\n \\t)";
x3::rule<number_lit_class, ast::NumberLit> const number_lit = "a number";
x3::rule<percent_lit_class, ast::PercentLit> const percent_lit = "a percentage";
x3::rule<date_lit_class, ast::DateLit> const date_lit = "a date YYYY-MM-DD";
x3::rule<word_lit_class, ast::WordLit> const word_lit = "a word";
x3::rule<literal_class, ast::Literal> const literal = "a value";
x3::rule<list_item_class, ast::ListItem> const list_item = "a value";
x3::rule<hs_item_class, ast::ListItem> const hs_item = "an HS code";
x3::rule<list_class, ast::ListRhs> const list = "a list [...]";
x3::rule<rhs_class, ast::Rhs> const rhs = "a value";
x3::rule<dotdot_class> const dotdot = "'..'";
x3::rule<op_class, ast::OpNode> const op = "an operator (= != < <= > >= in, not in, has)";
x3::rule<comparison_class, ast::Comparison> const comparison = "a condition";
x3::rule<commodity_test_class, ast::CommodityTest> const commodity_test = "a commodity test";
x3::rule<paren_class, ast::OrExpr> const paren = "a condition";
x3::rule<primary_class, ast::Primary> const primary = "a condition";
x3::rule<unary_class, ast::Unary> const unary = "a condition";
x3::rule<and_expr_class, ast::AndExpr> const and_expr = "a condition";
x3::rule<or_expr_class, ast::OrExpr> const or_expr = "a condition";
x3::rule<header_class, ast::Header> const header = "a ruleset header";
x3::rule<grade_clause_class, ast::GradeClause> const grade_clause = "a grade clause";
x3::rule<grade_decl_class, ast::GradeDecl> const grade_decl = "a grade";
x3::rule<unknown_decl_class, ast::UnknownDecl> const unknown_decl = "an unknown enterprise grade";
x3::rule<site_share_class, ast::SiteShare> const site_share = "'port' or 'destination'";
x3::rule<at_clause_class, ast::ActionClause> const at_clause = "a site split";
x3::rule<method_body_class, ast::ActionClause> const method_body = "'nii' or 'manual'";
x3::rule<method_clause_class, ast::ActionClause> const method_clause = "a method";
x3::rule<fixed_clause_class, ast::ActionClause> const fixed_clause = "'fixed'";
x3::rule<action_clause_class, ast::ActionClause> const action_clause = "an action clause";
x3::rule<rate_action_class, ast::RateAction> const rate_action = "a rate";
x3::rule<hold_action_class, ast::HoldAction> const hold_action = "a hold";
x3::rule<action_class, ast::Action> const action = "an action ('rate P%' or 'hold \"reason\"')";
x3::rule<baseline_decl_class, ast::BaselineDecl> const baseline_decl = "a baseline";
x3::rule<commodity_decl_class, ast::CommodityDecl> const commodity_decl = "a commodity set";
x3::rule<valid_window_class, ast::ValidWindow> const valid_window = "a validity window";
x3::rule<rule_decl_class, ast::RuleDecl> const rule_decl = "a rule";
x3::rule<list_decl_class, ast::ListDecl> const list_decl = "a list";
x3::rule<sample_decl_class, ast::SampleDecl> const sample_decl = "a sample";
x3::rule<require_op_class, ast::OpNode> const require_op = "one of < <= > >=";
x3::rule<require_decl_class, ast::RequireDecl> const require_decl = "a requirement";
statement_type const statement = "a statement";

namespace ascii = x3::ascii;
using x3::attr;
using x3::lexeme;
using x3::lit;
using x3::raw;

// ---- Lexical ----
// A comment runs to the line feed (a CR before it is part of the comment, and a lone CR
// does not end a line anywhere in bukong).
auto const skipper_def = ascii::space | (lit('#') >> *(x3::char_ - '\n'));

auto const ident = (ascii::alpha | lit('_')) >> *(ascii::alnum | lit('_'));
// Words that end a condition can never be field names (so `when then` says "expected a
// condition, found 'then'").
auto const reserved = kw_then | kw_and | kw_or | kw_not;
// Semantic actions fill the one-member nodes (X3's attribute collapsing does not handle
// single-element Fusion structs reliably). A rule whose definition has an action does not
// get on_success with its attribute, so these actions, all over raw[], record the node's
// offsets from the raw range themselves.
template <typename Context, typename Node, typename Range>
void TagRange(Context const& ctx, Node& node, Range const& range) {
  x3::get<x3::error_handler_tag>(ctx).get().tag(node, range.begin(), range.end());
}
auto const set_text = [](auto& ctx) {
  auto const& range = x3::_attr(ctx);
  x3::_val(ctx).text.assign(range.begin(), range.end());
  TagRange(ctx, x3::_val(ctx), range);
};
// The raw text of a string literal (quotes included, already validated) decoded.
auto const set_string = [](auto& ctx) {
  auto const& range = x3::_attr(ctx);
  std::string& text = x3::_val(ctx).text;
  text.clear();
  for (Iterator i = range.begin() + 1; i + 1 < range.end(); ++i) {
    if (*i == '\\') {
      ++i;
      text.push_back(*i == 'n' ? '\n' : *i == 't' ? '\t' : *i);
    } else {
      text.push_back(*i);
    }
  }
  TagRange(ctx, x3::_val(ctx), range);
};
auto const set_op = [](auto& ctx) {
  auto const& range = x3::_attr(ctx);
  std::string_view text(range.begin(), range.end() - range.begin());
  ast::Op op = ast::Op::kEq;
  if (text.starts_with("not"))
    op = ast::Op::kNotIn;
  else if (text == "in")
    op = ast::Op::kIn;
  else if (text == "has")
    op = ast::Op::kHas;
  else if (text == "!=")
    op = ast::Op::kNe;
  else if (text == "<=")
    op = ast::Op::kLe;
  else if (text == ">=")
    op = ast::Op::kGe;
  else if (text == "<")
    op = ast::Op::kLt;
  else if (text == ">")
    op = ast::Op::kGt;
  x3::_val(ctx).op = op;
  TagRange(ctx, x3::_val(ctx), range);
};
// UnknownDecl and HoldAction: the driver records statement offsets; the reason is tagged.
auto const set_grade = [](auto& ctx) { x3::_val(ctx).grade = x3::_attr(ctx); };
auto const set_reason = [](auto& ctx) { x3::_val(ctx).reason = x3::_attr(ctx); };

auto const name_def = raw[lexeme[ident]][set_text];
auto const field_name_def = (!reserved >> raw[lexeme[ident >> *(lit('.') >> ident)]])[set_text];

x3::symbols<char> const escapes({{"\"", '"'}, {"\\", '\\'}, {"n", '\n'}, {"t", '\t'}}, "escape");
auto const escape_char_def = escapes;
auto const string_end_def = lit('"');
x3::rule<class string_text_class, std::string> const string_text = "a string";
auto const string_text_def = lexeme[(lit('"') >> *((lit('\\') > escape_char) |
                                                   (x3::char_ - '"' - '\\' - '\n'))) > string_end];
auto const string_lit_def = raw[string_text][set_string];

auto const digits = ascii::digit >> *(ascii::digit | lit('_'));
auto const number_body = -lit('-') >> digits >> *(lit('.') >> digits);
// An exponent (1e6) is read as part of the number so that the checker can say how to write
// it out ("1_000_000") instead of "expected a value".
auto const exponent = ascii::char_("eE") >> -ascii::char_("+-") >> ascii::digit >> *ascii::digit;
auto const number_lit_def =
    raw[lexeme[number_body >> -exponent >> !(ascii::alpha | lit('_') | lit('%'))]][set_text];
auto const percent_lit_def = lexeme[raw[number_body] >> lit('%')][set_text];
auto const date_lit_def =
    raw[lexeme[x3::repeat(4)[ascii::digit] >> lit('-') >> x3::repeat(2)[ascii::digit] >> lit('-') >>
               x3::repeat(2)[ascii::digit] >> !(ascii::alnum | lit('_'))]][set_text];
auto const word_lit_def = raw[lexeme[ident]][set_text];
auto const literal_def = date_lit | percent_lit | number_lit | string_lit | word_lit;
auto const dotdot_def = lit("..");

// ---- Conditions ----
x3::symbols<ast::Op> const compare_ops({{"=", ast::Op::kEq},
                                        {"!=", ast::Op::kNe},
                                        {"<", ast::Op::kLt},
                                        {"<=", ast::Op::kLe},
                                        {">", ast::Op::kGt},
                                        {">=", ast::Op::kGe}},
                                       "operator");

auto const list_item_def = literal >> -(dotdot > literal);
// A commodity set lists codes only (numbers like 8504.40, or quoted), never words, so that a
// list cut short by a syntax error does not swallow the next statement's keyword.
x3::rule<class hs_code_class, ast::Literal> const hs_code = "an HS code";
auto const hs_code_def = number_lit | string_lit;
auto const hs_item_def = hs_code >> -(dotdot > hs_code);
x3::rule<class list_items_class, std::vector<ast::ListItem>> const list_items = "a value";
// After a comma a value must follow: `[CN, 中国]` says "expected a value, found '中国'" at the
// bad item rather than "expected ']'" at the comma.
auto const list_items_def = -(list_item >> *(lit(',') > list_item));
auto const list_def = x3::char_('[') > list_items > lit(']');
auto const rhs_def = list | literal;
x3::rule<class op_kind_class, ast::Op> const op_kind = "an operator";
auto const op_kind_def = compare_ops | (kw_not > kw_in > attr(ast::Op::kNotIn)) |
                         (kw_in >> attr(ast::Op::kIn)) | (kw_has >> attr(ast::Op::kHas));
auto const op_def = raw[op_kind][set_op];
auto const comparison_def = field_name > op > rhs;
auto const commodity_test_def =
    (kw_commodity >> ((kw_not >> attr(true)) | attr(false))) > kw_in > name;
auto const paren_def = nested[lit('(') > or_expr > lit(')')];
auto const primary_def = paren | commodity_test | comparison;
auto const unary_def = *(kw_not >> attr('!')) > primary;
auto const and_expr_def = unary >> *(kw_and > unary);
auto const or_expr_def = and_expr >> *(kw_or > and_expr);

// ---- Statements ----
auto const header_def = kw_ruleset > string_lit > kw_version > number_lit;
auto const grade_clause_def = ((kw_factor >> attr(ast::GradeClauseKind::kFactor)) > number_lit) |
                              ((kw_floor >> attr(ast::GradeClauseKind::kFloor)) > percent_lit) |
                              ((kw_ceiling >> attr(ast::GradeClauseKind::kCeiling)) > percent_lit);
auto const grade_decl_def = kw_grade > name > -string_lit > *grade_clause;
auto const unknown_decl_def = (kw_unknown > kw_enterprise > kw_grade > name)[set_grade];

auto const site_share_def = ((kw_port >> attr(ast::Site::kPort)) |
                             (kw_destination >> attr(ast::Site::kDestination))) > percent_lit;
x3::rule<class site_shares_class, std::vector<ast::SiteShare>> const site_shares =
    "'port' or 'destination'";
auto const site_shares_def = x3::repeat(1, 2)[site_share];
auto const at_clause_def = (kw_at >> attr(ast::ClauseKind::kAt)) > site_shares >
                           attr(boost::optional<ast::PercentLit>());
auto const method_body_def =
    (kw_nii >> attr(ast::ClauseKind::kMethodNii) >> attr(std::vector<ast::SiteShare>()) >>
     -percent_lit) |
    (kw_manual >> attr(ast::ClauseKind::kMethodManual) >> attr(std::vector<ast::SiteShare>()) >>
     attr(boost::optional<ast::PercentLit>()));
auto const method_clause_def = kw_method > method_body;
auto const fixed_clause_def = kw_fixed >> attr(ast::ClauseKind::kFixed) >>
                              attr(std::vector<ast::SiteShare>()) >>
                              attr(boost::optional<ast::PercentLit>());
// A site split or a method without its keyword (`rate 10% port 100%`, `method` forgotten
// before `nii`): fail right there, naming the missing keyword, instead of ending the
// statement and reporting "expected a statement" at `port`.
x3::rule<class missing_at_class> const missing_at =
    "'at' before the site split (at port P% destination Q%)";
auto const missing_at_def = kw_at;
x3::rule<class missing_method_class> const missing_method =
    "'method' before 'nii' or 'manual' (method nii P%)";
auto const missing_method_def = kw_method;
x3::rule<class forgotten_keyword_class, ast::ActionClause> const forgotten_keyword =
    "an action clause";
auto const forgotten_keyword_def = (&(kw_port | kw_destination) > missing_at) |
                                   (&(kw_nii | kw_manual) > missing_method);
auto const action_clause_def = at_clause | method_clause | fixed_clause | forgotten_keyword;
auto const rate_action_def = kw_rate > percent_lit > *action_clause;
auto const hold_action_def = (kw_hold > string_lit)[set_reason];
auto const action_def = rate_action | hold_action;
auto const baseline_decl_def = kw_baseline > percent_lit > *action_clause;
x3::rule<class hs_items_class, std::vector<ast::ListItem>> const hs_items = "an HS code";
auto const hs_items_def = hs_item % ',';
auto const commodity_decl_def = kw_commodity > name > lit('=') > kw_hs > hs_items;
auto const valid_window_def = kw_valid > date_lit > dotdot > date_lit;
auto const rule_decl_def =
    kw_rule > name > -string_lit > -valid_window > kw_when > or_expr > kw_then > action;
// Version 2 (SPEC §7).
auto const list_decl_def = kw_list > name > kw_of > name;
auto const sample_decl_def = kw_sample > percent_lit > *action_clause;
auto const require_op_def = raw[compare_ops][set_op];
auto const require_decl_def = kw_require > name > require_op > percent_lit > -(kw_of > name);
auto const statement_def = header | grade_decl | unknown_decl | baseline_decl | commodity_decl |
                           rule_decl | list_decl | sample_decl | require_decl;

BOOST_SPIRIT_DEFINE(string_text, list_items, op_kind, site_shares, hs_code, hs_items)
BOOST_SPIRIT_DEFINE(missing_at, missing_method, forgotten_keyword)
BOOST_SPIRIT_DEFINE(skipper, name, field_name, string_lit, string_end, escape_char, number_lit,
                    percent_lit, date_lit, word_lit, literal, list_item, hs_item, list, rhs, dotdot,
                    op, comparison, commodity_test, paren, primary, unary, and_expr, or_expr,
                    header, grade_clause, grade_decl, unknown_decl, site_share, at_clause,
                    method_body, method_clause, fixed_clause, action_clause, rate_action,
                    hold_action, action, baseline_decl, commodity_decl, valid_window, rule_decl,
                    list_decl, sample_decl, require_op, require_decl, statement)

}  // namespace parser
}  // namespace bukong::dsl::grammar

#endif  // BUKONG_DSL_INTERNAL_GRAMMAR_DEF_H_
