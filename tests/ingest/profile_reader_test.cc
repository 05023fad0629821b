#include "ingest/profile_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/dates.h"
#include "tests/testing/status_matchers.h"

namespace bukong::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kHeader[] = "id,grade,registered,flags,inspections,hits\n";

// Everything a reader yields, in order: rows as profiles, errors as "LINE: MESSAGE".
struct Outcome {
  std::vector<std::pair<uint64_t, Profile>> rows;
  std::vector<std::string> errors;  // "name:LINE: error: MESSAGE"
};

Outcome ReadAll(const std::string& text, std::optional<ProfileFormat> format) {
  std::istringstream in(text);
  auto reader = ProfileReader::FromStream(&in, "p", format);
  Outcome out;
  ProfileRow row;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    ReadResult r = reader->Next(&row);
    if (r == ReadResult::kEnd) break;
    if (r == ReadResult::kError) {
      out.errors.push_back(reader->FormatError(row));
    } else {
      out.rows.emplace_back(row.line, row.profile);
    }
  }
  // After the end, the reader stays at the end.
  EXPECT_EQ(reader->Next(&row), ReadResult::kEnd);
  return out;
}

Outcome Csv(const std::string& body) { return ReadAll(kHeader + body, ProfileFormat::kCsv); }
Outcome Jsonl(const std::string& text) { return ReadAll(text, ProfileFormat::kJsonLines); }

// The single error of a one-row CSV body.
std::string CsvError(const std::string& body) {
  Outcome out = Csv(body);
  EXPECT_THAT(out.rows, IsEmpty()) << body;
  EXPECT_THAT(out.errors, SizeIs(1)) << body;
  return out.errors.empty() ? "" : out.errors[0];
}
std::string JsonError(const std::string& line) {
  Outcome out = Jsonl(line);
  EXPECT_THAT(out.rows, IsEmpty()) << line;
  EXPECT_THAT(out.errors, SizeIs(1)) << line;
  return out.errors.empty() ? "" : out.errors[0];
}

Profile MakeProfile(std::string id, std::string grade, const char* date,
                    std::vector<std::string> flags, uint64_t inspections, uint64_t hits) {
  Profile p;
  p.id = std::move(id);
  p.grade = std::move(grade);
  p.registered = *ParseIsoDate(date);
  p.flags = std::move(flags);
  p.inspections = inspections;
  p.hits = hits;
  return p;
}

// ---------------------------------------------------------------------------------------
// CSV

TEST(ProfileCsvTest, ReadsRowsWithSortedUniqueFlags) {
  Outcome out =
      Csv("91330200MA2AAAAA1X,general,2015-03-01,,0,0\n"
          "E2,dishonest,2020-01-31,smuggling_watch;origin_fraud;smuggling_watch,10,3\n");
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(2));
  EXPECT_EQ(out.rows[0].first, 2u);
  EXPECT_EQ(out.rows[0].second,
            MakeProfile("91330200MA2AAAAA1X", "general", "2015-03-01", {}, 0, 0));
  EXPECT_EQ(out.rows[1].first, 3u);
  EXPECT_EQ(out.rows[1].second, MakeProfile("E2", "dishonest", "2020-01-31",
                                            {"origin_fraud", "smuggling_watch"}, 10, 3));
}

TEST(ProfileCsvTest, ChineseTextInIdsAndFlags) {
  Outcome out = Csv("宁波海天贸易有限公司,certified,2010-06-30,冷链;知识产权,2,1\n");
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(1));
  EXPECT_EQ(out.rows[0].second.id, "宁波海天贸易有限公司");
  EXPECT_THAT(out.rows[0].second.flags, ElementsAre("冷链", "知识产权"));
}

TEST(ProfileCsvTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  Outcome out =
      Csv("\"A,1\",general,2015-03-01,\"x;y\",1,0\n"
          "\"say \"\"hi\"\"\",general,2015-03-01,,1,1\n"
          "\"multi\nline\r\nid\",general,2015-03-01,\"\",0,0\n"
          "after,general,2015-03-01,,0,0\n"
          "\"\",general,2015-03-01,,0,0\n");
  ASSERT_THAT(out.rows, SizeIs(4));
  EXPECT_EQ(out.rows[0].second.id, "A,1");
  EXPECT_THAT(out.rows[0].second.flags, ElementsAre("x", "y"));
  EXPECT_EQ(out.rows[1].second.id, "say \"hi\"");
  EXPECT_EQ(out.rows[2].second.id, "multi\nline\r\nid");
  EXPECT_EQ(out.rows[2].first, 4u);
  // The quoted record spans lines 4-6, so the next row is on line 7.
  EXPECT_EQ(out.rows[3].first, 7u);
  EXPECT_EQ(out.rows[3].second.id, "after");
  ASSERT_THAT(out.errors, SizeIs(1));
  EXPECT_EQ(out.errors[0], "p:8: error: field 'id': empty");
}

