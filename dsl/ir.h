// The checked, Spirit-free form of a ruleset: what dsl/ hands to engine/.
//
// A Ruleset is produced only from a file without errors (see dsl/compiler.h), so every name
// in it is resolved and every number is in range. It is a plain immutable value: rates and
// factors are integer parts per million, HS codes are digit strings, dates are day numbers,
// fields are enum ids. Nothing here depends on Boost.
#ifndef BUKONG_DSL_IR_H_
#define BUKONG_DSL_IR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dates.h"

namespace bukong::ir {

// Parts per million: 3% = 30'000, 100% = 1'000'000. A factor of 0.2 is 200'000.
using Ppm = int64_t;
inline constexpr Ppm kMillion = 1'000'000;

// An exact decimal number from a rule literal, scaled by 10^18 (so 0.2 is 2 * 10^17 and
// 100_000 is 10^23). Literals with more than 18 decimals, or of 10^19 or more, are rejected
// by the checker. Percentages compared with numbers arrive here already divided by 100.
struct Decimal {
  static constexpr __int128 kScale = static_cast<__int128>(1'000'000'000'000'000'000LL);
  __int128 scaled = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// Every field a condition can read (SPEC §1 table).
enum class Field : uint8_t {
  // From the declaration.
  kDirection,     // enum: import, export, transit
  kHs,            // HS code digit string (only `in` / `not in`)
  kOrigin,        // country: two ASCII capitals
  kTradeCountry,  // country
  kPort,          // string (customs port code)
  kMode,          // enum: sea, air, rail, road, post
  kValue,         // number (USD)
  kWeight,        // number (kg)
  kTwoStep,       // bool
  kDate,          // date
  // From the enterprise profile (or the unknown-enterprise defaults).
  kGrade,        // a declared grade name
  kFlags,        // set of strings (only `has`)
  kAgeDays,      // number: declaration date - registered
  kInspections,  // number
  kHits,         // number
  kHitRate,      // number in [0,1]: hits / inspections, 0 when none
  // SPEC §7 (v2).
  kEnterprise,  // string: the declaration's `enterprise` id (always present)
  kUnitValue,   // number: value / weight, exact; every comparison false when weight is 0
  // Add new fields above this line. Not a field: the number of fields, so that every table
  // sized kFieldCount (names below, the checker's types, FieldSet) grows with the enum.
  kCount,
};
inline constexpr int kFieldCount = static_cast<int>(Field::kCount);

// True for the fields that come from the declaration (and so must be present on input when
// the ruleset reads them). unit_value is computed from two of them: a ruleset that names it
// reads value and weight (Ruleset::fields_read marks both).
inline constexpr bool IsDeclarationField(Field f) {
  return f <= Field::kDate || f == Field::kEnterprise;
}

// The field's name as written in rule files (`trade_country`, `enterprise.hit_rate`, ...),
// indexed by Field. Header-only so that engine/, which does not link the compiler, names
// fields the same way; the checker's field table takes its names from here.
inline constexpr const char* kFieldNames[kFieldCount] = {
    "direction",           "hs",                     "origin",          "trade_country",
    "port",                "mode",                   "value",           "weight",
    "two_step",            "date",                   "grade",           "enterprise.flags",
    "enterprise.age_days", "enterprise.inspections", "enterprise.hits", "enterprise.hit_rate",
    "enterprise",          "unit_value"};
static_assert(kFieldNames[kFieldCount - 1] != nullptr, "every Field needs its name here");

// A set of fields, indexed by Field: set[static_cast<int>(f)] is true when f is in it. The one
// type for "the fields a ruleset reads" (Ruleset::fields_read, engine::CompiledRuleset::
// FieldsRead(), ingest::DeclarationParser's required fields).
using FieldSet = std::array<bool, kFieldCount>;

inline constexpr const char* FieldName(Field f) {
  const int i = static_cast<int>(f);
  return i >= 0 && i < kFieldCount ? kFieldNames[i] : "?";
}

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// SPEC §7.1: the four list types. A list's entries are not in the rule file: they are bound
// (engine/lists.h) when the ruleset is compiled.
enum class ListType : uint8_t { kEnterprise, kCountry, kPort, kHs };
inline const char* ListTypeName(ListType t) {
  static constexpr const char* kNames[] = {"enterprise", "country", "port", "hs"};
  return kNames[static_cast<int>(t)];
}

// `list NAME of TYPE`.
struct ListDecl {
  std::string name;
  ListType type = ListType::kEnterprise;
  uint32_t line = 0;
  friend bool operator==(const ListDecl&, const ListDecl&) = default;
};

// `require GRADE OP P% [of GRADE2]` (SPEC §7.4). Never changes a decision: `check` proved it
// against the factors (ratio form), `stats` evaluates it on the audit log.
struct Requirement {
  uint32_t grade = 0;             // index into Ruleset::grades
  CompareOp op = CompareOp::kLt;  // ratio form: kLt, kLe; rate form: kLt, kLe, kGt, kGe
  Ppm value = 0;                  // P% in ppm
  std::optional<uint32_t> of;     // ratio form: the other grade
  uint32_t line = 0;
};

// One alternative of an HS code list: a declared code matches when it has at least
// `low.size()` digits and its prefix of that length lies in [low, high] (compared as digit
// strings; low and high have the same length, 2/4/6/8/10 digits). A single code is
// low == high.
struct HsRange {
  std::string low;
  std::string high;
  friend bool operator==(const HsRange&, const HsRange&) = default;
};

// A condition tree. Which members are meaningful depends on `kind`.
struct Condition {
  enum class Kind : uint8_t {
    kTrue,           // always holds (a rule with no condition never occurs in files; helper)
    kAnd,            // all of `children`
    kOr,             // any of `children`
    kNot,            // children[0] does not hold
    kCompareNumber,  // field op number: value, weight, age_days, inspections, hits, hit_rate
    kCompareDate,    // field(kDate) op day
    kCompareBool,    // field(kTwoStep) op(kEq|kNe) boolean
    kSymbolIn,       // field in symbols (negated: not in). `=`/`!=` become a one-element list.
                     // Fields: direction, mode (enum names), origin, trade_country (two capitals),
                     // port (string), grade (declared grade names).
    kHsIn,           // field(kHs) in hs_ranges (negated: not in); `commodity in SET` lowers here
    kFlagHas,        // enterprise.flags has `flag`
    kListIn,         // field in the bound version of Ruleset::lists[list] (negated: not in),
                     // SPEC §7.1: enterprise, origin/trade_country, port (exact entries) or hs
                     // (by prefix, like a commodity set)
  };
  Kind kind = Kind::kTrue;
  Field field = Field::kDirection;
  CompareOp op = CompareOp::kEq;
  bool negated = false;                // kSymbolIn, kHsIn: `not in` / `!=`
  std::vector<Condition> children;     // kAnd, kOr (two or more), kNot (one)
  Decimal number;                      // kCompareNumber
  DayNumber day = 0;                   // kCompareDate
  bool boolean = false;                // kCompareBool
  std::vector<std::string> symbols;    // kSymbolIn, in source order, without quotes
  std::vector<HsRange> hs_ranges;      // kHsIn
  std::string commodity_set;           // kHsIn from `commodity in SET`: the set's name, else ""
  std::string flag;                    // kFlagHas
  uint32_t list = 0;                   // kListIn: index into Ruleset::lists
};

// Adds to *set every field that `c` (or a condition inside it) names; unit_value adds value
// and weight too (SPEC §7.2: it is computed from them, so both must be on input). The one
// definition of "the fields a condition reads"; the engine applies it to every rule (see
// Ruleset::fields_read).
inline void AddFieldsNamedBy(const Condition& c, FieldSet* set) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
      return;
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr:
    case Condition::Kind::kNot:
      for (const Condition& child : c.children) AddFieldsNamedBy(child, set);
      return;
    default: {
      const int f = static_cast<int>(c.field);
      if (f >= 0 && f < kFieldCount) (*set)[f] = true;
      if (c.field == Field::kUnitValue) {
        (*set)[static_cast<int>(Field::kValue)] = true;
        (*set)[static_cast<int>(Field::kWeight)] = true;
      }
    }
  }
}

