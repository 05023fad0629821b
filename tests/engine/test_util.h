// Builders for hand-made IR, declarations and exact decimals, shared by the engine tests.
#ifndef BUKONG_TESTS_ENGINE_TEST_UTIL_H_
#define BUKONG_TESTS_ENGINE_TEST_UTIL_H_

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dates.h"
#include "dsl/ir.h"
#include "core/declaration.h"
#include "engine/engine.h"

namespace bukong::engine::test {

// The exact decimal of a number's text ("100000.0", "-0.5", "1e3" is not accepted), with the
// ExactDecimal convention: 2 * trunc(v * 10^18), +-1 when digits remain beyond the 18th.
inline __int128 ScaledDecimal(std::string_view text, bool* inexact = nullptr) {
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  __int128 integer = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] == '_') continue;
    integer = integer * 10 + (text[i] - '0');
  }
  __int128 fraction = 0;
  int digits = 0;
  bool rest = false;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '_') continue;
      if (digits < 18) {
        fraction = fraction * 10 + (text[i] - '0');
        ++digits;
      } else if (text[i] != '0') {
        rest = true;
      }
    }
  }
  for (; digits < 18; ++digits) fraction *= 10;
  __int128 v = integer * ir::Decimal::kScale + fraction;
  if (inexact) *inexact = rest;
  return negative ? -v : v;
}

inline ExactDecimal Exact(std::string_view text) {
  bool inexact = false;
  const __int128 v = ScaledDecimal(text, &inexact);
  const bool negative = !text.empty() && text[0] == '-';
  return {v * 2 + (inexact ? (negative ? -1 : 1) : 0)};
}

inline ir::Decimal Literal(std::string_view text) { return {ScaledDecimal(text)}; }

inline DayNumber Day(std::string_view iso) {
  auto d = ParseIsoDate(iso);
  if (!d) throw std::invalid_argument(std::string(iso));
  return *d;
}

// Conditions.
inline ir::Condition True() { return {}; }

inline ir::Condition Symbols(ir::Field f, std::vector<std::string> symbols, bool negated = false) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kSymbolIn;
  c.field = f;
  c.negated = negated;
  c.symbols = std::move(symbols);
  return c;
}

inline ir::Condition Hs(std::vector<std::pair<std::string, std::string>> ranges,
                        bool negated = false) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kHsIn;
  c.field = ir::Field::kHs;
  c.negated = negated;
  for (auto& [lo, hi] : ranges) c.hs_ranges.push_back({lo, hi});
  return c;
}

inline ir::Condition Number(ir::Field f, ir::CompareOp op, std::string_view literal) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kCompareNumber;
  c.field = f;
  c.op = op;
  c.number = Literal(literal);
  return c;
}

inline ir::Condition DateIs(ir::CompareOp op, std::string_view iso) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kCompareDate;
  c.field = ir::Field::kDate;
  c.op = op;
  c.day = Day(iso);
  return c;
}

inline ir::Condition TwoStep(ir::CompareOp op, bool value) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kCompareBool;
  c.field = ir::Field::kTwoStep;
  c.op = op;
  c.boolean = value;
  return c;
}

inline ir::Condition FlagHas(std::string flag) {
  ir::Condition c;
  c.kind = ir::Condition::Kind::kFlagHas;
  c.field = ir::Field::kFlags;
  c.flag = std::move(flag);
  return c;
}

inline ir::Condition Join(ir::Condition::Kind kind, std::vector<ir::Condition> children) {
  ir::Condition c;
  c.kind = kind;
  c.children = std::move(children);
  return c;
}
inline ir::Condition And(std::vector<ir::Condition> children) {
  return Join(ir::Condition::Kind::kAnd, std::move(children));
}
inline ir::Condition Or(std::vector<ir::Condition> children) {
  return Join(ir::Condition::Kind::kOr, std::move(children));
}
inline ir::Condition Not(ir::Condition child) {
  return Join(ir::Condition::Kind::kNot, {std::move(child)});
}

// Rules.
inline ir::Rule RateRule(std::string name, ir::Condition when, ir::Ppm rate,
                         ir::Ppm port = ir::kMillion, ir::Ppm nii = 0, bool fixed = false) {
  ir::Rule r;
  r.name = std::move(name);
  r.when = std::move(when);
  r.then.rate = rate;
  r.then.port_share = port;
  r.then.nii_share = nii;
  r.then.fixed = fixed;
  return r;
}

inline ir::Rule HoldRule(std::string name, ir::Condition when, std::string reason) {
  ir::Rule r;
  r.name = std::move(name);
  r.when = std::move(when);
  r.then.hold = true;
  r.then.hold_reason = std::move(reason);
  return r;
}

inline ir::Grade MakeGrade(std::string name, ir::Ppm factor,
                           std::optional<ir::Ppm> floor = std::nullopt,
                           std::optional<ir::Ppm> ceiling = std::nullopt) {
  ir::Grade g;
  g.name = std::move(name);
  g.factor = factor;
  g.floor = floor;
  g.ceiling = ceiling;
  return g;
}

// The grades of the SPEC §1 example (advanced 0.2, certified 0.5, general 1.0, dishonest
// floor 80%), unknown enterprise = general, baseline 3% at port 50% method nii 60%.
inline ir::Ruleset ExampleShell() {
  ir::Ruleset rs;
  rs.name = "test";
  rs.version = 1;
  rs.grades = {MakeGrade("advanced", 200'000), MakeGrade("certified", 500'000),
               MakeGrade("general", 1'000'000), MakeGrade("dishonest", 1'000'000, 800'000)};
  rs.unknown_grade = 2;
  rs.reference_grade = 2;
  rs.baseline.rate = 30'000;
  rs.baseline.port_share = 500'000;
  rs.baseline.nii_share = 600'000;
  rs.source_sha256 = std::string(64, 'a');
  rs.source_name = "test.rules";
  return rs;
}

// A declaration with every field present.
inline Declaration MakeDeclaration(std::string id, std::string hs = "0303899000",
                                   std::string_view date = "2021-05-04") {
  Declaration d;
  d.id = std::move(id);
  d.enterprise = "91330200MA2AAAAA1X";
  d.date = Day(date);
  d.direction = Direction::kImport;
  d.hs = std::move(hs);
  d.origin = "NO";
  d.trade_country = "NO";
  d.port = "3100";
  d.mode = TransportMode::kSea;
  d.value = Exact("125000.0");
  d.weight = Exact("20000");
  d.two_step = false;
  d.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight |
              kHasTwoStep;
  return d;
}

inline Profile MakeProfile(std::string grade, std::string_view registered = "2015-01-01",
                           std::vector<std::string> flags = {}, uint64_t inspections = 0,
                           uint64_t hits = 0) {
  Profile p;
  p.id = "91330200MA2AAAAA1X";
  p.grade = std::move(grade);
  p.registered = Day(registered);
  p.flags = std::move(flags);
  p.inspections = inspections;
  p.hits = hits;
  return p;
}

inline SelectionKey TestKey() {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(i);
  return SelectionKey(bytes);
}

}  // namespace bukong::engine::test

#endif  // BUKONG_TESTS_ENGINE_TEST_UTIL_H_
