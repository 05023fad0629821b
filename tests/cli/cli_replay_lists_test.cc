// Replay and what-if of decisions made with lists (SPEC §7.1, issue #12 item 3), end to end:
// each record is re-decided with the list versions its line records, not the current ones;
// a recorded version the database does not hold makes the record undecidable (named with its
// sequence number, list and version, counted, exit 1) without stopping the run; what-if takes
// the stored decision as it is and binds the current versions for the new ruleset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/sha256.h"
#include "tests/cli/cli_test_support.h"
#include "tests/testing/raw_db.h"

namespace bukong::cli::testing {
namespace {

using ::bukong::testing::MakeSchemaVersionTwo;
using ::bukong::testing::RawDb;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kRules =
    "ruleset \"v2\" version 1\n"
    "grade general factor 1.0\n"
    "unknown enterprise grade general\n"
    "baseline 0%\n"
    "sample 0.5%\n"
    "list watched of enterprise\n"
    "list sanctioned of country\n"
    "rule w when enterprise in watched then rate 100%\n"
    "rule s when origin in sanctioned then hold \"sanctions\"\n";

// A declaration of `enterprise`, origin NO (not sanctioned).
std::string Declaration(const std::string& id, const std::string& enterprise) {
  return fmt::format(
      "{{\"id\":\"{}\",\"enterprise\":\"{}\",\"date\":\"2021-05-04\",\"direction\":\"import\","
      "\"hs\":\"0303899000\",\"origin\":\"NO\",\"value\":100.0,\"weight\":10}}\n",
      id, enterprise);
}

class CliReplayListsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tmp_.Sub("db");
    // The fixed key: the sample's draws (0.5%) are then the same on every run.
    ASSERT_EQ(Bukong(tmp_, fmt::format("init --db '{}' --key-file '{}'", db_,
                                       File("key.hex", std::string(kKeyHex) + "\n")))
                  .exit_code,
              0);
    rules_ = File("v2.rules", kRules);
    // A v1 ruleset (no lists) in the same log: its records replay whatever happens to lists.
    v1_rules_ = File("v1.rules",
                     "ruleset \"v1\" version 1\n"
                     "grade general factor 1.0\n"
                     "unknown enterprise grade general\n"
                     "baseline 0%\n"
                     "rule e3 when origin = NO then rate 100%\n");
  }
  RunResult Run(const std::string& args) {
    return Bukong(tmp_, fmt::format(fmt::runtime(args), fmt::arg("db", db_)));
  }
  std::string File(const std::string& name, std::string_view text) {
    const std::string path = tmp_.Sub(name);
    WriteFile(path, text);
    return path;
  }
  RunResult Decide(const std::string& rules, const std::string& name, const std::string& lines) {
    return Run("decide --db '{db}' --rules '" + rules + "' '" + File(name, lines) + "'");
  }
  // Two generations: watched = {E1}, D1 (E1) and D2 (E2) decided; then watched = {E2}, D3 (E1)
  // and D4 (E2) decided; one v1 record (D5) in between.
  void DecideTwoGenerations() {
    ASSERT_EQ(Run("lists import --db '{db}' watched '" + File("w1.txt", "E1\n") +
                  "' --type enterprise").exit_code, 0);
    ASSERT_EQ(Run("lists import --db '{db}' sanctioned '" + File("s.txt", "KP\n") +
                  "' --type country").exit_code, 0);
    RunResult r = Decide(rules_, "g1.jsonl", Declaration("D1", "E1") + Declaration("D2", "E2"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr(v1_prefix_));
    r = Decide(v1_rules_, "v1.jsonl", Declaration("D5", "E3"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(Run("lists import --db '{db}' watched '" + File("w2.txt", "E2\n") + "'").exit_code,
              0);
    r = Decide(rules_, "g2.jsonl", Declaration("D3", "E1") + Declaration("D4", "E2"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr(v2_prefix_));
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 2u);
    ASSERT_THAT(lines[0], HasSubstr("\"matched\":[]"));     // D3: E1 no longer watched
    ASSERT_THAT(lines[1], HasSubstr("\"matched\":[\"w\"]"));  // D4: E2 now is
  }

  TempDir tmp_;
  std::string db_, rules_, v1_rules_;
  const std::string v1_prefix_ = Sha256Hex("E1\n").substr(0, 16);
  const std::string v2_prefix_ = Sha256Hex("E2\n").substr(0, 16);
};

TEST_F(CliReplayListsTest, ReplayUsesTheRecordedVersionsOfBothGenerations) {
  DecideTwoGenerations();
  RunResult r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 5 re-decided, 5 identical, 0 differ; chain intact"));
  // With one thread too (one cache of bound rulesets for both generations).
  r = Run("replay --db '{db}' --threads 1");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("5 re-decided, 5 identical, 0 differ; chain intact"));
}

TEST_F(CliReplayListsTest, WhatIfComparesTheRecordedDecisionsWithTheCurrentVersions) {
  DecideTwoGenerations();
  // The same rule file under the current versions (watched = {E2}): D1 (E1, inspected under
  // the first version) is released now and D2 (E2) inspected; D3, D4 were decided under the
  // current version already, so they do not change.
  const std::string changed = tmp_.Sub("changed.jsonl");
  RunResult r = Run("what-if --db '{db}' --rules '" + rules_ + "' --changed '" + changed + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<std::string> lines = Lines(ReadAll(changed));
  // D5 was decided by the v1 ruleset, which inspected it (rate 100%); the v2 rules release it.
  ASSERT_EQ(lines.size(), 3u) << ReadAll(changed);
  EXPECT_THAT(lines[0], HasSubstr("\"id\":\"D1\""));
  EXPECT_THAT(lines[0], HasSubstr("\"before\":\"inspect\",\"after\":\"release\""));
  EXPECT_THAT(lines[0], HasSubstr("\"rule_before\":\"w\",\"rule_after\":\"baseline\""));
  EXPECT_THAT(lines[1], HasSubstr("\"id\":\"D2\""));
  EXPECT_THAT(lines[1], HasSubstr("\"before\":\"release\",\"after\":\"inspect\""));
  EXPECT_THAT(lines[1], HasSubstr("\"rule_before\":\"baseline\",\"rule_after\":\"w\""));
  EXPECT_THAT(lines[2], HasSubstr("\"id\":\"D5\""));
  EXPECT_THAT(lines[2], HasSubstr("\"before\":\"inspect\",\"after\":\"release\""));
  EXPECT_THAT(r.err, Not(HasSubstr("undecidable")));
  // Stats reads decisions made with lists as well.
  r = Run("stats --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// The first version of `watched` removed from the database behind the store's back (its
// history entry, version record and entries): the records decided with it are undecidable,
// each named with its sequence number, list and version; the rest still replays.
TEST_F(CliReplayListsTest, AMissingVersionMakesItsRecordsUndecidable) {
  DecideTwoGenerations();
  {
    RawDb raw(db_);
    std::string name_key = "Hwatched";
    name_key.push_back('\0');
    raw.Delete("lists", name_key + std::string("\0\0\0\0\0\0\0\1", 8));
  }
  RunResult r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const char* record : {"record 1 ('D1')", "record 2 ('D2')"}) {
    EXPECT_THAT(r.out, HasSubstr(fmt::format(
                           "{}: undecidable: version {} of list 'watched' is not in the database",
                           record, v1_prefix_)));
  }
  EXPECT_THAT(r.out, Not(HasSubstr("record 3 ")));
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 3 re-decided, 3 identical, 0 differ, 2 undecidable; "
                               "chain intact"));
}

// A database of schema version 2 (no `lists` column family, as an older bukong left it,
// replayed read-only): its v1 records replay; records made with lists are undecidable.
TEST_F(CliReplayListsTest, ASchemaVersionTwoDatabaseHasNoListsToReplayWith) {
  DecideTwoGenerations();
  ASSERT_NO_FATAL_FAILURE(MakeSchemaVersionTwo(db_));
  RunResult r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, ContainsRegex("record 4 \\('D3'\\): undecidable: version " + v2_prefix_ +
                                   " of list 'watched' is not in the database"));
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 1 re-decided, 1 identical, 0 differ, 4 undecidable; "
                               "chain intact"));
  EXPECT_EQ(RawDb(db_).Get("meta", "schema_version"), "2");  // replay changed nothing
}

}  // namespace
}  // namespace bukong::cli::testing
