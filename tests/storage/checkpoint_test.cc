// Signed checkpoints (storage/checkpoint.h) and the audit log as bytes
// (storage/audit_export.h), issue #16 item 4: signatures that catch every changed byte, key
// files checked like the selection key, and a chain rebuilt consistently with the store's
// own functions — which every other check accepts — failing the checkpoint, in the library
// and through `bukong replay`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/file_system.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "storage/audit_export.h"
#include "storage/checkpoint.h"
#include "storage/internal/anchor.h"
#include "storage/internal/encoding.h"
#include "storage/store.h"
#include "tests/cli/cli_test_support.h"
#include "tests/storage/test_support.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/status_matchers.h"

namespace bukong::storage {
namespace {

namespace fs = std::filesystem;
using ::bukong::storage::testing::SampleRecord;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A status with `code` whose message contains `text`.
MATCHER_P2(StatusHas, code, text, "") {
  const absl::Status& status = ::bukong::testing::GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code && status.message().find(text) != absl::string_view::npos;
}

// A database with `n` sample records.
void MakeLog(const std::string& dir, uint64_t n) {
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  std::vector<AuditRecord> batch;
  for (uint64_t i = 1; i <= n; ++i) batch.push_back(SampleRecord(i));
  ASSERT_THAT((*store)->AppendAudit(batch), IsOk());
}

// What someone with write access to the folder can do with the store's own functions:
// record `k` gets the body of record `j`, and the chain from `k` on, the chain head and the
// audit anchor are all recomputed, so the log is consistent in itself.
void RebuildChainWithCopiedRecord(const std::string& dir, uint64_t k, uint64_t j) {
  Sha256Digest hash{};
  uint64_t n = 0;
  {
    bukong::testing::RawDb raw(dir);
    std::vector<std::string> bodies;
    n = internal::ReadBigEndian64(raw.Get("meta", std::string(internal::kMetaChainHead)));
    for (uint64_t seq = 1; seq <= n; ++seq) {
      const std::string value = raw.Get("audit", internal::EncodeAuditKey(seq));
      ASSERT_GE(value.size(), 32u);
      bodies.push_back(value.substr(0, value.size() - 32));
    }
    ASSERT_GE(n, std::max(k, j));
    bodies[k - 1] = bodies[j - 1];
    for (uint64_t seq = 1; seq <= n; ++seq) {
      hash = internal::ChainHash(hash, seq, bodies[seq - 1]);
      if (seq >= k) {
        raw.Put("audit", internal::EncodeAuditKey(seq),
                bodies[seq - 1] + std::string(internal::AsView(hash)));
      }
    }
    raw.Put("meta", std::string(internal::kMetaChainHead), internal::EncodeChainHead(n, hash));
  }
  ASSERT_THAT(internal::WriteAnchor(*rocksdb::FileSystem::Default(), dir, {n, hash}), IsOk());
}

TEST(CheckpointTest, SignsAndVerifiesAndEveryChangedByteIsCaught) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  MakeLog(dir, 12);
  const CheckpointSigningKey key = CheckpointSigningKey::Generate();
  const CheckpointSigningKey other = CheckpointSigningKey::Generate();
  EXPECT_NE(key.public_key().id, other.public_key().id);
  auto store = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(store, IsOk());
  auto c = MakeCheckpoint(**store, key, absl::FromUnixSeconds(1'800'000'000));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->seq, 12u);
  EXPECT_EQ(c->chain_head, (*store)->Head().hash);
  EXPECT_EQ(c->time, "2027-01-15T08:00:00Z");
  const std::string text = FormatCheckpoint(*c);
  auto parsed = ParseCheckpoint(text, "c");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(FormatCheckpoint(*parsed), text);
  const std::vector<CheckpointPublicKey> keys = {key.public_key()};
  EXPECT_THAT(VerifyCheckpointSignature(*parsed, keys, "c"), IsOk());
  const std::vector<CheckpointPublicKey> wrong = {other.public_key()};
  EXPECT_THAT(VerifyCheckpointSignature(*parsed, wrong, "c"),
              StatusHas(absl::StatusCode::kInvalidArgument, ("wrong key")));
  // Every single-bit change anywhere in the file is refused, by the parser or the signature.
  for (size_t i = 0; i < text.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string t = text;
      t[i] = static_cast<char>(t[i] ^ (1 << bit));
      auto p = ParseCheckpoint(t, "t");
      if (p.ok()) {
        EXPECT_FALSE(VerifyCheckpointSignature(*p, keys, "t").ok()) << "byte " << i << " bit " << bit;
      }
    }
  }
  // A signature by another key under this key's id does not verify either.
  Checkpoint forged = *parsed;
  forged.signature = other.Sign(CheckpointSignedText(forged));
  EXPECT_THAT(VerifyCheckpointSignature(forged, keys, "f"),
              StatusHas(absl::StatusCode::kInvalidArgument, ("f: the signature does not verify")));
  // The log extends its checkpoint.
  const std::vector<NamedCheckpoint> named = {{"c", *parsed}};
  auto problems = CheckLogExtends(**store, named);
  ASSERT_THAT(problems, IsOk());
  EXPECT_THAT(*problems, IsEmpty());
}

TEST(CheckpointTest, AReaderBesideAWriterSignsAnAcknowledgedRecordItCanSee) {
  // The anchor moves on while a read-only store stays at what it saw when it opened: the
  // checkpoint must sign a record that store has, and one that was acknowledged.
  TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  ASSERT_THAT(InitStore(dir, {}), IsOk());
  auto writer = Store::Open(dir);
  ASSERT_THAT(writer, IsOk());
  std::vector<AuditRecord> batch;
  for (uint64_t i = 1; i <= 10; ++i) batch.push_back(SampleRecord(i));
  ASSERT_THAT((*writer)->AppendAudit(batch), IsOk());
  auto reader = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(reader, IsOk());
  batch.clear();
  for (uint64_t i = 11; i <= 25; ++i) batch.push_back(SampleRecord(i));
  ASSERT_THAT((*writer)->AppendAudit(batch), IsOk());  // the anchor is now at 25
  const CheckpointSigningKey key = CheckpointSigningKey::Generate();
  auto c = MakeCheckpoint(**reader, key, absl::Now());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->seq, 10u);
  auto c2 = MakeCheckpoint(**writer, key, absl::Now());
  ASSERT_THAT(c2, IsOk());
  EXPECT_EQ(c2->seq, 25u);
  const std::vector<NamedCheckpoint> named = {{"c", *c}, {"c2", *c2}};
  auto problems = CheckLogExtends(**writer, named);
  ASSERT_THAT(problems, IsOk());
  EXPECT_THAT(*problems, IsEmpty());
}

TEST(CheckpointTest, KeyFilesRoundTripAndALooseSecretKeyIsRefused) {
  TempDir tmp;
  const std::string path = tmp.path() + "/k";
  const CheckpointSigningKey key = CheckpointSigningKey::Generate();
  ASSERT_THAT(WriteCheckpointKeyPair(path, key), IsOk());
  auto loaded = CheckpointSigningKey::Load(path);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->public_key().id, key.public_key().id);
  EXPECT_EQ(loaded->Sign("m"), key.Sign("m"));  // Ed25519 is deterministic: the same key
  auto pub = LoadCheckpointPublicKey(path + ".pub");
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(pub->bytes, key.public_key().bytes);
  EXPECT_THAT(WriteCheckpointKeyPair(path, key), StatusIs(absl::StatusCode::kAlreadyExists));
  for (mode_t mode : {0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_THAT(CheckpointSigningKey::Load(path),
                StatusHas(absl::StatusCode::kFailedPrecondition, (fmt::format("has mode {:04o}", mode))));
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_THAT(CheckpointSigningKey::Load(path), IsOk());
  // A public key whose stated id is not its own.
  std::string text = cli::testing::ReadAll(path + ".pub");
  text[40] = text[40] == '0' ? '1' : '0';
  cli::testing::WriteFile(tmp.path() + "/bad.pub", text);
  EXPECT_THAT(LoadCheckpointPublicKey(tmp.path() + "/bad.pub"),
              StatusHas(absl::StatusCode::kInvalidArgument, ("is not the id of the key")));
}

TEST(CheckpointTest, AChainRebuiltWithTheStoresOwnFunctionsFailsTheCheckpointOnly) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  MakeLog(dir, 40);
  const CheckpointSigningKey key = CheckpointSigningKey::Generate();
  std::vector<NamedCheckpoint> named;
  {
    auto store = Store::Open(dir, {.read_only = true});
    ASSERT_THAT(store, IsOk());
    auto c = MakeCheckpoint(**store, key, absl::Now());
    ASSERT_THAT(c, IsOk());
    named.push_back({"day1.checkpoint", *c});
  }
  RebuildChainWithCopiedRecord(dir, 17, 3);
  auto store = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(store, IsOk());  // the anchor agrees: it was rewritten too
  auto chain = (*store)->VerifyChain();
  ASSERT_THAT(chain, IsOk());
  EXPECT_THAT(*chain, IsEmpty());  // consistent in itself
  auto seventeen = (*store)->GetAudit(17);
  ASSERT_THAT(seventeen, IsOk());
  EXPECT_EQ((*seventeen)->record, SampleRecord(3));
  auto problems = CheckLogExtends(**store, named);
  ASSERT_THAT(problems, IsOk());
  ASSERT_THAT(*problems, SizeIs(1));
  EXPECT_THAT((*problems)[0], HasSubstr("day1.checkpoint: the audit log does not extend this "
                                        "checkpoint: record 40's chain hash"));
}

TEST(CheckpointTest, ExportedBytesRecomputeTheChain) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  MakeLog(dir, 9);
  auto store = Store::Open(dir, {.read_only = true});
  ASSERT_THAT(store, IsOk());
  Sha256Digest hash{};
  uint64_t seen = 0;
  ASSERT_THAT(ScanAuditChain(**store, 1, UINT64_MAX,
                             [&](const ChainLink& link) {
                               EXPECT_EQ(link.seq, ++seen);
                               EXPECT_EQ(link.prev, hash);
                               hash = AuditChainHash(link.prev, link.seq, link.body);
                               EXPECT_EQ(link.hash, hash);
                               auto r = DecodeStoredAuditBody(link.body);
                               EXPECT_THAT(r, IsOk());
                               if (r.ok()) {
                                 EXPECT_EQ(*r, SampleRecord(link.seq));
                               }
                               return absl::OkStatus();
                             }),
              IsOk());
  EXPECT_EQ(seen, 9u);
  EXPECT_EQ(ToHex(hash), (*store)->Head().hash);
  // A part starts from the stored hash of the record before it.
  std::vector<uint64_t> part;
  ASSERT_THAT(ScanAuditChain(**store, 4, 6,
                             [&](const ChainLink& link) {
                               part.push_back(link.seq);
                               return absl::OkStatus();
                             }),
              IsOk());
  EXPECT_EQ(part, (std::vector<uint64_t>{4, 5, 6}));
}