enum class Site : uint8_t { kPort, kDestination };
enum class Method : uint8_t { kNii, kManual };

// What a rule (or the baseline) does when it wins.
struct Action {
  bool hold = false;
  std::string hold_reason;     // when hold
  Ppm rate = 0;                // 0..1'000'000
  Ppm port_share = kMillion;   // share of inspections at the port; destination = 1e6 - port
  Ppm nii_share = 0;           // share of inspections by non-intrusive scan; rest manual
  bool fixed = false;          // not multiplied by the grade factor
};

struct Grade {
  std::string name;
  std::string label;                  // "" when none
  Ppm factor = kMillion;              // up to 6 decimals, may exceed 1'000'000
  std::optional<Ppm> floor;           // final rate never below
  std::optional<Ppm> ceiling;         // final rate never above
  uint32_t line = 0;                  // source line of the declaration
};

struct CommoditySet {
  std::string name;
  std::vector<HsRange> ranges;  // in source order
  uint32_t line = 0;
};

struct Rule {
  std::string name;
  std::string description;               // "" when none
  std::optional<DayNumber> valid_from;   // inclusive; both set or neither
  std::optional<DayNumber> valid_to;     // inclusive
  Condition when;
  Action then;
  uint32_t line = 0;                     // source line of `rule`
};

struct Ruleset {
  std::string name;            // from `ruleset "name"`
  int64_t version = 0;         // from `version N`
  std::vector<Grade> grades;   // in declaration order (most trusted first)
  uint32_t unknown_grade = 0;  // index into grades, from `unknown enterprise grade NAME`
  // The first grade whose factor is exactly 1.0 (the reference for ratios), if any.
  std::optional<uint32_t> reference_grade;
  Action baseline;             // rate 0 with a warning when the file has no `baseline`
  std::vector<CommoditySet> commodity_sets;  // in source order
  std::vector<Rule> rules;                   // in file order (ties go to the earlier rule)
  // SPEC §7 (v2). A ruleset with none of these decides exactly as in v1.
  std::vector<ListDecl> lists;               // in declaration order
  std::optional<Action> sample;              // `sample P% ...` (never fixed, never hold)
  std::vector<Requirement> requirements;     // in file order
  // The fields some condition names (SPEC §6 "Fields read"; unit_value counts as value and
  // weight): a declaration field in it must be present on input. The checker fills it as it
  // resolves names; engine::CompileRuleset makes it complete for an IR built by hand
  // (AddFieldsNamedBy over every rule), and that compiled copy is the one the program uses
  // (CompiledRuleset::FieldsRead()).
  FieldSet fields_read{};
  std::string source_sha256;   // lower-case hex SHA-256 of the exact source bytes
  std::string source_name;     // file name given to the compiler (for messages)

  bool Reads(Field f) const { return fields_read[static_cast<int>(f)]; }
  // "name@version", as decisions print it.
  std::string Id() const { return name + "@" + std::to_string(version); }
};

}  // namespace bukong::ir

#endif  // BUKONG_DSL_IR_H_
