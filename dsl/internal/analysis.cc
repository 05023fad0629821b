#include "dsl/internal/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/dates.h"

namespace bukong::dsl::internal {
namespace {

using K = ir::Condition::Kind;

bool IsLeaf(const ir::Condition& c) {
  return c.kind != K::kAnd && c.kind != K::kOr && c.kind != K::kNot && c.kind != K::kTrue;
}

// The tests that must all hold: the children of a top-level `and`, or the condition itself.
std::vector<const ir::Condition*> TopAtoms(const ir::Condition& c) {
  std::vector<const ir::Condition*> atoms;
  if (c.kind == K::kAnd) {
    for (const ir::Condition& child : c.children) atoms.push_back(&child);
  } else if (c.kind != K::kTrue) {
    atoms.push_back(&c);
  }
  return atoms;
}

bool Equal(const ir::Condition& a, const ir::Condition& b) {
  if (a.kind != b.kind || a.field != b.field || a.op != b.op || a.negated != b.negated ||
      !(a.number == b.number) || a.day != b.day || a.boolean != b.boolean || a.flag != b.flag ||
      (a.kind == K::kListIn && a.list != b.list) || a.children.size() != b.children.size()) {
    return false;
  }
  std::set<std::string> sa(a.symbols.begin(), a.symbols.end());
  std::set<std::string> sb(b.symbols.begin(), b.symbols.end());
  if (sa != sb) return false;
  std::set<std::pair<std::string, std::string>> ha, hb;
  for (const auto& r : a.hs_ranges) ha.emplace(r.low, r.high);
  for (const auto& r : b.hs_ranges) hb.emplace(r.low, r.high);
  if (ha != hb) return false;
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!Equal(a.children[i], b.children[i])) return false;
  }
  return true;
}

// Every code with a prefix in `inner` has its prefix in `outer` too.
bool Covers(const ir::HsRange& outer, const ir::HsRange& inner) {
  const size_t l = outer.low.size();
  if (inner.low.size() < l) return false;
  return inner.low.substr(0, l) >= outer.low && inner.high.substr(0, l) <= outer.high;
}

// Some code can have a prefix in both (compared on the shorter length, without copies).
bool Overlap(const ir::HsRange& a, const ir::HsRange& b) {
  const size_t l = std::min(a.low.size(), b.low.size());
  const auto cut = [l](const std::string& s) { return std::string_view(s).substr(0, l); };
  return cut(a.low) <= cut(b.high) && cut(b.low) <= cut(a.high);
}

// A comparison as an interval of values: [low, high] with open or closed ends.
struct Interval {
  bool has_low = false, low_open = false, has_high = false, high_open = false;
  __int128 low = 0, high = 0;
};

std::optional<Interval> IntervalOf(const ir::Condition& c) {
  __int128 v;
  if (c.kind == K::kCompareNumber) {
    v = c.number.scaled;
  } else if (c.kind == K::kCompareDate) {
    v = c.day;
  } else {
    return std::nullopt;
  }
  Interval i;
  switch (c.op) {
    case ir::CompareOp::kEq:
      i.has_low = i.has_high = true, i.low = i.high = v;
      break;
    case ir::CompareOp::kLt:
      i.has_high = true, i.high = v, i.high_open = true;
      break;
    case ir::CompareOp::kLe:
      i.has_high = true, i.high = v;
      break;
    case ir::CompareOp::kGt:
      i.has_low = true, i.low = v, i.low_open = true;
      break;
    case ir::CompareOp::kGe:
      i.has_low = true, i.low = v;
      break;
    case ir::CompareOp::kNe:
      return std::nullopt;
  }
  return i;
}

// inner ⊆ outer.
bool Within(const Interval& inner, const Interval& outer) {
  if (outer.has_low) {
    if (!inner.has_low) return false;
    if (inner.low < outer.low) return false;
    if (inner.low == outer.low && outer.low_open && !inner.low_open) return false;
  }
  if (outer.has_high) {
    if (!inner.has_high) return false;
    if (inner.high > outer.high) return false;
    if (inner.high == outer.high && outer.high_open && !inner.high_open) return false;
  }
  return true;
}

