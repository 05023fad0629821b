// Store: init/open, the selection key, profiles, rulesets, the audit chain, outcomes.
#include "storage/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/sha256.h"
#include "storage/internal/encoding.h"
#include "tests/storage/test_support.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/status_matchers.h"

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::FormatOneAuditBody;
using ::bukong::storage::testing::SampleProfile;
using ::bukong::storage::testing::SampleRecord;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::bukong::testing::MakeSchemaVersion;
using ::bukong::testing::RawDb;
using ::bukong::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

SelectionKey KeyFromHex(std::string_view hex) {
  auto key = SelectionKey::FromHex(hex);
  EXPECT_THAT(key, IsOk());
  return *key;
}

std::unique_ptr<Store> InitAndOpen(const std::string& dir, const StoreOptions& options = {}) {
  EXPECT_THAT(InitStore(dir, {}), IsOk());
  auto store = Store::Open(dir, options);
  EXPECT_THAT(store, IsOk());
  return std::move(store).value();
}

// Every file under `dir` with its content, to prove that a refused call changed nothing.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files[e.path().string()] = ss.str();
  }
  return files;
}

// ---- Selection key ---------------------------------------------------------------------------

TEST(SelectionKeyTest, ParsesHexInEitherCaseWithSurroundingWhiteSpace) {
  const SelectionKey expected(std::array<uint8_t, SelectionKey::kSize>{
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
      0xff});
  EXPECT_EQ(KeyFromHex("00112233445566778899aabbccddeeff"), expected);
  EXPECT_EQ(KeyFromHex("00112233445566778899AABBCCDDEEFF"), expected);
  EXPECT_EQ(KeyFromHex("00112233445566778899aAbBcCdDeEfF"), expected);
  EXPECT_EQ(KeyFromHex("  \t\n00112233445566778899aabbccddeeff\r\n\n "), expected);
}

TEST(SelectionKeyTest, RejectsBadLengthAndCharacters) {
  EXPECT_THAT(SelectionKey::FromHex(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SelectionKey::FromHex("00112233445566778899aabbccddeef"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 31 digits
  EXPECT_THAT(SelectionKey::FromHex("00112233445566778899aabbccddeeff0"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 33 digits
  EXPECT_THAT(SelectionKey::FromHex("00112233445566778899aabbccddeefg"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SelectionKey::FromHex("0011223344556677 8899aabbccddeeff"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // inner space
  EXPECT_THAT(SelectionKey::FromHex("0x112233445566778899aabbccddeeff"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad = SelectionKey::FromHex("00112233445566778899aabbccddeefg");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("character 32"));
}

TEST(SelectionKeyTest, KeyIdIsFirstEightBytesOfSha256InHex) {
  // Reference values from Python: hashlib.sha256(bytes(range(16))).hexdigest()[:16].
  std::array<uint8_t, SelectionKey::kSize> counting{};
  for (int i = 0; i < 16; ++i) counting[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(SelectionKey(counting).Id(), "be45cb2605bf36be");
  EXPECT_EQ(KeyFromHex("00112233445566778899aabbccddeeff").Id(), "a8faed6abbf35c12");
}

// ---- Init and open -----------------------------------------------------------------------------

TEST(InitTest, CreatesDatabaseWithRandomKeyInMode0600File) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  auto key_id = InitStore(dir, {});
  ASSERT_THAT(key_id, IsOk());
  EXPECT_EQ(key_id->size(), 16u);

  struct stat st;
  const std::string key_path = dir + "/" + kSelectionKeyFileName;
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->key_id(), *key_id);
  EXPECT_EQ((*store)->key().Id(), *key_id);
  // The key file holds the key itself, in the format --key-file accepts.
  std::ifstream in(key_path);
  std::string text;
  in >> text;
  EXPECT_EQ(KeyFromHex(text), (*store)->key());

  // Two random keys differ.
  auto other = InitStore(tmp.Sub("db2"), {});
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(*other, *key_id);
}

TEST(InitTest, UsesTheGivenKey) {
  TempDir tmp;
  const SelectionKey key = KeyFromHex("00112233445566778899AABBCCDDEEFF");
  auto key_id = InitStore(tmp.Sub("db"), {.key = key});
  ASSERT_THAT(key_id, IsOk());
  EXPECT_EQ(*key_id, "a8faed6abbf35c12");
  auto store = Store::Open(tmp.Sub("db"));
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->key(), key);
}

TEST(InitTest, RefusesAnExistingDatabaseAndChangesNothing) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->PutProfile(SampleProfile("E1")), IsOk());
  }
  const auto before = Snapshot(dir);
  EXPECT_THAT(InitStore(dir, {}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(InitStore(dir, {.key = KeyFromHex("00112233445566778899aabbccddeeff")}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Snapshot(dir), before);
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->GetProfile("E1"), IsOk());
  EXPECT_TRUE((*store)->GetProfile("E1")->has_value());
}

TEST(InitTest, RefusesANonEmptyFolder) {
  TempDir tmp;
  std::ofstream(tmp.Sub("notes.txt")) << "mine";
  EXPECT_THAT(InitStore(tmp.path(), {}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub(kSelectionKeyFileName)));
}

TEST(OpenTest, MissingDatabaseIsNotFound) {
  TempDir tmp;
  auto store = Store::Open(tmp.Sub("nothing"));
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("bukong init"));
}

TEST(OpenTest, UnknownSchemaVersionIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  {
    RawDb raw(dir);
    EXPECT_EQ(raw.Get("meta", "schema_version"), std::to_string(kSchemaVersion));
    raw.Put("meta", "schema_version", "99");
  }
  auto store = Store::Open(dir);
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("schema version 99"));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("reads versions 1 to " + std::to_string(kSchemaVersion)));
  {
    RawDb raw(dir);
    raw.Put("meta", "schema_version", "0");
  }
  EXPECT_THAT(Store::Open(dir), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(OpenTest, KeyFileThatDoesNotMatchTheRecordedKeyIdIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  const std::string key_path = dir + "/" + kSelectionKeyFileName;
  std::filesystem::remove(key_path);
  std::ofstream(key_path) << "00112233445566778899aabbccddeeff\n";
  std::filesystem::permissions(key_path, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
  EXPECT_THAT(Store::Open(dir), StatusIs(absl::StatusCode::kDataLoss));
  std::filesystem::remove(key_path);
  EXPECT_THAT(Store::Open(dir), StatusIs(absl::StatusCode::kDataLoss));
}

// Issue #16 item 9: the folder holds every declaration and the key decides the sample, so
// both must be private; init makes them so and open refuses them when they are not.
TEST(OpenTest, InitMakesTheFolderPrivateAndOpenRefusesLooserModes) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  std::filesystem::create_directory(dir);
  ::chmod(dir.c_str(), 0755);  // an existing empty folder, readable by everyone
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string key_path = dir + "/" + kSelectionKeyFileName;
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(Store::Open(dir), IsOk());

  ::chmod(key_path.c_str(), 0644);
  auto opened = Store::Open(dir, {.read_only = true});
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr("has mode 0644: other users can read the selection key"));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("chmod 600 " + key_path));
  ::chmod(key_path.c_str(), 0600);

  ::chmod(dir.c_str(), 0750);
  opened = Store::Open(dir);
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("chmod 700 " + dir));
  ::chmod(dir.c_str(), 0700);
  EXPECT_THAT(Store::Open(dir), IsOk());
}

// Issue #16: deleting CURRENT used to say "no bukong database ... create one with init",
// and init then refused. Now the message says what is missing and warns off init.
TEST(OpenTest, ALostCurrentFileIsNamedAccurately) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  std::filesystem::remove(dir + "/CURRENT");
  auto opened = Store::Open(dir);
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("but no CURRENT"));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("Do not run init here"));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("MANIFEST-"));
  // An empty folder is still "no database".
  const std::string empty = tmp.Sub("empty");
  std::filesystem::create_directory(empty);
  EXPECT_THAT(Store::Open(empty), StatusIs(absl::StatusCode::kNotFound));
}

