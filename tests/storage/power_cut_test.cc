// Power cuts and I/O faults (issue #16 items 1 and 2), through tests/storage/fault_fs.h.
//
// Why not SIGKILL: a killed process leaves the operating system's page cache behind, so a
// missing or misplaced fsync passes every kill test. Here the file system itself forgets
// what was not synced. The write path is decide's: one thread writes batches with
// WriteAudit while another calls SyncAudit, and a batch counts as acknowledged (decide
// would print it) only when a SyncAudit that started after its WriteAudit returned OK.
// After each cut the store is closed, the unsynced data dropped, and the database reopened
// with the real file system: every acknowledged record must be at its sequence number with
// the content written, the chain must verify, and there must be no gap.
//
// The harness is shown to catch a broken durability path by the negative test
// (ASkippedSyncIsCaught): StoreTestingOptions::skip_audit_sync makes SyncAudit return OK
// without syncing the WAL, which is exactly the bug this simulation exists to find; the
// same loop then finds acknowledged records missing (or the store refusing to open
// because its anchor names records that are gone) within a few cuts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "storage/store.h"
#include "tests/storage/fault_fs.h"
#include "tests/storage/test_support.h"
#include "tests/testing/status_matchers.h"

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::FaultFs;
using ::bukong::storage::testing::SampleRecord;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::testing::IsEmpty;

// The record written at `seq` in round `round`: distinct every round, so that a number
// reused after a cut (allowed only for records never acknowledged) has other content.
AuditRecord RecordFor(uint64_t seq, int round) {
  AuditRecord r = SampleRecord(seq);
  r.decision += fmt::format(" round {}", round);
  return r;
}

// The audit sequence number a RecordFor record was made for (its declaration id's number).
uint64_t SampleSeq(const AuditRecord& r) { return std::stoull(r.declaration_id.substr(1)); }

// decide's write path against `store` until the first error or `max_batches`: a writer
// thread (WriteAudit) and a syncer thread (SyncAudit). Adds every acknowledged record to
// `acked`. Returns the number of batches acknowledged.
int RunPipeline(Store& store, int round, std::mt19937_64& rng, int max_batches,
                std::map<uint64_t, AuditRecord>& acked) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<AuditRecord>> written;  // written, not yet acknowledged
  bool writer_done = false;
  int acked_batches = 0;
  std::vector<uint64_t> sizes;
  for (int i = 0; i < max_batches; ++i) sizes.push_back(1 + rng() % 40);

  std::thread writer([&] {
    uint64_t next = store.Head().seq + 1;
    for (uint64_t n : sizes) {
      AuditBatch batch;
      std::vector<AuditRecord> records;
      for (uint64_t i = 0; i < n; ++i) {
        records.push_back(RecordFor(next + i, round));
        batch.Add(records.back());
      }
      auto range = store.WriteAudit(batch);
      if (!range.ok()) break;
      EXPECT_EQ(range->first, next);
      next = range->last + 1;
      std::lock_guard lock(mu);
      written.push_back(std::move(records));
      cv.notify_one();
    }
    std::lock_guard lock(mu);
    writer_done = true;
    cv.notify_one();
  });
  for (;;) {
    size_t covered;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !written.empty() || writer_done; });
      if (written.empty()) break;
      covered = written.size();  // every batch whose WriteAudit has returned
    }
    if (!store.SyncAudit().ok()) break;
    std::lock_guard lock(mu);
    for (size_t i = 0; i < covered; ++i) {
      for (auto& r : written.front()) {
        const uint64_t seq = SampleSeq(r);
        acked[seq] = std::move(r);
      }
      written.pop_front();
      ++acked_batches;
    }
  }
  writer.join();
  return acked_batches;
}

