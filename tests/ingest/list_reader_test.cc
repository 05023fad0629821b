#include "ingest/list_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/sha256.h"

namespace bukong::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

ListReadResult Read(const std::string& text, ListType type, std::string_view name = "l.txt") {
  std::istringstream in(text);
  absl::StatusOr<ListReadResult> r = ReadList(&in, name, type);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : ListReadResult{};
}

TEST(ListTypeTest, NamesRoundTrip) {
  for (ListType t : {ListType::kEnterprise, ListType::kCountry, ListType::kPort, ListType::kHs}) {
    EXPECT_EQ(ListTypeFromName(ListTypeName(t)), t);
  }
  EXPECT_EQ(ListTypeName(ListType::kHs), "hs");
  EXPECT_EQ(ListTypeFromName("Country"), std::nullopt);
  EXPECT_EQ(ListTypeFromName("commodity"), std::nullopt);
}

TEST(ListReaderTest, CommentsTrimmingBlankLinesAndCrlf) {
  const ListReadResult r = Read(
      "# sanctioned origins, 2026-12\n"
      "  KP   # DPRK\n"
      "\tIR\t\r\n"
      "\n"
      "   \n"
      "# only a comment\n"
      "CN",
      ListType::kCountry);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_THAT(r.list->entries, ElementsAre("CN", "IR", "KP"));
  EXPECT_EQ(r.list->lines, 7u);
  EXPECT_EQ(r.list->type, ListType::kCountry);
}

TEST(ListReaderTest, DigestIsSha256OfSortedDistinctEntriesEachWithNewline) {
  const ListReadResult r = Read("KP\nIR\nCN\nKP\n", ListType::kCountry);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.list->repeated, 1u);
  // `printf 'CN\nIR\nKP\n' | sha256sum`
  EXPECT_EQ(r.list->digest, "85f1cad97446f9db34da1d6778033d75646a975f808c5cb8f32f985282a65620");
  EXPECT_EQ(r.list->digest, Sha256Hex("CN\nIR\nKP\n"));
  // The same entries in another order, with comments and repeats: the same version.
  const ListReadResult again = Read("# x\nCN\n\nKP # y\nIR\nIR\n", ListType::kCountry);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.list->digest, r.list->digest);
}

TEST(ListReaderTest, EmptyListIsValidAndHasTheDigestOfNothing) {
  const ListReadResult r = Read("# nothing yet\n\n", ListType::kEnterprise);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.list->entries, IsEmpty());
  EXPECT_EQ(r.list->digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(Read("", ListType::kHs).ok());
}

TEST(ListReaderTest, HsEntriesLoseTheirDotsAndCountOnceWithOrWithoutThem) {
  const ListReadResult r = Read("8471\n03.02\n0302\n8471.30.00\n", ListType::kHs);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_THAT(r.list->entries, ElementsAre("0302", "8471", "84713000"));
  EXPECT_EQ(r.list->repeated, 1u);
  EXPECT_EQ(r.list->digest, Sha256Hex("0302\n8471\n84713000\n"));
}

TEST(ListReaderTest, EntriesSortBytewiseNotByLocale) {
  // 'Z' (0x5A) < 'a' (0x61) < UTF-8 of 中 (0xE4...).
  const ListReadResult r = Read("中华公司\nabc\nZeta\n", ListType::kEnterprise);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.list->entries, ElementsAre("Zeta", "abc", "中华公司"));
}

TEST(ListReaderTest, EnterpriseAndPortEntriesAreAnyTextButKeepInnerSpaces) {
  const ListReadResult r = Read("  91330200MA2AAAAA1X \nACME  Trading Co\n", ListType::kEnterprise);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.list->entries, ElementsAre("91330200MA2AAAAA1X", "ACME  Trading Co"));
  const ListReadResult ports = Read("3100\n\"2200\"\n", ListType::kPort);
  ASSERT_TRUE(ports.ok());
  EXPECT_THAT(ports.list->entries, ElementsAre("\"2200\"", "3100"));
}

