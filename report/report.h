// Figures a risk officer reads before and after a ruleset goes live: `bukong stats`
// (realized rates per grade) and `bukong what-if` (the audited declarations under another
// ruleset). Pure aggregation over decision facts; the CLI feeds it from the audit log.
//
// Definitions (docs/CLI.md repeats them for users):
//  - A grade's rate is (inspections + holds) / declarations of that grade.
//  - Inspections split into discretionary (the winner is the baseline or a non-`fixed`
//    rule) and mandated (the winner is a `fixed` rule, or the outcome is a hold), SPEC §6.
//    Both rates are over all declarations of the grade.
//  - The reference grade is the first grade whose factor is exactly 1.0 (SPEC §6); a
//    grade's ratio is its discretionary rate over the reference grade's discretionary rate.
//  - The random compliance sample (SPEC §7.3): an inspection made by the sample alone (its
//    select draw failed) is discretionary — it scales with the grade factor — whatever rule
//    won; per grade, the hit rate over the sampled declarations with a recorded outcome is
//    an unbiased estimate of non-compliance among all the grade's declarations.
//
// Thread-safety: accumulators are plain values; use one per thread or lock around them.
#ifndef BUKONG_REPORT_REPORT_H_
#define BUKONG_REPORT_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.h"
#include "report/interval.h"

namespace bukong::report {

using ::bukong::Outcome;  // core/outcome.h: the one definition

// What stats and what-if need to know of one decision.
struct DecisionFacts {
  std::string grade;
  std::string hs_chapter;  // first two digits of the declared HS code
  Outcome outcome = Outcome::kRelease;
  bool at_port = false;    // inspections only
  bool nii = false;        // inspections only
  bool mandated = false;   // inspections: the winner is a `fixed` rule (holds always are)
                           // and the select draw chose it (sample-only ones are not)
  // SPEC §7.3, decisions of a ruleset with a `sample` statement only: whether the sample
  // draw passed (unset under a ruleset without one), and whether the inspection was made by
  // the sample alone (`"selected_by":"sample"`).
  std::optional<bool> sampled;
  bool by_sample = false;
};

// The random compliance sample of one grade (SPEC §7.3), over decisions that carry a sample
// draw.
struct SampleStats {
  uint64_t declarations = 0;  // decisions with a sample draw
  uint64_t sampled = 0;       // of those, sampled (inspected or held, whatever the risk)
  uint64_t sample_only = 0;   // inspections made by the sample alone (discretionary)
  uint64_t known = 0;         // sampled declarations with a recorded outcome
  uint64_t hits = 0;          // of those, hits
  // hits / known with its 95% Wilson interval: the unbiased estimate of the share of
  // non-compliant declarations of the grade. nullopt when known == 0.
  std::optional<Proportion> hit_rate;

  void Add(const DecisionFacts& facts, std::optional<bool> hit);
};

// Counts over a set of decisions.
struct Tally {
  uint64_t declarations = 0;
  uint64_t inspections = 0;    // outcome inspect (holds not included)
  uint64_t discretionary = 0;  // inspections won by the baseline or a non-fixed rule
  uint64_t mandated = 0;       // inspections won by a fixed rule
  uint64_t holds = 0;
  uint64_t at_port = 0;        // inspections at the port
  uint64_t nii = 0;            // inspections by non-intrusive scan

