// Corruption is loud (issue #16 item 7): the attack of the issue, reproduced. A child
// process appends synced (acknowledged) audit records and leaves without closing the store,
// so they sit in RocksDB's write-ahead log; the test then flips a byte in the middle of that
// log, or truncates it. RocksDB's point-in-time recovery would open the database with the
// records before the damage only, and the chain head rolls back with them, so the shorter
// chain verifies. The audit anchor (DIR/audit.anchor) does not roll back: every open —
// writable (decide, outcome) and read-only (replay, stats) — must refuse, naming the lost
// records, and only `Store::Salvage` continues, numbering after the acknowledged records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "storage/store.h"
#include "tests/storage/test_support.h"
#include "tests/testing/status_matchers.h"

#ifndef BUKONG_CRASH_CHILD
#error "BUKONG_CRASH_CHILD must name the storage_crash_child executable"
#endif

namespace bukong::storage {
namespace {

namespace fs = std::filesystem;
using ::bukong::storage::testing::SampleRecord;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Runs storage_crash_child until the head reaches `stop`; returns the head it acknowledged
// (read back through a normal open, before any damage).
uint64_t AppendAndCrash(const std::string& dir, uint64_t stop) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execl(BUKONG_CRASH_CHILD, BUKONG_CRASH_CHILD, dir.c_str(), "7", std::to_string(stop).c_str(),
            nullptr);
    ::_exit(127);
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream anchor(dir + "/audit.anchor");
  std::string magic, version;
  uint64_t seq = 0;
  anchor >> magic >> version >> seq;
  EXPECT_GE(seq, stop);
  return seq;
}

// The largest write-ahead log file of `dir` (the one holding the child's records).
std::string LargestWal(const std::string& dir) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.file_size() > best_size) {
      best = e.path().string();
      best_size = e.file_size();
    }
  }
  EXPECT_FALSE(best.empty()) << "no write-ahead log in " << dir;
  return best;
}

void FlipByte(const std::string& path, uintmax_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x40));
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/db";
    ASSERT_THAT(InitStore(dir_, {}), IsOk());
    acked_ = AppendAndCrash(dir_, 3000);
  }
  TempDir tmp_;
  std::string dir_;
  uint64_t acked_ = 0;
};

