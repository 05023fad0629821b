#include "decider/decider.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>

#include "decider/internal/profile_cache.h"

namespace bukong::decider {

using engine::AppendDecisionJson;
using engine::CompiledRuleset;
using engine::Decision;
using engine::Engine;

namespace {

// A stream's batch is also closed when its printed decisions reach this size (long lines).
constexpr size_t kStreamBatchBytes = size_t{8} << 20;

// Observations counted per bucket (not cumulative); snapshots make them cumulative.
class HistogramCounts {
 public:
  explicit HistogramCounts(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}
  void Observe(double v) {
    const size_t i = static_cast<size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    ++counts_[i];
    sum_ += v;
    ++count_;
  }
  Histogram Snapshot() const {
    Histogram h;
    h.bounds = bounds_;
    uint64_t running = 0;
    for (uint64_t c : counts_) h.counts.push_back(running += c);
    h.sum = sum_;
    h.count = count_;
    return h;
  }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

std::vector<double> SyncBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}
std::vector<double> BatchBounds() {
  std::vector<double> b;
  for (double v = 1; v <= 8192; v *= 2) b.push_back(v);
  return b;
}

// The list versions bound to the ruleset a decision was made under (SPEC §7.1), as its audit
// record keeps them: name and full digest, in the ruleset's declaration order — the versions
// whose first 16 digits the decision line prints. Rebuilt only when the ruleset changes
// (holding it, so that a new ruleset at the same address is never taken for the old one).
class RecordedListVersions {
 public:
  std::span<const storage::BoundListVersion> Of(const std::shared_ptr<const CompiledRuleset>& r) {
    if (r != ruleset_) {
      ruleset_ = r;
      versions_.clear();
      for (const ir::ListDecl& decl : r->ir().lists) {
        const auto bound = r->lists().find(decl.name);
        versions_.push_back(
            {decl.name, bound == r->lists().end() ? std::string() : bound->second->digest()});
      }
    }
    return versions_;
  }

 private:
  std::shared_ptr<const CompiledRuleset> ruleset_;
  std::vector<storage::BoundListVersion> versions_;
};

}  // namespace

namespace detail {

// The results of one DecideBatchAsync call, completed entry by entry.
struct BatchState {
  std::vector<absl::StatusOr<Decided>> results;
  std::atomic<size_t> left{0};
  Decider::BatchCallback done;
  // Marks n more results final; the last one hands them all to `done`.
  void Finish(size_t n) {
    if (n > 0 && left.fetch_sub(n, std::memory_order_acq_rel) == n) done(std::move(results));
  }
};

// One caller's decision waiting in a batch: a single call (done) or an entry of a batch call.
struct Waiter {
  Decider::Callback done;
  std::shared_ptr<BatchState> batch;
  size_t index = 0;
  Decision decision;
  std::string json;
};

// Who is told when a stream's batch is durable (Decider::Stream::State).
class StreamListener {
 public:
  virtual ~StreamListener() = default;
  virtual void Completed(std::string_view output, storage::AuditRange range,
                         const absl::Status& status) = 0;
};

// One audit write: records of many callers (a call batch) or of one stream.
struct Unit {
  storage::AuditBatch records;
  std::vector<Waiter> waiters;               // call batches: waiters[i] owns record i
  std::string output;                        // stream batches: the decision lines
  StreamListener* stream = nullptr;          // set for a stream batch
  storage::AuditRange range{};
  absl::Status status;  // of the write
  void Clear() {
    records.Clear();
    waiters.clear();
    output.clear();
    stream = nullptr;
    range = {};
    status = absl::OkStatus();
  }
};

}  // namespace detail
using detail::StreamListener;
using detail::Unit;
using detail::Waiter;
using detail::BatchState;

struct Decider::Stream::State : StreamListener {
  State(Decider::Impl& i, Sink s, const storage::Store& store)
      : impl(i), sink(std::move(s)), cache(store) {}
  // Called on the syncer thread when one of this stream's batches is durable or failed.
  void Completed(std::string_view output, storage::AuditRange range,
                 const absl::Status& status) override;
  // Hands the current batch to the writer (on a dry run: to the sink at once).
  absl::Status Submit();

