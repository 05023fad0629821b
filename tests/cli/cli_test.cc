// The end-to-end commands through the real `bukong` executable: decide, outcome, replay,
// what-if, stats — their success paths and every bad-input path SPEC §4 names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <regex>
#include <set>

#include "storage/internal/encoding.h"
#include "storage/store.h"
#include "tests/cli/cli_test_support.h"
#include "tests/storage/test_support.h"
#include "tests/testing/raw_db.h"

namespace bukong::cli::testing {
namespace {

using ::bukong::testing::RawDb;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

std::string Rules237() { return SourceDir() + "/rules/order237-2018.rules"; }

// A database with the fixed key, generated profiles and declarations for order237's grades.
struct DataSet {
  std::string db, profiles, declarations;
};

DataSet MakeDataSet(const TempDir& tmp, int profiles, int declarations, int seed = 11) {
  DataSet d{tmp.Sub("db"), tmp.Sub("profiles.csv"), tmp.Sub("declarations.jsonl")};
  const std::string grades = "advanced:5,certified:10,general:80,dishonest:5";
  EXPECT_EQ(Bukong(tmp, fmt::format("gen profiles --seed {} --count {} --grades {} -o '{}'", seed,
                                    profiles, grades, d.profiles))
                .exit_code,
            0);
  EXPECT_EQ(Bukong(tmp, fmt::format("gen declarations --seed {} --count {} --profiles {} -o '{}'",
                                    seed, declarations, profiles, d.declarations))
                .exit_code,
            0);
  InitWithProfiles(tmp, d.db, d.profiles);
  return d;
}

// `bukong decide` of the data set's declarations under order 237's rules, output on stdout.
RunResult DecideDataSet(const TempDir& tmp, const DataSet& d) {
  return Bukong(
      tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", d.db, Rules237(), d.declarations));
}

// Every audit record as the store holds it.
std::vector<storage::AuditEntry> AuditLog(const std::string& db) {
  storage::StoreOptions options;
  options.read_only = true;
  auto store = storage::Store::Open(db, options);
  EXPECT_TRUE(store.ok()) << store.status();
  std::vector<storage::AuditEntry> entries;
  if (!store.ok()) return entries;
  absl::Status s = (*store)->ScanAudit(1, UINT64_MAX, [&](const storage::AuditEntry& e) {
    entries.push_back(e);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return entries;
}

// A full declaration in the SPEC §3 shape.
std::string Declaration(std::string_view id, std::string_view enterprise,
                        std::string_view extra = "") {
  return fmt::format(
      R"({{"id":"{}","enterprise":"{}","date":"2021-05-04","direction":"import",)"
      R"("hs":"0303.89.90","origin":"NO","trade_country":"NO","port":"3100","mode":"sea",)"
      R"("value":125000.0,"weight":20000,"two_step":false{}}})",
      id, enterprise, extra);
}

std::string FieldOf(const std::string& json_line, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\":(\"[^\"]*\"|[^,}]*)");
  return std::regex_search(json_line, m, re) ? m[1].str() : "";
}

TEST(CliDecideTest, DecidesRecordsAndPrintsEveryDeclarationInOrder) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 300, 2000);
  RunResult r = DecideDataSet(tmp, d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("2000 decided and recorded (audit records 1..2000), 0 rejected"));
  const std::vector<std::string> decisions = Lines(r.out);
  const std::vector<std::string> inputs = Lines(ReadAll(d.declarations));
  ASSERT_THAT(decisions, SizeIs(2000));
  std::set<std::string> outcomes;
  for (size_t i = 0; i < decisions.size(); ++i) {
    EXPECT_EQ(FieldOf(decisions[i], "id"), FieldOf(inputs[i], "id")) << i;
    EXPECT_THAT(decisions[i], HasSubstr("\"ruleset\":\"gacc-order237-zhejiang@1\""));
    outcomes.insert(FieldOf(decisions[i], "outcome"));
  }
  EXPECT_TRUE(outcomes.count("\"release\"") && outcomes.count("\"inspect\""));

  // The audit log holds each decision exactly as printed, with the declaration as received.
  const std::vector<storage::AuditEntry> log = AuditLog(d.db);
  ASSERT_THAT(log, SizeIs(2000));
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq, i + 1);
    EXPECT_EQ(log[i].record.decision, decisions[i]);
    EXPECT_EQ(log[i].record.declaration, inputs[i]);
    EXPECT_EQ(log[i].record.key_id, "be45cb2605bf36be");  // SHA-256 of bytes 00..0f, first 8 bytes
    EXPECT_NE(log[i].record.decision.find(log[i].record.ruleset_sha256), std::string::npos);
  }
  // The ruleset text is stored once, under the hash the decisions name.
  auto store = storage::Store::Open(d.db, {.read_only = true});
  ASSERT_TRUE(store.ok());
  auto stored = (*store)->GetRuleset(log[0].record.ruleset_sha256);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->text, ReadAll(Rules237()));
}

