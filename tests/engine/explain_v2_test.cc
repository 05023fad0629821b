// Explain (engine/explain.h) on the v2 conditions (SPEC §7) against Decide: `unit_value` with
// every operator over zero, negative, tiny, huge and exactly-equal values and weights; list
// lookups of every type (hs by prefix) and `enterprise`. The regime files' property test
// (explain_property_test.cc) covers v1 conditions on generated traffic; this one is v2's.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/compile_text.h"
#include "engine/explain.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using ::bukong::engine::test::TestKey;

ir::Ruleset Checked(const std::string& text) {
  dsl::CompileResult r = dsl::Compile(text, "v2.rules");
  EXPECT_TRUE(r.ruleset.has_value()) << text;
  return r.ruleset ? *r.ruleset : ir::Ruleset{};
}

Declaration Base(std::string id) {
  Declaration d;
  d.id = std::move(id);
  d.enterprise = "E1";
  d.date = 20000;
  d.direction = Direction::kImport;
  d.hs = "020230";
  d.origin = "CN";
  d.trade_country = "CN";
  d.port = "3100";
  d.mode = TransportMode::kSea;
  d.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight |
              kHasTwoStep;
  return d;
}

// Whether rule 0 matched, by Decide and by Explain.
std::pair<bool, bool> Matched(const std::shared_ptr<const CompiledRuleset>& compiled,
                              const Declaration& d) {
  absl::StatusOr<Decision> decided = Decide(compiled, TestKey(), d, nullptr);
  const SelectionKey key = TestKey();
  absl::StatusOr<Explanation> explained =
      Explain(compiled->ir(), &key, d, nullptr, &compiled->lists());
  EXPECT_TRUE(decided.ok()) << decided.status();
  EXPECT_TRUE(explained.ok()) << explained.status();
  if (!decided.ok() || !explained.ok()) return {false, true};
  return {!decided->matched.empty(), !explained->matched.empty()};
}