TEST(OpenTest, SecondWriterIsRefusedButReadersMayOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  auto writer = InitAndOpen(dir);
  auto second = Store::Open(dir);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another process"));
  EXPECT_THAT(Store::Open(dir, {.read_only = true}), IsOk());
}

TEST(OpenTest, ReadOnlyStoreRefusesWrites) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  { InitAndOpen(dir)->PutProfile(SampleProfile("E1")).IgnoreError(); }
  auto store = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(store, IsOk());
  EXPECT_TRUE((*store)->GetProfile("E1")->has_value());
  EXPECT_THAT((*store)->PutProfile(SampleProfile("E2")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*store)->AppendAudit(std::vector<AuditRecord>{SampleRecord(1)}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// RocksDB 7.8 opened read-only with a row cache answered the second Get of a key with
// NotFound; a read-only store therefore runs without one, whatever the options say.
TEST(OpenTest, ReadOnlyStoreFindsTheSameKeyTwice) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->PutProfile(SampleProfile("E1")), IsOk());
    ASSERT_THAT(store->PutRuleset("ruleset \"t\" version 1\n", "t", 1), IsOk());
  }
  StoreOptions options;
  options.read_only = true;
  options.row_cache_bytes = size_t{8} << 20;
  auto store = Store::Open(dir, options);
  ASSERT_THAT(store, IsOk());
  for (int i = 0; i < 3; ++i) {
    auto profile = (*store)->GetProfile("E1");
    ASSERT_THAT(profile, IsOk());
    EXPECT_TRUE(profile->has_value()) << "lookup " << i;
  }
  const std::string sha = Sha256Hex("ruleset \"t\" version 1\n");
  for (int i = 0; i < 3; ++i) {
    auto ruleset = (*store)->GetRuleset(sha);
    ASSERT_THAT(ruleset, IsOk());
    EXPECT_TRUE(ruleset->has_value()) << "lookup " << i;
  }
}

// ---- Profiles -----------------------------------------------------------------------------------

TEST(ProfileTest, RoundTripsEdgeValues) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  std::vector<Profile> profiles;
  Profile chinese;
  chinese.id = "91330200MA2AAAAA1X浙江";
  chinese.grade = "advanced";
  chinese.registered = DaysFromCivil(1, 1, 1);  // 0001-01-01, far before 1970
  chinese.flags = {"smuggling_watch", "冷链", "🚢 ship", std::string("nul\0inside", 10)};
  chinese.inspections = UINT64_MAX;
  chinese.hits = UINT64_MAX;
  profiles.push_back(chinese);
  Profile extremes;
  extremes.id = std::string("\x01\xff id with bytes", 16);
  extremes.grade = "";
  extremes.registered = INT32_MIN;
  profiles.push_back(extremes);
  Profile late = extremes;
  late.id = "late";
  late.registered = INT32_MAX;
  late.flags = {std::string(100000, 'x')};
  late.inspections = 1ull << 63;
  late.hits = 0;
  profiles.push_back(late);
  for (const auto& p : profiles) ASSERT_THAT(store->PutProfile(p), IsOk());
  for (const auto& p : profiles) {
    auto got = store->GetProfile(p.id);
    ASSERT_THAT(got, IsOk());
    ASSERT_TRUE(got->has_value()) << p.id;
    EXPECT_EQ(**got, p);
  }
  auto absent = store->GetProfile("no such enterprise");
  ASSERT_THAT(absent, IsOk());
  EXPECT_FALSE(absent->has_value());

  // GetProfiles (one MultiGet) answers like GetProfile per id, in the order asked, absent
  // and repeated ids included; the output is resized, not appended to.
  const std::vector<std::string_view> ids = {late.id, "no such enterprise", chinese.id,
                                             extremes.id, late.id};
  std::vector<std::optional<Profile>> many(7, chinese);
  ASSERT_THAT(store->GetProfiles(ids, &many), IsOk());
  ASSERT_EQ(many.size(), ids.size());
  EXPECT_EQ(many[0], late);
  EXPECT_FALSE(many[1].has_value());
  EXPECT_EQ(many[2], chinese);
  EXPECT_EQ(many[3], extremes);
  EXPECT_EQ(many[4], late);
  ASSERT_THAT(store->GetProfiles({}, &many), IsOk());
  EXPECT_TRUE(many.empty());
}

