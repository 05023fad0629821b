#include "report/tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/json.h"
#include "report/internal/format.h"

namespace bukong::report {
namespace {

using internal::AppendIntervalJson;
using internal::AppendOptionalNumber;
using internal::AppendProportionJson;
using internal::AppendRatioJson;
using internal::IntervalText;
using internal::Percent;
using internal::ProportionText;
using internal::RatioText;

std::string Number(double v) { return fmt::format("{:.6f}", v); }
std::string OptionalNumber(const std::optional<double>& v) { return v ? Number(*v) : ""; }

std::string CheckValueText(const CheckResult& c) {
  if (!c.ci) return "no data";
  std::string value = c.value ? Percent(*c.value) : std::string("unbounded");
  return fmt::format("{} {}", value, IntervalText(*c.ci));
}

std::string CheckCountsText(const CheckResult& c) {
  if (c.requirement.of_grade) {
    return fmt::format("({}/{} vs {}/{})", c.x, c.n, c.x_of, c.n_of);
  }
  return fmt::format("({}/{})", c.x, c.n);
}

void AppendRowJson(std::string& out, const EfficacyRow& r) {
  out += "{\"key\":";
  AppendJsonString(out, r.key);
  out += fmt::format(
      ",\"declarations\":{},\"won\":{},\"inspected\":{},\"holds\":{},\"known\":{},\"hits\":{},"
      "\"hit_rate\":",
      r.declarations, r.won, r.inspected, r.holds, r.known, r.hits);
  AppendProportionJson(out, r.hit_rate);
  out += ",\"lift\":";
  AppendRatioJson(out, r.lift);
  out += '}';
}

std::string LiftText(const std::optional<RatioEstimate>& lift) {
  if (!lift) return "-";
  std::string value = lift->value ? fmt::format("{:.2f}", *lift->value) : std::string("-");
  std::string high =
      std::isinf(lift->ci.high) ? std::string("inf") : fmt::format("{:.2f}", lift->ci.high);
  return fmt::format("{} [{:.2f}, {}]", value, lift->ci.low, high);
}

}  // namespace

std::string FormatChecksText(const std::vector<CheckResult>& checks) {
  std::string out = "statutory checks:\n";
  if (checks.empty()) {
    out += "  (none: the ruleset's grades carry none of the regime's measures)\n";
    return out;
  }
  for (const CheckResult& c : checks) {
    out += fmt::format("  {:<48} {:>28} {:<26} {}\n", DescribeRequirement(c.requirement),
                       CheckValueText(c), CheckCountsText(c), VerdictText(c.verdict));
  }
  out +=
      "verdict: holds = the whole 95% interval satisfies the check, violated = the whole\n"
      "interval breaks it, undetermined = the interval straddles the line (more declarations\n"
      "are needed to tell). Rates: Wilson score interval; ratios of discretionary rates: Katz\n"
      "log interval. The checks are the ruleset's `require` lines (SPEC §7.4); a ruleset\n"
      "without any gets checks derived from the regime's ratios (docs/CLI.md). From:\n";
  for (const CheckResult& c : checks) {
    out += fmt::format("  {}: {}\n", DescribeRequirement(c.requirement), c.requirement.origin);
  }
  return out;
}

std::string FormatChecksChangeText(const std::vector<CheckResult>& before,
                                   const std::vector<CheckResult>& after) {
  std::string out = "statutory checks, before -> after:\n";
  if (after.empty()) {
    out += "  (none: the ruleset's grades carry none of the regime's measures)\n";
    return out;
  }
  for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
    out += fmt::format("  {:<48} {:>28} {:<12} -> {:>28} {}\n",
                       DescribeRequirement(after[i].requirement), CheckValueText(before[i]),
                       VerdictText(before[i].verdict), CheckValueText(after[i]),
                       VerdictText(after[i].verdict));
  }
  out +=
      "verdict: holds / violated = the whole 95% interval satisfies / breaks the check,\n"
      "undetermined = it straddles the line. Rates: Wilson; ratios: Katz log interval. The\n"
      "checks are the new ruleset's `require` lines (SPEC §7.4), or for a ruleset without any\n"
      "derived from the regime's ratios (docs/CLI.md). From:\n";
  for (const CheckResult& c : after) {
    out += fmt::format("  {}: {}\n", DescribeRequirement(c.requirement), c.requirement.origin);
  }
  return out;
}

