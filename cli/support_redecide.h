// Re-deciding a stored audit record (replay, what-if): the declaration as received, the
// profile snapshot and the database's selection key, under a given ruleset — the one the
// record names (replay) or another (what-if).
#ifndef BUKONG_CLI_SUPPORT_REDECIDE_H_
#define BUKONG_CLI_SUPPORT_REDECIDE_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/declaration.h"
#include "core/selection_key.h"
#include "engine/decision_json.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace bukong::cli {

// One per thread (it keeps a declaration parser per ruleset; parsers are not thread-safe).
class Redecider {
 public:
  // Where a re-decision failed.
  enum class Failure {
    kNone,
    kOtherKey,     // the record was decided under another selection key
    kDeclaration,  // the stored declaration does not parse for this ruleset, or its id or
                   // enterprise differ from the record's
    kDecision,     // the engine cannot decide it (e.g. its grade is not declared here)
  };

  // `key` and `key_id` are the database's (Store::key(), Store::key_id()).
  Redecider(const SelectionKey& key, std::string key_id)
      : key_(key), key_id_(std::move(key_id)) {}

  // Re-decides `r` under `ruleset`. On error failure() says which step failed and the
  // status's message says why, without a prefix (callers word it for their command):
  // "decided under selection key K, but the database's key is D"; the parser's message
  // ("field 'origin': ..."); "the stored declaration's id or enterprise differs from the
  // record's"; or the engine's message.
  absl::StatusOr<engine::Decision> Redecide(
      const storage::AuditRecord& r, const std::shared_ptr<const engine::CompiledRuleset>& ruleset);

  Failure failure() const { return failure_; }
  // The declaration last parsed (valid after a success, and after a kDecision failure).
  const Declaration& declaration() const { return declaration_; }

 private:
  const SelectionKey key_;
  const std::string key_id_;
  std::map<const engine::CompiledRuleset*, std::unique_ptr<ingest::DeclarationParser>> parsers_;
  Declaration declaration_;
  Failure failure_ = Failure::kNone;
};

// The ruleset a recorded decision was made under, bound to the list versions the record
// names (SPEC §7.1: replay re-decides with last month's watchlist). One per thread; it caches
// what it loads: each list version once, and each compiled (ruleset, versions) pair once, so
// a log decided under a few versions costs a few compilations.
class RecordedLists {
 public:
  explicit RecordedLists(const storage::Store& store) : store_(store) {}

  // `ruleset` is the record's stored ruleset as StoredRulesets compiles it (stand-ins for its
  // lists); `record` the audit record. Returns `ruleset` itself when it declares no list; else
  // the same IR compiled with the versions the record names: its full digests
  // (AuditRecord::lists, schema version 4 on), each looked up exactly in its list's history;
  // for an older record without them, the 16-digit prefixes of its decision line, resolved in
  // the history. Errors name the list and the recorded version: NotFound when that version is
  // not in the list's history (the record is undecidable), FailedPrecondition when a prefix
  // names more than one stored version (older records only), DataLoss when the line does not
  // read back (engine::DecisionJsonReader's message) or the record's lists are not the ones
  // the ruleset declares.
  absl::StatusOr<std::shared_ptr<const engine::CompiledRuleset>> Bind(
      const std::shared_ptr<const engine::CompiledRuleset>& ruleset,
      const storage::AuditRecord& record);

 private:
  const storage::Store& store_;
  engine::DecisionJsonReader reader_;
  engine::Decision scratch_;
  std::string key_;
  std::vector<std::pair<std::string, std::string>> recorded_;  // (name, digest or prefix)
  // Ruleset SHA-256, then each recorded (name, digest or prefix) -> the ruleset bound to
  // them, or why not.
  std::map<std::string, absl::StatusOr<std::shared_ptr<const engine::CompiledRuleset>>, std::less<>>
      bound_;
  std::map<std::string, std::shared_ptr<const engine::ListVersion>> versions_;  // by digest
};

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_REDECIDE_H_
