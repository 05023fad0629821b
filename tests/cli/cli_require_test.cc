// SPEC §7.4 `require` lines and the §7.3 random compliance sample in `stats`, `what-if` and
// `report`, end to end (issues #12 item 3 and #15).
//
// The audit logs are small and made for the purpose: a crafted declarations file decided
// under a tiny v2 ruleset whose rules put each grade's rate at a value known by
// construction (0%, 50% or 100%), so that one `require` holds, one is violated and one is
// undetermined whatever the selection key draws. The expected counts are written here from
// that construction; the intervals are computed here with the textbook formulas (not the
// program's code) and compared with what the program prints. The sample test counts, from
// the decision lines `decide` printed and the outcomes this test wrote, what the sample's
// hit rate must be.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <map>
#include <regex>

#include "tests/cli/cli_test_support.h"

namespace bukong::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kZ = 1.959963984540054;

struct Ci {
  double value, low, high;
};

// Wilson score interval of k/n.
Ci WilsonCi(double k, double n) {
  const double p = k / n, z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {p, centre - half, centre + half};
}

// Katz log interval of (x1/n1)/(x2/n2), with 0.5 added to every cell when one is empty;
// with no event above (x1 = 0) the interval starts at 0 (docs/CLI.md, "Intervals").
Ci KatzCi(double x1, double n1, double x2, double n2) {
  const double value = (x1 / n1) / (x2 / n2);
  const bool none_above = x1 == 0;
  if (x1 == 0 || x2 == 0 || x1 == n1 || x2 == n2) {
    x1 += 0.5, x2 += 0.5, n1 += 1, n2 += 1;
  }
  const double r = (x1 / n1) / (x2 / n2);
  const double se = std::sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return {value, none_above ? 0.0 : r * std::exp(-kZ * se), r * std::exp(kZ * se)};
}

// The grades, their rules and their requirements. Rates by construction:
//  - advanced: hs chapter 85 is inspected by a fixed 100% rule (mandated), the rest gets the
//    0% baseline: rate exactly 50%, discretionary rate 0;
//  - general: a non-fixed 100% rule: rate and discretionary rate 100%;
//  - dishonest: held.
constexpr std::string_view kRules = R"(ruleset "tiny-require" version 1
grade advanced  "高级认证企业" factor 0.15
grade general   "一般信用企业" factor 1.0
grade dishonest "失信企业"     factor 1.0 floor 80%
unknown enterprise grade general
baseline 0%

rule advanced_ccc when grade = advanced and hs in [85] then rate 100% fixed
rule general_all  when grade = general then rate 100%
rule blacklisted  when grade = dishonest then hold "失信企业"

require advanced < 20% of general   # holds: 0 of 60 against 60 of 60
require advanced <= 50%             # undetermined: exactly 30 of 60
require general <= 5%               # violated: 60 of 60
require dishonest >= 80%            # holds: 20 of 20 held
)";

// The line (1-based) of `text` that starts with `prefix`.
int LineOf(std::string_view text, std::string_view prefix) {
  int line = 1;
  size_t start = 0;
  while (start < text.size()) {
    if (text.substr(start, prefix.size()) == prefix) return line;
    start = text.find('\n', start);
    if (start == std::string_view::npos) break;
    ++start, ++line;
  }
  return 0;
}

std::string Declaration(const std::string& id, const std::string& enterprise,
                        const std::string& hs) {
  return fmt::format(
      R"({{"id":"{}","enterprise":"{}","date":"2026-03-02","direction":"import","hs":"{}"}})", id,
      enterprise, hs);
}

