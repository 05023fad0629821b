// The naive reference evaluator: SPEC §2 in the plainest code, scanning every rule, comparing
// strings as strings. It shares nothing with the engine's plan (no index, no interning, no
// precomputed thresholds), so the differential test compares two independent readings.
#ifndef BUKONG_TESTS_ENGINE_REFERENCE_H_
#define BUKONG_TESTS_ENGINE_REFERENCE_H_

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/profile.h"
#include "dsl/ir.h"
#include "core/declaration.h"
#include "engine/engine.h"

namespace bukong::engine::test {

struct RefDecision {
  std::string id;
  std::string outcome;
  std::optional<std::string> site;
  std::optional<std::string> method;
  int64_t rate_ppm = 0;
  std::string grade;
  std::string rule;
  std::vector<std::string> matched;
  std::vector<std::string> reasons;
  std::string ruleset;
  std::optional<uint64_t> select, site_draw, method_draw;
  // SPEC §7.3 (only under a ruleset with a `sample` statement).
  std::optional<bool> sampled;
  std::string selected_by;  // "risk" or "sample" on inspections
  std::optional<uint64_t> sample_draw;
  std::string error;  // non-empty: the input was rejected
  friend bool operator==(const RefDecision&, const RefDecision&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const RefDecision& d) {
  os << "{" << d.id << " " << d.outcome << " site=" << d.site.value_or("null")
     << " method=" << d.method.value_or("null") << " rate=" << d.rate_ppm << " grade=" << d.grade
     << " rule=" << d.rule << " matched=[";
  for (const auto& m : d.matched) os << m << ",";
  os << "] reasons=[";
  for (const auto& m : d.reasons) os << m << ",";
  os << "] sel=" << (d.select ? std::to_string(*d.select) : "-")
     << " site=" << (d.site_draw ? std::to_string(*d.site_draw) : "-")
     << " method=" << (d.method_draw ? std::to_string(*d.method_draw) : "-")
     << " sampled=" << (d.sampled ? (*d.sampled ? "true" : "false") : "-")
     << " selected_by=" << d.selected_by
     << " sample=" << (d.sample_draw ? std::to_string(*d.sample_draw) : "-")
     << " error=" << d.error << "}";
  return os;
}

// The engine's decision in the same shape.
inline RefDecision FromEngine(const absl::StatusOr<Decision>& d) {
  RefDecision r;
  if (!d.ok()) {
    r.error = "rejected";
    return r;
  }
  r.id = d->id;
  r.outcome = OutcomeName(d->outcome);
  if (d->site) r.site = SiteName(*d->site);
  if (d->method) r.method = MethodName(*d->method);
  r.rate_ppm = d->rate_ppm;
  r.grade = std::string(d->GradeName());
  r.rule = std::string(d->RuleName());
  for (auto n : d->MatchedNames()) r.matched.emplace_back(n);
  for (auto n : d->Reasons()) r.reasons.emplace_back(n);
  r.ruleset = d->ruleset->Id();
  r.select = d->select_draw;
  r.site_draw = d->site_draw;
  r.method_draw = d->method_draw;
  r.sampled = d->sampled;
  if (d->sampled && d->outcome == Outcome::kInspect)
    r.selected_by = d->selected_by_sample ? "sample" : "risk";
  r.sample_draw = d->sample_draw;
  return r;
}

// The entries of each list a ruleset declares (SPEC §7.1), by list name; hs entries as digits.
using RefLists = std::map<std::string, std::vector<std::string>>;

class ReferenceEvaluator {
 public:
  ReferenceEvaluator(const ir::Ruleset& rs, const SelectionKey& key, RefLists lists = {})
      : rs_(rs), key_(key), lists_(std::move(lists)) {}

