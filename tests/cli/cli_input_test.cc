// Input hardening through the real `bukong` executable (issue #16 item 8), and the promise
// that the selection key never leaves its file (issue #16 item 6).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kBom[] = "\xEF\xBB\xBF";

std::string Rules237() { return SourceDir() + "/rules/order237-2018.rules"; }

std::string Declaration(std::string_view id) {
  return fmt::format(
      R"({{"id":"{}","enterprise":"E1","date":"2021-05-04","direction":"import",)"
      R"("hs":"0303.89.90","origin":"NO","trade_country":"NO","port":"3100","mode":"sea",)"
      R"("value":125000.0,"weight":20000,"two_step":false}})",
      id);
}

// A database with one profile, E1.
std::string MakeDb(const TempDir& tmp) {
  const std::string db = tmp.Sub("db");
  WriteFile(tmp.Sub("p.csv"), "id,grade,registered,flags,inspections,hits\nE1,general,2010-01-01,,4,1\n");
  EXPECT_TRUE(InitWithProfiles(tmp, db, tmp.Sub("p.csv")));
  return db;
}

TEST(CliInputTest, AByteOrderMarkIsSkippedByDecideOutcomeAndProfilesAlike) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  WriteFile(tmp.Sub("p.csv"),
            std::string(kBom) + "id,grade,registered,flags,inspections,hits\nE1,general,2010-01-01,,4,1\n");
  ASSERT_TRUE(InitWithProfiles(tmp, db, tmp.Sub("p.csv")));
  WriteFile(tmp.Sub("p2.jsonl"),
            std::string(kBom) + R"({"id":"E2","grade":"general","registered":"2010-01-01",)"
                                R"("flags":[],"inspections":0,"hits":0})" "\n");
  RunResult imported =
      Bukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p2.jsonl")));
  EXPECT_EQ(imported.exit_code, 0) << imported.err;

  WriteFile(tmp.Sub("d.jsonl"), std::string(kBom) + Declaration("D1") + "\n" + Declaration("D2") + "\n");
  RunResult decided = Bukong(
      tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", db, Rules237(), tmp.Sub("d.jsonl")));
  EXPECT_EQ(decided.exit_code, 0) << decided.err;
  EXPECT_THAT(Lines(decided.out), SizeIs(2));
  EXPECT_THAT(decided.err, Not(HasSubstr("error")));

  WriteFile(tmp.Sub("o.jsonl"), std::string(kBom) + R"({"id":"D1","result":"hit"})" "\n");
  RunResult outcome = Bukong(tmp, fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o.jsonl")));
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("recorded 1 outcome (1 hit, 0 clean), 0 rejected"));

  // Replay re-parses the declaration as stored: without the mark, and identical.
  RunResult replay = Bukong(tmp, fmt::format("replay --db '{}'", db));
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
}

TEST(CliInputTest, ADeclarationLineOverTheLimitStopsDecideNamingTheLine) {
  TempDir tmp;
  const std::string db = MakeDb(tmp);
  // Line 2 is 2 MiB: a valid object padded with spaces, over the 1 MiB default.
  std::string huge = Declaration("D2");
  huge.insert(huge.size() - 1, std::string(2 << 20, ' '));
  WriteFile(tmp.Sub("d.jsonl"), Declaration("D1") + "\n" + huge + "\n" + Declaration("D3") + "\n");
  RunResult r = Bukong(
      tmp, fmt::format("decide --db '{}' --rules '{}' '{}'", db, Rules237(), tmp.Sub("d.jsonl")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(tmp.Sub("d.jsonl") + ":2: error: a line longer than 1048576 bytes"));
  // What came before the long line was decided, recorded and printed; nothing after it.
  ASSERT_THAT(Lines(r.out), SizeIs(1));
  EXPECT_THAT(r.out, HasSubstr("\"D1\""));
  RunResult replay = Bukong(tmp, fmt::format("replay --db '{}'", db));
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("records 1..1"));
}