TEST(ProfileTest, PutRejectsInvalidProfiles) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  Profile p = SampleProfile("E1");
  p.inspections = 3;
  p.hits = 4;
  EXPECT_THAT(store->PutProfile(p), StatusIs(absl::StatusCode::kInvalidArgument));
  p.hits = 3;
  p.id = "";
  EXPECT_THAT(store->PutProfile(p), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProfileEncodingTest, EveryTruncationAndTrailingGarbageIsDataLoss) {
  Profile p = SampleProfile("E1", 7);
  p.flags = {"a", "bb"};
  p.inspections = 300;  // multi-byte varint
  const std::string value = internal::EncodeProfileValue(p);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_THAT(internal::DecodeProfileValue("E1", value.substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
  EXPECT_THAT(internal::DecodeProfileValue("E1", value + "x"),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string other_format = value;
  other_format[0] = 2;
  EXPECT_THAT(internal::DecodeProfileValue("E1", other_format),
              StatusIs(absl::StatusCode::kDataLoss));
  auto decoded = internal::DecodeProfileValue("E1", value);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, p);
}

// ---- Rulesets -----------------------------------------------------------------------------------

TEST(RulesetTest, StoredOnceBySha256) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  const std::string text = "ruleset \"zhejiang-aeo\" version 3\n# 规则\n";
  auto sha = store->PutRuleset(text, "zhejiang-aeo", 3);
  ASSERT_THAT(sha, IsOk());
  EXPECT_EQ(*sha, Sha256Hex(text));
  // The same text again (even under another name) keeps the first copy.
  auto again = store->PutRuleset(text, "renamed", 4);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *sha);
  auto got = store->GetRuleset(*sha);
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->text, text);
  EXPECT_EQ((*got)->name, "zhejiang-aeo");
  EXPECT_EQ((*got)->version, 3);
  EXPECT_EQ((*got)->sha256, *sha);

  auto other = store->PutRuleset(text + " ", "zhejiang-aeo", -5);
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(*other, *sha);
  EXPECT_EQ((*store->GetRuleset(*other))->version, -5);

  auto absent = store->GetRuleset(std::string(64, '0'));
  ASSERT_THAT(absent, IsOk());
  EXPECT_FALSE(absent->has_value());
  EXPECT_THAT(store->GetRuleset("xyz"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Audit log ----------------------------------------------------------------------------------

std::vector<AuditRecord> Records(uint64_t first, uint64_t last) {
  std::vector<AuditRecord> out;
  for (uint64_t n = first; n <= last; ++n) out.push_back(SampleRecord(n));
  return out;
}

// The sequence numbers of every record in the log, checking that each is SampleRecord(seq).
std::vector<uint64_t> ScanSampleRecords(const Store& store) {
  std::vector<uint64_t> seen;
  EXPECT_THAT(store.ScanAudit(1, UINT64_MAX,
                              [&](const AuditEntry& e) {
                                EXPECT_EQ(e.record, SampleRecord(e.seq));
                                seen.push_back(e.seq);
                                return absl::OkStatus();
                              }),
              IsOk());
  return seen;
}

TEST(AuditTest, AppendsRoundTripAndChainAcrossReopen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    EXPECT_EQ(store->Head().seq, 0u);
    EXPECT_EQ(store->Head().hash, std::string(64, '0'));
    auto r1 = store->AppendAudit(Records(1, 3));
    ASSERT_THAT(r1, IsOk());
    EXPECT_EQ(r1->first, 1u);
    EXPECT_EQ(r1->last, 3u);
    auto empty = store->AppendAudit(std::vector<AuditRecord>{});
    ASSERT_THAT(empty, IsOk());
    EXPECT_EQ(empty->first, 4u);
    EXPECT_EQ(empty->last, 3u);
  }
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->Head().seq, 3u);
  auto r2 = (*store)->AppendAudit(Records(4, 10));
  ASSERT_THAT(r2, IsOk());
  EXPECT_EQ(r2->first, 4u);
  EXPECT_EQ(r2->last, 10u);

  EXPECT_EQ(ScanSampleRecords(**store), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  std::vector<uint64_t> seen;
  ASSERT_THAT((*store)->ScanAudit(4, 6,
                                  [&](const AuditEntry& e) {
                                    seen.push_back(e.seq);
                                    return absl::OkStatus();
                                  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(4, 5, 6));
  // A visitor's error stops the scan and is returned.
  int visits = 0;
  EXPECT_THAT((*store)->ScanAudit(1, 10,
                                  [&](const AuditEntry&) {
                                    return ++visits == 2 ? absl::CancelledError("stop")
                                                         : absl::OkStatus();
                                  }),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(visits, 2);

  // The documented chain: hash_s = SHA-256(hash_{s-1} || BE64(s) || body), hash_0 = zeros.
  Sha256Digest prev{};
  for (uint64_t s = 1; s <= 10; ++s) {
    Sha256Hasher h;
    h.Update(internal::AsView(prev));
    std::string be(8, '\0');
    for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(s >> (56 - 8 * i));
    h.Update(be);
    h.Update(internal::EncodeAuditBody(SampleRecord(s)));
    prev = h.Finish();
    auto entry = (*store)->GetAudit(s);
    ASSERT_THAT(entry, IsOk());
    ASSERT_TRUE(entry->has_value());
    EXPECT_EQ((*entry)->chain_hash, ToHex(prev)) << s;
  }
  EXPECT_EQ((*store)->Head().hash, ToHex(prev));
  EXPECT_FALSE((*store)->GetAudit(11)->has_value());

  auto problems = (*store)->VerifyChain();
  ASSERT_THAT(problems, IsOk());
  EXPECT_THAT(*problems, IsEmpty());
  EXPECT_THAT(*(*store)->VerifyChain(3, 7), IsEmpty());
}

TEST(AuditTest, DeclarationIndexPointsAtTheLatestDecision) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  ASSERT_THAT(store->AppendAudit(Records(1, 5)), IsOk());
  AuditRecord again = SampleRecord(2);
  ASSERT_THAT(store->AppendAudit(std::vector<AuditRecord>{again}), IsOk());
  auto ref = store->FindDecision(again.declaration_id);
  ASSERT_THAT(ref, IsOk());
  ASSERT_TRUE(ref->has_value());
  EXPECT_EQ((*ref)->audit_seq, 6u);
  EXPECT_EQ((*ref)->enterprise, again.enterprise);
  EXPECT_FALSE(store->FindDecision("never")->has_value());
  EXPECT_THAT(store->AppendAudit(std::vector<AuditRecord>{AuditRecord{}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- The by_id index (schema version 4): every audited decision of an id ------------------

AuditRecord RecordWithId(uint64_t n, std::string_view id) {
  AuditRecord r = SampleRecord(n);
  r.declaration_id = std::string(id);
  return r;
}

TEST(ByIdIndexTest, EveryDecisionOfAnIdInOrderAcrossAppendsAndReopen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    EXPECT_TRUE(store->IndexesEveryDecision());
    // seq 1..5; D00000002 again at 6 and, within one batch, twice more at 8 and 10.
    ASSERT_THAT(store->AppendAudit(Records(1, 5)), IsOk());
    ASSERT_THAT(store->AppendAudit(std::vector<AuditRecord>{
                    SampleRecord(2), SampleRecord(7), SampleRecord(2), SampleRecord(9),
                    SampleRecord(2)}),
                IsOk());
    EXPECT_THAT(*store->AuditSequencesOf(SampleRecord(2).declaration_id),
                ElementsAre(2, 6, 8, 10));
  }
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->AppendAudit(std::vector<AuditRecord>{SampleRecord(2)}), IsOk());
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(2).declaration_id),
              ElementsAre(2, 6, 8, 10, 11));
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(7).declaration_id), ElementsAre(7));
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(1).declaration_id), ElementsAre(1));
  EXPECT_THAT(*(*store)->AuditSequencesOf("never"), IsEmpty());
  EXPECT_THAT(*(*store)->AuditSequencesOf(""), IsEmpty());
  // The latest-decision index still answers with the last of them.
  EXPECT_EQ((*(*store)->FindDecision(SampleRecord(2).declaration_id))->audit_seq, 11u);
  // Each indexed sequence number is a record of that id.
  const std::vector<uint64_t> seqs = *(*store)->AuditSequencesOf(SampleRecord(2).declaration_id);
  for (uint64_t seq : seqs) {
    EXPECT_EQ((*(*store)->GetAudit(seq))->record.declaration_id, SampleRecord(2).declaration_id);
  }
  // A read-only open sees the same.
  StoreOptions read_only;
  read_only.read_only = true;
  store->reset();
  auto reader = Store::Open(dir, read_only);
  ASSERT_THAT(reader, IsOk());
  EXPECT_TRUE((*reader)->IndexesEveryDecision());
  EXPECT_THAT(*(*reader)->AuditSequencesOf(SampleRecord(2).declaration_id),
              ElementsAre(2, 6, 8, 10, 11));
}

