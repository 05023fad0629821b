// `bukong test RULES TESTFILE...`: runs officers' test cases (docs/rule-tests.md) against a
// rule file. Each case is decided by the engine (Decide) and explained (engine/explain.h);
// each expectation is compared with the decision. Failures show FILE:LINE, expected vs got,
// and the explain trace. Then coverage over all cases: rules never matched, never winning,
// condition atoms never true / never false, per rule.
//   --coverage-min P%   fail (exit 1) when fewer than P% of the rules matched in some case
//   --junit FILE        also write a JUnit XML report (one testcase per case) for CI servers
// Exit 0 when every case passes (and coverage reaches the minimum), 1 otherwise (including
// errors in the rule file or a test file), 2 on a usage error.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_files.h"
#include "cli/support_ruletest.h"
#include "cli/support_status.h"
#include "dsl/compiler.h"
#include "engine/engine.h"
#include "engine/explain.h"
#include "ingest/list_reader.h"

namespace bukong::cli {
namespace {

using namespace ::bukong::engine;  // Decide, Explain and their types

std::string Indent(std::string_view text, std::string_view prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.append(prefix).append(text.substr(start, end - start)).push_back('\n');
    start = end + 1;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

struct CaseResult {
  const TestFile* file = nullptr;
  const TestCase* test = nullptr;
  std::vector<std::string> failures;  // "FILE:LINE: expected ..., got ..."
  std::string trace;                  // the explain text, for failures
};

// Per rule, across all cases.
struct RuleCoverage {
  int matched = 0;
  int won = 0;
  std::vector<std::string> atom_text;
  std::vector<bool> ever_true, ever_false;
};

class TestCommand : public Command {
 public:
  int Order() const override { return 11; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "test", "Run officers' test cases against a rule file, with coverage (docs/rule-tests.md)");
    sub->add_option("rules", rules_, "The rule file (.rules)")->required();
    sub->add_option("tests", tests_, "Test files (.ruletest)")->required();
    sub->add_option("--coverage-min", coverage_min_,
                    "Fail when fewer than this share of the rules matched in some case (e.g. 100%)");
    sub->add_option("--junit", junit_, "Also write a JUnit XML report to this file");
    sub->add_flag("-v,--verbose", verbose_, "Name every case, passed or failed");
    return sub;
  }

  int Run() override {
    int64_t coverage_min_ppm = -1;
    if (!coverage_min_.empty()) {
      std::string text = coverage_min_;
      if (!text.ends_with("%")) text += "%";
      double v = -1;
      try {
        v = std::stod(text.substr(0, text.size() - 1));
      } catch (...) {
      }
      if (v < 0 || v > 100) {
        fmt::print(stderr, "bukong test: --coverage-min takes a percentage 0%..100%, found '{}'\n",
                   coverage_min_);
        return kExitUsage;
      }
      coverage_min_ppm = static_cast<int64_t>(v * 10'000 + 0.5);
    }
    auto rules_text = ReadWholeFile(rules_, "rule file");
    if (!rules_text.ok()) {
      fmt::print(stderr, "{}: error: {}\n", rules_, Message(rules_text.status()));
      return kExitFailure;
    }
    // Checked here, compiled into a plan per test file below: the lists a ruleset declares
    // (SPEC §7.1) are bound to the entries each test file gives.
    dsl::CompileResult checked = dsl::Compile(*rules_text, rules_);
    if (checked.HasErrors() || !checked.ruleset) {
      for (const auto& d : checked.diagnostics) {
        std::string m = dsl::FormatDiagnostic(rules_, *rules_text, d);
        std::fwrite(m.data(), 1, m.size(), stderr);
      }
      fmt::print(stderr, "{}: the rule file has errors; no case was run\n", rules_);
      return kExitFailure;
    }
    const ir::Ruleset& rs = *checked.ruleset;
    std::vector<std::string> errors;
    std::vector<TestFile> files;
    files.reserve(tests_.size());
    for (const std::string& path : tests_) {
      auto text = ReadWholeFile(path, "test file");
      if (!text.ok()) {
        errors.push_back(fmt::format("{}: error: {}", path, Message(text.status())));
        continue;
      }
      auto file = ReadTestFile(path, *text, &errors);
      if (file) files.push_back(std::move(*file));
    }
    for (TestFile& file : files) ResolveAgainst(rs, &file, &errors);
    std::vector<std::shared_ptr<const CompiledRuleset>> compiled(files.size());
    for (size_t i = 0; i < files.size() && errors.empty(); ++i) {
      ListBindings bindings;
      for (const TestList& list : files[i].lists) {
        auto version = std::make_shared<ListVersion>(ingest::ListDigest(list.stored));
        for (const std::string& entry : list.stored) version->Add(entry);
        bindings.emplace(list.name, std::move(version));
      }
      auto plan = CompileRuleset(rs, std::move(bindings));
      if (!plan.ok()) {  // the checked IR was refused: a compiler bug, not the user's
        fmt::print(stderr, "{}: error: {}\n", rules_, Message(plan.status()));
        return kExitFailure;
      }
      compiled[i] = *std::move(plan);
    }
    if (!errors.empty()) {
      for (const std::string& e : errors) fmt::print(stderr, "{}\n", e);
      fmt::print(stderr, "{} error{} in the test files; no case was run\n", errors.size(),
                 errors.size() == 1 ? "" : "s");
      return kExitFailure;
    }

    // A fixed key for files without one: only the deterministic parts are compared then.
    std::array<uint8_t, SelectionKey::kSize> fixed{};
    const SelectionKey default_key(fixed);
    std::vector<RuleCoverage> coverage(rs.rules.size());
    std::vector<CaseResult> results;
    int cases = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      const TestFile& file = files[i];
      const SelectionKey& key = file.key ? *file.key : default_key;
      for (const TestCase& test : file.cases) {
        ++cases;
        CaseResult result{&file, &test, {}, {}};
        RunCase(rs, compiled[i], key, file.key.has_value(), test, &result, &coverage);
        results.push_back(std::move(result));
      }
    }

    int failed = 0;
    for (const CaseResult& r : results) {
      if (r.failures.empty()) {
        if (verbose_) fmt::print("{}:{}: ok   \"{}\"\n", r.file->path, r.test->line, r.test->name);
        continue;
      }
      ++failed;
      fmt::print("{}:{}: FAIL \"{}\"\n", r.file->path, r.test->line, r.test->name);
      for (const std::string& f : r.failures) fmt::print("  {}\n", f);
      fmt::print("  why (bukong explain):\n{}", Indent(r.trace, "    "));
    }
    fmt::print("{}: {} case{}, {} passed, {} failed\n", rules_, cases, cases == 1 ? "" : "s",
               cases - failed, failed);
    int64_t covered_ppm = PrintCoverage(rs, coverage, cases);
    bool coverage_failed = coverage_min_ppm >= 0 && covered_ppm < coverage_min_ppm;
    if (coverage_failed) {
      fmt::print("rule coverage {} is below --coverage-min {}\n", PpmText(covered_ppm),
                 PpmText(coverage_min_ppm));
    }
    if (!junit_.empty()) {
      absl::Status written = ReplaceFileAtomically(junit_, JUnit(results, failed));
      if (!written.ok()) {
        fmt::print(stderr, "{}: error: {}\n", junit_, Message(written));
        return kExitFailure;
      }
    }
    return failed > 0 || coverage_failed ? kExitFailure : kExitOk;
  }

 private:
  static void RunCase(const ir::Ruleset& rs, const std::shared_ptr<const CompiledRuleset>& ruleset,
                      const SelectionKey& key, bool has_key, const TestCase& test,
                      CaseResult* result, std::vector<RuleCoverage>* coverage) {
    const Profile* profile = test.profile ? &*test.profile : nullptr;
    absl::StatusOr<Decision> decided = Decide(ruleset, key, test.declaration, profile);
    absl::StatusOr<Explanation> explained =
        Explain(rs, has_key ? &key : nullptr, test.declaration, profile, &ruleset->lists());
    const std::string& path = result->file->path;
    if (!decided.ok() || !explained.ok()) {
      result->failures.push_back(fmt::format(
          "{}:{}: the declaration was rejected: {}", path, test.line,
          Message(decided.ok() ? explained.status() : decided.status())));
      return;
    }
    const Decision& d = *decided;
    const Explanation& e = *explained;
    result->trace = ExplanationToText(rs, e);
    // Coverage.
    for (const RuleTrace& t : e.rules) {
      RuleCoverage& c = (*coverage)[t.rule];
      if (c.atom_text.empty() && !t.atoms.empty()) {
        for (const AtomTrace& a : t.atoms) c.atom_text.push_back(a.text);
        c.ever_true.assign(t.atoms.size(), false);
        c.ever_false.assign(t.atoms.size(), false);
      }
      for (size_t i = 0; i < t.atoms.size() && i < c.ever_true.size(); ++i) {
        (t.atoms[i].holds ? c.ever_true : c.ever_false)[i] = true;
      }
    }
    for (uint32_t m : d.matched) ++(*coverage)[m].matched;
    if (d.rule != Decision::kBaseline) ++(*coverage)[static_cast<size_t>(d.rule)].won;

    const ir::Action& winner =
        d.rule == Decision::kBaseline ? rs.baseline : rs.rules[static_cast<size_t>(d.rule)].then;
    const bool hold = d.outcome == Outcome::kHold;
    const int64_t port = hold ? 1'000'000 : winner.port_share;
    const int64_t nii = hold ? 0 : winner.nii_share;
    auto fail = [&](const Expectation& x, std::string expected, std::string got) {
      result->failures.push_back(
          fmt::format("{}:{}: expected {}, got {}", path, x.line, expected, got));
    };
    for (const Expectation& x : test.expectations) {
      switch (x.kind) {
        case Expectation::Kind::kOutcome: {
          std::string got = OutcomeName(d.outcome);
          if (!has_key && got != "hold") got = "not a hold (inspect or release: add a key)";
          if (got != x.text) fail(x, "outcome " + x.text, got);
          break;
        }
        case Expectation::Kind::kRule:
          if (d.RuleName() != x.text) fail(x, "rule " + x.text, "rule " + std::string(d.RuleName()));
          break;
        case Expectation::Kind::kRate:
          if (d.rate_ppm != x.ppm) fail(x, "rate " + PpmText(x.ppm), "rate " + PpmText(d.rate_ppm));
          break;
        case Expectation::Kind::kMatched: {
          std::vector<std::string> want = x.names, got;
          for (auto n : d.MatchedNames()) got.emplace_back(n);
          std::sort(want.begin(), want.end());
          std::vector<std::string> got_sorted = got;
          std::sort(got_sorted.begin(), got_sorted.end());
          if (want != got_sorted) {
            auto list = [](const std::vector<std::string>& v) {
              return v.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(v, ", "));
            };
            fail(x, "matched " + list(x.names), "matched " + list(got));
          }
          break;
        }
        case Expectation::Kind::kAt:
          if (port != x.ppm) {
            fail(x, fmt::format("at port {} destination {}", PpmText(x.ppm), PpmText(1'000'000 - x.ppm)),
                 fmt::format("at port {} destination {}", PpmText(port), PpmText(1'000'000 - port)));
          }
          break;
        case Expectation::Kind::kNii:
          if (nii != x.ppm) fail(x, "method nii " + PpmText(x.ppm), "method nii " + PpmText(nii));
          break;
      }
    }
  }

