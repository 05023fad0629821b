// Static analysis in `check` (dsl/internal/analysis.h): the four cases of issue #14 are
// caught, and — sound first — every warning is true: over 150 random rulesets (v1 tests and
// SPEC §7's: lists of every type bound to random entries, `enterprise`, `unit_value`, the
// sample), every declaration of a domain that holds each literal's boundary values (weights
// 0 and 100, three enterprise ids), every grade, with and without a profile, is decided by
// the engine, and no rule warned "can never match" ever matches, no rule warned "can never
// win" or "is unreachable" ever wins, and a rate rule warned "is held" matches only held
// declarations.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/dates.h"
#include "dsl/compiler.h"
#include "engine/engine.h"
#include "engine/lists.h"

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
  auto w =
      Warnings(std::string(kHeader) +
               "rule seafood_port when commodity in seafood then rate 10%\n"
               "rule seafood_norway when commodity in seafood and origin = NO then rate 8%\n"
               "rule twin when commodity in seafood then rate 10%\n"
               "rule disjoint_sets when commodity in seafood and commodity in ccc then rate 5%\n"
               "rule disjoint_hs when hs in [03] and hs in [85] then rate 5%\n");
  EXPECT_TRUE(Has(w,
                  "9: rule 'seafood_norway' can never win: rule 'seafood_port' (line 8) "
                  "matches whenever it does, and its rate is higher under every grade (10% vs 8%)"))
      << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w,
                  "10: rule 'twin' can never win: rule 'seafood_port' (line 8) matches whenever "
                  "it does, and it has the same rate and comes first"));
  EXPECT_TRUE(Has(w,
                  "11: rule 'disjoint_sets' can never match: commodity in seafood and commodity "
                  "in ccc have no HS code in common"));
  EXPECT_TRUE(Has(w,
                  "12: rule 'disjoint_hs' can never match: hs in [03] and hs in [85] have no HS "
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
  EXPECT_TRUE(Has(w, "8: commodity set 'unused' is declared but no rule uses it"))
      << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w,
                  "10: rule 'salmon' is unreachable: hold 'stop' (line 9) matches whenever it "
                  "does, so every declaration it matches is held"));
  EXPECT_TRUE(Has(w,
                  "11: rule 'low' can never win: its rate 1% is below the baseline's 2% under "
                  "every grade"));
  // Fixed 1% beats the advanced grade's baseline (2% x 0.2 = 0.4%): no warning.
  EXPECT_FALSE(Has(w, "'low_fixed' can never"));
  EXPECT_FALSE(Has(w, "'seafood' is declared"));
  EXPECT_FALSE(Has(w, "'uses' can never"));
}

TEST(AnalysisTest, HoldsMakeRulesUnreachableWhereverTheyStand) {
  auto w = Warnings(std::string(kHeader) +
                    "rule before when hs in [0302] and origin = NO then rate 50% fixed\n"
                    "rule stop when hs in [03] then hold \"x\"\n"
                    "rule again when commodity in seafood and value > 10 then hold \"y\"\n"
                    "rule wider when hs in [03, 04] then rate 60%\n"
                    "rule early_hold when hs in [0302] and grade = advanced then hold \"z\"\n");
  // A hold decides whatever the rates and wherever it stands (SPEC §2.3).
  EXPECT_TRUE(Has(w,
                  "8: rule 'before' is unreachable: hold 'stop' (line 9) matches whenever it "
                  "does, so every declaration it matches is held"))
      << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w,
                  "10: rule 'again' is unreachable: hold 'stop' (line 9) matches whenever it "
                  "does and comes first, so it never decides (its reason is still listed)"));
  EXPECT_FALSE(Has(w, "'wider'"));  // 04 is not held
  EXPECT_TRUE(Has(w, "12: rule 'early_hold' is unreachable: hold 'stop'"));
  EXPECT_FALSE(Has(w, "'stop' is unreachable"));  // 'again' comes after it
}

