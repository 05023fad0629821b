#include "report/statutory.h"

#include <fmt/format.h>

#include <cmath>

namespace bukong::report {
namespace {

bool Has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string PercentText(double fraction) {
  // 0.2 -> "20%", 0.125 -> "12.5%"
  std::string s = fmt::format("{:.4f}", fraction * 100.0);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

const Tally* FindTally(const StatsReport& stats, std::string_view grade) {
  for (const GradeStats& g : stats.grades) {
    if (g.grade == grade) return &g.tally;
  }
  return nullptr;
}

}  // namespace

std::vector<Requirement> RegimeRequirements(const std::vector<GradeInfo>& grades,
                                            const std::optional<std::string>& reference) {
  std::vector<Requirement> out;
  for (const GradeInfo& g : grades) {
    if (reference && g.name != *reference) {
      std::optional<double> ratio;
      std::string term;
      if (Has(g.label, "高级认证") || g.name == "advanced") {
        ratio = 0.20;
        term = "advanced certified (高级认证企业)";
      } else if (Has(g.label, "认证") || g.name == "certified") {
        ratio = 0.50;
        term = "certified (一般认证企业 / 认证企业)";
      }
      if (ratio) {
        out.push_back({g.name, Op::kLess, *ratio, *reference,
                       fmt::format("regime: {} under {} of the reference grade's rate", term,
                                   PercentText(*ratio)),
                       /*line=*/std::nullopt});
      }
    }
    if (g.floor) {
      out.push_back(
          {g.name, Op::kGreaterEqual, *g.floor, std::nullopt,
           fmt::format("regime: the grade's floor, {} or more inspected", PercentText(*g.floor)),
           /*line=*/std::nullopt});
    }
  }
  return out;
}

std::vector<CheckResult> EvaluateRequirements(const std::vector<Requirement>& requirements,
                                              const StatsReport& stats) {
  std::vector<CheckResult> out;
  for (const Requirement& r : requirements) {
    CheckResult c;
    c.requirement = r;
    const Tally* t = FindTally(stats, r.grade);
    if (!r.of_grade) {
      if (t) {
        c.x = t->inspections + t->holds;
        c.n = t->declarations;
        if (auto p = Wilson(c.x, c.n)) {
          c.value = p->value;
          c.ci = p->ci;
          c.verdict = Judge(p->ci, r.op, r.bound);
        }
      }
    } else {
      const Tally* of = FindTally(stats, *r.of_grade);
      if (t && of) {
        c.x = t->discretionary;
        c.n = t->declarations;
        c.x_of = of->discretionary;
        c.n_of = of->declarations;
        if (auto q = KatzRatio(c.x, c.n, c.x_of, c.n_of)) {
          c.value = q->value;
          c.ci = q->ci;
          c.verdict = Judge(q->ci, r.op, r.bound);
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string DescribeRequirement(const Requirement& r) {
  if (r.of_grade) {
    return fmt::format("{} discretionary rate {} {} of {}'s", r.grade, OpText(r.op),
                       PercentText(r.bound), *r.of_grade);
  }
  return fmt::format("{} rate {} {}", r.grade, OpText(r.op), PercentText(r.bound));
}

}  // namespace bukong::report
