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
  gen::ProfileOptions po;
  po.seed = seed;
  po.count = kProfiles;
  gen::ProfileGenerator profile_gen(po);
  absl::flat_hash_map<std::string, Profile> profiles;
  for (uint64_t i = 0; i < kProfiles; ++i) {
    Profile p = profile_gen.At(i);
    profiles.emplace(p.id, std::move(p));
  }
  gen::DeclarationOptions dopt;
  dopt.seed = seed;
  dopt.count = declarations;
  dopt.profiles = kProfiles;
  gen::DeclarationGenerator declaration_gen(dopt);
  ingest::DeclarationParser parser(compiled.ruleset->FieldsRead());
  std::string line;
  int matched = 0, held = 0, inspected = 0, without_profile = 0;
  for (uint64_t i = 0; i < declarations; ++i) {
    line.clear();
    declaration_gen.AppendJsonLine(i, &line);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    Declaration d;
    ASSERT_TRUE(parser.Parse(line, &d).ok()) << line;
    auto it = profiles.find(d.enterprise);
    const Profile* p = it == profiles.end() ? nullptr : &it->second;
    without_profile += p == nullptr;
    const RefDecision expected = reference.Decide(d, p);
    const RefDecision actual = FromEngine(Decide(compiled.ruleset, TestKey(), d, p));
    ASSERT_EQ(actual, expected) << line;
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
