// The compiler's output: the SPEC §1 example lowers to the IR that dsl/ir.h documents, and
// each language form lowers as documented.
#include "dsl/compiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/dates.h"
#include "core/sha256.h"
#include "tests/testing/spec_example.h"

namespace bukong::dsl {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Kind = ir::Condition::Kind;

using ::bukong::testing::kSpecExample;

constexpr __int128 kScale = ir::Decimal::kScale;

std::string Header() {
  return "ruleset \"t\" version 1\ngrade general\nunknown enterprise grade general\n"
         "baseline 1%\n";
}

// Compiles one rule `rule r when COND then ACTION` and returns it (asserting no errors).
ir::Rule OneRule(const std::string& text) {
  CompileResult result = Compile(Header() + text, "t.rules");
  EXPECT_FALSE(result.HasErrors())
      << (result.diagnostics.empty() ? std::string() : result.diagnostics[0].message);
  if (!result.ruleset || result.ruleset->rules.empty()) return {};
  return result.ruleset->rules[0];
}

TEST(SpecExample, CompilesWithoutDiagnostics) {
  CompileResult result = Compile(kSpecExample, "zhejiang.rules");
  EXPECT_THAT(result.diagnostics, IsEmpty());
  ASSERT_TRUE(result.ruleset.has_value());
  const ir::Ruleset& rs = *result.ruleset;
  EXPECT_EQ(rs.name, "zhejiang-aeo");
  EXPECT_EQ(rs.version, 3);
  EXPECT_EQ(rs.Id(), "zhejiang-aeo@3");
  EXPECT_EQ(rs.source_name, "zhejiang.rules");
  EXPECT_EQ(rs.source_sha256, Sha256Hex(kSpecExample));
}

TEST(SpecExample, Grades) {
  ir::Ruleset rs = *Compile(kSpecExample, "x").ruleset;
  ASSERT_EQ(rs.grades.size(), 4u);
  EXPECT_EQ(rs.grades[0].name, "advanced");
  EXPECT_EQ(rs.grades[0].label, "高级认证企业");
  EXPECT_EQ(rs.grades[0].factor, 200'000);
  EXPECT_EQ(rs.grades[1].factor, 500'000);
  EXPECT_EQ(rs.grades[2].name, "general");
  EXPECT_EQ(rs.grades[2].factor, 1'000'000);
  EXPECT_EQ(rs.grades[3].name, "dishonest");
  EXPECT_EQ(rs.grades[3].factor, 1'000'000);
  EXPECT_EQ(rs.grades[3].floor, 800'000);
  EXPECT_FALSE(rs.grades[3].ceiling.has_value());
  EXPECT_FALSE(rs.grades[0].floor.has_value());
  EXPECT_EQ(rs.grades[0].line, 3u);
  EXPECT_EQ(rs.grades[3].line, 6u);
  EXPECT_EQ(rs.unknown_grade, 2u);
  EXPECT_EQ(rs.reference_grade, 2u);  // general: the first with factor exactly 1.0
}

TEST(SpecExample, BaselineAndCommoditySets) {
  ir::Ruleset rs = *Compile(kSpecExample, "x").ruleset;
  EXPECT_EQ(rs.baseline.rate, 30'000);
  EXPECT_EQ(rs.baseline.port_share, 500'000);
  EXPECT_EQ(rs.baseline.nii_share, 600'000);
  EXPECT_FALSE(rs.baseline.fixed);
  EXPECT_FALSE(rs.baseline.hold);
  ASSERT_EQ(rs.commodity_sets.size(), 3u);
  EXPECT_EQ(rs.commodity_sets[0].name, "cold_chain");
  EXPECT_THAT(rs.commodity_sets[0].ranges,
              ElementsAre(ir::HsRange{"02", "02"}, ir::HsRange{"0302", "0308"},
                          ir::HsRange{"1601", "1602"}));
  EXPECT_THAT(rs.commodity_sets[1].ranges,
              ElementsAre(ir::HsRange{"850440", "850440"}, ir::HsRange{"8516", "8516"},
                          ir::HsRange{"852872", "852872"}));
  EXPECT_EQ(rs.commodity_sets[2].line, 13u);
}

TEST(SpecExample, Rules) {
  ir::Ruleset rs = *Compile(kSpecExample, "x").ruleset;
  ASSERT_EQ(rs.rules.size(), 6u);
  std::vector<std::string> names;
  for (const auto& rule : rs.rules) names.push_back(rule.name);
  EXPECT_THAT(names, ElementsAre("cold_chain_port", "ccc_destination", "hazardous_chem",
                                 "repeat_offender", "young_enterprise", "watchlist"));

  const ir::Rule& cold = rs.rules[0];
  EXPECT_EQ(cold.description, "进口冷链食品口岸查验");
  EXPECT_EQ(cold.line, 15u);
  EXPECT_EQ(cold.then.rate, 100'000);
  EXPECT_EQ(cold.then.port_share, 1'000'000);
  EXPECT_EQ(cold.then.nii_share, 0);
  EXPECT_FALSE(cold.then.fixed);
  EXPECT_FALSE(cold.valid_from.has_value());
  ASSERT_EQ(cold.when.kind, Kind::kAnd);
  ASSERT_EQ(cold.when.children.size(), 2u);
  EXPECT_EQ(cold.when.children[0].kind, Kind::kSymbolIn);
  EXPECT_EQ(cold.when.children[0].field, ir::Field::kDirection);
  EXPECT_THAT(cold.when.children[0].symbols, ElementsAre("import"));
  EXPECT_FALSE(cold.when.children[0].negated);
  const ir::Condition& in_set = cold.when.children[1];
  EXPECT_EQ(in_set.kind, Kind::kHsIn);
  EXPECT_EQ(in_set.field, ir::Field::kHs);
  EXPECT_EQ(in_set.commodity_set, "cold_chain");
  EXPECT_THAT(in_set.hs_ranges, ElementsAre(ir::HsRange{"02", "02"}, ir::HsRange{"0302", "0308"},
                                            ir::HsRange{"1601", "1602"}));

  const ir::Rule& ccc = rs.rules[1];
  EXPECT_EQ(ccc.then.rate, 40'000);
  EXPECT_EQ(ccc.then.port_share, 0);  // at destination 100%
  EXPECT_EQ(ccc.when.children[1].kind, Kind::kCompareBool);
  EXPECT_EQ(ccc.when.children[1].field, ir::Field::kTwoStep);
  EXPECT_TRUE(ccc.when.children[1].boolean);

  const ir::Rule& hazardous = rs.rules[2];
  EXPECT_EQ(hazardous.valid_from, DaysFromCivil(2021, 4, 1));
  EXPECT_EQ(hazardous.valid_to, DaysFromCivil(2021, 12, 31));
  EXPECT_EQ(hazardous.then.rate, 150'000);
  EXPECT_EQ(hazardous.then.port_share, 600'000);
  EXPECT_EQ(hazardous.then.nii_share, 700'000);
  const ir::Condition& origin = hazardous.when.children[1];
  EXPECT_EQ(origin.kind, Kind::kSymbolIn);
  EXPECT_EQ(origin.field, ir::Field::kOrigin);
  EXPECT_TRUE(origin.negated);
  EXPECT_THAT(origin.symbols, ElementsAre("KP", "IR"));

  const ir::Rule& repeat = rs.rules[3];
  EXPECT_EQ(repeat.then.rate, 500'000);
  EXPECT_TRUE(repeat.then.fixed);
  ASSERT_EQ(repeat.when.kind, Kind::kOr);
  EXPECT_EQ(repeat.when.children[0].kind, Kind::kCompareNumber);
  EXPECT_EQ(repeat.when.children[0].field, ir::Field::kHits);
  EXPECT_EQ(repeat.when.children[0].op, ir::CompareOp::kGe);
  EXPECT_EQ(repeat.when.children[0].number.scaled, 2 * kScale);
  EXPECT_EQ(repeat.when.children[1].field, ir::Field::kHitRate);
  EXPECT_EQ(repeat.when.children[1].op, ir::CompareOp::kGt);
  EXPECT_EQ(repeat.when.children[1].number.scaled, kScale / 5);  // 20% is 0.2

  const ir::Rule& young = rs.rules[4];
  EXPECT_EQ(young.then.rate, 80'000);
  EXPECT_EQ(young.when.children[0].field, ir::Field::kAgeDays);
  EXPECT_EQ(young.when.children[0].op, ir::CompareOp::kLt);
  EXPECT_EQ(young.when.children[0].number.scaled, 180 * kScale);
  EXPECT_EQ(young.when.children[1].field, ir::Field::kValue);
  EXPECT_EQ(young.when.children[1].number.scaled, 100'000 * kScale);

  const ir::Rule& watch = rs.rules[5];
  EXPECT_TRUE(watch.then.hold);
  EXPECT_EQ(watch.then.hold_reason, "referred to anti-smuggling");
  EXPECT_EQ(watch.when.kind, Kind::kFlagHas);
  EXPECT_EQ(watch.when.flag, "smuggling_watch");
}

TEST(SpecExample, FieldsRead) {
  ir::Ruleset rs = *Compile(kSpecExample, "x").ruleset;
  using F = ir::Field;
  for (F f : {F::kDirection, F::kHs, F::kOrigin, F::kTwoStep, F::kValue, F::kFlags, F::kAgeDays,
              F::kHits, F::kHitRate}) {
    EXPECT_TRUE(rs.Reads(f)) << ir::FieldName(f);
  }
  for (F f :
       {F::kTradeCountry, F::kPort, F::kMode, F::kWeight, F::kDate, F::kGrade, F::kInspections}) {
    EXPECT_FALSE(rs.Reads(f)) << ir::FieldName(f);
  }
}

TEST(Lowering, SplitsAndMethods) {
  ir::Rule r = OneRule("rule r when value > 1 then rate 5% at destination 30% method nii\n");
  EXPECT_EQ(r.then.port_share, 700'000);   // the remainder
  EXPECT_EQ(r.then.nii_share, 1'000'000);  // bare `method nii` is 100%
  r = OneRule("rule r when value > 1 then rate 0.0001% fixed method nii 12.5% at port 25%\n");
  EXPECT_EQ(r.then.rate, 1);
  EXPECT_EQ(r.then.port_share, 250'000);
  EXPECT_EQ(r.then.nii_share, 125'000);
  EXPECT_TRUE(r.then.fixed);
  r = OneRule("rule r when value > 1 then rate 100%\n");
  EXPECT_EQ(r.then.rate, 1'000'000);
  EXPECT_EQ(r.then.port_share, 1'000'000);  // default split
  EXPECT_EQ(r.then.nii_share, 0);           // default method: manual
}

TEST(Lowering, NotChainsFoldToParity) {
  ir::Rule r = OneRule("rule r when not not not value > 1 then rate 1%\n");
  ASSERT_EQ(r.when.kind, Kind::kNot);
  EXPECT_EQ(r.when.children[0].kind, Kind::kCompareNumber);
  r = OneRule("rule r when not not value > 1 then rate 1%\n");
  EXPECT_EQ(r.when.kind, Kind::kCompareNumber);
}

TEST(Lowering, PrecedenceNotAndOr) {
  // not a or b and c  ==  (not a) or (b and c)
  ir::Rule r =
      OneRule("rule r when not value > 1 or weight > 2 and two_step = true then rate 1%\n");
  ASSERT_EQ(r.when.kind, Kind::kOr);
  ASSERT_EQ(r.when.children.size(), 2u);
  EXPECT_EQ(r.when.children[0].kind, Kind::kNot);
  EXPECT_EQ(r.when.children[1].kind, Kind::kAnd);
  r = OneRule("rule r when (value > 1 or weight > 2) and two_step = true then rate 1%\n");
  ASSERT_EQ(r.when.kind, Kind::kAnd);
  EXPECT_EQ(r.when.children[0].kind, Kind::kOr);
}

TEST(Lowering, NumbersAndLists) {
  ir::Rule r = OneRule("rule r when value in [1, 2.5] then rate 1%\n");
  ASSERT_EQ(r.when.kind, Kind::kOr);
  EXPECT_EQ(r.when.children[1].number.scaled, 25 * kScale / 10);
  r = OneRule("rule r when weight not in [-1_000.000_001] then rate 1%\n");
  ASSERT_EQ(r.when.kind, Kind::kNot);
  EXPECT_EQ(r.when.children[0].number.scaled, -(1000 * kScale + kScale / 1'000'000));
  r = OneRule("rule r when date >= 2021-06-01 then rate 1%\n");
  EXPECT_EQ(r.when.kind, Kind::kCompareDate);
  EXPECT_EQ(r.when.day, DaysFromCivil(2021, 6, 1));
}

TEST(Lowering, SymbolsAndHs) {
  ir::Rule r = OneRule(
      "rule r when port != \"3100\" and grade in [general, \"general\"] and mode = \"sea\" and "
      "hs not in [8504.40, 0302..0308] then rate 1%\n");
  ASSERT_EQ(r.when.children.size(), 4u);
  EXPECT_TRUE(r.when.children[0].negated);
  EXPECT_THAT(r.when.children[0].symbols, ElementsAre("3100"));
  EXPECT_THAT(r.when.children[1].symbols, ElementsAre("general", "general"));
  EXPECT_THAT(r.when.children[2].symbols, ElementsAre("sea"));
  EXPECT_TRUE(r.when.children[3].negated);
  EXPECT_EQ(r.when.children[3].commodity_set, "");
  EXPECT_THAT(r.when.children[3].hs_ranges,
              ElementsAre(ir::HsRange{"850440", "850440"}, ir::HsRange{"0302", "0308"}));
}

TEST(Lowering, MissingBaselineIsZeroWithWarning) {
  CompileResult result =
      Compile("ruleset \"t\" version 1\ngrade g\nunknown enterprise grade g\n", "t.rules");
  ASSERT_TRUE(result.ruleset.has_value());
  EXPECT_EQ(result.ruleset->baseline.rate, 0);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(result.WarningCount(), 1);
  EXPECT_EQ(result.ErrorCount(), 0);
}

TEST(Lowering, ErrorsMeanNoRuleset) {
  CompileResult result = Compile(Header() + "rule r when value > \"x\" then rate 1%\n", "t");
  EXPECT_FALSE(result.ruleset.has_value());
  EXPECT_EQ(result.ErrorCount(), 1);
  EXPECT_EQ(result.diagnostics[0].line, 5u);
  EXPECT_EQ(result.diagnostics[0].column, 21u);
}

TEST(Lowering, DiagnosticsAreInSourceOrder) {
  // Pass 1 (grades, sets) and pass 2 (rules) report out of order; the result is sorted.
  CompileResult result = Compile(
      Header() + "rule r when valeu > 1 then rate 1%\ngrade general\ncommodity s = hs 1\n", "t");
  ASSERT_EQ(result.diagnostics.size(), 3u);
  for (size_t i = 1; i < result.diagnostics.size(); ++i) {
    EXPECT_LT(result.diagnostics[i - 1].line, result.diagnostics[i].line);
  }
}

TEST(Compile, IsSafeFromManyThreads) {
  // Compile is a pure function (the grammar's tables are read-only after start-up).
  const std::string bad = std::string(kSpecExample) + "rule x when valeu > 1 then rate 1%\n";
  std::vector<std::thread> threads;
  std::vector<int> good_rules(4, -1), bad_errors(4, -1);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        CompileResult good = Compile(kSpecExample, "a");
        CompileResult broken = Compile(bad, "b");
        good_rules[t] = good.ruleset ? static_cast<int>(good.ruleset->rules.size()) : 0;
        bad_errors[t] = broken.ErrorCount();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(good_rules[t], 6);
    EXPECT_EQ(bad_errors[t], 1);
  }
}

}  // namespace
}  // namespace bukong::dsl