class CliRequireTest : public ::testing::Test {
 protected:
  // A database with the three enterprises, the ruleset `rules` written to NAME.rules, and
  // the 140 declarations decided under it.
  std::string Decided(const std::string& name, std::string_view rules) {
    const std::string db = tmp_.Sub(name + ".db");
    WriteFile(tmp_.Sub("profiles.csv"),
              "id,grade,registered,flags,inspections,hits\n"
              "E-ADV,advanced,2015-01-01,,0,0\n"
              "E-GEN,general,2015-01-01,,0,0\n"
              "E-DIS,dishonest,2015-01-01,,0,0\n");
    EXPECT_TRUE(InitWithProfiles(tmp_, db, tmp_.Sub("profiles.csv")));
    std::string lines;
    for (int i = 0; i < 60; ++i) {
      lines += Declaration(fmt::format("A{:03}", i), "E-ADV", i % 2 ? "8504.40.00" : "0303.89.90");
      lines += '\n';
      lines += Declaration(fmt::format("G{:03}", i), "E-GEN", "0303.89.90") + '\n';
    }
    for (int i = 0; i < 20; ++i) {
      lines += Declaration(fmt::format("H{:03}", i), "E-DIS", "0303.89.90") + '\n';
    }
    WriteFile(tmp_.Sub("declarations.jsonl"), lines);
    rules_path_ = tmp_.Sub(name + ".rules");
    WriteFile(rules_path_, rules);
    RunResult d =
        Bukong(tmp_, fmt::format("decide --db '{}' --rules '{}' '{}' -o '{}'", db, rules_path_,
                                 tmp_.Sub("declarations.jsonl"), tmp_.Sub(name + ".out.jsonl")));
    EXPECT_EQ(d.exit_code, 0) << d.err;
    return db;
  }

  static simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& text) {
    simdjson::dom::element e;
    EXPECT_EQ(parser.parse(text).get(e), simdjson::SUCCESS) << text;
    return e;
  }

  TempDir tmp_;
  std::string rules_path_;
};

