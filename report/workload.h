// Workload over time (issue #15): inspections per day or week, by site (port / destination)
// and method (non-intrusive / manual), by declaration date, so that an office sees the load
// that a ruleset puts on each team. Holds are counted apart.
#ifndef BUKONG_REPORT_WORKLOAD_H_
#define BUKONG_REPORT_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/dates.h"
#include "report/report.h"

namespace bukong::report {

enum class Period { kDay, kWeek };
std::string_view PeriodText(Period p);  // "day", "week"

struct WorkloadRow {
  std::string period;  // `YYYY-MM-DD`: the day, or the Monday that starts the week
  uint64_t declarations = 0;
  uint64_t port_nii = 0, port_manual = 0;
  uint64_t destination_nii = 0, destination_manual = 0;
  uint64_t holds = 0;
  uint64_t Inspections() const {
    return port_nii + port_manual + destination_nii + destination_manual;
  }
};

// The first day of `day`'s period: the day itself, or the Monday of its week.
DayNumber PeriodStart(DayNumber day, Period p);

class WorkloadAccumulator {
 public:
  explicit WorkloadAccumulator(Period p = Period::kWeek) : period_(p) {}
  void Add(DayNumber date, const DecisionFacts& facts);
  // Rows in date order; periods without declarations are not listed.
  std::vector<WorkloadRow> Finish() const;

 private:
  Period period_;
  std::map<DayNumber, WorkloadRow> rows_;
};

}  // namespace bukong::report

#endif  // BUKONG_REPORT_WORKLOAD_H_
