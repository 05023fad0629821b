// The rule compiler: `.rules` text in, diagnostics and (when there are no errors) an
// ir::Ruleset out. This is the only header of dsl/ that other modules include (with
// dsl/ir.h); the Spirit X3 grammar, AST and checker live in dsl/internal/.
//
// Two error channels, as in cel-cpp: mistakes in the rule text are Diagnostics inside the
// result (never exceptions, never a non-OK status); the compiler itself does not fail.
//
// Thread-safety: Compile is a pure function and may be called from many threads at once.
#ifndef BUKONG_DSL_COMPILER_H_
#define BUKONG_DSL_COMPILER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ir.h"

namespace bukong::dsl {

struct Diagnostic {
  enum class Severity : uint8_t { kError, kWarning };
  Severity severity = Severity::kError;
  uint32_t line = 0;    // from 1
  uint32_t column = 0;  // from 1, in Unicode code points (a tab is one)
  std::string message;  // without file, position or severity
};

struct CompileResult {
  // All diagnostics of the file, in source order (by line, then column).
  std::vector<Diagnostic> diagnostics;
  // Present exactly when no diagnostic is an error.
  std::optional<ir::Ruleset> ruleset;

  bool HasErrors() const;
  int ErrorCount() const;
  int WarningCount() const;
};

struct CompileOptions {
  // Conditions nested deeper than this (parentheses, not, and/or chains) are an error rather
  // than a risk to the stack.
  int max_nesting = 200;
  // After this many errors the compiler stops (with one last error saying so), so that a
  // huge file of garbage costs bounded time and memory.
  int max_errors = 1000;
};

// Compiles `source`, whose name (for ir::Ruleset::source_name) is `file_name`.
CompileResult Compile(std::string_view source, std::string_view file_name,
                      const CompileOptions& options = {});

// Formats one diagnostic as SPEC §6 asks:
//   FILE:LINE:COL: error: MESSAGE
//   <the source line>
//   <spaces by display width, a CJK character counting two>^
// The result ends with a newline.
std::string FormatDiagnostic(std::string_view file_name, std::string_view source,
                             const Diagnostic& diagnostic);

// Formats every diagnostic of `result` (as FormatDiagnostic does) followed by a summary line
// `FILE: N errors, M warnings` — exactly what `bukong check FILE` writes to stderr.
std::string FormatDiagnostics(std::string_view file_name, std::string_view source,
                              const CompileResult& result);

}  // namespace bukong::dsl

#endif  // BUKONG_DSL_COMPILER_H_
