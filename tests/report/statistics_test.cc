// The statistics core of issue #15 against published and independently computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "report/efficacy.h"
#include "report/interval.h"
#include "report/statutory.h"
#include "report/tables.h"
#include "report/workload.h"

namespace bukong::report {
namespace {

// Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
// methods", Statistics in Medicine 17 (1998) 857-872, Table II, method 3 (score interval
// without continuity correction), to the 4 decimals published.
TEST(WilsonTest, MatchesNewcombe1998) {
  struct Case {
    uint64_t k, n;
    double low, high;
  } cases[] = {{81, 263, 0.2553, 0.3662},
               {15, 148, 0.0624, 0.1605},
               {0, 20, 0.0, 0.1611},
               {1, 29, 0.0061, 0.1718}};
  for (const Case& c : cases) {
    auto p = Wilson(c.k, c.n);
    ASSERT_TRUE(p.has_value());
    EXPECT_NEAR(p->value, static_cast<double>(c.k) / c.n, 1e-12);
    EXPECT_NEAR(p->ci.low, c.low, 0.00005) << c.k << "/" << c.n;
    EXPECT_NEAR(p->ci.high, c.high, 0.00005) << c.k << "/" << c.n;
  }
}

TEST(WilsonTest, EdgesAndNothingObserved) {
  EXPECT_FALSE(Wilson(0, 0).has_value());
  EXPECT_FALSE(Wilson(3, 2).has_value());
  auto all = Wilson(20, 20);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->ci.high, 1.0);
  EXPECT_NEAR(all->ci.low, 1.0 - 0.1611, 0.00005);  // mirror of 0/20
  // Narrower with more data around the same proportion.
  EXPECT_LT(Wilson(500, 5000)->ci.Width(), Wilson(5, 50)->ci.Width());
}

// Reference values computed independently with python3 (statistics.NormalDist().inv_cdf(
// 0.975) for z, and R·exp(±z·sqrt(1/a − 1/m + 1/b − 1/k))):
//   25/432 over 300/3000 -> 0.578704 [0.389730, 0.859307]
//   (0+0.5)/(432+1) over (10+0.5)/(100+1) -> high 0.187987
TEST(KatzTest, MatchesIndependentComputation) {
  auto r = KatzRatio(25, 432, 300, 3000);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->value.has_value());
  EXPECT_NEAR(*r->value, 0.578704, 5e-7);
  EXPECT_NEAR(r->ci.low, 0.389730, 5e-7);
  EXPECT_NEAR(r->ci.high, 0.859307, 5e-7);
  EXPECT_FALSE(r->corrected);

  auto zero = KatzRatio(0, 432, 10, 100);
  ASSERT_TRUE(zero.has_value());
  EXPECT_TRUE(zero->corrected);
  EXPECT_EQ(*zero->value, 0.0);
  EXPECT_EQ(zero->ci.low, 0.0);
  EXPECT_NEAR(zero->ci.high, 0.187987, 5e-7);

  auto unbounded = KatzRatio(3, 100, 0, 100);
  ASSERT_TRUE(unbounded.has_value());
  EXPECT_FALSE(unbounded->value.has_value());
  EXPECT_TRUE(std::isinf(unbounded->ci.high));

  // 1 of 1 over 4 of 40: without the correction the numerator's variance term is 0 and the
  // interval would start at 3.95; corrected (1.5/2 over 4.5/41, python3 as above):
  // [2.092814, 22.311803].
  auto one = KatzRatio(1, 1, 4, 40);
  ASSERT_TRUE(one.has_value());
  EXPECT_TRUE(one->corrected);
  EXPECT_NEAR(*one->value, 10.0, 1e-12);
  EXPECT_NEAR(one->ci.low, 2.092814, 5e-7);
  EXPECT_NEAR(one->ci.high, 22.311803, 5e-7);

  EXPECT_FALSE(KatzRatio(0, 10, 0, 10).has_value());
  EXPECT_FALSE(KatzRatio(1, 0, 1, 10).has_value());
}

