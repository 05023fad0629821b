// The HS dimension of the candidate index (engine/internal/plan.cc, AddHsDimension) against
// the reference evaluator, on rulesets made of HS lists: ranges that span just under and just
// over the 32-code limit, ranges that straddle a prefix boundary, lists of mixed lengths, two
// lists in one rule, lists under `or` and `not`, negated lists; declared codes of every
// length from 6 to 10 digits, drawn next to the codes the rules name. A rule whose list the
// index decides exactly is never evaluated on it, so an index that offered one rule too few
// or one too many exact rules would show here as a differing decision.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/internal/decide.h"
#include "engine/internal/plan.h"
#include "tests/engine/reference.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

class HsRulesetMaker {
 public:
  explicit HsRulesetMaker(uint64_t seed) : rng_(seed) {}

  ir::Ruleset Ruleset(int rules, const std::vector<ir::Rule>& extra) {
    ir::Ruleset rs = ExampleShell();
    named_.clear();
    for (int i = 0; i < rules; ++i) {
      const std::string name = "r" + std::to_string(i);
      if (Chance(0.15)) {
        rs.rules.push_back(HoldRule(name, When(), "reason " + name));
      } else {
        rs.rules.push_back(RateRule(name, When(), Pick({10'000, 30'000, 50'000, 90'000})));
      }
    }
    for (const ir::Rule& rule : extra) {
      rs.rules.insert(rs.rules.begin() + Int(0, static_cast<int>(rs.rules.size())), rule);
      for (int k = 0; k < 200; ++k)
        named_.push_back(rule.when.hs_ranges[Int(0, static_cast<int>(rule.when.hs_ranges.size()) - 1)].low);
    }
    return rs;
  }

  Declaration MakeDeclarationNearNamedCodes(int i) {
    const int digits = Int(6, 10);
    std::string hs = Code(digits);
    if (Chance(0.3)) hs = Padded(std::max<int64_t>(0, std::stoll(hs) + Int(-1, 1)), digits);
    Declaration d = MakeDeclaration("D" + std::to_string(i), hs.substr(0, digits));
    d.direction = Chance(0.5) ? Direction::kImport : Direction::kExport;
    d.origin = Chance(0.5) ? "CN" : "NO";
    d.two_step = Chance(0.5);
    return d;
  }

 private:
  int Int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  ir::Ppm Pick(std::vector<ir::Ppm> values) { return values[Int(0, static_cast<int>(values.size()) - 1)]; }

  static std::string Padded(int64_t value, int digits) {
    std::string s = std::to_string(value);
    if (static_cast<int>(s.size()) < digits) s.insert(0, digits - s.size(), '0');
    return s.substr(s.size() - digits);
  }

  // A code of `digits` digits: half the time extending (or cut from) a code a rule names.
  std::string Code(int digits) {
    if (!named_.empty() && Chance(0.5)) {
      std::string code = named_[Int(0, static_cast<int>(named_.size()) - 1)];
      while (static_cast<int>(code.size()) < digits) code.push_back("0189"[Int(0, 3)]);
      return code.substr(0, digits);
    }
    std::string code = std::vector<std::string>{"01", "84", "85", "00", "99", "29"}[Int(0, 5)];
    while (static_cast<int>(code.size()) < digits) code.push_back("0189"[Int(0, 3)]);
    return code;
  }

  std::pair<std::string, std::string> Range() {
    const int digits = 2 * Int(1, 5);
    int64_t largest = 1;
    for (int i = 0; i < digits; ++i) largest *= 10;
    --largest;
    int64_t low = std::stoll(Code(digits));
    int64_t span = 0;
    switch (Int(0, 4)) {
      case 0: span = 0; break;
      case 1: span = Int(28, 36); break;  // around the limit of exact indexing (32)
      case 2: span = Int(0, 5); break;
      case 3: span = Int(0, 200); break;
      default: span = Int(0, 31); break;
    }
    if (Chance(0.2)) low = std::max<int64_t>(0, low - low % 100 + 100 - Int(1, 16));  // straddle
    low = std::min(low, largest);
    const int64_t high = std::min(largest, low + span);
    std::pair<std::string, std::string> range{Padded(low, digits), Padded(high, digits)};
    named_.push_back(range.first);
    named_.push_back(range.second);
    return range;
  }