// Ids may hold any byte: no id's entries are another's, whatever their prefix relations.
// Among the ids: "A", its extensions "A\0", "A\0B" and "AB", a 127- and a 128-byte id (one-
// and two-byte length prefixes) and a one-byte id that is the 128-byte id's length prefix.
TEST(ByIdIndexTest, IdsWithZeroBytesAndPrefixRelationsNeverMix) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  const std::string long127(127, 'A'), long128(128, 'A');
  const std::vector<std::string> ids = {"A",       std::string("A\0", 2), std::string("A\0B", 3),
                                        "AB",      std::string("\0", 1),  std::string("\x80", 1),
                                        std::string("\x80\x01", 2), long127, long128, "B"};
  // Each id decided twice, interleaved over two batches: id i at seqs i+1 and N+i+1 (second
  // batch reversed, so the index cannot rely on arrival order).
  std::vector<AuditRecord> first, second;
  for (size_t i = 0; i < ids.size(); ++i) first.push_back(RecordWithId(i + 1, ids[i]));
  ASSERT_THAT(store->AppendAudit(first), IsOk());
  for (size_t i = ids.size(); i-- > 0;) second.push_back(RecordWithId(i + 1, ids[i]));
  ASSERT_THAT(store->AppendAudit(second), IsOk());
  const uint64_t n = ids.size();
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_THAT(*store->AuditSequencesOf(ids[i]), ElementsAre(i + 1, 2 * n - i));
  }
  for (const std::string& never : {std::string("A\0B\0", 4), std::string("A\0\0", 3),
                                   std::string(126, 'A'), std::string(129, 'A'),
                                   std::string("\x01", 1)}) {
    EXPECT_THAT(*store->AuditSequencesOf(never), IsEmpty());
  }
}

TEST(ByIdIndexTest, KeyEncodingRoundTripsAndRejectsEveryMalformedEntry) {
  for (const std::string& id : {std::string("A"), std::string("A\0B", 3), std::string(300, 'x')}) {
    const std::string key = internal::EncodeByIdKey(id, 0x0102030405060708u);
    EXPECT_TRUE(key.starts_with(internal::EncodeByIdPrefix(id)));
    auto entry = internal::DecodeByIdEntry(key, "");
    ASSERT_THAT(entry, IsOk());
    EXPECT_EQ(entry->declaration_id, id);
    EXPECT_EQ(entry->seq, 0x0102030405060708u);
    for (size_t cut = 0; cut < key.size(); ++cut) {
      EXPECT_THAT(internal::DecodeByIdEntry(key.substr(0, cut), ""),
                  StatusIs(absl::StatusCode::kDataLoss))
          << cut;
    }
    EXPECT_THAT(internal::DecodeByIdEntry(key + "x", ""), StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(internal::DecodeByIdEntry(key, "v"), StatusIs(absl::StatusCode::kDataLoss));
  }
  // "A" with its length spelled in two bytes (0x81 0x00): another key for the same entry.
  EXPECT_THAT(internal::DecodeByIdEntry(std::string("\x81\x00A", 3) + std::string(8, '\0'), ""),
              StatusIs(absl::StatusCode::kDataLoss));
}

// The upgrade to schema version 4: a read-only open of a version-3 database changes nothing
// and answers by scanning the log; a writable open backfills the index from the log (in
// synced batches) before recording version 4, and the records appended after it are indexed
// with the old ones.
TEST(ByIdIndexTest, SchemaVersionThreeIsScannedReadOnlyAndBackfilledOnWritableOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->AppendAudit(Records(1, 5)), IsOk());
    ASSERT_THAT(store->AppendAudit(std::vector<AuditRecord>{SampleRecord(3), SampleRecord(1)}),
                IsOk());
  }
  ASSERT_NO_FATAL_FAILURE(MakeSchemaVersion(dir, 3));
  {
    StoreOptions read_only;
    read_only.read_only = true;
    auto reader = Store::Open(dir, read_only);
    ASSERT_THAT(reader, IsOk());
    EXPECT_FALSE((*reader)->IndexesEveryDecision());
    EXPECT_THAT(*(*reader)->AuditSequencesOf(SampleRecord(3).declaration_id), ElementsAre(3, 6));
    EXPECT_THAT(*(*reader)->AuditSequencesOf("never"), IsEmpty());
  }
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), "3");  // a reader changes nothing
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    EXPECT_TRUE((*store)->IndexesEveryDecision());
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(3).declaration_id), ElementsAre(3, 6));
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(1).declaration_id), ElementsAre(1, 7));
    ASSERT_THAT((*store)->AppendAudit(std::vector<AuditRecord>{SampleRecord(3)}), IsOk());
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(3).declaration_id),
                ElementsAre(3, 6, 8));
  }
  RawDb raw(dir);
  EXPECT_EQ(raw.Get("meta", "schema_version"), std::to_string(kSchemaVersion));
  // The backfilled entries are the index's own keys (read behind the store's back).
  EXPECT_EQ(raw.Get("by_id", internal::EncodeByIdKey(SampleRecord(3).declaration_id, 6)), "");
}

// A backfill cut short leaves the database at its old version with part of the index; the
// next writable open writes every entry again (they are plain puts of fixed keys), and until
// then a reader scans. Simulated by removing entries and going back to version 3.
TEST(ByIdIndexTest, AnInterruptedBackfillIsCompletedByTheNextWritableOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->AppendAudit(Records(1, 4)), IsOk());
    ASSERT_THAT(store->AppendAudit(Records(1, 4)), IsOk());  // seqs 5..8 repeat ids 1..4
  }
  {
    RawDb raw(dir);
    raw.Delete("by_id", internal::EncodeByIdKey(SampleRecord(2).declaration_id, 6));
    raw.Delete("by_id", internal::EncodeByIdKey(SampleRecord(4).declaration_id, 4));
    raw.Put("meta", "schema_version", "3");
  }
  {
    StoreOptions read_only;
    read_only.read_only = true;
    auto reader = Store::Open(dir, read_only);
    ASSERT_THAT(reader, IsOk());
    EXPECT_THAT(*(*reader)->AuditSequencesOf(SampleRecord(2).declaration_id), ElementsAre(2, 6));
  }
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(2).declaration_id), ElementsAre(2, 6));
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(4).declaration_id), ElementsAre(4, 8));
}

// A damaged index entry is DataLoss, never a wrong answer.
TEST(ByIdIndexTest, AMalformedIndexEntryIsDataLoss) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->AppendAudit(Records(1, 2)), IsOk());
  }
  RawDb(dir).Put("by_id", internal::EncodeByIdKey(SampleRecord(1).declaration_id, 1), "junk");
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->AuditSequencesOf(SampleRecord(1).declaration_id),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(2).declaration_id), ElementsAre(2));
}

