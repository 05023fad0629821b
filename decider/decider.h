// The audited decider: decisions that are returned only once their audit record is durable.
//
//   BUKONG_ASSIGN_OR_RETURN(auto store, storage::Store::Open("db"));
//   BUKONG_ASSIGN_OR_RETURN(auto decider,
//                           decider::Decider::Create(*store, rules_text, compiled, {}));
//   absl::StatusOr<decider::Decided> d = decider->Decide(declaration, json_line);
//   if (d.ok()) reply(d->json, d->seq);   // d->seq is the audit record; it survives a crash
//
// Contract:
// - A decision reaches its caller (the return value, or the callback of DecideAsync) only
//   after the audit record holding it was written and a sync (fsync) that started after the
//   write returned OK. Whenever the process dies, every decision a caller received is in the
//   audit log at the sequence number it was given. An input error (a profile grade the ruleset
//   does not declare, a field the ruleset reads that is missing) is InvalidArgument and
//   records nothing.
// - Group commit: concurrent callers' records are collected while the previous batch is
//   being synced and made durable with one SyncAudit; many callers share one fsync
//   (LevelDB's DBImpl::Write, with a writer and a syncer thread). The writer writes what
//   has arrived ahead of the next sync; the syncer writes the rest (who arrived after that)
//   just before it starts it, so a caller who arrives during a sync waits for that sync and
//   the next one, never a third.
// - Back-pressure: at most `max_pending_batches` batches of at most `max_batch_records`
//   records exist at once (queued, being written or being synced), so memory is bounded
//   whatever the callers do. A caller that finds them full waits (default) or, with
//   `wait_when_full = false`, gets ResourceExhausted at once and nothing is recorded.
// - After a failed write or sync the decider acknowledges nothing more: every pending and
//   later call gets the failure (Unavailable, naming what failed); healthy() turns false.
//   The records written before the failure are whatever the database kept: all of the
//   acknowledged ones, maybe more (those are never reported to anyone).
// - Each audit record keeps, besides the decision line, the full digest of every list
//   version bound to the ruleset the decision was made under (storage::AuditRecord::lists,
//   in declaration order; the line prints their first 16 digits).
// - SetRuleset stores the ruleset's text in the database before it becomes live, so every
//   audit record names a ruleset the database holds (replay needs it). The swap is atomic:
//   a call decides under the old or the new ruleset, never a mix (engine/engine.h).
// - Shutdown (also run by the destructor) stops taking calls, writes and syncs everything
//   queued, completes every pending call and returns the first failure, if any.
//
// Thread-safety: Decide, DecideAsync, DecideBatch, SetRuleset, ruleset() and metrics() may be
// called from any number of threads. A Stream is for one producer thread.
// The store must outlive the decider; nothing else may append audit records to it meanwhile.
#ifndef BUKONG_DECIDER_DECIDER_H_
#define BUKONG_DECIDER_DECIDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/declaration.h"
#include "engine/engine.h"
#include "storage/store.h"

namespace bukong::decider {

struct DeciderOptions {
  // Records per audit write (and per fsync, at most). Larger batches amortise the fsync
  // better; each record is about 1 KB in memory.
  size_t max_batch_records = 8192;
  // Batches that may exist at once: the bound on memory and the depth of the queue.
  size_t max_pending_batches = 4;
  // When the batches are full: wait for room (true) or fail with ResourceExhausted (false).
  // Streams always wait.
  bool wait_when_full = true;
  // Decide without recording anything (`decide --dry-run`): no ruleset is stored, no audit
  // record written, every decision comes back with seq 0. The store may be read-only.
  bool dry_run = false;
};

// One audited decision.
struct Decided {
  engine::Decision decision;
  std::string json;  // the decision's JSON line (engine::DecisionToJson), as recorded
  uint64_t seq = 0;  // its audit sequence number (0 on a dry run)
};

// A histogram snapshot in the Prometheus sense: counts[i] is the number of observations
// <= bounds[i] (cumulative); the last count, for +Inf, equals `count`.
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries, cumulative
  double sum = 0;
  uint64_t count = 0;
};

