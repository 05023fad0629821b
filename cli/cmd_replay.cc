// `bukong replay --db DIR [--from N] [--to N]`: the auditor's check (SPEC §4, §6).
//
// Every audit record in the range is re-decided from what it stores — the declaration as
// received, the profile snapshot, the ruleset (by SHA-256, its text from the database) —
// with the database's selection key, and the new decision's JSON line is compared byte for
// byte with the stored one. A decision made with lists (SPEC §7.1) is re-decided with the list
// versions its line records, looked up in the database's list history; a record whose version
// the database does not hold is named and counted undecidable (exit 1, the run goes on).
// Independently, the hash chain is verified over the same range
// (Store::VerifyChain): a record removed, altered, or moved is found even when its
// decision still replays. Every problem names its record, one line each on stdout, in
// sequence order; then a summary line. Exit 0 when everything agrees, 1 otherwise.
//
// Work is spread over threads: this thread scans the log and hands batches of records to
// re-deciding workers (bounded pool of batches); one more thread verifies the chain at the
// same time.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/support_checkpoint.h"
#include "cli/support_progress.h"
#include "cli/support_redecide.h"
#include "cli/support_rules.h"
#include "core/strings.h"
#include "cli/support_store.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

// Problems by sequence number (several per record are possible).
class Problems {
 public:
  void Add(uint64_t seq, std::string message) {
    std::lock_guard lock(mu_);
    by_seq_.emplace(seq, std::move(message));
  }
  std::multimap<uint64_t, std::string> Take() {
    std::lock_guard lock(mu_);
    return std::move(by_seq_);
  }

 private:
  std::mutex mu_;
  std::multimap<uint64_t, std::string> by_seq_;
};

// Re-decides records and compares them with the stored lines; one per worker thread.
class Replayer {
 public:
  enum class Result { kIdentical, kDiffers, kUndecidable };

  Replayer(const storage::Store& store, const SelectionKey& key, Problems& problems)
      : redecider_(key, store.key_id()), lists_(store), problems_(problems) {}

  Result Check(const storage::AuditEntry& e, const RulesetEntry& ruleset) {
    const storage::AuditRecord& r = e.record;
    auto problem = [&](std::string message, Result result = Result::kDiffers) {
      problems_.Add(e.seq, fmt::format("record {} ({}): {}", e.seq,
                                       ingest::QuoteForMessage(r.declaration_id), message));
      return result;
    };
    // SPEC §7.1: the list versions the record names, not the current ones. A version the
    // database does not hold makes the record undecidable (named, counted, exit 1).
    auto bound = lists_.Bind(ruleset.compiled, r);
    if (!bound.ok()) {
      const std::string why(Message(bound.status()));
      if (absl::IsNotFound(bound.status()) || absl::IsFailedPrecondition(bound.status()))
        return problem(fmt::format("undecidable: {}", why), Result::kUndecidable);
      return problem(fmt::format("cannot be re-decided: {}", why));
    }
    auto decision = redecider_.Redecide(r, *bound);
    if (!decision.ok()) {
      const std::string why(Message(decision.status()));
      switch (redecider_.failure()) {
        case Redecider::Failure::kOtherKey:
          return problem(why + "; cannot replay");
        case Redecider::Failure::kDeclaration:
          return problem(absl::IsDataLoss(decision.status())
                             ? why
                             : fmt::format("the stored declaration no longer parses: {}", why));
        default:
          return problem(fmt::format("cannot be re-decided: {}", why));
      }
    }
    json_.clear();
    engine::AppendDecisionJson(*decision, &json_);
    if (json_ != r.decision) {
      return problem(
          fmt::format("the decision differs\n  stored:   {}\n  replayed: {}", r.decision, json_));
    }
    return Result::kIdentical;
  }

 private:
  Redecider redecider_;
  RecordedLists lists_;
  Problems& problems_;
  std::string json_;
};