// The same rebuild under a database that `decide` made: `replay` alone passes, with the
// checkpoint it fails, naming the checkpoint file and the record.
TEST(CheckpointCliTest, ReplayPassesARebuiltChainButNotItsCheckpoint) {
  using cli::testing::Bukong;
  using cli::testing::RunResult;
  using cli::testing::WriteFile;
  TempDir tmp;
  const std::string db = tmp.Sub("db");
  WriteFile(tmp.Sub("p.csv"), "id,grade,registered,flags,inspections,hits\nE1,general,2010-01-01,,4,1\n");
  ASSERT_TRUE(cli::testing::InitWithProfiles(tmp, db, tmp.Sub("p.csv")));
  std::string lines;
  for (int i = 0; i < 25; ++i) {
    lines += fmt::format(
        R"({{"id":"D{}","enterprise":"E1","date":"2021-05-04","direction":"import",)"
        R"("hs":"0303.89.90","origin":"NO","trade_country":"NO","port":"3100","mode":"sea",)"
        R"("value":{}.0,"weight":20000,"two_step":false}})"
        "\n",
        i, 100 + i);
  }
  WriteFile(tmp.Sub("d.jsonl"), lines);
  ASSERT_EQ(Bukong(tmp, fmt::format("decide --db '{}' --rules '{}/rules/order237-2018.rules' '{}'", db,
                                    cli::testing::SourceDir(), tmp.Sub("d.jsonl")))
                .exit_code,
            0);
  const std::string key = tmp.Sub("k"), ckpt = tmp.Sub("day1.checkpoint");
  ASSERT_EQ(Bukong(tmp, fmt::format("audit keygen -o '{}'", key)).exit_code, 0);
  ASSERT_EQ(Bukong(tmp, fmt::format("audit checkpoint --db '{}' --signing-key '{}' -o '{}'", db, key, ckpt))
                .exit_code,
            0);
  RebuildChainWithCopiedRecord(db, 11, 4);  // record 11 now says declaration D3 was decided
  const RunResult plain = Bukong(tmp, fmt::format("replay --db '{}'", db));
  EXPECT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_THAT(plain.out, HasSubstr("25 identical, 0 differ; chain intact"));
  const RunResult checked =
      Bukong(tmp, fmt::format("replay --db '{}' --checkpoint '{}' --public-key '{}.pub'", db, ckpt, key));
  EXPECT_EQ(checked.exit_code, 1);
  EXPECT_THAT(checked.out, HasSubstr("checkpoint: " + ckpt +
                                     ": the audit log does not extend this checkpoint: record 25's"));
}

}  // namespace
}  // namespace bukong::storage
