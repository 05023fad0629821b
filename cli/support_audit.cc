#include "cli/support_audit.h"

#include <fmt/format.h>

#include "cli/support_progress.h"
#include "core/strings.h"
#include "engine/decision_json.h"

namespace bukong::cli {

absl::Status ScanLatestDecisions(
    const storage::Store& store, StoredRulesets& rulesets, LatestScanStats* stats,
    const std::function<absl::Status(const storage::AuditEntry&, const RulesetEntry&,
                                     const StoredDecision&)>& visit) {
  engine::DecisionJsonReader reader;
  StoredDecision decision;
  Progress progress("records");
  const uint64_t head = store.Head().seq;
  return store.ScanAudit(1, head, [&](const storage::AuditEntry& e) -> absl::Status {
    ++stats->records;
    progress.Update(stats->records);
    auto latest = store.FindDecision(e.record.declaration_id);
    if (!latest.ok()) return latest.status();
    if (latest->has_value() && (*latest)->audit_seq > e.seq) {
      ++stats->superseded;
      return absl::OkStatus();
    }
    auto ruleset = rulesets.Get(e.record.ruleset_sha256);
    if (!ruleset.ok()) {
      return absl::Status(ruleset.status().code(),
                          fmt::format("audit record {}: {}", e.seq, Message(ruleset.status())));
    }
    if (absl::Status s = reader.Read(e.record.decision, (*ruleset)->compiled, &decision); !s.ok()) {
      return absl::DataLossError(
          fmt::format("audit record {}: {} (run bukong replay)", e.seq, Message(s)));
    }
    return visit(e, **ruleset, decision);
  });
}

}  // namespace bukong::cli
