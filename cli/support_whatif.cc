#include "cli/support_whatif.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cli/support_facts.h"
#include "cli/support_redecide.h"
#include "core/strings.h"
#include "cli/support_supervision.h"
#include "core/outcome.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"

namespace bukong::cli {
namespace {

constexpr uint64_t kUndecidableShown = 100;

}  // namespace

absl::StatusOr<WhatIfResult> CollectWhatIf(
    const storage::Store& store, const RulesetEntry& next, const WhatIfOptions& options,
    const std::function<absl::Status(const ChangedDecision&)>& on_changed) {
  WhatIfResult result;
  StoredRulesets rulesets(store);
  Redecider redecider(SelectionKey(store.key()), store.key_id());
  report::WhatIfAccumulator accumulator;
  report::StatsAccumulator stats_before, stats_after;
  report::WorkloadAccumulator workload_before(options.period), workload_after(options.period);
  std::vector<std::string> grade_order;  // the old rulesets' grades, in first-use order
  std::set<const RulesetEntry*> seen_rulesets;
  uint64_t undecidable = 0;

  absl::Status status = ScanLatestDecisions(
      store, rulesets, &result.scan,
      [&](const storage::AuditEntry& e, const RulesetEntry& before_ruleset,
          const StoredDecision& stored) -> absl::Status {
        if (seen_rulesets.insert(&before_ruleset).second) {
          result.before_ids.push_back(before_ruleset.compiled->Id());
          for (std::string& g : before_ruleset.GradeOrder()) {
            if (std::find(grade_order.begin(), grade_order.end(), g) == grade_order.end()) {
              grade_order.push_back(std::move(g));
            }
          }
        }
        const storage::AuditRecord& r = e.record;
        auto cannot = [&](std::string_view why) {
          if (++undecidable <= kUndecidableShown) {
            fmt::print(stderr, "{}: record {} ({}): undecidable: {}\n", options.command, e.seq,
                       ingest::QuoteForMessage(r.declaration_id), why);
          }
          accumulator.Add(r.declaration_id, FactsOf(stored, ""), std::nullopt,
                          std::nullopt);
          return absl::OkStatus();
        };
        auto after = redecider.Redecide(r, next.compiled);
        if (!after.ok() && redecider.failure() != Redecider::Failure::kDecision) {
          return cannot(Message(after.status()));
        }
        const Declaration& declaration = redecider.declaration();
        if ((options.from && declaration.date < *options.from) ||
            (options.to && declaration.date > *options.to) ||
            (options.port && declaration.port != *options.port)) {
          ++result.filtered_out;
          return absl::OkStatus();
        }
        if (!after.ok()) return cannot(Message(after.status()));
        auto outcome = store.GetOutcome(r.declaration_id);
        if (!outcome.ok()) return outcome.status();
        std::optional<bool> hit;
        if (outcome->has_value()) hit = (*outcome)->result == storage::OutcomeResult::kHit;
        const report::DecisionFacts before_facts = FactsOf(stored, declaration.hs);
        const report::DecisionFacts after_facts = FactsOf(*after, declaration.hs);
        accumulator.Add(r.declaration_id, before_facts, after_facts, hit);
        stats_before.Add(before_facts);
        stats_after.Add(after_facts);
        workload_before.Add(declaration.date, before_facts);
        workload_after.Add(declaration.date, after_facts);
        if (on_changed && before_facts.outcome != after_facts.outcome) {
          ChangedDecision c;
          c.id = r.declaration_id;
          c.grade = before_facts.grade;
          c.before = OutcomeName(before_facts.outcome);
          c.after = OutcomeName(after_facts.outcome);
          c.rule_before = std::string(stored.RuleName());
          c.rule_after = std::string(after->RuleName());
          return on_changed(c);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (undecidable > kUndecidableShown) {
    fmt::print(stderr, "{}: {} more undecidable records not shown\n", options.command,
               undecidable - kUndecidableShown);
  }
  result.report = accumulator.Finish(grade_order);
  const std::vector<report::GradeInfo> grades = GradeInfos(next);
  // The new ruleset's checks (its `require` lines, or the regime's for a v1 ruleset) on the
  // stored decisions and on the new ones.
  const auto requirements = RequirementsOf(next);
  result.stats_before = stats_before.Finish(next.GradeOrder(), next.ReferenceGrade());
  result.stats_after = stats_after.Finish(next.GradeOrder(), next.ReferenceGrade());
  for (report::StatsReport* s : {&result.stats_before, &result.stats_after}) {
    for (report::GradeStats& gs : s->grades) {
      for (const report::GradeInfo& info : grades) {
        if (info.name == gs.grade) gs.floor = info.floor;
      }
    }
  }
  result.checks_before = report::EvaluateRequirements(requirements, result.stats_before);
  result.checks_after = report::EvaluateRequirements(requirements, result.stats_after);
  result.workload_before = workload_before.Finish();
  result.workload_after = workload_after.Finish();
  for (const std::string& id : result.before_ids) {
    for (const RulesetEntry* in_force : seen_rulesets) {
      if (in_force->compiled->Id() != id) continue;
      result.checks_in_force.emplace_back(
          id, report::EvaluateRequirements(RequirementsOf(*in_force), result.stats_before));
      break;
    }
  }
  return result;
}

}  // namespace bukong::cli
