// Rule efficacy (issue #15): which rules earn their inspections. Over the audit log joined
// with the recorded outcomes, per rule (or per port code, HS chapter or grade): how often it
// matched and won, the inspections and holds it caused, how many of those have a recorded
// outcome, the hits among them, the hit rate with its Wilson interval, and the lift over the
// hit rate of random selection with its Katz interval.
//
// Random selection: under a ruleset with a `sample` statement (SPEC §7.3), the sampled
// declarations — drawn whatever the risk, so their hit rate is unbiased; otherwise the
// inspections won by the baseline (its random checks stand in for a sample; the output says
// which). A rule's lift is its hit rate over that one.
//
// Thread-safety: a plain value; one per thread.
#ifndef BUKONG_REPORT_EFFICACY_H_
#define BUKONG_REPORT_EFFICACY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/interval.h"
#include "report/report.h"

namespace bukong::report {

// One decision as efficacy sees it.
struct RuleObservation {
  std::string_view winner;                            // the decision's `rule`: a name or "baseline"
  const std::vector<std::string>* matched = nullptr;  // the decision's `matched`, may be null
  Outcome outcome = Outcome::kRelease;
  std::optional<bool> hit;  // the recorded outcome (latest), if any
  std::string_view group;   // the key for by != kRule: port code, HS chapter or grade
  std::optional<bool> sampled;  // SPEC §7.3: the sample draw passed (unset: no `sample`)
};

enum class EfficacyBy { kRule, kPort, kChapter, kGrade };
std::string_view EfficacyByText(EfficacyBy by);  // "rule", "port", "chapter", "grade"

struct EfficacyRow {
  std::string key;                     // rule name ("baseline" included), port, chapter or grade
  uint64_t declarations = 0;           // by rule: declarations it matched (the baseline: it won)
  uint64_t won = 0;                    // by rule: decisions it won; otherwise declarations flagged
  uint64_t inspected = 0;              // of those, inspections
  uint64_t holds = 0;                  // of those, holds
  uint64_t known = 0;                  // inspections and holds with a recorded outcome
  uint64_t hits = 0;                   // of those, hits
  std::optional<Proportion> hit_rate;  // hits / known
  std::optional<RatioEstimate> lift;   // hit rate / the random-selection hit rate
};

struct EfficacyReport {
  EfficacyBy by = EfficacyBy::kRule;
  // Sorted so that what costs inspections and finds nothing comes first: by the upper end
  // of the hit rate's interval (rows without outcomes last), then by inspections, most
  // first, then by key.
  std::vector<EfficacyRow> rows;
  EfficacyRow random;               // the reference: the sample, else baseline-won inspections
  std::string random_label;         // how `random` was chosen, for the legend
  bool random_is_sample = false;    // `random` is the §7.3 sample (not the baseline row)
  uint64_t outcomes_unflagged = 0;  // outcomes on released declarations (post-clearance)
  uint64_t hits_unflagged = 0;
};

class EfficacyAccumulator {
 public:
  explicit EfficacyAccumulator(EfficacyBy by = EfficacyBy::kRule) : by_(by) {}
  void Add(const RuleObservation& o);
  EfficacyReport Finish() const;

 private:
  EfficacyRow& Row(std::string_view key);
  EfficacyBy by_;
  std::map<std::string, EfficacyRow, std::less<>> rows_;
  EfficacyRow random_;         // baseline-won inspections
  EfficacyRow sample_;         // sampled declarations (SPEC §7.3)
  bool any_sample_ = false;    // some decision carried a sample draw
  uint64_t outcomes_unflagged_ = 0, hits_unflagged_ = 0;
};

}  // namespace bukong::report

#endif  // BUKONG_REPORT_EFFICACY_H_
