// Issue 6: the real rule files carry the law. For each regime in rules/, generated traffic
// with that file's grades is decided and `bukong stats --json` is read back:
//   - advanced certified: discretionary rate under 20% of the reference grade's;
//   - general certified / certified (where the regime has it): under 50%;
//   - dishonest / discredited grades (those with a floor): 80% or more of all declarations
//     inspected or held.
//   - and (issue 15) every statutory check `stats` derives from the regime says "holds".
// Binomial noise: the trusted grades get large shares of the enterprises and 150,000
// declarations are decided, so that the ratios' standard error is a few hundredths against
// margins of 0.05 and more (the files use factors 0.15 and 0.4); the figures are printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <regex>

#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

constexpr int kProfiles = 20000;
constexpr int kDeclarations = 150000;

// Share (percent of enterprises) given to each grade name in generated profiles.
int ShareOf(const std::string& grade) {
  static const std::map<std::string, int> shares = {{"advanced", 40},
                                                    {"certified", 15},
                                                    {"general", 25},
                                                    {"regular", 25},
                                                    {"dishonest", 20},
                                                    {"discredited", 10},
                                                    {"seriously_discredited", 10}};
  auto it = shares.find(grade);
  return it == shares.end() ? 10 : it->second;
}

// The statutory ceiling of a grade's discretionary ratio to the reference grade, if any.
std::optional<double> LegalRatio(const std::string& grade) {
  if (grade == "advanced") return 0.20;
  if (grade == "certified") return 0.50;
  return std::nullopt;
}

class RegimeRatioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RegimeRatioTest, DiscretionaryRatiosAndTheFloorHold) {
  const std::string rules = SourceDir() + "/rules/" + GetParam();
  if (!std::filesystem::exists(rules)) GTEST_SKIP() << rules << " is not there";
  const std::string text = ReadAll(rules);
  // The grades, most trusted first, and which have a floor.
  std::vector<std::string> grades;
  std::map<std::string, bool> has_floor;
  const std::regex grade_line(R"((^|\n)grade +([A-Za-z_][A-Za-z0-9_]*)([^\n]*))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), grade_line);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[2];
    std::string rest = (*it)[3];
    rest = rest.substr(0, rest.find('#'));
    grades.push_back(name);
    has_floor[name] = rest.find("floor") != std::string::npos;
  }
  ASSERT_GE(grades.size(), 3u);
  std::string shares;
  for (const std::string& g : grades)
    shares += fmt::format("{}{}:{}", shares.empty() ? "" : ",", g, ShareOf(g));

  TempDir tmp;
  const std::string db = tmp.Sub("db");
  ASSERT_EQ(Bukong(tmp, fmt::format("gen profiles --seed 3 --count {} --grades {} -o '{}'",
                                    kProfiles, shares, tmp.Sub("p.csv")))
                .exit_code,
            0);
  ASSERT_EQ(Bukong(tmp, fmt::format("gen declarations --seed 3 --count {} --profiles {} -o '{}'",
                                    kDeclarations, kProfiles, tmp.Sub("d.jsonl")))
                .exit_code,
            0);
  ASSERT_EQ(Bukong(tmp, fmt::format("init --db '{}'", db)).exit_code, 0);
  ASSERT_EQ(
      Bukong(tmp, fmt::format("profiles import --db '{}' '{}'", db, tmp.Sub("p.csv"))).exit_code,
      0);
  ASSERT_TRUE(ImportRegimeLists(tmp, db));
  RunResult decided = Bukong(tmp, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db,
                                              rules, tmp.Sub("d.jsonl"), tmp.Sub("out.jsonl")));
  ASSERT_EQ(decided.exit_code, 0) << decided.err;
  RunResult stats = Bukong(tmp, fmt::format("stats --db '{}' --json", db));
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  RunResult table = Bukong(tmp, fmt::format("stats --db '{}'", db));
  fmt::print("{}\n{}", GetParam(), table.out);

  simdjson::dom::parser parser;
  simdjson::dom::element j;
  ASSERT_EQ(parser.parse(stats.out).get(j), simdjson::SUCCESS) << stats.out;
  simdjson::dom::array rows;
  ASSERT_EQ(j.at_pointer("/rulesets/0/stats/grades").get(rows), simdjson::SUCCESS);
  int ratios_checked = 0, floors_checked = 0;
  for (simdjson::dom::element row : rows) {
    std::string_view name_view;
    ASSERT_EQ(row["grade"].get(name_view), simdjson::SUCCESS);
    const std::string name(name_view);
    uint64_t declarations = 0;
    ASSERT_EQ(row.at_pointer("/tally/declarations").get(declarations), simdjson::SUCCESS);
    if (auto limit = LegalRatio(name)) {
      // Enough declarations of the grade for the ratio to mean something.
      ASSERT_GT(declarations, 10000u) << name;
      double ratio = 0;
      ASSERT_EQ(row["ratio_to_reference"].get(ratio), simdjson::SUCCESS) << name;
      EXPECT_LT(ratio, *limit) << name << " discretionary ratio to the reference grade";
      EXPECT_GT(ratio, 0.0) << name << " is inspected at all";
      ++ratios_checked;
    }
    if (has_floor[name]) {
      ASSERT_GT(declarations, 5000u) << name;
      double rate = 0;
      ASSERT_EQ(row.at_pointer("/tally/rate").get(rate), simdjson::SUCCESS);
      EXPECT_GE(rate, 0.80) << name << " realized rate (inspections and holds)";
      ++floors_checked;
    }
  }
  EXPECT_GE(ratios_checked, 1);
  EXPECT_GE(floors_checked, 1);

  // Issue 15: the statutory checks derived from the regime are the same ones, and on this
  // many declarations each interval lies wholly on the lawful side: every verdict "holds",
  // so `stats --strict` passes.
  simdjson::dom::array checks;
  ASSERT_EQ(j.at_pointer("/rulesets/0/checks").get(checks), simdjson::SUCCESS);
  int ratio_checks = 0, rate_checks = 0;
  for (simdjson::dom::element check : checks) {
    std::string_view description, verdict, measure;
    ASSERT_EQ(check["description"].get(description), simdjson::SUCCESS);
    ASSERT_EQ(check["verdict"].get(verdict), simdjson::SUCCESS);
    ASSERT_EQ(check["measure"].get(measure), simdjson::SUCCESS);
    EXPECT_EQ(verdict, "holds") << description;
    (measure == "ratio" ? ratio_checks : rate_checks) += 1;
  }
  EXPECT_EQ(ratio_checks, ratios_checked);
  EXPECT_EQ(rate_checks, floors_checked);
  EXPECT_EQ(Bukong(tmp, fmt::format("stats --db '{}' --strict", db)).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Regimes, RegimeRatioTest,
                         ::testing::Values("order237-2018.rules", "order251-2021.rules",
                                           "order282-2026.rules"),
                         [](const auto& info) {
                           return std::regex_replace(info.param, std::regex("[^A-Za-z0-9]"), "_");
                         });

}  // namespace
}  // namespace bukong::cli::testing
