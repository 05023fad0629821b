// Text and JSON pieces shared by report/'s formatters. Internal to report/.
#ifndef BUKONG_REPORT_INTERNAL_FORMAT_H_
#define BUKONG_REPORT_INTERNAL_FORMAT_H_

#include <optional>
#include <string>

#include "report/interval.h"
#include "report/report.h"

namespace bukong::report::internal {

// JSON: a number with 6 decimals or null; an interval [low,high] (high null when
// unbounded) or null; {"value":v,"ci95":[l,h]} or null; a ratio likewise with "corrected".
void AppendOptionalNumber(std::string& out, const std::optional<double>& v);
void AppendIntervalJson(std::string& out, const std::optional<Interval>& ci);
void AppendProportionJson(std::string& out, const std::optional<Proportion>& p);
void AppendRatioJson(std::string& out, const std::optional<RatioEstimate>& r);
void AppendTallyJson(std::string& out, const Tally& t);
// {"declarations","sampled","sample_only","known","hits","hit_rate":{"value","ci95"}|null}
// or null.
void AppendSampleJson(std::string& out, const std::optional<SampleStats>& s);

// Text: "12.34%"; "5.79% [3.95, 8.40]" (percent points); "[3.95, inf]"; a ratio "58.31%
// [25.10, 135.20]"; "-" for nothing.
std::string Percent(double share);
std::string ProportionText(const std::optional<Proportion>& p);
std::string IntervalText(const Interval& ci);
std::string RatioText(const std::optional<RatioEstimate>& r);

}  // namespace bukong::report::internal

#endif  // BUKONG_REPORT_INTERNAL_FORMAT_H_
