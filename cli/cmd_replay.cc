// `bukong replay --db DIR [--from N] [--to N]`: the auditor's check (SPEC §4, §6).
//
// Every audit record in the range is re-decided from what it stores — the declaration as
// received, the profile snapshot, the ruleset (by SHA-256, its text from the database) —
// with the database's selection key, and the new decision's JSON line is compared byte for
// byte with the stored one. Independently, the hash chain is verified over the same range
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
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/support_progress.h"
#include "cli/support_rules.h"
#include "cli/support_status.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

constexpr size_t kBatchRecords = 2048;

struct Item {
  storage::AuditEntry entry;
  const RulesetEntry* ruleset = nullptr;
};

struct Batch {
  std::vector<Item> items;
  size_t size = 0;
};

// A blocking queue of batch pointers; Pop returns nullptr once closed and drained.
class BatchQueue {
 public:
  void Push(Batch* b) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(b);
    }
    cv_.notify_one();
  }
  Batch* Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return nullptr;
    Batch* b = items_.front();
    items_.pop_front();
    return b;
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch*> items_;
  bool closed_ = false;
};

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

// Re-decides records; one per worker thread (parsers are not thread-safe).
class Replayer {
 public:
  Replayer(const SelectionKey& key, std::string key_id, Problems& problems)
      : key_(key), key_id_(std::move(key_id)), problems_(problems) {}

  // Returns true when the record re-decides identically.
  bool Check(const Item& item) {
    const storage::AuditEntry& e = item.entry;
    const storage::AuditRecord& r = e.record;
    auto problem = [&](std::string message) {
      problems_.Add(e.seq, fmt::format("record {} ({}): {}", e.seq,
                                       ingest::QuoteForMessage(r.declaration_id), message));
      return false;
    };
    if (r.key_id != key_id_) {
      return problem(fmt::format(
          "decided under selection key {}, but the database's key is {}; cannot replay",
          r.key_id, key_id_));
    }
    ingest::DeclarationParser& parser = ParserFor(item.ruleset);
    if (absl::Status s = parser.Parse(r.declaration, &declaration_); !s.ok()) {
      return problem(fmt::format("the stored declaration no longer parses: {}", Message(s)));
    }
    if (declaration_.id != r.declaration_id || declaration_.enterprise != r.enterprise) {
      return problem("the stored declaration's id or enterprise differs from the record's");
    }
    auto decision = Decide(item.ruleset->compiled, key_, declaration_,
                           r.profile ? &*r.profile : nullptr);
    if (!decision.ok()) {
      return problem(fmt::format("cannot be re-decided: {}", Message(decision.status())));
    }
    json_.clear();
    AppendDecisionJson(*decision, &json_);
    if (json_ != r.decision) {
      return problem(fmt::format("the decision differs\n  stored:   {}\n  replayed: {}",
                                 r.decision, json_));
    }
    return true;
  }

 private:
  ingest::DeclarationParser& ParserFor(const RulesetEntry* ruleset) {
    auto it = parsers_.find(ruleset);
    if (it == parsers_.end()) {
      it = parsers_
               .emplace(ruleset,
                        std::make_unique<ingest::DeclarationParser>(ruleset->fields_read))
               .first;
    }
    return *it->second;
  }

  const SelectionKey& key_;
  const std::string key_id_;
  Problems& problems_;
  std::map<const RulesetEntry*, std::unique_ptr<ingest::DeclarationParser>> parsers_;
  Declaration declaration_;
  std::string json_;
};