  Decider::Impl& impl;
  Sink sink;
  internal::ProfileCache cache;
  Decision decision;  // the producer's scratch
  std::string json;
  RecordedListVersions list_versions;  // producer-only
  std::mutex mu;
  std::condition_variable cv;
  size_t outstanding = 0;  // batches submitted and not completed; guarded by mu
  absl::Status failure;    // guarded by mu
  std::atomic<bool> failed{false};
  std::unique_ptr<Unit> current;  // producer-only: the batch being filled
  bool finished = false;   // producer-only
  absl::Status finish_status;
};

struct Decider::Impl {
  Impl(storage::Store& s, const DeciderOptions& o, std::shared_ptr<const CompiledRuleset> r)
      : store(s),
        options(o),
        engine(s.key(), std::move(r)),
        sync_seconds(SyncBounds()),
        batch_records(BatchBounds()) {
    options.max_batch_records = std::max<size_t>(options.max_batch_records, 1);
    options.max_pending_batches = std::max<size_t>(options.max_pending_batches, 1);
    filling = TakeFree();
  }

  // Requires mu (or no other thread yet).
  std::unique_ptr<Unit> TakeFree() {
    if (free_units.empty()) return std::make_unique<Unit>();
    std::unique_ptr<Unit> u = std::move(free_units.back());
    free_units.pop_back();
    return u;
  }

  // Why no call is taken now (OK: taken). Requires mu.
  absl::Status RefusalLocked() const {
    if (stopping) return absl::UnavailableError("the decider is shutting down");
    return failure;
  }

  // Makes room in `filling` for one more record: hands a full batch to the writer when a
  // slot is free, else waits for one (or, without wait_when_full, refuses with
  // ResourceExhausted). OK: there is room now; otherwise why the call is refused. Requires
  // `lock` held on mu.
  absl::Status RoomForOneLocked(std::unique_lock<std::mutex>& lock) {
    for (;;) {
      if (absl::Status s = RefusalLocked(); !s.ok()) return s;
      if (filling->records.size() < options.max_batch_records) return absl::OkStatus();
      if (pending < options.max_pending_batches) {
        queued.push_back(std::move(filling));
        ++pending;
        filling = TakeFree();
        writer_cv.notify_one();
        return absl::OkStatus();
      }
      if (!options.wait_when_full) {
        refused_full.fetch_add(1, std::memory_order_relaxed);
        return absl::ResourceExhaustedError(fmt::format(
            "the decider's queue is full ({} batches of {} records waiting for the audit log)",
            options.max_pending_batches, options.max_batch_records));
      }
      room_cv.wait(lock);
    }
  }

  void Enqueue(const Declaration& declaration, std::string_view line, Callback done);
  void EnqueueBatch(std::span<const Declaration> declarations,
                    std::span<const std::string_view> lines, BatchCallback done);
  // Writes u's records to the audit log (not synced); after `failed` only notes it.
  void WriteUnit(Unit& u, const absl::Status& failed);
  void NoteWrittenLocked(const Unit& u);  // a failed write becomes the failure; requires mu
  void WriterLoop();
  void SyncerLoop();
  void Complete(Unit& u, const absl::Status& status);

  storage::Store& store;
  DeciderOptions options;
  Engine engine;

