// Lists and their versions in the database (storage/lists.h, SPEC §7.1).
#include "storage/lists.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>
#include <vector>

#include "core/sha256.h"
#include "storage/internal/encoding.h"
#include "tests/storage/test_support.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/status_matchers.h"

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::bukong::testing::MakeSchemaVersionTwo;
using ::bukong::testing::RawDb;
using ::bukong::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

// The digest of SPEC §7.1, computed here from its definition (sorted, each + "\n").
std::string DigestOf(std::vector<std::string> entries) {
  std::string text;
  for (const auto& e : entries) text += e + "\n";
  return Sha256Hex(text);
}

ListImport Import(std::string name, std::string type, std::vector<std::string> entries,
                  int64_t at = 1'700'000'000) {
  ListImport in;
  in.name = std::move(name);
  in.type = std::move(type);
  in.digest = DigestOf(entries);
  in.entries = std::move(entries);
  in.imported_at_unix = at;
  return in;
}

std::vector<std::string> Entries(const Store& store, std::string_view digest) {
  std::vector<std::string> out;
  EXPECT_THAT(ScanListVersion(store, digest, [&](std::string_view e) { out.emplace_back(e); }),
              IsOk());
  return out;
}

std::unique_ptr<Store> InitAndOpen(const std::string& dir, const StoreOptions& options = {}) {
  EXPECT_THAT(InitStore(dir, {}), IsOk());
  auto store = Store::Open(dir, options);
  EXPECT_THAT(store, IsOk());
  return std::move(store).value();
}

TEST(ListsTest, ImportThenReadTheCurrentVersionAndItsEntries) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  EXPECT_THAT(*GetList(*store, "sanctioned"), std::nullopt);
  auto r = ImportList(*store, Import("sanctioned", "country", {"IR", "KP"}, 1'800'000'000));
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->list.digest, DigestOf({"IR", "KP"}));
  auto info = GetList(*store, "sanctioned");
  ASSERT_THAT(info, IsOk());
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->type, "country");
  EXPECT_EQ((*info)->digest, DigestOf({"IR", "KP"}));
  EXPECT_EQ((*info)->entries, 2u);
  EXPECT_EQ((*info)->imported_at_unix, 1'800'000'000);
  EXPECT_EQ((*info)->versions, 1u);
  EXPECT_THAT(Entries(*store, (*info)->digest), ElementsAre("IR", "KP"));
  EXPECT_THAT(*GetListVersion(*store, (*info)->digest), Optional(2u));
}

TEST(ListsTest, SameContentAgainChangesNothingNewContentIsANewVersionAndOldOnesStay) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  ASSERT_THAT(ImportList(*store, Import("watch", "enterprise", {"E1", "E2"}, 100)), IsOk());
  auto again = ImportList(*store, Import("watch", "enterprise", {"E1", "E2"}, 200));
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->list.imported_at_unix, 100);  // the version of the first import
  EXPECT_EQ((*GetList(*store, "watch"))->versions, 1u);

  auto second = ImportList(*store, Import("watch", "enterprise", {"E1", "E3", "E4"}, 300));
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->changed);
  EXPECT_EQ((*GetList(*store, "watch"))->digest, DigestOf({"E1", "E3", "E4"}));
  // The first version is still there, entries and all: replay may need it.
  EXPECT_THAT(Entries(*store, DigestOf({"E1", "E2"})), ElementsAre("E1", "E2"));
  // Back to the first content: a new import (history 3), the stored entries reused.
  auto back = ImportList(*store, Import("watch", "enterprise", {"E1", "E2"}, 400));
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->changed);
  auto history = ListHistory(*store, "watch");
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].digest, DigestOf({"E1", "E2"}));
  EXPECT_EQ((*history)[1].digest, DigestOf({"E1", "E3", "E4"}));
  EXPECT_EQ((*history)[1].entries, 3u);
  EXPECT_EQ((*history)[1].imported_at_unix, 300);
  EXPECT_EQ((*history)[2].imported_at_unix, 400);
  EXPECT_EQ((*GetList(*store, "watch"))->versions, 3u);
}

TEST(ListsTest, ManyEntriesSpanSeveralChunksAndComeBackInOrder) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  std::vector<std::string> entries;
  for (int i = 0; i < 20'000; ++i) entries.push_back(fmt::format("91330200MA{:08d}", i));
  ASSERT_THAT(ImportList(*store, Import("big", "enterprise", entries)), IsOk());
  EXPECT_THAT(Entries(*store, DigestOf(entries)), ElementsAreArray(entries));
}