// Re-decides the records from..to, as one thread: its own rulesets and parsers. ScanAudit
// stops at a record that does not decode (DataLoss); such a record is found, named, and the
// scan goes on after it, so that one damaged record does not hide the rest of the log.
absl::Status ReplayRange(const storage::Store& store, const SelectionKey& key, uint64_t from,
                         uint64_t to, Problems& problems, std::atomic<uint64_t>& scanned,
                         std::atomic<uint64_t>& identical, std::atomic<uint64_t>& undecidable) {
  StoredRulesets rulesets(store);
  Replayer replayer(store, key, problems);
  std::string last_sha;
  const RulesetEntry* last_ruleset = nullptr;
  uint64_t last_visited = from - 1, count = 0, same = 0, cannot = 0;
  auto visit = [&](const storage::AuditEntry& e) {
    last_visited = e.seq;
    if ((++count & 255) == 0) scanned += 256;
    if (last_ruleset == nullptr || e.record.ruleset_sha256 != last_sha) {
      auto ruleset = rulesets.Get(e.record.ruleset_sha256);
      if (!ruleset.ok()) {
        if (!absl::IsNotFound(ruleset.status()) && !absl::IsFailedPrecondition(ruleset.status())) {
          return ruleset.status();  // an I/O error ends the replay
        }
        problems.Add(e.seq, fmt::format("record {} ({}): {}", e.seq,
                                        ingest::QuoteForMessage(e.record.declaration_id),
                                        Message(ruleset.status())));
        last_ruleset = nullptr;
        return absl::OkStatus();
      }
      last_ruleset = *ruleset;
      last_sha = e.record.ruleset_sha256;
    }
    const Replayer::Result result = replayer.Check(e, *last_ruleset);
    same += result == Replayer::Result::kIdentical;
    cannot += result == Replayer::Result::kUndecidable;
    return absl::OkStatus();
  };
  absl::Status scan;
  uint64_t resume = from;
  while (true) {
    scan = store.ScanAudit(resume, to, visit);
    if (!absl::IsDataLoss(scan)) break;
    uint64_t bad = last_visited + 1;
    for (; bad <= to; ++bad) {
      auto probe = store.GetAudit(bad);
      if (!probe.ok()) break;  // the undecodable one (or an I/O error, found again below)
    }
    if (bad > to) break;  // not found again: report the scan's error
    problems.Add(bad, fmt::format("record {}: does not decode ({})", bad, Message(scan)));
    last_visited = bad;
    resume = bad + 1;
    if (resume > to) {
      scan = absl::OkStatus();
      break;
    }
  }
  scanned += count & 255;
  identical += same;
  undecidable += cannot;
  return scan;
}