  void Add(const DecisionFacts& facts);
  // (inspections + holds) / declarations, 0 when there are none.
  double Rate() const;
  double DiscretionaryRate() const;
  double MandatedRate() const;  // (mandated inspections + holds) / declarations
};

struct GradeStats {
  std::string grade;
  Tally tally;
  // 95% Wilson intervals of Rate() and DiscretionaryRate(); nullopt without declarations.
  std::optional<Proportion> rate;
  std::optional<Proportion> discretionary;
  // The discretionary ratio to the reference grade with its Katz log interval (nullopt as
  // for ratio_to_reference, or when neither grade has a discretionary inspection).
  std::optional<RatioEstimate> ratio;
  // The grade's floor (a fraction), when the ruleset gives it one (set by the caller after
  // Finish): its statutory measure is its rate against the floor, and a ratio to the
  // reference grade means nothing, so the text shows "floor 80%" instead.
  std::optional<double> floor;
  // Discretionary rate over the reference grade's; nullopt without a reference grade or
  // when the reference grade has no discretionary inspections.
  std::optional<double> ratio_to_reference;
  std::optional<double> total_ratio_to_reference;
  // SPEC §7.3: set when any decision of the grade carries a sample draw.
  std::optional<SampleStats> sample;
};

struct StatsReport {
  std::vector<GradeStats> grades;  // in the ruleset's order, then grades it does not declare
  std::optional<std::string> reference_grade;
  Tally total;
  std::optional<SampleStats> sample_total;  // set when any decision carries a sample draw
};

// Builds the per-grade report. `grade_order` is the ruleset's grade list (most trusted
// first); `reference_grade` its reference grade, if any.
class StatsAccumulator {
 public:
  // `hit` is the declaration's recorded outcome, if any (only the sample's hit rate reads it).
  void Add(const DecisionFacts& facts, std::optional<bool> hit = std::nullopt);
  StatsReport Finish(const std::vector<std::string>& grade_order,
                     const std::optional<std::string>& reference_grade) const;

 private:
  std::map<std::string, Tally, std::less<>> by_grade_;
  std::map<std::string, SampleStats, std::less<>> sample_by_grade_;
  Tally total_;
  std::optional<SampleStats> sample_total_;
};

// The grade table: every rate with its 95% interval, every ratio with its Katz interval,
// and a legend naming both methods; then, when the decisions carry a sample draw, the
// sample table (FormatSampleText).
std::string FormatStatsText(const StatsReport& report);
// Per grade: declarations, sampled, sample-only inspections, sampled with an outcome, hits,
// and the hit rate with its Wilson interval, with a legend saying what it estimates. "" when
// no decision carries a sample draw.
std::string FormatSampleText(const StatsReport& report);
std::string FormatStatsJson(const StatsReport& report);

// One line of a what-if table (a grade, an HS chapter, or the total).
struct Change {
  Tally before;
  Tally after;
  uint64_t newly_inspected = 0;  // released before, inspected or held after
  uint64_t newly_released = 0;   // inspected or held before, released after
  uint64_t with_outcome = 0;     // declarations that have a recorded outcome
  uint64_t hits = 0;             // of those, outcome "hit"
  uint64_t hits_before = 0;      // hits that the old ruleset inspected or held
  uint64_t hits_after = 0;       // hits that the new ruleset inspects or holds
};

struct WhatIfReport {
  std::vector<std::pair<std::string, Change>> by_grade;    // in the old ruleset's order
  std::vector<std::pair<std::string, Change>> by_chapter;  // by chapter
  Change total;
  uint64_t undecidable = 0;
  std::vector<std::string> undecidable_examples;  // declaration ids, first 20
};

class WhatIfAccumulator {
 public:
  // `after` is nullopt when the new ruleset cannot decide the record (its grade is not
  // declared there); `hit` is the recorded outcome, if any.
  void Add(std::string_view declaration_id, const DecisionFacts& before,
           const std::optional<DecisionFacts>& after, std::optional<bool> hit);
  WhatIfReport Finish(const std::vector<std::string>& grade_order) const;

 private:
  std::map<std::string, Change, std::less<>> by_grade_;
  std::map<std::string, Change, std::less<>> by_chapter_;
  Change total_;
  uint64_t undecidable_ = 0;
  std::vector<std::string> undecidable_examples_;
};

// The grade table and the HS chapter table (only the chapters where something changes, unless
// `all_chapters`), the summary and a legend. Rates carry their 95% Wilson interval.
std::string FormatWhatIfText(const WhatIfReport& report, bool all_chapters = true);
// True when the line's decisions differ between before and after in any counted way.
bool ChangeIsVisible(const Change& c);
std::string FormatWhatIfJson(const WhatIfReport& report);

}  // namespace bukong::report

#endif  // BUKONG_REPORT_REPORT_H_