  RefDecision Decide(const Declaration& d, const Profile* p) const {
    RefDecision out;
    // 1. Grade.
    std::string grade = rs_.grades[rs_.unknown_grade].name;
    if (p != nullptr) {
      bool declared = false;
      for (const auto& g : rs_.grades) declared = declared || g.name == p->grade;
      if (!declared) {
        out.error = "rejected";
        return out;
      }
      grade = p->grade;
    }
    const ir::Grade* g = nullptr;
    for (const auto& candidate : rs_.grades)
      if (candidate.name == grade) g = &candidate;
    // Fields read must be present.
    for (const auto& rule : rs_.rules) {
      if (!FieldsPresent(rule.when, d)) {
        out.error = "rejected";
        return out;
      }
    }
    // 2. Matching rules.
    std::vector<const ir::Rule*> matched;
    for (const auto& rule : rs_.rules) {
      if (rule.valid_from && (d.date < *rule.valid_from || d.date > *rule.valid_to)) continue;
      if (Holds(rule.when, d, p, grade)) matched.push_back(&rule);
    }
    out.id = d.id;
    out.grade = grade;
    out.ruleset = rs_.name + "@" + std::to_string(rs_.version);
    for (const ir::Rule* r : matched) out.matched.push_back(r->name);
    // SPEC §7.3: the sample draw, for every declaration (holds too), at rate * factor,
    // rounded like a non-fixed rule and not bounded by floor or ceiling.
    if (rs_.sample) {
      const int64_t s = static_cast<int64_t>(
          (static_cast<__int128>(rs_.sample->rate) * g->factor + 500000) / 1000000);
      out.sample_draw = Sip("sample:" + d.id);
      out.sampled = Below(*out.sample_draw, s);
    }
    // 3. Holds.
    for (const ir::Rule* r : matched) {
      if (!r->then.hold) continue;
      if (out.reasons.empty()) out.rule = r->name;
      out.reasons.push_back(r->then.hold_reason);
    }
    if (!out.reasons.empty()) {
      out.outcome = "hold";
      out.site = "port";
      out.method = "manual";
      out.rate_ppm = 1000000;
      return out;
    }
    // 4. Candidates.
    auto effective = [&](const ir::Action& a) -> int64_t {
      if (a.fixed) return a.rate;
      return static_cast<int64_t>((static_cast<__int128>(a.rate) * g->factor + 500000) / 1000000);
    };
    const ir::Action* winner = &rs_.baseline;
    std::string winner_name = "baseline";
    int64_t best = effective(rs_.baseline);
    // The highest effective over rules; the first rule having
    // it; then the baseline only if that maximum is below the baseline's.
    int64_t max_rule = -1;
    for (const ir::Rule* r : matched) max_rule = std::max(max_rule, effective(r->then));
    if (max_rule >= 0 && max_rule >= best) {
      for (const ir::Rule* r : matched) {
        if (effective(r->then) == max_rule) {
          winner = &r->then;
          winner_name = r->name;
          best = max_rule;
          break;
        }
      }
    }
    int64_t final = best;
    if (g->floor && final < *g->floor) final = *g->floor;
    if (g->ceiling && final > *g->ceiling) final = *g->ceiling;
    if (final < 0) final = 0;
    if (final > 1000000) final = 1000000;
    out.rule = winner_name;
    out.rate_ppm = final;
    // 5. Draws.
    const uint64_t u = Sip("select:" + d.id);
    out.select = u;
    if (!Below(u, final)) {
      if (out.sampled.value_or(false)) {  // released by risk, inspected by the sample
        out.outcome = "inspect";
        out.selected_by = "sample";
        out.site_draw = Sip("site:" + d.id);
        out.method_draw = Sip("method:" + d.id);
        out.site = Below(*out.site_draw, rs_.sample->port_share) ? "port" : "destination";
        out.method = Below(*out.method_draw, rs_.sample->nii_share) ? "nii" : "manual";
        return out;
      }
      out.outcome = "release";
      return out;
    }
    out.outcome = "inspect";
    if (rs_.sample) out.selected_by = "risk";
    const uint64_t us = Sip("site:" + d.id);
    const uint64_t um = Sip("method:" + d.id);
    out.site_draw = us;
    out.method_draw = um;
    out.site = Below(us, winner->port_share) ? "port" : "destination";
    out.method = Below(um, winner->nii_share) ? "nii" : "manual";
    return out;
  }

 private:
  uint64_t Sip(const std::string& message) const {
    unsigned char out[8];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size(), key_.bytes().data());
    uint64_t u;
    std::memcpy(&u, out, 8);  // x86-64 is little-endian
    return u;
  }

  // u < floor(p * 2^64 / 10^6)  <=>  (u + 1) * 10^6 <= p * 2^64, for 0 < p < 10^6.
  static bool Below(uint64_t u, int64_t p) {
    if (p >= 1000000) return true;
    if (p <= 0) return false;
    const unsigned __int128 lhs = (static_cast<unsigned __int128>(u) + 1) * 1000000u;
    const unsigned __int128 rhs = static_cast<unsigned __int128>(p) << 64;
    return lhs <= rhs;
  }

