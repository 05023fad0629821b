// Static analysis of a checked ruleset (`bukong check` warnings; --werror makes them fail).
// Sound first: a warning is given only when it is true for every possible declaration,
// profile and grade; what the analysis cannot prove it does not warn about. See docs/dsl.md
// ("Static analysis") for what it finds and what it cannot; tests/dsl/analysis_test.cc
// checks every warning by brute force over generated rulesets and declarations.
// Internal to dsl/.
#ifndef BUKONG_DSL_INTERNAL_ANALYSIS_H_
#define BUKONG_DSL_INTERNAL_ANALYSIS_H_

#include <string_view>

#include "dsl/internal/checker.h"
#include "dsl/ir.h"

namespace bukong::dsl::internal {

// Adds a warning to `sink` for each of, in `ruleset` (lowered from `source` without errors):
//  - a commodity set that no rule uses;
//  - a rule that can never match, from its top-level conjunction: two HS tests (`hs in`,
//    `commodity in`) with no code in common; an HS test every code of which a `hs not in` /
//    `commodity not in` test excludes; `FIELD in L and FIELD not in L` (one list); a valid
//    window that leaves no day its date tests allow (when those tests alone leave some);
//  - a rule that can never win: another rule matches whenever it does (the other's
//    condition is a conjunction whose every test is implied by a test of this rule, and the
//    other's valid window covers this rule's) and beats it under every grade (a hold beats a
//    rate; a higher effective rate wins; an equal one goes to the rule first in the file;
//    among holds the first in the file is named); when the other is a hold, the rule is
//    "unreachable" (a hold decides every declaration it matches, wherever it stands, SPEC
//    §2.3: a rate rule anywhere in the file, or a later hold, never decides);
//  - a rate rule whose effective rate is below the baseline's under every grade.
void AnalyzeRuleset(const ir::Ruleset& ruleset, std::string_view source, DiagnosticSink& sink);

}  // namespace bukong::dsl::internal

#endif  // BUKONG_DSL_INTERNAL_ANALYSIS_H_
