// The plan (index, interned symbols, precomputed rates) against the naive reference evaluator:
// random IR rulesets of many shapes x 100,000 random declarations and profiles; every field of
// every decision must agree, rejections included.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "tests/engine/random_ir.h"
#include "tests/engine/reference.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

void RunDifferential(uint64_t seed, int rulesets, int declarations_each, int max_rules) {
  RandomIr random(seed);
  const SelectionKey key = TestKey();
  int compared = 0, inspected = 0, held = 0, rejected = 0, by_rule = 0;
  for (int s = 0; s < rulesets; ++s) {
    const ir::Ruleset rs = random.Ruleset(max_rules);
    auto compiled = CompileRuleset(rs);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    const ReferenceEvaluator reference(rs, key);
    for (int i = 0; i < declarations_each; ++i) {
      const Declaration d = random.MakeDecl(s * declarations_each + i);
      const std::optional<Profile> p = random.MakeProfile(d.date);
      const Profile* profile = p ? &*p : nullptr;
      const RefDecision expected = reference.Decide(d, profile);
      const RefDecision actual = FromEngine(Decide(*compiled, key, d, profile));
      ASSERT_EQ(actual, expected) << "seed " << seed << " ruleset " << s << " declaration " << i;
      ++compared;
      rejected += !expected.error.empty();
      inspected += expected.outcome == "inspect";
      held += expected.outcome == "hold";
      by_rule += expected.error.empty() && expected.rule != "baseline";
    }
  }
  // The generator must exercise every branch, or the comparison proves little.
  EXPECT_EQ(compared, rulesets * declarations_each);
  EXPECT_GT(inspected, compared / 20);
  EXPECT_GT(held, compared / 200);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(by_rule, compared / 10);
}

TEST(DifferentialTest, SmallRulesets) { RunDifferential(1, 200, 250, 12); }
TEST(DifferentialTest, LargerRulesets) { RunDifferential(2, 50, 1000, 80); }

}  // namespace
}  // namespace bukong::engine
