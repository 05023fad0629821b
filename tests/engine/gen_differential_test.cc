// The engine against the reference evaluator on the project's generated traffic: ruleset
// TEXT from gen/ compiled by the real compiler, declarations from gen/ parsed by the real
// JSON Lines reader, profiles from gen/. Complements differential_test.cc (random IR of odd
// shapes) with the shapes real rule files have.
#include <gtest/gtest.h>

#include "absl/container/flat_hash_map.h"
#include "engine/compile_text.h"
#include "gen/declarations.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"
#include "tests/engine/reference.h"
#include "tests/engine/generated_traffic.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

void Compare(uint64_t seed, uint64_t rules, uint64_t declarations) {
  gen::RulesetOptions ro;
  ro.seed = seed;
  ro.rules = rules;
  const std::string text = gen::GenerateRuleset(ro);
  CompileTextResult compiled = CompileRulesetText(text, "gen.rules");
  ASSERT_TRUE(compiled.ok()) << compiled.status << " " << compiled.diagnostics.size();
  const ReferenceEvaluator reference(compiled.ruleset->ir(), TestKey());

  constexpr uint64_t kProfiles = 5000;
  GeneratedTraffic traffic({.seed = seed, .count = kProfiles},
                           {.seed = seed, .count = declarations, .profiles = kProfiles},
                           compiled.ruleset->FieldsRead());
  int matched = 0, held = 0, inspected = 0, without_profile = 0;
  for (uint64_t i = 0; i < declarations; ++i) {
    Declaration d;
    ASSERT_TRUE(traffic.Parse(i, &d)) << traffic.line();
    const Profile* p = traffic.ProfileOf(d);
    without_profile += p == nullptr;
    const RefDecision expected = reference.Decide(d, p);
    const RefDecision actual = FromEngine(Decide(compiled.ruleset, TestKey(), d, p));
    ASSERT_EQ(actual, expected) << traffic.line();
    matched += static_cast<int>(expected.matched.size());
    held += expected.outcome == "hold";
    inspected += expected.outcome == "inspect";
  }
  // Generated traffic matches a handful of rules per declaration, as real targeting does.
  EXPECT_GT(matched, static_cast<int>(declarations));
  EXPECT_GT(inspected, 0);
  EXPECT_GT(without_profile, 0);
}

TEST(GenDifferentialTest, TwoHundredRules) { Compare(7, 200, 30'000); }
TEST(GenDifferentialTest, TwoThousandRules) { Compare(8, 2'000, 10'000); }
// The size of the 10,000-rule benchmark: HS lists by the hundred share codes and prefixes.
TEST(GenDifferentialTest, TenThousandRules) { Compare(9, 10'000, 3'000); }

}  // namespace
}  // namespace bukong::engine
