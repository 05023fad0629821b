#include "core/hs2022.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace bukong {
namespace {

TEST(Hs2022Test, HasEveryLevelAndIsSorted) {
  auto entries = Hs2022();
  EXPECT_EQ(std::count_if(entries.begin(), entries.end(), [](auto& e) { return e.level() == 2; }),
            97);
  EXPECT_EQ(std::count_if(entries.begin(), entries.end(), [](auto& e) { return e.level() == 4; }),
            1229);
  EXPECT_EQ(std::count_if(entries.begin(), entries.end(), [](auto& e) { return e.level() == 6; }),
            5613);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(),
                             [](auto& a, auto& b) { return a.code < b.code; }));
}

TEST(Hs2022Test, ContainsRealCodesOnly) {
  EXPECT_TRUE(Hs2022Contains("02"));
  EXPECT_TRUE(Hs2022Contains("0303"));
  EXPECT_TRUE(Hs2022Contains("850440"));
  EXPECT_TRUE(Hs2022Contains("8504409990"));  // national digits ride on a real subheading
  EXPECT_FALSE(Hs2022Contains("77"));          // chapter 77 is reserved
  EXPECT_FALSE(Hs2022Contains("0399"));
  EXPECT_FALSE(Hs2022Contains("2"));
  EXPECT_FALSE(Hs2022Contains("85044"));
}

}  // namespace
}  // namespace bukong