TEST(ProfileCsvTest, FieldsAreNotTrimmed) {
  Outcome out = Csv(" A ,general,2015-03-01,,0,0\n");
  ASSERT_THAT(out.rows, SizeIs(1));
  EXPECT_EQ(out.rows[0].second.id, " A ");
  EXPECT_EQ(CsvError("A, general,2015-03-01,,0,0\n"),
            "p:2: error: field 'grade': ' general' is not a grade name (letters, digits and _, "
            "not starting with a digit)");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,0, 1\n"),
            "p:2: error: field 'hits': expected a non-negative integer, found ' 1'");
}

TEST(ProfileCsvTest, CrlfLineEndings) {
  Outcome out = ReadAll(
      "id,grade,registered,flags,inspections,hits\r\nA,general,2015-03-01,f,0,0\r\n"
      "B,general,2015-03-02,,4,4\r\n",
      ProfileFormat::kCsv);
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(2));
  EXPECT_EQ(out.rows[1].first, 3u);
  EXPECT_EQ(out.rows[1].second.hits, 4u);  // no stray '\r' in the last field
}

TEST(ProfileCsvTest, ByteOrderMarkAndBlankLinesAreSkipped) {
  Outcome out = ReadAll(
      "\xEF\xBB\xBFid,grade,registered,flags,inspections,hits\n\nA,general,2015-03-01,,0,0\n\n",
      ProfileFormat::kCsv);
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(1));
  EXPECT_EQ(out.rows[0].first, 3u);
}

TEST(ProfileCsvTest, MissingAndExtraColumns) {
  EXPECT_EQ(CsvError("A,general,2015-03-01,,0\n"),
            "p:2: error: expected 6 fields (id,grade,registered,flags,inspections,hits), found 5");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,0,0,\n"),
            "p:2: error: expected 6 fields (id,grade,registered,flags,inspections,hits), found 7");
  EXPECT_EQ(CsvError("\"A\",general,2015-03-01,,0,0,x\n"),
            "p:2: error: expected 6 fields (id,grade,registered,flags,inspections,hits), found 7");
}

TEST(ProfileCsvTest, WrongHeaderStopsTheFile) {
  Outcome out = ReadAll("id,grade,registered,flags,inspections\nA,general,2015-03-01,,0,0\n",
                        ProfileFormat::kCsv);
  EXPECT_THAT(out.rows, IsEmpty());
  EXPECT_THAT(out.errors, ElementsAre("p:1: error: the header must be exactly "
                                      "'id,grade,registered,flags,inspections,hits', found "
                                      "'id,grade,registered,flags,inspections'"));
  EXPECT_THAT(ReadAll("ID,grade,registered,flags,inspections,hits\n", ProfileFormat::kCsv).errors,
              SizeIs(1));
  EXPECT_THAT(ReadAll("A,general,2015-03-01,,0,0\n", ProfileFormat::kCsv).errors, SizeIs(1));
  // A quoted header is the same header.
  EXPECT_THAT(
      ReadAll("\"id\",grade,registered,flags,inspections,\"hits\"\n", ProfileFormat::kCsv).errors,
      IsEmpty());
}

TEST(ProfileCsvTest, HeaderOnlyIsAnEmptyFileAndNoHeaderIsAnError) {
  Outcome header_only = ReadAll(kHeader, ProfileFormat::kCsv);
  EXPECT_THAT(header_only.rows, IsEmpty());
  EXPECT_THAT(header_only.errors, IsEmpty());
  EXPECT_THAT(ReadAll("id,grade,registered,flags,inspections,hits", ProfileFormat::kCsv).errors,
              IsEmpty());
  EXPECT_THAT(ReadAll("", ProfileFormat::kCsv).errors,
              ElementsAre("p:1: error: missing header 'id,grade,registered,flags,inspections,hits' "
                          "(the file is empty)"));
}