TEST(VerdictTest, WholeIntervalDecides) {
  EXPECT_EQ(Judge({0.05, 0.15}, Op::kLess, 0.2), Verdict::kHolds);
  EXPECT_EQ(Judge({0.15, 0.25}, Op::kLess, 0.2), Verdict::kUndetermined);
  EXPECT_EQ(Judge({0.21, 0.30}, Op::kLess, 0.2), Verdict::kViolated);
  EXPECT_EQ(Judge({0.10, 0.20}, Op::kLess, 0.2), Verdict::kUndetermined);  // 0.2 is not < 0.2
  EXPECT_EQ(Judge({0.10, 0.20}, Op::kLessEqual, 0.2), Verdict::kHolds);
  EXPECT_EQ(Judge({0.20, 0.30}, Op::kLess, 0.2), Verdict::kViolated);
  EXPECT_EQ(Judge({0.81, 0.90}, Op::kGreaterEqual, 0.8), Verdict::kHolds);
  EXPECT_EQ(Judge({0.70, 0.79}, Op::kGreaterEqual, 0.8), Verdict::kViolated);
  EXPECT_EQ(Judge({0.75, 0.85}, Op::kGreaterEqual, 0.8), Verdict::kUndetermined);
  EXPECT_EQ(Judge({0.80, 0.85}, Op::kGreater, 0.8), Verdict::kUndetermined);
}

// Order 237's grades: the derivation finds the law's three measures, by label.
TEST(StatutoryTest, RegimeRequirementsOfOrder237) {
  std::vector<GradeInfo> grades = {{"advanced", "高级认证企业", 0.15, std::nullopt},
                                   {"certified", "一般认证企业", 0.4, std::nullopt},
                                   {"general", "一般信用企业", 1.0, std::nullopt},
                                   {"dishonest", "失信企业", 1.0, 0.8}};
  auto reqs = RegimeRequirements(grades, std::string("general"));
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(DescribeRequirement(reqs[0]), "advanced discretionary rate < 20% of general's");
  EXPECT_EQ(DescribeRequirement(reqs[1]), "certified discretionary rate < 50% of general's");
  EXPECT_EQ(DescribeRequirement(reqs[2]), "dishonest rate >= 80%");
  // Without a reference grade only the floor remains.
  EXPECT_EQ(RegimeRequirements(grades, std::nullopt).size(), 1u);
}

DecisionFacts Facts(std::string grade, Outcome outcome, bool mandated = false) {
  DecisionFacts f;
  f.grade = std::move(grade);
  f.outcome = outcome;
  f.mandated = mandated;
  f.at_port = true;
  return f;
}

StatsReport Stats(int adv_n, int adv_x, int gen_n, int gen_x, int dis_n, int dis_x) {
  StatsAccumulator acc;
  for (int i = 0; i < adv_n; ++i)
    acc.Add(Facts("advanced", i < adv_x ? Outcome::kInspect : Outcome::kRelease));
  for (int i = 0; i < gen_n; ++i)
    acc.Add(Facts("general", i < gen_x ? Outcome::kInspect : Outcome::kRelease));
  for (int i = 0; i < dis_n; ++i)
    acc.Add(Facts("dishonest", i < dis_x ? Outcome::kHold : Outcome::kRelease));
  return acc.Finish({"advanced", "general", "dishonest"}, std::string("general"));
}

