#include "report/report.h"

#include <gtest/gtest.h>

#include "report/efficacy.h"
#include "report/statutory.h"

namespace bukong::report {
namespace {

DecisionFacts Facts(std::string grade, Outcome outcome, bool mandated = false,
                    bool port = true, bool nii = false, std::string chapter = "85") {
  DecisionFacts f;
  f.grade = std::move(grade);
  f.hs_chapter = std::move(chapter);
  f.outcome = outcome;
  f.mandated = mandated;
  f.at_port = port;
  f.nii = nii;
  return f;
}

TEST(TallyTest, SplitsDiscretionaryMandatedAndHolds) {
  Tally t;
  t.Add(Facts("g", Outcome::kRelease));
  t.Add(Facts("g", Outcome::kInspect, /*mandated=*/false, /*port=*/true, /*nii=*/true));
  t.Add(Facts("g", Outcome::kInspect, /*mandated=*/true, /*port=*/false, /*nii=*/false));
  t.Add(Facts("g", Outcome::kHold));
  EXPECT_EQ(t.declarations, 4u);
  EXPECT_EQ(t.inspections, 2u);
  EXPECT_EQ(t.discretionary, 1u);
  EXPECT_EQ(t.mandated, 1u);
  EXPECT_EQ(t.holds, 1u);
  EXPECT_EQ(t.at_port, 1u);
  EXPECT_EQ(t.nii, 1u);
  EXPECT_DOUBLE_EQ(t.Rate(), 0.75);
  EXPECT_DOUBLE_EQ(t.DiscretionaryRate(), 0.25);
  EXPECT_DOUBLE_EQ(t.MandatedRate(), 0.5);
}

TEST(StatsTest, RatioToReferenceUsesDiscretionaryRates) {
  StatsAccumulator stats;
  // general: 10 declarations, 5 discretionary inspections (50%).
  for (int i = 0; i < 10; ++i) stats.Add(Facts("general", i < 5 ? Outcome::kInspect : Outcome::kRelease));
  // advanced: 10 declarations, 1 discretionary and 3 mandated inspections.
  for (int i = 0; i < 10; ++i) {
    stats.Add(Facts("advanced", i < 4 ? Outcome::kInspect : Outcome::kRelease, /*mandated=*/i > 0));
  }
  StatsReport r = stats.Finish({"advanced", "general", "dishonest"}, std::string("general"));
  ASSERT_EQ(r.grades.size(), 3u);
  EXPECT_EQ(r.grades[0].grade, "advanced");
  EXPECT_DOUBLE_EQ(*r.grades[0].ratio_to_reference, 0.2);
  EXPECT_DOUBLE_EQ(*r.grades[0].total_ratio_to_reference, 0.8);
  EXPECT_DOUBLE_EQ(*r.grades[1].ratio_to_reference, 1.0);
  EXPECT_EQ(r.grades[2].tally.declarations, 0u);  // declared grade without traffic is listed
  EXPECT_EQ(r.total.declarations, 20u);
  EXPECT_NE(FormatStatsText(r).find("general (ref)"), std::string::npos);
  EXPECT_NE(FormatStatsJson(r).find("\"reference_grade\":\"general\""), std::string::npos);
}

TEST(StatsTest, NoReferenceGradeGivesNoRatio) {
  StatsAccumulator stats;
  stats.Add(Facts("a", Outcome::kInspect));
  StatsReport r = stats.Finish({"a"}, std::nullopt);
  EXPECT_FALSE(r.grades[0].ratio_to_reference.has_value());
  EXPECT_NE(FormatStatsJson(r).find("\"ratio_to_reference\":null"), std::string::npos);
}

TEST(WhatIfTest, CountsNewlyInspectedReleasedAndHits) {
  WhatIfAccumulator w;
  // released -> inspected, with a hit outcome
  w.Add("D1", Facts("general", Outcome::kRelease), Facts("general", Outcome::kInspect), true);
  // inspected -> released, clean outcome
  w.Add("D2", Facts("general", Outcome::kInspect), Facts("general", Outcome::kRelease), false);
  // hold stays hold, hit outcome
  w.Add("D3", Facts("advanced", Outcome::kHold, true, true, false, "02"),
        Facts("advanced", Outcome::kHold, true, true, false, "02"), true);
  // unchanged release, no outcome
  w.Add("D4", Facts("general", Outcome::kRelease), Facts("general", Outcome::kRelease),
        std::nullopt);
  // the new ruleset does not know the grade
  w.Add("D5", Facts("gone", Outcome::kRelease), std::nullopt, std::nullopt);
  WhatIfReport r = w.Finish({"advanced", "general"});
  EXPECT_EQ(r.total.newly_inspected, 1u);
  EXPECT_EQ(r.total.newly_released, 1u);
  EXPECT_EQ(r.total.with_outcome, 3u);
  EXPECT_EQ(r.total.hits, 2u);
  EXPECT_EQ(r.total.hits_before, 1u);  // D3 held before; D1 was released
  EXPECT_EQ(r.total.hits_after, 2u);   // D1 inspected, D3 held
  EXPECT_EQ(r.total.before.holds, 1u);
  EXPECT_EQ(r.total.after.inspections, 1u);
  EXPECT_EQ(r.undecidable, 1u);
  ASSERT_EQ(r.undecidable_examples.size(), 1u);
  EXPECT_EQ(r.undecidable_examples[0], "D5");
  ASSERT_EQ(r.by_grade.size(), 2u);
  EXPECT_EQ(r.by_grade[0].first, "advanced");
  ASSERT_EQ(r.by_chapter.size(), 2u);
  EXPECT_EQ(r.by_chapter[0].first, "02");
  EXPECT_EQ(r.by_chapter[1].second.before.declarations, 3u);
  EXPECT_NE(FormatWhatIfText(r).find("undecidable under the new ruleset"), std::string::npos);
  EXPECT_NE(FormatWhatIfJson(r).find("\"undecidable_examples\":[\"D5\"]"), std::string::npos);
}

TEST(WhatIfTest, SameDecisionsReportNoChange) {
  WhatIfAccumulator w;
  for (int i = 0; i < 50; ++i) {
    DecisionFacts f = Facts("general", i % 3 ? Outcome::kRelease : Outcome::kInspect);
    w.Add("D", f, f, i % 2 == 0);
  }
  WhatIfReport r = w.Finish({"general"});
  EXPECT_EQ(r.total.newly_inspected, 0u);
  EXPECT_EQ(r.total.newly_released, 0u);
  EXPECT_EQ(r.total.hits_before, r.total.hits_after);
  EXPECT_EQ(r.total.before.inspections, r.total.after.inspections);
}

// SPEC §7.3: an inspection made by the sample alone is discretionary even when the winner is
// a fixed rule (FactsOf marks it mandated = false; Tally does not trust a caller that forgot).
TEST(SampleTest, SampleOnlyInspectionsAreDiscretionary) {
  Tally t;
  DecisionFacts by_sample = Facts("g", Outcome::kInspect, /*mandated=*/true);
  by_sample.sampled = true;
  by_sample.by_sample = true;
  t.Add(by_sample);
  DecisionFacts by_risk = Facts("g", Outcome::kInspect, /*mandated=*/true);
  by_risk.sampled = true;
  t.Add(by_risk);
  EXPECT_EQ(t.discretionary, 1u);
  EXPECT_EQ(t.mandated, 1u);
}

TEST(SampleTest, HitRateIsOverSampledDeclarationsWithOutcomes) {
  StatsAccumulator stats;
  int sampled = 0, known = 0, hits = 0;
  for (int i = 0; i < 40; ++i) {
    DecisionFacts f = Facts("general", i % 5 == 0 ? Outcome::kInspect : Outcome::kRelease);
    f.sampled = i % 5 == 0;         // 8 sampled
    f.by_sample = i % 10 == 0;      // 4 of them by the sample alone
    std::optional<bool> hit;
    if (i % 5 == 0 && i != 35) hit = i % 15 == 0;  // 7 known: i = 0, 15, 30 hit
    if (i == 3) hit = true;         // an outcome on a declaration not sampled: not counted
    sampled += *f.sampled;
    if (*f.sampled && hit) known += 1, hits += *hit;
    stats.Add(f, hit);
  }
  stats.Add(Facts("advanced", Outcome::kRelease));  // a decision without a sample draw
  StatsReport r = stats.Finish({"advanced", "general"}, std::string("general"));
  ASSERT_EQ(sampled, 8);
  ASSERT_EQ(known, 7);
  ASSERT_EQ(hits, 3);
  EXPECT_FALSE(r.grades[0].sample.has_value());
  ASSERT_TRUE(r.grades[1].sample.has_value());
  const SampleStats& s = *r.grades[1].sample;
  EXPECT_EQ(s.declarations, 40u);
  EXPECT_EQ(s.sampled, 8u);
  EXPECT_EQ(s.sample_only, 4u);
  EXPECT_EQ(s.known, 7u);
  EXPECT_EQ(s.hits, 3u);
  ASSERT_TRUE(s.hit_rate.has_value());
  EXPECT_DOUBLE_EQ(s.hit_rate->value, 3.0 / 7.0);
  ASSERT_TRUE(r.sample_total.has_value());
  EXPECT_EQ(r.sample_total->declarations, 40u);
  const std::string text = FormatStatsText(r);
  EXPECT_NE(text.find("random compliance sample"), std::string::npos) << text;
  EXPECT_NE(text.find("unbiased estimate"), std::string::npos);
  EXPECT_NE(FormatStatsJson(r).find("\"sample\":{\"declarations\":40,\"sampled\":8,"
                                    "\"sample_only\":4,\"known\":7,\"hits\":3,"),
            std::string::npos)
      << FormatStatsJson(r);
}

TEST(SampleTest, NoSampleNoSampleTable) {
  StatsAccumulator stats;
  stats.Add(Facts("general", Outcome::kInspect), true);
  StatsReport r = stats.Finish({"general"}, std::string("general"));
  EXPECT_FALSE(r.sample_total.has_value());
  EXPECT_EQ(FormatSampleText(r), "");
  EXPECT_EQ(FormatStatsText(r).find("random compliance sample"), std::string::npos);
}

TEST(EfficacyTest, TheSampleIsTheRandomReferenceWhenThereIsOne) {
  const std::vector<std::string> matched = {"r"};
  EfficacyAccumulator with_sample;
  // Sampled declarations: 5 with outcomes, 2 hits (one sampled in the first loop, four in
  // the second). Baseline-won inspections: 2, both hits — not the reference here.
  for (int i = 0; i < 4; ++i) {
    with_sample.Add({"r", &matched, Outcome::kInspect, i < 2, "", i == 0});
  }
  for (int i = 0; i < 4; ++i) {
    with_sample.Add({"r", nullptr, Outcome::kInspect, i == 0 ? std::optional<bool>(false)
                                                             : std::optional<bool>(i == 1),
                     "", true});
  }
  for (int i = 0; i < 2; ++i) {
    with_sample.Add({"baseline", nullptr, Outcome::kInspect, true, "", false});
  }
  EfficacyReport e = with_sample.Finish();
  EXPECT_TRUE(e.random_is_sample);
  EXPECT_EQ(e.random.known, 5u);
  EXPECT_EQ(e.random.hits, 2u);  // the first loop's i == 0, the second loop's i == 1
  EXPECT_NE(e.random_label.find("random compliance sample"), std::string::npos);

  EfficacyAccumulator without;
  for (int i = 0; i < 2; ++i) without.Add({"baseline", nullptr, Outcome::kInspect, true, "", std::nullopt});
  EfficacyReport b = without.Finish();
  EXPECT_FALSE(b.random_is_sample);
  EXPECT_EQ(b.random.known, 2u);
  EXPECT_EQ(b.random.hits, 2u);
}

}  // namespace
}  // namespace bukong::report
