// `bukong report`: one self-contained HTML file for a supervisor (issue #15). It opens
// offline — no CDN, no server: the charting library (Chart.js, from Debian's libjs-chart.js)
// and the figures are inlined into the file when it is written. Tables are plain HTML (they
// read without JavaScript); charts are drawn by Chart.js from the figures embedded as JSON:
//   - rates per grade with their 95% intervals, and the statutory checks against their lines;
//   - rule efficacy: inspections and holds caused vs hits found, per rule;
//   - workload over time by site and method;
//   - with another ruleset: what-if before/after per grade and per HS chapter.
// Labels in English or Chinese; grade labels come from the rule file.
#ifndef BUKONG_REPORT_HTML_H_
#define BUKONG_REPORT_HTML_H_

#include <optional>
#include <string>
#include <vector>

#include "report/figures.h"
#include "report/report.h"

namespace bukong::report {

enum class Lang { kEn, kZh };

struct HtmlWhatIf {
  std::string rules_id;    // name@version of the other ruleset
  std::string rules_file;  // as given on the command line
  WhatIfReport report;
  std::vector<CheckResult> checks_before;  // the statutory checks of the grades, before/after
  std::vector<CheckResult> checks_after;
};

struct HtmlReportInput {
  Lang lang = Lang::kEn;
  std::string database;  // the folder, as given
  uint64_t audit_records = 0;
  uint64_t superseded = 0;
  uint64_t declarations = 0;
  uint64_t outcomes = 0;
  Period period = Period::kWeek;
  std::vector<RulesetFigures> sections;
  std::optional<HtmlWhatIf> what_if;
  // `stats --json`'s object (the charts are drawn from it; embedded verbatim).
  std::string stats_json;
  // `what-if --json`'s "report" object, when what_if is set.
  std::string what_if_json;
  // The Chart.js UMD build (chart.min.js), inlined as it is.
  std::string chart_js;
};

// The whole HTML document (UTF-8).
std::string RenderHtmlReport(const HtmlReportInput& input);

// Text made safe inside HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace bukong::report

#endif  // BUKONG_REPORT_HTML_H_
