#include "dsl/internal/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "core/dates.h"
#include "core/declaration.h"
#include "core/hs2022.h"
#include "dsl/internal/analysis.h"
#include "dsl/internal/source.h"
#include "dsl/suggest.h"

namespace bukong::dsl::internal {

void DiagnosticSink::Error(uint32_t offset, std::string message) {
  if (stopped_) return;
  if (errors_ >= max_errors_) {
    stopped_ = true;
    diagnostics_.push_back({offset, Diagnostic::Severity::kError,
                            fmt::format("too many errors ({}); stopping here", errors_)});
    return;
  }
  ++errors_;
  diagnostics_.push_back({offset, Diagnostic::Severity::kError, std::move(message)});
}

void DiagnosticSink::Warning(uint32_t offset, std::string message) {
  if (stopped_) return;
  diagnostics_.push_back({offset, Diagnostic::Severity::kWarning, std::move(message)});
}

namespace {

using ir::Ppm;
namespace x3 = boost::spirit::x3;

// ---------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------

enum class Type : uint8_t {
  kEnum,
  kHs,
  kCountry,
  kString,
  kNumber,
  kBool,
  kDate,
  kGrade,
  kFlags,
  kUnitValue,  // SPEC §7.2: a number, compared with the six comparison operators only
};

struct FieldInfo {
  std::string_view name;  // ir::FieldName(field): names are defined once, in dsl/ir.h
  ir::Field field;
  Type type;
};

// Each field's type, in ir::Field order (the static_asserts below fail to compile when a field
// is added to ir::Field but not here, or out of order).
constexpr FieldInfo Info(ir::Field f, Type type) { return {ir::FieldName(f), f, type}; }
constexpr FieldInfo kFields[] = {
    Info(ir::Field::kDirection, Type::kEnum),     Info(ir::Field::kHs, Type::kHs),
    Info(ir::Field::kOrigin, Type::kCountry),     Info(ir::Field::kTradeCountry, Type::kCountry),
    Info(ir::Field::kPort, Type::kString),        Info(ir::Field::kMode, Type::kEnum),
    Info(ir::Field::kValue, Type::kNumber),       Info(ir::Field::kWeight, Type::kNumber),
    Info(ir::Field::kTwoStep, Type::kBool),       Info(ir::Field::kDate, Type::kDate),
    Info(ir::Field::kGrade, Type::kGrade),        Info(ir::Field::kFlags, Type::kFlags),
    Info(ir::Field::kAgeDays, Type::kNumber),     Info(ir::Field::kInspections, Type::kNumber),
    Info(ir::Field::kHits, Type::kNumber),        Info(ir::Field::kHitRate, Type::kNumber),
    Info(ir::Field::kEnterprise, Type::kString),  // SPEC §7.1
    Info(ir::Field::kUnitValue, Type::kUnitValue),  // SPEC §7.2
};
static_assert(std::size(kFields) == ir::kFieldCount, "every ir::Field needs its type here");
constexpr bool FieldsInOrder() {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (static_cast<size_t>(kFields[i].field) != i) return false;
  return true;
}
static_assert(FieldsInOrder(), "kFields must list ir::Field in enum order");

// The list types of SPEC §7.1, and which field types each one serves.
enum class ListKind : uint8_t { kEnterprise, kCountry, kPort, kHs };
constexpr std::string_view kListKindNames[] = {"enterprise", "country", "port", "hs"};

std::optional<ListKind> ListKindFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kListKindNames); ++i) {
    if (kListKindNames[i] == name) return static_cast<ListKind>(i);
  }
  return std::nullopt;
}

const FieldInfo* FindField(std::string_view name) {
  for (const FieldInfo& info : kFields) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<std::string_view> EnumValues(ir::Field field) {
  if (field == ir::Field::kDirection)
    return {std::begin(kDirectionNames), std::end(kDirectionNames)};
  return {std::begin(kModeNames), std::end(kModeNames)};
}

// How a type is named in messages, with the operators it takes.
std::string_view TypeDescription(Type type) {
  switch (type) {
    case Type::kEnum:
      return "an enum; it takes = != in, not in";
    case Type::kHs:
      return "an HS code; it takes only in, not in";
    case Type::kCountry:
      return "a country; it takes = != in, not in";
    case Type::kString:
      return "a string; it takes = != in, not in";
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "a bool; it takes = !=";
    case Type::kDate:
      return "a date";
    case Type::kGrade:
      return "a grade; grades have no order, it takes = != in, not in";
    case Type::kFlags:
      return "a set of flags; it takes only has";
    case Type::kUnitValue:
      return "a unit value (value / weight); it takes only = != < <= > >=";
  }
  return "";
}

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kEnum:
      return "an enum";
    case Type::kHs:
      return "an HS code";
    case Type::kCountry:
      return "a country code";
    case Type::kString:
      return "a string";
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "a bool (true or false)";
    case Type::kDate:
      return "a date";
    case Type::kGrade:
      return "a grade";
    case Type::kFlags:
      return "a set of flags";
    case Type::kUnitValue:
      return "a number (value / weight)";
  }
  return "";
}

bool OpApplies(Type type, ast::Op op) {
  using ast::Op;
  switch (type) {
    case Type::kNumber:
    case Type::kDate:
      return op != Op::kHas;
    case Type::kEnum:
    case Type::kCountry:
    case Type::kString:
    case Type::kGrade:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kNotIn;
    case Type::kBool:
      return op == Op::kEq || op == Op::kNe;
    case Type::kHs:
      return op == Op::kIn || op == Op::kNotIn;
    case Type::kFlags:
      return op == Op::kHas;
    case Type::kUnitValue:
      return op != Op::kHas && op != Op::kIn && op != Op::kNotIn;
  }
  return false;
}

std::string_view OpText(ast::Op op) {
  switch (op) {
    case ast::Op::kEq:
      return "=";
    case ast::Op::kNe:
      return "!=";
    case ast::Op::kLt:
      return "<";
    case ast::Op::kLe:
      return "<=";
    case ast::Op::kGt:
      return ">";
    case ast::Op::kGe:
      return ">=";
    case ast::Op::kIn:
      return "in";
    case ast::Op::kNotIn:
      return "not in";
    case ast::Op::kHas:
      return "has";
  }
  return "";
}

ir::CompareOp ToCompareOp(ast::Op op) {
  switch (op) {
    case ast::Op::kNe:
      return ir::CompareOp::kNe;
    case ast::Op::kLt:
      return ir::CompareOp::kLt;
    case ast::Op::kLe:
      return ir::CompareOp::kLe;
    case ast::Op::kGt:
      return ir::CompareOp::kGt;
    case ast::Op::kGe:
      return ir::CompareOp::kGe;
    default:
      return ir::CompareOp::kEq;
  }
}

// ---------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------

uint32_t OffsetOf(const ast::Literal& literal) {
  return boost::apply_visitor([](const auto& node) { return ast::Begin(node); }, literal);
}

// The literal as a message shows it: 'sea', '20%', string "x".
std::string Describe(const ast::Literal& literal) {
  struct Visitor {
    std::string operator()(const ast::NumberLit& n) const {
      return fmt::format("'{}'", Excerpt(n.text));
    }
    std::string operator()(const ast::PercentLit& p) const {
      return fmt::format("'{}%'", Excerpt(p.text));
    }
    std::string operator()(const ast::DateLit& d) const { return fmt::format("'{}'", d.text); }
    std::string operator()(const ast::StringLit& s) const {
      return fmt::format("string \"{}\"", Excerpt(s.text));
    }
    std::string operator()(const ast::WordLit& w) const {
      return fmt::format("'{}'", Excerpt(w.text));
    }
  };
  return boost::apply_visitor(Visitor{}, literal);
}

