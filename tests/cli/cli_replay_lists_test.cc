// Replay and what-if of decisions made with lists (SPEC §7.1, issue #12 item 3), end to end:
// each record is re-decided with the list versions its line records, not the current ones;
// a recorded version the database does not hold makes the record undecidable (named with its
// sequence number, list and version, counted, exit 1) without stopping the run; what-if takes
// the stored decision as it is and binds the current versions for the new ruleset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/sha256.h"
#include "storage/internal/encoding.h"
#include "storage/store.h"
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

// The full digest of list `name`'s current version, as `bukong lists show NAME` prints it.
std::string ShownVersion(const TempDir& tmp, const std::string& db, const std::string& name) {
  const RunResult r = Bukong(tmp, fmt::format("lists show --db '{}' {}", db, name));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& line : Lines(r.out)) {
    if (line.starts_with("version      ")) return line.substr(13);
  }
  ADD_FAILURE() << "no version line in\n" << r.out;
  return "";
}

// Makes the closed database in `dir` what bukong of schema version 3 left: every audit record
// without its list digests (format 2; the decision line keeps the 16-digit prefixes), the chain,
// the chain head and the audit anchor recomputed, `schema_version` "3".
void MakeSchemaVersionThree(const std::string& dir) {
  namespace si = storage::internal;
  std::vector<storage::AuditEntry> log;
  {
    storage::StoreOptions read_only;
    read_only.read_only = true;
    auto store = storage::Store::Open(dir, read_only);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->ScanAudit(1, UINT64_MAX,
                                [&](const storage::AuditEntry& e) {
                                  log.push_back(e);
                                  return absl::OkStatus();
                                })
                    .ok());
  }
  RawDb raw(dir);
  Sha256Digest hash{};
  for (storage::AuditEntry& e : log) {
    e.record.lists.clear();
    const std::string body = si::EncodeAuditBody(e.record);
    hash = si::ChainHash(hash, e.seq, body);
    raw.Put("audit", si::EncodeAuditKey(e.seq), body + std::string(si::AsView(hash)));
  }
  raw.Put("meta", std::string(si::kMetaChainHead), si::EncodeChainHead(log.size(), hash));
  raw.Put("meta", "schema_version", "3");
  WriteFile(dir + "/audit.anchor",
            fmt::format("bukong-audit-anchor 1 {} {}\n", log.size(), ToHex(si::AsView(hash))));
}

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
  // Named by the full digest the record keeps (schema version 4).
  for (const char* record : {"record 1 ('D1')", "record 2 ('D2')"}) {
    EXPECT_THAT(r.out, HasSubstr(fmt::format(
                           "{}: undecidable: version {} of list 'watched' is not in the database",
                           record, Sha256Hex("E1\n"))));
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
  EXPECT_THAT(r.out, ContainsRegex("record 4 \\('D3'\\): undecidable: version " +
                                   Sha256Hex("E2\n") + " of list 'watched' is not in the database"));
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 1 re-decided, 1 identical, 0 differ, 4 undecidable; "
                               "chain intact"));
  EXPECT_EQ(RawDb(db_).Get("meta", "schema_version"), "2");  // replay changed nothing
}