TEST(AnalysisTest, NeverMatchBeyondOneField) {
  auto w =
      Warnings(std::string(kHeader) +
               "list watched of enterprise\n"
               "list other of enterprise\n"
               "list ports of port\n"
               "rule late valid 2021-01-01..2021-06-30 when date >= 2021-07-01 then rate 5%\n"
               "rule early valid 2021-01-01..2021-06-30 when value > 1 and date < 2021-01-01 "
               "then rate 5%\n"
               "rule one_day valid 2021-03-01..2021-03-01 when date != 2021-03-01 then rate 5%\n"
               "rule fits valid 2021-01-01..2021-06-30 when date >= 2021-06-30 then rate 5%\n"
               "rule own valid 2021-01-01..2021-06-30 when date > 2022-01-01 and "
               "date < 2021-01-01 then rate 5%\n"
               "rule excluded when hs in [0302, 0303] and hs not in [03] then rate 5%\n"
               "rule partly when hs in [0302, 0402] and hs not in [03] then rate 5%\n"
               "rule both_ways when enterprise in watched and enterprise not in watched "
               "then rate 5%\n"
               "rule two_lists when enterprise in watched and enterprise not in other "
               "and port in ports then rate 5%\n");
  EXPECT_TRUE(Has(w,
                  "11: rule 'late' can never match: its valid window 2021-01-01..2021-06-30 "
                  "leaves no day its date conditions allow"))
      << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w, "12: rule 'early' can never match: its valid window"));
  EXPECT_TRUE(Has(w, "13: rule 'one_day' can never match: its valid window"));
  EXPECT_FALSE(Has(w, "'fits' can never"));
  // Its date tests contradict each other without the window: the checker's warning only.
  EXPECT_TRUE(Has(w, "rule 'own' can never match: contradictory conditions on 'date'"));
  EXPECT_FALSE(Has(w, "'own' can never match: its valid window"));
  EXPECT_TRUE(Has(w,
                  "16: rule 'excluded' can never match: every code of hs in [0302, 0303] is "
                  "excluded by hs not in [03]"));
  EXPECT_FALSE(Has(w, "'partly' can never"));
  EXPECT_TRUE(Has(w,
                  "18: rule 'both_ways' can never match: enterprise in watched and "
                  "enterprise not in watched exclude each other"));
  EXPECT_FALSE(Has(w, "'two_lists' can never"));
}