TEST(CliDecideTest, SameInputAndDatabaseStateGiveIdenticalOutput) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 200, 1500);
  const std::string args =
      fmt::format("decide --db '{}' --rules '{}' '{}'", d.db, Rules237(), d.declarations);
  RunResult first = Bukong(tmp, args);
  RunResult second = Bukong(tmp, args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
  EXPECT_THAT(Lines(first.out), SizeIs(1500));
  // Standard input and -o give the same bytes.
  RunResult piped = Bukong(
      tmp, fmt::format("decide --db '{}' --rules '{}' - -o '{}'", d.db, Rules237(), tmp.Sub("o")),
      d.declarations);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(ReadAll(tmp.Sub("o")), first.out);
  EXPECT_EQ(piped.out, "");
}

TEST(CliDecideTest, BadLinesAreReportedCopiedToRejectsAndTheRunGoesOn) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  WriteFile(tmp.Sub("p.csv"),
            "id,grade,registered,flags,inspections,hits\n"
            "E-GOOD,general,2010-01-01,,0,0\n"
            "E-PLATINUM,platinum,2010-01-01,,0,0\n");
  ASSERT_TRUE(InitWithProfiles(tmp, db, tmp.Sub("p.csv")));
  const std::vector<std::string> lines = {
      Declaration("D1", "E-GOOD"),  // 1 ok
      "{\"id\":\"D2\",",            // 2 not JSON
      R"({"id":"D3","enterprise":"E-GOOD","date":"2021-05-04","direction":"import","hs":"0303899000","origin":"NO","trade_country":"NO","port":"3100","mode":"sea","weight":1,"two_step":false})",  // 3 value missing
      Declaration("D4", "E-GOOD")
          .replace(Declaration("D4", "E-GOOD").find("125000.0"), 8,
                   "\"125000\""),                     // 4 value is a string
      Declaration("D5", "E-PLATINUM"),                // 5 unknown grade
      Declaration("D6", "E-GOOD", R"(,"id":"D6b")"),  // 6 repeated key
      "",                                             // 7 blank: skipped
      Declaration("D8", "E-NOPROFILE"),               // 8 ok (unknown enterprise)
  };
  std::string input;
  for (const std::string& l : lines) input += l + "\n";
  WriteFile(tmp.Sub("in.jsonl"), input);
  RunResult r = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}' --rejects '{}'", db,
                                        Rules237(), tmp.Sub("in.jsonl"), tmp.Sub("rejects")));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string in = tmp.Sub("in.jsonl");
  EXPECT_THAT(r.err, HasSubstr(in + ":2: error: "));
  EXPECT_THAT(r.err,
              AllOf(HasSubstr(in + ":3: error: "), ContainsRegex(":3: error: [^\n]*'value'")));
  EXPECT_THAT(r.err, ContainsRegex(":4: error: [^\n]*'value'[^\n]*string"));
  EXPECT_THAT(r.err, ContainsRegex(":5: error: [^\n]*platinum"));
  EXPECT_THAT(r.err, ContainsRegex(":6: error: [^\n]*'id'"));
  EXPECT_THAT(r.err, Not(HasSubstr(":1: error")));
  EXPECT_THAT(r.err, Not(HasSubstr(":7: error")));
  EXPECT_THAT(r.err, Not(HasSubstr(":8: error")));
  EXPECT_EQ(ReadAll(tmp.Sub("rejects")), lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n" +
                                             lines[4] + "\n" + lines[5] + "\n");
  const std::vector<std::string> decisions = Lines(r.out);
  ASSERT_THAT(decisions, SizeIs(2));
  EXPECT_EQ(FieldOf(decisions[0], "id"), "\"D1\"");
  EXPECT_EQ(FieldOf(decisions[1], "id"), "\"D8\"");
  EXPECT_EQ(FieldOf(decisions[1], "grade"), "\"general\"");  // the unknown-enterprise grade
  EXPECT_THAT(AuditLog(db), SizeIs(2));

  // Standard input is named <stdin>.
  RunResult piped = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}'", db, Rules237()),
                           tmp.Sub("in.jsonl"));
  EXPECT_EQ(piped.exit_code, 3);
  EXPECT_THAT(piped.err, HasSubstr("<stdin>:5: error: "));
}

