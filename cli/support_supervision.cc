#include "cli/support_supervision.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <map>

#include "absl/container/flat_hash_map.h"
#include "cli/support_facts.h"
#include "cli/support_status.h"
#include "core/json.h"
#include "report/tables.h"

namespace bukong::cli {
namespace {

// The few fields of a stored declaration and decision line that supervision reads beyond
// StoredDecision: the declaration's date, port and hs; the decision's `matched`.
class LineFields {
 public:
  struct Declaration {
    std::optional<DayNumber> date;
    std::string port;  // "" when absent
    std::string hs;
  };

  absl::Status ReadDeclaration(std::string_view json, Declaration* out) {
    *out = Declaration{};
    simdjson::ondemand::document doc;
    if (Iterate(json, &doc)) return absl::DataLossError("the stored declaration is not JSON");
    simdjson::ondemand::object object;
    if (doc.get_object().get(object)) {
      return absl::DataLossError("the stored declaration is not a JSON object");
    }
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return absl::DataLossError("bad declaration JSON");
      if (key != "date" && key != "port" && key != "hs") continue;
      std::string_view text;
      if (field.value().get_string().get(text)) continue;  // checked when it was decided
      if (key == "date") {
        out->date = ParseIsoDate(text);
      } else if (key == "port") {
        out->port.assign(text);
      } else {
        out->hs.assign(text);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadMatched(std::string_view json, std::vector<std::string>* out) {
    out->clear();
    simdjson::ondemand::document doc;
    if (Iterate(json, &doc)) return absl::DataLossError("the stored decision is not JSON");
    simdjson::ondemand::array matched;
    if (doc["matched"].get_array().get(matched)) {
      return absl::DataLossError("the stored decision has no `matched` list");
    }
    for (auto item : matched) {
      std::string_view name;
      if (item.get_string().get(name)) {
        return absl::DataLossError("the stored decision's `matched` holds a non-string");
      }
      out->emplace_back(name);
    }
    return absl::OkStatus();
  }

 private:
  bool Iterate(std::string_view json, simdjson::ondemand::document* doc) {
    padded_.assign(json);
    padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
    return parser_.iterate(padded_.data(), json.size(), padded_.size()).get(*doc) !=
           simdjson::SUCCESS;
  }
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

struct Group {
  const RulesetEntry* ruleset = nullptr;
  std::string sha;
  report::StatsAccumulator stats;
  report::EfficacyAccumulator efficacy;
  report::WorkloadAccumulator workload;
};

}  // namespace

bool ParsePeriod(std::string_view text, report::Period* out) {
  if (text == "day") {
    *out = report::Period::kDay;
  } else if (text == "week") {
    *out = report::Period::kWeek;
  } else {
    return false;
  }
  return true;
}

bool ParseEfficacyBy(std::string_view text, report::EfficacyBy* out) {
  for (auto by : {report::EfficacyBy::kRule, report::EfficacyBy::kPort,
                  report::EfficacyBy::kChapter, report::EfficacyBy::kGrade}) {
    if (text == report::EfficacyByText(by)) {
      *out = by;
      return true;
    }
  }
  return false;
}

namespace {

report::Op OpOf(ir::CompareOp op) {
  switch (op) {
    case ir::CompareOp::kLt:
      return report::Op::kLess;
    case ir::CompareOp::kLe:
      return report::Op::kLessEqual;
    case ir::CompareOp::kGt:
      return report::Op::kGreater;
    case ir::CompareOp::kGe:
      return report::Op::kGreaterEqual;
    case ir::CompareOp::kEq:
    case ir::CompareOp::kNe:
      break;  // the checker allows neither in a `require`
  }
  return report::Op::kLess;
}

// Line `line` (1-based) of `text`, its comment and surrounding blanks removed.
std::string_view SourceLine(std::string_view text, uint32_t line) {
  size_t start = 0;
  for (uint32_t i = 1; i < line && start != std::string_view::npos; ++i) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos || start > text.size()) return {};
  std::string_view l = text.substr(start, text.find('\n', start) - start);
  l = l.substr(0, l.find('#'));  // a `require` line holds no string, so `#` starts a comment
  const size_t first = l.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return l.substr(first, l.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

std::vector<report::Requirement> RequirementsOf(const RulesetEntry& ruleset) {
  const ir::Ruleset& ir = ruleset.compiled->ir();
  if (ir.requirements.empty()) {
    return report::RegimeRequirements(GradeInfos(ruleset), ruleset.ReferenceGrade());
  }
  std::vector<report::Requirement> out;
  for (const ir::Requirement& r : ir.requirements) {
    report::Requirement q;
    q.grade = ir.grades[r.grade].name;
    q.op = OpOf(r.op);
    q.bound = static_cast<double>(r.value) / 1e6;
    if (r.of) q.of_grade = ir.grades[*r.of].name;
    q.line = r.line;
    q.origin = fmt::format("{} line {}: {}", ir.source_name, r.line,
                           SourceLine(ruleset.text, r.line));
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<report::GradeInfo> GradeInfos(const RulesetEntry& ruleset) {
  std::vector<report::GradeInfo> out;
  for (const ir::Grade& g : ruleset.compiled->ir().grades) {
    report::GradeInfo info;
    info.name = g.name;
    info.label = g.label;
    info.factor = static_cast<double>(g.factor) / 1e6;
    if (g.floor) info.floor = static_cast<double>(*g.floor) / 1e6;
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<Supervision> CollectSupervision(const storage::Store& store,
                                               const SupervisionOptions& options) {
  Supervision result;
  // The latest outcome of each declaration (Store::ScanOutcomes yields what is current).
  absl::flat_hash_map<std::string, bool> hit_of;
  absl::Status s = store.ScanOutcomes([&](const storage::Outcome& o) {
    hit_of[o.declaration_id] = o.result == storage::OutcomeResult::kHit;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  result.outcomes = hit_of.size();

  StoredRulesets rulesets(store);
  std::vector<std::unique_ptr<Group>> groups;
  std::map<const RulesetEntry*, Group*> group_of;
  LineFields fields;
  LineFields::Declaration declaration;
  std::vector<std::string> matched;
  s = ScanLatestDecisions(
      store, rulesets, &result.scan,
      [&](const storage::AuditEntry& e, const RulesetEntry& ruleset,
          const StoredDecision& decision) -> absl::Status {
        if (absl::Status st = fields.ReadDeclaration(e.record.declaration, &declaration);
            !st.ok()) {
          return absl::DataLossError(fmt::format("audit record {}: {}", e.seq, Message(st)));
        }
        if ((options.from || options.to) && !declaration.date) {
          return absl::DataLossError(
              fmt::format("audit record {}: the stored declaration has no valid date", e.seq));
        }
        if ((options.from && *declaration.date < *options.from) ||
            (options.to && *declaration.date > *options.to) ||
            (options.port && declaration.port != *options.port)) {
          ++result.filtered_out;
          return absl::OkStatus();
        }
        if (absl::Status st = fields.ReadMatched(e.record.decision, &matched); !st.ok()) {
          return absl::DataLossError(
              fmt::format("audit record {}: {} (run bukong replay)", e.seq, Message(st)));
        }
        Group*& group = group_of[&ruleset];
        if (group == nullptr) {
          groups.push_back(std::make_unique<Group>());
          group = groups.back().get();
          group->ruleset = &ruleset;
          group->sha = e.record.ruleset_sha256;
          group->efficacy = report::EfficacyAccumulator(options.by);
          group->workload = report::WorkloadAccumulator(options.period);
        }
        const report::DecisionFacts facts = FactsOf(decision, declaration.hs);
        std::optional<bool> hit;
        if (auto it = hit_of.find(e.record.declaration_id); it != hit_of.end()) {
          hit = it->second;
        }
        group->stats.Add(facts, hit);
        if (declaration.date) group->workload.Add(*declaration.date, facts);
        std::string_view key;
        switch (options.by) {
          case report::EfficacyBy::kPort:
            key = declaration.port;
            break;
          case report::EfficacyBy::kChapter:
            key = facts.hs_chapter;
            break;
          case report::EfficacyBy::kGrade:
            key = facts.grade;
            break;
          case report::EfficacyBy::kRule:
            break;
        }
        group->efficacy.Add(
            {decision.RuleName(), &matched, facts.outcome, hit, key, facts.sampled});
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  for (const auto& g : groups) {
    SupervisionSection section;
    section.ruleset_id = g->ruleset->compiled->Id();
    section.sha256 = g->sha;
    section.grades = GradeInfos(*g->ruleset);
    section.stats = g->stats.Finish(g->ruleset->GradeOrder(), g->ruleset->ReferenceGrade());
    for (report::GradeStats& gs : section.stats.grades) {
      for (const report::GradeInfo& info : section.grades) {
        if (info.name == gs.grade) gs.floor = info.floor;
      }
    }
    section.checks = report::EvaluateRequirements(RequirementsOf(*g->ruleset), section.stats);
    section.efficacy = g->efficacy.Finish();
    section.workload = g->workload.Finish();
    result.sections.push_back(std::move(section));
  }
  return result;
}

std::string SupervisionJson(const Supervision& s, const SupervisionOptions& options) {
  const uint64_t counted = s.scan.records - s.scan.superseded - s.filtered_out;
  std::string out = fmt::format(
      "{{\"audit_records\":{},\"superseded\":{},\"filtered_out\":{},\"outcomes\":{},"
      "\"filters\":{{\"from\":",
      s.scan.records, s.scan.superseded, s.filtered_out, s.outcomes);
  auto date = [&](const std::optional<DayNumber>& d) {
    if (d) {
      AppendJsonString(out, FormatIsoDate(*d));
    } else {
      out += "null";
    }
  };
  date(options.from);
  out += ",\"to\":";
  date(options.to);
  out += ",\"port\":";
  if (options.port) {
    AppendJsonString(out, *options.port);
  } else {
    out += "null";
  }
  out += fmt::format("}},\"declarations\":{},\"rulesets\":[", counted);
  for (size_t i = 0; i < s.sections.size(); ++i) {
    const SupervisionSection& sec = s.sections[i];
    if (i) out += ',';
    out += "{\"ruleset\":";
    AppendJsonString(out, sec.ruleset_id);
    out += ",\"sha256\":";
    AppendJsonString(out, sec.sha256);
    out += fmt::format(",\"declarations\":{},\"grade_labels\":{{", sec.stats.total.declarations);
    for (size_t j = 0; j < sec.grades.size(); ++j) {
      if (j) out += ',';
      AppendJsonString(out, sec.grades[j].name);
      out += ':';
      AppendJsonString(out, sec.grades[j].label);
    }
    out += "},\"stats\":";
    out += report::FormatStatsJson(sec.stats);
    out += ",\"checks\":";
    report::AppendChecksJson(out, sec.checks);
    out += ",\"efficacy\":";
    report::AppendEfficacyJson(out, sec.efficacy);
    out += ",\"workload\":";
    report::AppendWorkloadJson(out, sec.workload, options.period);
    out += '}';
  }
  out += "]}";
  return out;
}

bool ParseDateFlag(std::string_view command, std::string_view flag, const std::string& text,
                   std::optional<DayNumber>* out) {
  if (text.empty()) return true;
  *out = ParseIsoDate(text);
  if (!*out) {
    fmt::print(stderr, "bukong {}: {}: expected a date YYYY-MM-DD, found '{}'\n", command, flag,
               text);
    return false;
  }
  return true;
}

}  // namespace bukong::cli