// A number split into its parts: -?D(_?D)*(.D(_?D)*)?, underscores removed.
struct NumberParts {
  bool negative = false;
  std::string whole;     // digits before the point
  std::string fraction;  // digits after the point
};

std::optional<NumberParts> SplitNumber(std::string_view text) {
  NumberParts parts;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') parts.negative = true, ++i;
  const auto digits = [&](std::string* out) {
    bool last_digit = false;
    size_t start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
      if (text[i] == '_') {
        if (!last_digit) return false;
        last_digit = false;
      } else {
        out->push_back(text[i]);
        last_digit = true;
      }
      ++i;
    }
    return i > start && last_digit;
  };
  if (!digits(&parts.whole)) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits(&parts.fraction)) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  return parts;
}

std::string_view StripLeadingZeros(std::string_view digits) {
  size_t k = 0;
  while (k + 1 < digits.size() && digits[k] == '0') ++k;
  return digits.substr(k);
}

// digits (at most 18 of them) as an integer.
int64_t DigitsValue(std::string_view digits) {
  int64_t value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// ---------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------

// A name's declaration, for "first declared at line N".
struct Declared {
  size_t index;
  uint32_t line;
};

class Checker {
 public:
  Checker(std::string_view source, const CompileOptions& options, DiagnosticSink& sink)
      : source_(source), options_(options), sink_(sink) {}

  std::optional<ir::Ruleset> Run(ParsedFile& file);

 private:
  void Error(uint32_t offset, std::string message) {
    ++errors_;
    sink_.Error(offset, std::move(message));
  }
  // Warnings are capped per statement: one `commodity` line of thousands of overlapping
  // items would otherwise give thousands of warnings, each printed with its long source line
  // (quadratic output). The first kMaxWarningsPerStatement are reported; the rest are
  // counted in one closing warning at the first one left out.
  static constexpr int kMaxWarningsPerStatement = 10;
  void Warning(uint32_t offset, std::string message) {
    if (statement_warnings_ >= kMaxWarningsPerStatement) {
      if (warnings_left_out_++ == 0) first_left_out_ = offset;
      return;
    }
    ++statement_warnings_;
    sink_.Warning(offset, std::move(message));
  }
  void BeginStatement() {
    statement_warnings_ = 0;
    warnings_left_out_ = 0;
  }
  void EndStatement() {
    if (warnings_left_out_ > 0) {
      sink_.Warning(first_left_out_,
                    fmt::format("{} more warning{} about this statement not shown (at most {} "
                                "a statement)",
                                warnings_left_out_, warnings_left_out_ == 1 ? "" : "s",
                                kMaxWarningsPerStatement));
    }
    BeginStatement();
  }

  // Line of an offset; offsets must not decrease between calls within one pass.
  uint32_t LineOf(uint32_t offset) {
    uint32_t line, column;
    if (offset < last_line_offset_) lines_ = LineColumnFinder(source_);
    last_line_offset_ = offset;
    lines_.Find(offset, &line, &column);
    return line;
  }

  std::string SourceText(const x3::position_tagged& node) const {
    uint32_t begin = ast::Begin(node), end = ast::End(node);
    if (end < begin || end > source_.size()) return "";
    return Excerpt(source_.substr(begin, end - begin));
  }

  // Literal values.
  std::optional<ir::Decimal> Number(const ast::NumberLit& literal);
  std::optional<Ppm> Percent(const ast::PercentLit& literal);
  std::optional<Ppm> Factor(const ast::NumberLit& literal);
  std::optional<DayNumber> Date(const ast::DateLit& literal);
  std::optional<std::string> HsCode(const ast::Literal& literal);
  std::optional<ir::HsRange> HsItem(const ast::ListItem& item, bool warn_unknown_codes);

  // Statements.
  void DeclareGrade(const ast::GradeDecl& decl);
  void DeclareCommoditySet(const ast::CommodityDecl& decl);
  void CheckHeader(const ast::Header& header, bool first);
  void CheckUnknown(const ast::UnknownDecl& decl);
  void CheckBaseline(const ast::BaselineDecl& decl);
  void CheckRule(const ast::RuleDecl& decl);
  // SPEC §7.
  void DeclareList(const ast::ListDecl& decl);
  void CheckSample(const ast::SampleDecl& decl);
  void CheckRequire(const ast::RequireDecl& decl);
  void WarnUnusedLists();
  // `FIELD in NAME` / `FIELD not in NAME` with NAME a declared list (SPEC §7.1).
  std::optional<ir::Condition> ListLookup(const FieldInfo& field, ast::Op op,
                                          const ast::WordLit& name);
  // `statement`: "baseline" or "sample" (which take no `fixed`), "" for a rule's action.
  std::optional<ir::Action> RateAction(const ast::PercentLit& rate,
                                       const std::vector<ast::ActionClause>& clauses,
                                       std::string_view statement);
  std::optional<uint32_t> ResolveGrade(std::string_view name, uint32_t offset);

  // Conditions.
  std::optional<ir::Condition> Or(const ast::OrExpr& expr, int depth);
  std::optional<ir::Condition> And(const ast::AndExpr& expr, int depth);
  std::optional<ir::Condition> Unary(const ast::Unary& unary, int depth);
  std::optional<ir::Condition> Primary(const ast::Primary& primary, int depth);
  std::optional<ir::Condition> Commodity(const ast::CommodityTest& test);
  std::optional<ir::Condition> Compare(const ast::Comparison& comparison);
  std::optional<ir::Condition> CompareOne(const FieldInfo& field, ast::Op op,
                                          const ast::Literal& literal);
  void WarnContradictions(const ast::RuleDecl& decl, const ir::Condition& when);

  std::string_view source_;
  const CompileOptions& options_;
  DiagnosticSink& sink_;
  int errors_ = 0;
  int statement_warnings_ = 0;  // reported for the current statement
  int warnings_left_out_ = 0;   // beyond the cap, for the current statement
  uint32_t first_left_out_ = 0;
  LineColumnFinder lines_{source_};
  uint32_t last_line_offset_ = 0;
  bool nesting_reported_ = false;

  ir::Ruleset ruleset_;
  std::map<std::string, Declared, std::less<>> grades_, sets_, rules_;
  std::set<std::string, std::less<>> broken_grades_, broken_sets_;
  std::optional<uint32_t> header_line_, unknown_line_, baseline_line_;
  // SPEC §7: declared lists (name -> index into lists_), whether a condition used each, the
  // `sample` statement's line.
  struct ListSeen {
    std::string name;
    ListKind kind;
    uint32_t offset;  // of the name, for the unused-list warning
    uint32_t line;
    bool used = false;
  };
  std::vector<ListSeen> lists_;
  std::map<std::string, Declared, std::less<>> list_names_;
  std::optional<uint32_t> sample_line_;
};

// `1e6` written out: "1_000_000" (digits grouped by three), or "" when it would not be a
// plain number (a huge exponent, a malformed mantissa).
std::string WrittenOut(std::string_view text) {
  size_t e = text.find_first_of("eE");
  std::string_view mantissa = text.substr(0, e), exponent_text = text.substr(e + 1);
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.remove_prefix(1);
  int exponent = 0;
  bool exponent_negative = false;
  if (!exponent_text.empty() && (exponent_text[0] == '+' || exponent_text[0] == '-')) {
    exponent_negative = exponent_text[0] == '-';
    exponent_text.remove_prefix(1);
  }
  if (exponent_text.empty() || exponent_text.size() > 2) return "";
  for (char c : exponent_text) exponent = exponent * 10 + (c - '0');
  if (exponent_negative) exponent = -exponent;
  std::string digits;
  int point = -1;
  for (char c : mantissa) {
    if (c == '_') continue;
    if (c == '.') {
      if (point >= 0) return "";
      point = static_cast<int>(digits.size());
      continue;
    }
    digits.push_back(c);
  }
  if (digits.empty()) return "";
  if (point < 0) point = static_cast<int>(digits.size());
  point += exponent;
  if (point > 24 || point < -18) return "";
  while (point > static_cast<int>(digits.size())) digits.push_back('0');
  while (point <= 0) digits.insert(digits.begin(), '0'), ++point;
  std::string whole = digits.substr(0, static_cast<size_t>(point));
  std::string fraction = digits.substr(static_cast<size_t>(point));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  while (whole.size() > 1 && whole[0] == '0') whole.erase(0, 1);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back('_');
    grouped.push_back(whole[i]);
  }
  return (negative ? "-" : "") + grouped + (fraction.empty() ? "" : "." + fraction);
}