  mutable std::mutex mu;
  std::condition_variable writer_cv, syncer_cv, room_cv;
  std::unique_ptr<Unit> filling;                // guarded by mu: call records collect here
  std::deque<std::unique_ptr<Unit>> queued;     // guarded by mu: full call batches, streams
  std::deque<std::unique_ptr<Unit>> written;    // guarded by mu: written, not yet syncing
  std::vector<std::unique_ptr<Unit>> free_units;  // guarded by mu
  size_t pending = 0;          // guarded by mu: units queued, writing, written or syncing
  uint64_t queued_records = 0; // guarded by mu
  bool stopping = false;       // guarded by mu
  bool writer_done = false;    // guarded by mu
  bool writer_busy = false;    // guarded by mu: the writer is writing a unit
  absl::Status failure;        // guarded by mu: the first write or sync failure
  std::atomic<bool> healthy{true};
  uint64_t recorded = 0;       // guarded by mu
  std::atomic<uint64_t> input_errors{0}, refused_full{0};
  HistogramCounts sync_seconds;   // guarded by mu
  HistogramCounts batch_records;  // guarded by mu
  RecordedListVersions list_versions;  // guarded by mu
  std::mutex ruleset_mu;  // serialises SetRuleset (store the text, then swap)
  std::thread writer, syncer;
  bool joined = false;  // guarded by shutdown_mu
  std::mutex shutdown_mu;
  absl::Status shutdown_status;
};

void Decider::Impl::Enqueue(const Declaration& declaration, std::string_view line,
                            Callback done) {
  auto profile = store.GetProfile(declaration.enterprise);
  if (!profile.ok()) {
    done(profile.status());
    return;
  }
  const Profile* p = profile->has_value() ? &**profile : nullptr;
  Waiter w;
  if (absl::Status s = engine.DecideInto(declaration, p, &w.decision); !s.ok()) {
    input_errors.fetch_add(1, std::memory_order_relaxed);
    done(std::move(s));
    return;
  }
  AppendDecisionJson(w.decision, &w.json);
  if (options.dry_run) {
    done(Decided{std::move(w.decision), std::move(w.json), 0});
    return;
  }
  std::unique_lock lock(mu);
  if (absl::Status s = RoomForOneLocked(lock); !s.ok()) {
    lock.unlock();
    done(std::move(s));
    return;
  }
  filling->records.Add(declaration.id, declaration.enterprise, line, p,
                       w.decision.ruleset->Sha256(), store.key_id(), w.json,
                       list_versions.Of(w.decision.ruleset));
  w.done = std::move(done);
  filling->waiters.push_back(std::move(w));
  ++queued_records;
  if (filling->records.size() == 1) writer_cv.notify_one();
}

void Decider::Impl::EnqueueBatch(std::span<const Declaration> declarations,
                                 std::span<const std::string_view> lines, BatchCallback done) {
  auto state = std::make_shared<BatchState>();
  const size_t n = declarations.size();
  state->results.assign(n, absl::InternalError("not decided"));
  state->done = std::move(done);
  state->left.store(n + 1);  // +1: this call's own share, released at the end
  if (lines.size() != n) {
    for (auto& r : state->results) r = absl::InvalidArgumentError("one line per declaration");
    state->Finish(n + 1);
    return;
  }
  std::vector<std::string_view> enterprises;
  enterprises.reserve(n);
  for (const Declaration& d : declarations) enterprises.push_back(d.enterprise);
  std::vector<std::optional<Profile>> profiles;
  if (absl::Status s = store.GetProfiles(enterprises, &profiles); !s.ok()) {
    for (auto& r : state->results) r = s;
    state->Finish(n + 1);
    return;
  }
  size_t finished = 1;  // this call's share
  std::vector<Waiter> waiters;
  waiters.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Waiter w;
    w.batch = state;
    w.index = i;
    const Profile* p = profiles[i] ? &*profiles[i] : nullptr;
    if (absl::Status s = engine.DecideInto(declarations[i], p, &w.decision); !s.ok()) {
      input_errors.fetch_add(1, std::memory_order_relaxed);
      state->results[i] = std::move(s);
      ++finished;
      continue;
    }
    AppendDecisionJson(w.decision, &w.json);
    if (options.dry_run) {
      state->results[i] = Decided{std::move(w.decision), std::move(w.json), 0};
      ++finished;
      continue;
    }
    waiters.push_back(std::move(w));
  }
  if (!waiters.empty()) {
    std::unique_lock lock(mu);
    for (Waiter& w : waiters) {
      absl::Status refused = RoomForOneLocked(lock);
      if (!refused.ok()) {
        state->results[w.index] = std::move(refused);
        ++finished;
        continue;
      }
      const size_t i = w.index;
      const Profile* p = profiles[i] ? &*profiles[i] : nullptr;
      filling->records.Add(declarations[i].id, declarations[i].enterprise, lines[i], p,
                           w.decision.ruleset->Sha256(), store.key_id(), w.json,
                           list_versions.Of(w.decision.ruleset));
      filling->waiters.push_back(std::move(w));
      ++queued_records;
    }
    writer_cv.notify_one();
  }
  state->Finish(finished);
}

void Decider::Impl::WriteUnit(Unit& u, const absl::Status& failed) {
  if (!failed.ok()) {
    u.status = failed;
    return;
  }
  auto range = store.WriteAudit(u.records);
  if (range.ok()) {
    u.range = *range;
  } else {
    u.status = absl::UnavailableError(
        fmt::format("writing the audit log failed: {}", std::string(range.status().message())));
  }
}

