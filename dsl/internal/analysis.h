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
//  - a rule whose top-level conjunction holds two HS tests (`hs in`, `commodity in`) with no
//    code in common: it can never match;
//  - a rule that can never win: another rule matches whenever it does (the other's
//    condition is a conjunction whose every test is implied by a test of this rule, and the
//    other's valid window covers this rule's) and beats it under every grade (a hold beats a
//    rate; a higher effective rate wins; an equal one goes to the rule first in the file;
//    among holds the first in the file is named);
//  - a rate rule whose effective rate is below the baseline's under every grade.
void AnalyzeRuleset(const ir::Ruleset& ruleset, std::string_view source, DiagnosticSink& sink);

}  // namespace bukong::dsl::internal

#endif  // BUKONG_DSL_INTERNAL_ANALYSIS_H_
