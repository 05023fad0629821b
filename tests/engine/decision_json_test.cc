// engine::DecisionJsonReader is the inverse of DecisionToJson: generated decisions (every
// outcome, holds with reasons, releases without site/method, names that need escaping) read
// back equal, and print back to the same bytes; lines that are not what DecisionToJson writes
// for the ruleset are DataLoss naming what is wrong.
#include "engine/decision_json.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/compile_text.h"
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

using namespace ::bukong::engine::test;

std::shared_ptr<const CompiledRuleset> CompileOrDie(const std::string& text) {
  CompileTextResult compiled = CompileRulesetText(text, "t.rules");
  EXPECT_TRUE(compiled.ok()) << compiled.status;
  return compiled.ruleset;
}

// Decides 20,000 generated declarations (2,000 generated profiles, seed `seed`) under
// `ruleset`, reads each decision line back and checks it against the decision made: equal,
// printed again to the same bytes, every §7 field and every draw equal. Returns the decisions
// made, for the caller's coverage checks. `lists`: the (name, 16 digits) each line must record.
using RecordedLists = std::vector<std::pair<std::string, std::string>>;
std::vector<Decision> RoundTripGenerated(const std::shared_ptr<const CompiledRuleset>& ruleset,
                                         uint64_t seed, const RecordedLists& lists = {}) {
  DecisionJsonReader reader;
  constexpr uint64_t kProfiles = 2000;
  GeneratedTraffic traffic({.seed = seed, .count = kProfiles},
                           {.seed = seed, .count = 20'000, .profiles = kProfiles},
                           ruleset->FieldsRead());
  std::vector<Decision> made_all;
  for (uint64_t i = 0; i < traffic.size(); ++i) {
    Declaration declaration;
    EXPECT_TRUE(traffic.Parse(i, &declaration)) << traffic.line();
    absl::StatusOr<Decision> made =
        Decide(ruleset, TestKey(), declaration, traffic.ProfileOf(declaration));
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) break;
    const std::string json = DecisionToJson(*made);
    Decision read;
    EXPECT_TRUE(reader.Read(json, ruleset, &read).ok()) << json;
    EXPECT_EQ(reader.lists(), lists) << json;
    EXPECT_EQ(read, *made) << json;
    EXPECT_EQ(read.matched, made->matched) << json;
    EXPECT_EQ(read.sampled, made->sampled) << json;
    EXPECT_EQ(read.selected_by_sample, made->selected_by_sample) << json;
    EXPECT_EQ(read.sample_draw, made->sample_draw) << json;
    EXPECT_EQ(DecisionToJson(read), json);
    if (::testing::Test::HasFailure()) break;  // one line's story, not 20,000
    made_all.push_back(*std::move(made));
  }
  return made_all;
}

TEST(DecisionJsonTest, GeneratedDecisionsRoundTrip) {
  std::shared_ptr<const CompiledRuleset> ruleset =
      CompileOrDie(gen::GenerateRuleset({.seed = 11, .rules = 200}));
  ASSERT_NE(ruleset, nullptr);
  int by_outcome[3] = {0, 0, 0};
  for (const Decision& d : RoundTripGenerated(ruleset, 11))
    ++by_outcome[static_cast<int>(d.outcome)];
  // The generated traffic covers every outcome.
  for (int n : by_outcome) EXPECT_GT(n, 0);
}