TEST(StatutoryTest, NoisyRatioIsUndeterminedNotViolated) {
  std::vector<Requirement> reqs = {
      {"advanced", Op::kLess, 0.5, std::string("general"), "test", std::nullopt},
      {"dishonest", Op::kGreaterEqual, 0.8, std::nullopt, "test", std::nullopt}};
  // The demo's situation: 58% of the reference rate, on a few hundred declarations.
  auto noisy = EvaluateRequirements(reqs, Stats(432, 7, 1500, 30, 50, 42));
  ASSERT_EQ(noisy.size(), 2u);
  EXPECT_NEAR(*noisy[0].value, (7.0 / 432) / (30.0 / 1500), 1e-12);
  EXPECT_GT(*noisy[0].value, 0.5);
  EXPECT_EQ(noisy[0].verdict, Verdict::kUndetermined);
  EXPECT_EQ(noisy[0].x, 7u);
  EXPECT_EQ(noisy[0].n_of, 1500u);
  EXPECT_EQ(noisy[1].verdict, Verdict::kUndetermined);  // 84% of 50: [71.5, 91.7]
  // Plenty of data on each side of the line.
  auto clear = EvaluateRequirements(reqs, Stats(20000, 100, 20000, 600, 2000, 1800));
  EXPECT_EQ(clear[0].verdict, Verdict::kHolds);
  EXPECT_EQ(clear[1].verdict, Verdict::kHolds);
  auto broken = EvaluateRequirements(reqs, Stats(20000, 500, 20000, 600, 2000, 1400));
  EXPECT_EQ(broken[0].verdict, Verdict::kViolated);
  EXPECT_EQ(broken[1].verdict, Verdict::kViolated);
  // A grade without traffic: no value, undetermined.
  auto none = EvaluateRequirements(reqs, Stats(0, 0, 100, 5, 0, 0));
  EXPECT_FALSE(none[0].value.has_value());
  EXPECT_EQ(none[1].verdict, Verdict::kUndetermined);
  const std::string text = FormatChecksText(clear);
  EXPECT_NE(text.find("holds"), std::string::npos);
  EXPECT_NE(text.find("Wilson"), std::string::npos);
  EXPECT_NE(text.find("Katz"), std::string::npos);
}

TEST(StatsTextTest, EveryRatioCarriesItsInterval) {
  const std::string text = FormatStatsText(Stats(432, 7, 1500, 30, 50, 42));
  // advanced: 7/432 over 30/1500 = 81.02%, never alone.
  EXPECT_NE(text.find("81.02% ["), std::string::npos) << text;
  EXPECT_NE(text.find("Wilson score interval"), std::string::npos);
}

TEST(EfficacyTest, CountsPerRuleAndLiftOverBaseline) {
  EfficacyAccumulator acc;
  std::vector<std::string> both = {"cold_chain", "young"};
  std::vector<std::string> young = {"young"};
  std::vector<std::string> none;
  // cold_chain wins 10 inspections, 6 with outcomes, 3 hits; also matched by young.
  for (int i = 0; i < 10; ++i) {
    std::optional<bool> hit;
    if (i < 6) hit = i < 3;
    acc.Add({"cold_chain", &both, Outcome::kInspect, hit, "", std::nullopt});
  }
  // young wins 20 inspections with outcomes, no hit: costs inspections, finds nothing.
  for (int i = 0; i < 20; ++i) acc.Add({"young", &young, Outcome::kInspect, false, "", std::nullopt});
  // young matched but released 5 times.
  for (int i = 0; i < 5; ++i) acc.Add({"young", &young, Outcome::kRelease, std::nullopt, "", std::nullopt});
  // the baseline: 40 inspections with outcomes, 4 hits; 100 releases, one post-clearance hit.
  for (int i = 0; i < 40; ++i) acc.Add({"baseline", &none, Outcome::kInspect, i < 4, "", std::nullopt});
  for (int i = 0; i < 100; ++i) {
    acc.Add({"baseline", &none, Outcome::kRelease,
             i == 0 ? std::optional<bool>(true) : std::nullopt, "", std::nullopt});
  }
  EfficacyReport r = acc.Finish();
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].key, "young");       // finds nothing on 20 known outcomes: first
  EXPECT_EQ(r.rows[0].declarations, 35u);  // also matched beside cold_chain
  EXPECT_EQ(r.rows[0].won, 20u);
  EXPECT_EQ(r.rows[0].hits, 0u);
  const EfficacyRow* cold = nullptr;
  for (const auto& row : r.rows) {
    if (row.key == "cold_chain") cold = &row;
  }
  ASSERT_NE(cold, nullptr);
  EXPECT_EQ(cold->declarations, 10u);
  EXPECT_EQ(cold->inspected, 10u);
  EXPECT_EQ(cold->known, 6u);
  EXPECT_EQ(cold->hits, 3u);
  EXPECT_NEAR(cold->hit_rate->value, 0.5, 1e-12);
  EXPECT_NEAR(*cold->lift->value, 0.5 / 0.1, 1e-12);  // over the baseline's 4/40
  EXPECT_EQ(r.random.known, 40u);
  EXPECT_EQ(r.random.hits, 4u);
  EXPECT_EQ(r.outcomes_unflagged, 1u);
  EXPECT_EQ(r.hits_unflagged, 1u);
  EXPECT_NE(FormatEfficacyText(r).find("inspections won by the baseline"), std::string::npos);
  EXPECT_NE(EfficacyCsv(r, "rs@1", true).find("rs@1,rule,young,35,20,20,0,20,0,0.000000"),
            std::string::npos);
}

