// Compiling a ruleset from rule text in one call: dsl::Compile then CompileRuleset.
//
// This is a separate library, bukong_engine_text, because it links the rule compiler
// (bukong_dsl, which carries Boost Spirit); bukong_engine itself consumes only the
// Spirit-free IR. Link bukong_engine_text when your program reads `.rules` files.
//
//   bukong::CompileTextResult r = bukong::CompileRulesetText(text, "zhejiang.rules");
//   for (const auto& d : r.diagnostics)
//     std::cerr << bukong::dsl::FormatDiagnostic("zhejiang.rules", text, d);
//   if (r.ruleset) engine.Swap(r.ruleset);   // a file with errors never replaces the live one
#ifndef BUKONG_ENGINE_COMPILE_TEXT_H_
#define BUKONG_ENGINE_COMPILE_TEXT_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "dsl/compiler.h"
#include "engine/engine.h"

namespace bukong::engine {

struct CompileTextResult {
  // Every error and warning of the file, in source order, with line and column (SPEC §6).
  std::vector<dsl::Diagnostic> diagnostics;
  // Set exactly when the text has no errors and its IR compiled into a plan.
  std::shared_ptr<const CompiledRuleset> ruleset;
  // OK unless the checked IR was refused by CompileRuleset (a compiler bug, not a user
  // mistake: user mistakes are diagnostics).
  absl::Status status;

  bool ok() const { return ruleset != nullptr; }
  // How many of the diagnostics are errors.
  int ErrorCount() const;
};

// How CompileRulesetText binds the lists a ruleset declares (SPEC §7.1).
enum class ListsAtCompile {
  kNone,       // a ruleset that declares a list is refused (status names the list): the
               // library's default, since a plan must not decide with lists it does not have
  kStandIns,   // every declared list is bound to an empty stand-in version (digest of 64
               // zeros): the ruleset can be checked, named and its stored decisions read back
               // (engine/decision_json.h), but it must be compiled again with real versions
               // (CompileRuleset(ir(), bindings)) before it decides anything
};

// Compiles `text`, named `file_name` in diagnostics and in ir::Ruleset::source_name.
// Thread-safe.
CompileTextResult CompileRulesetText(std::string_view text, std::string_view file_name,
                                     ListsAtCompile lists = ListsAtCompile::kNone);

// Empty stand-in versions (digest of 64 zeros) for every list `ruleset` declares.
ListBindings UnboundLists(const ir::Ruleset& ruleset);

}  // namespace bukong::engine

#endif  // BUKONG_ENGINE_COMPILE_TEXT_H_