// A schema-version-1 database (records of format 1) is still read and verified; a writable
// open records version 2, and the records appended after it (format 2) chain on from the
// old ones.
TEST(AuditTest, SchemaVersionOneDatabaseIsReadAndUpgradedOnWritableOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  {
    RawDb raw(dir);
    raw.Put("meta", "schema_version", "1");
    Sha256Digest hash{};
    for (uint64_t s = 1; s <= 3; ++s) {
      const std::string body = FormatOneAuditBody(SampleRecord(s));
      hash = internal::ChainHash(hash, s, body);
      raw.Put("audit", internal::EncodeAuditKey(s), body + std::string(internal::AsView(hash)));
    }
    raw.Put("meta", std::string(internal::kMetaChainHead), internal::EncodeChainHead(3, hash));
  }
  {
    StoreOptions read_only;
    read_only.read_only = true;
    auto store = Store::Open(dir, read_only);
    ASSERT_THAT(store, IsOk());
    for (uint64_t s = 1; s <= 3; ++s) EXPECT_EQ((*(*store)->GetAudit(s))->record, SampleRecord(s));
    EXPECT_THAT(*(*store)->VerifyChain(), IsEmpty());
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(2).declaration_id), ElementsAre(2));
  }
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), "1");  // a reader changes nothing
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->AppendAudit(Records(4, 6)), IsOk());
    EXPECT_THAT(ScanSampleRecords(**store), ElementsAre(1, 2, 3, 4, 5, 6));
    // The format-1 records were indexed by the upgrade's backfill.
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(2).declaration_id), ElementsAre(2));
    EXPECT_THAT(*(*store)->AuditSequencesOf(SampleRecord(5).declaration_id), ElementsAre(5));
    EXPECT_THAT(*(*store)->VerifyChain(), IsEmpty());
  }
  RawDb raw(dir);
  EXPECT_EQ(raw.Get("meta", "schema_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(raw.Get("audit", internal::EncodeAuditKey(3))[0], '\x01');
  EXPECT_EQ(raw.Get("audit", internal::EncodeAuditKey(4))[0], '\x02');
}

size_t Occurrences(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Format 2 stores what the record already holds once: the declaration id and the
// enterprise as slices of the declaration line, the ruleset hash and the key id as raw
// bytes, and the decision line around references to both.
TEST(AuditEncodingTest, TypicalRecordStoresEachRepeatedValueOnce) {
  AuditRecord r = SampleRecord(1);
  r.ruleset_sha256 = Sha256Hex("ruleset text");
  r.decision = fmt::format(R"({{"id":"{}","outcome":"release","ruleset_sha256":"{}"}})",
                           r.declaration_id, r.ruleset_sha256);
  const std::string body = internal::EncodeAuditBody(r);
  EXPECT_EQ(Occurrences(body, r.declaration_id), 1u);
  EXPECT_EQ(Occurrences(body, r.enterprise), 1u);
  EXPECT_EQ(Occurrences(body, r.ruleset_sha256), 0u);
  EXPECT_EQ(Occurrences(body, r.key_id), 0u);
  EXPECT_LT(body.size() + 120, FormatOneAuditBody(r).size());
  auto decoded = internal::DecodeAuditBody(body);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, r);
}

// Every record round-trips, whatever it holds: values absent from the declaration, ids
// inside the hash, upper-case or odd-length "hex", empty fields, repeated values.
TEST(AuditEncodingTest, AnyRecordRoundTrips) {
  std::vector<AuditRecord> cases;
  auto add = [&](auto change) {
    AuditRecord r = SampleRecord(cases.size() + 1);
    change(r);
    cases.push_back(r);
  };
  add([](AuditRecord&) {});
  add([](AuditRecord& r) { r.declaration = "{}"; });          // neither id nor enterprise in it
  add([](AuditRecord& r) { r.declaration_id = "a\"b\\c"; });  // escaped in JSON lines
  add([](AuditRecord& r) { r.ruleset_sha256 = std::string(64, 'A'); });
  add([](AuditRecord& r) { r.ruleset_sha256 = "abc"; });
  add([](AuditRecord& r) { r.ruleset_sha256 = "not hex!"; });
  add([](AuditRecord& r) { r.key_id = ""; });
  add([](AuditRecord& r) { r.ruleset_sha256 = ""; });
  add([](AuditRecord& r) {
    r.declaration_id = "aaaa";  // occurs inside the hash in the decision line
    r.declaration = R"({"id":"aaaa"})";
  });
  add([](AuditRecord& r) {
    r.declaration_id = "0";  // occurs everywhere
    r.declaration = R"({"id":"0","x":0})";
    r.decision = "0" + r.ruleset_sha256 + "0";
  });
  add([](AuditRecord& r) { r.profile = SampleProfile("someone else", 3); });
  add([](AuditRecord& r) { r.decision = ""; });
  add([](AuditRecord& r) { r.decision = r.ruleset_sha256 + r.ruleset_sha256; });
  add([](AuditRecord& r) {
    r.declaration = std::string(300, 'x') + r.declaration_id;  // offsets past one byte
  });
  add([](AuditRecord& r) { r = AuditRecord{}; });
  for (const AuditRecord& r : cases) {
    auto decoded = internal::DecodeAuditBody(internal::EncodeAuditBody(r));
    ASSERT_THAT(decoded, IsOk()) << r.declaration_id;
    EXPECT_EQ(*decoded, r) << r.declaration_id;
  }
}

TEST(AuditEncodingTest, EveryTruncationTrailingGarbageAndBadReferenceIsDataLoss) {
  const std::string body = internal::EncodeAuditBody(SampleRecord(1));
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_THAT(internal::DecodeAuditBody(body.substr(0, n)), StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
  EXPECT_THAT(internal::DecodeAuditBody(body + "x"), StatusIs(absl::StatusCode::kDataLoss));
  std::string unknown_format = body;
  unknown_format[0] = 4;
  EXPECT_THAT(internal::DecodeAuditBody(unknown_format), StatusIs(absl::StatusCode::kDataLoss));
  // A slice reaching past the declaration: 0x02, lp(declaration "{}"), then the id as
  // slice 0x01 offset 1 length 5.
  EXPECT_THAT(internal::DecodeAuditBody(std::string("\x02\x02{}\x01\x01\x05", 6)),
              StatusIs(absl::StatusCode::kDataLoss));
}

// Builds a database with records 1..10 and returns its folder (store closed).
std::string TenRecords(const TempDir& tmp) {
  const std::string dir = tmp.Sub("db");
  auto store = InitAndOpen(dir);
  EXPECT_THAT(store->AppendAudit(Records(1, 4)), IsOk());
  EXPECT_THAT(store->AppendAudit(Records(5, 10)), IsOk());
  return dir;
}

std::vector<uint64_t> ProblemSeqs(const std::string& dir) {
  auto store = Store::Open(dir);
  EXPECT_THAT(store, IsOk());
  auto problems = (*store)->VerifyChain();
  EXPECT_THAT(problems, IsOk());
  std::vector<uint64_t> seqs;
  for (const auto& p : *problems) seqs.push_back(p.seq);
  return seqs;
}

// ---- Full list digests (SPEC §7.1: "the audit record keeps the full digests") -------------

std::vector<BoundListVersion> SampleLists(size_t n) {
  std::vector<BoundListVersion> lists;
  for (size_t i = 0; i < n; ++i)
    lists.push_back({fmt::format("list_{}", i), Sha256Hex(fmt::format("E{}\n", i))});
  return lists;
}

// A record without lists is format 2, byte for byte as before; with lists it is format 3:
// the same bytes after the format byte, then varint(count) and lp(name) 0x02 lp(32 raw
// bytes) per list, in the record's order (the ruleset's declaration order, not by name).
TEST(AuditListsTest, ListsFollowTheFormatTwoBodyAndNothingChangesWithoutThem) {
  AuditRecord r = SampleRecord(1);
  const std::string without = internal::EncodeAuditBody(r);
  EXPECT_EQ(without[0], '\x02');
  r.lists = {{"zeta", Sha256Hex("Z\n")}, {"alpha", Sha256Hex("A\n")}};
  const std::string with = internal::EncodeAuditBody(r);
  std::string expected = "\x03" + without.substr(1) + "\x02";
  for (const auto& l : r.lists) {
    internal::PutLengthPrefixed(expected, l.name);
    expected += "\x02";
    internal::PutLengthPrefixed(expected, *internal::FromHex(l.digest));
  }
  EXPECT_EQ(with, expected);
  EXPECT_EQ(with.size(), without.size() + 1 + 2 * (1 + 2 + 32) + 4 + 5);
  auto decoded = internal::DecodeAuditBody(with);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, r);
  EXPECT_EQ(decoded->lists[0].name, "zeta");
}

TEST(AuditListsTest, RecordsWithOneOrManyListsRoundTrip) {
  std::vector<AuditRecord> cases;
  auto add = [&](auto change) {
    AuditRecord r = SampleRecord(cases.size() + 1);
    change(r);
    cases.push_back(r);
  };
  add([](AuditRecord& r) { r.lists = SampleLists(1); });
  add([](AuditRecord& r) { r.lists = SampleLists(300); });  // a two-byte count
  add([](AuditRecord& r) {
    r.lists = SampleLists(3);
    r.profile.reset();
  });
  add([](AuditRecord& r) {  // digests that are not lower-case hex still round-trip
    r.lists = {{"", ""}, {"a", "ABCDEF"}, {"b", "not hex"}, {"c", "abc"}, {"列表", "00"}};
  });
  add([](AuditRecord& r) {
    r = AuditRecord{};
    r.lists = SampleLists(2);
  });
  for (const AuditRecord& r : cases) {
    const std::string body = internal::EncodeAuditBody(r);
    EXPECT_EQ(body[0], '\x03');
    auto decoded = internal::DecodeAuditBody(body);
    ASSERT_THAT(decoded, IsOk()) << r.declaration_id;
    EXPECT_EQ(*decoded, r) << r.declaration_id;
    EXPECT_EQ(internal::EncodeAuditBody(*decoded), body);
  }
}

TEST(AuditListsTest, ATruncatedOrMalformedListsSectionIsDataLoss) {
  AuditRecord r = SampleRecord(1);
  const size_t without = internal::EncodeAuditBody(r).size();
  r.lists = SampleLists(3);
  const std::string body = internal::EncodeAuditBody(r);
  for (size_t n = without; n < body.size(); ++n) {  // every cut inside the lists section
    EXPECT_THAT(internal::DecodeAuditBody(body.substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
  EXPECT_THAT(internal::DecodeAuditBody(body + "x"), StatusIs(absl::StatusCode::kDataLoss));
  // Format 3 with a count of zero (a record without lists is format 2: one body per record).
  std::string zero = internal::EncodeAuditBody(SampleRecord(1));
  zero[0] = '\x03';
  EXPECT_THAT(internal::DecodeAuditBody(zero), StatusIs(absl::StatusCode::kDataLoss));
  zero.push_back('\0');
  EXPECT_THAT(internal::DecodeAuditBody(zero), StatusIs(absl::StatusCode::kDataLoss));
  // A count larger than what follows.
  std::string big = internal::EncodeAuditBody(SampleRecord(1));
  big[0] = '\x03';
  big += "\x05";
  internal::PutLengthPrefixed(big, "x");
  big += "\x02";
  internal::PutLengthPrefixed(big, std::string(32, 'a'));
  EXPECT_THAT(internal::DecodeAuditBody(big), StatusIs(absl::StatusCode::kDataLoss));
}

// Stored and read back through the store, by AuditRecord and by AuditBatch, chained.
TEST(AuditListsTest, TheStoreKeepsTheListsAndTheChainCoversThem) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  std::vector<AuditRecord> records = Records(1, 4);
  records[1].lists = SampleLists(2);
  records[3].lists = SampleLists(5);
  ASSERT_FALSE(records[3].profile.has_value());
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->AppendAudit(std::span<const AuditRecord>(records).first(2)), IsOk());
    AuditBatch batch;
    batch.Add(records[2]);
    batch.Add(records[3].declaration_id, records[3].enterprise, records[3].declaration,
              nullptr /* SampleRecord(4) has no profile */, records[3].ruleset_sha256, records[3].key_id,
              records[3].decision, records[3].lists);
    ASSERT_THAT(store->AppendAudit(batch), IsOk());
    for (uint64_t s = 1; s <= 4; ++s) EXPECT_EQ((*store->GetAudit(s))->record, records[s - 1]);
    EXPECT_THAT(*store->VerifyChain(), IsEmpty());
  }
  // One digest byte changed behind the store's back breaks the chain at that record.
  {
    RawDb raw(dir);
    std::string value = raw.Get("audit", internal::EncodeAuditKey(4));
    EXPECT_EQ(value[0], '\x03');
    value[value.size() - 32 - 1] ^= 1;  // the last byte of the last digest
    raw.Put("audit", internal::EncodeAuditKey(4), value);
  }
  EXPECT_THAT(ProblemSeqs(dir), ElementsAre(4));
}

// A schema-version-3 database (records of format 2 only) reads as it is; a read-only open
// changes nothing; a writable open records version 4 before appending records with lists,
// which chain on from the old ones.
TEST(AuditListsTest, SchemaVersionThreeDatabaseIsReadAndUpgradedOnWritableOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    ASSERT_THAT(store->AppendAudit(Records(1, 3)), IsOk());
  }
  RawDb(dir).Put("meta", "schema_version", "3");
  {
    StoreOptions read_only;
    read_only.read_only = true;
    auto store = Store::Open(dir, read_only);
    ASSERT_THAT(store, IsOk());
    for (uint64_t s = 1; s <= 3; ++s) {
      EXPECT_EQ((*(*store)->GetAudit(s))->record, SampleRecord(s));
      EXPECT_TRUE((*(*store)->GetAudit(s))->record.lists.empty());
    }
    EXPECT_THAT(*(*store)->VerifyChain(), IsEmpty());
  }
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), "3");  // a reader changes nothing
  std::vector<AuditRecord> more = Records(4, 5);
  for (auto& r : more) r.lists = SampleLists(2);
  ASSERT_THAT(Store::Open(dir), IsOk());
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), "4");  // before anything is appended
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->AppendAudit(more), IsOk());
    EXPECT_EQ((*(*store)->GetAudit(5))->record, more[1]);
    EXPECT_EQ((*(*store)->GetAudit(3))->record, SampleRecord(3));
    EXPECT_THAT(*(*store)->VerifyChain(), IsEmpty());
  }
  RawDb raw(dir);
  EXPECT_EQ(raw.Get("meta", "schema_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(raw.Get("audit", internal::EncodeAuditKey(3))[0], '\x02');
  EXPECT_EQ(raw.Get("audit", internal::EncodeAuditKey(4))[0], '\x03');
}

// AuditBatch (what `decide` uses) writes the same bytes and the same chain as AuditRecords,
// also for a profile value of 128 bytes or more (a two-byte length prefix) and for a
// declaration id given twice in one batch (the index points at the later record).
TEST(AuditTest, EncodedBatchWritesTheSameRecordsAsAuditRecords) {
  std::vector<AuditRecord> records = Records(1, 6);
  records[1].profile.reset();
  records[2].profile->flags = {std::string(150, 'f'), "x"};
  records[4].declaration_id = records[0].declaration_id;  // decided twice in one batch
  records[4].enterprise = "E-second";
  records[5].declaration = "{}";  // id and enterprise stored literally, not as slices
  TempDir tmp;
  auto by_record = InitAndOpen(tmp.Sub("a"));
  auto by_batch = InitAndOpen(tmp.Sub("b"));
  ASSERT_THAT(by_record->AppendAudit(records), IsOk());
  AuditBatch batch;
  for (const auto& r : records) batch.Add(r);
  EXPECT_EQ(batch.size(), records.size());
  auto range = by_batch->AppendAudit(batch);
  ASSERT_THAT(range, IsOk());
  EXPECT_EQ(range->first, 1u);
  EXPECT_EQ(range->last, 6u);
  EXPECT_EQ(by_batch->Head().hash, by_record->Head().hash);
  for (uint64_t s = 1; s <= 6; ++s) {
    auto a = by_record->GetAudit(s);
    auto b = by_batch->GetAudit(s);
    ASSERT_THAT(b, IsOk());
    ASSERT_TRUE(b->has_value());
    EXPECT_EQ((*b)->record, records[s - 1]) << s;
    EXPECT_EQ((*b)->chain_hash, (*a)->chain_hash) << s;
  }
  auto ref = by_batch->FindDecision(records[0].declaration_id);
  ASSERT_THAT(ref, IsOk());
  ASSERT_TRUE(ref->has_value());
  EXPECT_EQ((*ref)->audit_seq, 5u);
  EXPECT_EQ((*ref)->enterprise, "E-second");
  std::map<std::string, std::pair<uint64_t, std::string>> latest;  // id -> (seq, enterprise)
  for (uint64_t s = 1; s <= records.size(); ++s) {
    latest[records[s - 1].declaration_id] = {s, records[s - 1].enterprise};
  }
  for (const auto& [id, want] : latest) {
    auto found = by_batch->FindDecision(id);
    ASSERT_TRUE(found.ok() && found->has_value()) << id;
    EXPECT_EQ((*found)->audit_seq, want.first) << id;
    EXPECT_EQ((*found)->enterprise, want.second) << id;
  }
  EXPECT_THAT(*by_batch->VerifyChain(), IsEmpty());

  // Clear keeps nothing of the previous batch; an empty batch appends nothing.
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  auto none = by_batch->AppendAudit(batch);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->first, 7u);
  EXPECT_EQ(none->last, 6u);
  batch.Add(AuditRecord{});
  EXPECT_THAT(by_batch->AppendAudit(batch), StatusIs(absl::StatusCode::kInvalidArgument));
}