// Found by fuzz_lists: a line ending in CR CR LF kept a CR in the entry, and a file in
// CR-only line endings was one entry. Control characters inside an entry are errors.
TEST(ListReaderTest, ControlCharactersInsideAnEnterpriseOrPortEntryAreErrors) {
  const ListReadResult doubled = Read("91330200MA2AAAAA1X\r\r\nOK\n", ListType::kEnterprise);
  ASSERT_FALSE(doubled.ok());
  EXPECT_THAT(doubled.errors,
              ElementsAre("l.txt:1: error: '91330200MA2AAAAA1X\\r' contains a control character: "
                          "an enterprise list entry is one line of text (is the file in CR-only "
                          "line endings?)"));
  const ListReadResult mac = Read("3100\r3104\r2200\r", ListType::kPort);
  ASSERT_FALSE(mac.ok());
  EXPECT_THAT(mac.errors, ElementsAre(HasSubstr("l.txt:1: error: '3100\\r3104\\r2200' contains "
                                                "a control character: a port list entry")));
  EXPECT_FALSE(Read("ACME\tTrading\n", ListType::kEnterprise).ok());
  EXPECT_FALSE(Read("ACME\x7F\n", ListType::kEnterprise).ok());
  // Around an entry, spaces and tabs are still trimmed, and one CR before LF is the line end.
  const ListReadResult fine = Read("\t ACME Trading \t\r\n", ListType::kEnterprise);
  ASSERT_TRUE(fine.ok());
  EXPECT_THAT(fine.list->entries, ElementsAre("ACME Trading"));
}

TEST(ListReaderTest, EveryBadEntryIsReportedWithFileAndLineAndNothingIsReturned) {
  const ListReadResult r = Read(
      "KP\n"
      "kp\n"      // 2: lower case
      "CHN\n"     // 3: three letters
      "IR\n"
      "C N\n",    // 5: inner space
      ListType::kCountry, "sanctioned.txt");
  EXPECT_FALSE(r.ok());
  ASSERT_THAT(r.errors, SizeIs(3));
  EXPECT_THAT(r.errors[0], StartsWith("sanctioned.txt:2: error: 'kp' is not a country"));
  EXPECT_THAT(r.errors[1], StartsWith("sanctioned.txt:3: error: 'CHN' is not a country"));
  EXPECT_THAT(r.errors[2], StartsWith("sanctioned.txt:5: error: 'C N' is not a country"));
}

TEST(ListReaderTest, BadHsEntries) {
  const ListReadResult r = Read(
      "030\n"            // 1: three digits
      "03a2\n"           // 2: a letter
      "0302\n"           // 3: good
      "12345678901\n"    // 4: eleven digits
      "..\n"             // 5: no digits
      "-0302\n",         // 6: a sign
      ListType::kHs, "dual_use.txt");
  ASSERT_THAT(r.errors, SizeIs(5));
  EXPECT_THAT(r.errors[0], StartsWith("dual_use.txt:1: error: '030' is not an HS code"));
  EXPECT_THAT(r.errors[1], StartsWith("dual_use.txt:2: error:"));
  EXPECT_THAT(r.errors[2], StartsWith("dual_use.txt:4: error:"));
  EXPECT_THAT(r.errors[3], StartsWith("dual_use.txt:5: error:"));
  EXPECT_THAT(r.errors[4], StartsWith("dual_use.txt:6: error:"));
  EXPECT_FALSE(r.ok());
}

TEST(ListReaderTest, InvalidUtf8IsAnErrorAtItsLine) {
  const ListReadResult r = Read("ok\nbad\xFF\xFE\nfine\n", ListType::kEnterprise, "<stdin>");
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_THAT(r.errors[0], HasSubstr("<stdin>:2: error:"));
  EXPECT_THAT(r.errors[0], HasSubstr("UTF-8"));
}

TEST(ListReaderTest, ByteOrderMarkBeforeTheFirstLineIsSkipped) {
  const ListReadResult r = Read("\xEF\xBB\xBFKP\n", ListType::kCountry);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_THAT(r.list->entries, ElementsAre("KP"));
}

TEST(ListReaderTest, MissingFileIsAStatusNamingIt) {
  absl::StatusOr<ListReadResult> r = ReadListFile("/nonexistent/list.txt", ListType::kPort);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("/nonexistent/list.txt"));
}

TEST(ListReaderTest, CheckListEntryGivesTheStoredForm) {
  EXPECT_EQ(CheckListEntry(ListType::kHs, "0302.11").entry, "030211");
  EXPECT_THAT(CheckListEntry(ListType::kHs, "0302.1").error, HasSubstr("2, 4, 6, 8 or 10"));
  EXPECT_EQ(CheckListEntry(ListType::kCountry, "NO").entry, "NO");
  EXPECT_EQ(CheckListEntry(ListType::kPort, "3100").entry, "3100");
}

}  // namespace
}  // namespace bukong::ingest