TEST_F(CliRequireTest, EachRequireIsEvaluatedWithItsIntervalVerdictAndLine) {
  const std::string db = Decided("tiny", kRules);
  RunResult r = Bukong(tmp_, fmt::format("stats --db '{}' --json", db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element checks = Parse(parser, r.out).at_pointer("/rulesets/0/checks");
  simdjson::dom::array list;
  ASSERT_EQ(checks.get(list), simdjson::SUCCESS) << r.out;
  ASSERT_EQ(list.size(), 4u) << r.out;

  struct Expected {
    std::string line_prefix, grade, op, of_grade, verdict;
    double bound;
    uint64_t x, n, x_of, n_of;
  };
  const std::vector<Expected> expected = {
      {"require advanced < 20%", "advanced", "<", "general", "holds", 0.2, 0, 60, 60, 60},
      {"require advanced <= 50%", "advanced", "<=", "", "undetermined", 0.5, 30, 60, 0, 0},
      {"require general <= 5%", "general", "<=", "", "violated", 0.05, 60, 60, 0, 0},
      {"require dishonest >= 80%", "dishonest", ">=", "", "holds", 0.8, 20, 20, 0, 0},
  };
  size_t i = 0;
  for (simdjson::dom::element c : list) {
    const Expected& e = expected[i++];
    SCOPED_TRACE(e.line_prefix);
    std::string_view text;
    ASSERT_EQ(c["source"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "require");
    uint64_t line = 0;
    ASSERT_EQ(c["line"].get(line), simdjson::SUCCESS);
    EXPECT_EQ(line, static_cast<uint64_t>(LineOf(kRules, e.line_prefix)));
    ASSERT_EQ(c["origin"].get(text), simdjson::SUCCESS);
    EXPECT_THAT(std::string(text), HasSubstr(fmt::format("line {}: {}", line, e.line_prefix)));
    EXPECT_THAT(std::string(text), Not(HasSubstr("#")));  // the comment is not cited
    ASSERT_EQ(c["grade"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, e.grade);
    ASSERT_EQ(c["op"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, e.op);
    double bound = 0;
    ASSERT_EQ(c["bound"].get(bound), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(bound, e.bound);
    if (e.of_grade.empty()) {
      EXPECT_TRUE(c["of_grade"].is_null());
    } else {
      ASSERT_EQ(c["of_grade"].get(text), simdjson::SUCCESS);
      EXPECT_EQ(text, e.of_grade);
    }
    uint64_t x = 0, n = 0, x_of = 0, n_of = 0;
    ASSERT_EQ(c["x"].get(x), simdjson::SUCCESS);
    ASSERT_EQ(c["n"].get(n), simdjson::SUCCESS);
    ASSERT_EQ(c["x_of"].get(x_of), simdjson::SUCCESS);
    ASSERT_EQ(c["n_of"].get(n_of), simdjson::SUCCESS);
    EXPECT_EQ(x, e.x);
    EXPECT_EQ(n, e.n);
    EXPECT_EQ(x_of, e.x_of);
    EXPECT_EQ(n_of, e.n_of);
    const Ci ci = e.of_grade.empty() ? WilsonCi(e.x, e.n) : KatzCi(e.x, e.n, e.x_of, e.n_of);
    double value = 0, low = 0, high = 0;
    ASSERT_EQ(c["value"].get(value), simdjson::SUCCESS);
    ASSERT_EQ(c.at_pointer("/ci95/0").get(low), simdjson::SUCCESS);
    ASSERT_EQ(c.at_pointer("/ci95/1").get(high), simdjson::SUCCESS);
    EXPECT_NEAR(value, ci.value, 1e-6);
    EXPECT_NEAR(low, ci.low, 1e-6);
    EXPECT_NEAR(high, ci.high, 1e-6);
    // The verdict by the definition of SPEC §7.4, from the interval computed here.
    auto satisfies = [&](double v) {
      if (e.op == "<") return v < e.bound;
      if (e.op == "<=") return v <= e.bound;
      return v >= e.bound;
    };
    const std::string verdict = satisfies(ci.low) && satisfies(ci.high)     ? "holds"
                                : !satisfies(ci.low) && !satisfies(ci.high) ? "violated"
                                                                            : "undetermined";
    EXPECT_EQ(verdict, e.verdict) << "the construction no longer gives the intended verdict";
    ASSERT_EQ(c["verdict"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, e.verdict);
  }

  // The text cites the line too, and the CSV carries the same verdicts.
  RunResult text = Bukong(tmp_, fmt::format("stats --db '{}'", db));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const int violated_line = LineOf(kRules, "require general <= 5%");
  EXPECT_THAT(text.out, HasSubstr(fmt::format("tiny-require@1 line {}: require general <= 5%",
                                              violated_line)));
  EXPECT_THAT(text.out, HasSubstr("general rate <= 5%"));
  RunResult csv = Bukong(tmp_, fmt::format("stats --db '{}' --csv checks", db));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), 5u) << csv.out;
  EXPECT_THAT(rows[0], HasSubstr(",verdict,origin,line"));
  EXPECT_THAT(rows[3], HasSubstr("general,<=,0.050000,,rate,60,60,"));
  EXPECT_THAT(rows[3], HasSubstr(fmt::format(",violated,")));
  EXPECT_TRUE(rows[3].ends_with(fmt::format(",{}", violated_line))) << rows[3];
  EXPECT_THAT(rows[2], HasSubstr(",undetermined,"));
}

TEST_F(CliRequireTest, StrictExitsOneOnlyOnAViolatedRequire) {
  const std::string db = Decided("tiny", kRules);
  RunResult strict = Bukong(tmp_, fmt::format("stats --db '{}' --strict", db));
  EXPECT_EQ(strict.exit_code, 1) << strict.out;
  EXPECT_THAT(strict.err, HasSubstr("general rate <= 5%: violated (tiny-require@1)"));
  // The same log without the violated line: an undetermined check does not fail --strict.
  std::string lax(kRules);
  const std::string line = "require general <= 5%";
  lax.replace(lax.find(line), line.size(), "require general <= 100%");
  const std::string db2 = Decided("lax", lax);
  RunResult ok = Bukong(tmp_, fmt::format("stats --db '{}' --strict", db2));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("undetermined"));
  EXPECT_THAT(ok.out, Not(HasSubstr(" violated\n")));
}

TEST_F(CliRequireTest, ARulesetWithoutRequireKeepsTheDerivedChecks) {
  // Without `require` lines (a v1 ruleset) the checks come from the grades' labels and
  // floors, as before SPEC §7.4: advanced (高级认证企业) < 20% of the reference grade, the
  // dishonest floor.
  std::string v1(kRules.substr(0, kRules.find("require ")));
  const std::string db = Decided("v1", v1);
  RunResult r = Bukong(tmp_, fmt::format("stats --db '{}' --json", db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  ASSERT_EQ(Parse(parser, r.out).at_pointer("/rulesets/0/checks").get(list), simdjson::SUCCESS);
  ASSERT_EQ(list.size(), 2u) << r.out;
  std::vector<std::string> descriptions;
  for (simdjson::dom::element c : list) {
    std::string_view text;
    ASSERT_EQ(c["source"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "regime");
    EXPECT_TRUE(c["line"].is_null());
    ASSERT_EQ(c["description"].get(text), simdjson::SUCCESS);
    descriptions.emplace_back(text);
  }
  EXPECT_EQ(descriptions[0], "advanced discretionary rate < 20% of general's");
  EXPECT_EQ(descriptions[1], "dishonest rate >= 80%");
}

TEST_F(CliRequireTest, WhatIfAndReportShowTheRequireVerdictsBeforeAndAfter) {
  const std::string db = Decided("tiny", kRules);
  // The new rules inspect no general declaration at all and require it: `general <= 10%`
  // (0 of 60: Wilson upper end 5.7%) holds after, and is violated on the decisions before.
  std::string next(kRules);
  auto replace = [&](const std::string& from, const std::string& to) {
    ASSERT_NE(next.find(from), std::string::npos) << from;
    next.replace(next.find(from), from.size(), to);
  };
  replace("rule general_all  when grade = general then rate 100%",
          "rule general_all  when grade = general then rate 0%");
  replace("require general <= 5%", "require general <= 10%");
  replace("require advanced < 20% of general   # holds: 0 of 60 against 60 of 60\n", "");
  const std::string next_path = tmp_.Sub("next.rules");
  WriteFile(next_path, next);
  RunResult w = Bukong(tmp_, fmt::format("what-if --db '{}' --rules '{}' --json", db, next_path));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root = Parse(parser, w.out);
  simdjson::dom::array before, after;
  ASSERT_EQ(root["checks_before"].get(before), simdjson::SUCCESS);
  ASSERT_EQ(root["checks_after"].get(after), simdjson::SUCCESS);
  ASSERT_EQ(before.size(), 3u);
  ASSERT_EQ(after.size(), 3u);
  std::string_view verdict, description, source;
  ASSERT_EQ(after.at(1)["description"].get(description), simdjson::SUCCESS);
  EXPECT_EQ(description, "general rate <= 10%");
  ASSERT_EQ(after.at(1)["source"].get(source), simdjson::SUCCESS);
  EXPECT_EQ(source, "require");
  uint64_t line = 0;
  ASSERT_EQ(after.at(1)["line"].get(line), simdjson::SUCCESS);
  EXPECT_EQ(line, static_cast<uint64_t>(LineOf(next, "require general <= 10%")));
  ASSERT_EQ(before.at(1)["verdict"].get(verdict), simdjson::SUCCESS);
  EXPECT_EQ(verdict, "violated");
  ASSERT_EQ(after.at(1)["verdict"].get(verdict), simdjson::SUCCESS);
  EXPECT_EQ(verdict, "holds");
  uint64_t x = 99;
  ASSERT_EQ(after.at(1)["x"].get(x), simdjson::SUCCESS);
  EXPECT_EQ(x, 0u);
  // The rules in force keep their own four checks, on the decisions as made: what `stats`
  // says of them.
  simdjson::dom::array in_force;
  ASSERT_EQ(root.at_pointer("/checks_in_force/0/checks").get(in_force), simdjson::SUCCESS);
  ASSERT_EQ(in_force.size(), 4u);
  ASSERT_EQ(in_force.at(2)["description"].get(description), simdjson::SUCCESS);
  EXPECT_EQ(description, "general rate <= 5%");
  ASSERT_EQ(in_force.at(2)["verdict"].get(verdict), simdjson::SUCCESS);
  EXPECT_EQ(verdict, "violated");

  RunResult text = Bukong(tmp_, fmt::format("what-if --db '{}' --rules '{}'", db, next_path));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr(fmt::format("next.rules line {}: require general <= 10%", line)));
  EXPECT_TRUE(
      std::regex_search(text.out, std::regex("general rate <= 10% +100\\.00% .* violated +-> "
                                             "+0\\.00% .* holds")))
      << text.out;
  EXPECT_THAT(text.out, HasSubstr("the rules in force, tiny-require@1, on the decisions as made:"));

  // The report: the stats' checks (the rulesets in force) and what-if's before and after.
  const char* chart_js = "/usr/share/javascript/chart.js/chart.min.js";
  ASSERT_TRUE(std::filesystem::exists(chart_js)) << "libjs-chart.js (scripts/install-deps.sh)";
  const std::string html_path = tmp_.Sub("report.html");
  RunResult rep =
      Bukong(tmp_, fmt::format("report --db '{}' --rules '{}' -o '{}'", db, next_path, html_path));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = ReadAll(html_path);
  EXPECT_THAT(html, HasSubstr("data-k=\"rs0.check.2.verdict\" data-verdict=\"violated\""));
  EXPECT_THAT(html,
              HasSubstr("data-k=\"whatif.check.1.before_verdict\" data-verdict=\"violated\""));
  EXPECT_THAT(html, HasSubstr("data-k=\"whatif.check.1.verdict\" data-verdict=\"holds\""));
  EXPECT_THAT(html, HasSubstr(fmt::format("tiny-require@1 line {}: require general &lt;= 5%",
                                          LineOf(kRules, "require general <= 5%"))));
}

// The sample: 40% of every declaration, scaled by the grade factor. Advanced hs-85
// declarations match a 2% fixed rule (it beats the 0.5% baseline), so nearly all of their sample
// inspections are made by the sample alone under a fixed winner: they must count as discretionary
// (SPEC §7.3).
constexpr std::string_view kSampleRules = R"(ruleset "tiny-sample" version 1
grade advanced  "高级认证企业" factor 1.0
grade general   "一般信用企业" factor 1.0
grade dishonest "失信企业"     factor 1.0 floor 80%
unknown enterprise grade general
baseline 0.5%
sample 40% at port 50% destination 50% method manual

rule advanced_ccc when grade = advanced and hs in [85] then rate 2% fixed

require advanced <= 100%
)";

TEST_F(CliRequireTest, SampleOnlyInspectionsAreDiscretionaryAndTheSampleHitRateIsCounted) {
  const std::string db = Decided("sample", kSampleRules);
  const std::vector<std::string> decisions = Lines(ReadAll(tmp_.Sub("sample.out.jsonl")));
  ASSERT_EQ(decisions.size(), 140u);
  // Outcomes: every inspected declaration gets one, a hit for every third by position; the
  // released ones none (sampled declarations are never released).
  struct Count {
    uint64_t declarations = 0, sampled = 0, sample_only = 0, known = 0, hits = 0;
    uint64_t discretionary = 0, mandated = 0, sample_only_fixed = 0;
  };
  std::map<std::string, Count> by_grade;
  std::string outcomes;
  int position = 0;
  auto field = [](const std::string& line, const std::string& key) {
    std::smatch m;
    return std::regex_search(line, m, std::regex("\"" + key + "\":\"?([a-z_A-Z0-9]*)")) ? m[1].str()
                                                                                        : "";
  };
  for (const std::string& d : decisions) {
    const std::string id = field(d, "id"), grade = field(d, "grade");
    const std::string outcome = field(d, "outcome"), rule = field(d, "rule");
    const bool sampled = field(d, "sampled") == "true";
    const bool by_sample = field(d, "selected_by") == "sample";
    ASSERT_NE(field(d, "sampled"), "") << "every decision carries the sample draw: " << d;
    Count& c = by_grade[grade];
    ++c.declarations;
    if (outcome == "inspect") {
      const bool fixed = rule == "advanced_ccc";
      if (by_sample || !fixed) {
        ++c.discretionary;
      } else {
        ++c.mandated;
      }
      c.sample_only_fixed += by_sample && fixed;
    }
    if (outcome == "release") {
      EXPECT_FALSE(sampled) << d;
      continue;
    }
    const bool hit = position++ % 3 == 0;
    outcomes += fmt::format(R"({{"id":"{}","result":"{}"}})", id, hit ? "hit" : "clean") + "\n";
    if (sampled) {
      ++c.sampled;
      c.sample_only += by_sample;
      ++c.known;
      c.hits += hit;
    }
  }
  ASSERT_GT(by_grade["advanced"].sample_only_fixed, 0u)
      << "the draws gave no sample-only inspection under the fixed rule: the test tests nothing";
  ASSERT_GT(by_grade["general"].sampled, 0u);
  WriteFile(tmp_.Sub("outcomes.jsonl"), outcomes);
  RunResult o = Bukong(tmp_, fmt::format("outcome --db '{}' '{}'", db, tmp_.Sub("outcomes.jsonl")));
  ASSERT_EQ(o.exit_code, 0) << o.err;

  RunResult r = Bukong(tmp_, fmt::format("stats --db '{}' --json", db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element grades = Parse(parser, r.out).at_pointer("/rulesets/0/stats/grades");
  simdjson::dom::array list;
  ASSERT_EQ(grades.get(list), simdjson::SUCCESS);
  Count total;
  for (simdjson::dom::element g : list) {
    std::string_view name;
    ASSERT_EQ(g["grade"].get(name), simdjson::SUCCESS);
    const Count& c = by_grade[std::string(name)];
    SCOPED_TRACE(name);
    auto u = [&](std::string_view pointer) {
      uint64_t v = 0;
      EXPECT_EQ(g.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
      return v;
    };
    EXPECT_EQ(u("/tally/discretionary"), c.discretionary);
    EXPECT_EQ(u("/tally/mandated"), c.mandated);
    EXPECT_EQ(u("/sample/declarations"), c.declarations);
    EXPECT_EQ(u("/sample/sampled"), c.sampled);
    EXPECT_EQ(u("/sample/sample_only"), c.sample_only);
    EXPECT_EQ(u("/sample/known"), c.known);
    EXPECT_EQ(u("/sample/hits"), c.hits);
    const Ci ci = WilsonCi(c.hits, c.known);
    double value = 0, low = 0, high = 0;
    ASSERT_EQ(g.at_pointer("/sample/hit_rate/value").get(value), simdjson::SUCCESS);
    ASSERT_EQ(g.at_pointer("/sample/hit_rate/ci95/0").get(low), simdjson::SUCCESS);
    ASSERT_EQ(g.at_pointer("/sample/hit_rate/ci95/1").get(high), simdjson::SUCCESS);
    EXPECT_NEAR(value, ci.value, 1e-6);
    EXPECT_NEAR(low, ci.low, 1e-6);
    EXPECT_NEAR(high, ci.high, 1e-6);
    total.sampled += c.sampled;
    total.known += c.known;
    total.hits += c.hits;
  }
  // The efficacy's random reference is the sample now, not the baseline's row.
  std::string_view key;
  ASSERT_EQ(Parse(parser, r.out).at_pointer("/rulesets/0/efficacy/random/row/key").get(key),
            simdjson::SUCCESS);
  EXPECT_EQ(key, "random sample (§7.3)");
  uint64_t known = 0;
  ASSERT_EQ(Parse(parser, r.out).at_pointer("/rulesets/0/efficacy/random/row/known").get(known),
            simdjson::SUCCESS);
  EXPECT_EQ(known, total.known);

  RunResult text = Bukong(tmp_, fmt::format("stats --db '{}'", db));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("random compliance sample (SPEC §7.3), per grade:"));
  EXPECT_THAT(text.out, HasSubstr("unbiased estimate"));
  const Ci all = WilsonCi(total.hits, total.known);
  EXPECT_THAT(text.out, HasSubstr(fmt::format("{:.2f}% [{:.2f}, {:.2f}]", all.value * 100,
                                              all.low * 100, all.high * 100)));
  RunResult csv = Bukong(tmp_, fmt::format("stats --db '{}' --csv grades", db));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(Lines(csv.out)[0], HasSubstr(",sampled,sample_only,sample_known,sample_hits,"));
  const Count& adv = by_grade["advanced"];
  EXPECT_THAT(Lines(csv.out)[1], HasSubstr(fmt::format(",{},{},{},{},", adv.sampled,
                                                       adv.sample_only, adv.known, adv.hits)));
}

}  // namespace
}  // namespace bukong::cli::testing