TEST_F(CorruptionTest, AFlippedByteInTheWalIsRefusedByEveryOpenNamingTheLostRecords) {
  const std::string wal = LargestWal(dir_);
  FlipByte(wal, fs::file_size(wal) / 2);

  auto writable = Store::Open(dir_);
  ASSERT_THAT(writable, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(writable.status().message()),
              HasSubstr(fmt::format("..{} are lost", acked_)));
  EXPECT_THAT(std::string(writable.status().message()), HasSubstr("audit.anchor"));
  EXPECT_THAT(std::string(writable.status().message()), HasSubstr("bukong audit salvage"));
  // Read-only (replay, stats) refuses too.
  EXPECT_THAT(Store::Open(dir_, {.read_only = true}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(CorruptionTest, ATruncatedWalIsRefused) {
  const std::string wal = LargestWal(dir_);
  fs::resize_file(wal, fs::file_size(wal) * 2 / 3);
  auto opened = Store::Open(dir_);
  ASSERT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("are lost"));
}

TEST_F(CorruptionTest, SalvageRecordsTheLossAndNumbersNeverRepeat) {
  const std::string wal = LargestWal(dir_);
  fs::resize_file(wal, fs::file_size(wal) / 2);
  auto report = Store::Salvage(dir_);
  ASSERT_THAT(report, IsOk());
  ASSERT_GT(report->first_lost, 0u);
  EXPECT_EQ(report->last_lost, acked_);
  EXPECT_EQ(report->recovered_head + 1, report->first_lost);
  EXPECT_THAT(report->message, HasSubstr(fmt::format("records {}..{}", report->first_lost,
                                                     report->last_lost)));
  std::ifstream log(dir_ + "/salvage.log");
  std::string line;
  ASSERT_TRUE(std::getline(log, line));
  EXPECT_THAT(line, HasSubstr(report->message));

  auto store = Store::Open(dir_);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->Head().seq, acked_);
  std::vector<AuditRecord> next = {SampleRecord(999'001)};
  auto range = (*store)->AppendAudit(next);
  ASSERT_THAT(range, IsOk());
  EXPECT_EQ(range->first, acked_ + 1);  // never a number that was acknowledged before
  // The chain verifies except for the lost range, which it names (once).
  auto problems = (*store)->VerifyChain();
  ASSERT_THAT(problems, IsOk());
  ASSERT_THAT(*problems, SizeIs(1));
  EXPECT_EQ((*problems)[0].seq, report->first_lost);
  EXPECT_THAT((*problems)[0].message, HasSubstr("lost to a damaged log"));
  // A second salvage has nothing to do.
  store->reset();
  auto again = Store::Salvage(dir_);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->first_lost, 0u);
}

TEST_F(CorruptionTest, AnUndamagedDatabaseOpensAndKeepsEveryAcknowledgedRecord) {
  auto store = Store::Open(dir_);
  ASSERT_THAT(store, IsOk());
  EXPECT_GE((*store)->Head().seq, acked_);
  auto problems = (*store)->VerifyChain();
  ASSERT_THAT(problems, IsOk());
  EXPECT_THAT(*problems, IsEmpty());
  auto rec = (*store)->GetAudit(acked_);
  ASSERT_THAT(rec, IsOk());
  ASSERT_TRUE(rec->has_value());
  EXPECT_EQ((*rec)->record, SampleRecord(acked_));
}

// A rollback with a consistent chain: the folder is restored from an older copy, and new,
// different records are appended over the old numbers. The anchor of the newer state still
// names the acknowledged record by hash, so the open refuses.
TEST(CorruptionRollbackTest, ARewrittenHistoryIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db", copy = tmp.path() + "/copy";
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    std::vector<AuditRecord> batch;
    for (uint64_t i = 1; i <= 50; ++i) batch.push_back(SampleRecord(i));
    ASSERT_THAT((*store)->AppendAudit(batch), IsOk());
  }
  fs::copy(dir, copy, fs::copy_options::recursive);
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    std::vector<AuditRecord> batch;
    for (uint64_t i = 51; i <= 100; ++i) batch.push_back(SampleRecord(i));
    ASSERT_THAT((*store)->AppendAudit(batch), IsOk());
  }
  const std::string new_anchor = dir + "/audit.anchor";
  fs::copy_file(new_anchor, tmp.path() + "/anchor.100");
  // Restore the old copy but keep the newer anchor: records 51..100 are lost.
  fs::remove_all(dir);
  fs::copy(copy, dir, fs::copy_options::recursive);
  fs::permissions(dir, fs::perms::owner_all);
  fs::copy_file(tmp.path() + "/anchor.100", new_anchor, fs::copy_options::overwrite_existing);
  auto refused = Store::Open(dir);
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("records 51..100 are lost"));
  // Someone appends 60 other records with the old anchor, then the newer anchor comes back.
  fs::copy_file(copy + "/audit.anchor", new_anchor, fs::copy_options::overwrite_existing);
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    std::vector<AuditRecord> batch;
    for (uint64_t i = 1; i <= 60; ++i) batch.push_back(SampleRecord(5000 + i));
    ASSERT_THAT((*store)->AppendAudit(batch), IsOk());
    auto problems = (*store)->VerifyChain();
    ASSERT_THAT(problems, IsOk());
    EXPECT_THAT(*problems, IsEmpty());  // the rewritten chain is consistent in itself
  }
  fs::copy_file(tmp.path() + "/anchor.100", new_anchor, fs::copy_options::overwrite_existing);
  auto rewritten = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(rewritten, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(rewritten.status().message()),
              HasSubstr("record 100 of " + dir + " is not the record that was acknowledged"));
  EXPECT_THAT(Store::Salvage(dir), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace bukong::storage
