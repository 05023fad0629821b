// Static analysis in `check` (dsl/internal/analysis.h): the four cases of issue #14 are
// caught, and — sound first — every warning is true: over 150 random rulesets, every
// declaration of a domain that holds each literal's boundary values, every grade, with and
// without a profile, is decided by the engine, and no rule warned "can never match" ever
// matches, no rule warned "can never win" ever wins.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/dates.h"
#include "dsl/compiler.h"
#include "engine/engine.h"

namespace bukong::dsl {
namespace {

const char* kHeader =
    "ruleset \"t\" version 1\n"
    "grade advanced factor 0.2\n"
    "grade general factor 1.0\n"
    "unknown enterprise grade general\n"
    "baseline 2%\n"
    "commodity seafood = hs 03\n"
    "commodity ccc = hs 8415, 8418\n";

std::vector<std::string> Warnings(const std::string& text) {
  CompileResult r = Compile(text, "t.rules");
  EXPECT_FALSE(r.HasErrors()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics) out.push_back(fmt::format("{}: {}", d.line, d.message));
  return out;
}

bool Has(const std::vector<std::string>& warnings, const std::string& text) {
  for (const std::string& w : warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(AnalysisTest, TheIssuesFourCases) {
  auto w = Warnings(std::string(kHeader) +
                    "rule seafood_port when commodity in seafood then rate 10%\n"
                    "rule seafood_norway when commodity in seafood and origin = NO then rate 8%\n"
                    "rule twin when commodity in seafood then rate 10%\n"
                    "rule disjoint_sets when commodity in seafood and commodity in ccc then rate 5%\n"
                    "rule disjoint_hs when hs in [03] and hs in [85] then rate 5%\n");
  EXPECT_TRUE(Has(w, "9: rule 'seafood_norway' can never win: rule 'seafood_port' (line 8) "
                     "matches whenever it does, and its rate is higher under every grade (10% vs 8%)"))
      << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w, "10: rule 'twin' can never win: rule 'seafood_port' (line 8) matches whenever "
                     "it does, and it has the same rate and comes first"));
  EXPECT_TRUE(Has(w, "11: rule 'disjoint_sets' can never match: commodity in seafood and commodity "
                     "in ccc have no HS code in common"));
  EXPECT_TRUE(Has(w, "12: rule 'disjoint_hs' can never match: hs in [03] and hs in [85] have no HS "
                     "code in common"));
  EXPECT_FALSE(Has(w, "'seafood_port' can never"));
}

TEST(AnalysisTest, HoldsUnusedSetsAndTheBaseline) {
  auto w = Warnings(std::string(kHeader) +
                    "commodity unused = hs 01\n"
                    "rule stop when hs in [0302] then hold \"x\"\n"
                    "rule salmon when hs in [0302.14] and value > 10 then rate 50%\n"
                    "rule low when value > 1 then rate 1%\n"
                    "rule low_fixed when value > 1 then rate 1% fixed\n"
                    "rule uses when commodity in seafood or commodity in ccc then rate 3%\n");
  EXPECT_TRUE(Has(w, "8: commodity set 'unused' is declared but no rule uses it")) << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w, "10: rule 'salmon' can never win: rule 'stop' (line 9) matches whenever it "
                     "does, and it is a hold"));
  EXPECT_TRUE(Has(w, "11: rule 'low' can never win: its rate 1% is below the baseline's 2% under "
                     "every grade"));
  // Fixed 1% beats the advanced grade's baseline (2% x 0.2 = 0.4%): no warning.
  EXPECT_FALSE(Has(w, "'low_fixed' can never"));
  EXPECT_FALSE(Has(w, "'seafood' is declared"));
  EXPECT_FALSE(Has(w, "'uses' can never"));
}

TEST(AnalysisTest, WindowsAndIntervalsAreRespected) {
  auto w = Warnings(std::string(kHeader) +
                    "rule wide valid 2021-01-01..2021-12-31 when value > 100 then rate 10%\n"
                    "rule narrow valid 2021-03-01..2021-06-30 when value >= 1000 then rate 5%\n"
                    "rule outside when value >= 1000 then rate 5%\n"
                    "rule edge when value >= 100 then rate 5%\n");
  EXPECT_TRUE(Has(w, "9: rule 'narrow' can never win: rule 'wide'")) << ::testing::PrintToString(w);
  EXPECT_FALSE(Has(w, "'outside' can never"));  // no window: it wins outside 2021
  EXPECT_FALSE(Has(w, "'edge' can never"));     // value = 100 is not > 100
}

// ---- Brute force ------------------------------------------------------------------------