TEST(AnalysisTest, DifferentListsAreNotTheSameTest) {
  // Two lists of one type hold different entries: neither rule covers the other.
  auto w = Warnings(std::string(kHeader) +
                    "list a of enterprise\n"
                    "list b of enterprise\n"
                    "rule in_a when enterprise in a then rate 10%\n"
                    "rule in_b when enterprise in b then rate 5%\n"
                    "rule in_a_again when enterprise in a and value > 1 then rate 5%\n");
  EXPECT_FALSE(Has(w, "'in_b' can never")) << ::testing::PrintToString(w);
  EXPECT_TRUE(Has(w, "12: rule 'in_a_again' can never win: rule 'in_a' (line 10)"));
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

// The entries of the lists a generated ruleset declares (bound when it is compiled).
struct GeneratedLists {
  std::map<std::string, std::vector<std::string>> entries;
};

std::string RandomRuleset(std::mt19937_64& rng, GeneratedLists* lists) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::string text =
      "ruleset \"r\" version 1\n"
      "grade a factor " +
      pick({"0", "0.2", "0.5"}) +
      "\n"
      "grade b factor 1.0\n"
      "grade c factor " +
      pick({"1.0", "1.5"}) +
      " floor 80%\n"
      "unknown enterprise grade b\n"
      "baseline " +
      pick({"0%", "1%", "5%"}) +
      "\n"
      "commodity s1 = hs 01\ncommodity s2 = hs 0101..0102\ncommodity s3 = hs 02\n"
      "commodity s4 = hs 85\ncommodity s5 = hs 8504..8505\n"
      // SPEC §7: lists of every type (two of one type), each bound to a random subset of
      // the domain's values below, and sometimes the compliance sample.
      "list le of enterprise\nlist le2 of enterprise\nlist lc of country\n"
      "list lp of port\nlist lh of hs\n";
  if (rng() % 2 == 0) text += "sample " + pick({"1%", "50%", "100%"}) + "\n";
  const std::map<std::string, std::vector<std::string>> domains = {
      {"le", {"E1", "E2"}},
      {"le2", {"E1", "E2"}},
      {"lc", {"CN", "NO", "JP"}},
      {"lp", {"0000", "1111"}},
      {"lh", {"01", "0101", "85", "850440", "0201"}}};
  for (const auto& [name, values] : domains) {
    std::vector<std::string>& bound = lists->entries[name];
    for (const std::string& v : values) {
      if (rng() % 2 == 0) bound.push_back(v);
    }
  }
  // le2 holds what le does not: two lists of one type are not the same test.
  lists->entries["le2"].clear();
  for (const char* e : {"E1", "E2"}) {
    const auto& le = lists->entries["le"];
    if (std::find(le.begin(), le.end(), e) == le.end()) lists->entries["le2"].push_back(e);
  }
  const std::vector<std::string> atoms = {
      "commodity in s1", "commodity in s2", "commodity in s3", "commodity in s4", "commodity in s5",
      "hs in [01]", "hs in [0101]", "hs in [85]", "hs in [8504]", "hs not in [0101]",
      "hs not in [01, 02]", "origin = CN", "origin in [CN, NO]", "origin != NO",
      "origin not in [CN, JP]", "value > 100", "value >= 1000", "value < 1000", "value = 100",
      "value <= 100", "direction = import", "grade = a", "grade in [a, c]",
      "enterprise.flags has \"f\"", "date >= 2021-06-01", "date < 2021-03-01", "date >= 2022-01-01",
      "date = 2021-03-01", "date != 2021-03-01", "(origin = JP or value > 100)", "not hs in [85]",
      // SPEC §7 conditions.
      "enterprise in le", "enterprise in le2", "enterprise not in le", "enterprise = \"E1\"",
      "enterprise in [\"E1\", \"E2\"]", "enterprise != \"E2\"", "origin in lc", "origin not in lc",
      "trade_country in lc", "port in lp", "hs in lh", "hs not in lh", "unit_value < 1",
      "unit_value <= 1", "unit_value >= 10", "unit_value > 9.99", "unit_value = 1",
      "not unit_value < 1", "(unit_value < 1 or enterprise in le)"};
  // Tests that look alike but are not the same test (two lists of one type, a list and a
  // literal list, < and <=, in and not in).
  static const std::map<std::string, std::string> kNear = {
      {"enterprise in le", "enterprise in le2"},
      {"enterprise in le2", "enterprise in le"},
      {"origin in lc", "trade_country in lc"},
      {"hs in lh", "hs in [01]"},
      {"hs in [01]", "hs in lh"},
      {"unit_value < 1", "unit_value <= 1"},
      {"unit_value <= 1", "not unit_value < 1"},
      {"enterprise = \"E1\"", "enterprise in le"},
      {"origin in lc", "origin not in lc"},
      {"value > 100", "unit_value > 9.99"},
      {"date >= 2021-06-01", "date >= 2022-01-01"}};
  std::vector<std::vector<std::string>> conjunctions;
  const int rules = 5 + static_cast<int>(rng() % 6);
  for (int i = 0; i < rules; ++i) {
    text += "rule r" + std::to_string(i);
    if (rng() % 3 == 0) {
      text += pick({" valid 2021-01-01..2021-12-31", " valid 2021-03-01..2021-06-30",
                    " valid 2021-03-01..2021-03-01"});
    }
    text += " when ";
    std::vector<std::string> conjunction;
    if (i > 0 && rng() % 3 == 0) {
      // A near copy of an earlier rule (one more test, or one test swapped for a close one),
      // so that rules which cover each other, or almost do, come often.
      conjunction = conjunctions[rng() % conjunctions.size()];
      std::string& atom = conjunction[rng() % conjunction.size()];
      if (auto near = kNear.find(atom); near != kNear.end() && rng() % 2 == 0) {
        atom = near->second;
      } else {
        conjunction.push_back(pick(atoms));
      }
    } else {
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) conjunction.push_back(pick(atoms));
    }
    for (size_t k = 0; k < conjunction.size(); ++k) text += (k ? " and " : "") + conjunction[k];
    conjunctions.push_back(std::move(conjunction));
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
  const std::vector<std::string> hs = {"010121", "010221", "010321", "020110",
                                       "850440", "850511", "850610", "999999"};
  const std::vector<std::string> origins = {"CN", "NO", "JP"};
  const std::vector<int64_t> values = {0, 99, 100, 101, 999, 1000, 1001};
  // With weight 100 the values give unit values 0, 0.99, 1, 1.01, 9.99, 10, 10.01; with
  // weight 0 every unit_value comparison is false (SPEC §7.2).
  const std::vector<int64_t> weights = {0, 100};
  const std::vector<std::string> enterprises = {"E1", "E2", "E3"};
  std::vector<DayNumber> dates;
  for (const char* d :
       {"2020-12-31", "2021-01-01", "2021-02-28", "2021-03-01", "2021-03-02", "2021-05-31",
        "2021-06-01", "2021-06-30", "2021-07-01", "2021-12-31", "2022-01-01"}) {
    dates.push_back(*ParseIsoDate(d));
  }
  int warned_match = 0, warned_win = 0, warned_unreachable = 0, rulesets_with_warnings = 0;
  int v2_warned = 0;  // warned rules whose condition reads a §7 field or list
  for (int round = 0; round < 150; ++round) {
    GeneratedLists generated;
    const std::string text = RandomRuleset(rng, &generated);
    CompileResult compiled = Compile(text, "r.rules");
    ASSERT_TRUE(compiled.ruleset.has_value()) << text;
    std::set<std::string> never_match, never_win, held;
    for (const Diagnostic& d : compiled.diagnostics) {
      auto name = [&] {
        size_t a = d.message.find('\'') + 1;
        return d.message.substr(a, d.message.find('\'', a) - a);
      };
      if (d.message.find("can never match") != std::string::npos) never_match.insert(name());
      if (d.message.find("can never win") != std::string::npos) never_win.insert(name());
      if (d.message.find("is unreachable") != std::string::npos) {
        never_win.insert(name());
        // A rate rule behind a hold: every declaration it matches is held.
        if (d.message.find("is held") != std::string::npos) held.insert(name());
        ++warned_unreachable;
      }
    }
    if (never_match.empty() && never_win.empty()) continue;
    ++rulesets_with_warnings;
    warned_match += static_cast<int>(never_match.size());
    warned_win += static_cast<int>(never_win.size());
    for (const ir::Rule& rule : compiled.ruleset->rules) {
      if (!never_match.count(rule.name) && !never_win.count(rule.name)) continue;
      const std::string line = text.substr(text.find("rule " + rule.name + " "));
      const std::string cond = line.substr(0, line.find('\n'));
      for (const char* v2 : {"enterprise ", "enterprise in", " in l", "unit_value"}) {
        if (cond.find(v2) != std::string::npos) {
          ++v2_warned;
          break;
        }
      }
    }
    engine::ListBindings bindings;
    for (const auto& [name, entries] : generated.entries) {
      auto version = std::make_shared<engine::ListVersion>(name + "-version");
      for (const std::string& e : entries) version->Add(e);
      bindings.emplace(name, std::move(version));
    }
    auto ruleset = engine::CompileRuleset(*compiled.ruleset, std::move(bindings));
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
    d.present =
        kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight | kHasTwoStep;
    d.trade_country = "CN";
    for (const std::string& code : hs) {
      d.hs = code;
      for (size_t o = 0; o < origins.size(); ++o) {
        d.origin = origins[o];
        // Enterprise ids and ports vary with the origin (the domain stays small).
        d.enterprise = enterprises[o];
        d.port = o == 1 ? "1111" : "0000";
        for (int64_t value : values) {
          d.value = ExactDecimal::FromInteger(value);
          for (size_t wd = 0; wd < 2 * weights.size(); ++wd) {  // weight x direction
            d.weight = ExactDecimal::FromInteger(weights[wd / 2]);
            d.direction = wd % 2 == 0 ? Direction::kImport : Direction::kExport;
            for (DayNumber date : dates) {
              d.date = date;
              for (const auto& profile : profiles) {
                auto decided = engine::Decide(*ruleset, key, d, profile ? &*profile : nullptr);
                ASSERT_TRUE(decided.ok());
                for (auto m : decided->MatchedNames()) {
                  ASSERT_EQ(never_match.count(std::string(m)), 0u)
                      << "warned rule " << m << " matched\n"
                      << text;
                }
                ASSERT_EQ(never_win.count(std::string(decided->RuleName())), 0u)
                    << "warned rule " << decided->RuleName() << " won\n"
                    << text;
                for (auto m : decided->MatchedNames()) {
                  ASSERT_TRUE(held.count(std::string(m)) == 0 || decided->outcome == Outcome::kHold)
                      << "rule " << m << " warned as held matched a declaration that was not held\n"
                      << text;
                }
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
  EXPECT_GE(warned_unreachable, 5);
  EXPECT_GE(v2_warned, 10);
}

}  // namespace
}  // namespace bukong::dsl