std::optional<ir::Decimal> Checker::Number(const ast::NumberLit& literal) {
  uint32_t at = ast::Begin(literal);
  if (literal.text.find_first_of("eE") != std::string::npos) {
    std::string written = WrittenOut(literal.text);
    Error(at, written.empty()
                  ? fmt::format("number '{}' has an exponent: write the number out in digits "
                                "('_' may group them)",
                                Excerpt(literal.text))
                  : fmt::format("number '{}' has an exponent: write it out, {}",
                                Excerpt(literal.text), written));
    return std::nullopt;
  }
  auto parts = SplitNumber(literal.text);
  if (!parts) {
    Error(at,
          fmt::format("malformed number '{}' ('_' goes between digits)", Excerpt(literal.text)));
    return std::nullopt;
  }
  std::string_view whole = StripLeadingZeros(parts->whole);
  if (parts->fraction.size() > 18) {
    Error(at, fmt::format("number '{}' has more than 18 decimals", Excerpt(literal.text)));
    return std::nullopt;
  }
  // Below 10^19: the engine compares twice the value scaled by 10^18 in 128 bits, the same
  // bound declarations have (ingest/declaration_json.h).
  if (whole.size() > 19) {
    Error(at, fmt::format("number '{}' is out of range (at most 19 digits before the point)",
                          Excerpt(literal.text)));
    return std::nullopt;
  }
  __int128 scaled = 0;
  for (char c : whole) scaled = scaled * 10 + (c - '0');
  std::string fraction = parts->fraction;
  fraction.resize(18, '0');
  scaled = scaled * ir::Decimal::kScale + DigitsValue(fraction);
  if (parts->negative) scaled = -scaled;
  return ir::Decimal{scaled};
}

std::optional<Ppm> Checker::Percent(const ast::PercentLit& literal) {
  uint32_t at = ast::Begin(literal);
  auto parts = SplitNumber(literal.text);
  if (!parts) {
    Error(at, fmt::format("malformed percentage '{}%' ('_' goes between digits)",
                          Excerpt(literal.text)));
    return std::nullopt;
  }
  if (parts->negative) {
    Error(at, fmt::format("negative percentage '{}%'", Excerpt(literal.text)));
    return std::nullopt;
  }
  if (parts->fraction.size() > 4) {
    Error(at, fmt::format("percentage '{}%' has more than 4 decimals", Excerpt(literal.text)));
    return std::nullopt;
  }
  std::string_view whole = StripLeadingZeros(parts->whole);
  std::string fraction = parts->fraction;
  fraction.resize(4, '0');
  Ppm ppm =
      whole.size() > 3 ? 2 * ir::kMillion : DigitsValue(whole) * 10'000 + DigitsValue(fraction);
  if (ppm > ir::kMillion) {
    Error(at, fmt::format("percentage '{}%' is over 100%", Excerpt(literal.text)));
    return std::nullopt;
  }
  return ppm;
}

std::optional<Ppm> Checker::Factor(const ast::NumberLit& literal) {
  uint32_t at = ast::Begin(literal);
  auto parts = SplitNumber(literal.text);
  if (!parts) {
    Error(at,
          fmt::format("malformed factor '{}' ('_' goes between digits)", Excerpt(literal.text)));
    return std::nullopt;
  }
  if (parts->negative) {
    Error(at, fmt::format("negative factor '{}'", Excerpt(literal.text)));
    return std::nullopt;
  }
  if (parts->fraction.size() > 6) {
    Error(at, fmt::format("factor '{}' has more than 6 decimals", Excerpt(literal.text)));
    return std::nullopt;
  }
  std::string_view whole = StripLeadingZeros(parts->whole);
  std::string fraction = parts->fraction;
  fraction.resize(6, '0');
  if (whole.size() > 4 || DigitsValue(whole) > 1000) {
    Error(at, fmt::format("factor '{}' is too large (at most 1000)", Excerpt(literal.text)));
    return std::nullopt;
  }
  return DigitsValue(whole) * ir::kMillion + DigitsValue(fraction);
}

std::optional<DayNumber> Checker::Date(const ast::DateLit& literal) {
  auto day = ParseIsoDate(literal.text);
  if (!day) Error(ast::Begin(literal), fmt::format("invalid date '{}'", literal.text));
  return day;
}

std::optional<std::string> Checker::HsCode(const ast::Literal& literal) {
  uint32_t at = OffsetOf(literal);
  std::string_view text;
  if (const auto* number = boost::get<ast::NumberLit>(&literal)) {
    text = number->text;
  } else if (const auto* string = boost::get<ast::StringLit>(&literal)) {
    text = string->text;
  } else {
    Error(at, fmt::format("expected an HS code, found {}", Describe(literal)));
    return std::nullopt;
  }
  std::string digits;
  bool ok = !text.empty() && text.front() != '.' && text.back() != '.';
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != '.') {
      ok = false;
    }
  }
  if (!ok || digits.empty()) {
    Error(at, fmt::format("bad HS code '{}': digits and dots only", Excerpt(text)));
    return std::nullopt;
  }
  if (digits.size() % 2 != 0 || digits.size() > 10) {
    Error(at, fmt::format("bad HS code '{}': {} digits (an HS code has 2, 4, 6, 8 or 10)",
                          Excerpt(text), digits.size()));
    return std::nullopt;
  }
  return digits;
}

std::optional<ir::HsRange> Checker::HsItem(const ast::ListItem& item, bool warn_unknown_codes) {
  auto low = HsCode(item.low);
  std::optional<std::string> high;
  if (item.high) {
    high = HsCode(*item.high);
    if (!low || !high) return std::nullopt;
    if (low->size() != high->size()) {
      Error(ast::Begin(item), fmt::format("bad HS range '{}': both ends must have the same length",
                                          SourceText(item)));
      return std::nullopt;
    }
    if (*low > *high) {
      Error(ast::Begin(item),
            fmt::format("bad HS range '{}': start is after end", SourceText(item)));
      return std::nullopt;
    }
    return ir::HsRange{*low, *high};
  }
  if (!low) return std::nullopt;
  if (warn_unknown_codes && !Hs2022Contains(*low)) {
    Warning(ast::Begin(item),
            fmt::format("HS code '{}' is not in the HS 2022 nomenclature", SourceText(item)));
  }
  return ir::HsRange{*low, *low};
}