// Every acknowledged record at its number, byte for byte; the chain intact, no gaps.
// Returns the problems found (empty: the cut lost nothing acknowledged).
std::vector<std::string> CheckAcknowledged(const std::string& dir,
                                           const std::map<uint64_t, AuditRecord>& acked) {
  std::vector<std::string> problems;
  auto store = Store::Open(dir);
  if (!store.ok()) return {fmt::format("reopen failed: {}", store.status().ToString())};
  const uint64_t head = (*store)->Head().seq;
  if (!acked.empty() && head < acked.rbegin()->first)
    problems.push_back(fmt::format("head {} is before the last acknowledged record {}", head,
                                   acked.rbegin()->first));
  size_t found = 0;
  absl::Status scan = (*store)->ScanAudit(1, UINT64_MAX, [&](const AuditEntry& e) {
    auto it = acked.find(e.seq);
    if (it == acked.end()) return absl::OkStatus();  // written, never acknowledged
    ++found;
    if (!(e.record == it->second))
      problems.push_back(fmt::format("record {} differs from the acknowledged one", e.seq));
    return absl::OkStatus();
  });
  if (!scan.ok()) problems.push_back(scan.ToString());
  if (found != acked.size())
    problems.push_back(fmt::format("{} acknowledged records are missing", acked.size() - found));
  // The by_id index is written in the same atomic batch as the records, so after any cut it
  // agrees with the log: the last records (the ones a cut puts at risk) are indexed under
  // their id, and the numbers after the head (records lost with the cut) are not. Record n's
  // id is D{n} in every round, so a stale entry of a lost record would show up here.
  for (uint64_t n = head > 200 ? head - 200 : 1; n <= head + 100; ++n) {
    auto seqs = (*store)->AuditSequencesOf(SampleRecord(n).declaration_id);
    if (!seqs.ok()) {
      problems.push_back(seqs.status().ToString());
      break;
    }
    const std::vector<uint64_t> expected =
        n <= head ? std::vector<uint64_t>{n} : std::vector<uint64_t>{};
    if (*seqs != expected) {
      problems.push_back(fmt::format("the by_id index of record {} holds {} entries, not {}", n,
                                     seqs->size(), expected.size()));
      break;
    }
  }
  auto chain = (*store)->VerifyChain();
  if (!chain.ok()) {
    problems.push_back(chain.status().ToString());
  } else {
    for (const auto& p : *chain) problems.push_back(p.message);
  }
  return problems;
}

struct CutStats {
  int cuts = 0;
  int cuts_with_loss = 0;
  uint64_t acknowledged = 0;
  std::string first_problem;
};

// `rounds` power cuts at random moments of decide's write path (and of open and close).
CutStats RunCuts(const std::string& dir, int rounds, uint64_t seed, bool skip_sync,
                 bool stop_at_first_loss) {
  std::mt19937_64 rng(seed);
  std::map<uint64_t, AuditRecord> acked;
  CutStats stats;
  for (int round = 0; round < rounds; ++round) {
    auto fault_fs = std::make_shared<FaultFs>();
    // Even rounds: the cut falls anywhere in open and the appends (the pipeline runs until
    // the cut stops it). Odd rounds: 12 batches, and the cut anywhere in a round of about
    // 150 write-side operations, so some cuts fall in the close (final flush, MANIFEST).
    const bool until_cut = round % 2 == 0;
    fault_fs->CutAfter(1 + rng() % (until_cut ? 120 : 160));
    StoreOptions options;
    options.testing.file_system = fault_fs;
    options.testing.skip_audit_sync = skip_sync;
    {
      auto store = Store::Open(dir, options);
      if (store.ok()) RunPipeline(**store, round, rng, until_cut ? 1000 : 12, acked);
    }  // closed: with the power off, its last writes fail
    const std::string dropped = fault_fs->DropUnsyncedData(rng);
    ++stats.cuts;
    std::vector<std::string> problems = CheckAcknowledged(dir, acked);
    if (!problems.empty()) {
      ++stats.cuts_with_loss;
      if (stats.first_problem.empty())
        stats.first_problem = fmt::format("round {} (cut after {} ops; {}): {}", round,
                                          fault_fs->ops(), dropped, problems.front());
      if (stop_at_first_loss) break;
    }
  }
  stats.acknowledged = acked.size();
  return stats;
}

