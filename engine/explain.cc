// The explaining evaluator (engine/explain.h): SPEC §2 over the IR, in the plainest code,
// recording what it sees. Shares nothing with the engine's plan.
#include "engine/explain.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "core/dates.h"
#include "core/json.h"

namespace bukong::engine {
namespace {

using K = ir::Condition::Kind;

constexpr int64_t kMillion = 1'000'000;

// A non-negative or negative scaled decimal as text without trailing zeros.
std::string ScaledText(__int128 scaled, __int128 scale, int decimals) {
  bool negative = scaled < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(scaled) : scaled;
  unsigned __int128 whole = u / static_cast<unsigned __int128>(scale);
  unsigned __int128 fraction = u % static_cast<unsigned __int128>(scale);
  std::string digits;
  if (whole == 0) digits = "0";
  while (whole > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  }
  if (fraction != 0) {
    std::string f(static_cast<size_t>(decimals), '0');
    for (int i = decimals - 1; i >= 0; --i) {
      f[static_cast<size_t>(i)] = static_cast<char>('0' + static_cast<int>(fraction % 10));
      fraction /= 10;
    }
    while (!f.empty() && f.back() == '0') f.pop_back();
    digits += "." + f;
  }
  return negative ? "-" + digits : digits;
}

std::string DecimalText(const ir::Decimal& d) { return ScaledText(d.scaled, ir::Decimal::kScale, 18); }
std::string ExactText(const ExactDecimal& d) {
  return ScaledText(d.twice_scaled / 2, ir::Decimal::kScale, 18);
}
std::string FactorText(int64_t ppm) { return ScaledText(ppm, kMillion, 6); }

const char* OpText(ir::CompareOp op) {
  switch (op) {
    case ir::CompareOp::kEq: return "=";
    case ir::CompareOp::kNe: return "!=";
    case ir::CompareOp::kLt: return "<";
    case ir::CompareOp::kLe: return "<=";
    case ir::CompareOp::kGt: return ">";
    case ir::CompareOp::kGe: return ">=";
  }
  return "?";
}

template <typename T>
bool Compare(const T& a, ir::CompareOp op, const T& b) {
  switch (op) {
    case ir::CompareOp::kEq: return a == b;
    case ir::CompareOp::kNe: return !(a == b);
    case ir::CompareOp::kLt: return a < b;
    case ir::CompareOp::kLe: return !(b < a);
    case ir::CompareOp::kGt: return b < a;
    case ir::CompareOp::kGe: return !(a < b);
  }
  return false;
}

std::string HsText(std::string_view digits) {
  if (digits.size() <= 4) return std::string(digits);
  std::string out(digits.substr(0, 4));
  for (size_t i = 4; i < digits.size(); i += 2) {
    out += ".";
    out += digits.substr(i, 2);
  }
  return out;
}

std::string HsRangeText(const ir::HsRange& r) {
  return r.low == r.high ? HsText(r.low) : HsText(r.low) + ".." + HsText(r.high);
}

bool Quoted(ir::Field f) { return f == ir::Field::kPort || f == ir::Field::kEnterprise; }

std::string SymbolList(const ir::Condition& c) {
  std::string out;
  for (size_t i = 0; i < c.symbols.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quoted(c.field) ? "\"" + c.symbols[i] + "\"" : c.symbols[i];
  }
  return out;
}

std::string_view DirectionText(Direction d) { return kDirectionNames[static_cast<int>(d)]; }
std::string_view ModeText(TransportMode m) { return kModeNames[static_cast<int>(m)]; }

// -1, 0, 1 as hits/inspections compares with literal scaled / 10^18.
int CompareHitRate(uint64_t hits, uint64_t inspections, __int128 scaled) {
  if (inspections == 0) return scaled > 0 ? -1 : (scaled == 0 ? 0 : 1);
  const __int128 lhs = static_cast<__int128>(hits) * ir::Decimal::kScale;
  __int128 rhs;
  if (__builtin_mul_overflow(scaled, static_cast<__int128>(inspections), &rhs)) {
    return scaled > 0 ? -1 : 1;
  }
  return lhs < rhs ? -1 : (lhs == rhs ? 0 : 1);
}

// -1, 0, 1 as a/b compares with c/d, for a, c >= 0 and b, d > 0: exactly, without forming
// a product (the continued-fraction comparison: compare the integer parts, then the
// reciprocals of what remains).
int CompareFractions(unsigned __int128 a, unsigned __int128 b, unsigned __int128 c,
                     unsigned __int128 d) {
  int sign = 1;
  for (;;) {
    const unsigned __int128 qa = a / b, qc = c / d;
    if (qa != qc) return qa < qc ? -sign : sign;
    a %= b;
    c %= d;
    if (a == 0 || c == 0) return a == c ? 0 : (a == 0 ? -sign : sign);
    // a/b vs c/d, both in (0, 1): the larger fraction has the smaller reciprocal.
    std::swap(a, b);
    std::swap(c, d);
    sign = -sign;
  }
}

// SPEC §7.2: -1, 0, 1 as value / weight compares with the literal (scaled by 10^18); value
// and weight twice scaled (their scales cancel). nullopt for a zero weight.
std::optional<int> CompareUnitValue(__int128 value, __int128 weight, __int128 literal) {
  if (weight == 0) return std::nullopt;
  if (weight < 0) value = -value, weight = -weight;  // the same rational number
  const int sv = (value > 0) - (value < 0), sl = (literal > 0) - (literal < 0);
  if (sv != sl) return sv < sl ? -1 : 1;
  if (sv == 0) return 0;
  const auto magnitude = [](__int128 x) {
    return x < 0 ? -static_cast<unsigned __int128>(x) : static_cast<unsigned __int128>(x);
  };
  const int m = CompareFractions(magnitude(value), static_cast<unsigned __int128>(weight),
                                 magnitude(literal), ir::Decimal::kScale);
  return sv > 0 ? m : -m;
}

bool Present(ir::Field f, const Declaration& d) {
  switch (f) {
    case ir::Field::kUnitValue: return (d.present & kHasValue) && (d.present & kHasWeight);
    case ir::Field::kOrigin: return d.present & kHasOrigin;
    case ir::Field::kTradeCountry: return d.present & kHasTradeCountry;
    case ir::Field::kPort: return d.present & kHasPort;
    case ir::Field::kMode: return d.present & kHasMode;
    case ir::Field::kValue: return d.present & kHasValue;
    case ir::Field::kWeight: return d.present & kHasWeight;
    case ir::Field::kTwoStep: return d.present & kHasTwoStep;
    default: return true;
  }
}

std::optional<ir::Field> MissingField(const ir::Condition& c, const Declaration& d) {
  for (const ir::Condition& child : c.children) {
    if (auto missing = MissingField(child, d)) return missing;
  }
  if (c.kind == K::kAnd || c.kind == K::kOr || c.kind == K::kNot || c.kind == K::kTrue) {
    return std::nullopt;
  }
  if (!Present(c.field, d)) return c.field;
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(const ir::Ruleset& rs, const Declaration& d, const Profile* p, uint32_t grade,
            const ListBindings* lists)
      : rs_(rs), d_(d), p_(p), grade_(grade), lists_(lists) {}

  // Appends every atom of `c` (pre-order) to `atoms`, each fully evaluated.
  void Atoms(const ir::Condition& c, std::vector<AtomTrace>* atoms) const {
    if (c.kind == K::kAnd || c.kind == K::kOr || c.kind == K::kNot) {
      for (const ir::Condition& child : c.children) Atoms(child, atoms);
      return;
    }
    if (c.kind == K::kTrue) return;
    atoms->push_back(Atom(c));
  }

  // The condition's value under left-to-right short-circuit evaluation, and the atom that
  // decided it (its index in pre-order; -1 for kTrue).
  static std::pair<bool, int> Decide(const ir::Condition& c, const std::vector<AtomTrace>& atoms,
                                     int* next) {
    switch (c.kind) {
      case K::kTrue: return {true, -1};
      case K::kNot: {
        auto [value, deciding] = Decide(c.children[0], atoms, next);
        return {!value, deciding};
      }
      case K::kAnd:
      case K::kOr: {
        const bool stop_on = c.kind == K::kOr;  // or stops at true, and at false
        int deciding = -1;
        for (size_t i = 0; i < c.children.size(); ++i) {
          auto [value, d] = Decide(c.children[i], atoms, next);
          deciding = d;
          if (value == stop_on) {
            for (size_t j = i + 1; j < c.children.size(); ++j) *next += LeafCount(c.children[j]);
            return {stop_on, deciding};
          }
        }
        return {!stop_on, deciding};
      }
      default: {
        int index = (*next)++;
        return {atoms[static_cast<size_t>(index)].holds, index};
      }
    }
  }

 private:
  static int LeafCount(const ir::Condition& c) {
    if (c.kind == K::kAnd || c.kind == K::kOr || c.kind == K::kNot) {
      int n = 0;
      for (const ir::Condition& child : c.children) n += LeafCount(child);
      return n;
    }
    return c.kind == K::kTrue ? 0 : 1;
  }

  AtomTrace Atom(const ir::Condition& c) const {
    AtomTrace a;
    const std::string field = ir::FieldName(c.field);
    switch (c.kind) {
      case K::kCompareNumber: {
        a.text = fmt::format("{} {} {}", field, OpText(c.op), DecimalText(c.number));
        const __int128 literal = c.number.scaled;
        auto integer = [&](__int128 v) {
          a.actual = ScaledText(v, 1, 0);
          return Compare(v * ir::Decimal::kScale, c.op, literal);
        };
        switch (c.field) {
          case ir::Field::kValue:
            a.actual = ExactText(d_.value);
            a.holds = Compare(d_.value.twice_scaled, c.op, literal * 2);
            break;
          case ir::Field::kWeight:
            a.actual = ExactText(d_.weight);
            a.holds = Compare(d_.weight.twice_scaled, c.op, literal * 2);
            break;
          case ir::Field::kUnitValue: {  // SPEC §7.2
            const std::optional<int> cmp =
                CompareUnitValue(d_.value.twice_scaled, d_.weight.twice_scaled, literal);
            a.actual = fmt::format("{} / {}", ExactText(d_.value), ExactText(d_.weight));
            if (!cmp) a.actual += " (weight 0: every comparison is false)";
            a.holds = cmp.has_value() && Compare(*cmp, c.op, 0);
            break;
          }
          case ir::Field::kAgeDays:
            a.holds = integer(p_ ? static_cast<__int128>(d_.date) - p_->registered : 0);
            if (!p_) a.actual += " (no profile)";
            break;
          case ir::Field::kInspections:
            a.holds = integer(p_ ? p_->inspections : 0);
            if (!p_) a.actual += " (no profile)";
            break;
          case ir::Field::kHits:
            a.holds = integer(p_ ? p_->hits : 0);
            if (!p_) a.actual += " (no profile)";
            break;
          case ir::Field::kHitRate: {
            uint64_t hits = p_ ? p_->hits : 0, inspections = p_ ? p_->inspections : 0;
            a.holds = Compare(CompareHitRate(hits, inspections, literal), c.op, 0);
            a.actual = inspections == 0
                           ? std::string("0 (no inspections)")
                           : fmt::format("{} ({} hits / {} inspections)",
                                         ScaledText(static_cast<__int128>(hits) * 1'000'000 /
                                                        static_cast<__int128>(inspections),
                                                    1'000'000, 6),
                                         hits, inspections);
            break;
          }
          default: break;
        }
        break;
      }
      case K::kCompareDate:
        a.text = fmt::format("{} {} {}", field, OpText(c.op), FormatIsoDate(c.day));
        a.actual = FormatIsoDate(d_.date);
        a.holds = Compare(d_.date, c.op, c.day);
        break;
      case K::kCompareBool:
        a.text = fmt::format("{} {} {}", field, OpText(c.op), c.boolean ? "true" : "false");
        a.actual = d_.two_step ? "true" : "false";
        a.holds = (d_.two_step == c.boolean) == (c.op == ir::CompareOp::kEq);
        break;
      case K::kSymbolIn: {
        if (c.symbols.size() == 1) {
          a.text = fmt::format("{} {} {}", field, c.negated ? "!=" : "=", SymbolList(c));
        } else {
          a.text = fmt::format("{} {} [{}]", field, c.negated ? "not in" : "in", SymbolList(c));
        }
        std::string value;
        switch (c.field) {
          case ir::Field::kDirection: value = std::string(DirectionText(d_.direction)); break;
          case ir::Field::kMode: value = std::string(ModeText(d_.mode)); break;
          case ir::Field::kOrigin: value = d_.origin; break;
          case ir::Field::kTradeCountry: value = d_.trade_country; break;
          case ir::Field::kPort: value = d_.port; break;
          case ir::Field::kGrade: value = rs_.grades[grade_].name; break;
          case ir::Field::kEnterprise: value = d_.enterprise; break;
          default: break;
        }
        a.actual = Quoted(c.field) ? "\"" + value + "\"" : value;
        const bool in = std::find(c.symbols.begin(), c.symbols.end(), value) != c.symbols.end();
        a.holds = in != c.negated;
        break;
      }
      case K::kHsIn: {
        if (!c.commodity_set.empty()) {
          a.text = fmt::format("commodity {}in {}", c.negated ? "not " : "", c.commodity_set);
        } else {
          std::string items;
          for (size_t i = 0; i < c.hs_ranges.size(); ++i) {
            if (i > 0) items += ", ";
            items += HsRangeText(c.hs_ranges[i]);
          }
          a.text = fmt::format("hs {} [{}]", c.negated ? "not in" : "in", items);
        }
        a.actual = HsText(d_.hs);
        bool in = false;
        size_t best = 0;
        const ir::HsRange* closest = nullptr;
        for (const ir::HsRange& r : c.hs_ranges) {
          if (d_.hs.size() >= r.low.size()) {
            const std::string prefix = d_.hs.substr(0, r.low.size());
            if (r.low <= prefix && prefix <= r.high) in = true;
          }
          for (const std::string* end : {&r.low, &r.high}) {
            size_t shared = 0;
            while (shared < end->size() && shared < d_.hs.size() &&
                   (*end)[shared] == d_.hs[shared]) {
              ++shared;
            }
            if (shared > best) best = shared, closest = &r;
          }
        }
        a.holds = in != c.negated;
        if (!in && !c.negated) {
          if (closest != nullptr) a.closest = fmt::format("{} (shares the digits {})", HsRangeText(*closest),
                                        d_.hs.substr(0, best));
        }
        break;
      }
      case K::kFlagHas:
        a.text = fmt::format("{} has \"{}\"", field, c.flag);
        if (p_ == nullptr) {
          a.actual = "(no profile)";
        } else if (p_->flags.empty()) {
          a.actual = "(none)";
        } else {
          for (size_t i = 0; i < p_->flags.size(); ++i) {
            a.actual += (i > 0 ? ", \"" : "\"") + p_->flags[i] + "\"";
          }
        }
        a.holds = p_ != nullptr &&
                  std::find(p_->flags.begin(), p_->flags.end(), c.flag) != p_->flags.end();
        break;
      case K::kListIn: {  // SPEC §7.1
        const std::string& name = c.list < rs_.lists.size() ? rs_.lists[c.list].name : "?";
        a.text = fmt::format("{} {}in {}", field, c.negated ? "not " : "", name);
        std::string value;
        switch (c.field) {
          case ir::Field::kEnterprise: value = d_.enterprise; break;
          case ir::Field::kOrigin: value = d_.origin; break;
          case ir::Field::kTradeCountry: value = d_.trade_country; break;
          case ir::Field::kPort: value = d_.port; break;
          case ir::Field::kHs: value = d_.hs; break;
          default: break;
        }
        a.actual = c.field == ir::Field::kHs ? HsText(value)
                   : Quoted(c.field)        ? "\"" + value + "\""
                                            : value;
        const auto bound = lists_ == nullptr ? ListBindings::const_iterator{} : lists_->find(name);
        if (lists_ == nullptr || bound == lists_->end() || bound->second == nullptr) {
          a.actual += " (list not bound)";
          a.holds = false;
          break;
        }
        const ListVersion& version = *bound->second;
        bool in = false;
        std::string_view matching;
        for (size_t i = 0; i < version.size() && !in; ++i) {
          const std::string_view entry = version.entry(i);
          // hs entries match by prefix, as commodity sets do; the others exactly.
          in = c.field == ir::Field::kHs ? value.size() >= entry.size() && value.starts_with(entry)
                                         : value == entry;
          if (in) matching = entry;
        }
        a.actual += fmt::format(" ({}list version {}, {} entr{})",
                                c.field == ir::Field::kHs && in
                                    ? fmt::format("entry {} of ", HsText(matching))
                                    : std::string(),
                                version.digest().substr(0, 16), version.size(),
                                version.size() == 1 ? "y" : "ies");
        a.holds = in != c.negated;
        break;
      }
      default: break;
    }
    return a;
  }

  const ir::Ruleset& rs_;
  const Declaration& d_;
  const Profile* p_;
  uint32_t grade_;
  const ListBindings* lists_;
};

uint64_t Sip(const SelectionKey& key, std::string_view tag, std::string_view id) {
  std::string message;
  message.reserve(tag.size() + id.size());
  message.append(tag).append(id);
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                   key.bytes().data());
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | out[i];  // little-endian
  return u;
}

// u < floor(p * 2^64 / 10^6), by exact integer arithmetic.
bool Below(uint64_t u, int64_t p) {
  if (p >= kMillion) return true;
  if (p <= 0) return false;
  const unsigned __int128 lhs = (static_cast<unsigned __int128>(u) + 1) * 1'000'000u;
  const unsigned __int128 rhs = static_cast<unsigned __int128>(p) << 64;
  return lhs <= rhs;
}

std::string Fraction(uint64_t u) {
  return fmt::format("{:.4f}", static_cast<double>(u) / 18446744073709551616.0);
}

}  // namespace