TEST(ListsTest, EmptyListIsAVersionToo) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  auto r = ImportList(*store, Import("ports", "port", {}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->list.digest, Sha256Hex(""));
  EXPECT_THAT(Entries(*store, r->list.digest), IsEmpty());
}

TEST(ListsTest, RefusedImportsChangeNothing) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  ASSERT_THAT(ImportList(*store, Import("sanctioned", "country", {"KP"})), IsOk());
  const ListInfo before = **GetList(*store, "sanctioned");

  auto typed = ImportList(*store, Import("sanctioned", "port", {"3100"}));
  EXPECT_THAT(typed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(typed.status().message()), HasSubstr("list of country"));
  EXPECT_THAT(ImportList(*store, Import("not a name", "port", {"3100"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportList(*store, Import("sanctioned", "country", {"KP", "IR"})),
              StatusIs(absl::StatusCode::kInvalidArgument));  // not sorted
  ListImport bad_digest = Import("sanctioned", "country", {"IR"});
  bad_digest.digest = "XYZ";
  EXPECT_THAT(ImportList(*store, bad_digest), StatusIs(absl::StatusCode::kInvalidArgument));

  const ListInfo after = **GetList(*store, "sanctioned");
  EXPECT_EQ(after.digest, before.digest);
  EXPECT_EQ(after.versions, before.versions);
  EXPECT_THAT(*GetListVersion(*store, DigestOf({"3100"})), std::nullopt);
}

TEST(ListsTest, ListListsIsByNameAndUnknownVersionIsNamed) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  ASSERT_THAT(ImportList(*store, Import("zeta", "hs", {"0302"})), IsOk());
  ASSERT_THAT(ImportList(*store, Import("alpha", "port", {"3100"})), IsOk());
  auto all = ListLists(*store);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alpha");
  EXPECT_EQ((*all)[1].name, "zeta");
  const std::string missing = DigestOf({"nothing"});
  absl::Status s = ScanListVersion(*store, missing, [](std::string_view) {});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(s.message()), HasSubstr(missing));
}

TEST(ListsTest, ReadOnlyStoreRefusesImports) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  InitAndOpen(dir).reset();
  StoreOptions ro;
  ro.read_only = true;
  auto store = Store::Open(dir, ro);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(ImportList(**store, Import("x", "port", {"1"})),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A damaged version (a chunk removed or altered behind the store's back) is DataLoss, not a
// silently shorter list.
TEST(ListsTest, DamagedEntriesAreDataLoss) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  std::vector<std::string> entries = {"E1", "E2", "E3"};
  InitAndOpen(dir);
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT(ImportList(**store, Import("w", "enterprise", entries)), IsOk());
  }
  std::string chunk_key = "E" + *internal::FromHex(DigestOf(entries));
  internal::PutBigEndian64(chunk_key, 0);  // chunk 0 (docs/storage.md, "Lists")
  {
    RawDb raw(dir);
    std::string value = raw.Get("lists", chunk_key);
    ASSERT_FALSE(value.empty());
    value[value.size() - 1] = '9';  // "E3" -> "E9"
    raw.Put("lists", chunk_key, value);
  }
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    EXPECT_THAT(ScanListVersion(**store, DigestOf(entries), [](std::string_view) {}),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  {
    RawDb raw(dir);
    raw.Delete("lists", chunk_key);
  }
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(ScanListVersion(**store, DigestOf(entries), [](std::string_view) {}),
              StatusIs(absl::StatusCode::kDataLoss));
}

// A database of schema version 2 has no `lists` column family: a read-only open sees no
// lists and changes nothing; a writable open adds the family and records version 3.
TEST(ListsTest, SchemaVersionTwoDatabaseGainsListsOnWritableOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  InitAndOpen(dir).reset();
  ASSERT_NO_FATAL_FAILURE(MakeSchemaVersionTwo(dir));  // what bukong of schema version 2 created: no lists family
  {
    StoreOptions ro;
    ro.read_only = true;
    auto store = Store::Open(dir, ro);
    ASSERT_THAT(store, IsOk());
    EXPECT_THAT(*GetList(**store, "any"), std::nullopt);
    EXPECT_THAT(*ListLists(**store), IsEmpty());
    EXPECT_THAT(*GetListVersion(**store, DigestOf({})), std::nullopt);
  }
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), "2");
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT(ImportList(**store, Import("w", "enterprise", {"E1"})), IsOk());
  }
  EXPECT_EQ(RawDb(dir).Get("meta", "schema_version"), std::to_string(kSchemaVersion));
  auto store = Store::Open(dir);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(Entries(**store, DigestOf({"E1"})), ElementsAre("E1"));
}

}  // namespace
}  // namespace bukong::storage