void AppendChecksJson(std::string& out, const std::vector<CheckResult>& checks) {
  out += '[';
  for (size_t i = 0; i < checks.size(); ++i) {
    const CheckResult& c = checks[i];
    const Requirement& r = c.requirement;
    if (i) out += ',';
    out += "{\"grade\":";
    AppendJsonString(out, r.grade);
    out += ",\"op\":";
    AppendJsonString(out, OpText(r.op));
    out += fmt::format(",\"bound\":{:.6f},\"of_grade\":", r.bound);
    if (r.of_grade) {
      AppendJsonString(out, *r.of_grade);
    } else {
      out += "null";
    }
    out += ",\"origin\":";
    AppendJsonString(out, r.origin);
    out += fmt::format(",\"source\":\"{}\",\"line\":", r.line ? "require" : "regime");
    out += r.line ? std::to_string(*r.line) : std::string("null");
    out += ",\"description\":";
    AppendJsonString(out, DescribeRequirement(r));
    out += fmt::format(",\"measure\":\"{}\",\"x\":{},\"n\":{},\"x_of\":{},\"n_of\":{},\"value\":",
                       r.of_grade ? "ratio" : "rate", c.x, c.n, c.x_of, c.n_of);
    AppendOptionalNumber(out, c.value);
    out += ",\"ci95\":";
    AppendIntervalJson(out, c.ci);
    out += ",\"verdict\":";
    AppendJsonString(out, VerdictText(c.verdict));
    out += '}';
  }
  out += ']';
}

std::string FormatEfficacyText(const EfficacyReport& report) {
  std::string out;
  const bool by_rule = report.by == EfficacyBy::kRule;
  constexpr const char* kRow = "{:<28} {:>9} {:>8} {:>8} {:>6} {:>7} {:>6} {:>24} {:>20}\n";
  out += fmt::format("efficacy by {} (sorted: what costs inspections and finds least first)\n",
                     EfficacyByText(report.by));
  out += fmt::format(fmt::runtime(kRow), EfficacyByText(report.by),
                     by_rule ? "matched" : "declared", by_rule ? "won" : "flagged", "inspect",
                     "holds", "known", "hits", "hit rate [95% CI]", "lift [95% CI]");
  auto row = [&](const EfficacyRow& r) {
    out += fmt::format(fmt::runtime(kRow), r.key, r.declarations, r.won, r.inspected, r.holds,
                       r.known, r.hits, ProportionText(r.hit_rate), LiftText(r.lift));
  };
  for (const EfficacyRow& r : report.rows) row(r);
  // By rule without a sample the reference is the baseline's row, already shown.
  if (report.by != EfficacyBy::kRule || report.random_is_sample) row(report.random);
  out += fmt::format(
      "known = inspections and holds with a recorded outcome; hit rate = hits / known (Wilson\n"
      "interval); lift = hit rate / the hit rate of random selection (Katz log interval): here\n"
      "{}.\nOutcomes on released declarations (post-clearance findings): {} ({} hits).\n",
      report.random_label, report.outcomes_unflagged, report.hits_unflagged);
  return out;
}

void AppendEfficacyJson(std::string& out, const EfficacyReport& report) {
  out += "{\"by\":";
  AppendJsonString(out, EfficacyByText(report.by));
  out += ",\"random\":{\"label\":";
  AppendJsonString(out, report.random_label);
  out += ",\"row\":";
  AppendRowJson(out, report.random);
  out += fmt::format(",\"is_sample\":{}}},\"rows\":[", report.random_is_sample);
  for (size_t i = 0; i < report.rows.size(); ++i) {
    if (i) out += ',';
    AppendRowJson(out, report.rows[i]);
  }
  out += fmt::format("],\"outcomes_on_releases\":{},\"hits_on_releases\":{}}}",
                     report.outcomes_unflagged, report.hits_unflagged);
}

