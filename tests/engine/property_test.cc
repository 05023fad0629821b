// Properties of SPEC §2 over many declarations: determinism, monotonicity in the rates,
// realized shares within binomial bounds of the stated rates, grade factors.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"
#include "tests/engine/random_ir.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

std::shared_ptr<const CompiledRuleset> MustCompile(ir::Ruleset rs) {
  auto compiled = CompileRuleset(std::move(rs));
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

// True when k successes in n trials lie in the two-sided 99.9% normal-approximation
// interval of a binomial(n, p): |k - np| <= 3.2905 sqrt(np(1-p)).
bool WithinBinomial999(int64_t k, int64_t n, double p) {
  const double mean = n * p;
  const double sd = std::sqrt(n * p * (1 - p));
  return std::fabs(static_cast<double>(k) - mean) <= 3.2905 * sd;
}

TEST(PropertyTest, DeterministicAcrossCompilationsOrderAndEngines) {
  RandomIr random(11);
  const ir::Ruleset rs = random.Ruleset(40);
  auto one = MustCompile(rs), two = MustCompile(rs);
  Engine engine(TestKey(), one);
  std::vector<Declaration> ds;
  std::vector<std::optional<Profile>> ps;
  for (int i = 0; i < 3000; ++i) {
    ds.push_back(random.MakeDecl(i));
    ps.push_back(random.MakeProfile(ds.back().date));
  }
  std::vector<absl::StatusOr<Decision>> forward;
  for (size_t i = 0; i < ds.size(); ++i)
    forward.push_back(Decide(one, TestKey(), ds[i], ps[i] ? &*ps[i] : nullptr));
  for (size_t j = ds.size(); j-- > 0;) {
    auto again = Decide(two, TestKey(), ds[j], ps[j] ? &*ps[j] : nullptr);
    auto via_engine = engine.Decide(ds[j], ps[j] ? &*ps[j] : nullptr);
    ASSERT_EQ(again.ok(), forward[j].ok());
    ASSERT_EQ(via_engine.ok(), forward[j].ok());
    if (!again.ok()) continue;
    EXPECT_EQ(*again, *forward[j]);
    EXPECT_EQ(*via_engine, *forward[j]);
    EXPECT_EQ(DecisionToJson(*again), DecisionToJson(*forward[j]));
  }
}

TEST(PropertyTest, RaisingAnyRateNeverReleasesAnInspectedDeclaration) {
  RandomIr random(12);
  int checked_inspections = 0, newly_inspected = 0;
  for (int s = 0; s < 60; ++s) {
    const ir::Ruleset before = random.Ruleset(30);
    ir::Ruleset after = before;
    // Raise one rate: a random rule's, or the baseline's.
    const int which = random.Int(-1, static_cast<int>(after.rules.size()) - 1);
    ir::Action& action = which < 0 ? after.baseline : after.rules[which].then;
    if (action.hold) continue;
    action.rate = std::min<ir::Ppm>(ir::kMillion, action.rate + random.Int(1, 400'000));
    auto b = MustCompile(before), a = MustCompile(after);
    for (int i = 0; i < 2000; ++i) {
      const Declaration d = random.MakeDecl(i);
      const std::optional<Profile> p = random.MakeProfile(d.date);
      auto x = Decide(b, TestKey(), d, p ? &*p : nullptr);
      auto y = Decide(a, TestKey(), d, p ? &*p : nullptr);
      ASSERT_EQ(x.ok(), y.ok());
      if (!x.ok()) continue;
      EXPECT_EQ(x->select_draw.has_value() && y->select_draw.has_value()
                    ? *x->select_draw == *y->select_draw
                    : true,
                true);  // draws depend only on K and the id
      EXPECT_GE(y->rate_ppm, x->rate_ppm) << d.id;
      if (x->outcome == Outcome::kInspect) {
        ++checked_inspections;
        EXPECT_EQ(y->outcome, Outcome::kInspect) << "ruleset " << s << " " << d.id;
      }
      if (x->outcome == Outcome::kRelease && y->outcome == Outcome::kInspect) ++newly_inspected;
      if (x->outcome == Outcome::kHold) {
        EXPECT_EQ(y->outcome, Outcome::kHold);
      }
    }
  }
  EXPECT_GT(checked_inspections, 1000);
  EXPECT_GT(newly_inspected, 100);
}

TEST(PropertyTest, RealizedSharesLieWithinBinomialBoundsOfTheRates) {
  ir::Ruleset rs = ExampleShell();
  rs.baseline.rate = 30'000;
  rs.rules = {RateRule("chapter_03", Hs({{"03", "03"}}), 100'000, 600'000, 300'000)};
  auto compiled = MustCompile(rs);
  constexpr int kN = 200'000;
  int64_t n03 = 0, inspected03 = 0, port03 = 0, nii03 = 0;
  int64_t nother = 0, inspected_other = 0, port_other = 0, nii_other = 0;
  for (int i = 0; i < kN; ++i) {
    const bool ch03 = i % 2 == 0;
    const Declaration d = MakeDeclaration("S" + std::to_string(i), ch03 ? "0303899000" : "8471300000");
    auto decision = Decide(compiled, TestKey(), d, nullptr);
    ASSERT_TRUE(decision.ok());
    const bool inspected = decision->outcome == Outcome::kInspect;
    const bool port = inspected && decision->site == ir::Site::kPort;
    const bool nii = inspected && decision->method == ir::Method::kNii;
    (ch03 ? n03 : nother) += 1;
    (ch03 ? inspected03 : inspected_other) += inspected;
    (ch03 ? port03 : port_other) += port;
    (ch03 ? nii03 : nii_other) += nii;
  }
  EXPECT_TRUE(WithinBinomial999(inspected03, n03, 0.10)) << inspected03 << "/" << n03;
  EXPECT_TRUE(WithinBinomial999(port03, inspected03, 0.60)) << port03 << "/" << inspected03;
  EXPECT_TRUE(WithinBinomial999(nii03, inspected03, 0.30)) << nii03 << "/" << inspected03;
  EXPECT_TRUE(WithinBinomial999(inspected_other, nother, 0.03));
  EXPECT_TRUE(WithinBinomial999(port_other, inspected_other, 0.50));
  EXPECT_TRUE(WithinBinomial999(nii_other, inspected_other, 0.60));
}

TEST(PropertyTest, FactorPointTwoInspectsAboutAFifthAsOftenOnTheSameTraffic) {
  ir::Ruleset rs = ExampleShell();  // advanced factor 0.2, general 1.0
  rs.baseline.rate = 100'000;
  auto compiled = MustCompile(rs);
  const Profile advanced = MakeProfile("advanced"), general = MakeProfile("general");
  constexpr int kN = 200'000;
  int64_t adv = 0, gen = 0;
  for (int i = 0; i < kN; ++i) {
    const Declaration d = MakeDeclaration("F" + std::to_string(i));
    auto a = Decide(compiled, TestKey(), d, &advanced);
    auto g = Decide(compiled, TestKey(), d, &general);
    ASSERT_TRUE(a.ok() && g.ok());
    EXPECT_EQ(a->rate_ppm, 20'000);
    EXPECT_EQ(g->rate_ppm, 100'000);
    adv += a->outcome == Outcome::kInspect;
    gen += g->outcome == Outcome::kInspect;
    // Same draw, lower threshold: an advanced inspection is always a general one too.
    if (a->outcome == Outcome::kInspect) {
      EXPECT_EQ(g->outcome, Outcome::kInspect);
    }
  }
  EXPECT_TRUE(WithinBinomial999(adv, kN, 0.02)) << adv;
  EXPECT_TRUE(WithinBinomial999(gen, kN, 0.10)) << gen;
  const double ratio = static_cast<double>(adv) / static_cast<double>(gen);
  EXPECT_NEAR(ratio, 0.2, 0.02) << adv << "/" << gen;
}

}  // namespace
}  // namespace bukong::engine
