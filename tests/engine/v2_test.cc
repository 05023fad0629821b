// SPEC §7 in the engine: lists bound at compile time, unit_value compared exactly, the random
// compliance sample, and the decision line's v2 fields. The hand-made cases state what the
// contract says; the differential cases compare the engine with the reference evaluator
// (tests/engine/reference.h) on generated v2 rulesets, lists and traffic.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "core/sha256.h"
#include "dsl/compiler.h"
#include "engine/engine.h"
#include "gen/declarations.h"
#include "gen/lists.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"
#include "ingest/list_reader.h"
#include "tests/engine/reference.h"
#include "tests/engine/generated_traffic.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kHeader =
    "ruleset \"v2\" version 1\n"
    "grade advanced factor 0.2\n"
    "grade general factor 1.0\n"
    "grade dishonest floor 80%\n"
    "unknown enterprise grade general\n"
    "baseline 1%\n";

ir::Ruleset Ir(std::string_view body) {
  const std::string text = std::string(kHeader) + std::string(body);
  dsl::CompileResult r = dsl::Compile(text, "v2.rules");
  for (const auto& d : r.diagnostics)
    ADD_FAILURE() << dsl::FormatDiagnostic("v2.rules", text, d);
  EXPECT_TRUE(r.ruleset.has_value());
  return r.ruleset ? *std::move(r.ruleset) : ir::Ruleset();
}

std::shared_ptr<const ListVersion> Version(std::vector<std::string> entries) {
  std::sort(entries.begin(), entries.end());
  std::string text;
  for (const auto& e : entries) text += e + "\n";
  auto v = std::make_shared<ListVersion>(Sha256Hex(text));
  for (const auto& e : entries) v->Add(e);
  return v;
}

std::shared_ptr<const CompiledRuleset> Compile(ir::Ruleset rs, ListBindings lists = {}) {
  auto c = CompileRuleset(std::move(rs), std::move(lists));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : nullptr;
}

std::vector<std::string> Matched(const std::shared_ptr<const CompiledRuleset>& c,
                                 const Declaration& d) {
  auto decision = Decide(c, TestKey(), d, nullptr);
  EXPECT_TRUE(decision.ok()) << decision.status();
  std::vector<std::string> out;
  if (decision.ok())
    for (auto n : decision->MatchedNames()) out.emplace_back(n);
  return out;
}

Declaration WithAmounts(std::string_view value, std::string_view weight) {
  Declaration d = MakeDeclaration("D1");
  d.value = Exact(value);
  d.weight = Exact(weight);
  return d;
}

// ---- unit_value (SPEC §7.2) -------------------------------------------------------------

TEST(UnitValueTest, ComparesValuePerKgExactlyWithZeroAndNegativeWeights) {
  auto c = Compile(Ir("rule below when unit_value < 1.2 then rate 5%\n"
                      "rule exactly when unit_value = 1.2 then rate 5%\n"
                      "rule not_below when not (unit_value < 1.2) then rate 5%\n"));
  using V = std::vector<std::string>;
  EXPECT_EQ(Matched(c, WithAmounts("12", "10")), (V{"exactly", "not_below"}));
  EXPECT_EQ(Matched(c, WithAmounts("11.99", "10")), (V{"below"}));
  EXPECT_EQ(Matched(c, WithAmounts("12.000000000000000001", "10")), (V{"not_below"}));
  // 1 / 3 is below 1.2 although no decimal writes it; 0.3333... / 0.25 is above.
  EXPECT_EQ(Matched(c, WithAmounts("1", "3")), (V{"below"}));
  // Zero weight: every comparison is false, so only the negation holds.
  EXPECT_EQ(Matched(c, WithAmounts("100", "0")), (V{"not_below"}));
  EXPECT_EQ(Matched(c, WithAmounts("0", "0")), (V{"not_below"}));
  // Negative weights: the quotient's sign decides (10 / -5 = -2 < 1.2; -10 / -5 = 2).
  EXPECT_EQ(Matched(c, WithAmounts("10", "-5")), (V{"below"}));
  EXPECT_EQ(Matched(c, WithAmounts("-10", "-5")), (V{"not_below"}));
  EXPECT_EQ(Matched(c, WithAmounts("-6", "-5")), (V{"exactly", "not_below"}));
}

TEST(UnitValueTest, ReadsValueAndWeight) {
  auto c = Compile(Ir("rule r when unit_value >= 2 then rate 5%\n"));
  EXPECT_TRUE(c->Reads(ir::Field::kValue));
  EXPECT_TRUE(c->Reads(ir::Field::kWeight));
  Declaration d = MakeDeclaration("D1");
  d.present &= ~kHasWeight;
  EXPECT_FALSE(Decide(c, TestKey(), d, nullptr).ok());
}

