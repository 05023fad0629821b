#include "report/html.h"

#include <fmt/format.h>

#include <cmath>

#include "core/json.h"
#include "report/internal/format.h"
#include "report/tables.h"

namespace bukong::report {
namespace {

using internal::Percent;
using internal::ProportionText;
using internal::RatioText;

// Every word of the page in both languages. Chart labels travel to the page's script in the
// embedded data ("i18n").
struct Words {
  const char* lang;
  const char* title;
  const char* database;
  const char* records;
  const char* ruleset;
  const char* rates;
  const char* rates_note;
  const char* checks;
  const char* checks_note;
  const char* efficacy;
  const char* efficacy_note;
  const char* workload;
  const char* what_if;
  const char* what_if_note;
  const char* by_grade;
  const char* by_chapter;
  const char *grade, *declared, *rate, *discretionary, *mandated, *holds, *ratio, *port,
      *destination, *nii;
  const char *check, *value, *counts, *verdict, *origin;
  const char *rule, *matched, *won, *inspected, *known, *hits, *hit_rate, *lift;
  const char *period, *port_nii, *port_manual, *dest_nii, *dest_manual, *inspections;
  const char *before, *after, *newly_inspected, *newly_released, *hits_before, *hits_after,
      *chapter, *undecidable;
  const char *holds_word, *violated_word, *undetermined_word;
  const char *rate_ci, *floor, *bound, *reference, *no_data;
  // SPEC §7.3: the random compliance sample.
  const char *sample_title, *sample_note, *sampled, *sample_only, *sample_hit_rate;
};

constexpr Words kEnglish = {
    "en",
    "bukong supervision report",
    "database",
    "audit records {}, declarations counted {} ({} earlier decisions of re-decided "
    "declarations skipped), recorded outcomes {}",
    "ruleset",
    "Rates per grade",
    "Bars: 95% Wilson interval of the rate ((inspections + holds) / declarations); dots: the "
    "realized rate; red marks: the grade's floor.",
    "Statutory checks",
    "holds = the whole 95% interval satisfies the check; violated = the whole interval breaks "
    "it; undetermined = the interval straddles the line. Rates: Wilson; ratios of discretionary "
    "rates: Katz log interval. The checks are the ruleset's `require` lines (the last column cites "
    "each line); a ruleset without any gets checks derived from the regime's ratios.",
    "Rule efficacy: which rules earn their inspections",
    "Over the audit log joined with the recorded outcomes. known = inspections and holds with "
    "an outcome; hit rate = hits / known (Wilson); lift = hit rate / the hit rate of random "
    "selection (Katz): ",
    "Workload over time",
    "What-if: the audited declarations under another ruleset",
    "Re-decided from the stored declarations and profile snapshots with the database's key; "
    "only the ruleset differs. Nothing was written.",
    "by grade",
    "by HS chapter (chapters that change)",
    "grade",
    "declared",
    "rate [95% CI]",
    "discretionary [95% CI]",
    "mandated",
    "holds",
    "ratio to reference [95% CI]",
    "port",
    "destination",
    "nii",
    "check",
    "value [95% CI]",
    "counts",
    "verdict",
    "from",
    "rule",
    "matched",
    "won",
    "inspected",
    "known",
    "hits",
    "hit rate [95% CI]",
    "lift [95% CI]",
    "period",
    "port, nii",
    "port, manual",
    "destination, nii",
    "destination, manual",
    "inspections",
    "before",
    "after",
    "newly inspected",
    "newly released",
    "hits found before",
    "hits found after",
    "HS chapter",
    "undecidable records",
    "holds",
    "violated",
    "undetermined",
    "95% interval",
    "floor",
    "statutory line",
    "reference",
    "no data",
    "Random compliance sample",
    "sampled = the sample draw passed (inspected or held whatever the risk); sample-only = "
    "inspections made by the sample alone, counted as discretionary; known = sampled "
    "declarations with an outcome. The sample hit rate (hits / known, 95% Wilson interval) is "
    "the unbiased estimate of the share of non-compliant declarations among all the grade's "
    "declarations; rules' hit rates are not (rules choose where to look).",
    "sampled",
    "sample-only",
    "sample hit rate [95% CI]"};

constexpr Words kChinese = {
    "zh",
    "布控监督报告",
    "数据库",
    "审计记录 {} 条，计入报关单 {} 份（重新判定的报关单的较早决定 {} 条未计入），已录入查验结果 {} "
    "条",
    "规则集",
    "各信用等级查验率",
    "柱：查验率（（查验 + 扣留）/ 报关单）的 95% Wilson "
    "置信区间；点：实际查验率；红线：该等级的下限。",
    "法定比例核查",
    "符合 = 整个 95% 置信区间满足要求；违反 = 整个区间均不满足；无法判定 = 区间跨越界线。查验率用 "
    "Wilson "
    "区间，随机查验率之比用 Katz 对数区间。核查项即规则文件中的 require 行（最后一列注明行号）；没有 require 行的规则集，核查项由信用管理办法的比例推导。",
    "规则有效性：哪些规则值得其查验",
    "审计日志与已录入查验结果的关联。已知 = 有结果的查验与扣留；命中率 = 命中 / "
    "已知（Wilson）；提升 = "
    "命中率 / 随机抽查的命中率（Katz）：",
    "查验工作量（按时间）",
    "假设分析：已审计报关单在另一规则集下",
    "以存储的报关单与企业信息快照、数据库密钥重新判定，仅规则集不同。未写入任何数据。",
    "按信用等级",
    "按 HS 章（仅有变化的章）",
    "信用等级",
    "报关单",
    "查验率 [95% CI]",
    "随机查验率 [95% CI]",
    "法定查验",
    "扣留",
    "与基准等级之比 [95% CI]",
    "口岸",
    "目的地",
    "机检",
    "核查项",
    "数值 [95% CI]",
    "计数",
    "结论",
    "来源",
    "规则",
    "匹配",
    "胜出",
    "查验",
    "已知",
    "命中",
    "命中率 [95% CI]",
    "提升 [95% CI]",
    "时段",
    "口岸机检",
    "口岸人工",
    "目的地机检",
    "目的地人工",
    "查验",
    "之前",
    "之后",
    "新增查验",
    "新增放行",
    "之前发现的命中",
    "之后发现的命中",
    "HS 章",
    "无法判定的记录",
    "符合",
    "违反",
    "无法判定",
    "95% 置信区间",
    "下限",
    "法定界线",
    "基准",
    "无数据",
    "随机抽查（双随机）",
    "抽中 = 抽查抽签通过（无论风险高低均查验或扣留）；仅抽查 = 仅因抽查而查验，计入随机查验；已知 = "
    "有查验结果的抽中报关单。抽查命中率（命中 / 已知，95% Wilson 区间）是该等级全部报关单中不合规比例的"
    "无偏估计；规则的命中率不是（规则选择查验对象）。",
    "抽中",
    "仅抽查",
    "抽查命中率 [95% CI]"};

const Words& WordsFor(Lang lang) { return lang == Lang::kZh ? kChinese : kEnglish; }

std::string_view VerdictWord(const Words& w, Verdict v) {
  switch (v) {
    case Verdict::kHolds:
      return w.holds_word;
    case Verdict::kViolated:
      return w.violated_word;
    case Verdict::kUndetermined:
      return w.undetermined_word;
  }
  return "?";
}

std::string GradeLabel(const RulesetFigures& f, std::string_view grade) {
  for (const GradeInfo& g : f.grades) {
    if (g.name == grade && !g.label.empty()) return fmt::format("{} ({})", g.label, grade);
  }
  return std::string(grade);
}

// A table cell; `key` (may be empty) names the figure for tests and scripts (data-k).
std::string Td(std::string_view text, std::string_view key = {}, bool number = false) {
  std::string out = "<td";
  if (number) out += " class=\"n\"";
  if (!key.empty()) out += fmt::format(" data-k=\"{}\"", HtmlEscape(key));
  out += '>';
  out += HtmlEscape(text);
  out += "</td>";
  return out;
}

std::string Num(uint64_t v, std::string_view key = {}) { return Td(std::to_string(v), key, true); }

std::string Th(std::initializer_list<std::string_view> names) {
  std::string out = "<tr>";
  for (std::string_view n : names) out += fmt::format("<th>{}</th>", HtmlEscape(n));
  return out + "</tr>\n";
}

void GradeTable(std::string& out, const Words& w, const RulesetFigures& f, size_t i) {
  out += "<table class=\"grades\">\n";
  out += Th({w.grade, w.declared, w.rate, w.discretionary, w.mandated, w.holds, w.ratio, w.port,
             w.destination, w.nii});
  for (const GradeStats& g : f.stats.grades) {
    const Tally& t = g.tally;
    const std::string k = fmt::format("rs{}.grade.{}.", i, g.grade);
    std::string ratio = RatioText(g.ratio);
    if (f.stats.reference_grade && g.grade == *f.stats.reference_grade) {
      ratio = w.reference;
    } else if (g.floor) {
      ratio = fmt::format("{} {}", w.floor, Percent(*g.floor));
    }
    auto share = [&](uint64_t x) {
      return t.inspections ? Percent(static_cast<double>(x) / t.inspections) : "-";
    };
    out += "<tr>" + Td(GradeLabel(f, g.grade)) + Num(t.declarations, k + "declarations") +
           Td(ProportionText(g.rate), k + "rate", true) +
           Td(ProportionText(g.discretionary), k + "discretionary", true) +
           Td(Percent(t.MandatedRate()), {}, true) + Num(t.holds, k + "holds") +
           Td(ratio, k + "ratio", true) + Td(share(t.at_port), {}, true) +
           Td(share(t.inspections - t.at_port), {}, true) + Td(share(t.nii), {}, true) + "</tr>\n";
  }
  out += "</table>\n";
}

std::string CheckValueCell(const Words& w, const CheckResult& c) {
  if (!c.ci) return w.no_data;
  return fmt::format(
      "{} [{:.2f}, {}]", c.value ? Percent(*c.value) : "-", c.ci->low * 100,
      std::isinf(c.ci->high) ? std::string("inf") : fmt::format("{:.2f}", c.ci->high * 100));
}

std::string VerdictCell(const Words& w, const CheckResult& c, const std::string& key) {
  return fmt::format("<td data-k=\"{}\" data-verdict=\"{}\">{}</td>", HtmlEscape(key),
                     VerdictText(c.verdict), HtmlEscape(VerdictWord(w, c.verdict)));
}

// The checks with their values and verdicts; with `before` (what-if: the same checks on the
// stored decisions), the before columns first.
void SampleTable(std::string& out, const Words& w, const RulesetFigures& f, size_t i) {
  out += fmt::format("<h3>{}</h3>\n<p class=\"note\">{}</p>\n", HtmlEscape(w.sample_title),
                     HtmlEscape(w.sample_note));
  out += "<table class=\"sample\">\n";
  out += Th({w.grade, w.declared, w.sampled, w.sample_only, w.known, w.hits, w.sample_hit_rate});
  auto row = [&](std::string_view label, std::string_view grade, const SampleStats& s) {
    const std::string k = fmt::format("rs{}.sample.{}.", i, grade);
    out += "<tr>" + Td(label) + Num(s.declarations, k + "declarations") +
           Num(s.sampled, k + "sampled") + Num(s.sample_only, k + "sample_only") +
           Num(s.known, k + "known") + Num(s.hits, k + "hits") +
           Td(ProportionText(s.hit_rate), k + "hit_rate", true) + "</tr>\n";
  };
  for (const GradeStats& g : f.stats.grades) {
    if (g.sample) row(GradeLabel(f, g.grade), g.grade, *g.sample);
  }
  row("all", "all", *f.stats.sample_total);
  out += "</table>\n";
}

void ChecksTable(std::string& out, const Words& w, const std::vector<CheckResult>& checks,
                 std::string_view prefix, const std::vector<CheckResult>* before = nullptr) {
  out += "<table class=\"checks\">\n";
  if (before) {
    out += Th({w.check, fmt::format("{}: {}", w.before, w.value),
               fmt::format("{}: {}", w.before, w.verdict), fmt::format("{}: {}", w.after, w.value),
               fmt::format("{}: {}", w.after, w.verdict), w.origin});
  } else {
    out += Th({w.check, w.value, w.counts, w.verdict, w.origin});
  }
  for (size_t j = 0; j < checks.size(); ++j) {
    const CheckResult& c = checks[j];
    const std::string k = fmt::format("{}.check.{}.", prefix, j);
    out += fmt::format("<tr class=\"{}\">", VerdictText(c.verdict));
    out += Td(DescribeRequirement(c.requirement));
    if (before && j < before->size()) {
      const CheckResult& b = (*before)[j];
      out += Td(CheckValueCell(w, b), k + "before_value", true) +
             VerdictCell(w, b, k + "before_verdict");
    } else if (before) {
      out += Td("-") + Td("-");
    }
    out += Td(CheckValueCell(w, c), k + "value", true);
    if (!before) {
      out += Td(c.requirement.of_grade
                    ? fmt::format("{}/{} : {}/{}", c.x, c.n, c.x_of, c.n_of)
                    : fmt::format("{}/{}", c.x, c.n),
                {}, true);
    }
    out += VerdictCell(w, c, k + "verdict");
    out += Td(c.requirement.origin) + "</tr>\n";
  }
  out += "</table>\n";
}

std::string LiftCell(const std::optional<RatioEstimate>& lift) {
  if (!lift) return "-";
  return fmt::format(
      "{} [{:.2f}, {}]", lift->value ? fmt::format("{:.2f}", *lift->value) : std::string("-"),
      lift->ci.low,
      std::isinf(lift->ci.high) ? std::string("inf") : fmt::format("{:.2f}", lift->ci.high));
}

void EfficacyTable(std::string& out, const Words& w, const RulesetFigures& f, size_t i) {
  out += "<table class=\"efficacy\">\n";
  out += Th({w.rule, w.matched, w.won, w.inspected, w.holds, w.known, w.hits, w.hit_rate, w.lift});
  auto row = [&](const EfficacyRow& r) {
    const std::string k = fmt::format("rs{}.rule.{}.", i, r.key);
    out += "<tr>" + Td(r.key) + Num(r.declarations, k + "declarations") + Num(r.won, k + "won") +
           Num(r.inspected, k + "inspected") + Num(r.holds, k + "holds") +
           Num(r.known, k + "known") + Num(r.hits, k + "hits") +
           Td(ProportionText(r.hit_rate), {}, true) + Td(LiftCell(r.lift), {}, true) + "</tr>\n";
  };
  for (const EfficacyRow& r : f.efficacy.rows) row(r);
  if (f.efficacy.random_is_sample) row(f.efficacy.random);  // the lift's reference
  out += "</table>\n";
}

void WorkloadTable(std::string& out, const Words& w, const std::vector<WorkloadRow>& rows,
                   size_t i) {
  out += "<details><summary>" + HtmlEscape(w.workload) + "</summary>\n<table class=\"workload\">\n";
  out += Th({w.period, w.declared, w.port_nii, w.port_manual, w.dest_nii, w.dest_manual,
             w.inspections, w.holds});
  for (const WorkloadRow& r : rows) {
    const std::string k = fmt::format("rs{}.workload.{}.", i, r.period);
    out += "<tr>" + Td(r.period) + Num(r.declarations) + Num(r.port_nii) + Num(r.port_manual) +
           Num(r.destination_nii) + Num(r.destination_manual) +
           Num(r.Inspections(), k + "inspections") + Num(r.holds) + "</tr>\n";
  }
  out += "</table></details>\n";
}

bool Changed(const Change& c) {
  return c.newly_inspected > 0 || c.newly_released > 0 ||
         c.before.inspections != c.after.inspections || c.before.holds != c.after.holds;
}

void ChangeTable(std::string& out, const Words& w,
                 const std::vector<std::pair<std::string, Change>>& rows, const Change& total,
                 const char* first, std::string_view prefix, bool changed_only) {
  out += "<table class=\"whatif\">\n";
  out += fmt::format(
      "<tr><th>{}</th><th>{}</th><th>{} {}</th><th>{} {}</th><th>{} {}</th><th>{} {}</th>"
      "<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
      HtmlEscape(first), HtmlEscape(w.declared), HtmlEscape(w.rate), HtmlEscape(w.before),
      HtmlEscape(w.rate), HtmlEscape(w.after), HtmlEscape(w.holds), HtmlEscape(w.before),
      HtmlEscape(w.holds), HtmlEscape(w.after), HtmlEscape(w.newly_inspected),
      HtmlEscape(w.newly_released), HtmlEscape(w.hits_before), HtmlEscape(w.hits_after));
  auto row = [&](std::string_view label, const Change& c) {
    const std::string k = fmt::format("{}.{}.", prefix, label);
    auto rate = [](const Tally& t) {
      return ProportionText(Wilson(t.inspections + t.holds, t.declarations));
    };
    out += "<tr>" + Td(label) + Num(c.before.declarations, k + "declarations") +
           Td(rate(c.before), k + "rate_before", true) + Td(rate(c.after), k + "rate_after", true) +
           Num(c.before.holds) + Num(c.after.holds) +
           Num(c.newly_inspected, k + "newly_inspected") +
           Num(c.newly_released, k + "newly_released") + Num(c.hits_before) + Num(c.hits_after) +
           "</tr>\n";
  };
  for (const auto& [label, change] : rows) {
    if (!changed_only || Changed(change)) row(label, change);
  }
  row("all", total);
  out += "</table>\n";
}

std::string Section(std::string_view id, std::string_view title) {
  return fmt::format("<h2 id=\"{}\">{}</h2>\n", id, HtmlEscape(title));
}

// JSON inside <script type="application/json">: "</" must not appear (it could close the
// element); "<\/" is the same JSON string.
std::string ScriptSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Inlined JavaScript source: "</script" (any case) is split so that it cannot end the element.
std::string InlineScript(std::string_view js) {
  std::string out;
  out.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    if (js[i] == '<' && i + 7 < js.size() && js[i + 1] == '/' &&
        (js[i + 2] == 's' || js[i + 2] == 'S')) {
      out += "<\\/";
      ++i;
      continue;
    }
    out += js[i];
  }
  return out;
}

constexpr const char* kStyle = R"css(
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}
th,td{border:1px solid #ddd;padding:.2em .5em}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.violated td{background:#fde2e2}tr.holds td{background:#e6f4e6}tr.undetermined td{background:#fff6d6}
.note{color:#555;font-size:.85em;max-width:60em}.chart{position:relative;height:360px;margin:1em 0}
.chart.tall{height:560px}#console-errors{color:#b00}
)css";

// Draws the charts from the embedded figures with Chart.js (no drawing code of our own).
// Each chart marks its canvas when Chart.js has rendered it (data-rendered, data-elements),
// so that a headless browser can check from the DOM that every chart drew.
constexpr const char* kScript = R"js(
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('bukong-data').textContent);
  var T = D.i18n;
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.register({
    id: 'bukongRendered',
    afterRender: function (chart) {
      var n = 0;
      chart.data.datasets.forEach(function (ds, i) {
        if (chart.isDatasetVisible(i)) n += chart.getDatasetMeta(i).data.length;
      });
      chart.canvas.setAttribute('data-rendered', 'yes');
      chart.canvas.setAttribute('data-elements', String(n));
    }
  });
  function pct(x) { return x === null || x === undefined ? null : Math.round(x * 1e6) / 1e4; }
  function label(rs, g) { var l = rs.grade_labels[g]; return l ? l + ' ' + g : g; }
  function canvas(id) { return document.getElementById(id); }
  var verdictColour = { holds: 'rgba(46,139,87,0.45)', violated: 'rgba(200,30,30,0.5)',
                        undetermined: 'rgba(230,170,0,0.45)' };
  D.stats.rulesets.forEach(function (rs, i) {
    var grades = rs.stats.grades.filter(function (g) { return g.tally.declarations > 0; });
    new Chart(canvas('rates-' + i), {
      type: 'bar',
      data: {
        labels: grades.map(function (g) { return label(rs, g.grade); }),
        datasets: [
          { type: 'bar', label: T.rate_ci, barPercentage: 0.4,
            backgroundColor: 'rgba(54,162,235,0.35)', borderColor: 'rgb(54,162,235)', borderWidth: 1,
            data: grades.map(function (g) { return [pct(g.rate.ci95[0]), pct(g.rate.ci95[1])]; }) },
          { type: 'line', label: T.realized, showLine: false, pointRadius: 5,
            borderColor: 'rgb(20,60,140)', backgroundColor: 'rgb(20,60,140)',
            data: grades.map(function (g) { return pct(g.rate.value); }) },
          { type: 'line', label: T.floor, showLine: false, pointStyle: 'line', pointRadius: 24,
            borderWidth: 3, borderColor: 'rgb(200,30,30)',
            data: grades.map(function (g) { return g.floor === null ? null : pct(g.floor); }) }
        ]
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } }
    });
    if (rs.checks.length > 0) {
      var top = 0;
      rs.checks.forEach(function (c) {
        top = Math.max(top, c.bound * 2, c.ci95 && c.ci95[1] !== null ? c.ci95[1] : 0);
      });
      new Chart(canvas('checks-' + i), {
        type: 'bar',
        data: {
          labels: rs.checks.map(function (c) { return c.description; }),
          datasets: [
            { type: 'bar', label: T.rate_ci, barPercentage: 0.4,
              backgroundColor: rs.checks.map(function (c) { return verdictColour[c.verdict]; }),
              data: rs.checks.map(function (c) {
                if (!c.ci95) return null;
                return [pct(c.ci95[0]), pct(c.ci95[1] === null ? top : c.ci95[1])];
              }) },
            { type: 'line', label: T.realized_value, showLine: false, pointRadius: 5,
              borderColor: 'rgb(20,60,140)', backgroundColor: 'rgb(20,60,140)',
              data: rs.checks.map(function (c) { return pct(c.value); }) },
            { type: 'line', label: T.bound, showLine: false, pointStyle: 'line', pointRadius: 30,
              borderWidth: 3, borderColor: 'rgb(200,30,30)',
              data: rs.checks.map(function (c) { return pct(c.bound); }) }
          ]
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } }
      });
    }
    var rules = rs.efficacy.rows.filter(function (r) { return r.won > 0; });
    rules.sort(function (a, b) { return b.won - a.won || (a.key < b.key ? -1 : 1); });
    rules = rules.slice(0, 30);
    new Chart(canvas('efficacy-' + i), {
      type: 'bar',
      data: {
        labels: rules.map(function (r) { return r.key; }),
        datasets: [
          { label: T.inspected_holds, backgroundColor: 'rgba(150,150,150,0.6)',
            data: rules.map(function (r) { return r.inspected + r.holds; }) },
          { label: T.known, backgroundColor: 'rgba(54,162,235,0.6)',
            data: rules.map(function (r) { return r.known; }) },
          { label: T.hits, backgroundColor: 'rgba(200,30,30,0.7)',
            data: rules.map(function (r) { return r.hits; }) }
        ]
      },
      options: { indexAxis: 'y' }
    });
    var w = rs.workload.rows;
    new Chart(canvas('workload-' + i), {
      type: 'bar',
      data: {
        labels: w.map(function (r) { return r.period; }),
        datasets: [
          { label: T.port_nii, stack: 's', backgroundColor: 'rgb(54,162,235)',
            data: w.map(function (r) { return r.port_nii; }) },
          { label: T.port_manual, stack: 's', backgroundColor: 'rgb(20,60,140)',
            data: w.map(function (r) { return r.port_manual; }) },
          { label: T.dest_nii, stack: 's', backgroundColor: 'rgb(255,159,64)',
            data: w.map(function (r) { return r.destination_nii; }) },
          { label: T.dest_manual, stack: 's', backgroundColor: 'rgb(180,90,0)',
            data: w.map(function (r) { return r.destination_manual; }) },
          { type: 'line', label: T.holds, borderColor: 'rgb(200,30,30)', pointRadius: 2,
            data: w.map(function (r) { return r.holds; }) }
        ]
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    });
  });
  if (D.what_if) {
    function rate(t) { return t.declarations ? Math.round(1e6 * (t.inspections + t.holds) / t.declarations) / 1e4 : 0; }
    function beforeAfter(id, rows, key) {
      new Chart(canvas(id), {
        type: 'bar',
        data: {
          labels: rows.map(function (r) { return r[key]; }),
          datasets: [
            { label: T.before, backgroundColor: 'rgba(150,150,150,0.7)',
              data: rows.map(function (r) { return rate(r.change.before); }) },
            { label: T.after, backgroundColor: 'rgba(54,162,235,0.8)',
              data: rows.map(function (r) { return rate(r.change.after); }) }
          ]
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: T.realized + ' %' } } } }
      });
    }
    beforeAfter('whatif-grades', D.what_if.by_grade, 'grade');
    var changed = D.what_if.by_chapter.filter(function (r) {
      var c = r.change;
      return c.newly_inspected > 0 || c.newly_released > 0 ||
             c.before.inspections !== c.after.inspections || c.before.holds !== c.after.holds;
    });
    beforeAfter('whatif-chapters', changed, 'chapter');
  }
})();
)js";