TEST(ProfileCsvTest, EveryFieldError) {
  EXPECT_EQ(CsvError(",general,2015-03-01,,0,0\n"), "p:2: error: field 'id': empty");
  EXPECT_EQ(CsvError("A\xFF,general,2015-03-01,,0,0\n"), "p:2: error: field 'id': invalid UTF-8");
  EXPECT_EQ(CsvError("A,,2015-03-01,,0,0\n"), "p:2: error: field 'grade': empty");
  EXPECT_EQ(CsvError("A,1st,2015-03-01,,0,0\n"),
            "p:2: error: field 'grade': '1st' is not a grade name (letters, digits and _, not "
            "starting with a digit)");
  EXPECT_EQ(CsvError("A,一般信用,2015-03-01,,0,0\n"),
            "p:2: error: field 'grade': '一般信用' is not a grade name (letters, digits and _, "
            "not starting with a digit)");
  EXPECT_EQ(CsvError("A,general,2021-02-29,,0,0\n"),
            "p:2: error: field 'registered': '2021-02-29' is not a date YYYY-MM-DD");
  EXPECT_EQ(CsvError("A,general,2021/02/01,,0,0\n"),
            "p:2: error: field 'registered': '2021/02/01' is not a date YYYY-MM-DD");
  EXPECT_EQ(CsvError("A,general,,,0,0\n"),
            "p:2: error: field 'registered': '' is not a date YYYY-MM-DD");
  EXPECT_EQ(CsvError("A,general,2015-03-01,a;;b,0,0\n"),
            "p:2: error: field 'flags': empty flag name in 'a;;b'");
  EXPECT_EQ(CsvError("A,general,2015-03-01,a;,0,0\n"),
            "p:2: error: field 'flags': empty flag name in 'a;'");
  EXPECT_EQ(CsvError("A,general,2015-03-01,x\xC3,0,0\n"),
            "p:2: error: field 'flags': invalid UTF-8");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,-1,0\n"),
            "p:2: error: field 'inspections': expected a non-negative integer, found '-1'");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,1.0,0\n"),
            "p:2: error: field 'inspections': expected a non-negative integer, found '1.0'");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,,0\n"),
            "p:2: error: field 'inspections': expected a non-negative integer, found ''");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,5,+1\n"),
            "p:2: error: field 'hits': expected a non-negative integer, found '+1'");
  EXPECT_EQ(CsvError("A,general,2015-03-01,,10,12\n"),
            "p:2: error: field 'hits': 12 exceeds inspections 10");
}

TEST(ProfileCsvTest, HugeCounters) {
  Outcome out = Csv("A,general,2015-03-01,,18446744073709551615,18446744073709551615\n");
  ASSERT_THAT(out.rows, SizeIs(1));
  EXPECT_EQ(out.rows[0].second.inspections, 18446744073709551615u);
  EXPECT_EQ(CsvError("A,general,2015-03-01,,18446744073709551616,0\n"),
            "p:2: error: field 'inspections': '18446744073709551616' is too large (at most "
            "18446744073709551615)");
}

TEST(ProfileCsvTest, QuotingMistakes) {
  EXPECT_EQ(CsvError("A\"B,general,2015-03-01,,0,0\n"),
            "p:2: error: field 'id': quote inside an unquoted field (quote the whole field and "
            "double the quote: \"a\"\"b\")");
  EXPECT_EQ(CsvError("\"A\"B,general,2015-03-01,,0,0\n"),
            "p:2: error: field 'id': unexpected text after the closing quote");
  Outcome open = Csv("A,general,2015-03-01,,0,0\n\"B,general,2015-03-01,,0,0\nC,general\n");
  ASSERT_THAT(open.rows, SizeIs(1));
  EXPECT_THAT(open.errors,
              ElementsAre("p:3: error: unterminated quoted field (a '\"' is never closed)"));
}

TEST(ProfileCsvTest, GoesOnAfterABadRowAndReportsTheLastRowWithoutNewline) {
  Outcome out =
      Csv("A,general,2015-03-01,,0,0\n"
          "B,general,2015-13-01,,0,0\n"
          "C,general,2015-03-01,,0,0\n"
          "D,general,2015-03-01,,1,2");
  ASSERT_THAT(out.rows, SizeIs(2));
  EXPECT_EQ(out.rows[1].second.id, "C");
  EXPECT_THAT(out.errors,
              ElementsAre("p:3: error: field 'registered': '2015-13-01' is not a date YYYY-MM-DD",
                          "p:5: error: field 'hits': 2 exceeds inspections 1"));
}

