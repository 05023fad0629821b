#include "engine/compile_text.h"

#include <utility>

namespace bukong::engine {

CompileTextResult CompileRulesetText(std::string_view text, std::string_view file_name) {
  CompileTextResult result;
  dsl::CompileResult compiled = dsl::Compile(text, file_name);
  result.diagnostics = std::move(compiled.diagnostics);
  if (!compiled.ruleset) return result;
  auto plan = CompileRuleset(std::move(*compiled.ruleset));
  if (!plan.ok()) {
    result.status = plan.status();
    return result;
  }
  result.ruleset = *std::move(plan);
  return result;
}

int CompileTextResult::ErrorCount() const {
  int n = 0;
  for (const dsl::Diagnostic& d : diagnostics)
    if (d.severity == dsl::Diagnostic::Severity::kError) ++n;
  return n;
}

}  // namespace bukong::engine
