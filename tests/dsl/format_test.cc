// FormatDiagnostic / FormatDiagnostics: SPEC §6 layout, columns in code points, caret padded
// by display width.
#include <gtest/gtest.h>

#include <string>

#include "dsl/compiler.h"

namespace bukong::dsl {
namespace {

Diagnostic At(uint32_t line, uint32_t column,
              Diagnostic::Severity severity = Diagnostic::Severity::kError) {
  Diagnostic d;
  d.line = line;
  d.column = column;
  d.severity = severity;
  d.message = "msg";
  return d;
}

TEST(FormatDiagnostic, FileLineColumnSourceAndCaret) {
  EXPECT_EQ(FormatDiagnostic("a.rules", "first\nsecond line\n", At(2, 8)),
            "a.rules:2:8: error: msg\nsecond line\n       ^\n");
  EXPECT_EQ(FormatDiagnostic("a.rules", "x\n", At(1, 1, Diagnostic::Severity::kWarning)),
            "a.rules:1:1: warning: msg\nx\n^\n");
}

TEST(FormatDiagnostic, WideCharactersTakeTwoColumns) {
  // Column 9 is 'x': r u l e ␠ 冷 链 ␠ x. The caret goes under it in a terminal: 5 + 2 + 2 + 1.
  EXPECT_EQ(FormatDiagnostic("a", "rule 冷链 x\n", At(1, 9)),
            "a:1:9: error: msg\nrule 冷链 x\n          ^\n");
  // Fullwidth forms and Hangul are wide too; accented Latin is not.
  EXPECT_EQ(FormatDiagnostic("a", "ＡBé한x", At(1, 5)), "a:1:5: error: msg\nＡBé한x\n      ^\n");
}

TEST(FormatDiagnostic, TabsAreCopiedSoTheCaretLinesUp) {
  EXPECT_EQ(FormatDiagnostic("a", "\tif\tx", At(1, 5)), "a:1:5: error: msg\n\tif\tx\n\t  \t^\n");
}

TEST(FormatDiagnostic, EndOfFileAndLineEndings) {
  // After the final newline: an empty source line.
  EXPECT_EQ(FormatDiagnostic("a", "x\n", At(2, 1)), "a:2:1: error: msg\n\n^\n");
  // After the last character of a file without a final newline.
  EXPECT_EQ(FormatDiagnostic("a", "ab", At(1, 3)), "a:1:3: error: msg\nab\n  ^\n");
  // A CR before the LF is not shown.
  EXPECT_EQ(FormatDiagnostic("a", "ab\r\ncd\r\n", At(2, 2)), "a:2:2: error: msg\ncd\n ^\n");
}

TEST(FormatDiagnostics, SummaryLine) {
  CompileResult result;
  EXPECT_EQ(FormatDiagnostics("a.rules", "", result), "a.rules: 0 errors, 0 warnings\n");
  result.diagnostics = {At(1, 1), At(1, 2, Diagnostic::Severity::kWarning)};
  EXPECT_EQ(FormatDiagnostics("a.rules", "abc", result),
            "a.rules:1:1: error: msg\nabc\n^\na.rules:1:2: warning: msg\nabc\n ^\n"
            "a.rules: 1 error, 1 warning\n");
}

TEST(Compile, ColumnsCountCodePoints) {
  CompileResult result = Compile("rule r \"冷链说明\" when x > 1 then rate 1%\n", "a");
  ASSERT_FALSE(result.diagnostics.empty());
  // The unknown field `x` is the 20th code point of the line (the 26th byte would be wrong).
  bool found = false;
  for (const auto& d : result.diagnostics) {
    if (d.message == "unknown field 'x'") {
      found = true;
      EXPECT_EQ(d.line, 1u);
      EXPECT_EQ(d.column, 20u);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace bukong::dsl