std::string FormatWorkloadText(const std::vector<WorkloadRow>& rows, Period period) {
  std::string out = fmt::format(
      "workload by {} of declaration date (inspections by site and method; holds apart)\n",
      PeriodText(period));
  constexpr const char* kRow = "{:<12} {:>9} {:>9} {:>11} {:>9} {:>11} {:>8} {:>6}\n";
  out +=
      fmt::format(fmt::runtime(kRow), PeriodText(period) == "day" ? "day" : "week of", "declared",
                  "port nii", "port manual", "dest. nii", "dest. manual", "inspect", "holds");
  for (const WorkloadRow& r : rows) {
    out += fmt::format(fmt::runtime(kRow), r.period, r.declarations, r.port_nii, r.port_manual,
                       r.destination_nii, r.destination_manual, r.Inspections(), r.holds);
  }
  if (rows.empty()) out += "  (no declarations)\n";
  return out;
}

std::string FormatWorkloadChangeText(const std::vector<WorkloadRow>& before,
                                     const std::vector<WorkloadRow>& after, Period period) {
  std::map<std::string, std::pair<WorkloadRow, WorkloadRow>> rows;
  for (const WorkloadRow& r : before) rows[r.period].first = r;
  for (const WorkloadRow& r : after) rows[r.period].second = r;
  std::string out = fmt::format(
      "workload by {} of declaration date, before/after (inspections by site and method)\n",
      PeriodText(period));
  constexpr const char* kRow = "{:<12} {:>9} {:>11} {:>11} {:>11} {:>11} {:>12} {:>9}\n";
  out += fmt::format(fmt::runtime(kRow), period == Period::kDay ? "day" : "week of", "declared",
                     "inspect b/a", "port nii", "port manual", "dest. nii", "dest. manual",
                     "holds b/a");
  auto ba = [](uint64_t b, uint64_t a) { return fmt::format("{}/{}", b, a); };
  for (const auto& [period_start, pair] : rows) {
    const WorkloadRow& b = pair.first;
    const WorkloadRow& a = pair.second;
    out += fmt::format(fmt::runtime(kRow), period_start, std::max(b.declarations, a.declarations),
                       ba(b.Inspections(), a.Inspections()), ba(b.port_nii, a.port_nii),
                       ba(b.port_manual, a.port_manual), ba(b.destination_nii, a.destination_nii),
                       ba(b.destination_manual, a.destination_manual), ba(b.holds, a.holds));
  }
  if (rows.empty()) out += "  (no declarations)\n";
  return out;
}

void AppendWorkloadJson(std::string& out, const std::vector<WorkloadRow>& rows, Period period) {
  out += fmt::format("{{\"period\":\"{}\",\"rows\":[", PeriodText(period));
  for (size_t i = 0; i < rows.size(); ++i) {
    const WorkloadRow& r = rows[i];
    if (i) out += ',';
    out += fmt::format(
        "{{\"period\":\"{}\",\"declarations\":{},\"port_nii\":{},\"port_manual\":{},"
        "\"destination_nii\":{},\"destination_manual\":{},\"inspections\":{},\"holds\":{}}}",
        r.period, r.declarations, r.port_nii, r.port_manual, r.destination_nii,
        r.destination_manual, r.Inspections(), r.holds);
  }
  out += "]}";
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string GradesCsv(const StatsReport& stats, std::string_view ruleset, bool header) {
  std::string out;
  if (header) {
    out +=
        "ruleset,grade,reference,declarations,inspections,discretionary,mandated,holds,"
        "at_port,at_destination,nii,manual,rate,rate_ci95_low,rate_ci95_high,"
        "discretionary_rate,discretionary_ci95_low,discretionary_ci95_high,"
        "ratio_to_reference,ratio_ci95_low,ratio_ci95_high,"
        "sampled,sample_only,sample_known,sample_hits,sample_hit_rate,"
        "sample_hit_rate_ci95_low,sample_hit_rate_ci95_high\n";
  }
  for (const GradeStats& g : stats.grades) {
    const Tally& t = g.tally;
    auto p = [](const std::optional<Proportion>& v, int i) {
      if (!v) return std::string();
      return Number(i == 0 ? v->value : i == 1 ? v->ci.low : v->ci.high);
    };
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", CsvField(ruleset),
        CsvField(g.grade), stats.reference_grade && *stats.reference_grade == g.grade,
        t.declarations, t.inspections, t.discretionary, t.mandated, t.holds, t.at_port,
        t.inspections - t.at_port, t.nii, t.inspections - t.nii, p(g.rate, 0), p(g.rate, 1),
        p(g.rate, 2), p(g.discretionary, 0), p(g.discretionary, 1), p(g.discretionary, 2),
        g.ratio ? OptionalNumber(g.ratio->value) : "", g.ratio ? Number(g.ratio->ci.low) : "",
        g.ratio && !std::isinf(g.ratio->ci.high) ? Number(g.ratio->ci.high) : "");
    out.pop_back();  // the sample's columns follow (empty without a sample draw)
    const auto& s = g.sample;
    if (s) {
      out += fmt::format(",{},{},{},{},{},{},{}\n", s->sampled, s->sample_only, s->known, s->hits,
                         p(s->hit_rate, 0), p(s->hit_rate, 1), p(s->hit_rate, 2));
    } else {
      out += ",,,,,,,\n";
    }
  }
  return out;
}

