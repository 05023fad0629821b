// `bukong what-if --db DIR --rules FILE [--from DATE] [--to DATE] [--port CODE] [--all]
// [--period day|week] [--changed FILE] [--json | --csv TABLE]`: the audited declarations
// under another ruleset (SPEC §4, §6; issue #15).
//
// Each audit record that is the latest decision of its declaration id (support_audit.h),
// within the date / port filter, is re-decided from its stored declaration and profile
// snapshot with the database's key under the ruleset of FILE (support_whatif.h): only the
// ruleset differs. "Before" is the decision as stored. The report gives, per grade and per
// HS chapter (only the chapters that change, unless --all), inspections and rates (with 95%
// intervals) before and after, holds apart, inspections by site and method, declarations
// newly inspected and newly released, and over the declarations with a recorded outcome the
// hits found before and after; then the new ruleset's statutory checks (its `require`
// lines, SPEC §7.4) on the decisions before and after — and, when the rules in force check
// other things, their own checks on the decisions as made — and the workload per day or week
// before and after.
//
// `--changed FILE` writes every declaration whose outcome changes as JSON Lines
// (docs/CLI.md); the file is written beside its final name and renamed when complete.
//
// A record the new ruleset cannot decide — its grade is not declared there, the stored
// declaration lacks a field the new ruleset reads, or it was decided under another
// selection key — is undecidable: named on stderr (the first 100, then a count), counted in
// the report, and the run goes on. Nothing is written to the database.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_lists.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "cli/support_supervision.h"
#include "cli/support_whatif.h"
#include "core/json.h"
#include "report/report.h"
#include "report/tables.h"

namespace bukong::cli {
namespace {

// True when both lists check the same things (the origins, i.e. the lines, may differ).
bool SameRequirements(const std::vector<report::CheckResult>& a,
                      const std::vector<report::CheckResult>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (report::DescribeRequirement(a[i].requirement) !=
        report::DescribeRequirement(b[i].requirement)) {
      return false;
    }
  }
  return true;
}

class WhatIfCommand : public Command {
 public:
  int Order() const override { return 80; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "what-if",
        "Re-decide the audited declarations under another ruleset and compare, per grade "
        "and per HS chapter, with statutory checks and workload (nothing is written)");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--rules", rules_, "The other rule file (.rules)")->required();
    sub->add_option("--from", from_, "Only declarations dated on or after YYYY-MM-DD");
    sub->add_option("--to", to_, "Only declarations dated on or before YYYY-MM-DD");
    sub->add_option("--port", port_, "Only declarations at this port code");
    sub->add_flag("--all", all_, "List every HS chapter, not only those that change");
    sub->add_option("--period", period_, "Workload per day or week (default week)")
        ->check(CLI::IsMember({"day", "week"}));
    sub->add_option("--changed", changed_,
                    "Write every declaration whose outcome changes to FILE (JSON Lines)");
    auto* json = sub->add_flag("--json", json_, "One JSON object instead of tables");
    sub->add_option("--csv", csv_, "One table as CSV: grades, chapters, checks or workload")
        ->check(CLI::IsMember({"grades", "chapters", "checks", "workload"}))
        ->excludes(json);
    sub->footer("Definitions and the JSON schema: docs/CLI.md.");
    return sub;
  }

  int Run() override {
    WhatIfOptions options;
    if (!ParseDateFlag("what-if", "--from", from_, &options.from) ||
        !ParseDateFlag("what-if", "--to", to_, &options.to)) {
      return kExitUsage;
    }
    if (!port_.empty()) options.port = port_;
    if (period_ == "day") options.period = report::Period::kDay;

    std::unique_ptr<RulesetEntry> next = LoadRuleFile(rules_);
    if (!next) return kExitFailure;
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "what-if");
    if (!store) return kExitFailure;
    // SPEC §7.1: the new ruleset takes the current version of each list it declares.
    if (absl::Status s = BindCurrentListsInto(*store, next.get()); !s.ok()) {
      fmt::print(stderr, "bukong what-if: {}\n", Message(s));
      return kExitFailure;
    }