// The simulation keeps its own account of what was synced, so the real disk's fsyncs add
// only time (seconds per cut on a loaded machine): the databases live on a tmpfs.
void UseMemoryTempDir() {
  ASSERT_TRUE(std::filesystem::is_directory("/dev/shm")) << "/dev/shm (tmpfs) is needed";
  ::setenv("TMPDIR", "/dev/shm", 1);
}

TEST(PowerCutTest, EveryAcknowledgedRecordSurvivesAHundredCuts) {
  UseMemoryTempDir();
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  const CutStats stats = RunCuts(dir, 100, seed, /*skip_sync=*/false, false);
  EXPECT_EQ(stats.cuts_with_loss, 0) << stats.first_problem;
  // The cuts did not all fall before anything was acknowledged.
  EXPECT_GT(stats.acknowledged, 1000u);
  fmt::print("{} power cuts (seed {}), {} records acknowledged, {} cuts lost one\n", stats.cuts,
             seed, stats.acknowledged, stats.cuts_with_loss);
}

// The negative test: with the WAL sync skipped (a broken durability path), the same
// simulation must find acknowledged records lost. If this test fails, the simulation has
// stopped dropping unsynced data and the test above proves nothing.
TEST(PowerCutTest, ASkippedSyncIsCaught) {
  UseMemoryTempDir();
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  const CutStats stats = RunCuts(dir, 120, seed, /*skip_sync=*/true, true);
  EXPECT_GT(stats.cuts_with_loss, 0) << "120 cuts with the WAL sync skipped lost nothing";
  fmt::print("skipped sync caught after {} cuts: {}\n", stats.cuts, stats.first_problem);
}

// ---- Fault injection -------------------------------------------------------------------

struct FaultCase {
  const char* name;
  FaultFs::Op op;
  FaultFs::FileKind kind;
  bool flush;  // the fault needs a flush to be reached (table files, the MANIFEST)
};

const FaultCase kFaultCases[] = {
    {"WAL append", FaultFs::Op::kAppend, FaultFs::FileKind::kWal, false},
    {"WAL sync", FaultFs::Op::kSync, FaultFs::FileKind::kWal, false},
    {"SST write", FaultFs::Op::kAppend, FaultFs::FileKind::kSst, true},
    {"MANIFEST update", FaultFs::Op::kAppend, FaultFs::FileKind::kManifest, true},
    {"MANIFEST sync", FaultFs::Op::kSync, FaultFs::FileKind::kManifest, true},
    {"folder fsync", FaultFs::Op::kDirFsync, FaultFs::FileKind::kAny, false},
};

// For every kind of fault, EIO and ENOSPC: the audit write path returns a clean error (no
// abort), acknowledges nothing from then on, and the database reopens (real file system)
// with every record acknowledged before intact.
TEST(FaultTest, EveryFaultIsACleanErrorAndLosesNothingAcknowledged) {
  UseMemoryTempDir();
  int injected = 0, runs = 0;
  for (const FaultCase& c : kFaultCases) {
    for (const bool no_space : {false, true}) {
      SCOPED_TRACE(fmt::format("{} {}", c.name, no_space ? "ENOSPC" : "EIO"));
      TempDir tmp;
      const std::string dir = tmp.Sub("db");
      ASSERT_THAT(InitStore(dir, {}), IsOk());
      auto fault_fs = std::make_shared<FaultFs>();
      StoreOptions options;
      options.testing.file_system = fault_fs;
      std::map<uint64_t, AuditRecord> acked;
      uint64_t next = 1;
      auto append = [&](Store& store) -> absl::Status {
        std::vector<AuditRecord> batch;
        for (int i = 0; i < 50; ++i) batch.push_back(RecordFor(next + i, 0));
        auto range = store.AppendAudit(batch);
        if (!range.ok()) return range.status();
        for (auto& r : batch) acked[SampleSeq(r)] = r;
        next = range->last + 1;
        if (c.flush) return store.CompactAll();
        return absl::OkStatus();
      };
      {
        auto store = Store::Open(dir, options);
        ASSERT_THAT(store, IsOk());
        for (int i = 0; i < 3; ++i) ASSERT_THAT(append(**store), IsOk());
        fault_fs->FailOn(c.op, c.kind,
                         no_space ? rocksdb::IOStatus::NoSpace("injected ENOSPC")
                                  : rocksdb::IOStatus::IOError("injected EIO"));
        absl::Status failed;
        for (int i = 0; i < 20 && failed.ok(); ++i) failed = append(**store);
        ASSERT_FALSE(failed.ok()) << "the fault was never reached";
        ASSERT_GT(fault_fs->faults_injected(), 0);
        injected += fault_fs->faults_injected();
        // Nothing more is acknowledged after a failure.
        const size_t before = acked.size();
        EXPECT_FALSE(append(**store).ok());
        EXPECT_EQ(acked.size(), before);
      }
      std::vector<std::string> problems = CheckAcknowledged(dir, acked);
      EXPECT_THAT(problems, IsEmpty());
      ++runs;
    }
  }
  fmt::print("{} fault runs, {} faults injected\n", runs, injected);
}

