#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "gen/rules.h"

namespace bukong::gen {
namespace {

using ::testing::HasSubstr;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RulesetGenTest, DependsOnlyOnSeedAndSize) {
  EXPECT_EQ(GenerateRuleset({.seed = 1, .rules = 200}), GenerateRuleset({.seed = 1, .rules = 200}));
  EXPECT_NE(GenerateRuleset({.seed = 1, .rules = 200}), GenerateRuleset({.seed = 2, .rules = 200}));
  EXPECT_NE(GenerateRuleset({.seed = 1, .rules = 200}), GenerateRuleset({.seed = 1, .rules = 201}));
}

TEST(RulesetGenTest, HasTheStatementsAndConstructsOfRealTargeting) {
  std::string text = GenerateRuleset({.seed = 4, .rules = 500});
  EXPECT_THAT(text, HasSubstr("ruleset \"generated-4-500\" version 1\n"));
  EXPECT_THAT(text, HasSubstr("grade advanced  \"高级认证企业\" factor 0.2\n"));
  EXPECT_THAT(text, HasSubstr("grade dishonest \"失信企业\" floor 80%\n"));
  EXPECT_THAT(text, HasSubstr("unknown enterprise grade general\n"));
  EXPECT_THAT(text, HasSubstr("baseline 2.44%"));
  EXPECT_EQ(Count(text, "\nrule "), 500);
  EXPECT_GE(Count(text, "\ncommodity "), 20);
  for (const char* construct :
       {"commodity in ", "hs in [", "origin in [", "value > ", "enterprise.flags has ",
        "direction = ", "mode ", "two_step = true", "enterprise.hits >= ", "valid 2021-",
        " fixed\n", "then hold \"", "..", "grade "}) {
    EXPECT_THAT(text, HasSubstr(construct)) << construct;
  }
}

TEST(RulesetGenTest, CustomGradesShapeTheGradeStatements) {
  std::vector<GradeShare> five = {
      {"a1", 0.01}, {"a2", 0.04}, {"normal", 0.9}, {"watch", 0.03}, {"bad", 0.02}};
  std::string text = GenerateRuleset({.seed = 1, .rules = 50, .grades = five});
  EXPECT_THAT(text, HasSubstr("grade a1     factor 0.2\n"));
  EXPECT_THAT(text, HasSubstr("grade a2     factor 0.5\n"));
  EXPECT_THAT(text, HasSubstr("grade normal factor 1.0\n"));
  EXPECT_THAT(text, HasSubstr("grade watch  factor 1.5\n"));
  EXPECT_THAT(text, HasSubstr("grade bad    floor 80%\n"));
  EXPECT_THAT(text, HasSubstr("unknown enterprise grade normal\n"));
}

TEST(RulesetGenTest, RuleNamesAreUnique) {
  std::string text = GenerateRuleset({.seed = 8, .rules = 3000});
  std::regex name(R"(\nrule (\w+))");
  std::set<std::string> names;
  int rules = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it) {
    ++rules;
    names.insert((*it)[1]);
  }
  EXPECT_EQ(rules, 3000);
  EXPECT_EQ(names.size(), 3000u);
}

}  // namespace
}  // namespace bukong::gen