class ReplayCommand : public Command {
 public:
  int Order() const override { return 60; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "replay",
        "Re-decide every audited declaration and verify the audit chain; name every record "
        "that differs (exit 1)");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--from", from_, "First audit sequence number (default 1)")
        ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
    sub->add_option("--to", to_, "Last audit sequence number (default: the chain head)")
        ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
    sub->add_option("--threads", threads_,
                    "Re-deciding threads (default: the number of processors)")
        ->check(CLI::Range(1, 256));
    return sub;
  }

  int Run() override {
    storage::StoreOptions options;
    options.read_only = true;
    auto opened = storage::Store::Open(db_, options);
    if (!opened.ok()) {
      fmt::print(stderr, "bukong replay: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = *std::move(opened);
    const storage::ChainHead head = store->Head();
    const uint64_t from = from_;
    const uint64_t to = to_ == 0 ? head.seq : to_;
    if (from > to) {
      if (to_ != 0) {
        fmt::print(stderr, "bukong replay: --from {} is after --to {}\n", from, to);
        return kExitUsage;
      }
      fmt::print("replay: the audit log is empty; nothing to verify\n");
      return kExitOk;
    }
    const SelectionKey key(store->key());
    Problems problems;
    StoredRulesets rulesets(*store);

    // The chain, verified beside the re-deciding.
    absl::StatusOr<std::vector<storage::ChainProblem>> chain;
    std::thread verifier([&] { chain = store->VerifyChain(from, to); });

    unsigned threads = threads_ > 0 ? static_cast<unsigned>(threads_)
                                    : std::max(1u, std::thread::hardware_concurrency());
    std::vector<Batch> pool(threads * 2 + 1);
    BatchQueue free_batches, full_batches;
    for (Batch& b : pool) free_batches.Push(&b);
    std::atomic<uint64_t> identical{0};
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < threads; ++i) {
      workers.emplace_back([&] {
        Replayer replayer(key, store->key_id(), problems);
        uint64_t same = 0;
        while (Batch* b = full_batches.Pop()) {
          for (size_t j = 0; j < b->size; ++j) same += replayer.Check(b->items[j]);
          b->size = 0;
          free_batches.Push(b);
        }
        identical += same;
      });
    }

    Progress progress("records");
    uint64_t scanned = 0;
    Batch* batch = free_batches.Pop();
    uint64_t last_visited = from - 1;
    auto visit = [&](const storage::AuditEntry& e) {
      ++scanned;
      last_visited = e.seq;
      progress.Update(scanned);
      auto ruleset = rulesets.Get(e.record.ruleset_sha256);
      if (!ruleset.ok()) {
        if (!absl::IsNotFound(ruleset.status()) &&
            !absl::IsFailedPrecondition(ruleset.status())) {
          return ruleset.status();  // an I/O error ends the replay
        }
        problems.Add(e.seq, fmt::format("record {} ({}): {}", e.seq,
                                        ingest::QuoteForMessage(e.record.declaration_id),
                                        Message(ruleset.status())));
        return absl::OkStatus();
      }
      if (batch->size == batch->items.size()) batch->items.emplace_back();
      Item& item = batch->items[batch->size++];
      item.entry = e;
      item.ruleset = *ruleset;
      if (batch->size == kBatchRecords) {
        full_batches.Push(batch);
        batch = free_batches.Pop();
      }
      return absl::OkStatus();
    };
    // ScanAudit stops at a record that does not decode (DataLoss). Find it, name it, and
    // scan on after it, so that one damaged record does not hide the rest of the log.
    absl::Status scan;
    uint64_t resume = from;
    while (true) {
      scan = store->ScanAudit(resume, to, visit);
      if (!absl::IsDataLoss(scan)) break;
      uint64_t bad = last_visited + 1;
      for (; bad <= to; ++bad) {
        auto probe = store->GetAudit(bad);
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
    full_batches.Push(batch);
    full_batches.Close();
    for (std::thread& t : workers) t.join();
    verifier.join();
    progress.Done();

    if (!scan.ok()) {
      fmt::print(stderr, "bukong replay: reading the audit log: {}\n", Message(scan));
      return kExitFailure;
    }
    if (!chain.ok()) {
      fmt::print(stderr, "bukong replay: verifying the chain: {}\n", Message(chain.status()));
      return kExitFailure;
    }
    std::multimap<uint64_t, std::string> found = problems.Take();
    const uint64_t differing = scanned - identical.load();
    for (const storage::ChainProblem& p : *chain) {
      found.emplace(p.seq, fmt::format("chain: {}", p.message));
    }
    std::string out;
    for (const auto& [seq, message] : found) {
      out += message;
      out += '\n';
    }
    out += fmt::format(
        "replay: records {}..{}: {} re-decided, {} identical, {} differ; chain {}\n", from, to,
        scanned, identical.load(), differing,
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
};

BUKONG_REGISTER_COMMAND(ReplayCommand);

}  // namespace
}  // namespace bukong::cli
