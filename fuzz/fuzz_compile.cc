// libFuzzer target: any bytes as a rule file. The compiler must never crash, hang, leak or
// trip a sanitizer, and its result must keep its promises (see dsl/compiler.h):
//   - a ruleset exactly when no diagnostic is an error;
//   - diagnostics in source order, with 1-based lines and columns inside the file;
//   - every diagnostic formats (FILE:LINE:COL: ..., source line, caret).
// Run: make fuzz   (60 s from the seed corpus in fuzz/corpus/)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dsl/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bukong::dsl::CompileResult result = bukong::dsl::Compile(text, "fuzz.rules");
  if (result.ruleset.has_value() == result.HasErrors()) std::abort();
  uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  uint32_t previous_line = 0, previous_column = 0;
  for (const auto& d : result.diagnostics) {
    if (d.line < 1 || d.line > lines || d.column < 1 || d.message.empty()) std::abort();
    if (d.line < previous_line || (d.line == previous_line && d.column < previous_column)) {
      std::abort();
    }
    previous_line = d.line;
    previous_column = d.column;
  }
  std::string report = bukong::dsl::FormatDiagnostics("fuzz.rules", text, result);
  if (report.empty() || report.back() != '\n') std::abort();
  return 0;
}