// Whenever test `a` holds, test `b` holds (sound, not complete).
bool Implies(const ir::Condition& a, const ir::Condition& b) {
  if (Equal(a, b)) return true;
  if (!IsLeaf(a) || !IsLeaf(b) || a.kind != b.kind || a.field != b.field) return false;
  switch (a.kind) {
    case K::kHsIn:
      if (a.negated || b.negated) return false;
      return std::all_of(a.hs_ranges.begin(), a.hs_ranges.end(), [&](const ir::HsRange& r) {
        return std::any_of(b.hs_ranges.begin(), b.hs_ranges.end(),
                           [&](const ir::HsRange& o) { return Covers(o, r); });
      });
    case K::kSymbolIn: {
      const auto subset = [](const std::vector<std::string>& x, const std::vector<std::string>& y) {
        return std::all_of(x.begin(), x.end(), [&](const std::string& s) {
          return std::find(y.begin(), y.end(), s) != y.end();
        });
      };
      if (a.negated != b.negated) return false;
      return a.negated ? subset(b.symbols, a.symbols) : subset(a.symbols, b.symbols);
    }
    case K::kCompareNumber:
    case K::kCompareDate: {
      auto ia = IntervalOf(a), ib = IntervalOf(b);
      return ia && ib && Within(*ia, *ib);
    }
    default:
      return false;
  }
}

