// Walking the audit log for the reports (stats, what-if): the latest decision of each
// declaration id, with its stored ruleset resolved.
//
// Why latest: a declaration decided twice (a file fed to `decide` again, or a re-decision
// under a new ruleset) has one operative decision, the last one; counting both would weigh
// it twice. Earlier records stay in the log (replay verifies them all) but the reports skip
// them and say how many they skipped.
#ifndef BUKONG_CLI_SUPPORT_AUDIT_H_
#define BUKONG_CLI_SUPPORT_AUDIT_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "cli/support_facts.h"
#include "cli/support_rules.h"
#include "storage/store.h"

namespace bukong::cli {

struct LatestScanStats {
  uint64_t records = 0;     // audit records read
  uint64_t superseded = 0;  // of which a later record decided the same declaration id
};

// Calls `visit(entry, ruleset, decision)` for each audit record that is the latest decision
// of its declaration id, in log order. A record whose ruleset or decision cannot be read
// ends the scan with an error naming the record (the log is damaged: run replay).
absl::Status ScanLatestDecisions(
    const storage::Store& store, StoredRulesets& rulesets, LatestScanStats* stats,
    const std::function<absl::Status(const storage::AuditEntry&, const RulesetEntry&,
                                     const StoredDecision&)>& visit);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_AUDIT_H_
