// `bukong decisions get --db DIR ID`: every audited decision of declaration ID, oldest
// first, one JSON line each on stdout:
//   {"seq":N,"ruleset":"name@version","ruleset_sha256":"..","key_id":"..",
//    "profile":{..}|null,"declaration":{..},"decision":{..}}
// with the sequence number that `bukong explain --db DIR --seq N` and `replay --from N`
// take. Exit 0 when the declaration was decided at least once, 1 when never (or on a
// database error), 2 on a usage error.
//
// Cost: the store indexes only the latest decision of each id (the `decided` column family),
// so this looks that up first (an id never decided answers at once) and then scans the
// audit log up to it: measured ~3 µs a record (0.5-0.7 s for 200,000 under load; docs/CLI.md).
// An index of every seq by id (a `by_id` column family written with each audit record)
// would make it one seek, but it is a schema change (version 4, with a backfill): left for
// a change of the store made for it — see docs/CLI.md, "bukong decisions get".
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
    auto latest = store->FindDecision(id_);
    if (!latest.ok()) {
      fmt::print(stderr, "bukong decisions get: {}\n", Message(latest.status()));
      return kExitFailure;
    }
    if (!latest->has_value()) {
      fmt::print(stderr, "bukong decisions get: declaration {} was never decided in {}\n",
                 JsonString(id_), db_);
      return kExitFailure;
    }
    const uint64_t last = (*latest)->audit_seq;
    uint64_t found = 0;
    absl::Status scanned = store->ScanAudit(1, last, [&](const storage::AuditEntry& e) {
      if (e.record.declaration_id != id_) return absl::OkStatus();
      ++found;
      std::string ruleset = "null";
      auto stored = store->GetRuleset(e.record.ruleset_sha256);
      if (stored.ok() && stored->has_value()) {
        ruleset = JsonString(fmt::format("{}@{}", (*stored)->name, (*stored)->version));
      }
      fmt::print("{{\"seq\":{},\"ruleset\":{},\"ruleset_sha256\":{},\"key_id\":{},\"profile\":{},"
                 "\"declaration\":{},\"decision\":{}}}\n",
                 e.seq, ruleset, JsonString(e.record.ruleset_sha256), JsonString(e.record.key_id),
                 e.record.profile ? ProfileJson(*e.record.profile) : "null",
                 e.record.declaration, e.record.decision);
      return absl::OkStatus();
    });
    if (!scanned.ok()) {
      fmt::print(stderr, "bukong decisions get: {}\n", Message(scanned));
      return kExitFailure;
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