TEST(CliDecideTest, RuleFileWithErrorsDecidesNothing) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 50, 100);
  WriteFile(tmp.Sub("bad.rules"),
            "ruleset \"bad\" version 1\n"
            "grade general factor 1.0\n"
            "unknown enterprise grade general\n"
            "rule r when value > \"x\" then rate 5%\n");
  RunResult r = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", d.db,
                                        tmp.Sub("bad.rules"), d.declarations));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ContainsRegex("bad\\.rules:4:[0-9]+: error: "));
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(AuditLog(d.db), SizeIs(0));
  // A rule file that cannot be read.
  r = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", d.db, tmp.Sub("nope.rules"),
                              d.declarations));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("nope.rules: error: cannot read"));
}

TEST(CliUsageTest, UsageErrorsExit2MissingDatabaseExits1AndEveryCommandHasHelp) {
  TempDir tmp;
  for (const char* args : {"decide --db x", "decide --rules x", "outcome --db x", "replay",
                           "what-if --db x", "stats", "decide --db x --rules y --no-such-option",
                           "replay --db x --from 0", "stats --db x extra"}) {
    EXPECT_EQ(Bukong(tmp, args).exit_code, 2) << args;
  }
  for (const char* command : {"decide", "outcome", "replay", "what-if", "stats"}) {
    RunResult r = Bukong(tmp, fmt::format("{} --help", command));
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_THAT(r.out, HasSubstr("--db")) << command;
  }
  const std::string missing = tmp.Sub("missing-db");
  WriteFile(tmp.Sub("o.jsonl"), "{\"id\":\"D1\",\"result\":\"hit\"}\n");
  WriteFile(tmp.Sub("d.jsonl"), Declaration("D1", "E") + "\n");
  for (const std::string& args :
       {fmt::format("decide --db '{}' --rules '{}' '{}'", missing, Rules237(), tmp.Sub("d.jsonl")),
        fmt::format("outcome --db '{}' '{}'", missing, tmp.Sub("o.jsonl")),
        fmt::format("replay --db '{}'", missing), fmt::format("stats --db '{}'", missing),
        fmt::format("what-if --db '{}' --rules '{}'", missing, Rules237())}) {
    RunResult r = Bukong(tmp, args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_THAT(r.err, HasSubstr("missing-db")) << args;
    EXPECT_FALSE(std::filesystem::exists(missing)) << args;
  }
  // init on an existing database refuses and changes nothing.
  const std::string db = tmp.Sub("db");
  ASSERT_EQ(Bukong(tmp, fmt::format("init --db '{}'", db)).exit_code, 0);
  const std::string key = ReadAll(db + "/selection.key");
  EXPECT_EQ(Bukong(tmp, fmt::format("init --db '{}'", db)).exit_code, 1);
  EXPECT_EQ(ReadAll(db + "/selection.key"), key);
}

TEST(CliOutcomeTest, RecordsOncePerDecidedDeclarationAndUpdatesCounters) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  WriteFile(tmp.Sub("p.csv"),
            "id,grade,registered,flags,inspections,hits\nE1,general,2010-01-01,,4,1\n");
  ASSERT_TRUE(InitWithProfiles(tmp, db, tmp.Sub("p.csv")));
  WriteFile(tmp.Sub("d.jsonl"), Declaration("D1", "E1") + "\n" + Declaration("D2", "E1") + "\n" +
                                    Declaration("D3", "E-NONE") + "\n");
  ASSERT_EQ(Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", db, Rules237(),
                                    tmp.Sub("d.jsonl")))
                .exit_code,
            0);
  WriteFile(tmp.Sub("o.jsonl"),
            "{\"id\":\"D1\",\"result\":\"hit\"}\n"    // 1 ok
            "{\"id\":\"D2\",\"result\":\"clean\"}\n"  // 2 ok
            "{\"id\":\"D9\",\"result\":\"hit\"}\n"    // 3 never decided
            "{\"id\":\"D1\",\"result\":\"clean\"}\n"  // 4 repeated in the file
            "not json\n"                              // 5 malformed
            "{\"id\":\"D3\",\"result\":\"maybe\"}\n"  // 6 bad result
            "{\"id\":\"D3\"}\n"                       // 7 result missing
            "{\"id\":\"D3\",\"result\":\"hit\"}\n");  // 8 ok, enterprise without profile
  RunResult r = Bukong(tmp, fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o.jsonl")));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string f = tmp.Sub("o.jsonl");
  EXPECT_THAT(r.err, HasSubstr(f + ":3: error: declaration 'D9' was never decided"));
  EXPECT_THAT(r.err, HasSubstr(f + ":4: error: declaration 'D1' already has an outcome (line 1)"));
  EXPECT_THAT(r.err, HasSubstr(f + ":5: error: not JSON"));
  EXPECT_THAT(r.err, ContainsRegex(":6: error: [^\n]*'result'"));
  EXPECT_THAT(r.err, HasSubstr(f + ":7: error: field 'result' is missing"));
  EXPECT_THAT(r.err, Not(ContainsRegex(":(1|2|8): error")));
  EXPECT_THAT(r.out, HasSubstr("recorded 3 outcomes (2 hits, 1 clean), 5 rejected"));
  RunResult p = Bukong(tmp, fmt::format("profiles get --db '{}' E1", db));
  EXPECT_THAT(p.out, AllOf(HasSubstr("\"inspections\":6"), HasSubstr("\"hits\":2")));

  // A second run: every id already has its outcome in the database.
  WriteFile(tmp.Sub("o2.jsonl"), "{\"id\":\"D2\",\"result\":\"hit\"}\n");
  r = Bukong(tmp, fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o2.jsonl")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr(":1: error: declaration 'D2' already has an outcome"));
  p = Bukong(tmp, fmt::format("profiles get --db '{}' E1", db));
  EXPECT_THAT(p.out, AllOf(HasSubstr("\"inspections\":6"), HasSubstr("\"hits\":2")));
  // All good: exit 0.
  WriteFile(tmp.Sub("o3.jsonl"), "");
  EXPECT_EQ(Bukong(tmp, fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o3.jsonl"))).exit_code,
            0);
}

// The key of audit record `seq`: big-endian, as docs/storage.md specifies.
std::string AuditKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) key[i] = static_cast<char>(seq & 0xff);
  return key;
}