    // --changed: written to FILE.tmp-PID, renamed over FILE once complete.
    std::ofstream changed;
    std::string changed_tmp;
    uint64_t changed_count = 0;
    std::function<absl::Status(const ChangedDecision&)> on_changed;
    if (!changed_.empty()) {
      changed_tmp = fmt::format("{}.tmp-{}", changed_, getpid());
      changed.open(changed_tmp, std::ios::binary | std::ios::trunc);
      if (!changed) {
        fmt::print(stderr, "bukong what-if: --changed {}: cannot create {}\n", changed_,
                   changed_tmp);
        return kExitFailure;
      }
      on_changed = [&](const ChangedDecision& c) {
        std::string line = "{\"id\":";
        AppendJsonString(line, c.id);
        line += ",\"grade\":";
        AppendJsonString(line, c.grade);
        line +=
            fmt::format(",\"before\":\"{}\",\"after\":\"{}\",\"rule_before\":", c.before, c.after);
        AppendJsonString(line, c.rule_before);
        line += ",\"rule_after\":";
        AppendJsonString(line, c.rule_after);
        line += "}\n";
        changed << line;
        ++changed_count;
        return changed ? absl::OkStatus()
                       : absl::DataLossError(fmt::format("cannot write {}", changed_tmp));
      };
    }
    absl::StatusOr<WhatIfResult> result = CollectWhatIf(*store, *next, options, on_changed);
    if (result.ok() && !changed_.empty()) {
      changed.close();
      std::error_code ec;
      if (!changed) {
        result = absl::DataLossError(fmt::format("--changed: cannot write {}", changed_tmp));
      } else if (std::filesystem::rename(changed_tmp, changed_, ec); ec) {
        result = absl::DataLossError(fmt::format("--changed: cannot rename {} to {}: {}",
                                                 changed_tmp, changed_, ec.message()));
      }
    }
    if (!result.ok()) {
      if (!changed_tmp.empty()) std::filesystem::remove(changed_tmp);
      fmt::print(stderr, "bukong what-if: {}\n", Message(result.status()));
      return kExitFailure;
    }
    const WhatIfResult& r = *result;
    std::string out;
    if (json_) {
      out = fmt::format("{{\"rules\":");
      AppendJsonString(out, next->compiled->Id());
      out += ",\"sha256\":";
      AppendJsonString(out, next->compiled->Sha256());
      out += fmt::format(",\"audit_records\":{},\"superseded\":{},\"filtered_out\":{},\"report\":",
                         r.scan.records, r.scan.superseded, r.filtered_out);
      out += report::FormatWhatIfJson(r.report);
      out += ",\"stats_before\":" + report::FormatStatsJson(r.stats_before);
      out += ",\"stats_after\":" + report::FormatStatsJson(r.stats_after);
      out += ",\"checks_before\":";
      report::AppendChecksJson(out, r.checks_before);
      out += ",\"checks_after\":";
      report::AppendChecksJson(out, r.checks_after);
      out += ",\"checks_in_force\":[";
      for (size_t i = 0; i < r.checks_in_force.size(); ++i) {
        if (i) out += ',';
        out += "{\"ruleset\":";
        AppendJsonString(out, r.checks_in_force[i].first);
        out += ",\"checks\":";
        report::AppendChecksJson(out, r.checks_in_force[i].second);
        out += '}';
      }
      out += ']';
      out += ",\"workload_before\":";
      report::AppendWorkloadJson(out, r.workload_before, options.period);
      out += ",\"workload_after\":";
      report::AppendWorkloadJson(out, r.workload_after, options.period);
      if (!changed_.empty()) out += fmt::format(",\"changed\":{}", changed_count);
      out += "}\n";
    } else if (!csv_.empty()) {
      out = Csv(r);
    } else {
      std::string before;
      for (const std::string& id : r.before_ids) before += (before.empty() ? "" : ", ") + id;
      const uint64_t counted = r.scan.records - r.scan.superseded - r.filtered_out;
      out = fmt::format(
          "what-if: {} audited declaration{} re-decided under {} ({}); before: as decided "
          "under {}{}\n\n",
          counted, counted == 1 ? "" : "s", next->compiled->Id(), rules_,
          before.empty() ? "-" : before,
          r.filtered_out ? fmt::format(" ({} outside the filter)", r.filtered_out) : "");
      out += report::FormatWhatIfText(r.report, all_);
      out += '\n';
      out += report::FormatChecksChangeText(r.checks_before, r.checks_after);
      for (const auto& [id, checks] : r.checks_in_force) {
        // The rules in force's own checks, when they are not the new file's.
        if (SameRequirements(checks, r.checks_after)) continue;
        out += fmt::format("\nthe rules in force, {}, on the decisions as made{}:\n", id,
                           r.checks_in_force.size() > 1 ? " (all rulesets' decisions together)"
                                                        : "");
        out += report::FormatChecksText(checks);
      }
      out += '\n';
      out += report::FormatWorkloadChangeText(r.workload_before, r.workload_after, options.period);
      if (!changed_.empty()) {
        out += fmt::format("\n{} declaration{} whose outcome changes written to {}\n",
                           changed_count, changed_count == 1 ? "" : "s", changed_);
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }

 private:
  std::string Csv(const WhatIfResult& r) const {
    if (csv_ == "checks") {
      return report::ChecksCsv(r.checks_before, "before", true) +
             report::ChecksCsv(r.checks_after, "after", false);
    }
    if (csv_ == "workload") {
      return report::WorkloadCsv(r.workload_before, "before", true) +
             report::WorkloadCsv(r.workload_after, "after", false);
    }
    const bool grades = csv_ == "grades";
    std::string out = fmt::format(
        "{},declarations,inspections_before,inspections_after,holds_before,holds_after,"
        "rate_before,rate_after,newly_inspected,newly_released,with_outcome,hits,hits_before,"
        "hits_after,at_port_before,at_port_after,nii_before,nii_after\n",
        grades ? "grade" : "chapter");
    auto row = [&](std::string_view label, const report::Change& c) {
      out += fmt::format("{},{},{},{},{},{},{:.6f},{:.6f},{},{},{},{},{},{},{},{},{},{}\n",
                         report::CsvField(label), c.before.declarations, c.before.inspections,
                         c.after.inspections, c.before.holds, c.after.holds, c.before.Rate(),
                         c.after.Rate(), c.newly_inspected, c.newly_released, c.with_outcome,
                         c.hits, c.hits_before, c.hits_after, c.before.at_port, c.after.at_port,
                         c.before.nii, c.after.nii);
    };
    for (const auto& [label, change] : grades ? r.report.by_grade : r.report.by_chapter) {
      if (grades || all_ || report::ChangeIsVisible(change)) row(label, change);
    }
    row("all", r.report.total);
    return out;
  }

  std::string db_;
  std::string rules_;
  std::string from_, to_, port_;
  bool all_ = false;
  std::string period_ = "week";
  std::string changed_;
  bool json_ = false;
  std::string csv_;
};

BUKONG_REGISTER_COMMAND(WhatIfCommand);

}  // namespace
}  // namespace bukong::cli