TEST(EfficacyTest, GroupsByKey) {
  EfficacyAccumulator acc(EfficacyBy::kPort);
  acc.Add({"baseline", nullptr, Outcome::kInspect, true, "3100", std::nullopt});
  acc.Add({"r1", nullptr, Outcome::kHold, false, "3100", std::nullopt});
  acc.Add({"r1", nullptr, Outcome::kRelease, std::nullopt, "2248", std::nullopt});
  EfficacyReport r = acc.Finish();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].key, "3100");
  EXPECT_EQ(r.rows[0].declarations, 2u);
  EXPECT_EQ(r.rows[0].won, 2u);
  EXPECT_EQ(r.rows[0].holds, 1u);
  EXPECT_EQ(r.rows[0].known, 2u);
  EXPECT_EQ(r.rows[1].key, "2248");
  EXPECT_FALSE(r.rows[1].hit_rate.has_value());
  EXPECT_NE(FormatEfficacyText(r).find("baseline (random checks)"), std::string::npos);
}

TEST(WorkloadTest, WeeksStartOnMondayAndSplitSiteAndMethod) {
  // 2021-01-04 was a Monday; 2021-01-10 a Sunday; 2021-01-11 the next Monday.
  EXPECT_EQ(FormatIsoDate(PeriodStart(*ParseIsoDate("2021-01-10"), Period::kWeek)), "2021-01-04");
  EXPECT_EQ(FormatIsoDate(PeriodStart(*ParseIsoDate("2021-01-11"), Period::kWeek)), "2021-01-11");
  EXPECT_EQ(FormatIsoDate(PeriodStart(*ParseIsoDate("1969-12-31"), Period::kWeek)), "1969-12-29");
  WorkloadAccumulator acc(Period::kWeek);
  DecisionFacts port_nii = Facts("g", Outcome::kInspect);
  port_nii.nii = true;
  DecisionFacts dest_manual = Facts("g", Outcome::kInspect);
  dest_manual.at_port = false;
  acc.Add(*ParseIsoDate("2021-01-05"), port_nii);
  acc.Add(*ParseIsoDate("2021-01-10"), dest_manual);
  acc.Add(*ParseIsoDate("2021-01-12"), Facts("g", Outcome::kHold));
  acc.Add(*ParseIsoDate("2021-01-12"), Facts("g", Outcome::kRelease));
  auto rows = acc.Finish();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].period, "2021-01-04");
  EXPECT_EQ(rows[0].port_nii, 1u);
  EXPECT_EQ(rows[0].destination_manual, 1u);
  EXPECT_EQ(rows[0].Inspections(), 2u);
  EXPECT_EQ(rows[1].declarations, 2u);
  EXPECT_EQ(rows[1].holds, 1u);
  EXPECT_EQ(rows[1].Inspections(), 0u);
  EXPECT_EQ(WorkloadCsv(rows, "a,b", true).substr(0, 15), "ruleset,period,");
  EXPECT_NE(WorkloadCsv(rows, "a,b", false).find("\"a,b\",2021-01-04,2,1,0,0,1,2,0"),
            std::string::npos);
}

}  // namespace
}  // namespace bukong::report
