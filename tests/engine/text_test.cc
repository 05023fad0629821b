// The SPEC §1 example ruleset, compiled from its text, decides as SPEC §2 says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/compile_text.h"
#include "tests/engine/reference.h"
#include "tests/engine/test_util.h"
#include "tests/testing/spec_example.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;
using ::testing::ElementsAre;

constexpr std::string_view kExample = ::bukong::testing::kSpecExample;

class ExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CompileTextResult r = CompileRulesetText(kExample, "example.rules");
    ASSERT_TRUE(r.ok()) << r.status << " diagnostics: " << r.diagnostics.size();
    ruleset_ = r.ruleset;
  }
  Decision Run(const Declaration& d, const Profile* p) {
    auto decision = Decide(ruleset_, TestKey(), d, p);
    EXPECT_TRUE(decision.ok()) << decision.status();
    // Whatever the case, the reference evaluator agrees on every field.
    ReferenceEvaluator reference(ruleset_->ir(), TestKey());
    EXPECT_EQ(FromEngine(decision), reference.Decide(d, p));
    return decision.ok() ? *decision : Decision{};
  }
  std::shared_ptr<const CompiledRuleset> ruleset_;
};

TEST_F(ExampleTest, ColdChainImportGoesToThePort) {
  const Profile general = MakeProfile("general");
  Decision d = Run(MakeDeclaration("D0001", "03038990"), &general);
  EXPECT_EQ(d.RuleName(), "cold_chain_port");
  EXPECT_EQ(d.rate_ppm, 100'000);
  EXPECT_THAT(d.MatchedNames(), ElementsAre("cold_chain_port"));
  EXPECT_EQ(d.ruleset->Id(), "zhejiang-aeo@3");
  EXPECT_EQ(d.ruleset->Sha256().size(), 64u);
  const Profile advanced = MakeProfile("advanced");
  EXPECT_EQ(Run(MakeDeclaration("D0001", "03038990"), &advanced).rate_ppm, 20'000);
  Declaration export_decl = MakeDeclaration("D0001", "03038990");
  export_decl.direction = Direction::kExport;
  EXPECT_EQ(Run(export_decl, &general).RuleName(), "baseline");
}

TEST_F(ExampleTest, WatchlistHolds) {
  const Profile watched = MakeProfile("advanced", "2015-01-01", {"smuggling_watch"});
  Decision d = Run(MakeDeclaration("D2", "03038990"), &watched);
  EXPECT_EQ(d.outcome, Outcome::kHold);
  EXPECT_EQ(d.RuleName(), "watchlist");
  EXPECT_THAT(d.Reasons(), ElementsAre("referred to anti-smuggling"));
  EXPECT_THAT(d.MatchedNames(), ElementsAre("cold_chain_port", "watchlist"));
}

TEST_F(ExampleTest, YoungEnterpriseNeedsValueStrictlyAbove100000) {
  const Profile young = MakeProfile("general", "2021-03-01");
  Declaration d = MakeDeclaration("D3", "8471300000", "2021-05-04");
  d.value = Exact("100000.0");
  EXPECT_TRUE(Run(d, &young).matched.empty());
  d.value = Exact("100000.01");
  EXPECT_THAT(Run(d, &young).MatchedNames(), ElementsAre("young_enterprise"));
}

TEST_F(ExampleTest, RepeatOffenderAtTheTwentyPercentBoundary) {
  const Declaration d = MakeDeclaration("D4", "8471300000");
  const Profile exactly_20 = MakeProfile("advanced", "2015-01-01", {}, 5, 1);
  EXPECT_TRUE(Run(d, &exactly_20).matched.empty());
  const Profile above_20 = MakeProfile("advanced", "2015-01-01", {}, 9, 2);
  Decision x = Run(d, &above_20);
  EXPECT_EQ(x.RuleName(), "repeat_offender");
  EXPECT_EQ(x.rate_ppm, 500'000);  // fixed: not multiplied by advanced's 0.2
}

TEST_F(ExampleTest, HazardousWindowAndOrigins) {
  const Profile general = MakeProfile("general");
  Declaration d = MakeDeclaration("D5", "2801100000", "2021-05-04");
  EXPECT_EQ(Run(d, &general).RuleName(), "hazardous_chem");
  d.origin = "KP";
  EXPECT_EQ(Run(d, &general).RuleName(), "baseline");
  d = MakeDeclaration("D5", "2801100000", "2022-01-01");
  EXPECT_EQ(Run(d, &general).RuleName(), "baseline");
  d = MakeDeclaration("D5", "2801100000", "2021-04-01");
  EXPECT_EQ(Run(d, &general).RuleName(), "hazardous_chem");
}

TEST_F(ExampleTest, DishonestFloorAndCccDestination) {
  const Profile dishonest = MakeProfile("dishonest");
  Decision d = Run(MakeDeclaration("D6", "8471300000"), &dishonest);
  EXPECT_EQ(d.RuleName(), "baseline");
  EXPECT_EQ(d.rate_ppm, 800'000);
  Declaration ccc = MakeDeclaration("D7", "8516100000");
  ccc.two_step = true;
  const Profile general = MakeProfile("general");
  Decision c = Run(ccc, &general);
  EXPECT_EQ(c.RuleName(), "ccc_destination");
  EXPECT_EQ(c.rate_ppm, 40'000);
  if (c.outcome == Outcome::kInspect) {
    EXPECT_EQ(c.site, ir::Site::kDestination);
  }
}

TEST_F(ExampleTest, FieldsReadAreThoseTheConditionsName) {
  EXPECT_TRUE(ruleset_->Reads(ir::Field::kOrigin));
  EXPECT_TRUE(ruleset_->Reads(ir::Field::kValue));
  EXPECT_TRUE(ruleset_->Reads(ir::Field::kTwoStep));
  EXPECT_FALSE(ruleset_->Reads(ir::Field::kPort));
  EXPECT_FALSE(ruleset_->Reads(ir::Field::kWeight));
  Declaration d = MakeDeclaration("D8", "8471300000");
  d.present &= ~(kHasPort | kHasWeight | kHasMode);  // unread: may be absent
  EXPECT_TRUE(Decide(ruleset_, TestKey(), d, nullptr).ok());
}

TEST(CompileTextTest, ErrorsComeBackAsDiagnosticsAndNoRuleset) {
  CompileTextResult r = CompileRulesetText("ruleset \"x\" version 1\nrule r when value > \"x\" then rate 5%\n",
                                           "bad.rules");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.diagnostics.empty());
  EXPECT_TRUE(r.status.ok());
}

}  // namespace
}  // namespace bukong::engine