// Outcomes and a profile import under a failing WAL sync: an error, and after reopening
// either all of the batch or none of it.
TEST(FaultTest, OutcomesAndImportAreAllOrNothing) {
  UseMemoryTempDir();
  for (const bool no_space : {false, true}) {
    TempDir tmp;
    const std::string dir = tmp.Sub("db");
    ASSERT_THAT(InitStore(dir, {}), IsOk());
    std::vector<AuditRecord> decided;
    for (int i = 1; i <= 20; ++i) decided.push_back(SampleRecord(i));
    {
      auto store = Store::Open(dir);
      ASSERT_THAT(store, IsOk());
      ASSERT_THAT((*store)->AppendAudit(decided), IsOk());
    }
    auto fault_fs = std::make_shared<FaultFs>();
    StoreOptions options;
    options.testing.file_system = fault_fs;
    const rocksdb::IOStatus error = no_space ? rocksdb::IOStatus::NoSpace("injected ENOSPC")
                                             : rocksdb::IOStatus::IOError("injected EIO");
    {
      auto store = Store::Open(dir, options);
      ASSERT_THAT(store, IsOk());
      fault_fs->FailOn(FaultFs::Op::kSync, FaultFs::FileKind::kWal, error);
      std::vector<Store::OutcomeInput> inputs;
      for (const auto& r : decided) inputs.push_back({r.declaration_id, OutcomeResult::kHit});
      EXPECT_FALSE((*store)->RecordOutcomes(inputs).ok());
    }
    {
      auto store = Store::Open(dir);
      ASSERT_THAT(store, IsOk());
      int present = 0;
      for (const auto& r : decided) {
        auto o = (*store)->GetOutcome(r.declaration_id);
        ASSERT_THAT(o, IsOk());
        present += o->has_value();
      }
      EXPECT_TRUE(present == 0 || present == 20) << present << " of 20 outcomes";
    }
    {
      auto fault2 = std::make_shared<FaultFs>();
      options.testing.file_system = fault2;
      auto store = Store::Open(dir, options);
      ASSERT_THAT(store, IsOk());
      fault2->FailOn(FaultFs::Op::kAppend, FaultFs::FileKind::kWal, error);
      class Source : public ProfileSource {
       public:
        absl::StatusOr<std::optional<Profile>> Next() override {
          if (n_ == 100) return std::optional<Profile>();
          return std::optional<Profile>(::bukong::storage::testing::SampleProfile(
              fmt::format("E{:04}", n_++), 1));
        }
        int n_ = 0;
      } source;
      EXPECT_FALSE((*store)->ImportProfiles(source).ok());
    }
    {
      auto store = Store::Open(dir);
      ASSERT_THAT(store, IsOk());
      int present = 0;
      for (int i = 0; i < 100; ++i) {
        auto p = (*store)->GetProfile(fmt::format("E{:04}", i));
        ASSERT_THAT(p, IsOk());
        present += p->has_value();
      }
      EXPECT_TRUE(present == 0 || present == 100) << present << " of 100 profiles";
    }
  }
}

}  // namespace
}  // namespace bukong::storage
