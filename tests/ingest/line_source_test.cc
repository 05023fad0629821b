#include "ingest/line_source.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(LineReaderTest, EmptyInputHasNoLines) { EXPECT_TRUE(Lines("", 64).empty()); }

}  // namespace
}  // namespace bukong::ingest