TEST(CliReplayTest, PassesAfterDecideAndNamesAnAlteredOrDeletedRecord) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 200, 1000);
  ASSERT_EQ(DecideDataSet(tmp, d).exit_code, 0);
  RunResult r = Bukong(tmp, fmt::format("replay --db '{}'", d.db));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1000 re-decided, 1000 identical, 0 differ; chain intact"));
  r = Bukong(tmp, fmt::format("replay --db '{}' --from 100 --to 199 --threads 3", d.db));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("records 100..199: 100 re-decided, 100 identical"));

  // Alter the decision inside record 417 (same length: a release becomes an inspection or
  // the reverse), and make record 730 undecodable (a byte more inside its body).
  {
    RawDb raw(d.db);
    std::string value = raw.Get("audit", AuditKey(417));
    const size_t release = value.find("\"outcome\":\"release\"");
    const size_t inspect = value.find("\"outcome\":\"inspect\"");
    ASSERT_TRUE(release != std::string::npos || inspect != std::string::npos);
    if (release != std::string::npos) {
      value.replace(release, 19, "\"outcome\":\"inspect\"");
    } else {
      value.replace(inspect, 19, "\"outcome\":\"release\"");
    }
    raw.Put("audit", AuditKey(417), value);
    value = raw.Get("audit", AuditKey(730));
    const size_t rate = value.find("\"rate_ppm\":");
    ASSERT_NE(rate, std::string::npos);
    value.insert(rate + 11, "9");
    raw.Put("audit", AuditKey(730), value);
  }
  r = Bukong(tmp, fmt::format("replay --db '{}'", d.db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, ContainsRegex("record 417 \\('[^']*'\\): the decision differs"));
  EXPECT_THAT(r.out, HasSubstr("chain: record 417 does not match its chain hash"));
  EXPECT_THAT(r.out, ContainsRegex("record 730[^\n]*does not decode"));
  EXPECT_THAT(r.out, HasSubstr("chain: record 730 does not match its chain hash"));
  EXPECT_THAT(r.out,
              HasSubstr("999 re-decided, 998 identical, 1 differ; chain broken (2 problems)"));
  // A range that excludes the record passes.
  EXPECT_EQ(Bukong(tmp, fmt::format("replay --db '{}' --to 400", d.db)).exit_code, 0);

  // Deleting a record is found by the chain, even though every remaining record replays.
  TempDir tmp2;
  DataSet d2 = MakeDataSet(tmp2, 200, 600);
  ASSERT_EQ(DecideDataSet(tmp2, d2).exit_code, 0);
  { RawDb(d2.db).Delete("audit", AuditKey(250)); }
  r = Bukong(tmp2, fmt::format("replay --db '{}'", d2.db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("chain: record 250 is missing"));
  EXPECT_THAT(r.out, HasSubstr("599 re-decided, 599 identical"));
  // The last record deleted: the chain head names it.
  { RawDb(d2.db).Delete("audit", AuditKey(600)); }
  r = Bukong(tmp2, fmt::format("replay --db '{}'", d2.db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, ContainsRegex("chain: record 600[^\n]*missing"));
}

// A database written by an older bukong (schema version 1: every audit record in format 1)
// is replayed as it is, without being changed; a command that writes (outcome) records
// the current version first, and the old records still replay and chain with the new ones.
TEST(CliReplayTest, ReplaysASchemaVersionOneDatabase) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 100, 300);
  ASSERT_EQ(DecideDataSet(tmp, d).exit_code, 0);
  // Rewrite the log in format 1, with its chain, as schema version 1 wrote it.
  const std::vector<storage::AuditEntry> log = AuditLog(d.db);
  ASSERT_EQ(log.size(), 300u);
  {
    RawDb raw(d.db);
    Sha256Digest hash{};
    for (const storage::AuditEntry& e : log) {
      const std::string body = storage::testing::FormatOneAuditBody(e.record);
      hash = storage::internal::ChainHash(hash, e.seq, body);
      raw.Put("audit", AuditKey(e.seq), body + std::string(storage::internal::AsView(hash)));
    }
    raw.Put("meta", std::string(storage::internal::kMetaChainHead),
            storage::internal::EncodeChainHead(300, hash));
    raw.Put("meta", "schema_version", "1");
    ASSERT_EQ(raw.Get("audit", AuditKey(1))[0], '\x01');
  }
  // Databases of that time had no audit anchor (which would rightly refuse the rewrite).
  std::filesystem::remove(d.db + "/audit.anchor");
  RunResult r = Bukong(tmp, fmt::format("replay --db '{}'", d.db));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("300 re-decided, 300 identical, 0 differ; chain intact"));
  EXPECT_EQ(RawDb(d.db).Get("meta", "schema_version"), "1");

  WriteFile(tmp.Sub("o.jsonl"),
            fmt::format("{{\"id\":\"{}\",\"result\":\"hit\"}}\n", log[0].record.declaration_id));
  r = Bukong(tmp, fmt::format("outcome --db '{}' '{}'", d.db, tmp.Sub("o.jsonl")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDb(d.db).Get("meta", "schema_version"), std::to_string(storage::kSchemaVersion));
  ASSERT_EQ(DecideDataSet(tmp, d).exit_code, 0);
  {
    RawDb raw(d.db);
    EXPECT_EQ(raw.Get("audit", AuditKey(300))[0], '\x01');
    // Format 3: order237 declares lists, whose full digests the new records keep.
    EXPECT_EQ(raw.Get("audit", AuditKey(301))[0], '\x03');
  }
  r = Bukong(tmp, fmt::format("replay --db '{}'", d.db));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("600 re-decided, 600 identical, 0 differ; chain intact"));
}