// The engine's 256-bit products against the reference's base-10^9 ones, over random values,
// weights and literals from tiny to 10^18, both signs, and zero.
TEST(UnitValueTest, AgreesWithTheReferenceOnRandomAmounts) {
  std::mt19937_64 rng(12);
  auto amount = [&]() -> std::string {
    const int kind = static_cast<int>(rng() % 6);
    if (kind == 0) return "0";
    std::string digits = std::to_string(rng() % 1'000'000'000'000'000'000ULL);
    const int decimals = static_cast<int>(rng() % 19);
    std::string text;
    if (static_cast<int>(digits.size()) <= decimals) {
      text = "0." + std::string(decimals - digits.size(), '0') + digits;
    } else {
      text = digits.substr(0, digits.size() - decimals);
      if (decimals > 0) text += "." + digits.substr(digits.size() - decimals);
    }
    return (rng() % 3 == 0 ? "-" : "") + text;
  };
  int holds = 0;
  for (int round = 0; round < 300; ++round) {
    const std::string literal = amount();
    const char* ops[] = {"<", "<=", ">", ">=", "=", "!="};
    const char* op = ops[rng() % 6];
    ir::Ruleset rs = Ir(fmt::format("rule r when unit_value {} {} then rate 5%\n", op, literal));
    auto c = Compile(rs);
    const ReferenceEvaluator reference(rs, TestKey());
    for (int i = 0; i < 50; ++i) {
      Declaration d = WithAmounts(amount(), rng() % 4 == 0 ? amount() : "1");
      if (i % 7 == 0) d.weight = d.value;  // quotient exactly 1
      const RefDecision expected = reference.Decide(d, nullptr);
      ASSERT_EQ(FromEngine(Decide(c, TestKey(), d, nullptr)), expected)
          << "unit_value " << op << " " << literal;
      holds += !expected.matched.empty();
    }
  }
  EXPECT_GT(holds, 1000);
  EXPECT_LT(holds, 14000);
}

// ---- Lists (SPEC §7.1) --------------------------------------------------------------------

constexpr std::string_view kListRules =
    "list watched of enterprise\n"
    "list sanctioned of country\n"
    "list ports of port\n"
    "list dual_use of hs\n"
    "rule w when enterprise in watched then rate 30%\n"
    "rule not_w when enterprise not in watched then rate 2%\n"
    "rule s when origin in sanctioned or trade_country in sanctioned then hold \"sanctions\"\n"
    "rule p when port in ports then rate 3%\n"
    "rule h when hs in dual_use then rate 20%\n"
    "rule not_h when hs not in dual_use then rate 1%\n";

ListBindings Bindings(std::vector<std::string> watched, std::vector<std::string> countries,
                      std::vector<std::string> ports, std::vector<std::string> hs) {
  return {{"watched", Version(std::move(watched))},
          {"sanctioned", Version(std::move(countries))},
          {"ports", Version(std::move(ports))},
          {"dual_use", Version(std::move(hs))}};
}

TEST(ListsTest, LookupsUseTheBoundVersions) {
  const ir::Ruleset rs = Ir(kListRules);
  using V = std::vector<std::string>;
  Declaration d = MakeDeclaration("D1", "8471300000");  // enterprise 91330200MA2AAAAA1X, NO
  auto none = Compile(rs, Bindings({}, {}, {}, {}));    // empty lists match nothing
  EXPECT_EQ(Matched(none, d), (V{"not_w", "not_h"}));
  auto some = Compile(rs, Bindings({"91330200MA2AAAAA1X", "OTHER"}, {"KP", "NO"}, {"3100"},
                                   {"84", "847130"}));
  EXPECT_EQ(Matched(some, d), (V{"w", "s", "p", "h"}));
  // An hs entry matches by prefix, never when longer than the declared code.
  d.hs = "847150";
  EXPECT_EQ(Matched(some, d), (V{"w", "s", "p", "h"}));
  auto long_entry = Compile(rs, Bindings({}, {}, {}, {"8471300000"}));
  d.hs = "847130";
  EXPECT_EQ(Matched(long_entry, d), (V{"not_w", "not_h"}));
  d.origin = "KP";
  d.trade_country = "NO";
  EXPECT_EQ(Matched(Compile(rs, Bindings({}, {"KP"}, {}, {})), d), (V{"not_w", "s", "not_h"}));
}

