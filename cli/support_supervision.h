// The supervisor's figures over the audit log, shared by `bukong stats` and `bukong report`:
// per ruleset that made decisions, the grade table with intervals, the statutory checks and
// their verdicts, rule efficacy (the log joined with the recorded outcomes) and workload
// over time. Counted records are the latest decision of each declaration id
// (support_audit.h), optionally filtered by declaration date and port code.
#ifndef BUKONG_CLI_SUPPORT_SUPERVISION_H_
#define BUKONG_CLI_SUPPORT_SUPERVISION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/support_audit.h"
#include "core/dates.h"
#include "report/efficacy.h"
#include "report/figures.h"
#include "report/report.h"
#include "report/statutory.h"
#include "report/workload.h"
#include "storage/store.h"

namespace bukong::cli {

struct SupervisionOptions {
  report::EfficacyBy by = report::EfficacyBy::kRule;
  report::Period period = report::Period::kWeek;
  std::optional<DayNumber> from;  // declaration date filter, inclusive
  std::optional<DayNumber> to;
  std::optional<std::string> port;  // port code filter (declarations without `port` drop)
};

using SupervisionSection = report::RulesetFigures;

struct Supervision {
  LatestScanStats scan;
  uint64_t filtered_out = 0;                 // counted records outside the date / port filter
  uint64_t outcomes = 0;                     // recorded outcomes in the database
  std::vector<SupervisionSection> sections;  // in the order the log first uses the rulesets
};

// The grades of a compiled ruleset as report/ wants them (factor, floor as fractions).
std::vector<report::GradeInfo> GradeInfos(const RulesetEntry& ruleset);

// The statutory checks of a ruleset (SPEC §7.4): its `require` lines, in file order, each
// citing its line without the comment ("gacc-order237-zhejiang@1 line 54: require advanced
// < 20% of general"); for a ruleset without any (v1), the checks derived from the regime's
// ratios (report::RegimeRequirements).
std::vector<report::Requirement> RequirementsOf(const RulesetEntry& ruleset);

// Reads the whole audit log and the outcomes. Errors as ScanLatestDecisions.
absl::StatusOr<Supervision> CollectSupervision(const storage::Store& store,
                                               const SupervisionOptions& options);

// `stats --json` (schema in docs/CLI.md).
std::string SupervisionJson(const Supervision& s, const SupervisionOptions& options);
// Parses `day|week`, `rule|port|chapter|grade`; false for anything else.
bool ParsePeriod(std::string_view text, report::Period* out);
bool ParseEfficacyBy(std::string_view text, report::EfficacyBy* out);
// A `--from`/`--to` date option of COMMAND (stats, what-if, report): an empty TEXT leaves
// OUT unset; a valid YYYY-MM-DD sets it; anything else prints "bukong COMMAND: FLAG:
// expected a date YYYY-MM-DD, found 'TEXT'" to stderr and returns false.
bool ParseDateFlag(std::string_view command, std::string_view flag, const std::string& text,
                   std::optional<DayNumber>* out);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_SUPERVISION_H_