// simdjson on a JSON text (test helper).
simdjson::dom::element ParseJson(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  EXPECT_EQ(parser.parse(text).get(e), simdjson::SUCCESS) << text;
  return e;
}

uint64_t Uint(simdjson::dom::element e, std::string_view pointer) {
  uint64_t v = 0;
  EXPECT_EQ(e.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
  return v;
}

TEST(CliWhatIfTest, SameRulesetChangesNothingAndAHigherBaselineOnlyAddsInspections) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 300, 3000);
  const std::vector<std::string> decisions =
      Lines(Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", d.db, Rules237(),
                                    d.declarations))
                .out);
  ASSERT_THAT(decisions, SizeIs(3000));
  // Outcomes for the first 300 declarations, hits on the inspected ones.
  std::string outcomes;
  uint64_t hits = 0;
  for (size_t i = 0; i < 300; ++i) {
    const bool hit = FieldOf(decisions[i], "outcome") != "\"release\"" && i % 2 == 0;
    hits += hit;
    outcomes += fmt::format("{{\"id\":{},\"result\":\"{}\"}}\n", FieldOf(decisions[i], "id"),
                            hit ? "hit" : "clean");
  }
  WriteFile(tmp.Sub("o.jsonl"), outcomes);
  ASSERT_EQ(Bukong(tmp, fmt::format("outcome --db '{}' '{}'", d.db, tmp.Sub("o.jsonl"))).exit_code,
            0);

  simdjson::dom::parser parser;
  RunResult same =
      Bukong(tmp, fmt::format("what-if --db '{}' --rules '{}' --json", d.db, Rules237()));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  simdjson::dom::element j = ParseJson(parser, same.out);
  EXPECT_EQ(Uint(j, "/report/total/before/declarations"), 3000u);
  EXPECT_EQ(Uint(j, "/report/total/newly_inspected"), 0u);
  EXPECT_EQ(Uint(j, "/report/total/newly_released"), 0u);
  EXPECT_EQ(Uint(j, "/report/total/before/inspections"),
            Uint(j, "/report/total/after/inspections"));
  EXPECT_EQ(Uint(j, "/report/total/before/holds"), Uint(j, "/report/total/after/holds"));
  EXPECT_EQ(Uint(j, "/report/total/with_outcome"), 300u);
  EXPECT_EQ(Uint(j, "/report/total/hits"), hits);
  EXPECT_EQ(Uint(j, "/report/total/hits_before"), hits);
  EXPECT_EQ(Uint(j, "/report/total/hits_after"), hits);
  EXPECT_EQ(Uint(j, "/report/undecidable"), 0u);

  // A higher baseline: draws depend only on the key and the id, so it only adds.
  std::string text = ReadAll(Rules237());
  const std::regex baseline("\nbaseline [0-9.]+%");
  ASSERT_TRUE(std::regex_search(text, baseline));
  text = std::regex_replace(text, baseline, "\nbaseline 9%");
  WriteFile(tmp.Sub("higher.rules"), text);
  RunResult higher = Bukong(
      tmp, fmt::format("what-if --db '{}' --rules '{}' --json", d.db, tmp.Sub("higher.rules")));
  ASSERT_EQ(higher.exit_code, 0) << higher.err;
  j = ParseJson(parser, higher.out);
  EXPECT_EQ(Uint(j, "/report/total/newly_released"), 0u);
  EXPECT_GT(Uint(j, "/report/total/newly_inspected"), 50u);
  EXPECT_EQ(Uint(j, "/report/total/after/inspections") + Uint(j, "/report/total/after/holds"),
            Uint(j, "/report/total/before/inspections") + Uint(j, "/report/total/before/holds") +
                Uint(j, "/report/total/newly_inspected"));
  EXPECT_GE(Uint(j, "/report/total/hits_after"), Uint(j, "/report/total/hits_before"));
  simdjson::dom::array grades;
  ASSERT_EQ(j.at_pointer("/report/by_grade").get(grades), simdjson::SUCCESS);
  for (simdjson::dom::element g : grades) EXPECT_EQ(Uint(g, "/change/newly_released"), 0u);

  // The text report shows both tables.
  RunResult text_report =
      Bukong(tmp, fmt::format("what-if --db '{}' --rules '{}'", d.db, tmp.Sub("higher.rules")));
  EXPECT_EQ(text_report.exit_code, 0);
  EXPECT_THAT(text_report.out, AllOf(HasSubstr("HS chapter"), HasSubstr("newly released 0")));

  // A ruleset without some grades of the log: those records are undecidable, named, not fatal.
  RunResult other = Bukong(tmp, fmt::format("what-if --db '{}' --rules '{}' --json", d.db,
                                            SourceDir() + "/rules/order251-2021.rules"));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  j = ParseJson(parser, other.out);
  const uint64_t undecidable = Uint(j, "/report/undecidable");
  EXPECT_GT(undecidable, 0u);
  EXPECT_EQ(undecidable + Uint(j, "/report/total/before/declarations"), 3000u);
  EXPECT_THAT(other.err,
              ContainsRegex(
                  "what-if: record [0-9]+ \\('[^']*'\\): undecidable: [^\n]*(certified|general)"));
}

