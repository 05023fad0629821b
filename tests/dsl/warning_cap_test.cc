// Issue #16: one `commodity` line of 4,000 overlapping ranges printed 576 MB of warnings
// (each of ~4,000 warnings with the whole source line). Warnings are now capped per
// statement, with one closing warning that counts the rest.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "dsl/compiler.h"

namespace bukong::dsl {
namespace {

using ::testing::HasSubstr;

const std::string kHeader =
    "ruleset \"t\" version 1\ngrade general\nunknown enterprise grade general\nbaseline 1%\n";

// A commodity set of n items, each overlapping the one before it.
std::string OverlappingSet(int n) {
  std::string line = "commodity many = hs ";
  for (int i = 0; i < n; ++i) line += i == 0 ? "0101" : ", 0101";
  return line + "\n";
}

int WarningsOnLine(const CompileResult& result, uint32_t line) {
  int n = 0;
  for (const Diagnostic& d : result.diagnostics) {
    // Only the overlap warnings and their count: `check` also warns, once, about a set that
    // no rule uses (the static analysis), which is not what the cap is about.
    n += d.line == line && d.severity == Diagnostic::Severity::kWarning &&
         d.message.find("no rule uses it") == std::string::npos;
  }
  return n;
}

TEST(WarningCap, FourThousandOverlapsGiveTenWarningsAndACount) {
  const std::string source = kHeader + OverlappingSet(4000);
  CompileResult result = Compile(source, "a.rules");
  EXPECT_FALSE(result.HasErrors());
  // 3,999 overlaps: 10 reported, then one warning counting the 3,989 left out.
  EXPECT_EQ(WarningsOnLine(result, 5), 11);
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_THAT(result.diagnostics.back().message,
              HasSubstr("3989 more warnings about this statement not shown"));
  // The printed report is bounded: 11 diagnostics, each with an excerpt of its ~24 KB line.
  std::string report = FormatDiagnostics("a.rules", source, result);
  EXPECT_LT(report.size(), 11 * 500u);
}

TEST(WarningCap, ALongLineIsShownAsAnExcerptWithTheCaretInPlace) {
  // A bad range far into a long line: the excerpt shows the text around it, cut with "...",
  // and the caret still points at its first character.
  std::string line = "commodity many = hs ";
  for (int i = 0; i < 500; ++i) line += "0101, ";
  const size_t bad = line.size();
  line += "0102..0101, 0101";
  const std::string source = kHeader + line + "\n";
  CompileResult result = Compile(source, "a.rules");
  const Diagnostic* error = nullptr;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) error = &d;
  }
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->column, bad + 1);
  const std::string text = FormatDiagnostic("a.rules", source, *error);
  // header line, source excerpt, caret line
  const size_t first = text.find('\n'), second = text.find('\n', first + 1);
  ASSERT_NE(second, std::string::npos);
  const std::string shown = text.substr(first + 1, second - first - 1);
  const std::string caret = text.substr(second + 1);
  EXPECT_EQ(shown.substr(0, 3), "...");
  EXPECT_LT(shown.size(), 200u);
  EXPECT_EQ(caret.find('^'), shown.find("0102..0101")) << shown << "\n" << caret;
  // A short line is shown whole, as before.
  CompileResult short_result = Compile(kHeader + "commodity c = hs 0102..0101\n", "a.rules");
  ASSERT_FALSE(short_result.diagnostics.empty());
  EXPECT_THAT(FormatDiagnostic("a.rules", kHeader + "commodity c = hs 0102..0101\n",
                               short_result.diagnostics[0]),
              HasSubstr("\ncommodity c = hs 0102..0101\n                 ^\n"));
}

TEST(WarningCap, TheCapIsPerStatementAndSmallCountsAreUntouched) {
  // Two sets: the first with 3 overlaps (all reported), the second with 12 (10 + count).
  const std::string source = kHeader + OverlappingSet(4) + OverlappingSet(13).replace(10, 4, "more");
  CompileResult result = Compile(source, "a.rules");
  EXPECT_EQ(WarningsOnLine(result, 5), 3);
  EXPECT_EQ(WarningsOnLine(result, 6), 11);
  int counts = 0;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.message.find("more warning") != std::string::npos) {
      ++counts;
      EXPECT_EQ(d.line, 6u);
      EXPECT_THAT(d.message, HasSubstr("2 more warnings"));
    }
  }
  EXPECT_EQ(counts, 1);
}

TEST(WarningCap, OneLeftOutIsSingular) {
  CompileResult result = Compile(kHeader + OverlappingSet(12), "a.rules");
  EXPECT_EQ(WarningsOnLine(result, 5), 11);
  EXPECT_THAT(result.diagnostics.back().message,
              HasSubstr("1 more warning about this statement not shown (at most 10 a statement)"));
}

}  // namespace
}  // namespace bukong::dsl