void Decider::Impl::NoteWrittenLocked(const Unit& u) {
  if (!u.status.ok() && failure.ok()) {
    failure = u.status;
    healthy.store(false);
  }
}

void Decider::Impl::WriterLoop() {
  std::unique_lock lock(mu);
  for (;;) {
    std::unique_ptr<Unit> u;
    if (!queued.empty()) {
      u = std::move(queued.front());
      queued.pop_front();
    } else if (!filling->records.empty() &&
               ((written.empty() && pending < options.max_pending_batches) || stopping)) {
      // Group commit: the callers who arrived while the previous batch was being synced.
      u = std::move(filling);
      filling = TakeFree();
      ++pending;
      room_cv.notify_all();
    } else if (stopping) {
      break;
    } else {
      writer_cv.wait(lock);
      continue;
    }
    const absl::Status failed = failure;
    batch_records.Observe(static_cast<double>(u->records.size()));
    writer_busy = true;
    lock.unlock();
    WriteUnit(*u, failed);
    lock.lock();
    writer_busy = false;
    NoteWrittenLocked(*u);
    written.push_back(std::move(u));
    syncer_cv.notify_one();
  }
  writer_done = true;
  syncer_cv.notify_one();
}

void Decider::Impl::SyncerLoop() {
  std::vector<std::unique_ptr<Unit>> group;
  std::unique_lock lock(mu);
  for (;;) {
    syncer_cv.wait(lock, [&] { return !written.empty() || writer_done; });
    if (written.empty()) break;
    group.clear();
    while (!written.empty()) {
      group.push_back(std::move(written.front()));
      written.pop_front();
    }
    // The tail: callers who arrived after the writer took its last batch (while the
    // previous sync ran). Written here, just before this sync, they are covered by it;
    // left to the writer they would be written once this sync has started and wait for
    // the next one (a whole further sync for every request of a closed-loop client: ~2.5
    // sync times of latency instead of ~1.5). Only when nothing older waits (queued, or
    // being written by the writer), so that the records keep their order of arrival.
    std::unique_ptr<Unit> tail;
    if (queued.empty() && !writer_busy && !filling->records.empty() &&
        pending < options.max_pending_batches) {
      tail = std::move(filling);
      filling = TakeFree();
      ++pending;
      batch_records.Observe(static_cast<double>(tail->records.size()));
      room_cv.notify_all();
    }
    writer_cv.notify_one();  // the writer may take the next group now
    absl::Status status = failure;  // after a failure nothing more is acknowledged
    lock.unlock();
    if (tail != nullptr) {
      WriteUnit(*tail, status);
      lock.lock();
      NoteWrittenLocked(*tail);
      status = failure;
      lock.unlock();
      group.push_back(std::move(tail));
    }
    double seconds = -1;
    if (status.ok()) {
      const auto start = std::chrono::steady_clock::now();
      if (absl::Status s = store.SyncAudit(); !s.ok()) {
        status = absl::UnavailableError(
            fmt::format("syncing the audit log failed: {}", std::string(s.message())));
      }
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    // The counters first, so that a caller who got its answer sees them counted.
    uint64_t acknowledged = 0, call_records = 0;
    for (auto& u : group) {
      if (u->status.ok() && status.ok()) acknowledged += u->records.size();
      if (u->stream == nullptr) call_records += u->records.size();
    }
    lock.lock();
    if (seconds >= 0) sync_seconds.Observe(seconds);
    if (!status.ok() && failure.ok()) {
      failure = status;
      healthy.store(false);
    }
    recorded += acknowledged;
    queued_records -= call_records;
    lock.unlock();
    for (auto& u : group) Complete(*u, u->status.ok() ? status : u->status);
    lock.lock();
    for (auto& u : group) {
      u->Clear();
      free_units.push_back(std::move(u));
    }
    pending -= group.size();
    room_cv.notify_all();
    writer_cv.notify_one();
  }
}

void Decider::Impl::Complete(Unit& u, const absl::Status& status) {
  if (u.stream != nullptr) {
    u.stream->Completed(u.output, u.range, status);
    return;
  }
  for (size_t i = 0; i < u.waiters.size(); ++i) {
    Waiter& w = u.waiters[i];
    absl::StatusOr<Decided> result =
        status.ok() ? absl::StatusOr<Decided>(
                          Decided{std::move(w.decision), std::move(w.json), u.range.first + i})
                    : absl::StatusOr<Decided>(status);
    if (w.batch != nullptr) {
      w.batch->results[w.index] = std::move(result);
      w.batch->Finish(1);
    } else {
      w.done(std::move(result));
    }
  }
}

absl::StatusOr<std::unique_ptr<Decider>> Decider::Create(
    storage::Store& store, std::string_view text, std::shared_ptr<const CompiledRuleset> compiled,
    const DeciderOptions& options) {
  if (compiled == nullptr) return absl::InvalidArgumentError("no ruleset");
  if (!options.dry_run) {
    auto sha = store.PutRuleset(text, compiled->ir().name, compiled->ir().version);
    if (!sha.ok()) return sha.status();
    if (*sha != compiled->Sha256()) {
      return absl::InvalidArgumentError("the ruleset text is not the text it was compiled from");
    }
  }
  auto impl = std::make_unique<Impl>(store, options, std::move(compiled));
  Impl* raw = impl.get();
  if (!options.dry_run) {
    raw->writer = std::thread([raw] { raw->WriterLoop(); });
    raw->syncer = std::thread([raw] { raw->SyncerLoop(); });
  }
  return std::unique_ptr<Decider>(new Decider(std::move(impl)));
}

Decider::Decider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Decider::~Decider() { Shutdown().IgnoreError(); }

absl::Status Decider::Shutdown() {
  std::lock_guard guard(impl_->shutdown_mu);
  if (impl_->joined) return impl_->shutdown_status;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->writer_cv.notify_all();
  impl_->room_cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  if (impl_->syncer.joinable()) impl_->syncer.join();
  impl_->joined = true;
  std::lock_guard lock(impl_->mu);
  impl_->shutdown_status = impl_->failure;
  return impl_->shutdown_status;
}

void Decider::DecideAsync(const Declaration& declaration, std::string_view line, Callback done) {
  impl_->Enqueue(declaration, line, std::move(done));
}

namespace {
// Waits for a number of callbacks.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  size_t left;
  explicit Latch(size_t n) : left(n) {}
  void CountDown() {
    std::lock_guard lock(mu);
    if (--left == 0) cv.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return left == 0; });
  }
};
}  // namespace

