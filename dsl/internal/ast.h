// The abstract syntax tree of a `.rules` file, as the Spirit X3 grammar produces it.
//
// Plain structs in the style of the X3 rexpr example: nodes whose position matters derive
// from x3::position_tagged. Unlike the example, bukong does not keep a position cache: the
// grammar's annotation handler stores byte offsets into the source directly in
// `id_first` / `id_last` (see Begin() / End()), which costs nothing per node and survives
// moves. Literals keep their source text; the checker gives them a type and a value.
//
// Internal to dsl/: included only by the grammar and the checker.
#ifndef BUKONG_DSL_INTERNAL_AST_H_
#define BUKONG_DSL_INTERNAL_AST_H_

#include <boost/optional.hpp>
#include <boost/spirit/home/x3/support/ast/position_tagged.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace bukong::dsl::ast {

namespace x3 = boost::spirit::x3;

// Byte offsets of a node in the source (set by the grammar's annotation handler).
inline uint32_t Begin(const x3::position_tagged& node) {
  return static_cast<uint32_t>(node.id_first < 0 ? 0 : node.id_first);
}
inline uint32_t End(const x3::position_tagged& node) {
  return static_cast<uint32_t>(node.id_last < 0 ? 0 : node.id_last);
}

// An identifier (`cold_chain`), or a dotted field name (`enterprise.flags`).
struct Name : x3::position_tagged {
  std::string text;
};

// Literals. Each keeps its text; StringLit keeps the decoded text (escapes resolved).
struct StringLit : x3::position_tagged {
  std::string text;
};
struct NumberLit : x3::position_tagged {  // -?digits with `_` and `.`, as written
  std::string text;
};
struct PercentLit : x3::position_tagged {  // the number before `%`, as written
  std::string text;
};
struct DateLit : x3::position_tagged {  // YYYY-MM-DD, not yet validated
  std::string text;
};
struct WordLit : x3::position_tagged {  // a bare identifier: import, KP, true, advanced
  std::string text;
};

struct Literal : x3::variant<NumberLit, PercentLit, DateLit, StringLit, WordLit> {
  using base_type::base_type;
  using base_type::operator=;
};

// One element of a bracketed list or of a commodity set: a value or a range `low..high`.
struct ListItem : x3::position_tagged {
  Literal low;
  boost::optional<Literal> high;
};

// ---- Conditions ----

enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kHas };

struct OpNode : x3::position_tagged {
  Op op = Op::kEq;
};

struct OrExpr;

// The right-hand side of a comparison: one literal or a bracketed list. Which one the
// operator needs is the checker's business, so the message can say so.
struct ListRhs : x3::position_tagged {
  char open = '[';  // a second member, so X3 fills the struct without a semantic action
  std::vector<ListItem> items;
};
struct Rhs : x3::variant<Literal, ListRhs> {
  using base_type::base_type;
  using base_type::operator=;
};

// `FIELD OP RHS`.
struct Comparison : x3::position_tagged {
  Name field;
  OpNode op;
  Rhs rhs;
};

// `commodity [not] in SET`.
struct CommodityTest : x3::position_tagged {
  bool negated = false;
  Name set;
};

// The non-recursive alternative comes first: a default-constructed Primary must not
// allocate an OrExpr (which holds a Primary...).
struct Primary : x3::variant<Comparison, CommodityTest, x3::forward_ast<OrExpr>> {
  using base_type::base_type;
  using base_type::operator=;
};

// `not not ... primary`: the chain of `not` is a count (one '!' per `not`), so that 10,000
// chained `not` cost no recursion in the parser.
struct Unary : x3::position_tagged {
  std::string nots;
  Primary operand;
};

struct AndExpr : x3::position_tagged {
  Unary first;
  std::vector<Unary> rest;
};

struct OrExpr : x3::position_tagged {
  AndExpr first;
  std::vector<AndExpr> rest;
};

// ---- Statements ----

// `ruleset "name" version N`
struct Header : x3::position_tagged {
  StringLit name;
  NumberLit version;
};

enum class GradeClauseKind : uint8_t { kFactor, kFloor, kCeiling };
struct GradeClause : x3::position_tagged {
  GradeClauseKind kind = GradeClauseKind::kFactor;
  Literal value;  // NumberLit for factor, PercentLit for floor / ceiling
};

// `grade NAME ["label"] [factor F] [floor P%] [ceiling P%]`
struct GradeDecl : x3::position_tagged {
  Name name;
  boost::optional<StringLit> label;
  std::vector<GradeClause> clauses;
};

// `unknown enterprise grade NAME`
struct UnknownDecl : x3::position_tagged {
  Name grade;
};

enum class Site : uint8_t { kPort, kDestination };
struct SiteShare : x3::position_tagged {
  Site site = Site::kPort;
  PercentLit share;
};

// One clause of an action: `at port X% destination Y%`, `method nii [Z%]`,
// `method manual`, `fixed`.
enum class ClauseKind : uint8_t { kAt, kMethodNii, kMethodManual, kFixed };
struct ActionClause : x3::position_tagged {
  ClauseKind kind = ClauseKind::kFixed;
  std::vector<SiteShare> shares;    // kAt
  boost::optional<PercentLit> nii;  // kMethodNii with a share
};

// `rate P% clauses...` (also the body of `baseline`).
struct RateAction : x3::position_tagged {
  PercentLit rate;
  std::vector<ActionClause> clauses;
};

// `hold "reason"`
struct HoldAction : x3::position_tagged {
  StringLit reason;
};

struct Action : x3::variant<RateAction, HoldAction> {
  using base_type::base_type;
  using base_type::operator=;
};

// `baseline P% clauses...`
struct BaselineDecl : x3::position_tagged {
  PercentLit rate;
  std::vector<ActionClause> clauses;
};

// `commodity NAME = hs ITEM, ITEM, ...`
struct CommodityDecl : x3::position_tagged {
  Name name;
  std::vector<ListItem> items;
};

// `valid DATE..DATE`
struct ValidWindow : x3::position_tagged {
  DateLit from;
  DateLit to;
};

// `rule NAME ["description"] [valid ..] when COND then ACTION`
struct RuleDecl : x3::position_tagged {
  Name name;
  boost::optional<StringLit> description;
  boost::optional<ValidWindow> valid;
  OrExpr when;
  Action then;
};

// ---- Version 2 (SPEC §7) ----

// `list NAME of TYPE` (§7.1): the type is a name the checker validates (enterprise, country,
// port, hs), so that a wrong one gets "unknown list type" rather than a syntax error.
struct ListDecl : x3::position_tagged {
  Name name;
  Name type;
};

// `sample P% clauses...` (§7.3): the clauses of `baseline` (the checker refuses `fixed`).
struct SampleDecl : x3::position_tagged {
  PercentLit rate;
  std::vector<ActionClause> clauses;
};

// `require GRADE OP P% [of GRADE2]` (§7.4). OP is one of < <= > >= (= and != parse, so the
// checker can say why they do not apply).
struct RequireDecl : x3::position_tagged {
  Name grade;
  OpNode op;
  PercentLit value;
  boost::optional<Name> of;
};

struct Statement : x3::variant<Header, GradeDecl, UnknownDecl, BaselineDecl, CommodityDecl,
                               RuleDecl, ListDecl, SampleDecl, RequireDecl> {
  using base_type::base_type;
  using base_type::operator=;
};

}  // namespace bukong::dsl::ast

#endif  // BUKONG_DSL_INTERNAL_AST_H_
