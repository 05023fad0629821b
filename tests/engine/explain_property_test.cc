// Explain (engine/explain.h) against the engine: over generated traffic — generated rulesets
// and the three regime files in rules/, generated profiles and declarations — explain's
// verdict, winner, final rate, matched set, site, method and draws must equal Decide's, and
// an input Decide rejects must be rejected by Explain too; with a generated v2 ruleset (SPEC
// §7: bound lists, unit_value, the sample) also the sample draw, `sampled` and
// `selected_by`. 130,000+ declarations in all.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "engine/compile_text.h"
#include "engine/explain.h"
#include "gen/declarations.h"
#include "gen/lists.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"
#include "ingest/list_reader.h"
#include "tests/engine/generated_traffic.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using ::bukong::engine::test::TestKey;

// The lists a ruleset declares, bound to the bundled files data/lists/NAME.txt (SPEC §7.1;
// the regime files' lists); a ruleset without lists binds nothing.
ListBindings BundledLists(const ir::Ruleset& rs) {
  const char* dir = std::getenv("BUKONG_SOURCE_DIR");
  ListBindings bindings;
  for (const ir::ListDecl& decl : rs.lists) {
    const std::string path = std::string(dir ? dir : ".") + "/data/lists/" + decl.name + ".txt";
    auto read = ingest::ReadListFile(
        path, *ingest::ListTypeFromName(ir::ListTypeName(decl.type)));
    EXPECT_TRUE(read.ok() && read->ok()) << path;
    if (!read.ok() || !read->ok()) continue;
    auto version = std::make_shared<ListVersion>(read->list->digest);
    for (const std::string& e : read->list->entries) version->Add(e);
    bindings.emplace(decl.name, std::move(version));
  }
  return bindings;
}

// Runs `declarations` generated declarations through both (Explain with the lists the
// compiled ruleset bound); adds how many were compared to *total.
void Compare(const std::shared_ptr<const CompiledRuleset>& ruleset, uint64_t seed,
             uint64_t declarations, std::vector<gen::GradeShare> grades, uint64_t* total) {
  const ir::Ruleset& rs = ruleset->ir();
  const SelectionKey key = TestKey();
  constexpr uint64_t kProfiles = 3000;
  gen::ProfileOptions po{.seed = seed, .count = kProfiles};
  po.grades = std::move(grades);
  test::GeneratedTraffic traffic(
      po, {.seed = seed, .count = declarations, .profiles = kProfiles, .unknown_share = 0.05},
      rs.fields_read);
  const std::string& line = traffic.line();
  uint64_t compared = 0, holds = 0, inspected = 0, baseline_wins = 0, floors = 0, by_sample = 0;
  for (uint64_t i = 0; i < declarations; ++i) {
    Declaration d;
    EXPECT_TRUE(traffic.Parse(i, &d)) << line;
    const Profile* p = traffic.ProfileOf(d);
    absl::StatusOr<Decision> decided = Decide(ruleset, key, d, p);
    absl::StatusOr<Explanation> explained = Explain(rs, &key, d, p, &ruleset->lists());
    EXPECT_EQ(decided.ok(), explained.ok()) << line;
    if (!decided.ok() || !explained.ok()) continue;
    const Decision& dd = *decided;
    const Explanation& e = *explained;
    ++compared;
    ++*total;
    ASSERT_TRUE(e.outcome.has_value());
    ASSERT_EQ(*e.outcome, OutcomeName(dd.outcome)) << line;
    ASSERT_EQ(e.winner, dd.rule) << line;
    ASSERT_EQ(e.final_ppm, dd.rate_ppm) << line;
    ASSERT_EQ(e.grade, dd.grade) << line;
    ASSERT_EQ(std::vector<uint32_t>(dd.matched.begin(), dd.matched.end()), e.matched) << line;
    ASSERT_EQ(e.site.has_value(), dd.site.has_value()) << line;
    if (e.site) {
      ASSERT_EQ(*e.site, SiteName(*dd.site)) << line;
    }
    if (e.method) {
      ASSERT_EQ(*e.method, MethodName(*dd.method)) << line;
    }
    ASSERT_EQ(e.select_draw, dd.select_draw) << line;
    ASSERT_EQ(e.site_draw, dd.site_draw) << line;
    ASSERT_EQ(e.method_draw, dd.method_draw) << line;
    // SPEC §7.3: the sample draw, `sampled` and `selected_by`.
    ASSERT_EQ(e.sample_draw, dd.sample_draw) << line;
    ASSERT_EQ(e.sampled, dd.sampled) << line;
    ASSERT_EQ(e.selected_by.has_value(), dd.sampled.has_value() && dd.outcome == Outcome::kInspect)
        << line;
    if (e.selected_by) {
      ASSERT_EQ(*e.selected_by, dd.selected_by_sample ? "sample" : "risk") << line;
      by_sample += dd.selected_by_sample;
    }
    // The trace agrees with itself: matched rules are exactly those in state kMatched, and a
    // failed rule names an atom.
    for (const RuleTrace& t : e.rules) {
      bool listed = std::find(e.matched.begin(), e.matched.end(), t.rule) != e.matched.end();
      ASSERT_EQ(listed, t.state == RuleTrace::State::kMatched);
      if (t.state == RuleTrace::State::kFailed) {
        ASSERT_GE(t.deciding_atom, 0);
      }
    }
    holds += e.hold;
    inspected += *e.outcome == "inspect";
    baseline_wins += !e.hold && e.winner < 0;
    floors += e.bound == "floor";
  }
  // The traffic exercised every branch of the procedure.
  EXPECT_GT(holds, 0u);
  EXPECT_GT(inspected, 0u);
  EXPECT_GT(baseline_wins, 0u);
  EXPECT_GT(compared, declarations * 9 / 10);
  if (rs.sample) {
    EXPECT_GT(by_sample, 0u);  // the sample alone selected some
  }
  (void)floors;
}

