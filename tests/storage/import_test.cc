// Profile import: upsert, later rows win, all or nothing, SST path with spilled runs, and
// readers that keep seeing whole profiles (all old or all new) while an import runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "storage/store.h"
#include "tests/storage/test_support.h"
#include "tests/testing/status_matchers.h"

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::SampleProfile;
using ::bukong::storage::testing::TempDir;
using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;
using ::testing::HasSubstr;

// Yields profiles from a generator function; fails at row `fail_at` (1-based) if set.
class GeneratedSource : public ProfileSource {
 public:
  GeneratedSource(uint64_t rows, std::function<Profile(uint64_t)> make, uint64_t fail_at = 0)
      : rows_(rows), make_(std::move(make)), fail_at_(fail_at) {}
  absl::StatusOr<std::optional<Profile>> Next() override {
    if (next_ >= rows_) return std::optional<Profile>();
    ++next_;
    if (next_ == fail_at_) {
      return absl::InvalidArgumentError(
          fmt::format("profiles.csv:{}: error: field 'hits': not an integer", next_ + 1));
    }
    return std::optional<Profile>(make_(next_ - 1));
  }

 private:
  uint64_t rows_;
  std::function<Profile(uint64_t)> make_;
  uint64_t fail_at_;
  uint64_t next_ = 0;
};

std::string Id(uint64_t i) { return fmt::format("9133{:014}", i); }

// Profile `i` of "version" v: every field derived from (i, v), so a reader can tell a whole
// old or new profile from a mix.
Profile Versioned(uint64_t i, uint64_t v) {
  Profile p;
  p.id = Id(i);
  p.grade = v == 1 ? "general" : "advanced";
  p.registered = static_cast<DayNumber>(i % 20000 - 5000);
  p.flags = {fmt::format("v{}", v), fmt::format("标记{}", i % 7)};
  p.inspections = i * 10 + v;
  p.hits = v;
  return p;
}

std::unique_ptr<Store> InitAndOpen(const std::string& dir, const StoreOptions& options = {}) {
  EXPECT_THAT(InitStore(dir, {}), IsOk());
  auto store = Store::Open(dir, options);
  EXPECT_THAT(store, IsOk());
  return std::move(store).value();
}

bool NoTempFolders(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("import-tmp", 0) == 0) return false;
  }
  return true;
}

TEST(ImportTest, SmallFileUpsertsAndLaterRowWins) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  ASSERT_THAT(store->PutProfile(Versioned(1, 1)), IsOk());
  ASSERT_THAT(store->PutProfile(Versioned(99, 1)), IsOk());
  // Rows: 0,1,2,3,4 of version 2, then id 2 again as version 3.
  GeneratedSource source(6, [](uint64_t n) { return n < 5 ? Versioned(n, 2) : Versioned(2, 3); });
  auto stats = store->ImportProfiles(source);
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->rows, 6u);
  EXPECT_EQ(stats->profiles, 5u);
  EXPECT_EQ(stats->sst_files, 0u);
  EXPECT_EQ(**store->GetProfile(Id(1)), Versioned(1, 2));
  EXPECT_EQ(**store->GetProfile(Id(2)), Versioned(2, 3));
  EXPECT_EQ(**store->GetProfile(Id(99)), Versioned(99, 1));  // untouched
}

TEST(ImportTest, LargeFileThroughSpilledRunsAndSstIngestion) {
  TempDir tmp;
  StoreOptions options;
  options.import_memory_bytes = 256 << 10;  // force several sorted runs
  const std::string dir = tmp.Sub("db");
  auto store = InitAndOpen(dir, options);
  constexpr uint64_t kRows = 30000;
  // Ids in a scrambled order; every 7th row repeats an id seen earlier (possibly in an
  // earlier run) with version 3, which must win.
  auto make = [](uint64_t n) {
    if (n % 7 == 6) return Versioned((n * 7919) % (n + 1) / 2, 3);
    return Versioned((n * 104729) % kRows, 2);
  };
  // What the database must hold afterwards: the last row of each id.
  std::map<std::string, Profile> expected;
  for (uint64_t n = 0; n < kRows; ++n) {
    Profile p = make(n);
    expected[p.id] = p;
  }
  GeneratedSource source(kRows, make);
  std::vector<std::string> phases;
  ImportOptions import_options;
  import_options.progress = [&](uint64_t, std::string_view phase) {
    if (phases.empty() || phases.back() != phase) phases.emplace_back(phase);
  };
  auto stats = store->ImportProfiles(source, import_options);
  ASSERT_THAT(stats, IsOk());
  EXPECT_GT(stats->sorted_runs, 2u);
  EXPECT_GE(stats->sst_files, 1u);
  EXPECT_EQ(stats->profiles, expected.size());
  EXPECT_EQ(phases.back(), "done");
  for (const auto& [id, p] : expected) {
    auto got = store->GetProfile(id);
    ASSERT_THAT(got, IsOk());
    ASSERT_TRUE(got->has_value()) << id;
    ASSERT_EQ(**got, p) << id;
  }
  EXPECT_TRUE(NoTempFolders(dir));
}

