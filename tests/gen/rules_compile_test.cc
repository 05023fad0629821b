// Generated rulesets against the real compiler and engine: they compile without a single
// diagnostic, and generated declarations match a handful of rules each.
#include <gtest/gtest.h>

#include <sstream>
#include <unordered_map>

#include "dsl/compiler.h"
#include "engine/engine.h"
#include "gen/declarations.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"
#include "ingest/line_source.h"

namespace bukong::gen {
namespace {

class RulesCompileTest : public ::testing::TestWithParam<std::pair<uint64_t, uint64_t>> {};

TEST_P(RulesCompileTest, CompilesCleanly) {
  auto [seed, size] = GetParam();
  std::string text = GenerateRuleset({.seed = seed, .rules = size});
  dsl::CompileResult result = dsl::Compile(text, "generated.rules");
  EXPECT_EQ(result.ErrorCount(), 0) << dsl::FormatDiagnostics("generated.rules", text, result);
  // No warning except the static analysis' findings about the generated rules themselves
  // (a set no rule drew, a rule another one shadows or a hold makes unreachable, or whose rate is below the baseline's: true of random rules, and proven so by
  // tests/dsl/analysis_test.cc), which say nothing about the generator's text being wrong.
  int other_warnings = 0;
  for (const dsl::Diagnostic& d : result.diagnostics) {
    if (d.severity != dsl::Diagnostic::Severity::kWarning) continue;
    if (d.message.find("is declared but no rule uses it") != std::string::npos) continue;
    if (d.message.find("can never win:") != std::string::npos) continue;
    if (d.message.find("is unreachable:") != std::string::npos) continue;  // behind a hold
    ++other_warnings;
  }
  EXPECT_EQ(other_warnings, 0) << dsl::FormatDiagnostics("generated.rules", text, result);
  ASSERT_TRUE(result.ruleset.has_value());
  EXPECT_EQ(result.ruleset->rules.size(), size);
}

INSTANTIATE_TEST_SUITE_P(Sizes, RulesCompileTest,
                         ::testing::Values(std::pair<uint64_t, uint64_t>{1, 1},
                                           std::pair<uint64_t, uint64_t>{2, 10},
                                           std::pair<uint64_t, uint64_t>{3, 200},
                                           std::pair<uint64_t, uint64_t>{4, 200},
                                           std::pair<uint64_t, uint64_t>{5, 2000},
                                           std::pair<uint64_t, uint64_t>{6, 10000}));

// Mean number of matching rules over generated traffic.
double MeanMatches(uint64_t seed, uint64_t rules, uint64_t declarations) {
  std::string text = GenerateRuleset({.seed = seed, .rules = rules});
  dsl::CompileResult result = dsl::Compile(text, "generated.rules");
  EXPECT_TRUE(result.ruleset.has_value());
  if (!result.ruleset) return -1;
  auto compiled = engine::CompileRuleset(*result.ruleset);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  if (!compiled.ok()) return -1;

  const uint64_t profile_count = 5000;
  ProfileGenerator profiles({.seed = seed, .count = profile_count});
  std::unordered_map<std::string, Profile> by_id;
  for (uint64_t i = 0; i < profile_count; ++i) {
    Profile p = profiles.At(i);
    by_id.emplace(p.id, p);
  }
  std::ostringstream out;
  DeclarationGenerator({.seed = seed, .count = declarations, .profiles = profile_count})
      .WriteJsonLines(out);
  std::istringstream in(out.str());
  ingest::LineReader lines(&in);
  ingest::DeclarationParser parser(result.ruleset->fields_read);
  SelectionKey key(std::array<uint8_t, 16>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  std::string_view line;
  uint64_t number = 0, matched = 0, decided = 0;
  Declaration d;
  while (lines.Next(&line, &number)) {
    absl::Status status = parser.Parse(line, &d);
    EXPECT_TRUE(status.ok()) << status;
    auto it = by_id.find(d.enterprise);
    auto decision = engine::Decide(*compiled, key, d, it == by_id.end() ? nullptr : &it->second);
    EXPECT_TRUE(decision.ok()) << decision.status();
    if (!decision.ok()) continue;
    matched += decision->matched.size();
    ++decided;
  }
  return static_cast<double>(matched) / static_cast<double>(decided);
}

TEST(RulesMatchTest, ADeclarationMatchesAHandfulOfRules) {
  for (uint64_t size : {200, 2000}) {
    double mean = MeanMatches(11, size, 5000);
    EXPECT_GE(mean, 2.0) << size << " rules";
    EXPECT_LE(mean, 6.0) << size << " rules";
  }
}

}  // namespace
}  // namespace bukong::gen
