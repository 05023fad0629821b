// Decision facts for report/ (stats, what-if): from a decision as the audit log stores it
// (its JSON line) or from a Decision just made.
#ifndef BUKONG_CLI_SUPPORT_FACTS_H_
#define BUKONG_CLI_SUPPORT_FACTS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "cli/support_rules.h"
#include "engine/engine.h"
#include "report/report.h"

namespace bukong::cli {

// The fields of a stored decision line that the reports read.
struct StoredDecision {
  std::string outcome;  // release | inspect | hold
  std::string site;     // port | destination | "" (null)
  std::string method;   // nii | manual | "" (null)
  std::string grade;
  std::string rule;  // winner's name or "baseline"
  // SPEC §7.3 (a ruleset with `sample`): `sampled`, and `"selected_by":"sample"`.
  std::optional<bool> sampled;
  bool selected_by_sample = false;
};

// Reads decision JSON lines. Not thread-safe; reuses its buffers.
class DecisionReader {
 public:
  DecisionReader();
  ~DecisionReader();
  // DataLoss naming the problem when `json` is not a decision line.
  absl::Status Read(std::string_view json, StoredDecision* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Facts of a stored decision made under `ruleset` (for `fixed`). An inspection made by the
// §7.3 sample alone is discretionary whatever rule won (SPEC §7.3 "stats"). `hs` is the
// declared code (digits, dots removed or not): its first two digits are the chapter.
report::DecisionFacts FactsOf(const StoredDecision& d, const RulesetEntry& ruleset,
                              std::string_view hs);
// Facts of a decision just made (its ruleset is d.ruleset).
report::DecisionFacts FactsOf(const engine::Decision& d, std::string_view hs);

// The HS chapter (first two digits) of a declared code, dots skipped.
std::string HsChapter(std::string_view hs);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_FACTS_H_
