#include "core/json.h"

#include <gtest/gtest.h>

namespace bukong {
namespace {

TEST(JsonTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("x\ny\tz\r"), R"("x\ny\tz\r")");
  EXPECT_EQ(JsonString(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
}

TEST(JsonTest, KeepsUtf8) { EXPECT_EQ(JsonString("失信企业"), "\"失信企业\""); }

}  // namespace
}  // namespace bukong
