// Text, JSON and CSV for the supervision tables of `stats`, `what-if` and `report`:
// statutory checks, rule efficacy and workload. The JSON shapes are documented in
// docs/CLI.md ("stats --json"); CSV is RFC 4180 with a header line, one table per call.
#ifndef BUKONG_REPORT_TABLES_H_
#define BUKONG_REPORT_TABLES_H_

#include <string>
#include <string_view>
#include <vector>

#include "report/efficacy.h"
#include "report/statutory.h"
#include "report/workload.h"

namespace bukong::report {

// One line per check: what is required, the realized value with its 95% interval, the
// counts, the verdict; then a legend naming the methods and where the checks come from.
std::string FormatChecksText(const std::vector<CheckResult>& checks);
// What-if: each check on the decisions before and after, side by side (same requirements).
std::string FormatChecksChangeText(const std::vector<CheckResult>& before,
                                   const std::vector<CheckResult>& after);
// [{"grade","op","bound","of_grade"|null,"origin","description","measure":"rate"|"ratio",
//   "x","n","x_of","n_of","value"|null,"ci95":[l,h]|null,"verdict"}]
void AppendChecksJson(std::string& out, const std::vector<CheckResult>& checks);

std::string FormatEfficacyText(const EfficacyReport& report);
// {"by","random":{"label",ROW},"rows":[ROW],"outcomes_on_releases","hits_on_releases"} with
// ROW = {"key","declarations","won","inspected","holds","known","hits",
//        "hit_rate":{"value","ci95"}|null,"lift":{"value","ci95","corrected"}|null}
void AppendEfficacyJson(std::string& out, const EfficacyReport& report);

std::string FormatWorkloadText(const std::vector<WorkloadRow>& rows, Period period);
// What-if: per period, the inspections (by site and method) and holds before / after.
std::string FormatWorkloadChangeText(const std::vector<WorkloadRow>& before,
                                     const std::vector<WorkloadRow>& after, Period period);
// {"period":"day"|"week","rows":[{"period","declarations","port_nii","port_manual",
//   "destination_nii","destination_manual","inspections","holds"}]}
void AppendWorkloadJson(std::string& out, const std::vector<WorkloadRow>& rows, Period period);

// CSV: the header line (when `header`) and one line per row; `ruleset` fills the first
// column so that the tables of several rulesets can be concatenated.
std::string CsvField(std::string_view text);
std::string GradesCsv(const StatsReport& stats, std::string_view ruleset, bool header);
std::string ChecksCsv(const std::vector<CheckResult>& checks, std::string_view ruleset,
                      bool header);
std::string EfficacyCsv(const EfficacyReport& report, std::string_view ruleset, bool header);
std::string WorkloadCsv(const std::vector<WorkloadRow>& rows, std::string_view ruleset,
                        bool header);

}  // namespace bukong::report

#endif  // BUKONG_REPORT_TABLES_H_