// Records script errors and console errors in the page (#console-errors) before anything
// else runs, so that a headless browser finds them in the DOM.
constexpr const char* kErrorTrap = R"js(
window.bukongErrors = [];
(function () {
  function note(text) {
    window.bukongErrors.push(String(text));
    var p = document.getElementById('console-errors');
    if (p) p.textContent = window.bukongErrors.join('\n');
  }
  window.addEventListener('error', function (e) { note(e.message || 'error'); });
  var original = console.error;
  console.error = function () { note(Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); };
})();
)js";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const HtmlReportInput& in) {
  const Words& w = WordsFor(in.lang);
  std::string out;
  out += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                     in.lang == Lang::kZh ? "zh-CN" : "en");
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n", HtmlEscape(w.title), kStyle);
  out += fmt::format("<script>{}</script>\n", kErrorTrap);
  out += "<script>/* Chart.js, inlined from Debian's libjs-chart.js (MIT licence) */\n";
  out += InlineScript(in.chart_js);
  out += "\n</script>\n</head>\n<body>\n";
  out += fmt::format("<h1>{}</h1>\n", HtmlEscape(w.title));
  out += fmt::format("<p>{}: <code>{}</code>. {}</p>\n", HtmlEscape(w.database),
                     HtmlEscape(in.database),
                     HtmlEscape(fmt::format(fmt::runtime(w.records), in.audit_records,
                                            in.declarations, in.superseded, in.outcomes)));
  for (size_t i = 0; i < in.sections.size(); ++i) {
    const RulesetFigures& f = in.sections[i];
    out +=
        Section(fmt::format("ruleset-{}", i), fmt::format("{} {} ({} {})", w.ruleset, f.ruleset_id,
                                                          f.stats.total.declarations, w.declared));
    out += fmt::format("<h3>{}</h3>\n<p class=\"note\">{}</p>\n", HtmlEscape(w.rates),
                       HtmlEscape(w.rates_note));
    out += fmt::format(
        "<div class=\"chart\"><canvas id=\"rates-{}\" data-chart=\"rates\"></canvas></div>\n", i);
    GradeTable(out, w, f, i);
    if (f.stats.sample_total) SampleTable(out, w, f, i);
    out += fmt::format("<h3>{}</h3>\n<p class=\"note\">{}</p>\n", HtmlEscape(w.checks),
                       HtmlEscape(w.checks_note));
    if (!f.checks.empty()) {
      out += fmt::format(
          "<div class=\"chart\"><canvas id=\"checks-{}\" data-chart=\"checks\"></canvas></div>\n",
          i);
    }
    ChecksTable(out, w, f.checks, fmt::format("rs{}", i));
    out += fmt::format("<h3>{}</h3>\n<p class=\"note\">{}{}</p>\n", HtmlEscape(w.efficacy),
                       HtmlEscape(w.efficacy_note), HtmlEscape(f.efficacy.random_label));
    out += fmt::format(
        "<div class=\"chart tall\"><canvas id=\"efficacy-{}\" "
        "data-chart=\"efficacy\"></canvas></div>\n",
        i);
    EfficacyTable(out, w, f, i);
    out += fmt::format("<h3>{} ({})</h3>\n", HtmlEscape(w.workload), PeriodText(in.period));
    out += fmt::format(
        "<div class=\"chart\"><canvas id=\"workload-{}\" data-chart=\"workload\"></canvas></div>\n",
        i);
    WorkloadTable(out, w, f.workload, i);
  }
  if (in.what_if) {
    const HtmlWhatIf& wi = *in.what_if;
    out += Section("what-if", fmt::format("{}: {} ({})", w.what_if, wi.rules_id, wi.rules_file));
    out += fmt::format("<p class=\"note\">{}</p>\n", HtmlEscape(w.what_if_note));
    out += fmt::format("<h3>{}</h3>\n", HtmlEscape(w.by_grade));
    out +=
        "<div class=\"chart\"><canvas id=\"whatif-grades\" "
        "data-chart=\"whatif-grades\"></canvas></div>\n";
    ChangeTable(out, w, wi.report.by_grade, wi.report.total, w.grade, "whatif.grade", false);
    out += fmt::format("<h3>{} — {} / {}</h3>\n", HtmlEscape(w.checks), HtmlEscape(w.before),
                       HtmlEscape(w.after));
    ChecksTable(out, w, wi.checks_after, "whatif", &wi.checks_before);
    out += fmt::format("<h3>{}</h3>\n", HtmlEscape(w.by_chapter));
    out +=
        "<div class=\"chart\"><canvas id=\"whatif-chapters\" "
        "data-chart=\"whatif-chapters\"></canvas></div>\n";
    ChangeTable(out, w, wi.report.by_chapter, wi.report.total, w.chapter, "whatif.chapter", true);
    if (wi.report.undecidable > 0) {
      out += fmt::format("<p>{}: {}</p>\n", HtmlEscape(w.undecidable), wi.report.undecidable);
    }
  }
  out += "<pre id=\"console-errors\"></pre>\n";
  // The figures for the charts, and the words they use.
  std::string data = "{\"stats\":" + in.stats_json + ",\"what_if\":";
  data += in.what_if ? in.what_if_json : std::string("null");
  data += ",\"i18n\":{";
  const std::pair<const char*, const char*> words[] = {
      {"rate", w.rate},
      {"rate_ci", w.rate_ci},
      {"floor", w.floor},
      {"value", w.value},
      {"bound", w.bound},
      {"known", w.known},
      {"hits", w.hits},
      {"holds", w.holds},
      {"port_nii", w.port_nii},
      {"port_manual", w.port_manual},
      {"dest_nii", w.dest_nii},
      {"dest_manual", w.dest_manual},
      {"before", w.before},
      {"after", w.after},
      {"inspected_holds", in.lang == Lang::kZh ? "查验 + 扣留" : "inspections + holds"},
      {"realized", in.lang == Lang::kZh ? "实际查验率" : "realized rate"},
      {"realized_value", in.lang == Lang::kZh ? "实际值" : "realized value"}};
  bool first = true;
  for (const auto& [key, word] : words) {
    if (!first) data += ',';
    first = false;
    AppendJsonString(data, key);
    data += ':';
    AppendJsonString(data, word);
  }
  data += "}}";
  out += "<script id=\"bukong-data\" type=\"application/json\">" + ScriptSafe(data) + "</script>\n";
  out += fmt::format("<script>{}</script>\n", kScript);
  out += "<script>document.documentElement.setAttribute('data-ready', 'yes');</script>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace bukong::report
