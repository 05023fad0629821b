#include "gen/declarations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>

#include "core/hs2022.h"
#include "gen/profiles.h"
#include "ingest/declaration_json.h"
#include "ingest/line_source.h"
#include "tests/testing/status_matchers.h"

namespace bukong::gen {
namespace {

std::string JsonLines(const DeclarationOptions& options) {
  std::ostringstream out;
  DeclarationGenerator(options).WriteJsonLines(out);
  return out.str();
}

TEST(DeclarationGenTest, DeterministicPerSeed) {
  DeclarationOptions a{.seed = 42, .count = 3000, .profiles = 500};
  DeclarationOptions b{.seed = 43, .count = 3000, .profiles = 500};
  EXPECT_EQ(JsonLines(a), JsonLines(a));
  EXPECT_NE(JsonLines(a), JsonLines(b));
}

TEST(DeclarationGenTest, EveryLineParsesAndDistributionsMatchTheModel) {
  const uint64_t n = 100'000, profiles = 20'000;
  std::string text = JsonLines({.seed = 1, .count = n, .profiles = profiles});

  std::unordered_set<std::string> profile_ids;
  for (uint64_t i = 0; i < profiles; ++i) profile_ids.insert(EnterpriseId(1, i));

  std::istringstream in(text);
  ingest::LineReader lines(&in);
  ingest::DeclarationParser parser(ingest::AllDeclarationFields());
  Declaration d;
  std::string_view line;
  uint64_t number = 0, count = 0;
  std::unordered_set<std::string> ids;
  std::map<std::string, int> chapters, enterprises;
  int unknown = 0, imports = 0, exports = 0, two_step = 0, air = 0;
  DayNumber previous = 0;
  const DayNumber first = *ParseIsoDate("2021-01-01"), last = *ParseIsoDate("2021-12-31");
  while (lines.Next(&line, &number)) {
    absl::Status status = parser.Parse(line, &d);
    ASSERT_THAT(status, testing::IsOk()) << line;
    ++count;
    ASSERT_TRUE(ids.insert(d.id).second) << "duplicate id " << d.id;
    ASSERT_EQ(d.hs.size(), 10u) << line;
    ASSERT_TRUE(Hs2022Contains(d.hs.substr(0, 6))) << d.hs;
    ASSERT_GE(d.date, first);
    ASSERT_LE(d.date, last);
    ASSERT_GE(d.date, previous) << "dates run through the year in order";
    previous = d.date;
    ++chapters[d.hs.substr(0, 2)];
    ++enterprises[d.enterprise];
    if (!profile_ids.count(d.enterprise)) ++unknown;
    if (d.direction == Direction::kImport) ++imports;
    if (d.direction == Direction::kExport) {
      ++exports;
      ASSERT_EQ(d.origin, "CN");
    }
    if (d.two_step) ++two_step;
    if (d.mode == TransportMode::kAir) ++air;
    // Values print with 2 decimals: twice_scaled is a multiple of 2 * 10^16.
    ASSERT_EQ(d.value.twice_scaled % (ir::Decimal::kScale / 50), 0) << line;
    ASSERT_GE(d.value, ExactDecimal::FromInteger(1));
  }
  ASSERT_EQ(count, n);
  auto share = [&](int k) { return k / static_cast<double>(n); };
  auto within = [&](double observed, double expected, const char* what) {
    double sd = std::sqrt(expected * (1 - expected) / n);
    EXPECT_NEAR(observed, expected, 5 * sd) << what;
  };
  within(share(unknown), 0.005, "unknown enterprises");
  within(share(imports), 0.60, "imports");
  within(share(exports), 0.37, "exports");
  within(share(two_step), 0.6 * 0.30 + 0.4 * 0.05, "two-step");
  within(share(air), 0.15, "air");
  within(share(chapters["85"]), 0.19, "chapter 85");
  within(share(chapters["84"]), 0.16, "chapter 84");
  within(share(chapters["39"]), 0.06, "chapter 39");
  within(share(chapters["02"]), 0.02, "chapter 02");
  // The heavy chapters beat any light one.
  for (const auto& [chapter, k] : chapters) {
    if (chapter != "85" && chapter != "84") {
      EXPECT_LT(k, chapters["39"] + 400) << chapter;
    }
  }
  // Zipf: a few enterprises file a large part of the declarations.
  std::vector<int> sizes;
  for (const auto& [id, k] : enterprises) sizes.push_back(k);
  std::sort(sizes.rbegin(), sizes.rend());
  int top = 0;
  for (size_t i = 0; i < 200 && i < sizes.size(); ++i) top += sizes[i];
  EXPECT_GT(share(top), 0.25) << "top 1% of enterprises";
  EXPECT_LT(share(top), 0.60);
}

// The enterprise of each declaration, in order.
std::vector<std::string> Enterprises(const std::string& text) {
  std::istringstream in(text);
  ingest::LineReader lines(&in);
  ingest::DeclarationParser parser(ingest::AllDeclarationFields());
  std::vector<std::string> out;
  std::string_view line;
  uint64_t number = 0;
  Declaration d;
  while (lines.Next(&line, &number)) {
    EXPECT_THAT(parser.Parse(line, &d), testing::IsOk()) << line;
    out.push_back(d.enterprise);
  }
  return out;
}

// Declarations name an enterprise of the profiles generated with the same seed and count,
// except for the `unknown_share` (enterprises with no profile, SPEC §2.1's unknown grade),
// and with no profiles at all every enterprise is such an unknown one.
TEST(DeclarationGenTest, NoProfilesMeansEveryEnterpriseIsUnknown) {
  constexpr uint64_t kProfiles = 500;
  std::set<std::string> profile_ids;
  ProfileGenerator profiles({.seed = 3, .count = kProfiles});
  for (uint64_t i = 0; i < kProfiles; ++i) profile_ids.insert(profiles.At(i).id);

  const std::vector<std::string> some_unknown = Enterprises(
      JsonLines({.seed = 3, .count = 4000, .profiles = kProfiles, .unknown_share = 0.1}));
  ASSERT_EQ(some_unknown.size(), 4000u);
  size_t unknown = 0;
  for (const std::string& id : some_unknown) unknown += profile_ids.count(id) == 0;
  EXPECT_NEAR(unknown / 4000.0, 0.1, 0.02);  // binomial sd 0.005: 4 sd

  // Without profiles every enterprise comes from the pool of a million ids without a
  // profile, drawn uniformly: nearly all different (enterprises with profiles are drawn by
  // Zipf activity, so a few would file most declarations — as the 10% above shows, those
  // repeat).
  const std::vector<std::string> none =
      Enterprises(JsonLines({.seed = 3, .count = 2000, .profiles = 0}));
  ASSERT_EQ(none.size(), 2000u);
  EXPECT_GT(std::set<std::string>(none.begin(), none.end()).size(), 1990u);
  EXPECT_LT(std::set<std::string>(some_unknown.begin(), some_unknown.end()).size(), 1000u);
}

}  // namespace
}  // namespace bukong::gen