// The names of the `fixed` rules of a rule file: a `then ... fixed` line belongs to the last
// `rule NAME` above it (enough for the files in rules/, which write one clause a line).
std::set<std::string> FixedRules(const std::string& text) {
  std::set<std::string> fixed;
  std::istringstream in(text);
  std::string line, rule;
  static const std::regex kRule(R"(^rule (\w+))"), kFixed(R"(^\s*then\b[^#]*\bfixed\b)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kRule)) rule = m[1];
    if (!rule.empty() && std::regex_search(line, kFixed)) fixed.insert(rule);
  }
  return fixed;
}

TEST(CliStatsTest, ReportsPerGradeAndCountsTheLatestDecisionOfEachDeclaration) {
  TempDir tmp;
  DataSet d = MakeDataSet(tmp, 300, 2500);
  const std::string decide =
      fmt::format("decide --db '{}' --rules '{}' '{}'", d.db, Rules237(), d.declarations);
  const std::vector<std::string> decisions = Lines(Bukong(tmp, decide).out);
  ASSERT_THAT(decisions, SizeIs(2500));
  // The classification of SPEC §6, from the decision lines and the rule file: an inspection
  // is mandated when its winner is a `fixed` rule, discretionary when it is the baseline or
  // a rule without `fixed`.
  const std::set<std::string> fixed = FixedRules(ReadAll(Rules237()));
  ASSERT_TRUE(fixed.count("negative_list_random")) << "the rule file changed: update FixedRules";
  std::map<std::string, uint64_t> per_grade, flagged_per_grade, mandated, discretionary;
  for (const std::string& line : decisions) {
    std::string grade = FieldOf(line, "grade");
    grade = grade.substr(1, grade.size() - 2);
    ++per_grade[grade];
    flagged_per_grade[grade] += FieldOf(line, "outcome") != "\"release\"";
    if (FieldOf(line, "outcome") == "\"inspect\"") {
      const std::string rule = FieldOf(line, "rule");
      ++(fixed.count(rule.substr(1, rule.size() - 2)) ? mandated : discretionary)[grade];
    }
  }
  uint64_t all_mandated = 0, all_discretionary = 0;
  for (const auto& [grade, n] : mandated) all_mandated += n;
  for (const auto& [grade, n] : discretionary) all_discretionary += n;
  // The data exercise both kinds, so a report that put every inspection on one side fails.
  ASSERT_GT(all_mandated, 0u);
  ASSERT_GT(all_discretionary, 0u);
  // Decided twice: stats counts each declaration once.
  ASSERT_EQ(Bukong(tmp, decide).exit_code, 0);

  RunResult r = Bukong(tmp, fmt::format("stats --db '{}' --json", d.db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element j = ParseJson(parser, r.out);
  EXPECT_EQ(Uint(j, "/audit_records"), 5000u);
  EXPECT_EQ(Uint(j, "/superseded"), 2500u);
  EXPECT_EQ(Uint(j, "/declarations"), 2500u);
  std::string_view ruleset, reference;
  ASSERT_EQ(j.at_pointer("/rulesets/0/ruleset").get(ruleset), simdjson::SUCCESS);
  EXPECT_EQ(ruleset, "gacc-order237-zhejiang@1");
  ASSERT_EQ(j.at_pointer("/rulesets/0/stats/reference_grade").get(reference), simdjson::SUCCESS);
  EXPECT_EQ(reference, "general");
  simdjson::dom::array grades;
  ASSERT_EQ(j.at_pointer("/rulesets/0/stats/grades").get(grades), simdjson::SUCCESS);
  std::vector<std::string> names;
  for (simdjson::dom::element g : grades) {
    std::string_view name;
    ASSERT_EQ(g["grade"].get(name), simdjson::SUCCESS);
    names.emplace_back(name);
    EXPECT_EQ(Uint(g, "/tally/declarations"), per_grade[std::string(name)]) << name;
    EXPECT_EQ(Uint(g, "/tally/inspections") + Uint(g, "/tally/holds"),
              flagged_per_grade[std::string(name)])
        << name;
    EXPECT_EQ(Uint(g, "/tally/mandated"), mandated[std::string(name)]) << name;
    EXPECT_EQ(Uint(g, "/tally/discretionary"), discretionary[std::string(name)]) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"advanced", "certified", "general", "dishonest"}));

  RunResult text = Bukong(tmp, fmt::format("stats --db '{}'", d.db));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out,
              AllOf(HasSubstr("general (ref)"), HasSubstr("2500 declarations counted"),
                    HasSubstr("2500 earlier decisions of re-decided declarations skipped")));

  // An empty database: empty report, exit 0.
  TempDir empty;
  ASSERT_EQ(Bukong(empty, fmt::format("init --db '{}'", empty.Sub("db"))).exit_code, 0);
  r = Bukong(empty, fmt::format("stats --db '{}' --json", empty.Sub("db")));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"declarations\":0,\"rulesets\":[]"));
  r = Bukong(empty, fmt::format("replay --db '{}'", empty.Sub("db")));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("empty"));
}

}  // namespace
}  // namespace bukong::cli::testing
