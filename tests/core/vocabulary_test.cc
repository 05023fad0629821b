// Each vocabulary is defined once (issue #11): these check the tables against their enums, so
// that a value added to an enum without its name (or the reverse) fails here. The checker's
// field table is checked against ir::Field at compile time (dsl/internal/checker.cc).
#include <set>
#include <string>

#include "core/declaration.h"
#include "core/outcome.h"
#include "dsl/ir.h"
#include "gtest/gtest.h"

namespace bukong {
namespace {

TEST(VocabularyTest, EveryFieldHasOneDistinctName) {
  std::set<std::string> names;
  for (int i = 0; i < ir::kFieldCount; ++i) {
    const char* name = ir::FieldName(static_cast<ir::Field>(i));
    ASSERT_NE(name, nullptr) << "field " << i;
    EXPECT_NE(std::string(name), "?") << "field " << i;
    EXPECT_TRUE(names.insert(name).second) << name << " named twice";
  }
  EXPECT_EQ(std::string(ir::FieldName(static_cast<ir::Field>(ir::kFieldCount))), "?");
}

TEST(VocabularyTest, DirectionAndModeNamesMatchTheirEnums) {
  EXPECT_EQ(std::size(kDirectionNames), static_cast<size_t>(Direction::kTransit) + 1);
  EXPECT_EQ(std::size(kModeNames), static_cast<size_t>(TransportMode::kPost) + 1);
  EXPECT_EQ(IndexOfName(kDirectionNames, "export"), static_cast<int>(Direction::kExport));
  EXPECT_EQ(IndexOfName(kModeNames, "road"), static_cast<int>(TransportMode::kRoad));
  EXPECT_EQ(IndexOfName(kModeNames, "ship"), -1);
}

TEST(VocabularyTest, OutcomeNamesRoundTrip) {
  for (Outcome o : {Outcome::kRelease, Outcome::kInspect, Outcome::kHold})
    EXPECT_EQ(ParseOutcome(OutcomeName(o)), o);
  EXPECT_EQ(std::string(OutcomeName(Outcome::kInspect)), "inspect");
  EXPECT_EQ(ParseOutcome("held"), std::nullopt);
}

}  // namespace
}  // namespace bukong