TEST(CliInputTest, ReplayRefusesSequenceNumbersBeyondTwoToTheSixtyFour) {
  TempDir tmp;
  const std::string db = MakeDb(tmp);
  for (const char* bad : {"18446744073709551616", "99999999999999999999999"}) {
    for (const char* option : {"--from", "--to"}) {
      RunResult r = Bukong(tmp, fmt::format("replay --db '{}' {} {}", db, option, bad));
      EXPECT_EQ(r.exit_code, 2) << option << " " << bad;
      EXPECT_THAT(r.err, HasSubstr(fmt::format("{}: {} is out of range", option, bad)));
    }
  }
  for (const char* bad : {"0", "-1", "1x", ""}) {
    RunResult r = Bukong(tmp, fmt::format("replay --db '{}' --from '{}'", db, bad));
    EXPECT_EQ(r.exit_code, 2) << bad;
  }
  // The largest one parses, but it is past the end of the log: an error too (exit 2), as
  // `replay --from N` past the end always is (docs/CLI.md).
  RunResult max = Bukong(tmp, fmt::format("replay --db '{}' --from 18446744073709551615", db));
  EXPECT_EQ(max.exit_code, 2) << max.err;
}

TEST(CliInputTest, ProfileCsvWithANulInAnIdOrALeadingZeroIsRefused) {
  TempDir tmp;
  const std::string db = MakeDb(tmp);
  std::string csv = "id,grade,registered,flags,inspections,hits\nE9,general,2010-01-01,,4,1\n";
  csv[csv.find("E9") + 1] = '\0';
  WriteFile(tmp.Sub("nul.csv"), csv);
  RunResult nul = Bukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("nul.csv")));
  EXPECT_NE(nul.exit_code, 0);
  EXPECT_THAT(nul.err, HasSubstr(":2: error: field 'id': control character '\\x00'"));
  WriteFile(tmp.Sub("zero.csv"),
            "id,grade,registered,flags,inspections,hits\nE9,general,2010-01-01,,007,1\n");
  RunResult zero =
      Bukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("zero.csv")));
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_THAT(zero.err, HasSubstr(":2: error: field 'inspections': expected a non-negative "
                                  "integer without leading zeros, found '007'"));
  RunResult get = Bukong(tmp, fmt::format("profiles get --db '{}' E9", db));
  EXPECT_NE(get.exit_code, 0);  // all or nothing: neither file imported anything
}

// ---------------------------------------------------------------------------------------
// The selection key never leaves selection.key.

// A key no test data could hold by chance.
constexpr std::string_view kSecretHex = "9f3c5a7e1b2d4c6e8a0f1e2d3c4b5a69";

std::vector<std::string> KeyForms() {
  std::string upper(kSecretHex);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  std::string raw;
  for (size_t i = 0; i < kSecretHex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(std::string(kSecretHex.substr(i, 2)), nullptr, 16)));
  }
  // Half of the key is already a secret worth keeping: look for each half too.
  return {std::string(kSecretHex), upper, raw, std::string(kSecretHex.substr(0, 16)),
          std::string(kSecretHex.substr(16)), raw.substr(0, 8), raw.substr(8)};
}

void ExpectNoKey(const std::string& what, const std::string& text) {
  for (const std::string& form : KeyForms()) {
    EXPECT_EQ(text.find(form), std::string::npos) << "the key (or half of it) appears in " << what;
  }
}