// WriteAudit then SyncAudit is AppendAudit in two steps: several written batches chain on
// from each other and one SyncAudit makes them all durable (they survive a reopen).
TEST(AuditTest, WriteThenSyncChainsLikeAppend) {
  TempDir tmp;
  std::string head;
  {
    auto store = InitAndOpen(tmp.Sub("db"));
    AuditBatch first, second;
    for (const auto& r : Records(1, 3)) first.Add(r);
    for (const auto& r : Records(4, 7)) second.Add(r);
    auto r1 = store->WriteAudit(first);
    auto r2 = store->WriteAudit(second);
    ASSERT_THAT(r1, IsOk());
    ASSERT_THAT(r2, IsOk());
    EXPECT_EQ(r1->first, 1u);
    EXPECT_EQ(r1->last, 3u);
    EXPECT_EQ(r2->first, 4u);
    EXPECT_EQ(r2->last, 7u);
    ASSERT_THAT(store->SyncAudit(), IsOk());
    head = store->Head().hash;
  }
  auto reference = InitAndOpen(tmp.Sub("ref"));
  ASSERT_THAT(reference->AppendAudit(Records(1, 7)), IsOk());
  EXPECT_EQ(head, reference->Head().hash);
  auto store = Store::Open(tmp.Sub("db"));
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->Head().seq, 7u);
  EXPECT_EQ((*store)->Head().hash, head);
  EXPECT_THAT(*(*store)->VerifyChain(), IsEmpty());
  auto read_only = [&] {
    StoreOptions options;
    options.read_only = true;
    return *Store::Open(tmp.Sub("ref"), options);
  }();
  EXPECT_THAT(read_only->WriteAudit(AuditBatch{}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(read_only->SyncAudit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(VerifyChainTest, DetectsAChangedRecord) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  {
    RawDb raw(dir);
    const std::string key = internal::EncodeAuditKey(5);
    std::string value = raw.Get("audit", key);
    const size_t pos = value.find("inspect");
    ASSERT_NE(pos, std::string::npos);
    value.replace(pos, 7, "release");
    raw.Put("audit", key, value);
  }
  EXPECT_THAT(ProblemSeqs(dir), ElementsAre(5));
}

TEST(VerifyChainTest, DetectsAChangedRecordWhoseHashWasRecomputed) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  {
    RawDb raw(dir);
    const std::string prev = raw.Get("audit", internal::EncodeAuditKey(4));
    Sha256Digest prev_hash;
    std::copy(prev.end() - 32, prev.end(), prev_hash.begin());
    AuditRecord forged = SampleRecord(5);
    forged.decision = "{\"outcome\":\"release\"}";
    std::string body = internal::EncodeAuditBody(forged);
    body.append(internal::AsView(internal::ChainHash(prev_hash, 5, body)));
    raw.Put("audit", internal::EncodeAuditKey(5), body);
  }
  EXPECT_THAT(ProblemSeqs(dir), ElementsAre(6));
}

TEST(VerifyChainTest, DetectsARemovedRecord) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  { RawDb(dir).Delete("audit", internal::EncodeAuditKey(5)); }
  const auto seqs = ProblemSeqs(dir);
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.front(), 5u);
  auto store = Store::Open(dir);
  auto problems = (*store)->VerifyChain();
  EXPECT_THAT(problems->front().message, HasSubstr("record 5 is missing"));
}

