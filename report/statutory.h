// Statutory checks (SPEC §7.4) as data, and their evaluation against realized figures.
//
// A check is `GRADE OP P%` (the grade's rate: inspections plus holds over its declarations)
// or `GRADE OP P% of GRADE2` (the grade's discretionary rate over GRADE2's, SPEC §6
// "Ratios"). A ruleset's `require` lines are its checks (the CLI turns each into a
// Requirement that cites its line); a ruleset without any (v1) gets the checks derived from
// the regime's ratios by RegimeRequirements (docs/CLI.md, "Statutory checks"). A check never
// changes a decision.
//
// Evaluation: the realized value, its 95% interval (Wilson for a rate, Katz log for a ratio)
// and a verdict — holds when the whole interval satisfies the check, violated when the
// whole interval breaks it, undetermined otherwise.
#ifndef BUKONG_REPORT_STATUTORY_H_
#define BUKONG_REPORT_STATUTORY_H_

#include <optional>
#include <string>
#include <vector>

#include "report/interval.h"
#include "report/report.h"

namespace bukong::report {

struct Requirement {
  std::string grade;
  Op op = Op::kLess;
  double bound = 0;                     // a fraction: 0.2 for 20%
  std::optional<std::string> of_grade;  // set: a ratio of discretionary rates
  std::string origin;                   // where it comes from, for people
  // A `require` line (SPEC §7.4): its line in the rule file (1-based); nullopt for a check
  // derived from the regime.
  std::optional<uint32_t> line;
};

// What the stats need to know of a ruleset's grade.
struct GradeInfo {
  std::string name;
  std::string label;  // the rule file's label ("高级认证企业"), "" when none
  double factor = 1.0;
  std::optional<double> floor;  // fractions
};

// The v1 derivation (documented in docs/CLI.md): with a reference grade R,
//  - a grade labelled 高级认证企业 (or named `advanced`): discretionary rate < 20% of R's;
//  - a grade labelled 一般认证企业 / 认证企业 (or named `certified`): < 50% of R's;
//  - a grade with a floor F: rate >= F.
// These are the inspection-rate measures of GACC Orders 237, 251 and 282 (docs/regimes.md).
std::vector<Requirement> RegimeRequirements(const std::vector<GradeInfo>& grades,
                                            const std::optional<std::string>& reference);

struct CheckResult {
  Requirement requirement;
  // Counts the figure is made of: rate = x / n; ratio = (x / n) / (x_of / n_of).
  uint64_t x = 0, n = 0, x_of = 0, n_of = 0;
  std::optional<double> value;  // absent when nothing was observed (or an unbounded ratio)
  std::optional<Interval> ci;   // absent when nothing was observed
  Verdict verdict = Verdict::kUndetermined;
};

// Evaluates each requirement over `stats` (grades it does not mention: undetermined with no
// value).
std::vector<CheckResult> EvaluateRequirements(const std::vector<Requirement>& requirements,
                                              const StatsReport& stats);

// "advanced discretionary rate < 20% of general's" / "dishonest rate >= 80%".
std::string DescribeRequirement(const Requirement& r);

}  // namespace bukong::report

#endif  // BUKONG_REPORT_STATUTORY_H_