TEST(ExplainV2Test, UnitValueAgreesWithDecideForEveryOperatorAndSign) {
  ir::Ruleset rs = Checked(R"(ruleset "uv" version 1
grade general "general" factor 1.0
unknown enterprise grade general
baseline 1%
rule r "r" when unit_value < 1 then rate 50%
)");
  ASSERT_EQ(rs.rules.size(), 1u);
  const __int128 kScale = ir::Decimal::kScale;
  // Twice-scaled values and weights (odd ones are half-units of the 18th decimal), and
  // literals, over several magnitudes, both signs and zero.
  std::vector<__int128> amounts = {0, 1, -1, 2, kScale, -kScale, 2 * kScale, 5 * kScale,
                                   38'000 * 2 * kScale, 20'000 * 2 * kScale,
                                   static_cast<__int128>(1'000'000'000'000LL) * 2 * kScale,
                                   -static_cast<__int128>(7'777'777LL) * kScale};
  std::vector<__int128> literals = {0, 1, -1, kScale, -kScale, kScale * 5 / 2, kScale / 3,
                                    static_cast<__int128>(1'000'000'000LL) * kScale};
  std::mt19937_64 rng(12);
  for (int i = 0; i < 40; ++i) {
    amounts.push_back(static_cast<__int128>(rng() % 2'000'000'000'000ULL) * 997 - 10'000'000);
    literals.push_back(static_cast<__int128>(rng() % 50'000'000ULL) * 1'000'003 - 1'000'000);
  }
  const ir::CompareOp ops[] = {ir::CompareOp::kEq, ir::CompareOp::kNe, ir::CompareOp::kLt,
                               ir::CompareOp::kLe, ir::CompareOp::kGt, ir::CompareOp::kGe};
  int compared = 0, matched = 0;
  for (__int128 literal : literals) {
    for (ir::CompareOp op : ops) {
      ir::Ruleset variant = rs;
      variant.rules[0].when.op = op;
      variant.rules[0].when.number.scaled = literal;
      auto compiled = CompileRuleset(std::move(variant));
      ASSERT_TRUE(compiled.ok()) << compiled.status();
      for (size_t w = 0; w < amounts.size(); w += 1) {
        for (size_t v = 0; v < amounts.size(); v += 3) {
          Declaration d = Base("D" + std::to_string(compared));
          d.value.twice_scaled = amounts[v];
          d.weight.twice_scaled = amounts[w];
          // Exactly on the literal too: value = literal * weight (when it fits).
          __int128 product = 0;
          if (v % 2 == 1 && literal != 0 && amounts[w] != 0 &&
              !__builtin_mul_overflow(literal, amounts[w], &product)) {
            d.value.twice_scaled = product / kScale;
          }
          auto [by_decide, by_explain] = Matched(*compiled, d);
          EXPECT_EQ(by_decide, by_explain)
              << "value " << static_cast<double>(d.value.twice_scaled) << " weight "
              << static_cast<double>(d.weight.twice_scaled) << " literal "
              << static_cast<double>(literal) << " op " << static_cast<int>(op);
          if (amounts[w] == 0) {
            EXPECT_FALSE(by_explain) << "weight 0 never compares true";
          }
          ++compared;
          matched += by_explain;
        }
      }
    }
  }
  EXPECT_GT(compared, 10'000);
  EXPECT_GT(matched, compared / 5);  // both outcomes are exercised
  EXPECT_LT(matched, compared * 4 / 5);
}

TEST(ExplainV2Test, ListLookupsAgreeWithDecideAndNameTheVersion) {
  ir::Ruleset rs = Checked(R"(ruleset "lists" version 1
grade general "general" factor 1.0
unknown enterprise grade general
baseline 1%
list watched of enterprise
list sanctioned of country
list ports of port
list dual_use of hs
rule r "r" when enterprise in watched or origin in sanctioned or trade_country not in sanctioned
  or port in ports or hs in dual_use or enterprise = "E9"
  then rate 50%
)");
  auto version = [](std::string digest, std::vector<std::string> entries) {
    auto v = std::make_shared<ListVersion>(std::move(digest));
    for (const std::string& e : entries) v->Add(e);
    return std::shared_ptr<const ListVersion>(std::move(v));
  };
  ListBindings lists;
  lists.emplace("watched", version(std::string(64, 'a'), {"E2", "E3"}));
  lists.emplace("sanctioned", version(std::string(64, 'b'), {"CN", "KP"}));
  lists.emplace("ports", version(std::string(64, 'c'), {"2200"}));
  lists.emplace("dual_use", version(std::string(64, 'd'), {"8401", "284410"}));
  auto compiled = CompileRuleset(rs, lists);
  ASSERT_TRUE(compiled.ok()) << compiled.status();

  struct Case {
    std::string enterprise, origin, trade_country, port, hs;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"E1", "NO", "CN", "3100", "020230", false},
      {"E2", "NO", "CN", "3100", "020230", true},   // watched enterprise
      {"E1", "KP", "CN", "3100", "020230", true},   // sanctioned origin
      {"E1", "NO", "NO", "3100", "020230", true},   // trade country not in sanctioned
      {"E1", "NO", "CN", "2200", "020230", true},   // port
      {"E1", "NO", "CN", "3100", "84011000", true},  // hs by prefix
      {"E1", "NO", "CN", "3100", "28441010", true},
      {"E1", "NO", "CN", "3100", "284420", false},  // shares digits, not the prefix
      {"E9", "NO", "CN", "3100", "020230", true},   // enterprise literal
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    Declaration d = Base("L" + std::to_string(i));
    d.enterprise = c.enterprise;
    d.origin = c.origin;
    d.trade_country = c.trade_country;
    d.port = c.port;
    d.hs = c.hs;
    auto [by_decide, by_explain] = Matched(*compiled, d);
    EXPECT_EQ(by_decide, c.matches) << i;
    EXPECT_EQ(by_explain, c.matches) << i;
  }

  // The trace names the value, the list and its version; unbound lists are said to be.
  Declaration d = Base("T");
  d.hs = "84011000";
  const SelectionKey key = TestKey();
  absl::StatusOr<Explanation> e = Explain((*compiled)->ir(), &key, d, nullptr, &lists);
  ASSERT_TRUE(e.ok());
  const std::vector<AtomTrace>& atoms = e->rules[0].atoms;
  ASSERT_EQ(atoms.size(), 6u);
  EXPECT_EQ(atoms[0].text, "enterprise in watched");
  EXPECT_EQ(atoms[0].actual, "\"E1\" (list version aaaaaaaaaaaaaaaa, 2 entries)");
  EXPECT_EQ(atoms[2].text, "trade_country not in sanctioned");
  EXPECT_EQ(atoms[4].actual, "8401.10.00 (entry 8401 of list version dddddddddddddddd, 2 entries)");
  EXPECT_TRUE(atoms[4].holds);
  EXPECT_EQ(atoms[5].text, "enterprise = \"E9\"");
  absl::StatusOr<Explanation> unbound = Explain((*compiled)->ir(), &key, d, nullptr, nullptr);
  ASSERT_TRUE(unbound.ok());
  EXPECT_EQ(unbound->rules[0].atoms[4].actual, "8401.10.00 (list not bound)");
  EXPECT_FALSE(unbound->rules[0].atoms[4].holds);
}

}  // namespace
}  // namespace bukong::engine
