// Regression tests for the input defects of issue #16 item 8: a byte-order mark is skipped
// alike by every reader, lines have a limit, and the profile CSV reader is as strict as its
// JSON Lines form (no raw control character in a field, no counter with a leading zero).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ingest/declaration_json.h"
#include "ingest/line_source.h"
#include "ingest/profile_reader.h"

namespace bukong::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kBom[] = "\xEF\xBB\xBF";

std::vector<std::string> Lines(const std::string& text, size_t chunk = 1 << 20,
                               std::string_view prefix = {}) {
  std::istringstream in(text);
  LineReader reader(&in, chunk, prefix);
  std::vector<std::string> out;
  std::string_view line;
  uint64_t number = 0;
  while (reader.Next(&line, &number)) out.emplace_back(line);
  EXPECT_TRUE(reader.status().ok()) << reader.status();
  return out;
}

TEST(ByteOrderMarkTest, SkippedAtTheStartOfLineInput) {
  EXPECT_THAT(Lines(std::string(kBom) + "{\"a\":1}\nb\n"), ElementsAre("{\"a\":1}", "b"));
  // Only at the very start: a mark later on is data.
  EXPECT_THAT(Lines("a\n" + std::string(kBom) + "b\n"),
              ElementsAre("a", std::string(kBom) + "b"));
  // A file holding nothing but the mark has no lines.
  EXPECT_THAT(Lines(kBom), IsEmpty());
  // Not a mark: its first two bytes only.
  EXPECT_THAT(Lines("\xEF\xBB"), ElementsAre("\xEF\xBB"));
}

TEST(ByteOrderMarkTest, SkippedWhenSplitBetweenThePrefixAndTheStream) {
  // The profile reader sniffs the head and hands it over as a prefix; a pipe may deliver
  // the first bytes one at a time. The mark is recognised however it is cut.
  EXPECT_THAT(Lines("\xBB\xBFx\ny\n", 64, "\xEF"), ElementsAre("x", "y"));
  EXPECT_THAT(Lines("\xBFx\n", 64, "\xEF\xBB"), ElementsAre("x"));
  EXPECT_THAT(Lines("x\n", 64, kBom), ElementsAre("x"));
}

TEST(ByteOrderMarkTest, ADeclarationFileWithAMarkParsesLikeOneWithout) {
  const std::string record =
      "{\"id\":\"D1\",\"enterprise\":\"E1\",\"date\":\"2021-05-04\",\"direction\":\"import\","
      "\"hs\":\"0303.89.90\"}";
  std::istringstream in(std::string(kBom) + record + "\n");
  LineReader reader(&in);
  std::string_view line;
  uint64_t number = 0;
  ASSERT_TRUE(reader.Next(&line, &number));
  EXPECT_EQ(number, 1u);
  DeclarationParser parser(FieldsRead{});
  Declaration d;
  EXPECT_TRUE(parser.Parse(line, &d).ok());
  EXPECT_EQ(d.id, "D1");
}

std::vector<std::string> ProfileErrors(const std::string& text, ProfileFormat format,
                                       size_t* rows) {
  std::istringstream in(text);
  auto reader = ProfileReader::FromStream(&in, "p", format);
  std::vector<std::string> errors;
  ProfileRow row;
  *rows = 0;
  for (ReadResult r; (r = reader->Next(&row)) != ReadResult::kEnd;) {
    if (r == ReadResult::kError) errors.push_back(reader->FormatError(row));
    if (r == ReadResult::kRow) ++*rows;
  }
  return errors;
}

TEST(ByteOrderMarkTest, ProfilesInBothFormatsAndSniffed) {
  const std::string csv =
      std::string(kBom) + "id,grade,registered,flags,inspections,hits\nA,g,2015-03-01,,0,0\n";
  const std::string jsonl = std::string(kBom) +
                            "{\"id\":\"A\",\"grade\":\"g\",\"registered\":\"2015-03-01\","
                            "\"flags\":[],\"inspections\":0,\"hits\":0}\n";
  for (const auto& [text, format] :
       {std::pair{csv, ProfileFormat::kCsv}, std::pair{jsonl, ProfileFormat::kJsonLines}}) {
    size_t rows = 0;
    EXPECT_THAT(ProfileErrors(text, format, &rows), IsEmpty());
    EXPECT_EQ(rows, 1u);
    std::istringstream in(text);
    auto sniffed = ProfileReader::FromStream(&in, "p", std::nullopt);
    ProfileRow row;
    EXPECT_EQ(sniffed->Next(&row), ReadResult::kRow) << row.error;
    EXPECT_EQ(sniffed->format(), format);
  }
}

