// The risk officer's workbench end to end (issue #14): `decisions get`, `explain` from the
// audit log and from JSON (agreeing with what was recorded), `--version`, "did you mean"
// for commands, and `replay --from` past the end of the log.
#include <simdjson.h>

#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::bukong::testing::TempDir;

class WorkbenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tmp_.Sub("db");
    ASSERT_TRUE(InitWithProfiles(tmp_, db_, SourceDir() + "/examples/data/profiles.csv"));
    // The first 200 declarations, decided twice: each id has two audit records.
    std::string lines;
    for (const std::string& line : Lines(ReadAll(SourceDir() + "/examples/data/declarations.jsonl"))) {
      if (Lines(lines).size() >= 200) break;
      lines += line + "\n";
    }
    WriteFile(tmp_.Sub("decl.jsonl"), lines);
    for (int i = 0; i < 2; ++i) {
      RunResult r = Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db_, Rules(),
                                             tmp_.Sub("decl.jsonl"), tmp_.Sub("out.jsonl")));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    first_line_ = Lines(lines).front();
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(first_line_).get(e), simdjson::SUCCESS);
    std::string_view id;
    ASSERT_EQ(e["id"].get(id), simdjson::SUCCESS);
    id_ = std::string(id);
  }
  static std::string Rules() { return SourceDir() + "/rules/order237-2018.rules"; }

  TempDir tmp_;
  std::string db_, id_, first_line_;
};

TEST_F(WorkbenchTest, DecisionsGetListsEveryRecordOfTheId) {
  RunResult r = Bukong(tmp_, fmt::format("decisions get --db '{}' '{}'", db_, id_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  simdjson::dom::parser parser;
  uint64_t seqs[2];
  for (int i = 0; i < 2; ++i) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(lines[i]).get(e), simdjson::SUCCESS) << lines[i];
    ASSERT_EQ(e["seq"].get(seqs[i]), simdjson::SUCCESS);
    std::string_view decided_id, ruleset;
    ASSERT_EQ(e["decision"]["id"].get(decided_id), simdjson::SUCCESS);
    EXPECT_EQ(decided_id, id_);
    ASSERT_EQ(e["ruleset"].get(ruleset), simdjson::SUCCESS);
    EXPECT_EQ(ruleset, "gacc-order237-zhejiang@1");
  }
  EXPECT_EQ(seqs[0], 1u);    // first of the first run
  EXPECT_EQ(seqs[1], 201u);  // first of the second run
  EXPECT_NE(r.err.find("2 decisions of"), std::string::npos) << r.err;

  r = Bukong(tmp_, fmt::format("decisions get --db '{}' NO-SUCH-ID", db_));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was never decided"), std::string::npos) << r.err;
}

TEST_F(WorkbenchTest, ExplainFromTheAuditLogAgreesWithTheRecord) {
  for (int seq : {1, 57, 200, 201, 399}) {
    RunResult r = Bukong(tmp_, fmt::format("explain --db '{}' --seq {}", db_, seq));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(fmt::format("Audit record {} ", seq)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("4. Winner:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("this explanation agrees"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("select 0."), std::string::npos) << r.out;  // the draws, with the key

    RunResult j = Bukong(tmp_, fmt::format("explain --db '{}' --seq {} --json", db_, seq));
    ASSERT_EQ(j.exit_code, 0) << j.err;
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(j.out).get(e), simdjson::SUCCESS) << j.out;
    bool agrees = false;
    ASSERT_EQ(e["agrees"].get(agrees), simdjson::SUCCESS);
    EXPECT_TRUE(agrees);
    // The explanation's verdict, winner and rate are the recorded decision's.
    std::string_view recorded_outcome, outcome, recorded_rule, winner;
    int64_t recorded_rate = -1, rate = -2;
    ASSERT_EQ(e["recorded_decision"]["outcome"].get(recorded_outcome), simdjson::SUCCESS);
    ASSERT_EQ(e["explanation"]["outcome"].get(outcome), simdjson::SUCCESS);
    ASSERT_EQ(e["recorded_decision"]["rule"].get(recorded_rule), simdjson::SUCCESS);
    ASSERT_EQ(e["explanation"]["winner"].get(winner), simdjson::SUCCESS);
    ASSERT_EQ(e["recorded_decision"]["rate_ppm"].get(recorded_rate), simdjson::SUCCESS);
    ASSERT_EQ(e["explanation"]["final_ppm"].get(rate), simdjson::SUCCESS);
    EXPECT_EQ(outcome, recorded_outcome);
    EXPECT_EQ(winner, recorded_rule);
    EXPECT_EQ(rate, recorded_rate);
  }
  RunResult r = Bukong(tmp_, fmt::format("explain --db '{}' --id '{}'", db_, id_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Audit record 201 "), std::string::npos) << r.out;  // the latest

  r = Bukong(tmp_, fmt::format("explain --db '{}' --seq 5000", db_));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no audit record 5000 (the log ends at record 400)"), std::string::npos)
      << r.err;
  r = Bukong(tmp_, "explain --seq 3");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(WorkbenchTest, ExplainFromJsonWithAndWithoutTheDatabase) {
  WriteFile(tmp_.Sub("one.json"), first_line_ + "\n");
  RunResult with_db = Bukong(tmp_, fmt::format("explain --rules '{}' --db '{}' '{}'", Rules(), db_,
                                               tmp_.Sub("one.json")));
  ASSERT_EQ(with_db.exit_code, 0) << with_db.err;
  RunResult audit = Bukong(tmp_, fmt::format("explain --db '{}' --seq 1", db_));
  // Same profile (unchanged since), same key, same ruleset: the same steps.
  auto steps = [](const std::string& text) { return text.substr(text.find("1. Grade:")); };
  auto upto_record = [](const std::string& text) { return text.substr(0, text.find("\nThe record says")); };
  EXPECT_EQ(steps(with_db.out), steps(upto_record(audit.out)));

  RunResult no_db = Bukong(tmp_, fmt::format("explain --rules '{}' -", Rules()), tmp_.Sub("one.json"));
  ASSERT_EQ(no_db.exit_code, 0) << no_db.err;
  EXPECT_NE(no_db.out.find("Without --db"), std::string::npos);
  EXPECT_NE(no_db.out.find("6. Draws: not computed"), std::string::npos) << no_db.out;

  WriteFile(tmp_.Sub("bad.json"), "\n{\"id\":\"x\"}\n");
  RunResult bad = Bukong(tmp_, fmt::format("explain --rules '{}' '{}'", Rules(), tmp_.Sub("bad.json")));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.json:2: error: "), std::string::npos) << bad.err;
}

TEST_F(WorkbenchTest, ReplayFromPastTheEndIsAnError) {
  RunResult r = Bukong(tmp_, fmt::format("replay --db '{}' --from 6000", db_));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--from 6000 is past the end of the audit log (last record 400)"),
            std::string::npos)
      << r.err;
  r = Bukong(tmp_, fmt::format("replay --db '{}' --from 400", db_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(WorkbenchCliTest, VersionAndDidYouMean) {
  TempDir tmp;
  RunResult r = Bukong(tmp, "--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("bukong 0.", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(commit "), std::string::npos) << r.out;
  r = Bukong(tmp, "chek rules/x.rules");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'chek' (did you mean 'check'?)"), std::string::npos) << r.err;
  r = Bukong(tmp, "explian --db x");
  EXPECT_NE(r.err.find("(did you mean 'explain'?)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bukong::cli::testing
