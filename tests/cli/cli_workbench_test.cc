// The risk officer's workbench end to end (issue #14): `decisions get`, `explain` from the
// audit log and from JSON (agreeing with what was recorded), `--version`, "did you mean"
// for commands, and `replay --from` past the end of the log.
#include <simdjson.h>

#include "storage/store.h"
#include "tests/cli/cli_test_support.h"
#include "tests/testing/raw_db.h"

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

// A database of schema version 3 (before the by_id index): `decisions get` (read-only)
// leaves it as it is, says it scans, and lists the same records; the first writable open
// (here `outcome` of an empty file) backfills the index, after which it no longer scans.
TEST_F(WorkbenchTest, DecisionsGetScansAVersionThreeDatabaseUntilAWritableOpenIndexesIt) {
  RunResult indexed = Bukong(tmp_, fmt::format("decisions get --db '{}' '{}'", db_, id_));
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  EXPECT_EQ(indexed.err.find("scanning"), std::string::npos) << indexed.err;
  ASSERT_NO_FATAL_FAILURE(::bukong::testing::MakeSchemaVersion(db_, 3));

  RunResult scanned = Bukong(tmp_, fmt::format("decisions get --db '{}' '{}'", db_, id_));
  ASSERT_EQ(scanned.exit_code, 0) << scanned.err;
  EXPECT_NE(scanned.err.find("older than schema version"), std::string::npos) << scanned.err;
  EXPECT_EQ(scanned.out, indexed.out);
  EXPECT_EQ(::bukong::testing::RawDb(db_).Get("meta", "schema_version"), "3");

  WriteFile(tmp_.Sub("none.jsonl"), "");
  RunResult upgrade = Bukong(tmp_, fmt::format("outcome --db '{}' '{}'", db_, tmp_.Sub("none.jsonl")));
  ASSERT_EQ(upgrade.exit_code, 0) << upgrade.err;
  EXPECT_EQ(::bukong::testing::RawDb(db_).Get("meta", "schema_version"),
            std::to_string(storage::kSchemaVersion));
  RunResult again = Bukong(tmp_, fmt::format("decisions get --db '{}' '{}'", db_, id_));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("scanning"), std::string::npos) << again.err;
  EXPECT_EQ(again.out, indexed.out);
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

// SPEC §7 in explain: from the audit log, the list versions the decision recorded (not the
// current ones), and the compliance sample's draw against the grade's sample rate; from JSON
// with --db, the current versions.
TEST(WorkbenchCliTest, ExplainBindsRecordedListsAndShowsTheSample) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  ASSERT_TRUE(InitWithProfiles(tmp, db, SourceDir() + "/examples/data/profiles.csv"));
  std::vector<std::string> lines;
  for (const std::string& line : Lines(ReadAll(SourceDir() + "/examples/data/declarations.jsonl"))) {
    if (lines.size() >= 300) break;
    lines.push_back(line);
  }
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  WriteFile(tmp.Sub("decl.jsonl"), all);
  WriteFile(tmp.Sub("one.json"), lines.front() + "\n");
  simdjson::dom::parser parser;
  simdjson::dom::element first;
  ASSERT_EQ(parser.parse(lines.front()).get(first), simdjson::SUCCESS);
  std::string_view enterprise;
  ASSERT_EQ(first["enterprise"].get(enterprise), simdjson::SUCCESS);
  WriteFile(tmp.Sub("v2.rules"),
            "ruleset \"v2\" version 1\n"
            "grade advanced factor 0.2\n"
            "grade certified factor 0.5\n"
            "grade general factor 1.0\n"
            "grade dishonest factor 1.0\n"
            "unknown enterprise grade general\n"
            "baseline 0%\n"
            "list watched of enterprise\n"
            "sample 40% at destination 100% method nii\n"
            "rule watched when enterprise in watched then rate 100% fixed\n");
  // Version 1 holds the first declaration's enterprise; decide; version 2 does not.
  WriteFile(tmp.Sub("w1.txt"), std::string(enterprise) + "\n");
  WriteFile(tmp.Sub("w2.txt"), "# nobody\nNOT-AN-ENTERPRISE\n");
  RunResult r = Bukong(tmp, fmt::format("lists import --db '{}' --type enterprise watched '{}'",
                                        db, tmp.Sub("w1.txt")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db, tmp.Sub("v2.rules"),
                              tmp.Sub("decl.jsonl"), tmp.Sub("out.jsonl")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Bukong(tmp, fmt::format("lists import --db '{}' watched '{}'", db, tmp.Sub("w2.txt")));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Record 1: decided with version 1, so `watched` matched; explain binds that version.
  r = Bukong(tmp, fmt::format("explain --db '{}' --seq 1", db));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Lists (as the decision recorded): watched version "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(1 entry)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4. Winner: watched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("this explanation agrees"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sample 0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(selected by risk already)"), std::string::npos) << r.out;
  r = Bukong(tmp, fmt::format("explain --db '{}' --seq 1 --json", db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element j;
  ASSERT_EQ(parser.parse(r.out).get(j), simdjson::SUCCESS) << r.out;
  bool agrees = false;
  ASSERT_EQ(j["agrees"].get(agrees), simdjson::SUCCESS);
  EXPECT_TRUE(agrees);
  std::string_view digest, recorded16, selected_by;
  ASSERT_EQ(j["lists"]["watched"].get(digest), simdjson::SUCCESS) << r.out;
  ASSERT_EQ(j["recorded_decision"]["lists"]["watched"].get(recorded16), simdjson::SUCCESS);
  EXPECT_EQ(digest.substr(0, 16), recorded16);
  ASSERT_EQ(j["explanation"]["selected_by"].get(selected_by), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(selected_by, "risk");
  ASSERT_EQ(j["explanation"]["draws"]["sample"]["threshold_ppm"].get_int64().value(), 400000);

  // From JSON with --db: today's version 2, so `watched` fails and the baseline wins.
  r = Bukong(tmp, fmt::format("explain --rules '{}' --db '{}' '{}'", tmp.Sub("v2.rules"), db,
                              tmp.Sub("one.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Lists (current versions): watched version "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4. Winner: baseline"), std::string::npos) << r.out;
  r = Bukong(tmp, fmt::format("explain --rules '{}' '{}'", tmp.Sub("v2.rules"), tmp.Sub("one.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no list is bound"), std::string::npos) << r.out;

  // Every record selected by the sample alone is explained as such, and agrees.
  int sample_only = 0;
  const std::vector<std::string> decided = Lines(ReadAll(tmp.Sub("out.jsonl")));
  ASSERT_EQ(decided.size(), lines.size());
  for (size_t i = 0; i < decided.size() && sample_only < 3; ++i) {
    if (decided[i].find("\"selected_by\":\"sample\"") == std::string::npos) continue;
    ++sample_only;
    r = Bukong(tmp, fmt::format("explain --db '{}' --seq {}", db, i + 1));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("→ inspect, selected by the sample, with its split"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("site   0."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("< 0.0000? no → destination"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("selected by sample); this explanation agrees"), std::string::npos)
        << r.out;
  }
  EXPECT_EQ(sample_only, 3);

  // A record whose list version is gone cannot be explained faithfully: it says so.
  // (Versions are never deleted; a record naming an unknown one is a damaged log.)
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