  static bool FieldsPresent(const ir::Condition& c, const Declaration& d) {
    for (const auto& child : c.children)
      if (!FieldsPresent(child, d)) return false;
    if (c.kind == ir::Condition::Kind::kAnd || c.kind == ir::Condition::Kind::kOr ||
        c.kind == ir::Condition::Kind::kNot || c.kind == ir::Condition::Kind::kTrue)
      return true;
    switch (c.field) {
      case ir::Field::kOrigin: return d.present & kHasOrigin;
      case ir::Field::kTradeCountry: return d.present & kHasTradeCountry;
      case ir::Field::kPort: return d.present & kHasPort;
      case ir::Field::kMode: return d.present & kHasMode;
      case ir::Field::kValue: return d.present & kHasValue;
      case ir::Field::kWeight: return d.present & kHasWeight;
      case ir::Field::kTwoStep: return d.present & kHasTwoStep;
      case ir::Field::kUnitValue: return (d.present & kHasValue) && (d.present & kHasWeight);
      default: return true;
    }
  }

  template <typename T>
  static bool Compare(const T& a, ir::CompareOp op, const T& b) {
    switch (op) {
      case ir::CompareOp::kEq: return a == b;
      case ir::CompareOp::kNe: return !(a == b);
      case ir::CompareOp::kLt: return a < b;
      case ir::CompareOp::kLe: return a < b || a == b;
      case ir::CompareOp::kGt: return b < a;
      case ir::CompareOp::kGe: return b < a || a == b;
    }
    return false;
  }

  // -1, 0, 1 as hits/inspections compares with literal s / 10^18 (cross multiplication).
  static int CompareHitRate(uint64_t hits, uint64_t inspections, __int128 s) {
    if (inspections == 0) return s > 0 ? -1 : (s == 0 ? 0 : 1);
    const __int128 lhs = static_cast<__int128>(hits) * ir::Decimal::kScale;
    __int128 rhs;
    if (__builtin_mul_overflow(s, static_cast<__int128>(inspections), &rhs))
      return s > 0 ? -1 : 1;
    return lhs < rhs ? -1 : (lhs == rhs ? 0 : 1);
  }

  // |x| in base 10^9, least significant first.
  static std::vector<uint64_t> Digits(unsigned __int128 x) {
    std::vector<uint64_t> out;
    while (x > 0) {
      out.push_back(static_cast<uint64_t>(x % 1000000000u));
      x /= 1000000000u;
    }
    return out;
  }
  // |a| * |b| by schoolbook multiplication in base 10^9.
  static std::vector<uint64_t> Product(__int128 a, __int128 b) {
    const auto x = Digits(a < 0 ? -a : a), y = Digits(b < 0 ? -b : b);
    std::vector<uint64_t> out(x.size() + y.size() + 1, 0);
    for (size_t i = 0; i < x.size(); ++i) {
      uint64_t carry = 0;
      for (size_t j = 0; j < y.size(); ++j) {
        const unsigned __int128 t =
            static_cast<unsigned __int128>(x[i]) * y[j] + out[i + j] + carry;
        out[i + j] = static_cast<uint64_t>(t % 1000000000u);
        carry = static_cast<uint64_t>(t / 1000000000u);
      }
      out[i + y.size()] += carry;
    }
    while (!out.empty() && out.back() == 0) out.pop_back();
    return out;
  }
  static int CompareMagnitudes(const std::vector<uint64_t>& x, const std::vector<uint64_t>& y) {
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    for (size_t i = x.size(); i-- > 0;)
      if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  }
  // SPEC §7.2: the sign of value / weight - literal, exactly (value and weight twice scaled,
  // the literal once), as value * 10^18 - literal * weight turned round for a negative
  // weight; nullopt for a zero weight (every comparison is then false).
  static std::optional<int> CompareUnitValue(__int128 value, __int128 weight, __int128 literal) {
    if (weight == 0) return std::nullopt;
    const int s1 = (value > 0) - (value < 0);
    const int s2 = ((literal > 0) - (literal < 0)) * ((weight > 0) - (weight < 0));
    int cmp;
    if (s1 != s2) {
      cmp = s1 < s2 ? -1 : 1;
    } else if (s1 == 0) {
      cmp = 0;
    } else {
      const int m = CompareMagnitudes(Product(value, ir::Decimal::kScale), Product(literal, weight));
      cmp = s1 > 0 ? m : -m;
    }
    return weight < 0 ? -cmp : cmp;
  }