TEST(VerifyChainTest, DetectsRemovedLastRecords) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  {
    RawDb raw(dir);
    raw.Delete("audit", internal::EncodeAuditKey(9));
    raw.Delete("audit", internal::EncodeAuditKey(10));
  }
  auto store = Store::Open(dir);
  auto problems = (*store)->VerifyChain();
  ASSERT_THAT(problems, IsOk());
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_EQ(problems->front().seq, 9u);
  EXPECT_THAT(problems->front().message, HasSubstr("9..10"));
}

TEST(VerifyChainTest, DetectsReorderedRecords) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  {
    RawDb raw(dir);
    const std::string three = raw.Get("audit", internal::EncodeAuditKey(3));
    const std::string four = raw.Get("audit", internal::EncodeAuditKey(4));
    raw.Put("audit", internal::EncodeAuditKey(3), four);
    raw.Put("audit", internal::EncodeAuditKey(4), three);
  }
  const auto seqs = ProblemSeqs(dir);
  EXPECT_THAT(seqs, ::testing::IsSupersetOf({3u, 4u}));
  for (uint64_t s : seqs) EXPECT_TRUE(s >= 3 && s <= 5) << s;
}

TEST(VerifyChainTest, ReportsEveryBrokenRecordNotJustTheFirst) {
  TempDir tmp;
  const std::string dir = TenRecords(tmp);
  {
    RawDb raw(dir);
    for (uint64_t s : {2, 7}) {
      std::string value = raw.Get("audit", internal::EncodeAuditKey(s));
      value[3] ^= 1;
      raw.Put("audit", internal::EncodeAuditKey(s), value);
    }
  }
  EXPECT_THAT(ProblemSeqs(dir), ElementsAre(2, 7));
}

