#include "gen/profiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "ingest/profile_reader.h"
#include "tests/testing/status_matchers.h"

namespace bukong::gen {
namespace {

std::string Csv(const ProfileOptions& options) {
  std::ostringstream out;
  ProfileGenerator(options).WriteCsv(out);
  return out.str();
}

// Reads generated CSV back through the real reader; fails the test on any error.
std::vector<Profile> ReadBack(const std::string& csv) {
  std::istringstream in(csv);
  auto reader =
      ingest::ProfileReader::FromStream(&in, "generated.csv", ingest::ProfileFormat::kCsv);
  std::vector<Profile> profiles;
  ingest::ProfileRow row;
  ingest::ReadResult r;
  while ((r = reader->Next(&row)) != ingest::ReadResult::kEnd) {
    EXPECT_EQ(r, ingest::ReadResult::kRow) << reader->FormatError(row);
    if (r == ingest::ReadResult::kRow) profiles.push_back(row.profile);
  }
  return profiles;
}

TEST(ProfileGenTest, DeterministicPerSeed) {
  ProfileOptions a{.seed = 42, .count = 2000};
  ProfileOptions b{.seed = 43, .count = 2000};
  EXPECT_EQ(Csv(a), Csv(a));
  EXPECT_NE(Csv(a), Csv(b));
  // Profile i does not depend on the count.
  ProfileOptions longer{.seed = 42, .count = 3000};
  EXPECT_EQ(Csv(longer).substr(0, Csv(a).size()), Csv(a));
}

TEST(ProfileGenTest, IdsAreUniqueCreditCodesWithValidCheckCharacters) {
  std::set<std::string> ids;
  for (uint64_t i = 0; i < 100'000; ++i) {
    std::string id = EnterpriseId(9, i);
    ASSERT_EQ(id.size(), 18u);
    ASSERT_EQ(id.substr(0, 2), "91");
    ASSERT_TRUE(HasValidCreditCodeCheck(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100'000u);
  EXPECT_NE(EnterpriseId(9, 0), EnterpriseId(10, 0));
  // A published code (from GB 32100 examples) passes; one altered character fails.
  EXPECT_TRUE(HasValidCreditCodeCheck("91350100M000100Y43"));
  EXPECT_FALSE(HasValidCreditCodeCheck("91350100M000100Y44"));
}

TEST(ProfileGenTest, EveryProfileReadsBackAndSharesMatchTheModel) {
  const int n = 100'000;
  std::vector<Profile> profiles = ReadBack(Csv({.seed = 1, .count = n}));
  ASSERT_EQ(profiles.size(), static_cast<size_t>(n));
  std::map<std::string, int> grades;
  int flagged = 0, never_inspected = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> hits_by_grade;  // hits, inspections
  for (const Profile& p : profiles) {
    ++grades[p.grade];
    if (!p.flags.empty()) ++flagged;
    if (p.inspections == 0) ++never_inspected;
    hits_by_grade[p.grade].first += p.hits;
    hits_by_grade[p.grade].second += p.inspections;
    ASSERT_GE(p.registered, *ParseIsoDate("1995-01-01"));
    ASSERT_LE(p.registered, *ParseIsoDate("2021-06-30"));
  }
  auto near = [&](const std::string& grade, double share) {
    double sd = std::sqrt(share * (1 - share) / n);
    EXPECT_NEAR(grades[grade] / static_cast<double>(n), share, 5 * sd) << grade;
  };
  near("advanced", 0.005);
  near("certified", 0.03);
  near("general", 0.95);
  near("dishonest", 0.015);
  EXPECT_NEAR(flagged / static_cast<double>(n), 0.0104, 0.003);
  EXPECT_NEAR(never_inspected / static_cast<double>(n), 0.35, 0.01);
  auto rate = [&](const std::string& g) {
    return static_cast<double>(hits_by_grade[g].first) / hits_by_grade[g].second;
  };
  EXPECT_LT(rate("advanced"), rate("general"));
  EXPECT_LT(rate("general"), rate("dishonest"));
  // Registration skews recent: more in the last five years than in the first five.
  int recent = 0, early = 0;
  for (const Profile& p : profiles) {
    if (p.registered >= *ParseIsoDate("2016-07-01")) ++recent;
    if (p.registered < *ParseIsoDate("2000-01-01")) ++early;
  }
  EXPECT_GT(recent, 2 * early);
}

TEST(ProfileGenTest, CustomGradeLists) {
  auto grades = ParseGradeShares("aaa:10,bbb:80,ccc:10");
  ASSERT_THAT(grades, testing::IsOk());
  ASSERT_EQ(grades->size(), 3u);
  EXPECT_DOUBLE_EQ((*grades)[1].share, 0.8);
  std::vector<Profile> profiles = ReadBack(Csv({.seed = 2, .count = 20'000, .grades = *grades}));
  std::map<std::string, int> counts;
  for (const Profile& p : profiles) ++counts[p.grade];
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_NEAR(counts["bbb"] / 20'000.0, 0.8, 0.015);

  EXPECT_FALSE(ParseGradeShares("").ok());
  EXPECT_FALSE(ParseGradeShares("a:1,a:2").ok());
  EXPECT_FALSE(ParseGradeShares("a:x").ok());
  EXPECT_FALSE(ParseGradeShares("a:0").ok());
  EXPECT_FALSE(ParseGradeShares("1a:5").ok());
  EXPECT_FALSE(ParseGradeShares("a").ok());
}

}  // namespace
}  // namespace bukong::gen