absl::StatusOr<Decided> Decider::Decide(const Declaration& declaration, std::string_view line) {
  std::optional<absl::StatusOr<Decided>> result;
  Latch latch(1);
  DecideAsync(declaration, line, [&](absl::StatusOr<Decided> r) {
    result = std::move(r);
    latch.CountDown();
  });
  latch.Wait();
  return *std::move(result);
}

void Decider::DecideBatchAsync(std::span<const Declaration> declarations,
                               std::span<const std::string_view> lines, BatchCallback done) {
  impl_->EnqueueBatch(declarations, lines, std::move(done));
}

std::vector<absl::StatusOr<Decided>> Decider::DecideBatch(
    std::span<const Declaration> declarations, std::span<const std::string_view> lines) {
  std::vector<absl::StatusOr<Decided>> results;
  Latch latch(1);
  DecideBatchAsync(declarations, lines, [&](std::vector<absl::StatusOr<Decided>> r) {
    results = std::move(r);
    latch.CountDown();
  });
  latch.Wait();
  return results;
}

absl::Status Decider::SetRuleset(std::string_view text,
                                 std::shared_ptr<const CompiledRuleset> compiled) {
  if (compiled == nullptr) return absl::InvalidArgumentError("no ruleset");
  std::lock_guard guard(impl_->ruleset_mu);
  if (!impl_->options.dry_run) {
    auto sha = impl_->store.PutRuleset(text, compiled->ir().name, compiled->ir().version);
    if (!sha.ok()) return sha.status();
    if (*sha != compiled->Sha256()) {
      return absl::InvalidArgumentError("the ruleset text is not the text it was compiled from");
    }
  }
  return impl_->engine.Swap(std::move(compiled));
}

std::shared_ptr<const CompiledRuleset> Decider::ruleset() const { return impl_->engine.Current(); }

bool Decider::healthy() const { return impl_->healthy.load(); }