int64_t Effective(const ir::Action& a, const ir::Grade& g) {
  if (a.fixed) return a.rate;
  return static_cast<int64_t>((static_cast<__int128>(a.rate) * g.factor + 500'000) / 1'000'000);
}

std::string Percent(int64_t ppm) {
  std::string s = fmt::format("{}.{:04d}", ppm / 10'000, ppm % 10'000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

std::string TestText(const ir::Condition& c) {
  const char* in = c.negated ? " not in " : " in ";
  if (!c.commodity_set.empty()) return std::string("commodity") + in + c.commodity_set;
  std::string items;
  for (size_t i = 0; i < c.hs_ranges.size(); ++i) {
    if (i > 0) items += ", ";
    const auto& r = c.hs_ranges[i];
    items += r.low == r.high ? r.low : r.low + ".." + r.high;
  }
  return std::string("hs") + in + "[" + items + "]";
}

// The days a rule's top-level date tests leave, within [low, high] (inclusive): false when
// none is left. `window` adds the rule's valid window as two more bounds.
bool DaysLeft(const std::vector<const ir::Condition*>& atoms,
              std::optional<std::pair<DayNumber, DayNumber>> window) {
  int64_t low = INT64_MIN / 4, high = INT64_MAX / 4;
  if (window) low = window->first, high = window->second;
  std::set<int64_t> equal, excluded;
  for (const ir::Condition* c : atoms) {
    if (c->kind != K::kCompareDate) continue;
    const int64_t d = c->day;
    switch (c->op) {
      case ir::CompareOp::kEq:
        equal.insert(d);
        break;
      case ir::CompareOp::kNe:
        excluded.insert(d);
        break;
      case ir::CompareOp::kLt:
        high = std::min(high, d - 1);
        break;
      case ir::CompareOp::kLe:
        high = std::min(high, d);
        break;
      case ir::CompareOp::kGt:
        low = std::max(low, d + 1);
        break;
      case ir::CompareOp::kGe:
        low = std::max(low, d);
        break;
    }
  }
  if (equal.size() > 1) return false;
  if (equal.size() == 1) low = std::max(low, *equal.begin()), high = std::min(high, *equal.begin());
  if (low > high) return false;
  int64_t gone = 0;
  for (int64_t d : excluded) gone += d >= low && d <= high;
  return high - low + 1 > gone;
}

class Analyzer {
 public:
  Analyzer(const ir::Ruleset& rs, std::string_view source, DiagnosticSink& sink)
      : rs_(rs), sink_(sink) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
    }
  }

  void Run() {
    // Per rule: its top-level tests and a mask of their fields (composite tests: bit 31), a
    // cheap necessary condition for one rule's tests to imply another's.
    for (const ir::Rule& r : rs_.rules) {
      atoms_.push_back(TopAtoms(r.when));
      uint32_t mask = 0;
      for (const ir::Condition* c : atoms_.back()) {
        mask |= IsLeaf(*c) ? 1u << static_cast<int>(c->field) : 1u << 31;
      }
      masks_.push_back(mask);
    }
    UnusedSets();
    std::vector<bool> never_match(rs_.rules.size(), false);
    for (size_t i = 0; i < rs_.rules.size(); ++i) {
      never_match[i] = DisjointHs(i) || ExcludedHs(i) || SameListBothWays(i) || WindowOutside(i);
    }
    for (size_t i = 0; i < rs_.rules.size(); ++i) {
      if (never_match[i]) continue;
      if (!Shadowed(i, never_match)) BelowBaseline(i);
    }
  }

 private:
  uint32_t OffsetOfLine(uint32_t line) const {
    return line >= 1 && line <= line_starts_.size() ? line_starts_[line - 1] : 0;
  }

  void UnusedSets() {
    std::set<std::string> used;
    std::vector<const ir::Condition*> stack;
    for (const ir::Rule& r : rs_.rules) stack.push_back(&r.when);
    while (!stack.empty()) {
      const ir::Condition* c = stack.back();
      stack.pop_back();
      if (!c->commodity_set.empty()) used.insert(c->commodity_set);
      for (const ir::Condition& child : c->children) stack.push_back(&child);
    }
    for (const ir::CommoditySet& set : rs_.commodity_sets) {
      if (used.count(set.name) == 0) {
        sink_.Warning(OffsetOfLine(set.line),
                      fmt::format("commodity set '{}' is declared but no rule uses it", set.name));
      }
    }
  }

  bool DisjointHs(size_t i) {
    const ir::Rule& rule = rs_.rules[i];
    std::vector<const ir::Condition*> hs;
    for (const ir::Condition* c : TopAtoms(rule.when)) {
      if (c->kind == K::kHsIn && !c->negated) hs.push_back(c);
    }
    for (size_t x = 0; x < hs.size(); ++x) {
      for (size_t y = x + 1; y < hs.size(); ++y) {
        // Long lists against long lists are not compared (cost; no warning is ever wrong).
        if (hs[x]->hs_ranges.size() * hs[y]->hs_ranges.size() > kMaxHsPairs) continue;
        bool overlap = false;
        for (const auto& a : hs[x]->hs_ranges) {
          for (const auto& b : hs[y]->hs_ranges) overlap = overlap || Overlap(a, b);
        }
        if (!overlap) {
          sink_.Warning(OffsetOfLine(rule.line),
                        fmt::format("rule '{}' can never match: {} and {} have no HS code in "
                                    "common",
                                    rule.name, TestText(*hs[x]), TestText(*hs[y])));
          return true;
        }
      }
    }
    return false;
  }

  // `hs in A and hs not in B` where B covers every code of A.
  bool ExcludedHs(size_t i) {
    const ir::Rule& rule = rs_.rules[i];
    for (const ir::Condition* p : atoms_[i]) {
      if (p->kind != K::kHsIn || p->negated || p->hs_ranges.empty()) continue;
      for (const ir::Condition* n : atoms_[i]) {
        if (n->kind != K::kHsIn || !n->negated) continue;
        if (p->hs_ranges.size() * n->hs_ranges.size() > kMaxHsPairs) continue;
        const bool all_excluded =
            std::all_of(p->hs_ranges.begin(), p->hs_ranges.end(), [&](const ir::HsRange& r) {
              return std::any_of(n->hs_ranges.begin(), n->hs_ranges.end(),
                                 [&](const ir::HsRange& o) { return Covers(o, r); });
            });
        if (!all_excluded) continue;
        sink_.Warning(OffsetOfLine(rule.line),
                      fmt::format("rule '{}' can never match: every code of {} is excluded by {}",
                                  rule.name, TestText(*p), TestText(*n)));
        return true;
      }
    }
    return false;
  }

  // `FIELD in L and FIELD not in L`: whatever version of L is bound, one of them is false.
  bool SameListBothWays(size_t i) {
    const ir::Rule& rule = rs_.rules[i];
    for (const ir::Condition* p : atoms_[i]) {
      if (p->kind != K::kListIn || p->negated) continue;
      for (const ir::Condition* n : atoms_[i]) {
        if (n->kind != K::kListIn || !n->negated || n->field != p->field || n->list != p->list) {
          continue;
        }
        const std::string& list = rs_.lists[p->list].name;
        sink_.Warning(
            OffsetOfLine(rule.line),
            fmt::format("rule '{}' can never match: {} in {} and {} not in {} exclude "
                        "each other",
                        rule.name, ir::FieldName(p->field), list, ir::FieldName(p->field), list));
        return true;
      }
    }
    return false;
  }

  // A valid window that its own date tests leave no day in (the date tests alone leave some:
  // when they do not, the checker has already said "contradictory conditions on 'date'").
  bool WindowOutside(size_t i) {
    const ir::Rule& rule = rs_.rules[i];
    if (!rule.valid_from || *rule.valid_from > *rule.valid_to) return false;  // empty: checker
    if (!DaysLeft(atoms_[i], std::nullopt)) return false;
    if (DaysLeft(atoms_[i], std::pair{*rule.valid_from, *rule.valid_to})) return false;
    sink_.Warning(
        OffsetOfLine(rule.line),
        fmt::format("rule '{}' can never match: its valid window {}..{} leaves no day "
                    "its date conditions allow",
                    rule.name, FormatIsoDate(*rule.valid_from), FormatIsoDate(*rule.valid_to)));
    return true;
  }

  // B matches whenever A matches.
  bool Covered(size_t a_index, size_t b_index) const {
    if ((masks_[b_index] & ~masks_[a_index]) != 0) return false;
    const ir::Rule& a = rs_.rules[a_index];
    const ir::Rule& b = rs_.rules[b_index];
    if (b.valid_from) {
      if (!a.valid_from) return false;
      if (*a.valid_from < *b.valid_from || *a.valid_to > *b.valid_to) return false;
    }
    const auto& atoms_a = atoms_[a_index];
    for (const ir::Condition* tb : atoms_[b_index]) {
      bool implied = std::any_of(atoms_a.begin(), atoms_a.end(),
                                 [&](const ir::Condition* ta) { return Implies(*ta, *tb); });
      if (!implied) return false;
    }
    return true;
  }

  // B beats A under every grade; sets *why.
  bool Beats(size_t b_index, size_t a_index, std::string* why) const {
    const ir::Rule& a = rs_.rules[a_index];
    const ir::Rule& b = rs_.rules[b_index];
    if (b.then.hold) {
      if (!a.then.hold) {
        *why = "it is a hold";
        return true;
      }
      *why = "it is a hold that comes first";
      return b_index < a_index;
    }
    if (a.then.hold) return false;
    for (const ir::Grade& g : rs_.grades) {
      const int64_t ea = Effective(a.then, g), eb = Effective(b.then, g);
      if (eb < ea || (eb == ea && b_index > a_index)) return false;
    }
    *why = Effective(a.then, rs_.grades.front()) == Effective(b.then, rs_.grades.front())
               ? "it has the same rate and comes first"
               : fmt::format("its rate is higher under every grade ({} vs {})",
                             Percent(b.then.rate), Percent(a.then.rate));
    return true;
  }

  bool Shadowed(size_t i, const std::vector<bool>& never_match) {
    // Pairwise, so quadratic: above kMaxRulesForShadowing rules it is not looked for (no
    // warning is ever wrong for that; some are missed — docs/dsl.md).
    if (rs_.rules.size() > kMaxRulesForShadowing) return false;
    // Holds first: "unreachable" says more than "another rate is higher".
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t j = 0; j < rs_.rules.size(); ++j) {
        if (j == i || never_match[j] || rs_.rules[j].then.hold != (pass == 0)) continue;
        if (Warned(i, j)) return true;
      }
    }
    return false;
  }

  // Warns when rule j makes rule i never win (j matches whenever i does and beats it).
  bool Warned(size_t i, size_t j) {
    const ir::Rule& rule = rs_.rules[i];
    std::string why;
    if (!Covered(i, j) || !Beats(j, i, &why)) return false;
    if (rs_.rules[j].then.hold) {
      // SPEC §2.3: a matching hold decides, whatever the rates and wherever it stands.
      sink_.Warning(
          OffsetOfLine(rule.line),
          rule.then.hold
              ? fmt::format("rule '{}' is unreachable: hold '{}' (line {}) matches whenever it "
                            "does and comes first, so it never decides (its reason is still "
                            "listed)",
                            rule.name, rs_.rules[j].name, rs_.rules[j].line)
              : fmt::format("rule '{}' is unreachable: hold '{}' (line {}) matches whenever it "
                            "does, so every declaration it matches is held",
                            rule.name, rs_.rules[j].name, rs_.rules[j].line));
      return true;
    }
    sink_.Warning(OffsetOfLine(rule.line),
                  fmt::format("rule '{}' can never win: rule '{}' (line {}) matches whenever "
                              "it does, and {}",
                              rule.name, rs_.rules[j].name, rs_.rules[j].line, why));
    return true;
  }

  void BelowBaseline(size_t i) {
    const ir::Rule& rule = rs_.rules[i];
    if (rule.then.hold || rs_.grades.empty()) return;
    for (const ir::Grade& g : rs_.grades) {
      if (Effective(rule.then, g) >= Effective(rs_.baseline, g)) return;
    }
    sink_.Warning(OffsetOfLine(rule.line),
                  fmt::format("rule '{}' can never win: its rate {} is below the baseline's {} "
                              "under every grade",
                              rule.name, Percent(rule.then.rate), Percent(rs_.baseline.rate)));
  }

  static constexpr size_t kMaxRulesForShadowing = 2000;
  static constexpr size_t kMaxHsPairs = 4096;

  const ir::Ruleset& rs_;
  DiagnosticSink& sink_;
  std::vector<uint32_t> line_starts_;
  std::vector<std::vector<const ir::Condition*>> atoms_;
  std::vector<uint32_t> masks_;
};

}  // namespace

void AnalyzeRuleset(const ir::Ruleset& ruleset, std::string_view source, DiagnosticSink& sink) {
  Analyzer(ruleset, source, sink).Run();
}

}  // namespace bukong::dsl::internal
