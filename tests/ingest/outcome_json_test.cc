#include "ingest/outcome_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bukong::ingest {
namespace {

std::string ErrorOf(std::string_view line) {
  OutcomeParser parser;
  OutcomeLine out;
  absl::Status s = parser.Parse(line, &out);
  EXPECT_EQ(s.code(), s.ok() ? absl::StatusCode::kOk : absl::StatusCode::kInvalidArgument);
  return s.ok() ? "" : std::string(s.message());
}

TEST(OutcomeJsonTest, ReadsHitsAndCleansWithOneParser) {
  OutcomeParser parser;
  OutcomeLine out;
  ASSERT_TRUE(parser.Parse(R"({"id":"D1","result":"hit"})", &out).ok());
  EXPECT_EQ(out.declaration_id, "D1");
  EXPECT_TRUE(out.hit);
  ASSERT_TRUE(parser.Parse(R"(  {"result":"clean","id":"报关单\u0041"} )", &out).ok());
  EXPECT_EQ(out.declaration_id, "报关单A");
  EXPECT_FALSE(out.hit);
}

TEST(OutcomeJsonTest, EveryErrorNamesTheFieldOrTheProblem) {
  EXPECT_EQ(ErrorOf("{"), "not JSON");
  EXPECT_EQ(ErrorOf(R"({"id":"D1","result":"hit"} x)"), "not JSON");
  EXPECT_EQ(ErrorOf(R"(["D1","hit"])"), "expected a JSON object");
  EXPECT_EQ(ErrorOf(R"({"id":"D1","id":"D2","result":"hit"})"), "key 'id' is repeated");
  EXPECT_EQ(ErrorOf(R"({"id":7,"result":"hit"})"), "field 'id': expected a string");
  EXPECT_EQ(ErrorOf(R"({"id":"","result":"hit"})"), "field 'id': must not be empty");
  EXPECT_EQ(ErrorOf(R"({"id":"D1","result":"miss"})"),
            "field 'result': expected \"hit\" or \"clean\", found 'miss'");
  EXPECT_EQ(ErrorOf(R"({"id":"D1","reslt":"hit"})"),
            "unknown key 'reslt' (an outcome has exactly `id` and `result`)");
  EXPECT_EQ(ErrorOf(R"({"result":"hit"})"), "field 'id' is missing");
  EXPECT_EQ(ErrorOf(R"({"id":"D1"})"), "field 'result' is missing");
}

}  // namespace
}  // namespace bukong::ingest