TEST(CliKeyTest, TheKeyNeverAppearsInAnyOutputMessageOrDatabaseFile) {
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  const std::string key_file = tmp.Sub("secret.key");
  WriteFile(key_file, std::string(kSecretHex) + "\n");
  std::vector<std::pair<std::string, RunResult>> runs;
  auto run = [&](const std::string& args) {
    runs.emplace_back(args, Bukong(tmp, args));
    return runs.back().second;
  };
  ASSERT_EQ(run(fmt::format("init --db '{}' --key-file '{}'", db, key_file)).exit_code, 0);
  WriteFile(tmp.Sub("p.csv"), "id,grade,registered,flags,inspections,hits\n"
                              "E1,general,2010-01-01,,4,1\nE2,advanced,2012-01-01,,0,0\n"
                              "E3,bad-grade,2012-01-01,,0,0\n");
  run(fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv")));
  WriteFile(tmp.Sub("p.csv"), "id,grade,registered,flags,inspections,hits\n"
                              "E1,general,2010-01-01,,4,1\nE2,advanced,2012-01-01,,0,0\n");
  ASSERT_EQ(run(fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv"))).exit_code, 0);
  std::string declarations;
  for (int i = 0; i < 200; ++i) {
    std::string d = Declaration(fmt::format("D{}", i));
    if (i % 2) d.replace(d.find("\"E1\""), 4, "\"E2\"");
    declarations += d + "\n";
  }
  declarations += "not json\n";
  WriteFile(tmp.Sub("d.jsonl"), declarations);
  ASSERT_TRUE(ImportRegimeLists(tmp, db));  // Rules237() declares lists (SPEC §7.1)
  EXPECT_EQ(run(fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}' --rejects '{}'", db,
                            Rules237(), tmp.Sub("d.jsonl"), tmp.Sub("out.jsonl"),
                            tmp.Sub("rejects.jsonl")))
                .exit_code,
            3);
  WriteFile(tmp.Sub("o.jsonl"), "{\"id\":\"D1\",\"result\":\"hit\"}\n{\"id\":\"D2\",\"result\":\"clean\"}\n");
  run(fmt::format("outcome --db '{}' '{}'", db, tmp.Sub("o.jsonl")));
  EXPECT_EQ(run(fmt::format("replay --db '{}'", db)).exit_code, 0);
  run(fmt::format("replay --db '{}' --from 5 --to 9", db));
  run(fmt::format("what-if --db '{}' --rules '{}'", db, Rules237()));
  run(fmt::format("what-if --db '{}' --rules '{}' --json", db,
                  SourceDir() + "/examples/whatif-stricter.rules"));
  run(fmt::format("stats --db '{}'", db));
  run(fmt::format("stats --db '{}' --json", db));
  run(fmt::format("profiles get --db '{}' E1", db));
  // The archive forms of the log (issue #16 item 4): an export holds every record's fields
  // and stored bytes, a checkpoint its head.
  ASSERT_EQ(run(fmt::format("audit export --db '{}' -o '{}'", db, tmp.Sub("export.jsonl"))).exit_code, 0);
  run(fmt::format("audit export --db '{}' --from 3 --to 7", db));
  ASSERT_EQ(run(fmt::format("audit keygen -o '{}'", tmp.Sub("ckpt.key"))).exit_code, 0);
  ASSERT_EQ(run(fmt::format("audit checkpoint --db '{}' --signing-key '{}' -o '{}'", db,
                            tmp.Sub("ckpt.key"), tmp.Sub("c1")))
                .exit_code,
            0);
  EXPECT_EQ(run(fmt::format("audit verify '{}' --checkpoint '{}' --public-key '{}.pub'",
                            tmp.Sub("export.jsonl"), tmp.Sub("c1"), tmp.Sub("ckpt.key")))
                .exit_code,
            0);
  // Failures, which might be tempted to show what they compared.
  run(fmt::format("init --db '{}' --key-file '{}'", db, key_file));          // not empty
  run(fmt::format("init --db '{}' --key-file '{}'", tmp.Sub("db2"), tmp.Sub("d.jsonl")));
  for (const auto& [args, r] : runs) {
    ExpectNoKey("the stdout of `" + args + "`", r.out);
    ExpectNoKey("the stderr of `" + args + "`", r.err);
  }
  ExpectNoKey("decide -o", ReadAll(tmp.Sub("out.jsonl")));
  ExpectNoKey("decide --rejects", ReadAll(tmp.Sub("rejects.jsonl")));
  // (Its base64 "body" is the stored record, which the loop over the database's files below
  // checks as raw bytes; `audit verify` proves the readable fields are all that body holds.)
  ExpectNoKey("audit export -o", ReadAll(tmp.Sub("export.jsonl")));
  EXPECT_THAT(Lines(ReadAll(tmp.Sub("export.jsonl"))), SizeIs(200));
  ExpectNoKey("the checkpoint", ReadAll(tmp.Sub("c1")));
  EXPECT_THAT(Lines(ReadAll(tmp.Sub("out.jsonl"))), SizeIs(200));

  // Every file of the database on disk (RocksDB's WAL, tables, MANIFEST, LOG, OPTIONS), but
  // the key file itself — which must hold it, or this test would prove nothing.
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(db)) {
    if (!entry.is_regular_file()) continue;
    const std::string contents = ReadAll(entry.path().string());
    if (entry.path().filename() == "selection.key") {
      EXPECT_THAT(contents, HasSubstr(std::string(kSecretHex)));
      continue;
    }
    ++files;
    ExpectNoKey(entry.path().string(), contents);
  }
  EXPECT_GT(files, 3u);

  // A damaged key file: the error names the file, not what it holds.
  std::string wrong(kSecretHex);
  wrong[0] = wrong[0] == 'f' ? 'e' : 'f';
  WriteFile(db + "/selection.key", wrong + "\n");
  RunResult damaged = Bukong(tmp, fmt::format("replay --db '{}'", db));
  EXPECT_EQ(damaged.exit_code, 1);
  ExpectNoKey("replay with a wrong key file", damaged.out + damaged.err);
  EXPECT_EQ(damaged.err.find(wrong.substr(2)), std::string::npos) << damaged.err;
}

}  // namespace
}  // namespace bukong::cli::testing
