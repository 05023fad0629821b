// `bukong lists import` and `bukong lists show` end to end (SPEC §7.1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/sha256.h"
#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class CliListsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tmp_.Sub("db");
    ASSERT_EQ(Bukong(tmp_, fmt::format("init --db '{}'", db_)).exit_code, 0);
  }
  RunResult Run(const std::string& args, const std::string& stdin_path = "/dev/null") {
    return Bukong(tmp_, fmt::format(fmt::runtime(args), fmt::arg("db", db_)), stdin_path);
  }
  std::string File(const std::string& name, std::string_view text) {
    const std::string path = tmp_.Sub(name);
    WriteFile(path, text);
    return path;
  }

  TempDir tmp_;
  std::string db_;
};

TEST_F(CliListsTest, ImportShowAndReimport) {
  const std::string file = File("s.txt", "# sanctioned origins\nKP\n  IR  # Iran\nKP\n");
  RunResult r = Run("lists import --db '{db}' sanctioned '" + file + "' --type country");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The version is the digest of the sorted distinct entries (SPEC §7.1), first 16 digits.
  const std::string digest = Sha256Hex("IR\nKP\n");
  EXPECT_THAT(r.out, HasSubstr("2 entries"));
  EXPECT_THAT(r.out, HasSubstr(digest.substr(0, 16)));

  r = Run("lists show --db '{db}'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ContainsRegex("sanctioned +country +" + digest.substr(0, 16) + " +2 +20"));

  // The same content again (other order, other comments, no --type): nothing changes.
  const std::string same = File("same.txt", "IR\nKP # again\n");
  r = Run("lists import --db '{db}' sanctioned '" + same + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged"));

  // New content from standard input: version 2; `show NAME` gives the full digest and both.
  r = Run("lists import --db '{db}' sanctioned -", File("in.txt", "KP\nSY\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("<stdin>"));
  EXPECT_THAT(r.out, HasSubstr("was " + digest.substr(0, 16)));
  r = Run("lists show --db '{db}' sanctioned");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("list sanctioned of country"));
  EXPECT_THAT(r.out, HasSubstr(Sha256Hex("KP\nSY\n")));
  EXPECT_THAT(r.out, ContainsRegex("1 +" + digest.substr(0, 16) + " +2 entries"));
  EXPECT_THAT(r.out, ContainsRegex("2 +" + Sha256Hex("KP\nSY\n").substr(0, 16) + " +2 entries"));
}

TEST_F(CliListsTest, BadEntriesAreAllNamedAndNothingIsImported) {
  ASSERT_EQ(Run("lists import --db '{db}' dual_use '" + File("ok.txt", "8471\n") + "' --type hs")
                .exit_code,
            0);
  const std::string before = Run("lists show --db '{db}' dual_use").out;
  const std::string bad = File("bad.txt", "0302\n030\n8471.30\n84x1\n");
  RunResult r = Run("lists import --db '{db}' dual_use '" + bad + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad + ":2: error: '030' is not an HS code"));
  EXPECT_THAT(r.err, HasSubstr(bad + ":4: error: '84x1' is not an HS code"));
  EXPECT_THAT(r.err, Not(HasSubstr(":1: error")));
  EXPECT_THAT(r.err, HasSubstr("2 bad entries; nothing was imported"));
  EXPECT_EQ(Run("lists show --db '{db}' dual_use").out, before);
}

TEST_F(CliListsTest, TypeIsRequiredOnceAndThenFixed) {
  const std::string file = File("p.txt", "3100\n");
  RunResult r = Run("lists import --db '{db}' ports '" + file + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--type"));
  EXPECT_EQ(Run("lists show --db '{db}'").out, "no lists in " + db_ + "\n");

  ASSERT_EQ(Run("lists import --db '{db}' ports '" + file + "' --type port").exit_code, 0);
  r = Run("lists import --db '{db}' ports '" + file + "' --type enterprise");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("list of port"));
  EXPECT_EQ(Run("lists import --db '{db}' ports '" + file + "' --type nonsense").exit_code, 2);
}

TEST_F(CliListsTest, MissingListFileAndUnknownListAreErrors) {
  RunResult r = Run("lists import --db '{db}' w '" + tmp_.Sub("absent.txt") + "' --type port");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("absent.txt"));
  r = Run("lists show --db '{db}' nope");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no list 'nope'"));
  r = Run("lists import --db '{db}' 'not-a-name' '" + File("e.txt", "x\n") + "' --type port");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not a list name"));
}

}  // namespace
}  // namespace bukong::cli::testing
