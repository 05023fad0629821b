// `bukong stats --db DIR [--by rule|port|chapter|grade] [--period day|week] [--from DATE]
// [--to DATE] [--port CODE] [--json | --csv TABLE] [--strict]`: what the audit log says
// about the rulesets that made its decisions (SPEC §4, §6, §7.4; issue #15).
//
// Over the latest decision of each declaration id (support_audit.h says why), per ruleset
// (grades, factors and the reference grade belong to a ruleset; mixing them would compare
// unlike things), in the order the log first uses them:
//  - per grade: declarations, the realized rate ((inspections + holds) / declarations) and
//    the discretionary rate with 95% Wilson intervals, mandated share, holds, the
//    discretionary ratio to the reference grade with its 95% Katz log interval, site split
//    and non-intrusive share;
//  - the statutory checks with realized value, interval and verdict (report/statutory.h:
//    derived from the regime's ratios for a v1 ruleset);
//  - rule efficacy over the outcomes (report/efficacy.h), per rule or `--by` group;
//  - workload per day or week of declaration date by site and method.
// `--strict` exits 1 when any check is violated. Nothing is written.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "cli/support_supervision.h"
#include "report/tables.h"

namespace bukong::cli {
namespace {

class StatsCommand : public Command {
 public:
  int Order() const override { return 70; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "stats",
        "Realized inspection rates per grade with 95% intervals, statutory checks with "
        "verdicts, rule efficacy and workload, over the audit log");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--by", by_, "Efficacy per rule (default), port, chapter or grade")
        ->check(CLI::IsMember({"rule", "port", "chapter", "grade"}));
    sub->add_option("--period", period_, "Workload per day or week (default week)")
        ->check(CLI::IsMember({"day", "week"}));
    sub->add_option("--from", from_, "Only declarations dated on or after YYYY-MM-DD");
    sub->add_option("--to", to_, "Only declarations dated on or before YYYY-MM-DD");
    sub->add_option("--port", port_, "Only declarations at this port code");
    auto* json = sub->add_flag("--json", json_, "One JSON object instead of tables");
    sub->add_option("--csv", csv_, "One table as CSV: grades, checks, efficacy or workload")
        ->check(CLI::IsMember({"grades", "checks", "efficacy", "workload"}))
        ->excludes(json);
    sub->add_flag("--strict", strict_, "Exit 1 when any statutory check is violated");
    sub->footer("Definitions, intervals, verdicts and the JSON schema: docs/CLI.md.");
    return sub;
  }

  int Run() override {
    SupervisionOptions options;
    if (int rc = ParseOptions(&options); rc != kExitOk) return rc;
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "stats");
    if (!store) return kExitFailure;
    absl::StatusOr<Supervision> s = CollectSupervision(*store, options);
    if (!s.ok()) {
      fmt::print(stderr, "bukong stats: {}\n", Message(s.status()));
      return kExitFailure;
    }
    std::string out;
    if (json_) {
      out = SupervisionJson(*s, options) + "\n";
    } else if (!csv_.empty()) {
      out = Csv(*s);
    } else {
      out = Text(*s, options);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return kExitFailure;
    if (strict_) {
      for (const SupervisionSection& sec : s->sections) {
        for (const report::CheckResult& c : sec.checks) {
          if (c.verdict == report::Verdict::kViolated) {
            fmt::print(stderr, "bukong stats: {}: violated ({})\n",
                       report::DescribeRequirement(c.requirement), sec.ruleset_id);
            return kExitFailure;
          }
        }
      }
    }
    return kExitOk;
  }

 private:
  int ParseOptions(SupervisionOptions* options) {
    ParsePeriod(period_, &options->period);
    ParseEfficacyBy(by_, &options->by);
    if (!ParseDateFlag("stats", "--from", from_, &options->from) ||
        !ParseDateFlag("stats", "--to", to_, &options->to)) {
      return kExitUsage;
    }
    if (!port_.empty()) options->port = port_;
    return kExitOk;
  }

  std::string Text(const Supervision& s, const SupervisionOptions& options) const {
    const uint64_t counted = s.scan.records - s.scan.superseded - s.filtered_out;
    std::string out =
        fmt::format("audit log: {} record{}, {} declaration{} counted", s.scan.records,
                    s.scan.records == 1 ? "" : "s", counted, counted == 1 ? "" : "s");
    if (s.scan.superseded > 0) {
      out += fmt::format(" ({} earlier decision{} of re-decided declarations skipped)",
                         s.scan.superseded, s.scan.superseded == 1 ? "" : "s");
    }
    if (s.filtered_out > 0) out += fmt::format(", {} outside the filter", s.filtered_out);
    out += fmt::format("; {} recorded outcome{}\n", s.outcomes, s.outcomes == 1 ? "" : "s");
    for (const SupervisionSection& sec : s.sections) {
      out += fmt::format("\nruleset {} (sha256 {}…): {} declaration{}\n", sec.ruleset_id,
                         sec.sha256.substr(0, 12), sec.stats.total.declarations,
                         sec.stats.total.declarations == 1 ? "" : "s");
      out += report::FormatStatsText(sec.stats);
      out += '\n';
      out += report::FormatChecksText(sec.checks);
      out += '\n';
      out += report::FormatEfficacyText(sec.efficacy);
      out += '\n';
      out += report::FormatWorkloadText(sec.workload, options.period);
    }
    return out;
  }

  std::string Csv(const Supervision& s) const {
    std::string out;
    bool header = true;
    for (const SupervisionSection& sec : s.sections) {
      if (csv_ == "grades") {
        out += report::GradesCsv(sec.stats, sec.ruleset_id, header);
      } else if (csv_ == "checks") {
        out += report::ChecksCsv(sec.checks, sec.ruleset_id, header);
      } else if (csv_ == "efficacy") {
        out += report::EfficacyCsv(sec.efficacy, sec.ruleset_id, header);
      } else {
        out += report::WorkloadCsv(sec.workload, sec.ruleset_id, header);
      }
      header = false;
    }
    if (header) {  // no decisions: the header line alone
      if (csv_ == "grades") out = report::GradesCsv({}, "", true);
      if (csv_ == "checks") out = report::ChecksCsv({}, "", true);
      if (csv_ == "efficacy") out = report::EfficacyCsv({}, "", true);
      if (csv_ == "workload") out = report::WorkloadCsv({}, "", true);
      out.resize(out.find('\n') + 1);
    }
    return out;
  }

  std::string db_;
  std::string by_ = "rule";
  std::string period_ = "week";
  std::string from_, to_, port_;
  bool json_ = false;
  std::string csv_;
  bool strict_ = false;
};

BUKONG_REGISTER_COMMAND(StatsCommand);

}  // namespace
}  // namespace bukong::cli
