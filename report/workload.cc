#include "report/workload.h"

namespace bukong::report {

std::string_view PeriodText(Period p) { return p == Period::kDay ? "day" : "week"; }

DayNumber PeriodStart(DayNumber day, Period p) {
  if (p == Period::kDay) return day;
  // 1970-01-01 (day 0) was a Thursday: Monday-based weekday = (day + 3) mod 7.
  const int weekday = ((day + 3) % 7 + 7) % 7;
  return day - weekday;
}

void WorkloadAccumulator::Add(DayNumber date, const DecisionFacts& facts) {
  WorkloadRow& row = rows_[PeriodStart(date, period_)];
  ++row.declarations;
  if (facts.outcome == Outcome::kHold) {
    ++row.holds;
  } else if (facts.outcome == Outcome::kInspect) {
    if (facts.at_port) {
      ++(facts.nii ? row.port_nii : row.port_manual);
    } else {
      ++(facts.nii ? row.destination_nii : row.destination_manual);
    }
  }
}

std::vector<WorkloadRow> WorkloadAccumulator::Finish() const {
  std::vector<WorkloadRow> out;
  out.reserve(rows_.size());
  for (const auto& [day, row] : rows_) {
    out.push_back(row);
    out.back().period = FormatIsoDate(day);
  }
  return out;
}

}  // namespace bukong::report
