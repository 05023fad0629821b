// Rulesets for the commands that decide: a rule file given on the command line (decide,
// what-if), and the rulesets the audit log refers to by SHA-256 (replay, what-if, stats).
#ifndef BUKONG_CLI_SUPPORT_RULES_H_
#define BUKONG_CLI_SUPPORT_RULES_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/engine.h"
#include "storage/store.h"

namespace bukong::cli {

// A compiled ruleset with what the commands need beside the plan.
struct RulesetEntry {
  std::string text;  // the rule file's exact bytes
  std::shared_ptr<const engine::CompiledRuleset> compiled;

  // The grade names in the ruleset's order and the reference grade (report/ wants these).
  std::vector<std::string> GradeOrder() const;
  std::optional<std::string> ReferenceGrade() const;
};

// Reads and compiles the rule file at `path`. Every diagnostic (errors and warnings) is
// written to stderr as `bukong check` writes it. Returns nullptr when the file cannot be read
// or has errors (the caller exits 1); the message has been printed.
std::unique_ptr<RulesetEntry> LoadRuleFile(const std::string& path);

// The rulesets of an audit log, looked up by SHA-256 in the store and compiled once each.
// Not thread-safe (callers resolve rulesets on one thread and hand the pointers out; the
// entries themselves are immutable and may be shared).
class StoredRulesets {
 public:
  explicit StoredRulesets(const storage::Store& store) : store_(store) {}

  // The ruleset whose text has SHA-256 `sha`. NotFound when the database does not hold it;
  // FailedPrecondition when the stored text no longer compiles (a compiler change) — the
  // message says which. A ruleset that declares lists is compiled with empty stand-ins
  // (engine::ListsAtCompile::kStandIns): its stored decisions read back, but re-deciding one
  // needs the versions the record names (RecordedLists, cli/support_redecide.h).
  absl::StatusOr<const RulesetEntry*> Get(std::string_view sha);

 private:
  const storage::Store& store_;
  std::map<std::string, std::unique_ptr<RulesetEntry>, std::less<>> by_sha_;
  std::map<std::string, absl::Status, std::less<>> failures_;
};

// Builds the entry for an already compiled ruleset and its text.
std::unique_ptr<RulesetEntry> MakeRulesetEntry(std::string text,
                                               std::shared_ptr<const engine::CompiledRuleset> compiled);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_RULES_H_
