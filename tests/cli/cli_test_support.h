// Helpers for the end-to-end tests: run the real `bukong` executable in temporary folders.
#ifndef BUKONG_TESTS_CLI_CLI_TEST_SUPPORT_H_
#define BUKONG_TESTS_CLI_CLI_TEST_SUPPORT_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef BUKONG_CLI
#error "BUKONG_CLI must name the bukong executable"
#endif
#include "tests/testing/temp_dir.h"

namespace bukong::cli::testing {

using ::bukong::testing::TempDir;

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;  // an unfinished last line is not a line
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The repository (for rules/ and examples/).
inline std::string SourceDir() {
  const char* dir = std::getenv("BUKONG_SOURCE_DIR");
  return dir != nullptr ? dir : BUKONG_SOURCE_DIR_DEFAULT;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `bukong ARGS` through the shell (ARGS are quoted by the caller) with stdin from
// `stdin_path` (default /dev/null); captures stdout and stderr.
inline RunResult Bukong(const TempDir& tmp, const std::string& args,
                        const std::string& stdin_path = "/dev/null") {
  static std::atomic<int> counter{0};
  const int n = counter++;
  const std::string out = tmp.Sub(fmt::format("run{}.out", n));
  const std::string err = tmp.Sub(fmt::format("run{}.err", n));
  const int status = std::system(
      fmt::format("'{}' {} <'{}' >'{}' 2>'{}'", BUKONG_CLI, args, stdin_path, out, err).c_str());
  RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// A fixed selection key, so that databases made by different tests decide alike.
inline constexpr std::string_view kKeyHex = "000102030405060708090a0b0c0d0e0f";

// `lists import` of the lists the regime files in rules/ declare (SPEC §7.1), from their
// bundled files in data/lists/: a ruleset whose lists the database lacks is refused, so a
// test that decides with a regime file imports them first. True when every import exits 0.
inline bool ImportRegimeLists(const TempDir& tmp, const std::string& db) {
  bool ok = true;
  for (const auto& [name, type] : {std::pair<std::string_view, std::string_view>{"sanctioned", "country"},
                                   {"watched_enterprises", "enterprise"}}) {
    const RunResult r = Bukong(tmp, fmt::format("lists import --db '{}' {} '{}/data/lists/{}.txt' "
                                                "--type {}",
                                                db, name, SourceDir(), name, type));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ok = ok && r.exit_code == 0;
  }
  return ok;
}

// `init` of a database at `db` with the fixed key, `profiles import` of `profiles_csv`, and
// the regime files' lists (ImportRegimeLists). Reports a failing step; true when every step
// exits 0 (callers ASSERT_TRUE it).
inline bool InitWithProfiles(const TempDir& tmp, const std::string& db,
                             const std::string& profiles_csv) {
  WriteFile(tmp.Sub("key"), std::string(kKeyHex) + "\n");
  const RunResult init =
      Bukong(tmp, fmt::format("init --db '{}' --key-file '{}'", db, tmp.Sub("key")));
  EXPECT_EQ(init.exit_code, 0) << init.err;
  if (init.exit_code != 0) return false;
  const RunResult import = Bukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, profiles_csv));
  EXPECT_EQ(import.exit_code, 0) << import.err;
  return import.exit_code == 0 && ImportRegimeLists(tmp, db);
}

}  // namespace bukong::cli::testing

#endif  // BUKONG_TESTS_CLI_CLI_TEST_SUPPORT_H_
