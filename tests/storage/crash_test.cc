// Crash safety of the audit log: a child process appends records and reports each durable
// sequence number on a pipe; it is killed with SIGKILL at a random moment, 20 times. After
// each kill the database opens, the chain verifies, and every record the child reported
// durable is present with the right content.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "storage/store.h"
#include "tests/storage/test_support.h"
#include "tests/testing/status_matchers.h"

#ifndef BUKONG_CRASH_CHILD
#error "BUKONG_CRASH_CHILD must name the storage_crash_child executable"
#endif

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::SampleRecord;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::testing::IsEmpty;

struct ChildRun {
  uint64_t max_reported = 0;
  int reports = 0;
};

// Starts the child on `dir`, lets it run for `run_for`, kills it with SIGKILL and returns
// the highest sequence number it reported durable.
ChildRun RunAndKill(const std::string& dir, uint64_t seed, std::chrono::milliseconds run_for) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string seed_text = std::to_string(seed);
    ::execl(BUKONG_CRASH_CHILD, BUKONG_CRASH_CHILD, dir.c_str(), seed_text.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  ChildRun run;
  std::string pending;
  auto consume = [&](const char* data, ssize_t n) {
    pending.append(data, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      run.max_reported = std::max<uint64_t>(run.max_reported, std::stoull(pending.substr(0, nl)));
      ++run.reports;
      pending.erase(0, nl + 1);
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the child died on its own: the checks below will tell
      consume(buf, n);
    }
  }
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  // Whatever the child wrote before it died was reported after its write became durable.
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) consume(buf, n);
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "the child ended before it was killed (status " << wstatus << ")";
  return run;
}

TEST(CrashTest, KilledWriterLosesNothingItReportedAndTheChainHolds) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  std::mt19937_64 rng(20211001);
  uint64_t durable = 0;
  int total_reports = 0;
  for (int round = 0; round < 20; ++round) {
    const auto run_for = std::chrono::milliseconds(150 + rng() % 400);
    const ChildRun run = RunAndKill(dir, rng(), run_for);
    total_reports += run.reports;
    durable = std::max(durable, run.max_reported);

    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk()) << "round " << round;
    const ChainHead head = (*store)->Head();
    EXPECT_GE(head.seq, durable) << "round " << round << ": reported records were lost";
    auto problems = (*store)->VerifyChain();
    ASSERT_THAT(problems, IsOk());
    EXPECT_THAT(*problems, IsEmpty()) << "round " << round << ": " << (*problems)[0].message;
    uint64_t count = 0;
    ASSERT_THAT(
        (*store)->ScanAudit(1, UINT64_MAX,
                            [&](const AuditEntry& e) {
                              ++count;
                              if (e.record != SampleRecord(e.seq)) {
                                return absl::DataLossError(fmt::format("record {} differs", e.seq));
                              }
                              return absl::OkStatus();
                            }),
        IsOk());
    EXPECT_EQ(count, head.seq);
    durable = head.seq;  // records that survived are durable from now on as well
  }
  EXPECT_GT(total_reports, 20) << "the child made too little progress to test anything";
}

}  // namespace
}  // namespace bukong::storage