void Compare(const std::string& text, uint64_t seed, uint64_t declarations,
             std::vector<gen::GradeShare> grades, uint64_t* total) {
  dsl::CompileResult checked = dsl::Compile(text, "explain.rules");
  ASSERT_TRUE(checked.ruleset.has_value());
  auto bound = CompileRuleset(*checked.ruleset, BundledLists(*checked.ruleset));
  ASSERT_TRUE(bound.ok()) << bound.status();
  Compare(*bound, seed, declarations, std::move(grades), total);
}

std::vector<gen::GradeShare> SharesOf(const std::string& text) {
  dsl::CompileResult checked = dsl::Compile(text, "x.rules");
  std::vector<gen::GradeShare> shares;
  if (!checked.ruleset) return shares;
  for (const ir::Grade& g : checked.ruleset->grades) shares.push_back({g.name, 1.0});
  return shares;
}

uint64_t total = 0;

TEST(ExplainPropertyTest, GeneratedRuleset) {
  gen::RulesetOptions ro;
  ro.seed = 21;
  ro.rules = 80;
  Compare(gen::GenerateRuleset(ro), 21, 30'000, gen::DefaultGradeShares(), &total);
}

// SPEC §7: a generated v2 ruleset (lists of every type, unit_value, a sample statement),
// its lists bound from generated list files, as decide binds them.
TEST(ExplainPropertyTest, GeneratedV2RulesetWithListsAndSample) {
  constexpr uint64_t kSeed = 23;
  dsl::CompileResult checked =
      dsl::Compile(gen::GenerateRuleset({.seed = kSeed, .rules = 60, .v2 = true}), "v2.rules");
  ASSERT_TRUE(checked.ruleset.has_value());
  ASSERT_TRUE(checked.ruleset->sample.has_value());
  ASSERT_FALSE(checked.ruleset->lists.empty());
  ListBindings bindings;
  for (const gen::GeneratedList& list : gen::GenerateLists({.seed = kSeed, .profiles = 3000})) {
    std::istringstream in(list.text);
    auto read = ingest::ReadList(&in, list.file_name, *ingest::ListTypeFromName(list.type));
    ASSERT_TRUE(read.ok() && read->ok());
    auto version = std::make_shared<ListVersion>(read->list->digest);
    for (const auto& e : read->list->entries) version->Add(e);
    bindings.emplace(list.name, std::move(version));
  }
  auto compiled = CompileRuleset(*checked.ruleset, std::move(bindings));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Compare(*compiled, kSeed, 30'000, gen::DefaultGradeShares(), &total);
}

TEST(ExplainPropertyTest, RegimeFiles) {
  const char* dir = std::getenv("BUKONG_SOURCE_DIR");
  uint64_t seed = 30;
  for (const char* name : {"order237-2018.rules", "order251-2021.rules", "order282-2026.rules"}) {
    std::ifstream in(std::string(dir ? dir : ".") + "/rules/" + name);
    std::stringstream text;
    text << in.rdbuf();
    ASSERT_FALSE(text.str().empty()) << name;
    Compare(text.str(), ++seed, 25'000, SharesOf(text.str()), &total);
  }
}

TEST(ExplainPropertyTest, AtLeastOneHundredThousand) { EXPECT_GE(total, 100'000u); }

}  // namespace
}  // namespace bukong::engine