  bool Holds(const ir::Condition& c, const Declaration& d, const Profile* p,
             const std::string& grade) const {
    using K = ir::Condition::Kind;
    switch (c.kind) {
      case K::kTrue: return true;
      case K::kAnd:
        for (const auto& child : c.children)
          if (!Holds(child, d, p, grade)) return false;
        return true;
      case K::kOr:
        for (const auto& child : c.children)
          if (Holds(child, d, p, grade)) return true;
        return false;
      case K::kNot: return !Holds(c.children[0], d, p, grade);
      case K::kCompareNumber: {
        const __int128 literal = c.number.scaled;
        auto integer = [&](__int128 v) { return Compare(v * ir::Decimal::kScale, c.op, literal); };
        switch (c.field) {
          case ir::Field::kValue:
            return Compare(d.value.twice_scaled, c.op, literal * 2);
          case ir::Field::kWeight:
            return Compare(d.weight.twice_scaled, c.op, literal * 2);
          case ir::Field::kAgeDays:
            return integer(p ? static_cast<__int128>(d.date) - p->registered : 0);
          case ir::Field::kInspections: return integer(p ? p->inspections : 0);
          case ir::Field::kHits: return integer(p ? p->hits : 0);
          case ir::Field::kHitRate: {
            const int cmp = p ? CompareHitRate(p->hits, p->inspections, literal)
                              : CompareHitRate(0, 0, literal);
            return Compare(cmp, c.op, 0);
          }
          case ir::Field::kUnitValue: {
            const auto cmp =
                CompareUnitValue(d.value.twice_scaled, d.weight.twice_scaled, literal);
            return cmp.has_value() && Compare(*cmp, c.op, 0);
          }
          default: return false;
        }
      }
      case K::kCompareDate: return Compare(d.date, c.op, c.day);
      case K::kCompareBool: return (d.two_step == c.boolean) == (c.op == ir::CompareOp::kEq);
      case K::kSymbolIn: {
        std::string value;
        switch (c.field) {
          case ir::Field::kDirection: {
            const char* names[] = {"import", "export", "transit"};
            value = names[static_cast<int>(d.direction)];
            break;
          }
          case ir::Field::kMode: {
            const char* names[] = {"sea", "air", "rail", "road", "post"};
            value = names[static_cast<int>(d.mode)];
            break;
          }
          case ir::Field::kOrigin: value = d.origin; break;
          case ir::Field::kTradeCountry: value = d.trade_country; break;
          case ir::Field::kPort: value = d.port; break;
          case ir::Field::kGrade: value = grade; break;
          case ir::Field::kEnterprise: value = d.enterprise; break;
          default: return false;
        }
        const bool in = std::find(c.symbols.begin(), c.symbols.end(), value) != c.symbols.end();
        return in != c.negated;
      }
      case K::kHsIn: {
        bool in = false;
        for (const auto& r : c.hs_ranges) {
          if (d.hs.size() < r.low.size()) continue;
          const std::string prefix = d.hs.substr(0, r.low.size());
          if (r.low <= prefix && prefix <= r.high) in = true;
        }
        return in != c.negated;
      }
      case K::kFlagHas:
        return p != nullptr &&
               std::find(p->flags.begin(), p->flags.end(), c.flag) != p->flags.end();
      case K::kListIn: {  // SPEC §7.1
        const std::vector<std::string>& entries = lists_.at(rs_.lists.at(c.list).name);
        bool in = false;
        for (const std::string& e : entries) {
          switch (c.field) {
            case ir::Field::kHs: in = in || (d.hs.size() >= e.size() && d.hs.compare(0, e.size(), e) == 0); break;
            case ir::Field::kEnterprise: in = in || d.enterprise == e; break;
            case ir::Field::kOrigin: in = in || d.origin == e; break;
            case ir::Field::kTradeCountry: in = in || d.trade_country == e; break;
            case ir::Field::kPort: in = in || d.port == e; break;
            default: break;
          }
        }
        return in != c.negated;
      }
    }
    return false;
  }

  const ir::Ruleset& rs_;
  SelectionKey key_;
  RefLists lists_;
};

}  // namespace bukong::engine::test

#endif  // BUKONG_TESTS_ENGINE_REFERENCE_H_
