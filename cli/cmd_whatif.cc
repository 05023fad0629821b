// `bukong what-if --db DIR --rules FILE [--json]`: the audited declarations under another
// ruleset (SPEC §4, §6).
//
// Each audit record that is the latest decision of its declaration id (support_audit.h) is
// re-decided from its stored declaration and profile snapshot with the database's key under
// the ruleset of FILE: only the ruleset differs. "Before" is the decision as stored. The
// report (report/ WhatIfAccumulator) gives, per grade and per HS chapter, inspections and
// rates before and after, holds apart, declarations newly inspected and newly released, and
// over the declarations with a recorded outcome the hits found before and after.
//
// A record the new ruleset cannot decide — its grade is not declared there, the stored
// declaration lacks a field the new ruleset reads, or it was decided under another
// selection key — is undecidable: named on stderr (the first 100, then a count), counted in
// the report, and the run goes on. Nothing is written to the database.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_audit.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "core/json.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "report/report.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

constexpr uint64_t kUndecidableShown = 100;

class WhatIfCommand : public Command {
 public:
  int Order() const override { return 80; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "what-if",
        "Re-decide the audited declarations under another ruleset and compare, per grade "
        "and per HS chapter (nothing is written)");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--rules", rules_, "The other rule file (.rules)")->required();
    sub->add_flag("--json", json_, "One JSON object instead of tables");
    return sub;
  }

  int Run() override {
    std::unique_ptr<RulesetEntry> next = LoadRuleFile(rules_);
    if (!next) return kExitFailure;
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "what-if");
    if (!store) return kExitFailure;
    StoredRulesets rulesets(*store);
    const SelectionKey key(store->key());
    ingest::DeclarationParser parser(next->fields_read);
    Declaration declaration;
    report::WhatIfAccumulator accumulator;
    std::vector<std::string> grade_order;  // the old rulesets' grades, in first-use order
    std::set<const RulesetEntry*> seen_rulesets;
    std::vector<std::string> before_ids;
    uint64_t undecidable = 0;

    LatestScanStats scan;
    absl::Status status = ScanLatestDecisions(
        *store, rulesets, &scan,
        [&](const storage::AuditEntry& e, const RulesetEntry& before_ruleset,
            const StoredDecision& stored) -> absl::Status {
          if (seen_rulesets.insert(&before_ruleset).second) {
            before_ids.push_back(before_ruleset.compiled->Id());
            for (std::string& g : before_ruleset.GradeOrder()) {
              if (std::find(grade_order.begin(), grade_order.end(), g) == grade_order.end()) {
                grade_order.push_back(std::move(g));
              }
            }
          }
          const storage::AuditRecord& r = e.record;
          auto cannot = [&](std::string_view why) {
            if (++undecidable <= kUndecidableShown) {
              fmt::print(stderr, "what-if: record {} ({}): undecidable: {}\n", e.seq,
                         ingest::QuoteForMessage(r.declaration_id), why);
            }
            accumulator.Add(r.declaration_id, FactsOf(stored, before_ruleset, ""), std::nullopt,
                            std::nullopt);
            return absl::OkStatus();
          };
          if (r.key_id != store->key_id()) {
            return cannot(
                fmt::format("decided under selection key {}, not the database's", r.key_id));
          }
          if (absl::Status s = parser.Parse(r.declaration, &declaration); !s.ok()) {
            return cannot(Message(s));
          }
          auto after = engine::Decide(next->compiled, key, declaration, r.profile ? &*r.profile : nullptr);
          if (!after.ok()) return cannot(Message(after.status()));
          auto outcome = store->GetOutcome(r.declaration_id);
          if (!outcome.ok()) return outcome.status();
          std::optional<bool> hit;
          if (outcome->has_value()) hit = (*outcome)->result == storage::OutcomeResult::kHit;
          accumulator.Add(r.declaration_id, FactsOf(stored, before_ruleset, declaration.hs),
                          FactsOf(*after, declaration.hs), hit);
          return absl::OkStatus();
        });
    if (!status.ok()) {
      fmt::print(stderr, "bukong what-if: {}\n", Message(status));
      return kExitFailure;
    }
    if (undecidable > kUndecidableShown) {
      fmt::print(stderr, "what-if: {} more undecidable records not shown\n",
                 undecidable - kUndecidableShown);
    }
    const report::WhatIfReport report = accumulator.Finish(grade_order);
    std::string out;
    if (json_) {
      out = fmt::format("{{\"rules\":");
      AppendJsonString(out, next->compiled->Id());
      out += ",\"sha256\":";
      AppendJsonString(out, next->compiled->Sha256());
      out += fmt::format(",\"audit_records\":{},\"superseded\":{},\"report\":", scan.records,
                         scan.superseded);
      out += report::FormatWhatIfJson(report);
      out += "}\n";
    } else {
      std::string before;
      for (const std::string& id : before_ids) before += (before.empty() ? "" : ", ") + id;
      out = fmt::format(
          "what-if: {} audited declaration{} re-decided under {} ({}); before: as decided "
          "under {}\n\n",
          scan.records - scan.superseded, scan.records - scan.superseded == 1 ? "" : "s",
          next->compiled->Id(), rules_, before.empty() ? "-" : before);
      out += report::FormatWhatIfText(report);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }

 private:
  std::string db_;
  std::string rules_;
  bool json_ = false;
};

BUKONG_REGISTER_COMMAND(WhatIfCommand);

}  // namespace
}  // namespace bukong::cli
