// `decide` killed with SIGKILL at random moments: every decision it printed is in the audit
// log (it was recorded before it was printed), and replay passes over what was recorded.
// Each round decides declarations of its own (ids prefixed with the round), so a printed
// line can only match a record of that round; and since decide prints in the order it
// records, the k-th printed line of a round must be the decision of record head+k exactly,
// where head is the chain head before the round. The random seed is in every failure.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "storage/store.h"
#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::testing::HasSubstr;

// Starts `bukong ARGS...` with stdout on a pipe; returns the pid and the pipe's read end.
pid_t Spawn(const std::vector<std::string>& args, int* stdout_fd) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(BUKONG_CLI));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(BUKONG_CLI, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  *stdout_fd = fds[0];
  return pid;
}

TEST(CliKillTest, EveryPrintedDecisionIsRecordedAndReplayPasses) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  const std::string rules = SourceDir() + "/rules/order237-2018.rules";
  ASSERT_EQ(Bukong(tmp, fmt::format("gen profiles --seed 5 --count 2000 --grades "
                                    "advanced:5,certified:10,general:80,dishonest:5 -o '{}'",
                                    tmp.Sub("p.csv")))
                .exit_code,
            0);
  ASSERT_EQ(Bukong(tmp, fmt::format("gen declarations --seed 5 --count 300000 --profiles 2000 "
                                    "-o '{}'",
                                    tmp.Sub("d.jsonl")))
                .exit_code,
            0);
  ASSERT_TRUE(InitWithProfiles(tmp, db, tmp.Sub("p.csv")));

  std::random_device device;
  const unsigned seed = device();
  std::mt19937 rng(seed);
  SCOPED_TRACE(fmt::format("random seed {}", seed));
  uint64_t total_printed = 0;
  uint64_t head = 0;  // the chain head after the previous round
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    // This round's declarations: the same traffic with ids of its own.
    const std::string input = tmp.Sub(fmt::format("d{}.jsonl", round));
    {
      std::ifstream in(tmp.Sub("d.jsonl"));
      std::ofstream out(input);
      std::string line;
      const std::string tag = "\"id\":\"";
      while (std::getline(in, line)) {
        const size_t at = line.find(tag);
        ASSERT_NE(at, std::string::npos) << line;
        line.insert(at + tag.size(), fmt::format("R{}-", round));
        out << line << '\n';
      }
    }
    int fd = -1;
    const pid_t pid = Spawn({"decide", "--db", db, "--rules", rules, input}, &fd);
    ASSERT_GT(pid, 0);
    std::string printed;
    std::atomic<bool> saw_line{false};
    std::thread reader([&] {
      char buffer[1 << 16];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        printed.append(buffer, n);
        if (std::memchr(buffer, '\n', n)) saw_line = true;
      }
    });
    // Even rounds: anywhere from the start-up to well into the run (which takes seconds).
    // Odd rounds: shortly after the first printed line, however slow the machine is, so
    // that the test always checks printed decisions.
    if (round % 2 == 1) {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      while (!saw_line && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(0, round % 2 ? 300 : 1500)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    reader.join();
    ::close(fd);

    // Complete lines only: the kill may cut a write in the middle of a line.
    const std::vector<std::string> lines = Lines(printed);
    total_printed += lines.size();
    const uint64_t previous_head = head;
    {
      auto store = storage::Store::Open(db, {.read_only = true});
      ASSERT_TRUE(store.ok()) << store.status();
      head = (*store)->Head().seq;
      ASSERT_GE(head, previous_head + lines.size()) << "printed more than was recorded";
      for (size_t k = 0; k < lines.size(); ++k) {
        const uint64_t seq = previous_head + 1 + k;
        auto entry = (*store)->GetAudit(seq);
        ASSERT_TRUE(entry.ok() && entry->has_value()) << "record " << seq << " is missing";
        ASSERT_EQ((*entry)->record.decision, lines[k])
            << "printed line " << k + 1 << " of round " << round << " is not record " << seq;
        ASSERT_EQ((*entry)->record.declaration_id.rfind(fmt::format("R{}-", round), 0), 0u)
            << "record " << seq << " is not from this round";
      }
    }
    // What this round recorded replays (the whole log is replayed once at the end).
    if (head > previous_head) {
      RunResult replay =
          Bukong(tmp, fmt::format("replay --db '{}' --from {}", db, previous_head + 1));
      ASSERT_EQ(replay.exit_code, 0) << replay.out << replay.err;
      EXPECT_THAT(replay.out, HasSubstr("chain intact"));
    }
  }
  RunResult replay = Bukong(tmp, fmt::format("replay --db '{}'", db));
  ASSERT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr(fmt::format("records 1..{}: {} re-decided, {} identical, 0 "
                                                "differ; chain intact",
                                                head, head, head)));
  fmt::print("{} decisions printed over 10 killed runs (seed {}), each the record at its "
             "own sequence number; the audit log holds {} records\n",
             total_printed, seed, head);
  // The kills were not all before the first batch: some rounds printed decisions.
  EXPECT_GT(total_printed, 0u);
}

}  // namespace
}  // namespace bukong::cli::testing
