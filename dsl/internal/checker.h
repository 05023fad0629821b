// The checker: resolves names and types in the AST, validates every literal, reports
// errors and warnings, and lowers a file without errors to ir::Ruleset.
// Internal to dsl/ (the AST it reads holds Boost types; its output does not).
#ifndef BUKONG_DSL_INTERNAL_CHECKER_H_
#define BUKONG_DSL_INTERNAL_CHECKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/compiler.h"
#include "dsl/internal/ast.h"
#include "dsl/ir.h"

namespace bukong::dsl::internal {

// A diagnostic before positions are turned into line and column.
struct RawDiagnostic {
  uint32_t offset = 0;
  Diagnostic::Severity severity = Diagnostic::Severity::kError;
  std::string message;
};

// A statement the parser could not read. The checker uses it to avoid follow-on errors:
// a grade whose declaration had a syntax error is not "unknown" where it is used, and a
// broken `ruleset` line is not also a "missing header".
struct BrokenStatement {
  std::string keyword;  // ruleset, grade, unknown, baseline, commodity, rule
  std::string name;     // the identifier after the keyword, if any
  uint32_t offset = 0;
};

struct ParsedFile {
  std::vector<ast::Statement> statements;  // in source order
  std::vector<BrokenStatement> broken;
  // Whether the first statement of the file (parsed or broken) is a `ruleset` header.
  bool first_is_header = false;
};

// Collects diagnostics, stopping (with one last error) after `max_errors` errors.
class DiagnosticSink {
 public:
  explicit DiagnosticSink(int max_errors) : max_errors_(max_errors) {}
  void Error(uint32_t offset, std::string message);
  void Warning(uint32_t offset, std::string message);
  bool Full() const { return errors_ >= max_errors_; }
  int errors() const { return errors_; }
  std::vector<RawDiagnostic>& diagnostics() { return diagnostics_; }

 private:
  int max_errors_;
  int errors_ = 0;
  bool stopped_ = false;
  std::vector<RawDiagnostic> diagnostics_;
};

// Checks `file` (parsed from `source`) and, when it adds no error and `sink` held none
// before, returns the lowered ruleset (without source_sha256 / source_name). Statements are
// released as they are lowered (so the AST and the IR of a huge file are not both held).
std::optional<ir::Ruleset> CheckAndLower(ParsedFile& file, std::string_view source,
                                         const CompileOptions& options, DiagnosticSink& sink);

}  // namespace bukong::dsl::internal

#endif  // BUKONG_DSL_INTERNAL_CHECKER_H_