// SPEC §7: a generated v2 ruleset (lists, unit_value, sample) bound to generated lists; every
// decision line carries `sampled`, `lists`, a sample draw and (inspections) `selected_by`, and
// reads back to the same decision and the same bytes, with the recorded list versions.
TEST(DecisionJsonTest, GeneratedV2DecisionsWithListsRoundTrip) {
  constexpr uint64_t kSeed = 12;
  dsl::CompileResult checked =
      dsl::Compile(gen::GenerateRuleset({.seed = kSeed, .rules = 200, .v2 = true}), "v2.rules");
  ASSERT_TRUE(checked.ruleset.has_value() && !checked.HasErrors());
  ASSERT_FALSE(checked.ruleset->lists.empty());
  ASSERT_TRUE(checked.ruleset->sample.has_value());
  ListBindings bindings;
  for (const gen::GeneratedList& list : gen::GenerateLists({.seed = kSeed, .profiles = 2000})) {
    std::istringstream in(list.text);
    auto read = ingest::ReadList(&in, list.file_name, *ingest::ListTypeFromName(list.type));
    ASSERT_TRUE(read.ok() && read->ok()) << list.name;
    auto version = std::make_shared<ListVersion>(read->list->digest);
    for (const auto& e : read->list->entries) version->Add(e);
    bindings.emplace(list.name, version);
  }
  RecordedLists expected_lists;  // in declaration order
  for (const ir::ListDecl& decl : checked.ruleset->lists) {
    ASSERT_TRUE(bindings.contains(decl.name)) << decl.name;
    expected_lists.emplace_back(decl.name, bindings.find(decl.name)->second->digest().substr(0, 16));
  }
  auto ruleset = CompileRuleset(*checked.ruleset, bindings);
  ASSERT_TRUE(ruleset.ok()) << ruleset.status();
  ASSERT_EQ(expected_lists.size(), checked.ruleset->lists.size());
  int by_outcome[3] = {0, 0, 0}, by_sample = 0, sampled = 0;
  for (const Decision& d : RoundTripGenerated(*ruleset, kSeed, expected_lists)) {
    ++by_outcome[static_cast<int>(d.outcome)];
    by_sample += d.selected_by_sample;
    sampled += d.sampled.value_or(false);
  }
  for (int n : by_outcome) EXPECT_GT(n, 0);
  EXPECT_GT(by_sample, 0);  // inspections chosen by the sample alone are covered
  EXPECT_GT(sampled, 0);
}

// The §7 keys are required exactly where DecisionToJson writes them.
TEST(DecisionJsonTest, V2KeysAreCheckedAgainstTheRuleset) {
  dsl::CompileResult checked = dsl::Compile(R"(ruleset "v2" version 1
grade general factor 1.0
unknown enterprise grade general
baseline 0%
list watched of enterprise
sample 100%
rule w when enterprise in watched then rate 30%
)", "v2.rules");
  ASSERT_TRUE(checked.ruleset.has_value() && !checked.HasErrors());
  auto version = std::make_shared<ListVersion>(std::string(64, 'a'));
  version->Add("E1");
  auto ruleset = CompileRuleset(*checked.ruleset, ListBindings{{"watched", version}});
  ASSERT_TRUE(ruleset.ok()) << ruleset.status();
  Declaration d = MakeDeclaration("a");
  d.enterprise = "E2";  // not watched: released by risk, inspected by the 100% sample
  absl::StatusOr<Decision> made = Decide(*ruleset, TestKey(), d, nullptr);
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string good = DecisionToJson(*made);
  ASSERT_NE(good.find("\"selected_by\":\"sample\""), std::string::npos) << good;
  DecisionJsonReader reader;
  Decision out;
  ASSERT_TRUE(reader.Read(good, *ruleset, &out).ok()) << good;
  EXPECT_EQ(DecisionToJson(out), good);
  auto error = [&](const std::string& from, const std::string& to) {
    std::string line = good;
    const size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    line.replace(at, from.size(), to);
    absl::Status s = reader.Read(line, *ruleset, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << line;
    return std::string(s.message());
  };
  EXPECT_EQ(error("\"site\":\"port\"", "\"site\":\"dock\""),
            "the stored decision has an unknown site 'dock'");
  EXPECT_EQ(error("\"method\":\"manual\"", "\"method\":\"xray\""),
            "the stored decision has an unknown method 'xray'");
  EXPECT_EQ(error(",\"sampled\":true", ""),
            "the stored decision lacks 'sampled' (the ruleset has a sample)");
  EXPECT_EQ(error(",\"selected_by\":\"sample\"", ""), "the stored decision lacks 'selected_by'");
  EXPECT_EQ(error("\"selected_by\":\"sample\"", "\"selected_by\":\"chance\""),
            "the stored decision has an unknown 'selected_by' 'chance'");
  EXPECT_EQ(error("\"watched\":\"aaaaaaaaaaaaaaaa\"", "\"other\":\"aaaaaaaaaaaaaaaa\""),
            "the stored decision has list 'other', which the ruleset does not declare there");
  EXPECT_EQ(error("\"watched\":\"aaaaaaaaaaaaaaaa\"", "\"watched\":\"AAAA\""),
            "the stored decision has a version of list 'watched' that is not 16 hex digits");
  EXPECT_EQ(error("\"lists\":{\"watched\":\"aaaaaaaaaaaaaaaa\"}", "\"lists\":{}"),
            "the stored decision lacks a version of a list the ruleset declares");
  // A version other than the bound one reads (replay binds the recorded one) and is returned.
  std::string other = good;
  other.replace(other.find("aaaaaaaaaaaaaaaa"), 16, "0123456789abcdef");
  ASSERT_TRUE(reader.Read(other, *ruleset, &out).ok());
  EXPECT_EQ(reader.lists(), (std::vector<std::pair<std::string, std::string>>{
                                {"watched", "0123456789abcdef"}}));
}

constexpr char kRules[] = R"(ruleset "rt \"q\"" version 3
grade advanced "a" factor 0.2
grade general "g" factor 1.0
unknown enterprise grade general
baseline 5% at port 80% destination 20% method nii 40%
rule sanctions "s" when origin = KP then hold "sanctions \\ \"list\""
rule wood "w" when hs in [4401] then hold "wood"
)";