  ir::Condition List(bool may_negate = true) {
    std::vector<std::pair<std::string, std::string>> ranges;
    for (int n = Int(1, 4); n > 0; --n) ranges.push_back(Range());
    return Hs(ranges, may_negate && Chance(0.15));
  }

  ir::Condition Other() {
    switch (Int(0, 3)) {
      case 0: return Symbols(ir::Field::kDirection, {Chance(0.5) ? "import" : "export"}, Chance(0.3));
      case 1: return Symbols(ir::Field::kOrigin, {Chance(0.5) ? "CN" : "NO"}, Chance(0.3));
      case 2: return TwoStep(ir::CompareOp::kEq, Chance(0.5));
      default: return Number(ir::Field::kValue, ir::CompareOp::kGt, "100");
    }
  }

  ir::Condition When() {
    switch (Int(0, 9)) {
      case 0: return True();
      case 1: return Or({List(), List()});
      case 2: return Not(List());
      case 3: return And({List(), List()});
      case 4: return And({List(false), Other(), List()});
      case 5: return And({Other(), Or({List(), Other()})});
      case 6: return List();
      default: return And({List(), Other()});
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> named_;  // codes the rules name, for declarations near them
};

// `sets` rulesets of `rules` rules (plus `extra`), `declarations` each, plan == reference.
// expected_digits >= 0: the HS dimension must index codes up to that many digits.
void CompareWithReference(uint64_t seed, int sets, int rules, int declarations,
                          const std::vector<ir::Rule>& extra = {}, int expected_digits = -1) {
  HsRulesetMaker maker(seed);
  for (int set = 0; set < sets; ++set) {
    const ir::Ruleset rs = maker.Ruleset(rules, extra);
    auto compiled = CompileRuleset(rs);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    if (expected_digits >= 0) {
      bool found = false;
      for (const engine::internal::IndexDimension& dim : engine::internal::PlanOf(**compiled).index.dimensions) {
        if (dim.kind != engine::internal::IndexDimension::Kind::kHs) continue;
        found = true;
        EXPECT_EQ(dim.hs_max_digits, expected_digits);
      }
      EXPECT_TRUE(found);
    }
    const ReferenceEvaluator reference(rs, TestKey());
    for (int i = 0; i < declarations; ++i) {
      const Declaration d = maker.MakeDeclarationNearNamedCodes(i);
      ASSERT_EQ(FromEngine(Decide(*compiled, TestKey(), d, nullptr)), reference.Decide(d, nullptr))
          << "seed " << seed << ", ruleset " << set << ", hs " << d.hs;
    }
  }
}

// One rule naming 17,000 distinct 10-digit codes `step` apart: more named codes than the HS
// dimension holds, so it indexes shorter prefixes (and evaluates the lists it cut).
std::vector<ir::Rule> ManyCodes(int64_t step) {
  std::vector<std::pair<std::string, std::string>> codes;
  for (int i = 0; i < 17'000; ++i) {
    const std::string code = std::to_string(8'400'000'000LL + i * step);
    codes.emplace_back(code, code);
  }
  return {RateRule("many_codes", Hs(codes), 20'000)};
}

TEST(HsIndexTest, SmallRulesets) { CompareWithReference(1, 2000, 8, 100); }
TEST(HsIndexTest, LargerRulesets) { CompareWithReference(2, 100, 150, 500); }
TEST(HsIndexTest, CodesCutToEightDigits) { CompareWithReference(4, 5, 60, 300, ManyCodes(10), 8); }
TEST(HsIndexTest, CodesCutToSixDigits) { CompareWithReference(5, 5, 60, 300, ManyCodes(100), 6); }
TEST(HsIndexTest, CodesCutToHeadings) { CompareWithReference(6, 5, 60, 300, ManyCodes(10'000), 4); }

}  // namespace
}  // namespace bukong::engine
