// `bukong report --db DIR [--rules NEW.rules] -o report.html [--lang en|zh]`: one
// self-contained HTML file for a supervisor (issue #15; report/html.h). It holds the figures
// of `bukong stats` (grade rates with intervals, statutory checks and verdicts, rule
// efficacy, workload) as tables and Chart.js charts, and with --rules the figures of
// `bukong what-if` against NEW.rules. Chart.js is read from Debian's libjs-chart.js
// (--chart-js to use another copy) and inlined: the file opens offline, without a server.
//
// The file is written beside its final name and renamed when complete: a failed run leaves
// no half-written report. Nothing is written to the database.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/support_lists.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "cli/support_supervision.h"
#include "cli/support_whatif.h"
#include "report/html.h"

#ifndef BUKONG_CHART_JS
#define BUKONG_CHART_JS "/usr/share/javascript/chart.js/chart.min.js"
#endif

namespace bukong::cli {
namespace {

class ReportCommand : public Command {
 public:
  int Order() const override { return 85; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "report",
        "Write one self-contained HTML report (charts and tables): rates with intervals, "
        "statutory checks, rule efficacy, workload, and what-if against another ruleset");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--rules", rules_, "Also show what-if against this rule file");
    sub->add_option("-o,--output", output_, "The HTML file to write")->required();
    sub->add_option("--lang", lang_, "Labels in English (en, default) or Chinese (zh)")
        ->check(CLI::IsMember({"en", "zh"}));
    sub->add_option("--period", period_, "Workload per day or week (default week)")
        ->check(CLI::IsMember({"day", "week"}));
    sub->add_option("--from", from_, "Only declarations dated on or after YYYY-MM-DD");
    sub->add_option("--to", to_, "Only declarations dated on or before YYYY-MM-DD");
    sub->add_option("--port", port_, "Only declarations at this port code");
    sub->add_option("--chart-js", chart_js_,
                    "Chart.js UMD build to inline (default " BUKONG_CHART_JS ")");
    sub->footer("See docs/CLI.md (bukong report) and docs/risk-officer-guide.md.");
    return sub;
  }

  int Run() override {
    SupervisionOptions options;
    if (!ParseDateFlag("report", "--from", from_, &options.from) ||
        !ParseDateFlag("report", "--to", to_, &options.to)) {
      return kExitUsage;
    }
    if (!port_.empty()) options.port = port_;
    ParsePeriod(period_, &options.period);

    report::HtmlReportInput in;
    {
      std::ifstream js(chart_js_, std::ios::binary);
      std::ostringstream text;
      text << js.rdbuf();
      if (!js || text.str().empty()) {
        fmt::print(stderr,
                   "bukong report: cannot read Chart.js at {} (Debian package libjs-chart.js; "
                   "scripts/install-deps.sh installs it)\n",
                   chart_js_);
        return kExitFailure;
      }
      in.chart_js = text.str();
    }
    std::unique_ptr<RulesetEntry> next;
    if (!rules_.empty()) {
      next = LoadRuleFile(rules_);
      if (!next) return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "report");
    if (!store) return kExitFailure;
    // SPEC §7.1: the new ruleset takes the current version of each list it declares, as in
    // what-if (without this its lists would be the empty stand-ins of LoadRuleFile).
    if (next) {
      if (absl::Status bound = BindCurrentListsInto(*store, next.get()); !bound.ok()) {
        fmt::print(stderr, "bukong report: {}\n", Message(bound));
        return kExitFailure;
      }
    }
    absl::StatusOr<Supervision> s = CollectSupervision(*store, options);
    if (!s.ok()) {
      fmt::print(stderr, "bukong report: {}\n", Message(s.status()));
      return kExitFailure;
    }
    in.lang = lang_ == "zh" ? report::Lang::kZh : report::Lang::kEn;
    in.database = db_;
    in.audit_records = s->scan.records;
    in.superseded = s->scan.superseded;
    in.declarations = s->scan.records - s->scan.superseded - s->filtered_out;
    in.outcomes = s->outcomes;
    in.period = options.period;
    in.stats_json = SupervisionJson(*s, options);
    in.sections = s->sections;
    if (next) {
      WhatIfOptions w;
      w.from = options.from;
      w.to = options.to;
      w.port = options.port;
      w.period = options.period;
      w.command = "report";
      absl::StatusOr<WhatIfResult> r = CollectWhatIf(*store, *next, w);
      if (!r.ok()) {
        fmt::print(stderr, "bukong report: {}\n", Message(r.status()));
        return kExitFailure;
      }
      report::HtmlWhatIf h;
      h.rules_id = next->compiled->Id();
      h.rules_file = rules_;
      h.report = r->report;
      h.checks_before = r->checks_before;
      h.checks_after = r->checks_after;
      in.what_if = std::move(h);
      in.what_if_json = report::FormatWhatIfJson(r->report);
    }
    const std::string html = report::RenderHtmlReport(in);

    const std::string tmp = fmt::format("{}.tmp-{}", output_, getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(html.data(), static_cast<std::streamsize>(html.size()));
      out.close();
      if (!out) {
        std::filesystem::remove(tmp);
        fmt::print(stderr, "bukong report: -o {}: cannot write {}\n", output_, tmp);
        return kExitFailure;
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, output_, ec);
    if (ec) {
      std::filesystem::remove(tmp);
      fmt::print(stderr, "bukong report: -o {}: {}\n", output_, ec.message());
      return kExitFailure;
    }
    fmt::print("report: {} ({} bytes, self-contained; open it in a browser)\n", output_,
               html.size());
    return kExitOk;
  }

 private:
  std::string db_, rules_, output_;
  std::string lang_ = "en";
  std::string period_ = "week";
  std::string from_, to_, port_;
  std::string chart_js_ = BUKONG_CHART_JS;
};

BUKONG_REGISTER_COMMAND(ReportCommand);

}  // namespace
}  // namespace bukong::cli