void Checker::DeclareGrade(const ast::GradeDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  std::optional<Ppm> factor, floor, ceiling;
  // Errors in the clauses are reported; the grade is still declared so that its uses do not
  // add "unknown grade" errors (no ruleset is produced anyway).
  const ast::GradeClause* seen[3] = {nullptr, nullptr, nullptr};
  for (const ast::GradeClause& clause : decl.clauses) {
    static constexpr std::string_view kNames[] = {"factor", "floor", "ceiling"};
    int kind = static_cast<int>(clause.kind);
    if (seen[kind] != nullptr) {
      Error(ast::Begin(clause), fmt::format("'{}' given twice", kNames[kind]));
      continue;
    }
    seen[kind] = &clause;
    if (clause.kind == ast::GradeClauseKind::kFactor) {
      factor = Factor(boost::get<ast::NumberLit>(clause.value));
    } else {
      auto ppm = Percent(boost::get<ast::PercentLit>(clause.value));
      (clause.kind == ast::GradeClauseKind::kFloor ? floor : ceiling) = ppm;
    }
  }
  if (floor && ceiling && *floor > *ceiling) {
    Error(ast::Begin(*seen[1]),
          fmt::format("grade '{}': floor {}% is above ceiling {}%", Excerpt(decl.name.text),
                      boost::get<ast::PercentLit>(seen[1]->value).text,
                      boost::get<ast::PercentLit>(seen[2]->value).text));
  }
  auto [it, inserted] = grades_.try_emplace(decl.name.text, Declared{ruleset_.grades.size(), line});
  if (!inserted) {
    Error(ast::Begin(decl.name),
          fmt::format("duplicate grade name '{}' (first declared at line {})",
                      Excerpt(decl.name.text), it->second.line));
    return;
  }
  ir::Grade grade;
  grade.name = decl.name.text;
  grade.label = decl.label ? decl.label->text : "";
  grade.factor = factor.value_or(ir::kMillion);
  grade.floor = floor;
  grade.ceiling = ceiling;
  grade.line = line;
  ruleset_.grades.push_back(std::move(grade));
}

void Checker::DeclareCommoditySet(const ast::CommodityDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  ir::CommoditySet set;
  set.name = decl.name.text;
  set.line = line;
  // (range, item) of the valid items, for the overlap check.
  std::vector<std::pair<ir::HsRange, const ast::ListItem*>> valid;
  for (const ast::ListItem& item : decl.items) {
    if (auto range = HsItem(item, /*warn_unknown_codes=*/true)) {
      set.ranges.push_back(*range);
      valid.emplace_back(*range, &item);
    }
  }
  // Two items overlap when some 10-digit code matches both: compare them as intervals of
  // 10-digit codes (low padded with 0s, high with 9s) and sweep in order of the low end.
  struct Interval {
    std::string low, high;
    size_t index;
  };
  std::vector<Interval> intervals;
  for (size_t i = 0; i < valid.size(); ++i) {
    std::string low = valid[i].first.low, high = valid[i].first.high;
    low.resize(10, '0');
    high.resize(10, '9');
    intervals.push_back({low, high, i});
  }
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    return a.low != b.low ? a.low < b.low : a.index < b.index;
  });
  std::vector<std::pair<size_t, size_t>> overlaps;  // (earlier item, later item)
  const Interval* widest = nullptr;
  for (const Interval& interval : intervals) {
    if (widest != nullptr && interval.low <= widest->high) {
      overlaps.emplace_back(std::min(widest->index, interval.index),
                            std::max(widest->index, interval.index));
    }
    if (widest == nullptr || interval.high > widest->high) widest = &interval;
  }
  std::sort(overlaps.begin(), overlaps.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  for (auto [first, second] : overlaps) {
    Warning(ast::Begin(*valid[second].second),
            fmt::format("HS items '{}' and '{}' overlap in commodity set '{}'",
                        SourceText(*valid[first].second), SourceText(*valid[second].second),
                        Excerpt(decl.name.text)));
  }
  if (auto list = list_names_.find(decl.name.text); list != list_names_.end()) {
    Error(ast::Begin(decl.name),
          fmt::format("duplicate name '{}': a list of that name is declared at line {}",
                      Excerpt(decl.name.text), list->second.line));
    return;
  }
  auto [it, inserted] =
      sets_.try_emplace(decl.name.text, Declared{ruleset_.commodity_sets.size(), line});
  if (!inserted) {
    Error(ast::Begin(decl.name),
          fmt::format("duplicate commodity set name '{}' (first declared at line {})",
                      Excerpt(decl.name.text), it->second.line));
    return;
  }
  ruleset_.commodity_sets.push_back(std::move(set));
}

void Checker::CheckHeader(const ast::Header& header, bool first) {
  uint32_t line = LineOf(ast::Begin(header));
  if (header_line_) {
    Error(ast::Begin(header),
          fmt::format("duplicate 'ruleset' header (first at line {})", *header_line_));
    return;
  }
  header_line_ = line;
  if (!first) Error(ast::Begin(header), "'ruleset' must be the first statement");
  ruleset_.name = header.name.text;
  auto parts = SplitNumber(header.version.text);
  if (!parts || parts->negative || !parts->fraction.empty() ||
      StripLeadingZeros(parts->whole).size() > 18) {
    Error(ast::Begin(header.version),
          fmt::format("version must be a whole number from 0 to 10^18, found '{}'",
                      Excerpt(header.version.text)));
    return;
  }
  ruleset_.version = DigitsValue(StripLeadingZeros(parts->whole));
}

std::optional<uint32_t> Checker::ResolveGrade(std::string_view name, uint32_t offset) {
  auto it = grades_.find(name);
  if (it != grades_.end()) return static_cast<uint32_t>(it->second.index);
  if (broken_grades_.count(name) == 0) {
    std::vector<std::string_view> known;
    for (const auto& [grade, declared] : grades_) known.push_back(grade);
    Error(offset, fmt::format("unknown grade '{}'{}", Excerpt(name), DidYouMean(name, known)));
  } else {
    ++errors_;  // already reported where the grade was declared
  }
  return std::nullopt;
}

void Checker::CheckUnknown(const ast::UnknownDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  if (unknown_line_) {
    Error(
        ast::Begin(decl),
        fmt::format("duplicate 'unknown enterprise' statement (first at line {})", *unknown_line_));
    return;
  }
  unknown_line_ = line;
  if (auto index = ResolveGrade(decl.grade.text, ast::Begin(decl.grade))) {
    ruleset_.unknown_grade = *index;
  }
}

std::optional<ir::Action> Checker::RateAction(const ast::PercentLit& rate,
                                              const std::vector<ast::ActionClause>& clauses,
                                              std::string_view statement) {
  const bool baseline = !statement.empty();
  ir::Action action;
  bool ok = true;
  if (auto ppm = Percent(rate)) {
    action.rate = *ppm;
  } else {
    ok = false;
  }
  bool seen_at = false, seen_method = false, seen_fixed = false;
  for (const ast::ActionClause& clause : clauses) {
    uint32_t at = ast::Begin(clause);
    switch (clause.kind) {
      case ast::ClauseKind::kAt: {
        if (seen_at) {
          Error(at, "'at' given twice");
          ok = false;
          break;
        }
        seen_at = true;
        std::optional<Ppm> port, destination;
        bool shares_ok = true;
        for (const ast::SiteShare& share : clause.shares) {
          bool is_port = share.site == ast::Site::kPort;
          std::optional<Ppm>& slot = is_port ? port : destination;
          if (slot) {
            Error(ast::Begin(share),
                  fmt::format("'{}' given twice", is_port ? "port" : "destination"));
            shares_ok = false;
            continue;
          }
          slot = Percent(share.share);
          if (!slot) shares_ok = false, slot = 0;
        }
        if (!shares_ok) {
          ok = false;
          break;
        }
        if (port && destination) {
          if (*port + *destination != ir::kMillion) {
            Error(at, fmt::format(
                          "site split does not sum to 100%: port {}% + destination {}%",
                          clause.shares[0].site == ast::Site::kPort ? clause.shares[0].share.text
                                                                    : clause.shares[1].share.text,
                          clause.shares[0].site == ast::Site::kPort ? clause.shares[1].share.text
                                                                    : clause.shares[0].share.text));
            ok = false;
          }
          action.port_share = *port;
        } else if (port) {
          action.port_share = *port;
        } else {
          action.port_share = ir::kMillion - *destination;
        }
        break;
      }
      case ast::ClauseKind::kMethodNii:
      case ast::ClauseKind::kMethodManual:
        if (seen_method) {
          Error(at, "'method' given twice");
          ok = false;
          break;
        }
        seen_method = true;
        if (clause.kind == ast::ClauseKind::kMethodManual) {
          action.nii_share = 0;
        } else if (clause.nii) {
          auto ppm = Percent(*clause.nii);
          if (!ppm) ok = false;
          action.nii_share = ppm.value_or(0);
        } else {
          action.nii_share = ir::kMillion;
        }
        break;
      case ast::ClauseKind::kFixed:
        if (baseline) {
          Error(at, fmt::format("'fixed' does not apply to the {}", statement));
          ok = false;
          break;
        }
        if (seen_fixed) {
          Error(at, "'fixed' given twice");
          ok = false;
          break;
        }
        seen_fixed = true;
        action.fixed = true;
        break;
    }
  }
  if (!ok) return std::nullopt;
  return action;
}