// SPEC §7.1 "the audit record keeps the full digests": decided with a regime file and its
// lists, every exported record shows the full digest of each list's version, in the rule
// file's declaration order, equal to the version `lists show` names; `audit verify` checks
// that field against the stored bytes like the others.
TEST(CliAuditListsTest, ExportShowsTheFullDigestsOfTheVersionsListsShowNames) {
  TempDir tmp;
  const std::string db = tmp.Sub("db"), profiles = tmp.Sub("p.csv"), decls = tmp.Sub("d.jsonl");
  ASSERT_EQ(Bukong(tmp, fmt::format("gen profiles --seed 5 --count 20 --grades "
                                    "advanced:5,certified:10,general:80,dishonest:5 -o '{}'",
                                    profiles))
                .exit_code,
            0);
  ASSERT_EQ(Bukong(tmp, fmt::format("gen declarations --seed 5 --count 40 --profiles 20 -o '{}'",
                                    decls))
                .exit_code,
            0);
  ASSERT_TRUE(InitWithProfiles(tmp, db, profiles));
  RunResult r = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}/rules/order237-2018.rules' "
                                        "'{}'",
                                        db, SourceDir(), decls));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string sanctioned = ShownVersion(tmp, db, "sanctioned");
  const std::string watched = ShownVersion(tmp, db, "watched_enterprises");
  ASSERT_EQ(sanctioned.size(), 64u);
  ASSERT_EQ(watched.size(), 64u);
  // Each decision line prints the first 16 digits of the same versions.
  EXPECT_THAT(r.out, HasSubstr(fmt::format(R"("lists":{{"sanctioned":"{}","watched_enterprises":"{}"}})",
                                           sanctioned.substr(0, 16), watched.substr(0, 16))));
  const std::string x = tmp.Sub("x.jsonl");
  r = Bukong(tmp, fmt::format("audit export --db '{}' -o '{}'", db, x));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadAll(x));
  ASSERT_EQ(lines.size(), 40u);
  const std::string field = fmt::format(
      R"(,"lists":{{"sanctioned":"{}","watched_enterprises":"{}"}},"body":)", sanctioned, watched);
  for (const std::string& line : lines) EXPECT_THAT(line, HasSubstr(field));
  r = Bukong(tmp, fmt::format("audit verify '{}'", x));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // One digit of a readable digest changed: named with file, line and field.
  std::string changed = lines[6];
  const size_t at = changed.find(field) + field.find(watched) + 10;
  changed[at] = changed[at] == '0' ? '1' : '0';
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) text += (i == 6 ? changed : lines[i]) + "\n";
  WriteFile(x, text);
  r = Bukong(tmp, fmt::format("audit verify '{}'", x));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr(fmt::format(
                                 "{}:7: record 7: field \"lists\" differs from the record's "
                                 "stored bytes",
                                 x)));
}

// The record's full digests are looked up exactly, so two stored versions whose digests share
// their first 16 digits are no ambiguity; a record of an older database (prefixes only) is
// resolved by prefix, and such a pair makes it undecidable, named.
TEST_F(CliReplayListsTest, ReplayUsesTheFullDigestsSoASharedPrefixIsNoAmbiguity) {
  DecideTwoGenerations();
  // A third history entry of `watched`, behind the store's back: a digest equal to the first
  // version's except in its last byte.
  {
    std::string raw_digest = *storage::internal::FromHex(Sha256Hex("E1\n"));
    raw_digest.back() ^= 1;
    std::string key = "Hwatched";
    key.push_back('\0');
    key += std::string("\0\0\0\0\0\0\0\3", 8);
    RawDb(db_).Put("lists", key, "\x01" + raw_digest + std::string("\x01\x00", 2));
  }
  RunResult r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 5 re-decided, 5 identical, 0 differ; chain intact"));

  ASSERT_NO_FATAL_FAILURE(MakeSchemaVersionThree(db_));
  r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(fmt::format("record 1 ('D1'): undecidable: version {} of list "
                                           "'watched' names more than one stored version",
                                           v1_prefix_)));
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 3 re-decided, 3 identical, 0 differ, 2 undecidable; "
                               "chain intact"));
}

// A database of schema version 3 (records without digests) replays by the decision lines'
// prefixes, read-only, unchanged; a writable command records version 4, the records decided
// after it keep their digests, and old and new records replay together.
TEST_F(CliReplayListsTest, ASchemaVersionThreeDatabaseReplaysByPrefixAndUpgrades) {
  DecideTwoGenerations();
  ASSERT_NO_FATAL_FAILURE(MakeSchemaVersionThree(db_));
  RunResult r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("records 1..5: 5 re-decided, 5 identical, 0 differ; chain intact"));
  r = Run("audit export --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("\"lists\":{\"watched\"")));  // nothing to show
  EXPECT_EQ(RawDb(db_).Get("meta", "schema_version"), "3");  // readers changed nothing

  // A new version imported (a writable open: version 4), then decided and replayed.
  ASSERT_EQ(Run("lists import --db '{db}' watched '" + File("w3.txt", "E3\n") + "'").exit_code, 0);
  EXPECT_EQ(RawDb(db_).Get("meta", "schema_version"), std::to_string(storage::kSchemaVersion));
  r = Decide(rules_, "g3.jsonl", Declaration("D6", "E3"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"matched\":[\"w\"]"));
  r = Run("audit export --db '{db}' --from 6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(fmt::format(R"(,"lists":{{"watched":"{}","sanctioned":"{}"}},)",
                                           Sha256Hex("E3\n"), Sha256Hex("KP\n"))))
      << r.out;
  r = Run("replay --db '{db}'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("records 1..6: 6 re-decided, 6 identical, 0 differ; chain intact"));
}

}  // namespace
}  // namespace bukong::cli::testing
