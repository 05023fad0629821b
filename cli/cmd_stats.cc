// `bukong stats --db DIR [--json]`: realized inspection rates per grade (SPEC §4, §6).
//
// Over the audit log — the latest decision of each declaration id (support_audit.h says
// why) — per grade: declarations, the realized rate ((inspections + holds) / declarations),
// split into discretionary (the winner is the baseline or a non-`fixed` rule) and mandated
// (a `fixed` rule won, or a hold), the ratio of the discretionary rate to the reference
// grade's (the first grade whose factor is exactly 1.0), site split and non-intrusive share
// of inspections, holds. The figures come from the decisions as stored; whether the winner
// was `fixed` is looked up in the stored ruleset the decision names.
//
// Decisions made under different rulesets are reported apart, one table per ruleset in the
// order the log first uses them: grades, factors and the reference grade belong to a
// ruleset, and mixing them would compare unlike things.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_audit.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "core/json.h"
#include "report/report.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

class StatsCommand : public Command {
 public:
  int Order() const override { return 70; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "stats",
        "Realized inspection rates per grade (discretionary vs mandated, ratio to the "
        "reference grade), site and method, over the audit log");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_flag("--json", json_, "One JSON object instead of tables");
    return sub;
  }

  int Run() override {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "stats");
    if (!store) return kExitFailure;
    StoredRulesets rulesets(*store);

    struct PerRuleset {
      const RulesetEntry* ruleset = nullptr;
      std::string sha;
      report::StatsAccumulator stats;
    };
    std::vector<PerRuleset> groups;  // in order of first use
    std::map<const RulesetEntry*, size_t> group_of;
    LatestScanStats scan;
    absl::Status status =
        ScanLatestDecisions(*store, rulesets, &scan,
                            [&](const storage::AuditEntry& e, const RulesetEntry& ruleset,
                                const StoredDecision& decision) {
                              auto [it, inserted] = group_of.emplace(&ruleset, groups.size());
                              if (inserted)
                                groups.push_back({&ruleset, e.record.ruleset_sha256, {}});
                              groups[it->second].stats.Add(FactsOf(decision, ruleset, ""));
                              return absl::OkStatus();
                            });
    if (!status.ok()) {
      fmt::print(stderr, "bukong stats: {}\n", Message(status));
      return kExitFailure;
    }

    const uint64_t counted = scan.records - scan.superseded;
    std::string out;
    if (json_) {
      out =
          fmt::format("{{\"audit_records\":{},\"superseded\":{},\"declarations\":{},\"rulesets\":[",
                      scan.records, scan.superseded, counted);
      for (size_t i = 0; i < groups.size(); ++i) {
        const PerRuleset& g = groups[i];
        const report::StatsReport r =
            g.stats.Finish(g.ruleset->GradeOrder(), g.ruleset->ReferenceGrade());
        if (i) out += ',';
        out += "{\"ruleset\":";
        AppendJsonString(out, g.ruleset->compiled->Id());
        out += ",\"sha256\":";
        AppendJsonString(out, g.sha);
        out += fmt::format(",\"declarations\":{},\"stats\":", r.total.declarations);
        out += report::FormatStatsJson(r);
        out += '}';
      }
      out += "]}\n";
    } else {
      out = fmt::format("audit log: {} record{}, {} declaration{} counted", scan.records,
                        scan.records == 1 ? "" : "s", counted, counted == 1 ? "" : "s");
      if (scan.superseded > 0) {
        out += fmt::format(" ({} earlier decision{} of re-decided declarations skipped)",
                           scan.superseded, scan.superseded == 1 ? "" : "s");
      }
      out += '\n';
      for (const PerRuleset& g : groups) {
        const report::StatsReport r =
            g.stats.Finish(g.ruleset->GradeOrder(), g.ruleset->ReferenceGrade());
        out += fmt::format("\nruleset {} (sha256 {}…): {} declaration{}\n",
                           g.ruleset->compiled->Id(), g.sha.substr(0, 12), r.total.declarations,
                           r.total.declarations == 1 ? "" : "s");
        out += report::FormatStatsText(r);
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }

 private:
  std::string db_;
  bool json_ = false;
};

BUKONG_REGISTER_COMMAND(StatsCommand);

}  // namespace
}  // namespace bukong::cli