std::string PpmText(int64_t ppm) { return ScaledText(ppm, 10'000, 4) + "%"; }

absl::StatusOr<Explanation> Explain(const ir::Ruleset& rs, const SelectionKey* key,
                                    const Declaration& d, const Profile* p,
                                    const ListBindings* lists) {
  if (d.id.empty()) return absl::InvalidArgumentError("the declaration has no id");
  Explanation e;
  e.id = d.id;
  e.grade = rs.unknown_grade;
  e.has_profile = p != nullptr;
  if (p != nullptr) {
    auto it = std::find_if(rs.grades.begin(), rs.grades.end(),
                           [&](const ir::Grade& g) { return g.name == p->grade; });
    if (it == rs.grades.end()) {
      return absl::InvalidArgumentError(
          fmt::format("grade '{}' is not declared by ruleset {}", p->grade, rs.Id()));
    }
    e.grade = static_cast<uint32_t>(it - rs.grades.begin());
  }
  for (const ir::Rule& rule : rs.rules) {
    if (auto missing = MissingField(rule.when, d)) {
      return absl::InvalidArgumentError(
          fmt::format("field '{}' is missing (rule '{}' reads it)", ir::FieldName(*missing),
                      rule.name));
    }
  }
  const ir::Grade& grade = rs.grades[e.grade];
  auto effective = [&](const ir::Action& a) -> int64_t {
    if (a.fixed) return a.rate;
    return static_cast<int64_t>((static_cast<__int128>(a.rate) * grade.factor + 500'000) /
                                1'000'000);
  };
  Evaluator evaluator(rs, d, p, e.grade, lists);
  for (uint32_t i = 0; i < rs.rules.size(); ++i) {
    const ir::Rule& rule = rs.rules[i];
    RuleTrace trace;
    trace.rule = i;
    if (rule.valid_from && (d.date < *rule.valid_from || d.date > *rule.valid_to)) {
      trace.state = RuleTrace::State::kOutsideWindow;
      e.rules.push_back(std::move(trace));
      continue;
    }
    evaluator.Atoms(rule.when, &trace.atoms);
    int next = 0;
    auto [holds, deciding] = Evaluator::Decide(rule.when, trace.atoms, &next);
    trace.deciding_atom = deciding;
    trace.state = holds ? RuleTrace::State::kMatched : RuleTrace::State::kFailed;
    if (holds) {
      e.matched.push_back(i);
      if (rule.then.hold) {
        e.holds.push_back(i);
      } else {
        trace.effective_ppm = effective(rule.then);
      }
    }
    e.rules.push_back(std::move(trace));
  }
  e.baseline_effective_ppm = effective(rs.baseline);
  if (rs.sample) {
    // SPEC §7.3: like a non-fixed rule's rate, not bounded by the grade's floor or ceiling.
    e.sample_ppm = effective(*rs.sample);
    if (key != nullptr) {
      static const int sodium = sodium_init();
      (void)sodium;
      e.sample_draw = Sip(*key, "sample:", d.id);
      e.sampled = Below(*e.sample_draw, *e.sample_ppm);
    }
  }
  if (!e.holds.empty()) {
    e.hold = true;
    e.winner = static_cast<int32_t>(e.holds.front());
    e.why_winner = e.holds.size() == 1 ? "the only matching hold rule"
                                       : "the first matching hold rule in file order";
    e.final_ppm = kMillion;
    e.winner_effective_ppm = kMillion;
    e.port_share_ppm = kMillion;
    e.nii_share_ppm = 0;
    e.outcome = "hold";
    e.site = "port";
    e.method = "manual";
    return e;
  }
  int64_t best_rule = -1;
  int tied = 0;
  for (uint32_t i : e.matched) {
    int64_t eff = e.rules[i].effective_ppm;
    if (eff > best_rule) best_rule = eff, tied = 1;
    else if (eff == best_rule) ++tied;
  }
  const ir::Action* action = &rs.baseline;
  if (best_rule < 0) {
    e.why_winner = "no rate rule matched: the baseline";
    e.winner_effective_ppm = e.baseline_effective_ppm;
  } else if (best_rule < e.baseline_effective_ppm) {
    e.why_winner = fmt::format(
        "the baseline: its effective rate {} is above every matching rule's (best {})",
        PpmText(e.baseline_effective_ppm), PpmText(best_rule));
    e.winner_effective_ppm = e.baseline_effective_ppm;
  } else {
    for (uint32_t i : e.matched) {
      if (e.rules[i].effective_ppm == best_rule) {
        e.winner = static_cast<int32_t>(i);
        break;
      }
    }
    action = &rs.rules[static_cast<size_t>(e.winner)].then;
    e.winner_effective_ppm = best_rule;
    if (tied > 1) {
      e.why_winner = fmt::format(
          "highest effective rate, {}, shared by {} rules: the first in file order wins",
          PpmText(best_rule), tied);
    } else {
      e.why_winner = fmt::format("highest effective rate ({})", PpmText(best_rule));
    }
    if (best_rule == e.baseline_effective_ppm) {
      e.why_winner += "; the baseline has the same rate, and a rule that reaches the "
                      "baseline's rate wins over it";
    }
  }
  int64_t final = e.winner_effective_ppm;
  if (grade.floor && final < *grade.floor) final = *grade.floor, e.bound = "floor";
  if (grade.ceiling && final > *grade.ceiling) final = *grade.ceiling, e.bound = "ceiling";
  final = std::clamp<int64_t>(final, 0, kMillion);
  e.final_ppm = final;
  e.port_share_ppm = action->port_share;
  e.nii_share_ppm = action->nii_share;
  if (key != nullptr) {
    static const int sodium = sodium_init();
    (void)sodium;
    e.select_draw = Sip(*key, "select:", d.id);
    if (Below(*e.select_draw, final)) {
      if (rs.sample) e.selected_by = "risk";
    } else if (e.sampled.value_or(false)) {
      e.selected_by = "sample";  // the site and method draws use the sample's split
      action = &*rs.sample;
    } else {
      e.outcome = "release";
      return e;
    }
    e.outcome = "inspect";
    e.site_draw = Sip(*key, "site:", d.id);
    e.method_draw = Sip(*key, "method:", d.id);
    e.site = Below(*e.site_draw, action->port_share) ? "port" : "destination";
    e.method = Below(*e.method_draw, action->nii_share) ? "nii" : "manual";
  }
  return e;
}

namespace {

// A rate as the fraction a draw is compared with: 22000 -> "0.0220".
std::string Threshold(int64_t ppm) {
  return fmt::format("{:.4f}", static_cast<double>(ppm) / kMillion);
}

std::string RuleLabel(const ir::Rule& rule) { return fmt::format("{} (line {})", rule.name, rule.line); }

std::string RateArithmetic(const ir::Action& a, const ir::Grade& g, int64_t effective) {
  if (a.fixed) return fmt::format("{} fixed (the grade factor does not apply)", PpmText(a.rate));
  return fmt::format("{} x factor {} = {}{}", PpmText(a.rate), FactorText(g.factor),
                     PpmText(effective),
                     static_cast<__int128>(a.rate) * g.factor % kMillion != 0
                         ? " (rounded to a whole ppm)"
                         : "");
}

std::string ShareText(int64_t port, int64_t nii) {
  return fmt::format("at port {} destination {}, method nii {} manual {}", PpmText(port),
                     PpmText(kMillion - port), PpmText(nii), PpmText(kMillion - nii));
}

}  // namespace

std::string ExplanationToText(const ir::Ruleset& rs, const Explanation& e) {
  std::string out;
  auto w = std::back_inserter(out);
  const ir::Grade& grade = rs.grades[e.grade];
  fmt::format_to(w, "Declaration {} under ruleset {}{}\n\n", e.id, rs.Id(),
                 rs.source_name.empty() || rs.source_name == rs.Id() ? ""
                                                                     : " (" + rs.source_name + ")");
  fmt::format_to(w, "1. Grade: {}{} — {}.\n", grade.name,
                 grade.label.empty() ? "" : " (" + grade.label + ")",
                 e.has_profile ? "from the enterprise's profile"
                               : "the enterprise has no profile: the ruleset's "
                                 "'unknown enterprise grade'");
  fmt::format_to(w, "   factor {}{}{}\n\n", FactorText(grade.factor),
                 grade.floor ? ", floor " + PpmText(*grade.floor) : "",
                 grade.ceiling ? ", ceiling " + PpmText(*grade.ceiling) : "");
  out += "2. Rules, in file order:\n";
  for (const RuleTrace& t : e.rules) {
    const ir::Rule& rule = rs.rules[t.rule];
    switch (t.state) {
      case RuleTrace::State::kOutsideWindow:
        fmt::format_to(w, "   - {}: not considered: the date is outside its valid window {}..{}\n",
                       RuleLabel(rule), FormatIsoDate(*rule.valid_from),
                       FormatIsoDate(*rule.valid_to));
        break;
      case RuleTrace::State::kFailed: {
        fmt::format_to(w, "   - {}: no", RuleLabel(rule));
        if (t.deciding_atom >= 0) {
          const AtomTrace& a = t.atoms[static_cast<size_t>(t.deciding_atom)];
          fmt::format_to(w, ": `{}` is {} (here: {})", a.text,
                         a.holds ? "true" : "false", a.actual);
          if (!a.closest.empty()) fmt::format_to(w, "; closest item: {}", a.closest);
        }
        out += "\n";
        break;
      }
      case RuleTrace::State::kMatched:
        if (rule.then.hold) {
          fmt::format_to(w, "   - {}: MATCHED — hold \"{}\"\n", RuleLabel(rule), rule.then.hold_reason);
        } else {
          fmt::format_to(w, "   - {}: MATCHED — candidate rate {}\n", RuleLabel(rule),
                         RateArithmetic(rule.then, grade, t.effective_ppm));
        }
        break;
    }
  }
  out += "\n";
  if (e.hold) {
    fmt::format_to(w, "3. Hold: {} ({}). Every matching hold's reason:\n",
                   rs.rules[static_cast<size_t>(e.winner)].name, e.why_winner);
    for (uint32_t i : e.holds) fmt::format_to(w, "   - {}: \"{}\"\n", rs.rules[i].name, rs.rules[i].then.hold_reason);
    out += "   Outcome: hold, at the port, by hand (rate 100%).\n";
    if (e.sample_draw) {
      fmt::format_to(w, "   sample {} < {}? {} → sampled: {} (recorded on holds too; a hold is a "
                        "hold)\n",
                     Fraction(*e.sample_draw), Threshold(*e.sample_ppm), *e.sampled ? "yes" : "no",
                     *e.sampled ? "true" : "false");
    }
    return out;
  }
  out += "3. Candidates (effective rate = rate x grade factor, unless fixed):\n";
  for (uint32_t i : e.matched) {
    const ir::Rule& rule = rs.rules[i];
    fmt::format_to(w, "   - {}: {}\n", rule.name, RateArithmetic(rule.then, grade, e.rules[i].effective_ppm));
  }
  fmt::format_to(w, "   - baseline: {}\n", RateArithmetic(rs.baseline, grade, e.baseline_effective_ppm));
  fmt::format_to(w, "4. Winner: {} — {}.\n",
                 e.winner < 0 ? std::string("baseline") : rs.rules[static_cast<size_t>(e.winner)].name,
                 e.why_winner);
  if (e.bound.empty()) {
    fmt::format_to(w, "5. Final rate: {} (no floor or ceiling applies).\n", PpmText(e.final_ppm));
  } else {
    fmt::format_to(w, "5. Final rate: {} — the grade's {} moved it from {}.\n", PpmText(e.final_ppm),
                   e.bound, PpmText(e.winner_effective_ppm));
  }
  fmt::format_to(w, "   If inspected: {} (from the winner).\n", ShareText(e.port_share_ppm, e.nii_share_ppm));
  if (e.sample_ppm) {
    fmt::format_to(w, "   Compliance sample: {} (the grade's floor and ceiling do not apply); if "
                      "only the sample selects: {}.\n",
                   RateArithmetic(*rs.sample, grade, *e.sample_ppm),
                   ShareText(rs.sample->port_share, rs.sample->nii_share));
  }
  if (!e.select_draw) {
    out += "6. Draws: not computed (no selection key given).\n";
    return out;
  }
  fmt::format_to(w, "6. Draws (fractions of 2^64, keyed by the selection key and the declaration id):\n");
  const bool by_risk = Below(*e.select_draw, e.final_ppm);
  fmt::format_to(w, "   select {} < {}? {} → {}\n", Fraction(*e.select_draw),
                 Threshold(e.final_ppm), by_risk ? "yes" : "no",
                 by_risk ? "inspect" : e.sample_draw ? "not selected by risk" : "release");
  if (e.sample_draw) {
    fmt::format_to(w, "   sample {} < {}? {} → sampled: {}{}\n", Fraction(*e.sample_draw),
                   Threshold(*e.sample_ppm), *e.sampled ? "yes" : "no",
                   *e.sampled ? "true" : "false",
                   by_risk               ? " (selected by risk already)"
                   : *e.sampled          ? " → inspect, selected by the sample, with its split"
                                         : " → release");
  }
  if (e.site_draw) {
    const bool sample = e.selected_by && *e.selected_by == "sample";
    const int64_t port = sample ? rs.sample->port_share : e.port_share_ppm;
    const int64_t nii = sample ? rs.sample->nii_share : e.nii_share_ppm;
    fmt::format_to(w, "   site   {} < {}? {} → {}\n", Fraction(*e.site_draw), Threshold(port),
                   *e.site == "port" ? "yes" : "no", *e.site);
    fmt::format_to(w, "   method {} < {}? {} → {}\n", Fraction(*e.method_draw), Threshold(nii),
                   *e.method == "nii" ? "yes" : "no", *e.method);
  }
  fmt::format_to(w, "   Outcome: {}{}.\n", *e.outcome,
                 e.site ? fmt::format(", at the {}, {}", *e.site,
                                      *e.method == "nii" ? "by non-intrusive scan (nii)"
                                                         : "by hand (manual)")
                        : "");
  return out;
}

std::string ExplanationToJson(const ir::Ruleset& rs, const Explanation& e) {
  std::string out;
  auto w = std::back_inserter(out);
  const ir::Grade& grade = rs.grades[e.grade];
  auto str = [](std::string_view s) { return JsonString(s); };
  auto opt_ppm = [](const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string("null");
  };
  fmt::format_to(w, "{{\"id\":{},\"ruleset\":{},\"grade\":{{\"name\":{},\"source\":\"{}\","
                    "\"factor_ppm\":{},\"floor_ppm\":{},\"ceiling_ppm\":{}}},\"rules\":[",
                 str(e.id), str(rs.Id()), str(grade.name), e.has_profile ? "profile" : "unknown_enterprise",
                 grade.factor, opt_ppm(grade.floor), opt_ppm(grade.ceiling));
  for (size_t k = 0; k < e.rules.size(); ++k) {
    const RuleTrace& t = e.rules[k];
    const ir::Rule& rule = rs.rules[t.rule];
    if (k > 0) out += ",";
    const char* state = t.state == RuleTrace::State::kOutsideWindow ? "outside_window"
                        : t.state == RuleTrace::State::kFailed     ? "failed"
                                                                    : "matched";
    fmt::format_to(w, "{{\"name\":{},\"line\":{},\"state\":\"{}\",\"deciding_atom\":{},\"atoms\":[",
                   str(rule.name), rule.line, state, t.deciding_atom);
    for (size_t i = 0; i < t.atoms.size(); ++i) {
      const AtomTrace& a = t.atoms[i];
      fmt::format_to(w, "{}{{\"text\":{},\"actual\":{},\"holds\":{}{}}}", i > 0 ? "," : "", str(a.text),
                     str(a.actual), a.holds,
                     a.closest.empty() ? std::string() : ",\"closest\":" + str(a.closest));
    }
    out += "]";
    if (t.state == RuleTrace::State::kMatched) {
      if (rule.then.hold) {
        fmt::format_to(w, ",\"hold\":{}", str(rule.then.hold_reason));
      } else {
        fmt::format_to(w, ",\"rate_ppm\":{},\"fixed\":{},\"effective_ppm\":{}", rule.then.rate,
                       rule.then.fixed, t.effective_ppm);
      }
    }
    out += "}";
  }
  out += "],\"matched\":[";
  for (size_t i = 0; i < e.matched.size(); ++i) {
    fmt::format_to(w, "{}{}", i > 0 ? "," : "", str(rs.rules[e.matched[i]].name));
  }
  fmt::format_to(w, "],\"baseline\":{{\"rate_ppm\":{},\"effective_ppm\":{}}},\"winner\":{},\"why\":{},"
                    "\"effective_ppm\":{},\"final_ppm\":{},\"bound\":{},\"port_share_ppm\":{},"
                    "\"nii_share_ppm\":{}",
                 rs.baseline.rate, e.baseline_effective_ppm,
                 str(e.winner < 0 ? std::string("baseline") : rs.rules[static_cast<size_t>(e.winner)].name),
                 str(e.why_winner), e.winner_effective_ppm, e.final_ppm,
                 e.bound.empty() ? std::string("null") : str(e.bound), e.port_share_ppm,
                 e.nii_share_ppm);
  auto draw = [&](const char* name, const std::optional<uint64_t>& u, int64_t threshold_ppm,
                  bool first) {
    if (!u) return;
    fmt::format_to(w, "{}\"{}\":{{\"value\":\"{:016x}\",\"fraction\":{},\"threshold_ppm\":{},\"passes\":{}}}",
                   first ? "" : ",", name, *u, Fraction(*u), threshold_ppm, Below(*u, threshold_ppm));
  };
  const bool by_sample = e.selected_by && *e.selected_by == "sample";
  if (e.select_draw || e.sample_draw) {
    out += ",\"draws\":{";
    draw("select", e.select_draw, e.final_ppm, true);
    draw("sample", e.sample_draw, e.sample_ppm.value_or(0), !e.select_draw);
    draw("site", e.site_draw, by_sample ? rs.sample->port_share : e.port_share_ppm, false);
    draw("method", e.method_draw, by_sample ? rs.sample->nii_share : e.nii_share_ppm, false);
    out += "}";
  } else {
    out += ",\"draws\":null";
  }
  if (e.sample_ppm) fmt::format_to(w, ",\"sample_ppm\":{}", *e.sample_ppm);
  if (e.sampled) fmt::format_to(w, ",\"sampled\":{}", *e.sampled);
  if (e.selected_by) fmt::format_to(w, ",\"selected_by\":{}", str(*e.selected_by));
  fmt::format_to(w, ",\"outcome\":{},\"site\":{},\"method\":{}}}",
                 e.outcome ? str(*e.outcome) : "null", e.site ? str(*e.site) : "null",
                 e.method ? str(*e.method) : "null");
  return out;
}

}  // namespace bukong::engine
