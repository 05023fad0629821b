// `bukong decide --db DIR --rules FILE [IN|-] [-o OUT] [--rejects FILE]` (SPEC §3-4, §6).
//
// Streams declarations (JSON Lines) through the engine and prints one decision per line.
// Every decision is in the synced audit log before it is printed: what was printed was
// recorded, whenever the process dies.
//
// Three threads and a bounded pool of batches keep memory flat whatever the input size:
//   decider (this thread)  read line -> parse -> profile (cached) -> decide -> encoded record
//   writer                 WriteAudit(batch): chain hashes, one atomic write to the WAL
//   syncer                 SyncAudit() (fsync) for every batch written so far -> print them
// The fsync of one batch overlaps the writing of the next (with one recorder thread doing
// both, the fsync latency was on the critical path and the decider waited for batches).
// The pool holds kPoolBatches batches; the decider waits for a free one, so at most that
// many batches of records exist at once. Output order is input order, and the output
// depends only on the input, the rules and the database state (profiles, key).
//
// A bad line (not JSON, a missing or mistyped field, a repeated key, a profile grade the
// ruleset does not declare) is reported as `INPUT:LINE: error: MESSAGE` on stderr, copied
// to --rejects, gets no decision and no audit record; the run goes on and exits 3. Lines
// holding only white space are skipped.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "cli/command.h"
#include "cli/support_progress.h"
#include "cli/support_rules.h"
#include "cli/support_status.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "ingest/line_source.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

// Records per AppendAudit call: one fsync per batch. 8192 records are ~40 ms of deciding,
// so the sync (a few ms) is well amortised, and a batch is ~10 MB at most in memory.
constexpr size_t kBatchRecords = 8192;
// A batch is also closed when its printed decisions reach this size (very long lines).
constexpr size_t kBatchBytes = size_t{8} << 20;
// Lines read and parsed ahead, whose missing profiles are fetched together (one MultiGet).
constexpr size_t kGroup = 64;
// Batches in flight: one being filled, one being written, one being synced, one queued.
constexpr size_t kPoolBatches = 4;

