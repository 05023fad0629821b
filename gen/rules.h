// Generated rulesets in the rule language (SPEC §1), of any size, for tests, benchmarks and
// demos.
//
// The text depends only on the options. It declares the grades (by default advanced 0.2,
// certified 0.5, general 1.0, dishonest floor 80%), the unknown-enterprise grade, a 2.44%
// baseline, commodity sets of real HS 2022 codes and ranges, and `rules` rules built from
// the conditions risk officers write: commodity sets and inline HS lists, origin and
// trade-country lists, value and weight thresholds, transport mode and port, two-step
// declarations, enterprise flags, grades, counters and hit rate, dates, `valid` windows,
// some `fixed` rates and a few `hold`s. Each rule's selectivity is aimed, from the
// generator's own traffic model (gen/declarations.h), so that a generated declaration
// matches a handful of rules (about 2-6) whatever the size of the ruleset. With
// RulesetOptions::v2 the ruleset also uses lists, unit_value, sample and require (SPEC §7).
#ifndef BUKONG_GEN_RULES_H_
#define BUKONG_GEN_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gen/profiles.h"

namespace bukong::gen {

struct RulesetOptions {
  uint64_t seed = 1;
  uint64_t rules = 200;
  // Grades, most trusted first (only the names and order matter here). The grade with the
  // largest share becomes the reference (factor 1.0) and the unknown-enterprise grade;
  // grades before it get factors between 0.2 and 0.5; the last grade, when after it, gets
  // `floor 80%`; grades in between get factor 1.5.
  std::vector<GradeShare> grades = DefaultGradeShares();
  // Mean number of rules a declaration should match.
  double target_matches = 3.5;
  // Also the constructs of SPEC §7 (v2): the four lists of gen/lists.h (kGeneratedLists)
  // declared and used by rules (`enterprise in`, `origin in`, `port in`, `hs in`, `not in`),
  // `unit_value` rules, a `sample` statement and `require` lines for the grades' ratios.
  // They are drawn from a random stream of their own and added to the v1 text, so the rules
  // of the v1 ruleset are all there, unchanged; with v2 = false the output is exactly the v1
  // ruleset's (byte for byte what it was before v2 existed).
  bool v2 = false;
};

// The ruleset text (UTF-8, '\n' line ends).
std::string GenerateRuleset(const RulesetOptions& options);

}  // namespace bukong::gen

#endif  // BUKONG_GEN_RULES_H_
