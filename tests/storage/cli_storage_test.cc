// The storage commands end to end, through the real `bukong` executable: init (key file,
// refusal of an existing database), profiles import (both formats, all or nothing with the
// bad row last of a large file) and profiles get.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
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

RunResult RunBukong(const TempDir& tmp, const std::string& args) {
  const std::string out = tmp.Sub("stdout"), err = tmp.Sub("stderr");
  const int status = std::system(
      fmt::format("'{}' {} >'{}' 2>'{}' </dev/null", BUKONG_CLI, args, out, err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(CliStorageTest, InitWithKeyFileShowsOnlyTheKeyIdAndRefusesASecondInit) {
  TempDir tmp;
  Write(tmp.Sub("key"), "\n  00112233445566778899AABBCCDDEEFF\t\n");
  const std::string db = tmp.Sub("db");
  RunResult r = RunBukong(tmp, fmt::format("init --db '{}' --key-file '{}'", db, tmp.Sub("key")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("a8faed6abbf35c12"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("00112233445566778899")));
  struct stat st;
  ASSERT_EQ(::stat((db + "/selection.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  const std::string key_before = ReadAll(db + "/selection.key");
  r = RunBukong(tmp, fmt::format("init --db '{}'", db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("already holds a database"));
  EXPECT_EQ(ReadAll(db + "/selection.key"), key_before);

  Write(tmp.Sub("badkey"), "0011223344556677");
  r = RunBukong(tmp,
                fmt::format("init --db '{}' --key-file '{}'", tmp.Sub("db2"), tmp.Sub("badkey")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("badkey: error: a selection key is 32 hex digits; found 16"));
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub("db2")));
}

TEST(CliStorageTest, ImportBothFormatsAndGet) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  ASSERT_EQ(RunBukong(tmp, fmt::format("init --db '{}'", db)).exit_code, 0);
  Write(tmp.Sub("p.csv"),
        "id,grade,registered,flags,inspections,hits\r\n"
        "91330200MA2AAAAA1X,dishonest,1950-01-01,smuggling_watch;冷链,18446744073709551615,7\r\n"
        "\"91330200,\"\"Q\"\"\",general,2021-02-28,,0,0\r\n"
        "91330200MA2AAAAA1X,advanced,2015-03-02,b;a,12,3\r\n");
  RunResult r = RunBukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported 2 profiles (3 rows)"));
  r = RunBukong(tmp, fmt::format("profiles get --db '{}' 91330200MA2AAAAA1X", db));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"id\":\"91330200MA2AAAAA1X\",\"grade\":\"advanced\",\"registered\":\"2015-03-02\","
            "\"flags\":[\"a\",\"b\"],\"inspections\":12,\"hits\":3}\n");
  r = RunBukong(tmp, fmt::format("profiles get --db '{}' '91330200,\"Q\"'", db));
  EXPECT_EQ(r.out,
            "{\"id\":\"91330200,\\\"Q\\\"\",\"grade\":\"general\",\"registered\":\"2021-02-28\","
            "\"flags\":[],\"inspections\":0,\"hits\":0}\n");

  // JSON Lines; the output of `get` imports again unchanged.
  Write(tmp.Sub("p.jsonl"),
        "{\"id\":\"浙江企业\",\"grade\":\"general\",\"registered\":\"1900-03-01\",\"flags\":["
        "\"走私观察\"],"
        "\"inspections\":18446744073709551615,\"hits\":18446744073709551615}\n");
  r = RunBukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.jsonl")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunBukong(tmp, fmt::format("profiles get --db '{}' 浙江企业", db));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, ReadAll(tmp.Sub("p.jsonl")));

  r = RunBukong(tmp, fmt::format("profiles get --db '{}' absent", db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  r = RunBukong(tmp, fmt::format("profiles get --db '{}' x", tmp.Sub("nodb")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no bukong database"));
}

TEST(CliStorageTest, BadLastRowOfALargeFileImportsNothing) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  ASSERT_EQ(RunBukong(tmp, fmt::format("init --db '{}'", db)).exit_code, 0);
  Write(tmp.Sub("old.csv"),
        "id,grade,registered,flags,inspections,hits\nE0000001,general,2010-01-01,,1,1\n");
  ASSERT_EQ(RunBukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("old.csv")))
                .exit_code,
            0);

  constexpr int kRows = 300000;
  {
    std::ofstream out(tmp.Sub("big.csv"));
    out << "id,grade,registered,flags,inspections,hits\n";
    for (int i = 0; i < kRows - 1; ++i) {
      out << fmt::format("E{:07},advanced,2015-03-02,cold_chain,{},{}\n", i, 10 + i % 100, i % 7);
    }
    out << "E9999999,advanced,2015-03-02,,3,4\n";  // hits > inspections, on the last line
  }
  RunResult r =
      RunBukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("big.csv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("big.csv:{}: error: field 'hits'", kRows + 1)));
  EXPECT_THAT(r.err, HasSubstr("nothing was imported"));

  auto store = Store::Open(db, {.read_only = true});
  ASSERT_THAT(store, IsOk());
  auto p = (*store)->GetProfile("E0000001");
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->grade, "general");  // the old row, not the file's
  EXPECT_FALSE((*store)->GetProfile("E0000002")->has_value());
  EXPECT_FALSE((*store)->GetProfile("E0299998")->has_value());
  for (const auto& e : std::filesystem::directory_iterator(db)) {
    EXPECT_EQ(e.path().filename().string().rfind("import-tmp", 0), std::string::npos);
  }

  // The same file without the bad row imports.
  std::string text = ReadAll(tmp.Sub("big.csv"));
  text.resize(text.rfind("E9999999"));
  Write(tmp.Sub("good.csv"), text);
  store->reset();
  r = RunBukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("good.csv")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(fmt::format("imported {} profiles", kRows - 1)));
  store = Store::Open(db, {.read_only = true});
  EXPECT_EQ((**(*store)->GetProfile("E0000001")).grade, "advanced");
  EXPECT_EQ((**(*store)->GetProfile("E0299998")).inspections, 108u);
}

}  // namespace
}  // namespace bukong::storage