std::string ChecksCsv(const std::vector<CheckResult>& checks, std::string_view ruleset,
                      bool header) {
  std::string out;
  if (header) {
    out +=
        "ruleset,grade,op,bound,of_grade,measure,x,n,x_of,n_of,value,ci95_low,ci95_high,"
        "verdict,origin,line\n";
  }
  for (const CheckResult& c : checks) {
    const Requirement& r = c.requirement;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", CsvField(ruleset),
                       CsvField(r.grade), OpText(r.op), Number(r.bound),
                       CsvField(r.of_grade.value_or("")), r.of_grade ? "ratio" : "rate", c.x, c.n,
                       c.x_of, c.n_of, OptionalNumber(c.value), c.ci ? Number(c.ci->low) : "",
                       c.ci && !std::isinf(c.ci->high) ? Number(c.ci->high) : "",
                       VerdictText(c.verdict), CsvField(r.origin),
                       r.line ? std::to_string(*r.line) : std::string());
  }
  return out;
}

std::string EfficacyCsv(const EfficacyReport& report, std::string_view ruleset, bool header) {
  std::string out;
  if (header) {
    out +=
        "ruleset,by,key,declarations,won,inspected,holds,known,hits,hit_rate,"
        "hit_rate_ci95_low,hit_rate_ci95_high,lift,lift_ci95_low,lift_ci95_high\n";
  }
  auto row = [&](const EfficacyRow& r) {
    const auto& h = r.hit_rate;
    const auto& l = r.lift;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", CsvField(ruleset),
                       EfficacyByText(report.by), CsvField(r.key), r.declarations, r.won,
                       r.inspected, r.holds, r.known, r.hits, h ? Number(h->value) : "",
                       h ? Number(h->ci.low) : "", h ? Number(h->ci.high) : "",
                       l ? OptionalNumber(l->value) : "", l ? Number(l->ci.low) : "",
                       l && !std::isinf(l->ci.high) ? Number(l->ci.high) : "");
  };
  for (const EfficacyRow& r : report.rows) row(r);
  row(report.random);
  return out;
}

std::string WorkloadCsv(const std::vector<WorkloadRow>& rows, std::string_view ruleset,
                        bool header) {
  std::string out;
  if (header) {
    out +=
        "ruleset,period,declarations,port_nii,port_manual,destination_nii,"
        "destination_manual,inspections,holds\n";
  }
  for (const WorkloadRow& r : rows) {
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", CsvField(ruleset), r.period, r.declarations,
                       r.port_nii, r.port_manual, r.destination_nii, r.destination_manual,
                       r.Inspections(), r.holds);
  }
  return out;
}

}  // namespace bukong::report