void Checker::CheckBaseline(const ast::BaselineDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  if (baseline_line_) {
    Error(ast::Begin(decl),
          fmt::format("duplicate 'baseline' statement (first at line {})", *baseline_line_));
    return;
  }
  baseline_line_ = line;
  if (auto action = RateAction(decl.rate, decl.clauses, "baseline")) {
    ruleset_.baseline = *action;
  }
}

// ---- Conditions ----

std::optional<ir::Condition> Combine(ir::Condition::Kind kind,
                                     std::vector<ir::Condition> children) {
  if (children.size() == 1) return std::move(children[0]);
  ir::Condition condition;
  condition.kind = kind;
  condition.children = std::move(children);
  return condition;
}

ir::Condition Negate(ir::Condition inner) {
  ir::Condition condition;
  condition.kind = ir::Condition::Kind::kNot;
  condition.children.push_back(std::move(inner));
  return condition;
}

std::optional<ir::Condition> Checker::Or(const ast::OrExpr& expr, int depth) {
  std::vector<ir::Condition> children;
  bool ok = true;
  auto first = And(expr.first, depth);
  if (first)
    children.push_back(std::move(*first));
  else
    ok = false;
  for (const ast::AndExpr& term : expr.rest) {
    auto child = And(term, depth);
    if (child)
      children.push_back(std::move(*child));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return Combine(ir::Condition::Kind::kOr, std::move(children));
}

std::optional<ir::Condition> Checker::And(const ast::AndExpr& expr, int depth) {
  std::vector<ir::Condition> children;
  bool ok = true;
  auto first = Unary(expr.first, depth);
  if (first)
    children.push_back(std::move(*first));
  else
    ok = false;
  for (const ast::Unary& term : expr.rest) {
    auto child = Unary(term, depth);
    if (child)
      children.push_back(std::move(*child));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return Combine(ir::Condition::Kind::kAnd, std::move(children));
}

std::optional<ir::Condition> Checker::Unary(const ast::Unary& unary, int depth) {
  int nots = static_cast<int>(unary.nots.size());
  if (depth + nots > options_.max_nesting) {
    if (!nesting_reported_) {
      Error(ast::Begin(unary),
            fmt::format("condition nested too deeply (more than {} levels of parentheses and "
                        "'not')",
                        options_.max_nesting));
    }
    nesting_reported_ = true;
    return std::nullopt;
  }
  auto operand = Primary(unary.operand, depth + nots);
  if (!operand) return std::nullopt;
  // `not not X` is X: only the parity of the chain matters.
  if (nots % 2 == 1) return Negate(std::move(*operand));
  return operand;
}

std::optional<ir::Condition> Checker::Primary(const ast::Primary& primary, int depth) {
  struct Visitor {
    Checker* self;
    int depth;
    std::optional<ir::Condition> operator()(const x3::forward_ast<ast::OrExpr>& inner) const {
      return self->Or(inner.get(), depth + 1);
    }
    std::optional<ir::Condition> operator()(const ast::CommodityTest& test) const {
      return self->Commodity(test);
    }
    std::optional<ir::Condition> operator()(const ast::Comparison& comparison) const {
      return self->Compare(comparison);
    }
  };
  return boost::apply_visitor(Visitor{this, depth}, primary);
}

std::optional<ir::Condition> Checker::Commodity(const ast::CommodityTest& test) {
  ruleset_.fields_read[static_cast<int>(ir::Field::kHs)] = true;
  auto it = sets_.find(test.set.text);
  if (it == sets_.end()) {
    if (auto list = list_names_.find(test.set.text); list != list_names_.end()) {
      lists_[list->second.index].used = true;
      Error(ast::Begin(test.set),
            fmt::format("'{}' is a list, not a commodity set (write 'hs in {}')",
                        Excerpt(test.set.text), Excerpt(test.set.text)));
    } else if (broken_sets_.count(test.set.text) == 0) {
      std::vector<std::string_view> known;
      for (const auto& [set, declared] : sets_) known.push_back(set);
      Error(ast::Begin(test.set), fmt::format("unknown commodity set '{}'{}", Excerpt(test.set.text),
                                              DidYouMean(test.set.text, known)));
    } else {
      ++errors_;
    }
    return std::nullopt;
  }
  const ir::CommoditySet& set = ruleset_.commodity_sets[it->second.index];
  ir::Condition condition;
  condition.kind = ir::Condition::Kind::kHsIn;
  condition.field = ir::Field::kHs;
  condition.negated = test.negated;
  condition.hs_ranges = set.ranges;
  condition.commodity_set = set.name;
  return condition;
}

std::optional<ir::Condition> Checker::CompareOne(const FieldInfo& field, ast::Op op,
                                                 const ast::Literal& literal) {
  uint32_t at = OffsetOf(literal);
  const auto mismatch = [&] {
    Error(at, fmt::format("type mismatch: '{}' is {}; {} is not", field.name, TypeName(field.type),
                          Describe(literal)));
    return std::nullopt;
  };
  ir::Condition condition;
  condition.field = field.field;
  condition.op = ToCompareOp(op);
  switch (field.type) {
    case Type::kNumber:
    case Type::kUnitValue: {
      condition.kind = ir::Condition::Kind::kCompareNumber;
      if (const auto* number = boost::get<ast::NumberLit>(&literal)) {
        auto value = Number(*number);
        if (!value) return std::nullopt;
        condition.number = *value;
      } else if (const auto* percent = boost::get<ast::PercentLit>(&literal)) {
        auto ppm = Percent(*percent);
        if (!ppm) return std::nullopt;
        // ppm / 10^6, scaled by 10^18.
        condition.number.scaled = static_cast<__int128>(*ppm) * 1'000'000'000'000LL;
      } else {
        return mismatch();
      }
      return condition;
    }
    case Type::kDate: {
      condition.kind = ir::Condition::Kind::kCompareDate;
      const auto* date = boost::get<ast::DateLit>(&literal);
      if (date == nullptr) return mismatch();
      auto day = Date(*date);
      if (!day) return std::nullopt;
      condition.day = *day;
      return condition;
    }
    case Type::kBool: {
      condition.kind = ir::Condition::Kind::kCompareBool;
      const auto* word = boost::get<ast::WordLit>(&literal);
      if (word == nullptr || (word->text != "true" && word->text != "false")) return mismatch();
      condition.boolean = word->text == "true";
      return condition;
    }
    case Type::kEnum:
    case Type::kCountry:
    case Type::kString:
    case Type::kGrade: {
      condition.kind = ir::Condition::Kind::kSymbolIn;
      condition.negated = op == ast::Op::kNe || op == ast::Op::kNotIn;
      const auto* word = boost::get<ast::WordLit>(&literal);
      const auto* string = boost::get<ast::StringLit>(&literal);
      if (field.type == Type::kString) {
        if (string == nullptr) {
          Error(at,
                fmt::format(
                    "type mismatch: '{}' is a string (quote it: \"{}\"); {} is not", field.name,
                    boost::apply_visitor([](const auto& n) { return Excerpt(n.text); }, literal),
                    Describe(literal)));
          return std::nullopt;
        }
        condition.symbols.push_back(string->text);
        return condition;
      }
      if (word == nullptr && string == nullptr) return mismatch();
      const std::string& text = word != nullptr ? word->text : string->text;
      if (field.type == Type::kEnum) {
        auto values = EnumValues(field.field);
        if (std::find(values.begin(), values.end(), text) == values.end()) {
          Error(at, fmt::format("type mismatch: '{}' is one of {}; {} is not", field.name,
                                fmt::join(values, ", "), Describe(literal)));
          return std::nullopt;
        }
      } else if (field.type == Type::kCountry) {
        bool ok = text.size() == 2 && std::isupper(static_cast<unsigned char>(text[0])) &&
                  std::isupper(static_cast<unsigned char>(text[1]));
        if (!ok) {
          Error(at, fmt::format("type mismatch: '{}' is a two-letter country code (ISO 3166 "
                                "alpha-2, capitals); {} is not",
                                field.name, Describe(literal)));
          return std::nullopt;
        }
      } else if (!ResolveGrade(text, at)) {
        return std::nullopt;
      }
      condition.symbols.push_back(text);
      return condition;
    }
    case Type::kFlags: {
      condition.kind = ir::Condition::Kind::kFlagHas;
      const auto* string = boost::get<ast::StringLit>(&literal);
      if (string == nullptr) {
        Error(at, fmt::format("type mismatch: 'has' takes a quoted flag (\"...\"); {} is not",
                              Describe(literal)));
        return std::nullopt;
      }
      condition.flag = string->text;
      return condition;
    }
    case Type::kHs:
      break;  // handled by Compare
  }
  return std::nullopt;
}

std::optional<ir::Condition> Checker::Compare(const ast::Comparison& comparison) {
  const FieldInfo* field = FindField(comparison.field.text);
  if (field == nullptr) {
    std::vector<std::string_view> known;
    for (const FieldInfo& info : kFields) known.push_back(info.name);
    Error(ast::Begin(comparison.field), fmt::format("unknown field '{}'{}",
                                                    Excerpt(comparison.field.text),
                                                    DidYouMean(comparison.field.text, known)));
    return std::nullopt;
  }
  ruleset_.fields_read[static_cast<int>(field->field)] = true;
  if (field->field == ir::Field::kUnitValue) {  // value / weight reads both (SPEC §7.2)
    ruleset_.fields_read[static_cast<int>(ir::Field::kValue)] = true;
    ruleset_.fields_read[static_cast<int>(ir::Field::kWeight)] = true;
  }
  ast::Op op = comparison.op.op;
  if (!OpApplies(field->type, op)) {
    Error(ast::Begin(comparison.op),
          fmt::format("type mismatch: operator '{}' does not apply to '{}' ({})", OpText(op),
                      field->name, TypeDescription(field->type)));
    return std::nullopt;
  }
  bool wants_list = op == ast::Op::kIn || op == ast::Op::kNotIn;
  const auto* list = boost::get<ast::ListRhs>(&comparison.rhs);
  const auto* literal = boost::get<ast::Literal>(&comparison.rhs);
  if (wants_list && literal != nullptr) {
    // `FIELD in NAME`: a list declared with `list NAME of TYPE` (SPEC §7.1).
    if (const auto* word = boost::get<ast::WordLit>(literal)) return ListLookup(*field, op, *word);
  }
  if (wants_list && list == nullptr) {
    Error(OffsetOf(*literal), fmt::format("'{}' takes a list in brackets: {} [A, B], found {}",
                                          OpText(op), OpText(op), Describe(*literal)));
    return std::nullopt;
  }
  if (!wants_list) {
    if (list != nullptr) {
      Error(ast::Begin(*list),
            fmt::format("operator '{}' takes one value, not a list", OpText(op)));
      return std::nullopt;
    }
    return CompareOne(*field, op, *literal);
  }
  if (list->items.empty()) {
    Error(ast::Begin(*list), "empty list");
    return std::nullopt;
  }
  bool negated = op == ast::Op::kNotIn;
  if (field->type == Type::kHs) {
    ir::Condition condition;
    condition.kind = ir::Condition::Kind::kHsIn;
    condition.field = ir::Field::kHs;
    condition.negated = negated;
    bool ok = true;
    for (const ast::ListItem& item : list->items) {
      auto range = HsItem(item, /*warn_unknown_codes=*/true);
      if (range)
        condition.hs_ranges.push_back(*range);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return condition;
  }
  bool ok = true;
  for (const ast::ListItem& item : list->items) {
    if (item.high) {
      Error(ast::Begin(item), fmt::format("a range '{}' applies only to 'hs'", SourceText(item)));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  if (field->type == Type::kNumber || field->type == Type::kDate) {
    // `value in [1, 2]` is `value = 1 or value = 2`.
    std::vector<ir::Condition> alternatives;
    for (const ast::ListItem& item : list->items) {
      auto one = CompareOne(*field, ast::Op::kEq, item.low);
      if (one)
        alternatives.push_back(std::move(*one));
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    auto any = Combine(ir::Condition::Kind::kOr, std::move(alternatives));
    if (negated) return Negate(std::move(*any));
    return any;
  }
  ir::Condition condition;
  for (const ast::ListItem& item : list->items) {
    auto one = CompareOne(*field, op, item.low);
    if (!one) {
      ok = false;
      continue;
    }
    if (condition.symbols.empty())
      condition = std::move(*one);
    else
      condition.symbols.push_back(std::move(one->symbols[0]));
  }
  if (!ok) return std::nullopt;
  condition.negated = negated;
  return condition;
}

// Warns about a rule whose top-level conjunction cannot hold: on one field, equalities and
// lists leave no value, or bounds leave an empty interval.
void Checker::WarnContradictions(const ast::RuleDecl& decl, const ir::Condition& when) {
  std::vector<const ir::Condition*> terms;
  if (when.kind == ir::Condition::Kind::kAnd) {
    for (const auto& child : when.children) terms.push_back(&child);
  } else {
    terms.push_back(&when);
  }
  struct Bound {
    __int128 value;
    bool strict;
  };
  struct Constraints {
    std::optional<std::set<std::string>> allowed;  // symbols / bools / ordered values as text
    std::set<std::string> excluded;
    std::optional<Bound> low, high;
    std::vector<__int128> equal_values;  // ordered fields: values given with `=`
    std::vector<__int128> excluded_values;
    bool any_equal = false;
  };
  std::map<int, Constraints> by_field;
  const auto intersect = [](Constraints& c, std::set<std::string> values) {
    if (!c.allowed) {
      c.allowed = std::move(values);
      return;
    }
    std::set<std::string> both;
    for (const auto& v : values) {
      if (c.allowed->count(v)) both.insert(v);
    }
    c.allowed = std::move(both);
  };
  for (const ir::Condition* term : terms) {
    Constraints& c = by_field[static_cast<int>(term->field)];
    switch (term->kind) {
      case ir::Condition::Kind::kCompareBool: {
        std::string value = term->boolean ? "true" : "false";
        std::string other = term->boolean ? "false" : "true";
        intersect(c, {term->op == ir::CompareOp::kEq ? value : other});
        break;
      }
      case ir::Condition::Kind::kSymbolIn: {
        std::set<std::string> values(term->symbols.begin(), term->symbols.end());
        if (term->negated) {
          c.excluded.insert(values.begin(), values.end());
        } else {
          intersect(c, std::move(values));
        }
        if (term->field == ir::Field::kDirection || term->field == ir::Field::kMode) {
          auto domain = EnumValues(term->field);
          intersect(c, std::set<std::string>(domain.begin(), domain.end()));
        }
        break;
      }
      case ir::Condition::Kind::kCompareNumber:
      case ir::Condition::Kind::kCompareDate: {
        __int128 value =
            term->kind == ir::Condition::Kind::kCompareDate ? term->day : term->number.scaled;
        switch (term->op) {
          case ir::CompareOp::kEq:
            c.any_equal = true;
            c.equal_values.push_back(value);
            break;
          case ir::CompareOp::kNe:
            c.excluded_values.push_back(value);
            break;
          case ir::CompareOp::kGt:
          case ir::CompareOp::kGe: {
            bool strict = term->op == ir::CompareOp::kGt;
            if (!c.low || value > c.low->value || (value == c.low->value && strict)) {
              c.low = Bound{value, strict};
            }
            break;
          }
          case ir::CompareOp::kLt:
          case ir::CompareOp::kLe: {
            bool strict = term->op == ir::CompareOp::kLt;
            if (!c.high || value < c.high->value || (value == c.high->value && strict)) {
              c.high = Bound{value, strict};
            }
            break;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  for (auto& [field_id, c] : by_field) {
    bool empty = false;
    if (c.allowed) {
      size_t left = 0;
      for (const auto& v : *c.allowed) left += c.excluded.count(v) == 0;
      empty = left == 0;
    }
    if (c.low && c.high &&
        (c.low->value > c.high->value ||
         (c.low->value == c.high->value && (c.low->strict || c.high->strict)))) {
      empty = true;
    }
    if (c.any_equal) {
      for (__int128 v : c.equal_values) {
        bool fits = v == c.equal_values[0];
        if (c.low) fits = fits && (v > c.low->value || (v == c.low->value && !c.low->strict));
        if (c.high) fits = fits && (v < c.high->value || (v == c.high->value && !c.high->strict));
        for (__int128 x : c.excluded_values) fits = fits && v != x;
        if (!fits) empty = true;
      }
    }
    if (empty) {
      Warning(
          ast::Begin(decl.name),
          fmt::format("rule '{}' can never match: contradictory conditions on '{}'",
                      Excerpt(decl.name.text), ir::FieldName(static_cast<ir::Field>(field_id))));
    }
  }
}

// ---- SPEC §7 ----

// The list type a field is looked up in: enterprise, origin/trade_country, port, hs.
std::optional<ListKind> ListKindOfField(std::string_view field) {
  if (field == "enterprise") return ListKind::kEnterprise;
  if (field == "origin" || field == "trade_country") return ListKind::kCountry;
  if (field == "port") return ListKind::kPort;
  if (field == "hs") return ListKind::kHs;
  return std::nullopt;
}

void Checker::DeclareList(const ast::ListDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  auto kind = ListKindFromName(decl.type.text);
  if (!kind) {
    Error(ast::Begin(decl.type),
          fmt::format("unknown list type '{}' (enterprise, country, port or hs)",
                      Excerpt(decl.type.text)));
  }
  // Lists and commodity sets share one namespace (SPEC §7.1).
  if (auto set = sets_.find(decl.name.text); set != sets_.end()) {
    Error(ast::Begin(decl.name),
          fmt::format("duplicate name '{}': a commodity set of that name is declared at line {}",
                      Excerpt(decl.name.text), set->second.line));
    return;
  }
  auto [it, inserted] = list_names_.try_emplace(decl.name.text, Declared{lists_.size(), line});
  if (!inserted) {
    Error(ast::Begin(decl.name),
          fmt::format("duplicate list name '{}' (first declared at line {})",
                      Excerpt(decl.name.text), it->second.line));
    return;
  }
  lists_.push_back(
      {decl.name.text, kind.value_or(ListKind::kEnterprise), ast::Begin(decl.name), line});
  if (!kind) ++errors_;  // declared (so uses are not "unknown"), but the file has an error
}

void Checker::CheckSample(const ast::SampleDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  if (sample_line_) {
    Error(ast::Begin(decl),
          fmt::format("duplicate 'sample' statement (first at line {})", *sample_line_));
    return;
  }
  sample_line_ = line;
  if (auto action = RateAction(decl.rate, decl.clauses, "sample")) {
    ruleset_.sample = *action;
  }
}

namespace {
std::string PercentText(Ppm ppm) {
  std::string text = fmt::format("{}.{:04d}", ppm / 10'000, ppm % 10'000);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}
std::string FactorText(Ppm ppm) {
  std::string text = fmt::format("{}.{:06d}", ppm / ir::kMillion, ppm % ir::kMillion);
  while (text.back() == '0' && text[text.size() - 2] != '.') text.pop_back();
  return text;
}
}  // namespace

void Checker::CheckRequire(const ast::RequireDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  const ast::Op op = decl.op.op;
  const bool ratio = decl.of.has_value();
  bool ok = true;
  if (ratio && op != ast::Op::kLt && op != ast::Op::kLe) {
    Error(ast::Begin(decl.op),
          fmt::format("a ratio requirement takes '<' or '<=', not '{}'", OpText(op)));
    ok = false;
  } else if (!ratio && (op == ast::Op::kEq || op == ast::Op::kNe)) {
    Error(ast::Begin(decl.op),
          fmt::format("a requirement takes one of < <= > >=, not '{}'", OpText(op)));
    ok = false;
  }
  auto grade = ResolveGrade(decl.grade.text, ast::Begin(decl.grade));
  std::optional<uint32_t> other;
  if (ratio) other = ResolveGrade(decl.of->text, ast::Begin(*decl.of));
  auto value = Percent(decl.value);
  if (!ok || !grade || !value || (ratio && !other)) return;

  ir::Requirement req;
  req.grade = *grade;
  req.op = ToCompareOp(op);
  req.value = *value;
  req.of = other;
  req.line = line;
  const ir::Grade& g = ruleset_.grades[*grade];
  const std::string text = fmt::format("{} {} {}{}", Excerpt(decl.grade.text), OpText(op),
                                       PercentText(*value),
                                       ratio ? " of " + Excerpt(decl.of->text) : std::string());
  if (ratio) {
    // SPEC §7.4: factor_ppm(GRADE) * 10^6 OP P_ppm * factor_ppm(GRADE2), exactly.
    const ir::Grade& g2 = ruleset_.grades[*other];
    const __int128 lhs = static_cast<__int128>(g.factor) * ir::kMillion;
    const __int128 rhs = static_cast<__int128>(*value) * g2.factor;
    const bool holds = op == ast::Op::kLt ? lhs < rhs : lhs <= rhs;
    if (!holds) {
      Error(ast::Begin(decl.grade),
            fmt::format("requirement broken by the factors: {} (factor {} is not {} {} of {})",
                        text, FactorText(g.factor), op == ast::Op::kLt ? "below" : "at most",
                        PercentText(*value), FactorText(g2.factor)));
      return;
    }
    if (g.floor || g2.ceiling) {
      Warning(ast::Begin(decl.grade),
              fmt::format("requirement '{}': {} can move the realized ratio", text,
                          g.floor && g2.ceiling
                              ? fmt::format("the floor of '{}' and the ceiling of '{}'", g.name,
                                            g2.name)
                          : g.floor ? fmt::format("the floor of '{}'", g.name)
                                    : fmt::format("the ceiling of '{}'", g2.name)));
    }
  } else {
    const Ppm floor = g.floor.value_or(0), ceiling = g.ceiling.value_or(ir::kMillion);
    bool guaranteed = false;
    switch (op) {
      case ast::Op::kGe:
        guaranteed = floor >= *value;
        break;
      case ast::Op::kGt:
        guaranteed = floor > *value;
        break;
      case ast::Op::kLe:
        guaranteed = ceiling <= *value;
        break;
      default:
        guaranteed = ceiling < *value;
        break;
    }
    if (!guaranteed) {
      Warning(ast::Begin(decl.grade),
              fmt::format("requirement '{}': the floor and ceiling of grade '{}' do not guarantee "
                          "it (stats checks it on the audit log)",
                          text, g.name));
    }
  }
  ruleset_.requirements.push_back(req);
}

std::optional<ir::Condition> Checker::ListLookup(const FieldInfo& field, ast::Op op,
                                                 const ast::WordLit& name) {
  auto it = list_names_.find(name.text);
  if (it == list_names_.end()) {
    if (sets_.count(name.text) != 0) {
      Error(ast::Begin(name),
            fmt::format("'{}' is a commodity set, not a list (write 'commodity in {}')",
                        Excerpt(name.text), Excerpt(name.text)));
    } else {
      Error(ast::Begin(name), fmt::format("unknown list '{}'", Excerpt(name.text)));
    }
    return std::nullopt;
  }
  ListSeen& list = lists_[it->second.index];
  list.used = true;
  auto wanted = ListKindOfField(field.name);
  if (!wanted || *wanted != list.kind) {
    Error(ast::Begin(name),
          fmt::format("type mismatch: '{}' cannot be looked up in list '{}' of {}", field.name,
                      Excerpt(name.text), kListKindNames[static_cast<int>(list.kind)]));
    return std::nullopt;
  }
  ir::Condition condition;
  condition.kind = ir::Condition::Kind::kListIn;
  condition.field = field.field;
  condition.negated = op == ast::Op::kNotIn;
  condition.list = static_cast<uint32_t>(it->second.index);
  return condition;
}

void Checker::WarnUnusedLists() {
  for (const ListSeen& list : lists_) {
    if (!list.used) {
      Warning(list.offset,
              fmt::format("list '{}' is declared but no condition uses it", Excerpt(list.name)));
    }
  }
}

void Checker::CheckRule(const ast::RuleDecl& decl) {
  uint32_t line = LineOf(ast::Begin(decl));
  int errors_before = errors_;
  ir::Rule rule;
  rule.name = decl.name.text;
  rule.description = decl.description ? decl.description->text : "";
  rule.line = line;
  if (decl.valid) {
    auto from = Date(decl.valid->from);
    auto to = Date(decl.valid->to);
    if (from && to) {
      rule.valid_from = from;
      rule.valid_to = to;
      if (*from > *to) {
        Warning(ast::Begin(decl.valid->from),
                fmt::format("rule '{}' can never match: valid window {}..{} is empty",
                            Excerpt(decl.name.text), decl.valid->from.text, decl.valid->to.text));
      }
    }
  }
  nesting_reported_ = false;
  auto when = Or(decl.when, 0);
  if (when) {
    WarnContradictions(decl, *when);
    rule.when = std::move(*when);
  }
  if (const auto* hold = boost::get<ast::HoldAction>(&decl.then)) {
    rule.then.hold = true;
    rule.then.hold_reason = hold->reason.text;
    rule.then.rate = ir::kMillion;
  } else {
    const auto& rate = boost::get<ast::RateAction>(decl.then);
    if (auto action = RateAction(rate.rate, rate.clauses, "")) {
      rule.then = *action;
    }
  }
  auto [it, inserted] = rules_.try_emplace(decl.name.text, Declared{ruleset_.rules.size(), line});
  if (!inserted) {
    Error(ast::Begin(decl.name), fmt::format("duplicate rule name '{}' (first declared at line {})",
                                             Excerpt(decl.name.text), it->second.line));
    return;
  }
  if (errors_ == errors_before) ruleset_.rules.push_back(std::move(rule));
}

std::optional<ir::Ruleset> Checker::Run(ParsedFile& file) {
  for (const BrokenStatement& broken : file.broken) {
    if (broken.keyword == "grade") broken_grades_.insert(broken.name);
    if (broken.keyword == "commodity") broken_sets_.insert(broken.name);
    if (broken.keyword == "rule") rules_.try_emplace(broken.name, Declared{SIZE_MAX, 0});
  }
  // Pass 1: declarations that others refer to (names may be used before they are declared).
  for (const ast::Statement& statement : file.statements) {
    BeginStatement();
    if (const auto* grade = boost::get<ast::GradeDecl>(&statement)) DeclareGrade(*grade);
    if (const auto* set = boost::get<ast::CommodityDecl>(&statement)) DeclareCommoditySet(*set);
    if (const auto* list = boost::get<ast::ListDecl>(&statement)) DeclareList(*list);
    EndStatement();
  }
  // Pass 2: everything else, in order.
  lines_ = LineColumnFinder(source_);
  last_line_offset_ = 0;
  bool first = file.first_is_header;
  for (ast::Statement& statement : file.statements) {
    if (sink_.Full()) break;
    BeginStatement();
    if (const auto* header = boost::get<ast::Header>(&statement)) {
      CheckHeader(*header, first);
    } else if (const auto* unknown = boost::get<ast::UnknownDecl>(&statement)) {
      CheckUnknown(*unknown);
    } else if (const auto* baseline = boost::get<ast::BaselineDecl>(&statement)) {
      CheckBaseline(*baseline);
    } else if (const auto* rule = boost::get<ast::RuleDecl>(&statement)) {
      CheckRule(*rule);
    } else if (const auto* sample = boost::get<ast::SampleDecl>(&statement)) {
      CheckSample(*sample);
    } else if (const auto* require = boost::get<ast::RequireDecl>(&statement)) {
      CheckRequire(*require);
    }
    EndStatement();
    first = false;
    statement = ast::Statement();  // lowered: release the AST of this statement
  }
  const auto broken = [&](std::string_view keyword) {
    return std::any_of(file.broken.begin(), file.broken.end(),
                       [&](const BrokenStatement& b) { return b.keyword == keyword; });
  };
  uint32_t end = static_cast<uint32_t>(source_.size());
  BeginStatement();  // what follows is about the file as a whole
  if (!header_line_ && !broken("ruleset")) {
    Error(end, "missing header: the first statement must be 'ruleset \"NAME\" version N'");
  }
  if (!unknown_line_ && !broken("unknown")) {
    Error(end, "missing 'unknown enterprise grade NAME' statement");
  }
  if (!baseline_line_ && !broken("baseline")) {
    Warning(end, "no 'baseline' statement: the baseline rate is 0%");
  }
  WarnUnusedLists();
  for (const ListSeen& list : lists_) {
    ruleset_.lists.push_back(
        ir::ListDecl{list.name, static_cast<ir::ListType>(list.kind), list.line});
  }
  for (size_t i = 0; i < ruleset_.grades.size(); ++i) {
    if (ruleset_.grades[i].factor == ir::kMillion) {
      ruleset_.reference_grade = static_cast<uint32_t>(i);
      break;
    }
  }
  if (errors_ > 0 || sink_.errors() > 0 || !file.broken.empty()) return std::nullopt;
  AnalyzeRuleset(ruleset_, source_, sink_);  // warnings only (dsl/internal/analysis.h)
  return std::move(ruleset_);
}

}  // namespace

std::optional<ir::Ruleset> CheckAndLower(ParsedFile& file, std::string_view source,
                                         const CompileOptions& options, DiagnosticSink& sink) {
  Checker checker(source, options, sink);
  return checker.Run(file);
}

}  // namespace bukong::dsl::internal