  // Prints the coverage report; returns the share of rules matched, in ppm.
  int64_t PrintCoverage(const ir::Ruleset& rs, const std::vector<RuleCoverage>& coverage,
                        int cases) const {
    int matched = 0, won = 0, atoms = 0, atoms_both = 0;
    std::string gaps;
    for (size_t i = 0; i < rs.rules.size(); ++i) {
      const RuleCoverage& c = coverage[i];
      const ir::Rule& rule = rs.rules[i];
      matched += c.matched > 0;
      won += c.won > 0;
      std::vector<std::string> notes;
      if (c.matched == 0) notes.push_back("never matched");
      else if (c.won == 0) notes.push_back("matched but never won");
      for (size_t a = 0; a < c.atom_text.size(); ++a) {
        ++atoms;
        if (c.ever_true[a] && c.ever_false[a]) {
          ++atoms_both;
          continue;
        }
        if (!c.ever_true[a]) notes.push_back(fmt::format("`{}` never true", c.atom_text[a]));
        if (!c.ever_false[a]) notes.push_back(fmt::format("`{}` never false", c.atom_text[a]));
      }
      if (c.atom_text.empty()) {
        notes.push_back("its valid window never contained a case's date");
      }
      if (!notes.empty()) {
        gaps += fmt::format("  {} (line {}): {}\n", rule.name, rule.line, fmt::join(notes, "; "));
      }
    }
    const size_t n = rs.rules.size();
    const int64_t matched_ppm = n == 0 ? 1'000'000 : static_cast<int64_t>(matched) * 1'000'000 / static_cast<int64_t>(n);
    fmt::print("coverage over {} case{}: rules matched {}/{} ({}), rules winning {}/{}, "
               "condition atoms both true and false {}/{}\n",
               cases, cases == 1 ? "" : "s", matched, n, PpmText(matched_ppm), won, n,
               atoms_both, atoms);
    if (!gaps.empty()) fmt::print("{}", gaps);
    return matched_ppm;
  }