class ReplayCommand : public Command {
 public:
  int Order() const override { return 60; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "replay",
        "Re-decide every audited declaration and verify the audit chain; name every record "
        "that differs (exit 1)");
    sub->add_option("--db", db_, "Database folder")->required();
    const CLI::Validator sequence_number = SequenceNumberValidator();
    sub->add_option("--from", from_, "First audit sequence number (default 1)")
        ->check(sequence_number);
    sub->add_option("--to", to_, "Last audit sequence number (default: the chain head)")
        ->check(sequence_number);
    sub->add_option("--threads", threads_,
                    "Re-deciding threads (default: the number of processors)")
        ->check(CLI::Range(1, 256));
    // Signed checkpoints (issue #16 item 4; cli/support_checkpoint.h): checked before the
    // replay; a log that does not extend one is not re-decided.
    auto* checkpoint = sub->add_option(
        "--checkpoint", checkpoints_,
        "Signed checkpoint file(s) (audit checkpoint): the log must extend each");
    auto* public_key = sub->add_option("--public-key", public_keys_,
                                       "Public key file(s) (KEY.pub) of the checkpoints");
    checkpoint->needs(public_key);
    public_key->needs(checkpoint);
    sub->footer(
        "Exit status: 0 every record re-decides identically and the chain is intact; 1 any\n"
        "record differs or is undecidable (a list version the database does not hold), or the\n"
        "chain is broken (each named on stdout), or a database error.");
    return sub;
  }

  int Run() override {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "replay");
    if (!store) return kExitFailure;
    if (!checkpoints_.empty()) {
      if (int rc = CheckCheckpoints(*store, checkpoints_, public_keys_, "replay"); rc != kExitOk) {
        return rc;
      }
    }
    const storage::ChainHead head = store->Head();
    const uint64_t from = from_;
    const uint64_t to = to_ == 0 ? head.seq : to_;
    if (from > to) {
      if (to_ != 0) {
        fmt::print(stderr, "bukong replay: --from {} is after --to {}\n", from, to);
        return kExitUsage;
      }
      if (head.seq == 0 && from_ == 1) {
        fmt::print("replay: the audit log is empty; nothing to verify\n");
        return kExitOk;
      }
      // A start past the end verifies nothing: that must not look like success.
      fmt::print(stderr, "bukong replay: --from {} is past the end of the audit log (last record {})\n",
                 from, head.seq);
      return kExitUsage;
    }
    const SelectionKey key(store->key());
    Problems problems;

    // The chain, verified beside the re-deciding.
    absl::StatusOr<std::vector<storage::ChainProblem>> chain;
    std::thread verifier([&] { chain = store->VerifyChain(from, to); });

    // The range is cut into one contiguous part per thread; each thread scans its part and
    // re-decides as it reads (no hand-off, no copy of the records).
    const uint64_t threads =
        std::min<uint64_t>(threads_ > 0 ? static_cast<uint64_t>(threads_)
                                        : std::max(1u, std::thread::hardware_concurrency()),
                           to - from + 1);
    std::atomic<uint64_t> scanned{0}, identical{0}, undecidable{0};
    std::vector<absl::Status> scan_status(threads);
    std::vector<std::thread> workers;
    const uint64_t span = (to - from + 1) / threads;
    for (uint64_t i = 0; i < threads; ++i) {
      const uint64_t part_from = from + i * span;
      const uint64_t part_to = i + 1 == threads ? to : part_from + span - 1;
      workers.emplace_back([&, i, part_from, part_to] {
        scan_status[i] = ReplayRange(*store, key, part_from, part_to, problems, scanned, identical,
                                     undecidable);
      });
    }
    Progress progress("records");
    if (progress.enabled()) {
      // Wake up now and then to show the count until the workers are done.
      std::atomic<bool> done{false};
      std::thread shower([&] {
        while (!done.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          progress.Report(scanned.load());
        }
      });
      for (std::thread& t : workers) t.join();
      done = true;
      shower.join();
    } else {
      for (std::thread& t : workers) t.join();
    }
    verifier.join();
    progress.Done();

    absl::Status scan;
    for (const absl::Status& s : scan_status) {
      if (!s.ok()) scan = s;
    }
    if (!scan.ok()) {
      fmt::print(stderr, "bukong replay: reading the audit log: {}\n", Message(scan));
      return kExitFailure;
    }
    if (!chain.ok()) {
      fmt::print(stderr, "bukong replay: verifying the chain: {}\n", Message(chain.status()));
      return kExitFailure;
    }
    std::multimap<uint64_t, std::string> found = problems.Take();
    // Undecidable records (a list version the database does not hold) were not re-decided.
    const uint64_t redecided = scanned.load() - undecidable.load();
    const uint64_t differing = redecided - identical.load();
    for (const storage::ChainProblem& p : *chain) {
      found.emplace(p.seq, fmt::format("chain: {}", p.message));
    }
    std::string out;
    for (const auto& [seq, message] : found) {
      out += message;
      out += '\n';
    }
    out += fmt::format("replay: records {}..{}: {} re-decided, {} identical, {} differ{}; chain {}\n",
                       from, to, redecided, identical.load(), differing,
                       undecidable.load() == 0
                           ? std::string()
                           : fmt::format(", {} undecidable", undecidable.load()),
                       chain->empty() ? "intact"
                                      : fmt::format("broken ({} problem{})", chain->size(),
                                                    chain->size() == 1 ? "" : "s"));
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return found.empty() ? kExitOk : kExitFailure;
  }

 private:
  std::string db_;
  uint64_t from_ = 1;
  uint64_t to_ = 0;
  int threads_ = 0;
  std::vector<std::string> checkpoints_, public_keys_;
};

BUKONG_REGISTER_COMMAND(ReplayCommand);

}  // namespace
}  // namespace bukong::cli