std::string RandomRuleset(std::mt19937_64& rng) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::string text =
      "ruleset \"r\" version 1\n"
      "grade a factor " + pick({"0", "0.2", "0.5"}) + "\n"
      "grade b factor 1.0\n"
      "grade c factor " + pick({"1.0", "1.5"}) + " floor 80%\n"
      "unknown enterprise grade b\n"
      "baseline " + pick({"0%", "1%", "5%"}) + "\n"
      "commodity s1 = hs 01\ncommodity s2 = hs 0101..0102\ncommodity s3 = hs 02\n"
      "commodity s4 = hs 85\ncommodity s5 = hs 8504..8505\n";
  const std::vector<std::string> atoms = {
      "commodity in s1", "commodity in s2", "commodity in s3", "commodity in s4",
      "commodity in s5", "hs in [01]", "hs in [0101]", "hs in [85]", "hs in [8504]",
      "hs not in [0101]", "origin = CN", "origin in [CN, NO]", "origin != NO",
      "origin not in [CN, JP]", "value > 100", "value >= 1000", "value < 1000", "value = 100",
      "value <= 100", "direction = import", "grade = a", "grade in [a, c]",
      "enterprise.flags has \"f\"", "date >= 2021-06-01", "date < 2021-03-01",
      "(origin = JP or value > 100)", "not hs in [85]"};
  const int rules = 5 + static_cast<int>(rng() % 6);
  for (int i = 0; i < rules; ++i) {
    text += "rule r" + std::to_string(i);
    if (rng() % 3 == 0) text += pick({" valid 2021-01-01..2021-12-31", " valid 2021-03-01..2021-06-30"});
    text += " when ";
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) text += (k ? " and " : "") + pick(atoms);
    if (rng() % 6 == 0) {
      text += " then hold \"h\"\n";
    } else {
      text += " then rate " + pick({"1%", "2%", "5%", "8%", "10%", "10%"});
      if (rng() % 4 == 0) text += " fixed";
      text += "\n";
    }
  }
  return text;
}

TEST(AnalysisTest, EveryWarningHoldsByBruteForce) {
  std::mt19937_64 rng(14);
  std::array<uint8_t, 16> key_bytes{};
  const SelectionKey key(key_bytes);
  const std::vector<std::string> hs = {"010121", "010221", "010321", "020110", "850440",
                                       "850511", "850610", "999999"};
  const std::vector<std::string> origins = {"CN", "NO", "JP"};
  const std::vector<int64_t> values = {0, 99, 100, 101, 999, 1000, 1001};
  std::vector<DayNumber> dates;
  for (const char* d : {"2020-12-31", "2021-01-01", "2021-02-28", "2021-03-01", "2021-05-31",
                        "2021-06-01", "2021-06-30", "2021-07-01", "2021-12-31", "2022-01-01"}) {
    dates.push_back(*ParseIsoDate(d));
  }
  int warned_match = 0, warned_win = 0, rulesets_with_warnings = 0;
  for (int round = 0; round < 150; ++round) {
    const std::string text = RandomRuleset(rng);
    CompileResult compiled = Compile(text, "r.rules");
    ASSERT_TRUE(compiled.ruleset.has_value()) << text;
    std::set<std::string> never_match, never_win;
    for (const Diagnostic& d : compiled.diagnostics) {
      auto name = [&] {
        size_t a = d.message.find('\'') + 1;
        return d.message.substr(a, d.message.find('\'', a) - a);
      };
      if (d.message.find("can never match") != std::string::npos) never_match.insert(name());
      if (d.message.find("can never win") != std::string::npos) never_win.insert(name());
    }
    if (never_match.empty() && never_win.empty()) continue;
    ++rulesets_with_warnings;
    warned_match += static_cast<int>(never_match.size());
    warned_win += static_cast<int>(never_win.size());
    auto ruleset = engine::CompileRuleset(*compiled.ruleset);
    ASSERT_TRUE(ruleset.ok());
    std::vector<std::optional<Profile>> profiles = {std::nullopt};
    for (const char* grade : {"a", "b", "c"}) {
      for (bool flag : {false, true}) {
        Profile p;
        p.id = "E";
        p.grade = grade;
        if (flag) p.flags = {"f"};
        profiles.push_back(p);
      }
    }
    Declaration d;
    d.id = "D";
    d.enterprise = "E";
    d.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight |
                kHasTwoStep;
    d.trade_country = "CN";
    d.port = "0000";
    for (const std::string& code : hs) {
      d.hs = code;
      for (const std::string& origin : origins) {
        d.origin = origin;
        for (int64_t value : values) {
          d.value = ExactDecimal::FromInteger(value);
          for (Direction direction : {Direction::kImport, Direction::kExport}) {
            d.direction = direction;
            for (DayNumber date : dates) {
              d.date = date;
              for (const auto& profile : profiles) {
                auto decided = engine::Decide(*ruleset, key, d, profile ? &*profile : nullptr);
                ASSERT_TRUE(decided.ok());
                for (auto m : decided->MatchedNames()) {
                  ASSERT_EQ(never_match.count(std::string(m)), 0u)
                      << "warned rule " << m << " matched\n" << text;
                }
                ASSERT_EQ(never_win.count(std::string(decided->RuleName())), 0u)
                    << "warned rule " << decided->RuleName() << " won\n" << text;
              }
            }
          }
        }
      }
    }
  }
  // The generator makes the analysis speak often enough for the check to mean something.
  EXPECT_GE(rulesets_with_warnings, 30);
  EXPECT_GE(warned_win, 20);
  EXPECT_GE(warned_match, 5);
}

}  // namespace
}  // namespace bukong::dsl
