#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/json.h"
#include "report/internal/format.h"

namespace bukong::report {
namespace {

double Ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

bool Flagged(Outcome o) { return o != Outcome::kRelease; }

}  // namespace

namespace internal {

void AppendTallyJson(std::string& out, const Tally& t) {
  out += fmt::format(
      "{{\"declarations\":{},\"inspections\":{},\"discretionary\":{},\"mandated\":{},"
      "\"holds\":{},\"at_port\":{},\"at_destination\":{},\"nii\":{},\"manual\":{},"
      "\"rate\":{:.6f},\"discretionary_rate\":{:.6f},\"mandated_rate\":{:.6f}}}",
      t.declarations, t.inspections, t.discretionary, t.mandated, t.holds, t.at_port,
      t.inspections - t.at_port, t.nii, t.inspections - t.nii, t.Rate(), t.DiscretionaryRate(),
      t.MandatedRate());
}

void AppendOptionalNumber(std::string& out, const std::optional<double>& v) {
  out += v ? fmt::format("{:.6f}", *v) : "null";
}

void AppendIntervalJson(std::string& out, const std::optional<Interval>& ci) {
  if (!ci) {
    out += "null";
    return;
  }
  out += fmt::format("[{:.6f},", ci->low);
  out += std::isinf(ci->high) ? std::string("null") : fmt::format("{:.6f}", ci->high);
  out += ']';
}

void AppendProportionJson(std::string& out, const std::optional<Proportion>& p) {
  if (!p) {
    out += "null";
    return;
  }
  out += fmt::format("{{\"value\":{:.6f},\"ci95\":", p->value);
  AppendIntervalJson(out, p->ci);
  out += '}';
}

void AppendRatioJson(std::string& out, const std::optional<RatioEstimate>& r) {
  if (!r) {
    out += "null";
    return;
  }
  out += "{\"value\":";
  AppendOptionalNumber(out, r->value);
  out += ",\"ci95\":";
  AppendIntervalJson(out, r->ci);
  out += fmt::format(",\"corrected\":{}}}", r->corrected);
}

std::string Percent(double share) { return fmt::format("{:.2f}%", share * 100.0); }

std::string ProportionText(const std::optional<Proportion>& p) {
  if (!p) return "-";
  return fmt::format("{:.2f}% [{:.2f}, {:.2f}]", p->value * 100, p->ci.low * 100,
                     p->ci.high * 100);
}

std::string IntervalText(const Interval& ci) {
  return fmt::format("[{:.2f}, {}]", ci.low * 100,
                     std::isinf(ci.high) ? std::string("inf")
                                         : fmt::format("{:.2f}", ci.high * 100));
}

std::string RatioText(const std::optional<RatioEstimate>& r) {
  if (!r) return "-";
  return fmt::format("{} {}", r->value ? Percent(*r->value) : std::string("-"),
                     IntervalText(r->ci));
}

void AppendSampleJson(std::string& out, const std::optional<SampleStats>& s) {
  if (!s) {
    out += "null";
    return;
  }
  out += fmt::format(
      "{{\"declarations\":{},\"sampled\":{},\"sample_only\":{},\"known\":{},\"hits\":{},"
      "\"hit_rate\":",
      s->declarations, s->sampled, s->sample_only, s->known, s->hits);
  AppendProportionJson(out, s->hit_rate);
  out += '}';
}

}  // namespace internal

namespace {

using namespace internal;

// Merges `key`'s Change into `table`, keeping insertion by name.
Change& Slot(std::map<std::string, Change, std::less<>>& table, std::string_view key) {
  auto it = table.find(key);
  if (it == table.end()) it = table.emplace(std::string(key), Change{}).first;
  return it->second;
}

void AddChange(Change& c, const DecisionFacts& before, const DecisionFacts& after,
               std::optional<bool> hit) {
  c.before.Add(before);
  c.after.Add(after);
  const bool was = Flagged(before.outcome);
  const bool is = Flagged(after.outcome);
  c.newly_inspected += !was && is;
  c.newly_released += was && !is;
  if (hit.has_value()) {
    ++c.with_outcome;
    if (*hit) {
      ++c.hits;
      c.hits_before += was;
      c.hits_after += is;
    }
  }
}

void AppendChangeJson(std::string& out, const Change& c) {
  out += "{\"before\":";
  AppendTallyJson(out, c.before);
  out += ",\"after\":";
  AppendTallyJson(out, c.after);
  out += fmt::format(
      ",\"newly_inspected\":{},\"newly_released\":{},\"with_outcome\":{},\"hits\":{},"
      "\"hits_before\":{},\"hits_after\":{}}}",
      c.newly_inspected, c.newly_released, c.with_outcome, c.hits, c.hits_before, c.hits_after);
}

constexpr const char* kChangeHeader =
    "{:<14} {:>8} {:>11} {:>22} {:>22} {:>8} {:>6} {:>8} {:>7} {:>11} {:>9} {:>9} {:>11}\n";

std::string BeforeAfter(uint64_t before, uint64_t after) {
  return fmt::format("{}/{}", before, after);
}

std::string RateCi(const Tally& t) {
  return ProportionText(Wilson(t.inspections + t.holds, t.declarations));
}

void AppendChangeRow(std::string& out, std::string_view label, const Change& c) {
  const Tally& b = c.before;
  const Tally& a = c.after;
  out += fmt::format(fmt::runtime(kChangeHeader), label, b.declarations,
                     BeforeAfter(b.inspections, a.inspections), RateCi(b), RateCi(a),
                     BeforeAfter(b.holds, a.holds), c.newly_inspected, c.newly_released,
                     BeforeAfter(c.hits_before, c.hits_after),
                     BeforeAfter(b.at_port, a.at_port),
                     BeforeAfter(b.inspections - b.at_port, a.inspections - a.at_port),
                     BeforeAfter(b.nii, a.nii), BeforeAfter(b.inspections - b.nii, a.inspections - a.nii));
}

}  // namespace

void Tally::Add(const DecisionFacts& facts) {
  ++declarations;
  switch (facts.outcome) {
    case Outcome::kRelease:
      break;
    case Outcome::kHold:
      ++holds;
      break;
    case Outcome::kInspect:
      ++inspections;
      if (facts.mandated && !facts.by_sample) {  // sample-only: discretionary (SPEC §7.3)
        ++mandated;
      } else {
        ++discretionary;
      }
      at_port += facts.at_port;
      nii += facts.nii;
      break;
  }
}

double Tally::Rate() const { return Ratio(inspections + holds, declarations); }
double Tally::DiscretionaryRate() const { return Ratio(discretionary, declarations); }
double Tally::MandatedRate() const { return Ratio(mandated + holds, declarations); }

void SampleStats::Add(const DecisionFacts& facts, std::optional<bool> hit) {
  if (!facts.sampled.has_value()) return;
  ++declarations;
  if (!*facts.sampled) return;
  ++sampled;
  sample_only += facts.outcome == Outcome::kInspect && facts.by_sample;
  if (hit.has_value()) {
    ++known;
    hits += *hit;
  }
}

void StatsAccumulator::Add(const DecisionFacts& facts, std::optional<bool> hit) {
  auto it = by_grade_.find(facts.grade);
  if (it == by_grade_.end()) it = by_grade_.emplace(facts.grade, Tally{}).first;
  it->second.Add(facts);
  total_.Add(facts);
  if (facts.sampled.has_value()) {
    sample_by_grade_[facts.grade].Add(facts, hit);
    if (!sample_total_) sample_total_.emplace();
    sample_total_->Add(facts, hit);
  }
}

StatsReport StatsAccumulator::Finish(const std::vector<std::string>& grade_order,
                                     const std::optional<std::string>& reference_grade) const {
  StatsReport report;
  report.total = total_;
  report.reference_grade = reference_grade;
  report.sample_total = sample_total_;
  if (report.sample_total) {
    report.sample_total->hit_rate = Wilson(sample_total_->hits, sample_total_->known);
  }
  for (const std::string& grade : grade_order) {
    auto it = by_grade_.find(grade);
    GradeStats g;
    g.grade = grade;
    if (it != by_grade_.end()) g.tally = it->second;
    report.grades.push_back(std::move(g));
  }
  for (const auto& [grade, tally] : by_grade_) {
    if (std::find(grade_order.begin(), grade_order.end(), grade) == grade_order.end()) {
      GradeStats g;
      g.grade = grade;
      g.tally = tally;
      report.grades.push_back(std::move(g));
    }
  }
  const Tally* reference = nullptr;
  for (const GradeStats& g : report.grades) {
    if (reference_grade && g.grade == *reference_grade) reference = &g.tally;
  }
  for (GradeStats& g : report.grades) {
    g.rate = Wilson(g.tally.inspections + g.tally.holds, g.tally.declarations);
    g.discretionary = Wilson(g.tally.discretionary, g.tally.declarations);
    if (reference) {
      g.ratio = KatzRatio(g.tally.discretionary, g.tally.declarations, reference->discretionary,
                          reference->declarations);
    }
    if (reference && reference->DiscretionaryRate() > 0) {
      g.ratio_to_reference = g.tally.DiscretionaryRate() / reference->DiscretionaryRate();
    }
    if (reference && reference->Rate() > 0) {
      g.total_ratio_to_reference = g.tally.Rate() / reference->Rate();
    }
    if (auto it = sample_by_grade_.find(g.grade); it != sample_by_grade_.end()) {
      g.sample = it->second;
      g.sample->hit_rate = Wilson(g.sample->hits, g.sample->known);
    }
  }
  return report;
}

std::string FormatSampleText(const StatsReport& report) {
  if (!report.sample_total) return "";
  std::string out =
      "random compliance sample (SPEC §7.3), per grade:\n";
  constexpr const char* kRow = "{:<22} {:>9} {:>8} {:>12} {:>7} {:>6} {:>26}\n";
  out += fmt::format(fmt::runtime(kRow), "grade", "declared", "sampled", "sample-only", "known",
                     "hits", "sample hit rate [95% CI]");
  auto row = [&](std::string_view name, const SampleStats& s) {
    out += fmt::format(fmt::runtime(kRow), name, s.declarations, s.sampled, s.sample_only,
                       s.known, s.hits, ProportionText(s.hit_rate));
  };
  for (const GradeStats& g : report.grades) {
    if (g.sample) row(g.grade, *g.sample);
  }
  row("all", *report.sample_total);
  out +=
      "sampled = the sample draw passed (inspected or held whatever the risk); sample-only =\n"
      "inspections made by the sample alone (the select draw failed), counted as discretionary\n"
      "above; known = sampled declarations with a recorded outcome. The sample hit rate = hits /\n"
      "known is the unbiased estimate of the share of non-compliant declarations among all the\n"
      "grade's declarations (the sample draws whatever the risk; rules' hit rates, in the\n"
      "efficacy table, are not: rules choose where to look). 95% Wilson score interval.\n";
  return out;
}

std::string FormatStatsText(const StatsReport& report) {
  std::string out;
  constexpr const char* kRow =
      "{:<22} {:>9} {:>22} {:>22} {:>9} {:>6} {:>24} {:>7} {:>7} {:>7}\n";
  out += fmt::format(fmt::runtime(kRow), "grade", "declared", "rate [95% CI]",
                     "discret. [95% CI]", "mandated", "holds", "ratio to ref. [95% CI]",
                     "port", "dest.", "nii");
  auto row = [&](std::string_view name, const Tally& t, const std::optional<Proportion>& rate,
                 const std::optional<Proportion>& discretionary, const std::string& ratio) {
    out += fmt::format(fmt::runtime(kRow), name, t.declarations, ProportionText(rate),
                       ProportionText(discretionary), Percent(t.MandatedRate()), t.holds,
                       ratio, Percent(Ratio(t.at_port, t.inspections)),
                       Percent(Ratio(t.inspections - t.at_port, t.inspections)),
                       Percent(Ratio(t.nii, t.inspections)));
  };
  for (const GradeStats& g : report.grades) {
    std::string name = g.grade;
    std::string ratio = RatioText(g.ratio);
    if (report.reference_grade && g.grade == *report.reference_grade) {
      name += " (ref)";
      ratio = "reference";
    } else if (g.floor) {
      ratio = fmt::format("rate vs floor {}", Percent(*g.floor));
    }
    row(name, g.tally, g.rate, g.discretionary, ratio);
  }
  row("all", report.total, Wilson(report.total.inspections + report.total.holds,
                                  report.total.declarations),
      Wilson(report.total.discretionary, report.total.declarations), "-");
  out +=
      "rate = (inspections + holds) / declarations; discret. = inspections won by the baseline\n"
      "or a non-fixed rule, and those made by the random sample alone (SPEC §7.3); mandated =\n"
      "fixed-rule inspections chosen by the select draw, and holds; ratio to ref. =\n"
      "discretionary rate / the reference grade's (a grade with a floor is held to its floor\n"
      "on `rate` instead); port/dest./nii are shares of inspections.\n"
      "[95% CI]: Wilson score interval for a rate, Katz log interval for a ratio (with 0.5\n"
      "added to each cell when a count is 0). A figure is a finding only when its whole\n"
      "interval is on one side of the line it is compared with (see the statutory checks).\n";
  if (report.sample_total) {
    out += '\n';
    out += FormatSampleText(report);
  }
  return out;
}

std::string FormatStatsJson(const StatsReport& report) {
  std::string out = "{\"reference_grade\":";
  if (report.reference_grade) {
    AppendJsonString(out, *report.reference_grade);
  } else {
    out += "null";
  }
  out += ",\"grades\":[";
  for (size_t i = 0; i < report.grades.size(); ++i) {
    const GradeStats& g = report.grades[i];
    if (i) out += ',';
    out += "{\"grade\":";
    AppendJsonString(out, g.grade);
    out += ",\"tally\":";
    AppendTallyJson(out, g.tally);
    out += ",\"ratio_to_reference\":";
    AppendOptionalNumber(out, g.ratio_to_reference);
    out += ",\"total_ratio_to_reference\":";
    AppendOptionalNumber(out, g.total_ratio_to_reference);
    out += ",\"rate\":";
    AppendProportionJson(out, g.rate);
    out += ",\"discretionary_rate\":";
    AppendProportionJson(out, g.discretionary);
    out += ",\"ratio\":";
    AppendRatioJson(out, g.ratio);
    out += ",\"floor\":";
    AppendOptionalNumber(out, g.floor);
    out += ",\"sample\":";
    AppendSampleJson(out, g.sample);
    out += '}';
  }
  out += "],\"total\":";
  AppendTallyJson(out, report.total);
  out += ",\"sample_total\":";
  AppendSampleJson(out, report.sample_total);
  out += "}";
  return out;
}

void WhatIfAccumulator::Add(std::string_view declaration_id, const DecisionFacts& before,
                            const std::optional<DecisionFacts>& after, std::optional<bool> hit) {
  if (!after.has_value()) {
    ++undecidable_;
    if (undecidable_examples_.size() < 20) undecidable_examples_.emplace_back(declaration_id);
    return;
  }
  AddChange(Slot(by_grade_, before.grade), before, *after, hit);
  AddChange(Slot(by_chapter_, before.hs_chapter), before, *after, hit);
  AddChange(total_, before, *after, hit);
}

WhatIfReport WhatIfAccumulator::Finish(const std::vector<std::string>& grade_order) const {
  WhatIfReport report;
  for (const std::string& grade : grade_order) {
    if (auto it = by_grade_.find(grade); it != by_grade_.end()) {
      report.by_grade.emplace_back(grade, it->second);
    }
  }
  for (const auto& [grade, change] : by_grade_) {
    if (std::find(grade_order.begin(), grade_order.end(), grade) == grade_order.end()) {
      report.by_grade.emplace_back(grade, change);
    }
  }
  report.by_chapter.assign(by_chapter_.begin(), by_chapter_.end());
  report.total = total_;
  report.undecidable = undecidable_;
  report.undecidable_examples = undecidable_examples_;
  return report;
}

bool ChangeIsVisible(const Change& c) {
  return c.newly_inspected > 0 || c.newly_released > 0 ||
         c.before.inspections != c.after.inspections || c.before.holds != c.after.holds ||
         c.before.at_port != c.after.at_port || c.before.nii != c.after.nii;
}

std::string FormatWhatIfText(const WhatIfReport& report, bool all_chapters) {
  std::string out;
  auto table = [&](std::string_view title, const auto& rows, bool changed_only) {
    out += fmt::format(fmt::runtime(kChangeHeader), title, "declared", "insp b/a",
                       "rate before [95% CI]", "rate after [95% CI]", "hold b/a", "+insp",
                       "+release", "hit b/a", "port b/a", "dest. b/a", "nii b/a",
                       "manual b/a");
    size_t hidden = 0;
    for (const auto& [label, change] : rows) {
      if (changed_only && !ChangeIsVisible(change)) {
        ++hidden;
        continue;
      }
      AppendChangeRow(out, label, change);
    }
    AppendChangeRow(out, "all", report.total);
    if (hidden > 0) {
      out += fmt::format("({} unchanged chapter{} not shown; --all shows every one)\n", hidden,
                         hidden == 1 ? "" : "s");
    }
    out += '\n';
  };
  table("grade", report.by_grade, false);
  table("HS chapter", report.by_chapter, !all_chapters);
  out += fmt::format(
      "newly inspected {}, newly released {}; over {} declarations with outcomes ({} hits): "
      "hits found before {}, after {}\n",
      report.total.newly_inspected, report.total.newly_released, report.total.with_outcome,
      report.total.hits, report.total.hits_before, report.total.hits_after);
  if (report.undecidable > 0) {
    out += fmt::format("undecidable under the new ruleset (grade not declared): {}", report.undecidable);
    for (const std::string& id : report.undecidable_examples) out += " " + id;
    out += report.undecidable > report.undecidable_examples.size() ? " ...\n" : "\n";
  }
  out += "b/a = before / after. rate = (inspections + holds) / declarations with its 95% Wilson\n"
         "interval; holds are counted apart from inspections; +insp = released before,\n"
         "inspected or held after; +release = the reverse; hit b/a = recorded hits that the\n"
         "old / new ruleset inspects or holds; port, dest., nii, manual: inspections by site\n"
         "and method.\n";
  return out;
}

std::string FormatWhatIfJson(const WhatIfReport& report) {
  std::string out = "{\"by_grade\":[";
  auto rows = [&](const auto& list, const char* key) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      out += fmt::format("{{\"{}\":", key);
      AppendJsonString(out, list[i].first);
      out += ",\"change\":";
      AppendChangeJson(out, list[i].second);
      out += '}';
    }
  };
  rows(report.by_grade, "grade");
  out += "],\"by_chapter\":[";
  rows(report.by_chapter, "chapter");
  out += "],\"total\":";
  AppendChangeJson(out, report.total);
  out += fmt::format(",\"undecidable\":{},\"undecidable_examples\":[", report.undecidable);
  for (size_t i = 0; i < report.undecidable_examples.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, report.undecidable_examples[i]);
  }
  out += "]}";
  return out;
}

}  // namespace bukong::report