TEST(ImportTest, BadLastRowOfALargeFileLeavesTheDatabaseUnchanged) {
  for (uint64_t memory : {uint64_t{256} << 10, uint64_t{256} << 20}) {  // spilled / in memory
    TempDir tmp;
    StoreOptions options;
    options.import_memory_bytes = memory;
    const std::string dir = tmp.Sub("db");
    auto store = InitAndOpen(dir, options);
    for (uint64_t i = 0; i < 100; ++i) ASSERT_THAT(store->PutProfile(Versioned(i, 1)), IsOk());
    constexpr uint64_t kRows = 60000;
    GeneratedSource source(
        kRows, [](uint64_t n) { return Versioned(n, 2); }, /*fail_at=*/kRows);
    auto stats = store->ImportProfiles(source);
    EXPECT_THAT(stats, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(stats.status().message()), HasSubstr("profiles.csv:60001: error"));
    for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(**store->GetProfile(Id(i)), Versioned(i, 1));
    for (uint64_t i = 100; i < kRows; i += 997) EXPECT_FALSE(store->GetProfile(Id(i))->has_value());
    EXPECT_TRUE(NoTempFolders(dir));
  }
}

TEST(ImportTest, InvalidProfileFromSourceFailsTheImport) {
  TempDir tmp;
  auto store = InitAndOpen(tmp.Sub("db"));
  GeneratedSource source(3, [](uint64_t n) {
    Profile p = Versioned(n, 2);
    if (n == 2) p.hits = p.inspections + 1;
    return p;
  });
  auto stats = store->ImportProfiles(source);
  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(stats.status().message()), HasSubstr("row 3"));
  EXPECT_FALSE(store->GetProfile(Id(0))->has_value());
}

TEST(ImportTest, ReadersSeeWholeProfilesAndTheImportAtOnce) {
  TempDir tmp;
  StoreOptions options;
  options.import_memory_bytes = 1 << 20;
  options.import_sst_file_bytes = 256 << 10;  // several files, ingested in one call
  auto store = InitAndOpen(tmp.Sub("db"), options);
  constexpr uint64_t kIds = 40000;
  {
    GeneratedSource old_version(kIds, [](uint64_t n) { return Versioned(n, 1); });
    ImportOptions sst;
    sst.batch_write_max_rows = 0;
    ASSERT_THAT(store->ImportProfiles(old_version, sst), IsOk());
  }
  std::atomic<bool> import_done{false};
  std::atomic<uint64_t> reads{0}, new_reads{0}, old_reads{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      bool seen_new = false;
      while (true) {
        const bool done_before = import_done.load();
        const uint64_t i = rng() % kIds;
        auto got = store->GetProfile(Id(i));
        if (!got.ok() || !got->has_value()) {
          ++failures;
          return;
        }
        const Profile& p = **got;
        const bool is_old = p == Versioned(i, 1), is_new = p == Versioned(i, 2);
        // Whole profiles only; and once any new profile was seen, no old one (atomic import).
        if (!(is_old || is_new) || (seen_new && is_old) || (done_before && !is_new)) {
          ++failures;
          return;
        }
        seen_new = seen_new || is_new;
        ++reads;
        if (is_new) ++new_reads;
        if (is_old) ++old_reads;
        if (done_before && reads > 2000) return;
      }
    });
  }
  GeneratedSource new_version(kIds, [](uint64_t n) { return Versioned(n, 2); });
  ImportOptions sst;
  sst.batch_write_max_rows = 0;
  auto stats = store->ImportProfiles(new_version, sst);
  import_done = true;
  for (auto& r : readers) r.join();
  ASSERT_THAT(stats, IsOk());
  EXPECT_GT(stats->sorted_runs, 1u);
  EXPECT_GT(stats->sst_files, 1u);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 2000u);
  EXPECT_GT(new_reads.load(), 0u);
  EXPECT_GT(old_reads.load(), 0u);
}

}  // namespace
}  // namespace bukong::storage
