#include "ingest/line_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace bukong::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::vector<std::pair<uint64_t, std::string>> Lines(const std::string& text, size_t chunk,
                                                    std::string_view prefix = {}) {
  std::istringstream in(text);
  LineReader reader(&in, chunk, prefix);
  std::vector<std::pair<uint64_t, std::string>> out;
  std::string_view line;
  uint64_t number = 0;
  while (reader.Next(&line, &number)) out.emplace_back(number, std::string(line));
  EXPECT_TRUE(reader.status().ok());
  return out;
}

TEST(LineReaderTest, SplitsLfAndCrlfAndKeepsLastLineWithoutNewline) {
  EXPECT_THAT(Lines("a\r\nbb\n\nccc", 1 << 20),
              ElementsAre(Pair(1, "a"), Pair(2, "bb"), Pair(3, ""), Pair(4, "ccc")));
}

TEST(LineReaderTest, LinesLongerThanTheChunkGrowTheBuffer) {
  std::string long_line(1000, 'x');
  EXPECT_THAT(Lines("a\n" + long_line + "\nb\n", 64),
              ElementsAre(Pair(1, "a"), Pair(2, long_line), Pair(3, "b")));
}

TEST(LineReaderTest, PrefixIsReadBeforeTheStream) {
  EXPECT_THAT(Lines("c\nd\n", 64, "a\nb"), ElementsAre(Pair(1, "a"), Pair(2, "bc"), Pair(3, "d")));
}

TEST(LineReaderTest, ALineLongerThanTheLimitStopsWithAStatus) {
  std::istringstream in("short\n" + std::string(5000, 'x') + "\nafter\n");
  LineReader reader(&in, 64, {}, 1000);
  std::string_view line;
  uint64_t number = 0;
  ASSERT_TRUE(reader.Next(&line, &number));
  EXPECT_EQ(line, "short");
  EXPECT_FALSE(reader.Next(&line, &number));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(reader.status().message()), ::testing::HasSubstr("longer than 1000"));
}

TEST(LineReaderTest, EmptyInputHasNoLines) { EXPECT_TRUE(Lines("", 64).empty()); }

}  // namespace
}  // namespace bukong::ingest