TEST(ProfileCsvTest, LargeFileAcrossBufferBoundaries) {
  // More than the 1 MiB chunk, with quoted multi-line records sprinkled in, so records
  // straddle refills; every row must come back with its physical line number.
  std::string text = kHeader;
  std::vector<uint64_t> expected_lines;
  uint64_t line = 2;
  for (int i = 0; i < 60'000; ++i) {
    expected_lines.push_back(line);
    if (i % 97 == 0) {
      text += "\"E" + std::to_string(i) + "\nsecond line\",general,2015-03-01,\"a;b\",3,1\n";
      line += 2;
    } else {
      text += "E" + std::to_string(i) + ",certified,2012-12-12,cold_chain_history,3,1\n";
      line += 1;
    }
  }
  Outcome out = ReadAll(text, std::nullopt);
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(60'000));
  for (int i = 0; i < 60'000; ++i) {
    ASSERT_EQ(out.rows[i].first, expected_lines[i]) << i;
    ASSERT_EQ(out.rows[i].second.id.substr(0, 1 + std::to_string(i).size()),
              "E" + std::to_string(i));
  }
}

// ---------------------------------------------------------------------------------------
// JSON Lines

TEST(ProfileJsonTest, ReadsRecords) {
  Outcome out = Jsonl(
      "{\"id\":\"A\",\"grade\":\"general\",\"registered\":\"2015-03-01\",\"flags\":[],"
      "\"inspections\":0,\"hits\":0}\n"
      "\n"
      "  {\"hits\":1,\"inspections\":2,\"flags\":[\"z\",\"冷链\",\"z\"],\"registered\":"
      "\"2020-02-29\",\"grade\":\"advanced\",\"id\":\"宁波\\u6d77\\\"x\"}  \r\n");
  EXPECT_THAT(out.errors, IsEmpty());
  ASSERT_THAT(out.rows, SizeIs(2));
  EXPECT_EQ(out.rows[0].second, MakeProfile("A", "general", "2015-03-01", {}, 0, 0));
  EXPECT_EQ(out.rows[1].first, 3u);
  EXPECT_EQ(out.rows[1].second,
            MakeProfile("宁波海\"x", "advanced", "2020-02-29", {"z", "冷链"}, 2, 1));
}

std::string Record(const std::string& replace_key, const std::string& replace_value) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", "\"A\""},      {"grade", "\"general\""}, {"registered", "\"2015-03-01\""},
      {"flags", "[\"f\"]"}, {"inspections", "3"},     {"hits", "1"}};
  std::string out = "{";
  for (auto& [key, value] : fields) {
    if (key == replace_key) {
      if (replace_value.empty()) continue;  // drop the key
      value = replace_value;
    }
    if (out.size() > 1) out += ",";
    out += "\"" + key + "\":" + value;
  }
  return out + "}";
}

TEST(ProfileJsonTest, EveryFieldError) {
  EXPECT_EQ(JsonError(Record("id", "\"\"")), "p:1: error: field 'id': empty");
  EXPECT_EQ(JsonError(Record("id", "7")),
            "p:1: error: field 'id': expected a string, found a number");
  EXPECT_EQ(JsonError(Record("id", "")), "p:1: error: missing field 'id'");
  EXPECT_EQ(JsonError(Record("grade", "null")),
            "p:1: error: field 'grade': expected a string, found null");
  EXPECT_EQ(JsonError(Record("grade", "\"a-b\"")),
            "p:1: error: field 'grade': 'a-b' is not a grade name (letters, digits and _, not "
            "starting with a digit)");
  EXPECT_EQ(JsonError(Record("registered", "\"2015-3-1\"")),
            "p:1: error: field 'registered': '2015-3-1' is not a date YYYY-MM-DD");
  EXPECT_EQ(JsonError(Record("flags", "\"a;b\"")),
            "p:1: error: field 'flags': expected an array of strings, found a string");
  EXPECT_EQ(JsonError(Record("flags", "[\"a\",1]")),
            "p:1: error: field 'flags': expected an array of strings, found a number in it");
  EXPECT_EQ(JsonError(Record("flags", "[\"\"]")), "p:1: error: field 'flags': empty flag name");
  EXPECT_EQ(JsonError(Record("flags", "[\"a;b\"]")),
            "p:1: error: field 'flags': flag 'a;b' contains ';'");
  EXPECT_EQ(JsonError(Record("inspections", "-1")),
            "p:1: error: field 'inspections': expected a non-negative integer, found '-1'");
  EXPECT_EQ(JsonError(Record("inspections", "3.0")),
            "p:1: error: field 'inspections': expected a non-negative integer, found '3.0'");
  EXPECT_EQ(JsonError(Record("inspections", "\"3\"")),
            "p:1: error: field 'inspections': expected a non-negative integer, found a string");
  EXPECT_EQ(JsonError(Record("inspections", "18446744073709551616")),
            "p:1: error: field 'inspections': '18446744073709551616' is too large (at most "
            "18446744073709551615)");
  EXPECT_EQ(JsonError(Record("hits", "4")), "p:1: error: field 'hits': 4 exceeds inspections 3");
  EXPECT_EQ(JsonError(Record("hits", "")), "p:1: error: missing field 'hits'");
}

