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

// A ruleset that declares lists decides with the database's current versions, prints them,
// and is refused (nothing decided, nothing stored) while a list is missing.
TEST_F(CliListsTest, DecideBindsTheCurrentVersionsOrRefusesTheRuleset) {
  const std::string rules = File("v2.rules",
                                 "ruleset \"v2\" version 1\n"
                                 "grade general factor 1.0\n"
                                 "unknown enterprise grade general\n"
                                 "baseline 0%\n"
                                 "sample 0.5%\n"
                                 "list watched of enterprise\n"
                                 "list sanctioned of country\n"
                                 "rule w when enterprise in watched then rate 100%\n"
                                 "rule s when origin in sanctioned then hold \"sanctions\"\n"
                                 "rule cheap when unit_value < 1.2 then rate 100%\n");
  const std::string declarations = File(
      "d.jsonl",
      "{\"id\":\"D1\",\"enterprise\":\"E1\",\"date\":\"2021-05-04\",\"direction\":\"import\","
      "\"hs\":\"0303899000\",\"origin\":\"NO\",\"value\":100.0,\"weight\":10}\n"
      "{\"id\":\"D2\",\"enterprise\":\"E2\",\"date\":\"2021-05-04\",\"direction\":\"import\","
      "\"hs\":\"0303899000\",\"origin\":\"KP\",\"value\":5.0,\"weight\":0}\n");
  RunResult r = Run("decide --db '{db}' --rules '" + rules + "' '" + declarations + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("list 'watched'"));
  EXPECT_THAT(r.err, HasSubstr("nothing was decided"));
  EXPECT_EQ(r.out, "");

  ASSERT_EQ(Run("lists import --db '{db}' watched '" + File("w.txt", "E1\n") +
                "' --type enterprise").exit_code, 0);
  ASSERT_EQ(Run("lists import --db '{db}' sanctioned '" + File("s.txt", "KP\n") +
                "' --type country").exit_code, 0);
  r = Run("decide --db '{db}' --rules '" + rules + "' '" + declarations + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  const std::string versions =
      fmt::format("\"lists\":{{\"watched\":\"{}\",\"sanctioned\":\"{}\"}}",
                  Sha256Hex("E1\n").substr(0, 16), Sha256Hex("KP\n").substr(0, 16));
  // D1: E1 is watched (rate 100%: inspected by risk); 100 / 10 = 10 per kg is not cheap.
  EXPECT_THAT(lines[0], HasSubstr("\"outcome\":\"inspect\""));
  EXPECT_THAT(lines[0], HasSubstr("\"matched\":[\"w\"]"));
  EXPECT_THAT(lines[0], HasSubstr("\"selected_by\":\"risk\""));
  EXPECT_THAT(lines[0], HasSubstr(versions));
  // D2: KP is sanctioned (hold, with the sample drawn); zero weight: unit_value never compares.
  EXPECT_THAT(lines[1], HasSubstr("\"outcome\":\"hold\""));
  EXPECT_THAT(lines[1], HasSubstr("\"matched\":[\"s\"]"));
  EXPECT_THAT(lines[1], HasSubstr("\"draws\":{\"sample\":"));
  EXPECT_THAT(lines[1], HasSubstr(versions));

  // A new version of a list changes what the next decide binds.
  ASSERT_EQ(Run("lists import --db '{db}' watched '" + File("w2.txt", "E9\n") + "'").exit_code,
            0);
  r = Run("decide --db '{db}' --rules '" + rules + "' -",
          File("d3.jsonl",
               "{\"id\":\"D3\",\"enterprise\":\"E1\",\"date\":\"2021-05-04\","
               "\"direction\":\"import\",\"hs\":\"0303899000\",\"origin\":\"NO\","
               "\"value\":100.0,\"weight\":10}\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"matched\":[]"));
  EXPECT_THAT(r.out, HasSubstr(Sha256Hex("E9\n").substr(0, 16)));
}

TEST_F(CliListsTest, CheckAcceptsV2RuleFilesWithoutADatabase) {
  RunResult r = Run("check '" + SourceDir() + "/tests/dsl/golden/v2_clean.rules'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Run("check '" + SourceDir() + "/tests/dsl/golden/v2_lists.rules'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown list 'nowhere'"));
}

}  // namespace
}  // namespace bukong::cli::testing