struct Batch {
  // The audit records, encoded by the decider as it decides (the writer only chains and
  // writes them); the buffers are reused from batch to batch.
  storage::AuditBatch records;
  std::string output;           // the decisions' JSON lines, each with its newline
  bool written = false;         // set by the writer when WriteAudit succeeded
  storage::AuditRange range{};  // the sequence numbers WriteAudit gave the records
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
  // The next batch if one is queued, else nullptr (does not wait).
  Batch* TryPop() {
    std::lock_guard lock(mu_);
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

// Profiles of the enterprises seen recently. Nothing else writes profiles while decide runs
// (the database is open for writing by this process only), so a cached profile is the
// stored one. A direct-mapped table of kSlots entries: fixed memory, and a slot's strings
// are reused when it is overwritten, so a steady-state lookup allocates nothing. Traffic is
// heavily skewed towards busy enterprises (on generated traffic with 1,000,000 profiles,
// 394,844 distinct enterprises file 1,000,000 declarations: that many lookups must miss).
// Misses on that traffic: 501,430 with 2^18 slots, 455,006 with 2^19, 427,480 with 2^20.
// 2^19 slots of ~120 bytes (the profile's id is the slot's key) take about what 2^18 slots
// with a separate key string took; 2^20 would cost 60 MB more for ~0.1 us per declaration.
class ProfileCache {
 public:
  static constexpr size_t kSlots = size_t{1} << 19;

  explicit ProfileCache(const storage::Store& store) : store_(store), slots_(kSlots) {}

  // Loads the profiles of those of `enterprises` that are not cached with one
  // Store::GetProfiles (a RocksDB MultiGet) instead of one Get each in Lookup. Two missing
  // enterprises of one call that share a slot: the second is left to Lookup.
  absl::Status Prefetch(std::span<const std::string_view> enterprises) {
    want_.clear();
    want_slots_.clear();
    for (std::string_view e : enterprises) {
      Slot& slot = SlotOf(e);
      if (slot.used && slot.profile.id == e) continue;
      const size_t index = static_cast<size_t>(&slot - slots_.data());
      if (std::find(want_slots_.begin(), want_slots_.end(), index) != want_slots_.end()) continue;
      want_.push_back(e);
      want_slots_.push_back(index);
    }
    if (want_.empty()) return absl::OkStatus();
    if (absl::Status s = store_.GetProfiles(want_, &fetched_); !s.ok()) return s;
    for (size_t i = 0; i < want_.size(); ++i) {
      Fill(slots_[want_slots_[i]], want_[i], std::move(fetched_[i]));
    }
    return absl::OkStatus();
  }

  // The profile of `enterprise` (nullptr: it has none). Valid until the next call.
  absl::StatusOr<const Profile*> Lookup(const std::string& enterprise) {
    Slot& slot = SlotOf(enterprise);
    if (!slot.used || slot.profile.id != enterprise) {
      auto fetched = store_.GetProfile(enterprise);
      if (!fetched.ok()) return fetched.status();
      Fill(slot, enterprise, *std::move(fetched));
    }
    return slot.present ? &slot.profile : nullptr;
  }

 private:
  struct Slot {
    bool used = false;
    bool present = false;
    Profile profile;  // profile.id is the slot's enterprise whether present or not
  };
  // Caches what the store answered for `enterprise`.
  static void Fill(Slot& slot, std::string_view enterprise, std::optional<Profile> fetched) {
    slot.used = true;
    slot.present = fetched.has_value();
    if (slot.present) {
      slot.profile = *std::move(fetched);
    } else {
      slot.profile.id.assign(enterprise);  // the key, also for an enterprise without one
    }
  }
  Slot& SlotOf(std::string_view enterprise) {
    return slots_[absl::HashOf(enterprise) & (kSlots - 1)];
  }
  const storage::Store& store_;
  std::vector<Slot> slots_;
  std::vector<std::string_view> want_;  // Prefetch's scratch, reused
  std::vector<size_t> want_slots_;
  std::vector<std::optional<Profile>> fetched_;
};

class DecideCommand : public Command {
 public:
  int Order() const override { return 40; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "decide",
        "Decide declarations (JSON Lines) under a ruleset; record each decision in the audit "
        "log, then print it");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--rules", rules_, "Rule file (.rules); it is stored in the database")
        ->required();
    sub->add_option("input", input_, "Declarations, JSON Lines (default or `-`: standard input)");
    sub->add_option("-o,--output", output_, "Write decisions here instead of standard output");
    sub->add_option("--rejects", rejects_, "Copy every rejected line here (created or truncated)");
    sub->footer(
        "Exit status: 0 all decided, 1 rule-file errors or an I/O/database error, 2 usage,\n"
        "3 some lines rejected (each reported as INPUT:LINE: error: MESSAGE). See docs/CLI.md.");
    return sub;
  }

  int Run() override {
    std::unique_ptr<RulesetEntry> rules = LoadRuleFile(rules_);
    if (!rules) return kExitFailure;

    // Inputs and outputs first: a typo in a path must not leave a stored ruleset behind.
    std::ios::sync_with_stdio(false);  // std::cin reads in blocks, not byte by byte
    std::ifstream file;
    std::istream* in = &std::cin;
    std::string input_name = kStdinName;
    if (!input_.empty() && input_ != "-") {
      file.open(input_, std::ios::binary);
      if (!file) {
        fmt::print(stderr, "{}: error: cannot open the input\n", input_);
        return kExitFailure;
      }
      in = &file;
      input_name = input_;
    }
    std::FILE* out = stdout;
    if (!output_.empty()) {
      out = std::fopen(output_.c_str(), "wb");
      if (out == nullptr) {
        fmt::print(stderr, "{}: error: cannot create the output file\n", output_);
        return kExitFailure;
      }
    }
    std::FILE* rejects = nullptr;
    if (!rejects_.empty()) {
      rejects = std::fopen(rejects_.c_str(), "wb");
      if (rejects == nullptr) {
        fmt::print(stderr, "{}: error: cannot create the rejects file\n", rejects_);
        return kExitFailure;
      }
    }
    const int code = Decide(*rules, *in, input_name, out, rejects);
    if (rejects != nullptr && std::fclose(rejects) != 0) {
      fmt::print(stderr, "{}: error: cannot write the rejects file\n", rejects_);
      return kExitFailure;
    }
    if (out != stdout && std::fclose(out) != 0) {
      fmt::print(stderr, "{}: error: cannot write the output file\n", output_);
      return kExitFailure;
    }
    return code;
  }

 private:
  int Decide(const RulesetEntry& rules, std::istream& in, const std::string& input_name,
             std::FILE* out, std::FILE* rejects) {
    // No RocksDB row cache: ProfileCache below already answers every repeated enterprise,
    // so the row cache would only see first lookups, each paying an insert (and, later, an
    // eviction) into a 64 MB LRU table for nothing.
    storage::StoreOptions store_options;
    store_options.row_cache_bytes = 0;
    auto opened = storage::Store::Open(db_, store_options);
    if (!opened.ok()) {
      fmt::print(stderr, "bukong decide: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = *std::move(opened);
    const ir::Ruleset& ir = rules.compiled->ir();
    auto sha = store->PutRuleset(rules.text, ir.name, ir.version);
    if (!sha.ok()) {
      fmt::print(stderr, "bukong decide: storing the ruleset: {}\n", Message(sha.status()));
      return kExitFailure;
    }
    if (*sha != rules.compiled->Sha256()) {  // both hash the same bytes; a bug otherwise
      fmt::print(stderr, "bukong decide: internal error: ruleset hash mismatch\n");
      return kExitFailure;
    }
    const SelectionKey key(store->key());
    engine::Engine engine(key, rules.compiled);
    ingest::DeclarationParser parser(rules.fields_read);
    ProfileCache profiles(*store);
    ingest::LineReader reader(&in);
    Progress progress("declarations");

    std::vector<Batch> pool(kPoolBatches);
    BatchQueue free_batches, full_batches, written_batches;
    for (Batch& b : pool) free_batches.Push(&b);

    std::mutex failure_mu;
    absl::Status failure;  // guarded by failure_mu; the first failure of writer or syncer
    std::atomic<bool> failed{false};
    auto fail = [&](absl::Status status) {
      std::lock_guard lock(failure_mu);
      if (failure.ok()) failure = std::move(status);
      failed.store(true);
    };

    // The writer: chains and writes each batch to the WAL, in input order, unsynced.
    std::thread writer([&] {
      while (Batch* b = full_batches.Pop()) {
        b->written = false;
        if (!failed.load(std::memory_order_relaxed)) {
          auto range = store->WriteAudit(b->records);
          if (range.ok()) {
            b->written = true;
            b->range = *range;
          } else {
            fail(range.status());
          }
        }
        written_batches.Push(b);
      }
      written_batches.Close();
    });

    // The syncer: one fsync for every batch written so far, then prints them in order. A
    // batch is printed only after a sync that started after its write returned: what was
    // printed was recorded. After a failure nothing more is printed (the output stays a
    // prefix of the decisions, all of them recorded).
    uint64_t first_seq = 0, last_seq = 0;
    std::thread syncer([&] {
      std::vector<Batch*> group;
      bool printing = true;
      while (Batch* b = written_batches.Pop()) {
        group.assign(1, b);
        while (Batch* more = written_batches.TryPop()) group.push_back(more);
        const bool any_written =
            std::any_of(group.begin(), group.end(), [](const Batch* g) { return g->written; });
        if (printing && any_written) {
          if (absl::Status s = store->SyncAudit(); !s.ok()) {
            fail(s);
            printing = false;
          }
        }
        for (Batch* g : group) {
          if (printing && !g->written) printing = false;
          if (printing) {
            if (first_seq == 0) first_seq = g->range.first;
            last_seq = g->range.last;
            if (std::fwrite(g->output.data(), 1, g->output.size(), out) != g->output.size() ||
                std::fflush(out) != 0) {
              fail(absl::DataLossError(
                  fmt::format("cannot write the decisions to {} (they are recorded in the "
                              "audit log up to record {})",
                              output_.empty() ? "standard output" : output_, g->range.last)));
              printing = false;
            }
          }
          g->records.Clear();
          g->output.clear();
          free_batches.Push(g);
        }
      }
    });

    uint64_t lines = 0, decided = 0, rejected = 0;
    absl::Status stop;  // an error that ends the run early (not a bad line)
    Batch* batch = free_batches.Pop();
    engine::Decision decision;
    std::string decision_json;  // the line printed and recorded, built once
    auto reject = [&](std::string_view line, uint64_t line_number, std::string_view message) {
      ++rejected;
      fmt::print(stderr, "{}\n", ingest::FormatInputError(input_name, line_number, message));
      if (rejects != nullptr) {
        std::fwrite(line.data(), 1, line.size(), rejects);
        std::fputc('\n', rejects);
      }
    };
    auto submit = [&] {
      full_batches.Push(batch);
      batch = free_batches.Pop();
    };

    // Lines are read and parsed kGroup at a time so that the profiles their enterprises
    // miss in the cache are fetched with one MultiGet; they are then decided, rejected
    // and counted in input order, exactly as one at a time.
    struct Pending {
      std::string line;
      uint64_t line_number = 0;
      bool blank = false;
      absl::Status parsed;
      Declaration declaration;
    };
    std::vector<Pending> group(kGroup);
    std::vector<std::string_view> enterprises;
    enterprises.reserve(kGroup);
    std::string_view line;
    uint64_t line_number = 0;
    bool halt = false;
    while (!halt) {
      size_t n = 0;
      while (n < kGroup && reader.Next(&line, &line_number)) {
        Pending& p = group[n++];
        p.line.assign(line);
        p.line_number = line_number;
        p.blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
        if (!p.blank) p.parsed = parser.Parse(p.line, &p.declaration);
      }
      if (n == 0) break;
      enterprises.clear();
      for (size_t i = 0; i < n; ++i) {
        if (!group[i].blank && group[i].parsed.ok()) {
          enterprises.push_back(group[i].declaration.enterprise);
        }
      }
      if (absl::Status s = profiles.Prefetch(enterprises); !s.ok()) {
        stop = s;
        break;
      }
      for (size_t i = 0; i < n && !halt; ++i) {
        Pending& p = group[i];
        ++lines;
        progress.Update(lines);
        if (p.blank) continue;
        if (!p.parsed.ok()) {
          reject(p.line, p.line_number, Message(p.parsed));
          continue;
        }
        const Declaration& declaration = p.declaration;
        auto profile = profiles.Lookup(declaration.enterprise);
        if (!profile.ok()) {
          stop = profile.status();
          halt = true;
          break;
        }
        if (absl::Status s = engine.DecideInto(declaration, *profile, &decision); !s.ok()) {
          reject(p.line, p.line_number, Message(s));
          continue;
        }
        decision_json.clear();
        engine::AppendDecisionJson(decision, &decision_json);
        batch->records.Add(declaration.id, declaration.enterprise, p.line, *profile, *sha,
                           store->key_id(), decision_json);
        batch->output.append(decision_json);
        batch->output.push_back('\n');
        ++decided;

        if (batch->records.size() >= kBatchRecords || batch->output.size() >= kBatchBytes) {
          if (failed.load(std::memory_order_relaxed)) {
            halt = true;
            break;
          }
          submit();
        }
      }
    }
    if (stop.ok() && !reader.status().ok()) {
      stop = absl::DataLossError(
          ingest::FormatInputError(input_name, reader.line_number() + 1, Message(reader.status())));
    }
    // The decisions made so far are recorded and printed even when the run stops early.
    if (!batch->records.empty()) {
      full_batches.Push(batch);
    } else {
      free_batches.Push(batch);
    }
    full_batches.Close();
    writer.join();
    syncer.join();
    progress.Done();

    int code = kExitOk;
    if (!failure.ok()) {
      fmt::print(stderr, "bukong decide: {}\n", Message(failure));
      code = kExitFailure;
    }
    if (!stop.ok()) {
      fmt::print(stderr, "bukong decide: {}\n", Message(stop));
      code = kExitFailure;
    }
    if (code == kExitOk && rejected > 0) code = kExitRejected;
    if (failure.ok()) {
      fmt::print(stderr, "bukong decide: {} line{} read, {} decided and recorded{}, {} rejected\n",
                 lines, lines == 1 ? "" : "s", decided,
                 decided > 0 ? fmt::format(" (audit records {}..{})", first_seq, last_seq) : "",
                 rejected);
    }
    return code;
  }

  std::string db_;
  std::string rules_;
  std::string input_;
  std::string output_;
  std::string rejects_;
};

BUKONG_REGISTER_COMMAND(DecideCommand);

}  // namespace
}  // namespace bukong::cli