  std::string JUnit(const std::vector<CaseResult>& results, int failed) const {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += fmt::format("<testsuites name=\"bukong test\" tests=\"{}\" failures=\"{}\">\n",
                       results.size(), failed);
    std::map<std::string, std::vector<const CaseResult*>> by_file;
    for (const CaseResult& r : results) by_file[r.file->path].push_back(&r);
    for (const auto& [path, cases] : by_file) {
      int file_failed = 0;
      for (const CaseResult* r : cases) file_failed += !r->failures.empty();
      out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", XmlEscape(path),
                         cases.size(), file_failed);
      for (const CaseResult* r : cases) {
        out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                           XmlEscape(rules_), XmlEscape(r->test->name), XmlEscape(path),
                           r->test->line);
        if (r->failures.empty()) {
          out += "/>\n";
          continue;
        }
        out += fmt::format(">\n      <failure message=\"{}\">{}\n{}</failure>\n    </testcase>\n",
                           XmlEscape(r->failures.front()),
                           XmlEscape(fmt::format("{}", fmt::join(r->failures, "\n"))),
                           XmlEscape(r->trace));
      }
      out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    return out;
  }

  std::string rules_;
  std::vector<std::string> tests_;
  std::string coverage_min_;
  std::string junit_;
  bool verbose_ = false;
};

BUKONG_REGISTER_COMMAND(TestCommand);

}  // namespace
}  // namespace bukong::cli
