// An outcome correction (storage/outcome_log.h) under injected I/O faults: it is written
// through the store's one write path, so a failed write or sync is the store's failure —
// the store then refuses every later write with the same message as after a failed audit
// write — and the correction is all or nothing (current outcome, logged revisions and the
// enterprise's `hits` move together, or none of them does).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/outcome_log.h"
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
using ::testing::HasSubstr;

struct Case {
  FaultFs::Op op;
  bool no_space;
};

TEST(OutcomeLogFaultTest, AFailedCorrectionStopsTheStoreAndIsAllOrNothing) {
  for (const Case c : {Case{FaultFs::Op::kSync, false}, Case{FaultFs::Op::kSync, true},
                       Case{FaultFs::Op::kAppend, false}, Case{FaultFs::Op::kAppend, true}}) {
    SCOPED_TRACE(fmt::format("{} {}", c.op == FaultFs::Op::kSync ? "sync" : "append",
                             c.no_space ? "ENOSPC" : "EIO"));
    TempDir tmp;
    const std::string dir = tmp.Sub("db");
    ASSERT_THAT(InitStore(dir, {}), IsOk());
    // Record 1 has a profile (SampleRecord gives one unless n % 4 == 0): its counters move.
    const AuditRecord decided = SampleRecord(1);
    const AuditRecord other = SampleRecord(2);
    ASSERT_TRUE(decided.profile.has_value());
    uint64_t hits_before = 0;
    {
      auto store = Store::Open(dir);
      ASSERT_THAT(store, IsOk());
      ASSERT_THAT((*store)->PutProfile(*decided.profile), IsOk());
      ASSERT_THAT((*store)->AppendAudit(std::vector<AuditRecord>{decided, other}), IsOk());
      ASSERT_THAT((*store)->RecordOutcome(decided.declaration_id, OutcomeResult::kClean), IsOk());
      auto p = (*store)->GetProfile(decided.enterprise);
      ASSERT_THAT(p, IsOk());
      ASSERT_TRUE(p->has_value());
      hits_before = (*p)->hits;
      ASSERT_LT(hits_before, (*p)->inspections);  // room for one more hit
    }
    auto fault_fs = std::make_shared<FaultFs>();
    StoreOptions options;
    options.testing.file_system = fault_fs;
    const rocksdb::IOStatus error = c.no_space ? rocksdb::IOStatus::NoSpace("injected ENOSPC")
                                               : rocksdb::IOStatus::IOError("injected EIO");
    {
      auto store = Store::Open(dir, options);
      ASSERT_THAT(store, IsOk());
      fault_fs->FailOn(c.op, FaultFs::FileKind::kWal, error, /*count=*/1);
      auto corrected = OutcomeLog::Correct(**store, decided.declaration_id, OutcomeResult::kHit,
                                           "the lab report came back positive", 1'800'000'000);
      EXPECT_FALSE(corrected.ok());
      EXPECT_EQ(fault_fs->faults_injected(), 1);
      // The fault is spent, but the store remembers it: no later write is accepted, the
      // correction again included, whatever the file system would now do.
      auto again = OutcomeLog::Correct(**store, decided.declaration_id, OutcomeResult::kHit,
                                       "the lab report came back positive", 1'800'000'000);
      ASSERT_FALSE(again.ok());
      EXPECT_THAT(std::string(again.status().message()), HasSubstr("accepts no more writes"));
      absl::Status outcome = (*store)->RecordOutcome(other.declaration_id, OutcomeResult::kHit);
      EXPECT_THAT(std::string(outcome.message()), HasSubstr("accepts no more writes"));
      EXPECT_EQ(fault_fs->faults_injected(), 1);
    }
    {
      auto store = Store::Open(dir);
      ASSERT_THAT(store, IsOk());
      auto history = OutcomeLog::History(**store, decided.declaration_id);
      ASSERT_THAT(history, IsOk());
      auto p = (*store)->GetProfile(decided.enterprise);
      ASSERT_THAT(p, IsOk());
      ASSERT_TRUE(p->has_value());
      auto o = (*store)->GetOutcome(other.declaration_id);
      ASSERT_THAT(o, IsOk());
      EXPECT_FALSE(o->has_value()) << "a write after the failure was recorded";
      if (history->size() == 1) {  // the correction is not there at all
        EXPECT_EQ((*history)[0].result, OutcomeResult::kClean);
        EXPECT_EQ((*p)->hits, hits_before);
      } else {  // it is there whole
        ASSERT_EQ(history->size(), 2u);
        EXPECT_EQ((*history)[0].result, OutcomeResult::kClean);
        EXPECT_EQ((*history)[1].result, OutcomeResult::kHit);
        EXPECT_TRUE((*history)[1].current);
        EXPECT_EQ((*p)->hits, hits_before + 1);
      }
      // A reopened store writes again: the refusal was the failed store's, not the data's.
      EXPECT_THAT((*store)->RecordOutcome(other.declaration_id, OutcomeResult::kHit), IsOk());
    }
  }
}

}  // namespace
}  // namespace bukong::storage