TEST(LineLimitTest, TheDefaultIsOneMebibyteAndNamesTheLine) {
  EXPECT_EQ(LineReader::kDefaultMaxLine, size_t{1} << 20);
  std::string text = "short\n" + std::string((1 << 20) + 1, 'x') + "\nafter\n";
  std::istringstream in(text);
  LineReader reader(&in);
  std::string_view line;
  uint64_t number = 0;
  ASSERT_TRUE(reader.Next(&line, &number));
  EXPECT_FALSE(reader.Next(&line, &number));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr("a line longer than 1048576 bytes, the limit"));
  EXPECT_EQ(reader.line_number() + 1, 2u);  // the line callers name in FILE:LINE
  // It stays stopped.
  EXPECT_FALSE(reader.Next(&line, &number));
}

TEST(LineLimitTest, ALineOfExactlyTheLimitIsReadAndTheLimitCanBeRaised) {
  std::string exact(1 << 20, 'y');
  EXPECT_THAT(Lines(exact + "\nz\n"), ElementsAre(exact, "z"));
  EXPECT_THAT(Lines(exact + "\r\nz"), ElementsAre(exact, "z"));
  EXPECT_THAT(Lines("z\n" + exact), ElementsAre("z", exact));
  std::string big(3 << 20, 'x');
  std::istringstream in(big + "\nz\n");
  LineReader raised(&in, InputBuffer::kDefaultChunk, {}, 4 << 20);
  std::string_view line;
  uint64_t number = 0;
  ASSERT_TRUE(raised.Next(&line, &number));
  EXPECT_EQ(line.size(), big.size());
  ASSERT_TRUE(raised.Next(&line, &number));
  EXPECT_EQ(line, "z");
  EXPECT_TRUE(raised.status().ok());
}

TEST(ProfileStrictnessTest, CsvRefusesRawControlCharactersAsJsonDoes) {
  const std::string header = "id,grade,registered,flags,inspections,hits\n";
  size_t rows = 0;
  std::string nul_id = header + std::string("A\0B,g,2015-03-01,,0,0\n", 22);
  EXPECT_THAT(ProfileErrors(nul_id, ProfileFormat::kCsv, &rows),
              ElementsAre("p:2: error: field 'id': control character '\\x00' at byte 2 (not "
                          "allowed in a field)"));
  EXPECT_EQ(rows, 0u);
  EXPECT_THAT(ProfileErrors(header + "\"A\x01\",g,2015-03-01,,0,0\n", ProfileFormat::kCsv, &rows),
              ElementsAre(HasSubstr("field 'id': control character '\\x01'")));
  EXPECT_THAT(ProfileErrors(header + "A,g,2015-03-01,x\ty,0,0\n", ProfileFormat::kCsv, &rows),
              ElementsAre(HasSubstr("field 'flags': control character '\\t'")));
  // The JSON Lines form refuses the same raw byte.
  std::string nul_json =
      "{\"id\":\"A_B\",\"grade\":\"g\",\"registered\":\"2015-03-01\",\"flags\":[],"
      "\"inspections\":0,\"hits\":0}\n";
  nul_json[8] = '\0';
  EXPECT_THAT(ProfileErrors(nul_json, ProfileFormat::kJsonLines, &rows), SizeIs(1));
  EXPECT_EQ(rows, 0u);
  // A line break inside a quoted CSV field stays allowed (RFC 4180).
  EXPECT_THAT(ProfileErrors(header + "\"A\nB\",g,2015-03-01,,0,0\n", ProfileFormat::kCsv, &rows),
              IsEmpty());
  EXPECT_EQ(rows, 1u);
}

TEST(ProfileStrictnessTest, CountersWithLeadingZerosAreRefusedInBothFormsAlike) {
  const std::string header = "id,grade,registered,flags,inspections,hits\n";
  size_t rows = 0;
  EXPECT_THAT(ProfileErrors(header + "A,g,2015-03-01,,007,0\n", ProfileFormat::kCsv, &rows),
              ElementsAre("p:2: error: field 'inspections': expected a non-negative integer "
                          "without leading zeros, found '007'"));
  EXPECT_THAT(ProfileErrors("{\"id\":\"A\",\"grade\":\"g\",\"registered\":\"2015-03-01\","
                            "\"flags\":[],\"inspections\":7,\"hits\":00}\n",
                            ProfileFormat::kJsonLines, &rows),
              ElementsAre(HasSubstr("field 'hits'")));
  // Zero itself is fine.
  EXPECT_THAT(ProfileErrors(header + "A,g,2015-03-01,,0,0\n", ProfileFormat::kCsv, &rows),
              IsEmpty());
  EXPECT_EQ(rows, 1u);
}

}  // namespace
}  // namespace bukong::ingest
