#include "core/dates.h"

#include <gtest/gtest.h>

namespace bukong {
namespace {

TEST(DatesTest, EpochAndKnownDays) {
  EXPECT_EQ(ParseIsoDate("1970-01-01"), 0);
  EXPECT_EQ(ParseIsoDate("1970-01-02"), 1);
  EXPECT_EQ(ParseIsoDate("1969-12-31"), -1);
  EXPECT_EQ(ParseIsoDate("2021-04-01"), 18718);
  EXPECT_EQ(ParseIsoDate("2000-03-01").value() - ParseIsoDate("2000-02-28").value(), 2);
}

TEST(DatesTest, RejectsMalformedAndImpossibleDates) {
  for (const char* bad : {"2021-02-29", "2021-13-01", "2021-00-10", "2021-04-31", "2021-4-01",
                          "21-04-01", "2021/04/01", " 2021-04-01", "2021-04-01 ", "",
                          "0000-01-01", "2021-04-0a"}) {
    EXPECT_FALSE(ParseIsoDate(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseIsoDate("2024-02-29").has_value());
  EXPECT_FALSE(ParseIsoDate("1900-02-29").has_value());
}

TEST(DatesTest, FormatRoundTrips) {
  for (int day = DaysFromCivil(1, 1, 1); day <= DaysFromCivil(9999, 12, 31); day += 997) {
    std::string text = FormatIsoDate(day);
    ASSERT_EQ(ParseIsoDate(text), day) << text;
  }
}

}  // namespace
}  // namespace bukong
