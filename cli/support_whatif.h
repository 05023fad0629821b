// What another ruleset would have done with the audited declarations, shared by
// `bukong what-if` and `bukong report --rules`. Each counted audit record (the latest decision
// of its declaration id, within the date / port filter) is re-decided from its stored
// declaration and profile snapshot with the database's key under `next`: only the ruleset
// differs. Nothing is written to the database.
#ifndef BUKONG_CLI_SUPPORT_WHATIF_H_
#define BUKONG_CLI_SUPPORT_WHATIF_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/support_audit.h"
#include "cli/support_rules.h"
#include "core/dates.h"
#include "report/report.h"
#include "report/statutory.h"
#include "report/workload.h"
#include "storage/store.h"

namespace bukong::cli {

struct WhatIfOptions {
  std::optional<DayNumber> from;  // declaration dates, inclusive
  std::optional<DayNumber> to;
  std::optional<std::string> port;
  report::Period period = report::Period::kWeek;
  std::string command = "what-if";  // prefix of the messages about undecidable records
};

// A declaration whose outcome the other ruleset changes (for --changed).
struct ChangedDecision {
  std::string id;
  std::string grade;
  std::string before, after;            // release | inspect | hold
  std::string rule_before, rule_after;  // winners
};

struct WhatIfResult {
  LatestScanStats scan;
  uint64_t filtered_out = 0;
  std::vector<std::string> before_ids;  // the rulesets of the stored decisions
  report::WhatIfReport report;
  // Per grade of the new ruleset, over the decidable records: the stored decisions and the
  // new ones, with the new ruleset's statutory checks evaluated on both.
  report::StatsReport stats_before, stats_after;
  std::vector<report::CheckResult> checks_before, checks_after;
  std::vector<report::WorkloadRow> workload_before, workload_after;
  // The statutory checks of each ruleset in force (that made the stored decisions; in
  // before_ids order): its own `require` lines (or derived checks) on the stored decisions
  // counted. With one ruleset in force these are exactly `stats`'s checks over the same
  // filter; with several, each is evaluated on all of them (the text says so).
  std::vector<std::pair<std::string, std::vector<report::CheckResult>>> checks_in_force;
};

// Undecidable records are named on stderr (the first 100, then a count). `on_changed`, when
// set, is called for each declaration whose outcome changes, in log order.
absl::StatusOr<WhatIfResult> CollectWhatIf(
    const storage::Store& store, const RulesetEntry& next, const WhatIfOptions& options,
    const std::function<absl::Status(const ChangedDecision&)>& on_changed = nullptr);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_WHATIF_H_
