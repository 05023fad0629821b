// How one declaration is decided: SPEC §2, step by step.
//
// DecideInto below is the procedure; each step is a helper in this file. The compiled plan
// (internal/plan.h) only makes the steps cheaper: names are interned, rates precomputed per
// grade, and the candidate index (internal/candidate_index.h) narrows step 2 to the rules
// that can match. tests/engine/reference.h states the same procedure without a plan.
#include "engine/internal/decide.h"

#include <algorithm>
#include <string>

#include "core/status_macros.h"
#include "core/strings.h"
#include "engine/engine.h"
#include "engine/internal/plan.h"

namespace bukong::engine::internal {
namespace {

absl::Status MissingField(ir::Field f) {
  return absl::InvalidArgumentError(
      Cat("missing field ", ir::FieldName(f), " (the ruleset reads it)"));
}

// Checks the declaration (SPEC §2.1, §3, §6) and fills the facts that come from it alone.
absl::Status DeclarationFacts(const Plan& p, const Declaration& d, Facts* f) {
  if (d.id.empty()) return absl::InvalidArgumentError("id is empty");
  const size_t hs_digits = d.hs.size();
  if (hs_digits < 6 || hs_digits > 10)
    return absl::InvalidArgumentError(Cat("hs \"", d.hs, "\" must have 6 to 10 digits"));
  f->hs_digits = static_cast<int>(hs_digits);
  int64_t prefix = 0;
  for (size_t k = 0; k < hs_digits; ++k) {
    const char c = d.hs[k];
    if (!IsDigit(c)) return absl::InvalidArgumentError(Cat("hs \"", d.hs, "\" is not digits"));
    prefix = prefix * 10 + (c - '0');
    f->hs_prefix[k + 1] = prefix;
  }
  const uint32_t direction = static_cast<uint32_t>(d.direction);
  if (direction > 2) return absl::InvalidArgumentError("direction out of range");
  if ((d.present & p.required_present) != p.required_present) {
    const uint32_t missing = p.required_present & ~d.present;
    if (missing & kHasOrigin) return MissingField(ir::Field::kOrigin);
    if (missing & kHasTradeCountry) return MissingField(ir::Field::kTradeCountry);
    if (missing & kHasPort) return MissingField(ir::Field::kPort);
    if (missing & kHasMode) return MissingField(ir::Field::kMode);
    if (missing & kHasValue) return MissingField(ir::Field::kValue);
    if (missing & kHasWeight) return MissingField(ir::Field::kWeight);
    return MissingField(ir::Field::kTwoStep);
  }
  if ((p.required_present & kHasMode) && static_cast<uint32_t>(d.mode) > 4)
    return absl::InvalidArgumentError("mode out of range");

  f->symbol[kSymDirection] = direction;
  f->symbol[kSymMode] = static_cast<uint32_t>(d.mode);
  f->symbol[kSymOrigin] = PackCountry(d.origin);
  f->symbol[kSymTradeCountry] = PackCountry(d.trade_country);
  f->symbol[kSymPort] = kNoSymbol;
  if (p.reads_port) {
    if (auto it = p.port_ids.find(ToAbsl(d.port)); it != p.port_ids.end())
      f->symbol[kSymPort] = it->second;
  }
  f->number[kNumValue] = d.value.twice_scaled;
  f->number[kNumWeight] = d.weight.twice_scaled;
  f->date = d.date;
  f->two_step = d.two_step;
  f->enterprise = d.enterprise;
  return absl::OkStatus();
}

// Step 1: the grade index, P.grade or the ruleset's unknown-enterprise grade.
absl::StatusOr<uint32_t> GradeOf(const CompiledRuleset& compiled, const Plan& p,
                                 const Profile* profile) {
  const ir::Ruleset& rs = compiled.ir();
  if (profile == nullptr) return rs.unknown_grade;
  if (p.grade_count <= 8) {
    for (uint32_t g = 0; g < p.grade_count; ++g)
      if (rs.grades[g].name == profile->grade) return g;
  } else if (auto it = p.grade_ids.find(ToAbsl(profile->grade)); it != p.grade_ids.end()) {
    return it->second;
  }
  return absl::InvalidArgumentError(
      Cat("grade \"", profile->grade, "\" is not declared by ruleset ", compiled.Id()));
}

__int128 TwiceScaled(uint64_t v) { return static_cast<__int128>(v) * ir::Decimal::kScale * 2; }

// The facts that come from the grade and the profile (age_days, inspections, hits, hit_rate,
// flags); without a profile they stay zero and no flag is set.
void ProfileFacts(const Plan& p, const Declaration& d, const Profile* profile, uint32_t grade,
                  Facts* f) {
  f->symbol[kSymGrade] = grade;
  if (profile == nullptr) return;
  f->number[kNumAgeDays] =
      static_cast<__int128>(static_cast<int64_t>(d.date) - profile->registered) *
      ir::Decimal::kScale * 2;
  f->number[kNumInspections] = TwiceScaled(profile->inspections);
  f->number[kNumHits] = TwiceScaled(profile->hits);
  if (p.reads_hit_rate && profile->inspections != 0) {
    // hits / inspections as an ExactDecimal: 2 * floor(hits * 10^18 / n), plus one when the
    // division leaves a remainder (core/declaration.h).
    const unsigned __int128 numerator =
        static_cast<unsigned __int128>(profile->hits) * ir::Decimal::kScale;
    const unsigned __int128 q = numerator / profile->inspections;
    const bool inexact = numerator % profile->inspections != 0;
    f->number[kNumHitRate] = static_cast<__int128>(q) * 2 + (inexact ? 1 : 0);
  }
  f->flags = &profile->flags;
}

bool CompareNumber(__int128 a, ir::CompareOp op, __int128 b) {
  switch (op) {
    case ir::CompareOp::kEq:
      return a == b;
    case ir::CompareOp::kNe:
      return a != b;
    case ir::CompareOp::kLt:
      return a < b;
    case ir::CompareOp::kLe:
      return a <= b;
    case ir::CompareOp::kGt:
      return a > b;
    case ir::CompareOp::kGe:
      return a >= b;
  }
  return false;
}

// |a| * |b| as 256 bits (hi, lo), for the exact comparison of unit_value.
struct U256 {
  unsigned __int128 hi = 0, lo = 0;
};
U256 Multiply(unsigned __int128 a, unsigned __int128 b) {
  const uint64_t a0 = static_cast<uint64_t>(a), a1 = static_cast<uint64_t>(a >> 64);
  const uint64_t b0 = static_cast<uint64_t>(b), b1 = static_cast<uint64_t>(b >> 64);
  const unsigned __int128 p00 = static_cast<unsigned __int128>(a0) * b0;
  const unsigned __int128 p01 = static_cast<unsigned __int128>(a0) * b1;
  const unsigned __int128 p10 = static_cast<unsigned __int128>(a1) * b0;
  const unsigned __int128 p11 = static_cast<unsigned __int128>(a1) * b1;
  const unsigned __int128 mid =
      (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
  return {p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64),
          (mid << 64) | static_cast<uint64_t>(p00)};
}
int Sign(__int128 v) { return v > 0 ? 1 : v < 0 ? -1 : 0; }
unsigned __int128 Magnitude(__int128 v) {
  return v < 0 ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
}
// The sign of a*b - c*d, exactly (products of two 128-bit values need 256 bits).
int CompareProducts(__int128 a, __int128 b, __int128 c, __int128 d) {
  const int s1 = Sign(a) * Sign(b), s2 = Sign(c) * Sign(d);
  if (s1 != s2) return s1 < s2 ? -1 : 1;
  if (s1 == 0) return 0;
  const U256 x = Multiply(Magnitude(a), Magnitude(b));
  const U256 y = Multiply(Magnitude(c), Magnitude(d));
  const int m = x.hi != y.hi ? (x.hi < y.hi ? -1 : 1) : x.lo != y.lo ? (x.lo < y.lo ? -1 : 1) : 0;
  return s1 > 0 ? m : -m;
}

// SPEC §7.2: value / weight OP literal, compared as the rational number it is. `value` and
// `weight` are twice scaled (ExactDecimal), `literal` once (ir::Decimal::scaled), so
// value / weight OP literal is value * 10^18 OP literal * weight for a positive weight, with
// the comparison turned round for a negative one. A zero weight makes every comparison false.
bool UnitValueHolds(__int128 value, __int128 weight, ir::CompareOp op, __int128 literal) {
  if (weight == 0) return false;
  int cmp = CompareProducts(value, ir::Decimal::kScale, literal, weight);
  if (weight < 0) cmp = -cmp;
  switch (op) {
    case ir::CompareOp::kEq:
      return cmp == 0;
    case ir::CompareOp::kNe:
      return cmp != 0;
    case ir::CompareOp::kLt:
      return cmp < 0;
    case ir::CompareOp::kLe:
      return cmp <= 0;
    case ir::CompareOp::kGt:
      return cmp > 0;
    case ir::CompareOp::kGe:
      return cmp >= 0;
  }
  return false;
}

// Whether condition node `index` holds for the facts.
bool Eval(const Plan& p, uint32_t index, const Facts& f) {
  const Node& n = p.nodes[index];
  switch (n.kind) {
    case NodeKind::kTrue:
      return true;
    case NodeKind::kAnd:
      for (uint32_t i = n.begin; i < n.end; ++i)
        if (!Eval(p, p.children[i], f)) return false;
      return true;
    case NodeKind::kOr:
      for (uint32_t i = n.begin; i < n.end; ++i)
        if (Eval(p, p.children[i], f)) return true;
      return false;
    case NodeKind::kNot:
      return !Eval(p, p.children[n.begin], f);
    case NodeKind::kNumber:
      return CompareNumber(f.number[n.slot], n.op, n.number);
    case NodeKind::kDate:
      return CompareNumber(f.date, n.op, n.day);
    case NodeKind::kBool:
      return (f.two_step == n.boolean) == (n.op == ir::CompareOp::kEq);
    case NodeKind::kSymbol: {
      const uint32_t v = f.symbol[n.slot];
      bool in = false;
      for (uint32_t i = n.begin; i < n.end; ++i) {
        if (p.symbols[i] >= v) {
          in = p.symbols[i] == v;
          break;
        }
      }
      return in != n.negated;
    }
    case NodeKind::kHs: {
      bool in = false;
      for (uint32_t i = n.begin; i < n.end; ++i) {
        const HsInterval& r = p.intervals[i];
        if (r.digits <= f.hs_digits) {
          const int64_t prefix = f.hs_prefix[r.digits];
          if (prefix >= r.low && prefix <= r.high) {
            in = true;
            break;
          }
        }
      }
      return in != n.negated;
    }
    case NodeKind::kUnitValue:
      return UnitValueHolds(f.number[kNumValue], f.number[kNumWeight], n.op, n.number);
    case NodeKind::kEnterpriseList:
      return p.enterprise_lists[n.begin].contains(f.enterprise) != n.negated;
    case NodeKind::kFlag: {
      if (f.flags == nullptr) return false;
      const std::string& flag = p.flags[n.begin];
      for (const std::string& have : *f.flags)
        if (have == flag) return true;
      return false;
    }
  }
  return false;
}

// What step 2 found: M (in *matched, file order), its first hold rule and its best rate rule.
struct Matches {
  int32_t first_hold = -1;
  int32_t best = Decision::kBaseline;  // the rate rule with the highest effective rate
  int64_t best_effective = 0;
};

// Step 2: the rules whose valid window contains the date and whose condition holds. Only the
// index's candidates are evaluated; ties between rate rules go to the first in the file.
Matches MatchingRules(const Plan& p, const Facts& f, uint32_t grade, const Profile* profile,
                      absl::InlinedVector<uint32_t, 6>* matched, size_t* candidates) {
  CandidateRows rows;
  SelectRows(p.index, p.flag_ids, f, grade, profile, &rows);
  if (candidates != nullptr) *candidates = 0;
  matched->erase(matched->begin(), matched->end());  // keeps its capacity
  Matches m;
  const GradeRate* rates = p.rates.data() + grade;
  ForEachCandidateBatch(p.index, rows, [&](const uint32_t* batch, size_t count) {
    // Prefetch first what evaluating the batch reads, so that the cache misses of a large
    // ruleset overlap instead of queueing one after another.
    if (count > 1) {
      for (size_t k = 0; k < count; ++k) {
        const uint32_t r = batch[k];
        const uint32_t root = p.roots[r];
        __builtin_prefetch(&p.rules[r]);
        __builtin_prefetch(&p.nodes[root]);
        if (root > 0) __builtin_prefetch(&p.nodes[root - 1]);
        __builtin_prefetch(&rates[static_cast<size_t>(r) * p.grade_count]);
      }
    }
    for (size_t k = 0; k < count; ++k) {
      const uint32_t r = batch[k];
      const RulePlan& rule = p.rules[r];
      if (f.date < rule.valid_from || f.date > rule.valid_to) continue;
      if (!Eval(p, rule.root, f)) continue;
      matched->push_back(r);
      const int32_t ri = static_cast<int32_t>(r);
      if (rule.hold) {
        if (m.first_hold < 0 || ri < m.first_hold) m.first_hold = ri;
        continue;
      }
      const int64_t effective = rates[static_cast<size_t>(r) * p.grade_count].effective;
      if (m.best == Decision::kBaseline || effective > m.best_effective ||
          (effective == m.best_effective && ri < m.best)) {
        m.best = ri;
        m.best_effective = effective;
      }
    }
    if (candidates != nullptr) *candidates += count;
  });
  // Candidates came in bit order; the decision lists matched rules in file order.
  std::sort(matched->begin(), matched->end());
  return m;
}

// Step 3: a matching hold rule holds the goods at the port for a manual inspection.
void Hold(int32_t first_hold, Decision* out) {
  out->outcome = Outcome::kHold;
  out->rule = first_hold;
  out->rate_ppm = ir::kMillion;
  out->site = ir::Site::kPort;
  out->method = ir::Method::kManual;
}

// The winner of step 4: a rule index or kBaseline, its rates under the grade (final = bounded
// by the grade's floor and ceiling, then [0, 1e6]) and its site and method splits.
struct Winner {
  int32_t rule = Decision::kBaseline;
  const GradeRate* rate = nullptr;
  const Threshold* port = nullptr;
  const Threshold* nii = nullptr;
};

// Step 4: the baseline wins unless a matching rate rule reaches its effective rate.
Winner ChooseWinner(const Plan& p, uint32_t grade, const Matches& m) {
  const GradeRate& baseline = p.baseline_rates[grade];
  if (m.best != Decision::kBaseline && m.best_effective >= baseline.effective) {
    const size_t r = static_cast<size_t>(m.best);
    return {m.best, &p.rates[r * p.grade_count + grade], &p.rules[r].port, &p.rules[r].nii};
  }
  return {Decision::kBaseline, &baseline, &p.baseline_port, &p.baseline_nii};
}

// Steps 5 and 6: inspected iff the select draw passes T(final rate); then the site and method
// draws choose port or destination, nii or manual. A release uses only the select draw.
void DrawAndDecide(const SelectionKey& key, const std::string& id, const Winner& w, Decision* out) {
  const uint64_t select = Draw(key, "select:", id);
  out->select_draw = select;
  if (!w.rate->select.Passes(select)) {
    out->outcome = Outcome::kRelease;
    out->site.reset();
    out->method.reset();
    return;
  }
  out->outcome = Outcome::kInspect;
  const uint64_t site = Draw(key, "site:", id);
  const uint64_t method = Draw(key, "method:", id);
  out->site_draw = site;
  out->method_draw = method;
  out->site = w.port->Passes(site) ? ir::Site::kPort : ir::Site::kDestination;
  out->method = w.nii->Passes(method) ? ir::Method::kNii : ir::Method::kManual;
}

}  // namespace

absl::Status DecideInto(const CompiledRuleset& compiled, const SelectionKey& key,
                        const Declaration& d, const Profile* profile, Decision* out,
                        size_t* candidates) {
  const Plan& p = PlanOf(compiled);
  // The profile is usually not in the cache (one of many enterprises): start loading it now
  // and read it only after the facts that come from the declaration alone.
  if (profile != nullptr) {
    __builtin_prefetch(profile);
    __builtin_prefetch(reinterpret_cast<const char*>(profile) + 64);
  }
  Facts f;
  BUKONG_RETURN_IF_ERROR(DeclarationFacts(p, d, &f));

  // 1. The grade: the profile's, or the unknown-enterprise grade.
  BUKONG_ASSIGN_OR_RETURN(const uint32_t grade, GradeOf(compiled, p, profile));
  ProfileFacts(p, d, profile, grade, &f);
  out->id.assign(d.id);
  out->grade = grade;

  // 2. M: the rules whose window contains the date and whose condition holds.
  const Matches m = MatchingRules(p, f, grade, profile, &out->matched, candidates);
  out->select_draw.reset();
  out->site_draw.reset();
  out->method_draw.reset();

  // SPEC §7.3: the random compliance sample, drawn for every declaration (holds too) under a
  // ruleset with a `sample` statement, at the sample rate times the grade factor.
  out->sample_draw.reset();
  out->sampled.reset();
  out->selected_by_sample = false;
  if (p.has_sample) {
    const uint64_t sample = Draw(key, "sample:", d.id);
    out->sample_draw = sample;
    out->sampled = p.sample_select[grade].Passes(sample);
  }

  // 3. A matching hold rule decides: hold, no draw (but the sample's).
  if (m.first_hold >= 0) {
    Hold(m.first_hold, out);
    return absl::OkStatus();
  }

  // 4. Candidates are the matching rate rules and the baseline; the highest effective rate
  //    wins, and the winner's final rate is bounded by the grade's floor and ceiling.
  const Winner w = ChooseWinner(p, grade, m);
  out->rule = w.rule;
  out->rate_ppm = w.rate->final;

  // 5-6. The keyed draws decide release or inspect, and the site and method.
  DrawAndDecide(key, d.id, w, out);

  // SPEC §7.3: what risk selection released, the sample inspects, with the sample's own site
  // and method shares; rate, rule and matched still describe risk selection.
  if (out->outcome == Outcome::kRelease && out->sampled.value_or(false)) {
    out->outcome = Outcome::kInspect;
    out->selected_by_sample = true;
    const uint64_t site = Draw(key, "site:", d.id);
    const uint64_t method = Draw(key, "method:", d.id);
    out->site_draw = site;
    out->method_draw = method;
    out->site = p.sample_port.Passes(site) ? ir::Site::kPort : ir::Site::kDestination;
    out->method = p.sample_nii.Passes(method) ? ir::Method::kNii : ir::Method::kManual;
  }
  return absl::OkStatus();
}

}  // namespace bukong::engine::internal
