// `bukong decisions get --db DIR ID`: every audited decision of declaration ID, oldest
// first, one JSON line each on stdout:
//   {"seq":N,"ruleset":"name@version","ruleset_sha256":"..","key_id":"..",
//    "profile":{..}|null,"declaration":{..},"decision":{..}}
// with the sequence number that `bukong explain --db DIR --seq N` and `replay --from N`
// take. Exit 0 when the declaration was decided at least once, 1 when never (or on a
// database error), 2 on a usage error.
//
// Cost: one seek in the store's by_id index (every audit seq of an id, schema version 4)
// and one point read per decision: milliseconds on a log of millions (docs/CLI.md). On a
// database older than version 4 opened read-only (the index is built by the first writable
// open) it scans the audit log instead, ~3 µs a record, and says so on stderr.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/support_profile_json.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "core/json.h"

namespace bukong::cli {
namespace {

class DecisionsCommand : public Command {
 public:
  int Order() const override { return 55; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand("decisions", "Look decisions up in the audit log");
    sub->require_subcommand(1);
    CLI::App* get = sub->add_subcommand(
        "get", "Every audited decision of one declaration, with its sequence number");
    get->add_option("--db", db_, "Database folder")->required();
    get->add_option("id", id_, "Declaration id")->required();
    return sub;
  }

  int Run() override {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "decisions get");
    if (!store) return kExitFailure;
    if (!store->IndexesEveryDecision()) {
      fmt::print(stderr,
                 "bukong decisions get: {} is older than schema version {} (no index of every "
                 "decision until a writable open upgrades it): scanning the whole audit log\n",
                 db_, storage::kSchemaVersion);
    }
    auto seqs = store->AuditSequencesOf(id_);
    if (!seqs.ok()) {
      fmt::print(stderr, "bukong decisions get: {}\n", Message(seqs.status()));
      return kExitFailure;
    }
    if (seqs->empty()) {
      fmt::print(stderr, "bukong decisions get: declaration {} was never decided in {}\n",
                 JsonString(id_), db_);
      return kExitFailure;
    }
    const uint64_t last = seqs->back();
    const size_t found = seqs->size();
    for (const uint64_t seq : *seqs) {
      auto e = store->GetAudit(seq);
      if (!e.ok() || !e->has_value()) {
        fmt::print(stderr, "bukong decisions get: record {} of {}: {}\n", seq, JsonString(id_),
                   e.ok() ? std::string("indexed but missing from the audit log")
                          : Message(e.status()));
        return kExitFailure;
      }
      const storage::AuditRecord& r = (*e)->record;
      std::string ruleset = "null";
      auto stored = store->GetRuleset(r.ruleset_sha256);
      if (stored.ok() && stored->has_value()) {
        ruleset = JsonString(fmt::format("{}@{}", (*stored)->name, (*stored)->version));
      }
      fmt::print("{{\"seq\":{},\"ruleset\":{},\"ruleset_sha256\":{},\"key_id\":{},\"profile\":{},"
                 "\"declaration\":{},\"decision\":{}}}\n",
                 seq, ruleset, JsonString(r.ruleset_sha256), JsonString(r.key_id),
                 r.profile ? ProfileJson(*r.profile) : "null", r.declaration, r.decision);
    }
    fmt::print(stderr, "{} decision{} of {} (latest: record {}); explain one with: bukong explain "
                       "--db {} --seq N\n",
               found, found == 1 ? "" : "s", JsonString(id_), last, db_);
    return kExitOk;
  }

 private:
  std::string db_;
  std::string id_;
};

BUKONG_REGISTER_COMMAND(DecisionsCommand);

}  // namespace
}  // namespace bukong::cli