struct DeciderMetrics {
  uint64_t recorded = 0;          // decisions acknowledged (durable)
  uint64_t input_errors = 0;      // calls refused as input errors (nothing recorded)
  uint64_t refused_full = 0;      // calls refused with ResourceExhausted
  uint64_t queued_records = 0;    // records decided and not yet acknowledged
  uint64_t pending_batches = 0;   // batches queued, being written or being synced
  Histogram sync_seconds;         // latency of each SyncAudit
  Histogram batch_records;        // records per audit write (group-commit batch sizes)
  bool healthy = true;            // false after a failed write or sync
};

class Decider {
 public:
  // Called once per decision, from the decider's syncer thread (or the calling thread for an
  // error found before queueing, and on a dry run): keep it short (post the work elsewhere).
  using Callback = std::function<void(absl::StatusOr<Decided>)>;

  // Stores `text` (the rule file whose compiled form is `compiled`; its SHA-256 must match)
  // and starts the writer and syncer threads. The key is the store's.
  static absl::StatusOr<std::unique_ptr<Decider>> Create(
      storage::Store& store, std::string_view text,
      std::shared_ptr<const engine::CompiledRuleset> compiled, const DeciderOptions& options = {});
  ~Decider();  // Shutdown()
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  // Decides `declaration` (parsed from `line`, the bytes the audit record keeps) with the
  // enterprise's stored profile and waits until its record is durable.
  absl::StatusOr<Decided> Decide(const Declaration& declaration, std::string_view line);
  // The same without waiting: `done` is called once, when the record is durable or the call
  // failed. `line` is copied before this returns.
  void DecideAsync(const Declaration& declaration, std::string_view line, Callback done);
  // Decides every declaration (lines[i] is the text of declarations[i]) and waits for all of
  // them; result i belongs to declaration i. An input error affects only its own entry.
  // The profiles are fetched with one MultiGet and the records join the group under one
  // lock: cheaper per declaration than as many single calls.
  std::vector<absl::StatusOr<Decided>> DecideBatch(std::span<const Declaration> declarations,
                                                   std::span<const std::string_view> lines);
  // The same without waiting: `done` gets every result once all are durable or failed
  // (from the syncer thread, or this one when none was queued). The lines are copied.
  using BatchCallback = std::function<void(std::vector<absl::StatusOr<Decided>>)>;
  void DecideBatchAsync(std::span<const Declaration> declarations,
                        std::span<const std::string_view> lines, BatchCallback done);

  // Stores `text`, then makes `compiled` the live ruleset (atomically for callers).
  absl::Status SetRuleset(std::string_view text, std::shared_ptr<const engine::CompiledRuleset> compiled);
  std::shared_ptr<const engine::CompiledRuleset> ruleset() const;

  DeciderMetrics metrics() const;
  bool healthy() const;

  // Stops taking calls (later ones get Unavailable), records and acknowledges everything
  // queued, stops the threads. Returns the first write or sync failure. Idempotent.
  absl::Status Shutdown();

  // A single producer's ordered stream of decisions (`bukong decide`): the producer decides
  // on its own thread, with a cache of profiles (valid only while nothing else changes
  // profiles in the store), into batches of max_batch_records; `sink` receives each batch's
  // decision lines (each ending in '\n') in input order once the batch is durable, on the
  // syncer thread. After a failure nothing more reaches the sink.
  class Stream {
   public:
    using Sink = std::function<absl::Status(std::string_view lines, storage::AuditRange range)>;
    Stream(Decider& decider, Sink sink);
    ~Stream();  // Finish()
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Loads the profiles of these enterprises that are not cached, in one MultiGet.
    absl::Status Prefetch(std::span<const std::string_view> enterprises);
    // Decides one declaration into the current batch. InvalidArgument: an input error (the
    // line is rejected, nothing recorded). Other errors: the stream has failed (stop).
    absl::Status Add(const Declaration& declaration, std::string_view line);
    // Drops the decisions added since the last full batch went out: never recorded, never
    // given to the sink (`decide --max-rejects`). Returns how many were dropped.
    uint64_t DiscardCurrent();
    // Submits the last batch, waits until every batch reached the sink or failed, and
    // returns the first failure (of the decider or of the sink). Idempotent.
    absl::Status Finish();

   private:
    struct State;
    std::shared_ptr<State> state_;
  };

 private:
  struct Impl;
  explicit Decider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bukong::decider

#endif  // BUKONG_DECIDER_DECIDER_H_
