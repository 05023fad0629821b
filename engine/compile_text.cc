#include "engine/compile_text.h"

#include <utility>

namespace bukong::engine {

ListBindings UnboundLists(const ir::Ruleset& ruleset) {
  ListBindings stand_ins;
  for (const ir::ListDecl& decl : ruleset.lists)
    stand_ins.emplace(decl.name, std::make_shared<ListVersion>(std::string(64, '0')));
  return stand_ins;
}

CompileTextResult CompileRulesetText(std::string_view text, std::string_view file_name,
                                     ListsAtCompile lists) {
  CompileTextResult result;
  dsl::CompileResult compiled = dsl::Compile(text, file_name);
  result.diagnostics = std::move(compiled.diagnostics);
  if (!compiled.ruleset) return result;
  ListBindings bindings;
  if (lists == ListsAtCompile::kStandIns) bindings = UnboundLists(*compiled.ruleset);
  auto plan = CompileRuleset(std::move(*compiled.ruleset), std::move(bindings));
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