TEST(ListsTest, LiteralEnterpriseComparisons) {
  auto c = Compile(Ir("rule one when enterprise = \"91330200MA2AAAAA1X\" then rate 5%\n"
                      "rule other when enterprise != \"X\" and enterprise in [\"A\", \"B\"] "
                      "then rate 5%\n"));
  using V = std::vector<std::string>;
  Declaration d = MakeDeclaration("D1");
  EXPECT_EQ(Matched(c, d), (V{"one"}));
  d.enterprise = "B";
  EXPECT_EQ(Matched(c, d), (V{"other"}));
}

TEST(ListsTest, EveryDeclaredListMustBeBoundAndNothingElse) {
  const ir::Ruleset rs = Ir(kListRules);
  ListBindings three = Bindings({}, {}, {}, {});
  three.erase("ports");
  auto missing = CompileRuleset(rs, three);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("ports"));
  ListBindings extra = Bindings({}, {}, {}, {});
  extra.emplace("other", Version({}));
  EXPECT_FALSE(CompileRuleset(rs, extra).ok());
  EXPECT_FALSE(CompileRuleset(rs).ok());
}

TEST(ListsTest, DecisionLineNamesEachBoundVersionInDeclarationOrder) {
  auto c = Compile(Ir(kListRules), Bindings({"E"}, {"KP"}, {"3100"}, {"84"}));
  const std::string json = DecisionToJson(*Decide(c, TestKey(), MakeDeclaration("D1"), nullptr));
  const std::string expected = fmt::format(
      ",\"lists\":{{\"watched\":\"{}\",\"sanctioned\":\"{}\",\"ports\":\"{}\",\"dual_use\":\"{}\"}}"
      ",\"ruleset\":",
      Sha256Hex("E\n").substr(0, 16), Sha256Hex("KP\n").substr(0, 16),
      Sha256Hex("3100\n").substr(0, 16), Sha256Hex("84\n").substr(0, 16));
  EXPECT_THAT(json, HasSubstr(expected));
  // Rebinding is compiling again: the same IR under another version decides anew.
  EXPECT_EQ(c->lists().at("watched")->digest(), Sha256Hex("E\n"));
}

// ---- The random compliance sample (SPEC §7.3) ------------------------------------------

TEST(SampleTest, ThreeOutcomePathsAndHoldsAgreeWithTheReference) {
  const ir::Ruleset rs = Ir(
      "sample 30% at port 40% destination 60% method nii 25%\n"
      "rule stop when value > 1_000_000 then hold \"value\"\n"
      "rule big when value > 100_000 then rate 20% at destination 100% method manual\n");
  auto c = Compile(rs);
  const ReferenceEvaluator reference(rs, TestKey());
  int by_risk = 0, by_sample = 0, released = 0, held_sampled = 0, held = 0;
  const Profile profiles[] = {MakeProfile("advanced"), MakeProfile("general"),
                              MakeProfile("dishonest")};
  for (int i = 0; i < 6000; ++i) {
    Declaration d = MakeDeclaration(fmt::format("S{}", i));
    d.value = Exact(i % 10 == 0 ? "2000000" : i % 2 == 0 ? "150000" : "50");
    const Profile* p = &profiles[i % 3];
    const RefDecision expected = reference.Decide(d, p);
    auto decision = Decide(c, TestKey(), d, p);
    ASSERT_EQ(FromEngine(decision), expected) << i;
    ASSERT_TRUE(expected.sampled.has_value());
    ASSERT_TRUE(expected.sample_draw.has_value());
    const std::string json = DecisionToJson(*decision);
    EXPECT_THAT(json, HasSubstr(*expected.sampled ? "\"sampled\":true" : "\"sampled\":false"));
    if (expected.outcome == "inspect") {
      (expected.selected_by == "sample" ? by_sample : by_risk)++;
      EXPECT_THAT(json, HasSubstr("\"selected_by\":\"" + expected.selected_by + "\""));
      // rate_ppm and rule still describe risk selection.
      EXPECT_EQ(expected.rule, i % 2 == 0 ? "big" : "baseline");
    } else {
      EXPECT_THAT(json, Not(HasSubstr("selected_by")));
    }
    if (expected.outcome == "release") {
      ++released;
      EXPECT_THAT(json, HasSubstr(",\"draws\":{\"select\":"));
      EXPECT_THAT(json, Not(HasSubstr("\"site\":\"")));
    }
    if (expected.outcome == "hold") {
      ++held;
      held_sampled += *expected.sampled;
      EXPECT_THAT(json, HasSubstr(",\"draws\":{\"sample\":\""));
    }
  }
  EXPECT_GT(by_risk, 100);
  EXPECT_GT(by_sample, 100);
  EXPECT_GT(released, 100);
  EXPECT_GT(held_sampled, 10);
  EXPECT_GT(held - held_sampled, 10);
}

