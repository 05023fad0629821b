// Each vocabulary is defined once (issue #11): these check the tables against their enums, so
// that a value added to an enum without its name (or the reverse) fails here. The checker's
// field table is checked against ir::Field at compile time (dsl/internal/checker.cc).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/declaration.h"
#include "core/outcome.h"
#include "dsl/ir.h"
#include "gtest/gtest.h"
#include "ingest/declaration_json.h"

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

TEST(VocabularyTest, FieldCountIsTheSentinel) {
  EXPECT_EQ(ir::kFieldCount, static_cast<int>(ir::Field::kCount));
  EXPECT_EQ(std::string(ir::FieldName(ir::Field::kCount)), "?");
  EXPECT_EQ(std::size(ir::kFieldNames), static_cast<size_t>(ir::kFieldCount));
  EXPECT_EQ(ir::FieldSet{}.size(), static_cast<size_t>(ir::kFieldCount));
}

// The set of fields a condition reads: each field alone, and all of them under and/or/not.
TEST(VocabularyTest, EveryFieldIsReadWhereAConditionNamesIt) {
  ir::Condition all;
  all.kind = ir::Condition::Kind::kAnd;
  for (int i = 0; i < ir::kFieldCount; ++i) {
    ir::Condition leaf;
    leaf.kind = ir::Condition::Kind::kCompareNumber;
    leaf.field = static_cast<ir::Field>(i);
    ir::FieldSet set{};
    ir::AddFieldsNamedBy(leaf, &set);
    // unit_value is value / weight (SPEC §7.2): naming it reads both.
    const bool unit_value = leaf.field == ir::Field::kUnitValue;
    for (int j = 0; j < ir::kFieldCount; ++j) {
      const auto other = static_cast<ir::Field>(j);
      const bool expected =
          i == j || (unit_value && (other == ir::Field::kValue || other == ir::Field::kWeight));
      EXPECT_EQ(set[j], expected) << ir::kFieldNames[i] << " / " << ir::kFieldNames[j];
    }
    ir::Condition negated;
    negated.kind = ir::Condition::Kind::kNot;
    negated.children.push_back(std::move(leaf));
    all.children.push_back(std::move(negated));
  }
  ir::FieldSet set{};
  ir::AddFieldsNamedBy(all, &set);
  for (int i = 0; i < ir::kFieldCount; ++i) EXPECT_TRUE(set[i]) << ir::kFieldNames[i];
  ir::FieldSet none{};
  ir::AddFieldsNamedBy(ir::Condition{}, &none);  // kTrue names nothing
  for (int i = 0; i < ir::kFieldCount; ++i) EXPECT_FALSE(none[i]) << ir::kFieldNames[i];
}

// ingest's key table against ir::Field: every declaration field the ruleset reads is a JSON key
// of the same name, required when read (a field added to ir::Field but not to the reader, or
// named differently there, fails here). Profile fields are never declaration keys.
TEST(VocabularyTest, EveryDeclarationFieldIsAKeyOfTheSameName) {
  const std::string minimal =
      R"({"id":"d1","enterprise":"E1","date":"2024-01-02","direction":"import","hs":"010121"})";
  const std::vector<ir::Field> always = {ir::Field::kDirection, ir::Field::kHs, ir::Field::kDate,
                                         ir::Field::kEnterprise};
  for (int i = 0; i < ir::kFieldCount; ++i) {
    const auto field = static_cast<ir::Field>(i);
    ir::FieldSet reads{};
    reads[i] = true;
    ingest::DeclarationParser parser(reads);
    Declaration d;
    const absl::Status status = parser.Parse(minimal, &d);
    const bool always_required =
        std::find(always.begin(), always.end(), field) != always.end();
    if (!ir::IsDeclarationField(field) || always_required) {
      EXPECT_TRUE(status.ok()) << ir::kFieldNames[i] << ": " << status;
    } else {
      EXPECT_EQ(std::string(status.message()),
                "missing field '" + std::string(ir::kFieldNames[i]) + "' (the ruleset reads it)");
    }
  }
  // And an always-required key is named by its field name when missing.
  ingest::DeclarationParser parser(ir::FieldSet{});
  Declaration d;
  EXPECT_EQ(std::string(parser.Parse(R"({"id":"d1","enterprise":"E1","date":"2024-01-02","hs":"010121"})", &d)
                            .message()),
            std::string("missing field '") + ir::FieldName(ir::Field::kDirection) + "'");
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