TEST(DecisionJsonTest, HoldWithEscapedNamesRoundTrips) {
  std::shared_ptr<const CompiledRuleset> ruleset = CompileOrDie(kRules);
  ASSERT_NE(ruleset, nullptr);
  Declaration d = MakeDeclaration("id \"1\"\n", "4401100000");
  d.origin = "KP";
  absl::StatusOr<Decision> made = Decide(ruleset, TestKey(), d, nullptr);
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_EQ(made->outcome, Outcome::kHold);
  const std::string json = DecisionToJson(*made);
  DecisionJsonReader reader;
  Decision read;
  ASSERT_TRUE(reader.Read(json, ruleset, &read).ok()) << json;
  EXPECT_EQ(read, *made);
  EXPECT_EQ(DecisionToJson(read), json);
}

TEST(DecisionJsonTest, LinesNotWrittenForTheRulesetAreDataLoss) {
  std::shared_ptr<const CompiledRuleset> ruleset = CompileOrDie(kRules);
  ASSERT_NE(ruleset, nullptr);
  Declaration d = MakeDeclaration("a", "0101210000");
  d.origin = "FR";
  absl::StatusOr<Decision> made = Decide(ruleset, TestKey(), d, nullptr);
  ASSERT_TRUE(made.ok());
  const std::string good = DecisionToJson(*made);
  auto error = [&](const std::string& line) {
    DecisionJsonReader reader;
    Decision out;
    absl::Status s = reader.Read(line, ruleset, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << line;
    return std::string(s.message());
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string line = good;
    const size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return line.replace(at, from.size(), to);
  };
  EXPECT_EQ(error("not json"), "the stored decision is not a JSON object");  // simdjson: no object
  EXPECT_EQ(error("[1]"), "the stored decision is not a JSON object");
  EXPECT_EQ(error(replace("\"grade\":\"general\"", "\"grade\":\"gold\"")),
            "the stored decision has an unknown grade 'gold'");
  EXPECT_EQ(error(replace("\"rule\":\"baseline\"", "\"rule\":\"nope\"")),
            "the stored decision has an unknown rule 'nope'");
  EXPECT_NE(error(replace("\"outcome\":\"", "\"outcome\":\"x")).find("unknown outcome"),
            std::string::npos);
  EXPECT_NE(error(replace("\"ruleset_sha256\":\"", "\"ruleset_sha256\":\"0")).find("'ruleset_sha256'"),
            std::string::npos);
  EXPECT_NE(error(replace("\"rate_ppm\":", "\"rate\":")).find("unknown key 'rate'"),
            std::string::npos);
  EXPECT_NE(error(replace(",\"draws\":{", ",\"x\":{")).find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace bukong::engine