TEST(SampleTest, RateScalesWithTheFactorAndIgnoresFloors) {
  // dishonest has floor 80% and factor 1.0: its sample rate stays 30%, not 80%.
  const ir::Ruleset rs = Ir("sample 30%\n");
  auto c = Compile(rs);
  int sampled[3] = {};
  const char* grades[] = {"advanced", "general", "dishonest"};
  for (int g = 0; g < 3; ++g) {
    const Profile p = MakeProfile(grades[g]);
    for (int i = 0; i < 4000; ++i) {
      auto d = Decide(c, TestKey(), MakeDeclaration(fmt::format("R{}", i)), &p);
      sampled[g] += *d->sampled;
    }
  }
  EXPECT_NEAR(sampled[0], 4000 * 0.06, 60);  // 30% * 0.2
  EXPECT_NEAR(sampled[1], 4000 * 0.30, 120);
  EXPECT_NEAR(sampled[2], 4000 * 0.30, 120);
}

TEST(V1Test, ARulesetWithoutV2StatementsPrintsNoV2Field) {
  auto c = Compile(Ir("rule r when value > 1 then rate 50%\n"));
  for (int i = 0; i < 200; ++i) {
    const std::string json =
        DecisionToJson(*Decide(c, TestKey(), MakeDeclaration(fmt::format("V{}", i)), nullptr));
    EXPECT_THAT(json, Not(HasSubstr("sampled")));
    EXPECT_THAT(json, Not(HasSubstr("selected_by")));
    EXPECT_THAT(json, Not(HasSubstr("\"lists\"")));
    EXPECT_THAT(json, Not(HasSubstr("\"sample\"")));
  }
}

// ---- Generated v2 rulesets, lists and traffic against the reference ----------------------

void CompareGenerated(uint64_t seed, uint64_t rules, uint64_t declarations) {
  const std::string text =
      gen::GenerateRuleset({.seed = seed, .rules = rules, .v2 = true});
  dsl::CompileResult checked = dsl::Compile(text, "gen-v2.rules");
  ASSERT_TRUE(checked.ruleset.has_value());
  ASSERT_FALSE(checked.HasErrors());
  constexpr uint64_t kProfiles = 5000;
  ListBindings bindings;
  RefLists ref_lists;
  for (const gen::GeneratedList& list : gen::GenerateLists({.seed = seed, .profiles = kProfiles})) {
    std::istringstream in(list.text);
    auto read = ingest::ReadList(&in, list.file_name, *ingest::ListTypeFromName(list.type));
    ASSERT_TRUE(read.ok() && read->ok());
    auto version = std::make_shared<ListVersion>(read->list->digest);
    for (const auto& e : read->list->entries) version->Add(e);
    bindings.emplace(list.name, version);
    ref_lists.emplace(list.name, read->list->entries);
  }
  const ir::Ruleset& rs = *checked.ruleset;
  auto compiled = CompileRuleset(rs, bindings);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const ReferenceEvaluator reference(rs, TestKey(), ref_lists);

  GeneratedTraffic traffic({.seed = seed, .count = kProfiles},
                           {.seed = seed, .count = declarations, .profiles = kProfiles},
                           (*compiled)->FieldsRead());
  const std::string& line = traffic.line();
  absl::flat_hash_map<std::string, int> v2_matches;
  int by_sample = 0, sampled_holds = 0;
  for (uint64_t i = 0; i < declarations; ++i) {
    Declaration d;
    ASSERT_TRUE(traffic.Parse(i, &d)) << line;
    const Profile* p = traffic.ProfileOf(d);
    const RefDecision expected = reference.Decide(d, p);
    ASSERT_EQ(FromEngine(Decide(*compiled, TestKey(), d, p)), expected) << line;
    for (const auto& m : expected.matched)
      if (m.starts_with("v2_")) v2_matches[m.substr(0, 13)]++;
    by_sample += expected.selected_by == "sample";
    sampled_holds += expected.outcome == "hold" && expected.sampled.value_or(false);
  }
  // The comparison covers the v2 constructs only if traffic reaches them.
  EXPECT_GT(v2_matches["v2_watched"], 0);
  EXPECT_GT(v2_matches["v2_sanctions"], 0);
  EXPECT_GT(v2_matches["v2_dual_use"], 0);
  EXPECT_GT(v2_matches["v2_sensitive_"], 0);
  EXPECT_GT(v2_matches["v2_unit_value"], 0);
  EXPECT_GT(by_sample, 0);
}

TEST(GenV2DifferentialTest, TwoHundredRules) { CompareGenerated(7, 200, 40'000); }
TEST(GenV2DifferentialTest, TwoThousandRules) { CompareGenerated(8, 2'000, 10'000); }

}  // namespace
}  // namespace bukong::engine
