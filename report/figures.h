// Everything the supervision reports show about the decisions of one ruleset: the grade
// table, the statutory checks, rule efficacy and workload. Built by the CLI from the audit
// log (cli/support_supervision.h); formatted as text, JSON and CSV (report/tables.h) and as
// the HTML report (report/html.h).
#ifndef BUKONG_REPORT_FIGURES_H_
#define BUKONG_REPORT_FIGURES_H_

#include <string>
#include <vector>

#include "report/efficacy.h"
#include "report/report.h"
#include "report/statutory.h"
#include "report/workload.h"

namespace bukong::report {

struct RulesetFigures {
  std::string ruleset_id;  // name@version
  std::string sha256;
  std::vector<GradeInfo> grades;  // the ruleset's grades, most trusted first
  StatsReport stats;
  std::vector<CheckResult> checks;
  EfficacyReport efficacy;
  std::vector<WorkloadRow> workload;
};

}  // namespace bukong::report

#endif  // BUKONG_REPORT_FIGURES_H_
