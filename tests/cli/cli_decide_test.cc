// `bukong decide`'s safety and triage options, through the real executable: outputs are
// created only once the database and rules are good; an output naming an input is refused
// with the input untouched; --dry-run records nothing; --max-rejects stops before recording;
// repeated rejects are summarised; --max-line-bytes limits a line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tmp_.Sub("db");
    ASSERT_TRUE(InitWithProfiles(tmp_, db_, SourceDir() + "/examples/data/profiles.csv"));
    rules_ = SourceDir() + "/rules/order237-2018.rules";
    // 300 declarations of the demo data.
    const std::vector<std::string> all =
        Lines(ReadAll(SourceDir() + "/examples/data/declarations.jsonl"));
    std::string text;
    for (size_t i = 0; i < 300 && i < all.size(); ++i) text += all[i] + "\n";
    input_ = tmp_.Sub("in.jsonl");
    WriteFile(input_, text);
  }
  uint64_t Head() {
    const RunResult r = Bukong(tmp_, fmt::format("replay --db '{}'", db_));
    std::smatch m;
    const std::string text = r.err + r.out;
    if (std::regex_search(text, m, std::regex("records 1\\.\\.(\\d+)"))) {
      return std::stoull(m[1]);
    }
    EXPECT_THAT(text, HasSubstr("empty"));
    return 0;
  }
  TempDir tmp_;
  std::string db_, rules_, input_;
};

TEST_F(DecideTest, AnOutputIsLeftAloneWhenTheDatabaseOrRulesAreBad) {
  const std::string out = tmp_.Sub("out.jsonl"), rejects = tmp_.Sub("rejects.jsonl");
  WriteFile(out, "precious\n");
  WriteFile(rejects, "precious too\n");
  RunResult r = Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}' --rejects '{}'",
                                         tmp_.Sub("no-such-db"), rules_, input_, out, rejects));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(ReadAll(out), "precious\n");
  EXPECT_EQ(ReadAll(rejects), "precious too\n");
  WriteFile(tmp_.Sub("bad.rules"), "ruleset broken\n");
  r = Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db_,
                               tmp_.Sub("bad.rules"), input_, out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(ReadAll(out), "precious\n");
  EXPECT_EQ(Head(), 0u);
}

TEST_F(DecideTest, AnOutputNamingAnInputIsRefusedAndTheInputIsUntouched) {
  const std::string before = ReadAll(input_);
  const std::string rules_copy = tmp_.Sub("copy.rules");
  WriteFile(rules_copy, ReadAll(rules_));
  const std::string cases[] = {
      fmt::format("-o '{}'", input_),
      fmt::format("--rejects '{}'", input_),
      fmt::format("-o '{}/./in.jsonl'", tmp_.path()),  // another spelling of the input
      fmt::format("-o '{}'", rules_copy),
      fmt::format("-o '{}/LOG'", db_),                   // a file of the database
      fmt::format("-o '{}' --rejects '{}'", tmp_.Sub("same"), tmp_.Sub("same")),
  };
  for (const std::string& c : cases) {
    const RunResult r = Bukong(
        tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' {}", db_, rules_copy, input_, c));
    EXPECT_EQ(r.exit_code, 2) << c << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("refusing to overwrite")) << c;
  }
  EXPECT_EQ(ReadAll(input_), before);
  EXPECT_EQ(ReadAll(rules_copy), ReadAll(rules_));
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("same")));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(DecideTest, ADryRunDecidesAlikeMarksItsLinesAndRecordsNothing) {
  const RunResult dry = Bukong(
      tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' --dry-run", db_, rules_, input_));
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.err, HasSubstr("dry run: nothing recorded"));
  EXPECT_EQ(Head(), 0u);
  const RunResult real =
      Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}'", db_, rules_, input_));
  ASSERT_EQ(real.exit_code, 0) << real.err;
  const auto dry_lines = Lines(dry.out), real_lines = Lines(real.out);
  ASSERT_EQ(dry_lines.size(), 300u);
  ASSERT_EQ(real_lines.size(), 300u);
  for (size_t i = 0; i < dry_lines.size(); ++i) {
    EXPECT_EQ(dry_lines[i], real_lines[i].substr(0, real_lines[i].size() - 1) +
                                ",\"dry_run\":true}");
  }
  EXPECT_EQ(Head(), 300u);
}

// A ruleset without the grade `general`, which most demo profiles have.
std::string WithoutGeneral(const std::string& rules) {
  std::string text = ReadAll(rules);
  text = std::regex_replace(text, std::regex("\ngrade general[^\n]*"), "");
  text = std::regex_replace(text, std::regex("\nrequire [^\n]*general[^\n]*"), "");
  text = std::regex_replace(text, std::regex("unknown enterprise grade general"),
                            "unknown enterprise grade certified");
  return text;
}

TEST_F(DecideTest, RepeatedRejectsAreSummarisedAndMaxRejectsStopsBeforeRecording) {
  const std::string rules = tmp_.Sub("nogeneral.rules");
  WriteFile(rules, WithoutGeneral(rules_));
  const std::string rejects = tmp_.Sub("rejects.jsonl");
  RunResult r = Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' --rejects '{}'",
                                         db_, rules, input_, rejects));
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const size_t rejected = Lines(ReadAll(rejects)).size();
  ASSERT_GT(rejected, 10u);
  // Three lines of the message, then one summary for the rest.
  const std::regex shown("in\\.jsonl:\\d+: error: ([^\n]*general[^\n]*)");
  std::string err = r.err;
  int shown_lines = 0;
  std::string message;
  for (std::sregex_iterator it(err.begin(), err.end(), shown), end; it != end; ++it) {
    ++shown_lines;
    message = (*it)[1];
  }
  EXPECT_EQ(shown_lines, 3) << err;
  EXPECT_THAT(err, HasSubstr(fmt::format("in.jsonl: ... and {} more lines: {}", rejected - 3,
                                         message)));
  const uint64_t recorded = Head();
  EXPECT_EQ(recorded, 300 - rejected);

  // With --max-rejects the same input stops, and nothing of this run is recorded.
  const std::string out = tmp_.Sub("out.jsonl");
  r = Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}' --max-rejects 5", db_,
                               rules, input_, out));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("more than 5 rejected lines (--max-rejects)"));
  EXPECT_THAT(r.err, HasSubstr("never recorded"));
  EXPECT_EQ(ReadAll(out), "");
  EXPECT_EQ(Head(), recorded);
}

TEST_F(DecideTest, MaxLineBytesLimitsALine) {
  const RunResult ok = Bukong(
      tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' --max-line-bytes 1000 --dry-run", db_,
                        rules_, input_));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const RunResult r = Bukong(
      tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' --max-line-bytes 100", db_, rules_,
                        input_));
  EXPECT_EQ(r.exit_code, 3) << r.err;  // every line rejected, the run goes on
  EXPECT_THAT(r.err, HasSubstr("in.jsonl:1: error: the line is longer than --max-line-bytes 100"));
  EXPECT_THAT(r.out, Not(HasSubstr("\"id\"")));
}

}  // namespace
}  // namespace bukong::cli::testing