TEST(ProfileJsonTest, HugeCounters) {
  Outcome out = Jsonl(Record("inspections", "18446744073709551615"));
  ASSERT_THAT(out.rows, SizeIs(1));
  EXPECT_EQ(out.rows[0].second.inspections, 18446744073709551615u);
}

TEST(ProfileJsonTest, StructuralErrors) {
  std::string good = Record("", "");
  EXPECT_EQ(JsonError(good.substr(0, good.size() - 1) + ",\"id\":\"B\"}"),
            "p:1: error: repeated key 'id'");
  EXPECT_EQ(JsonError(good.substr(0, good.size() - 1) + ",\"extra\":1}"),
            "p:1: error: unknown key 'extra' (a profile has the keys "
            "id,grade,registered,flags,inspections,hits)");
  EXPECT_EQ(JsonError("[1,2]"), "p:1: error: not a JSON object");
  EXPECT_EQ(JsonError(good + " x"),
            "p:1: error: invalid JSON: the object does not end at the end of the line");
  EXPECT_EQ(JsonError(good + good), "p:1: error: unexpected text after the JSON object");
  EXPECT_THAT(JsonError("{\"id\":\"A\""), HasSubstr("p:1: error: invalid JSON"));
  EXPECT_EQ(JsonError("{\"id\":\"A\xFF\"}"), "p:1: error: invalid UTF-8");
}

TEST(ProfileJsonTest, GoesOnAfterABadLine) {
  Outcome out = Jsonl(Record("", "") + "\n{bad\n" + Record("hits", "0"));
  EXPECT_THAT(out.rows, SizeIs(2));
  ASSERT_THAT(out.errors, SizeIs(1));
  EXPECT_THAT(out.errors[0], HasSubstr("p:2: error: "));
  EXPECT_EQ(out.rows[1].first, 3u);
}

// ---------------------------------------------------------------------------------------
// Format detection and files

TEST(ProfileFormatTest, ByNameThenByContent) {
  EXPECT_EQ(ProfileFormatFromName("a/b.CSV"), ProfileFormat::kCsv);
  EXPECT_EQ(ProfileFormatFromName("p.jsonl"), ProfileFormat::kJsonLines);
  EXPECT_EQ(ProfileFormatFromName("p.ndjson"), ProfileFormat::kJsonLines);
  EXPECT_EQ(ProfileFormatFromName("p.json"), ProfileFormat::kJsonLines);
  EXPECT_EQ(ProfileFormatFromName("profiles"), std::nullopt);
  EXPECT_EQ(SniffProfileFormat("\n  {\"id\""), ProfileFormat::kJsonLines);
  EXPECT_EQ(SniffProfileFormat("id,grade"), ProfileFormat::kCsv);
  EXPECT_EQ(SniffProfileFormat(""), ProfileFormat::kCsv);

  Outcome sniffed_json = ReadAll("\n" + Record("", ""), std::nullopt);
  EXPECT_THAT(sniffed_json.rows, SizeIs(1));
  EXPECT_EQ(sniffed_json.rows[0].first, 2u);
  EXPECT_THAT(ReadAll(std::string(kHeader) + "A,general,2015-03-01,,0,0\n", std::nullopt).rows,
              SizeIs(1));
}

TEST(ProfileFormatTest, OpenFiles) {
  EXPECT_THAT(ProfileReader::Open("/nonexistent/dir/p.csv"),
              testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ProfileReader::Open(::testing::TempDir()),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  std::string path = ::testing::TempDir() + "/profiles_test_input";  // no extension: sniffed
  {
    std::ofstream f(path);
    f << Record("", "") << "\n";
  }
  auto reader = ProfileReader::Open(path);
  ASSERT_THAT(reader, testing::IsOk());
  ProfileRow row;
  ASSERT_EQ((*reader)->Next(&row), ReadResult::kRow);
  EXPECT_EQ((*reader)->format(), ProfileFormat::kJsonLines);
  EXPECT_EQ((*reader)->Next(&row), ReadResult::kEnd);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bukong::ingest
