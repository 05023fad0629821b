// gen/lists.h and the v2 rulesets of gen/rules.h (SPEC §7).
#include "gen/lists.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "core/sha256.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/list_reader.h"

namespace bukong::gen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ingest::ListContent Parse(const GeneratedList& list) {
  std::istringstream in(list.text);
  auto type = ingest::ListTypeFromName(list.type);
  EXPECT_TRUE(type.has_value()) << list.type;
  auto r = ingest::ReadList(&in, list.file_name, *type);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ::testing::PrintToString(r->errors);
  return r->ok() ? *r->list : ingest::ListContent{};
}

TEST(ListGenTest, FourListsInDeclarationOrderThatTheListReaderAccepts) {
  const auto lists = GenerateLists({.seed = 3, .profiles = 2000});
  ASSERT_EQ(lists.size(), std::size(kGeneratedLists));
  for (size_t i = 0; i < lists.size(); ++i) {
    EXPECT_EQ(lists[i].name, kGeneratedLists[i].name);
    EXPECT_EQ(lists[i].type, kGeneratedLists[i].type);
    EXPECT_EQ(lists[i].file_name, std::string(kGeneratedLists[i].name) + ".txt");
    EXPECT_FALSE(Parse(lists[i]).entries.empty()) << lists[i].name;
  }
  EXPECT_EQ(GenerateLists({.seed = 3, .profiles = 2000})[3].text, lists[3].text);
  EXPECT_NE(GenerateLists({.seed = 4, .profiles = 2000})[0].text, lists[0].text);
}

TEST(ListGenTest, EnterpriseListHoldsProfiledEnterprisesAndAsManyEntriesAsAsked) {
  const uint64_t profiles = 1000;
  std::set<std::string> ids;
  for (uint64_t i = 0; i < profiles; ++i) ids.insert(EnterpriseId(9, i));

  const ingest::ListContent small = Parse(GenerateLists({.seed = 9, .profiles = profiles})[0]);
  EXPECT_EQ(small.entries.size(), profiles / 100);
  for (const auto& e : small.entries) EXPECT_TRUE(ids.count(e)) << e;

  const ingest::ListContent big =
      Parse(GenerateLists({.seed = 9, .profiles = profiles, .enterprises = 5000})[0]);
  EXPECT_EQ(big.entries.size(), 5000u);  // distinct ids: none dropped as repeated
  EXPECT_EQ(big.repeated, 0u);
  size_t profiled = 0;
  for (const auto& e : big.entries) profiled += ids.count(e);
  EXPECT_EQ(profiled, profiles / 100);
}

TEST(RulesetGenV2Test, V1OutputIsWhatItWasBeforeV2) {
  // SHA-256 of `bukong gen rules --seed 1 --count 200` as printed by the generator before
  // the v2 option existed (main at a43d389): the option must not move a single byte.
  EXPECT_EQ(Sha256Hex(GenerateRuleset({.seed = 1, .rules = 200})),
            "b847759a11cb34f2e781fec54e9ab5a1e9f1c45b3f78f693c73f94c46c001c45");
  EXPECT_EQ(GenerateRuleset({.seed = 5, .rules = 80, .v2 = false}),
            GenerateRuleset({.seed = 5, .rules = 80}));
  EXPECT_THAT(GenerateRuleset({.seed = 5, .rules = 80}), Not(HasSubstr("unit_value")));
}

TEST(RulesetGenV2Test, V2KeepsEveryV1RuleAndAddsTheV2Constructs) {
  const std::string v1 = GenerateRuleset({.seed = 2, .rules = 300});
  const std::string v2 = GenerateRuleset({.seed = 2, .rules = 300, .v2 = true});
  // Every rule of the v1 text, verbatim.
  const size_t first_rule = v1.find("\nrule ");
  ASSERT_NE(first_rule, std::string::npos);
  EXPECT_THAT(v2, HasSubstr(v1.substr(first_rule)));
  for (const auto& spec : kGeneratedLists) {
    EXPECT_THAT(v2, HasSubstr(fmt::format("list {} of {}\n", spec.name, spec.type)));
  }
  for (const char* construct :
       {"enterprise in watched_enterprises", "origin in sanctioned", "trade_country in sanctioned",
        "hs in dual_use", "hs not in dual_use", "port in sensitive_ports",
        "enterprise not in watched_enterprises", "unit_value < ", "unit_value > ",
        "\nsample 0.5% at port 50% destination 50% method manual\n",
        "\nrequire advanced <= 20% of general\n", "\nrequire certified <= 50% of general\n",
        "\nrequire dishonest >= 80%\n"}) {
    EXPECT_THAT(v2, HasSubstr(construct)) << construct;
  }
  EXPECT_EQ(v2, GenerateRuleset({.seed = 2, .rules = 300, .v2 = true}));
}

}  // namespace
}  // namespace bukong::gen