// ---- Outcomes -----------------------------------------------------------------------------------

TEST(OutcomeTest, OncePerDecidedIdAndCountersUpdated) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  AuditRecord with_profile = SampleRecord(1);  // n % 4 != 0: has a profile
  AuditRecord without_profile = SampleRecord(4);
  without_profile.enterprise = "NO-PROFILE-ENTERPRISE";
  Profile profile = SampleProfile(with_profile.enterprise);
  profile.inspections = 10;
  profile.hits = 2;
  ASSERT_THAT(store->PutProfile(profile), IsOk());
  AuditRecord second = SampleRecord(2);
  second.enterprise = with_profile.enterprise;
  ASSERT_THAT(store->AppendAudit(std::vector<AuditRecord>{with_profile, second, without_profile}),
              IsOk());

  EXPECT_THAT(store->RecordOutcome("never-decided", OutcomeResult::kHit),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(store->RecordOutcome(with_profile.declaration_id, OutcomeResult::kHit), IsOk());
  EXPECT_THAT(store->RecordOutcome(with_profile.declaration_id, OutcomeResult::kClean),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto p = store->GetProfile(with_profile.enterprise);
  EXPECT_EQ((*p)->inspections, 11u);
  EXPECT_EQ((*p)->hits, 3u);

  ASSERT_THAT(store->RecordOutcome(second.declaration_id, OutcomeResult::kClean), IsOk());
  p = store->GetProfile(with_profile.enterprise);
  EXPECT_EQ((*p)->inspections, 12u);
  EXPECT_EQ((*p)->hits, 3u);

  // No profile: the outcome is stored, no profile appears.
  ASSERT_THAT(store->RecordOutcome(without_profile.declaration_id, OutcomeResult::kHit), IsOk());
  EXPECT_FALSE(store->GetProfile(without_profile.enterprise)->has_value());

  auto o = store->GetOutcome(with_profile.declaration_id);
  ASSERT_THAT(o, IsOk());
  ASSERT_TRUE(o->has_value());
  EXPECT_EQ((*o)->result, OutcomeResult::kHit);
  EXPECT_EQ((*o)->enterprise, with_profile.enterprise);
  EXPECT_EQ((*o)->audit_seq, 1u);
  EXPECT_FALSE(store->GetOutcome("never-decided")->has_value());

  std::vector<std::string> ids;
  ASSERT_THAT(store->ScanOutcomes([&](const Outcome& out) {
    ids.push_back(out.declaration_id);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(ids, ElementsAre(with_profile.declaration_id, second.declaration_id,
                               without_profile.declaration_id));
}

TEST(OutcomeTest, BatchRejectsRepeatsAndUnknownsAndWritesTheRest) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  std::vector<AuditRecord> records = Records(1, 3);
  for (auto& r : records) r.enterprise = "E";
  ASSERT_THAT(store->PutProfile(SampleProfile("E")), IsOk());
  const uint64_t before = (*store->GetProfile("E"))->inspections;
  ASSERT_THAT(store->AppendAudit(records), IsOk());
  std::vector<Store::OutcomeInput> inputs = {
      {records[0].declaration_id, OutcomeResult::kHit},
      {"unknown", OutcomeResult::kHit},
      {records[0].declaration_id, OutcomeResult::kClean},
      {records[1].declaration_id, OutcomeResult::kClean},
  };
  auto statuses = store->RecordOutcomes(inputs);
  ASSERT_THAT(statuses, IsOk());
  EXPECT_THAT((*statuses)[0], IsOk());
  EXPECT_THAT((*statuses)[1], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*statuses)[2], StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT((*statuses)[3], IsOk());
  auto p = store->GetProfile("E");
  EXPECT_EQ((*p)->inspections, before + 2);
  EXPECT_EQ((*store->GetOutcome(records[0].declaration_id))->result, OutcomeResult::kHit);
}

TEST(OutcomeTest, ConcurrentOutcomesCountExactly) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  Profile p = SampleProfile("E");
  p.inspections = 0;
  p.hits = 0;
  ASSERT_THAT(store->PutProfile(p), IsOk());
  std::vector<AuditRecord> records = Records(1, 200);
  for (auto& r : records) r.enterprise = "E";
  ASSERT_THAT(store->AppendAudit(records), IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 200; i += 4) {
        EXPECT_THAT(store->RecordOutcome(records[i].declaration_id,
                                         i % 5 == 0 ? OutcomeResult::kHit : OutcomeResult::kClean),
                    IsOk());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto got = store->GetProfile("E");
  EXPECT_EQ((*got)->inspections, 200u);
  EXPECT_EQ((*got)->hits, 40u);
}

}  // namespace
}  // namespace bukong::storage

namespace bukong::storage {
namespace {

// decide appends batches of thousands of records (several MB, one WAL record spanning many
// WAL blocks); they must replay when the database is opened again.
TEST(AuditTest, LargeBatchesSurviveReopen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = InitAndOpen(dir);
    for (uint64_t first = 1; first <= 3 * 8192; first += 8192) {
      ASSERT_THAT(store->AppendAudit(Records(first, first + 8191)), IsOk());
    }
  }
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->Head().seq, 3u * 8192);
  auto problems = (*store)->VerifyChain();
  ASSERT_THAT(problems, IsOk());
  EXPECT_THAT(*problems, IsEmpty());
}

}  // namespace
}  // namespace bukong::storage
