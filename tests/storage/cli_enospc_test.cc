// A full disk is a clean exit 1 (issue #16 item 8, ENOSPC part): `decide`, `outcome` and
// `profiles import` on a small tmpfs that fills up. Before this, RocksDB's assertion
// `sync_without_flush_called_` aborted them (exit 134). Every decision `decide` printed
// before the disk filled must be in the audit log, and the database must reopen and replay
// once space is freed. The test mounts a tmpfs (it runs as root, like the rest of
// `make test` on the CI machine; mounting fails loudly otherwise, it is never skipped).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "storage/store.h"
#include "tests/storage/test_support.h"
#include "tests/testing/status_matchers.h"

#ifndef BUKONG_CLI
#error "BUKONG_CLI must name the bukong executable"
#endif

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Output files go to `out_dir` (on the real disk), not to the full tmpfs.
RunResult RunCli(const std::string& out_dir, const std::string& args) {
  const std::string out = out_dir + "/stdout", err = out_dir + "/stderr";
  const int status = std::system(
      fmt::format("'{}' {} >'{}' 2>'{}' </dev/null", BUKONG_CLI, args, out, err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ReadAll(out),
          ReadAll(err)};
}

class SmallDisk {
 public:
  SmallDisk(const std::string& path, int megabytes) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string options = fmt::format("size={}m,mode=0700", megabytes);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    EXPECT_TRUE(mounted_) << "cannot mount a tmpfs on " << path << ": " << std::strerror(errno)
                          << " (this test needs root)";
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Fills the disk until at most `leave` bytes are free.
  void Fill(const std::string& name, size_t leave) {
    std::ofstream f(path_ + "/" + name, std::ios::binary);
    const std::string chunk(64 * 1024, 'x');
    for (;;) {
      const auto space = std::filesystem::space(path_);
      if (space.available <= leave + chunk.size()) break;
      f.write(chunk.data(), chunk.size());
      f.flush();
      if (!f) break;
    }
  }
  void Unfill(const std::string& name) { std::filesystem::remove(path_ + "/" + name); }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(CliEnospcTest, AFullDiskIsACleanExitOneAndLosesNothingPrinted) {
  TempDir tmp;
  SmallDisk disk(tmp.Sub("disk"), 80);
  ASSERT_TRUE(disk.mounted());
  const std::string db = tmp.Sub("disk") + "/db";
  const std::string rules = std::string(BUKONG_SOURCE_DIR) + "/rules/order237-2018.rules";
  ASSERT_EQ(RunCli(tmp.path(), fmt::format("gen profiles --seed 3 --count 500 -o '{}'",
                                        tmp.Sub("p.csv")))
                .exit_code,
            0);
  ASSERT_EQ(RunCli(tmp.path(), fmt::format("gen declarations --seed 3 --count 200000 --profiles "
                                        "500 -o '{}'",
                                        tmp.Sub("d.jsonl")))
                .exit_code,
            0);
  ASSERT_EQ(RunCli(tmp.path(), fmt::format("init --db '{}'", db)).exit_code, 0);

  // profiles import with no room.
  disk.Fill("filler", 16 * 1024);
  RunResult r =
      RunCli(tmp.path(), fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("Assertion")));
  disk.Unfill("filler");
  r = RunCli(tmp.path(), fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The lists the regime file declares (SPEC §7.1), before the disk fills.
  for (const char* list : {"sanctioned --type country", "watched_enterprises --type enterprise"}) {
    const std::string name = std::string(list).substr(0, std::string(list).find(' '));
    r = RunCli(tmp.path(), fmt::format("lists import --db '{}' {} '{}/data/lists/{}.txt' {}", db,
                                       name, BUKONG_SOURCE_DIR, name,
                                       std::string(list).substr(name.size() + 1)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // decide until the disk is full: 200,000 declarations need far more than what is left.
  disk.Fill("filler", 30 << 20);
  r = RunCli(tmp.path(), fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db, rules,
                                  tmp.Sub("d.jsonl"), tmp.Sub("decisions.jsonl")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("Assertion")));
  EXPECT_THAT(r.err, HasSubstr("space"));  // "No space left on device" / "NoSpace"
  const std::string printed = ReadAll(tmp.Sub("decisions.jsonl"));

  // outcome on the full disk: exit 1, cleanly.
  std::istringstream lines(printed);
  std::string first;
  std::getline(lines, first);
  if (!first.empty()) {
    const size_t id_at = first.find("\"id\":\"") + 6;
    const std::string id = first.substr(id_at, first.find('"', id_at) - id_at);
    std::ofstream(tmp.Sub("o.jsonl")) << fmt::format("{{\"id\":\"{}\",\"result\":\"hit\"}}\n", id);
    disk.Fill("filler2", 0);
    r = RunCli(tmp.path(), fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o.jsonl")));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("Assertion")));
    disk.Unfill("filler2");
  }

  // With space again: every printed decision is in the log, and replay passes.
  disk.Unfill("filler");
  std::set<std::string> recorded;
  {
    auto store = Store::Open(db, {.read_only = true});
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->ScanAudit(1, UINT64_MAX,
                                    [&](const AuditEntry& e) {
                                      recorded.insert(e.record.decision);
                                      return absl::OkStatus();
                                    }),
                IsOk());
  }
  std::istringstream all(printed);
  std::string line;
  int n = 0;
  while (std::getline(all, line)) {
    ASSERT_TRUE(recorded.count(line)) << "printed but not recorded: " << line;
    ++n;
  }
  r = RunCli(tmp.path(), fmt::format("replay --db '{}'", db));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("chain intact"));
  EXPECT_GT(n, 0) << "decide failed before printing anything; leave it more room";
  fmt::print("decide printed {} decisions before the disk filled; all recorded\n", n);
}

}  // namespace
}  // namespace bukong::storage