DeciderMetrics Decider::metrics() const {
  DeciderMetrics m;
  std::lock_guard lock(impl_->mu);
  m.recorded = impl_->recorded;
  m.input_errors = impl_->input_errors.load();
  m.refused_full = impl_->refused_full.load();
  m.queued_records = impl_->queued_records;
  m.pending_batches = impl_->pending + (impl_->filling->records.empty() ? 0 : 1);
  m.sync_seconds = impl_->sync_seconds.Snapshot();
  m.batch_records = impl_->batch_records.Snapshot();
  m.healthy = impl_->failure.ok();
  return m;
}

// ---- Stream ------------------------------------------------------------------------------

void Decider::Stream::State::Completed(std::string_view output, storage::AuditRange range,
                                       const absl::Status& status) {
  absl::Status s = status;
  if (s.ok() && !failed.load()) s = sink(output, range);
  std::lock_guard lock(mu);
  if (!s.ok() && failure.ok()) {
    failure = s;
    failed.store(true);
  }
  --outstanding;
  cv.notify_all();
}

Decider::Stream::Stream(Decider& decider, Sink sink)
    : state_(std::make_shared<State>(*decider.impl_, std::move(sink), decider.impl_->store)) {}

Decider::Stream::~Stream() { Finish().IgnoreError(); }

absl::Status Decider::Stream::Prefetch(std::span<const std::string_view> enterprises) {
  return state_->cache.Prefetch(enterprises);
}

absl::Status Decider::Stream::State::Submit() {
  std::unique_ptr<Unit>& cur = current;
  if (cur == nullptr || cur->records.empty()) return absl::OkStatus();
  if (impl.options.dry_run) {
    absl::Status s = sink(cur->output, storage::AuditRange{});
    cur->Clear();
    return s;
  }
  {
    std::lock_guard lock(mu);
    ++outstanding;
  }
  std::unique_lock lock(impl.mu);
  impl.room_cv.wait(lock, [&] {
    return impl.pending < impl.options.max_pending_batches || !impl.RefusalLocked().ok();
  });
  if (absl::Status s = impl.RefusalLocked(); !s.ok()) {
    lock.unlock();
    std::lock_guard slock(mu);
    --outstanding;
    return s;
  }
  cur->stream = this;
  impl.queued.push_back(std::move(cur));
  ++impl.pending;
  impl.writer_cv.notify_one();
  cur = impl.TakeFree();
  return absl::OkStatus();
}

absl::Status Decider::Stream::Add(const Declaration& declaration, std::string_view line) {
  State& st = *state_;
  Impl& impl = st.impl;
  if (st.failed.load(std::memory_order_relaxed)) {
    std::lock_guard lock(st.mu);
    return st.failure;
  }
  auto profile = st.cache.Lookup(declaration.enterprise);
  if (!profile.ok()) return absl::UnavailableError(std::string(profile.status().message()));
  if (absl::Status s = impl.engine.DecideInto(declaration, *profile, &st.decision); !s.ok()) {
    impl.input_errors.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  if (st.current == nullptr) {
    std::lock_guard lock(impl.mu);
    st.current = impl.TakeFree();
  }
  st.json.clear();
  AppendDecisionJson(st.decision, &st.json);
  st.current->records.Add(declaration.id, declaration.enterprise, line, *profile,
                          st.decision.ruleset->Sha256(), impl.store.key_id(), st.json,
                          st.list_versions.Of(st.decision.ruleset));
  st.current->output.append(st.json);
  st.current->output.push_back('\n');
  if (st.current->records.size() >= impl.options.max_batch_records ||
      st.current->output.size() >= kStreamBatchBytes) {
    return st.Submit();
  }
  return absl::OkStatus();
}

uint64_t Decider::Stream::DiscardCurrent() {
  State& st = *state_;
  if (st.current == nullptr) return 0;
  const uint64_t n = st.current->records.size();
  st.current->Clear();
  return n;
}

absl::Status Decider::Stream::Finish() {
  State& st = *state_;
  if (st.finished) return st.finish_status;
  st.finished = true;
  absl::Status submitted = st.Submit();
  if (st.current != nullptr) {
    std::lock_guard lock(st.impl.mu);
    st.current->Clear();
    st.impl.free_units.push_back(std::move(st.current));
  }
  std::unique_lock lock(st.mu);
  st.cv.wait(lock, [&] { return st.outstanding == 0; });
  st.finish_status = !st.failure.ok() ? st.failure : submitted;
  return st.finish_status;
}

}  // namespace bukong::decider
