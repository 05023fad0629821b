// Building and running the evaluation plan (see plan.h for the layout).
#include "engine/internal/plan.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/container/inlined_vector.h"

#include "engine/engine.h"
#include "engine/internal/text.h"

namespace bukong::engine_internal {
namespace {

constexpr int kMaxDepth = 1000;          // deeper IR is rejected (evaluation recurses)
constexpr int64_t kMaxHeadingSpan = 32;  // wider 4-digit spans are indexed by chapter

bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

uint32_t PackCountry(std::string_view s) {
  if (s.size() != 2) return kNoSymbol;
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[0])) << 8) |
         static_cast<uint8_t>(s[1]);
}

int64_t DigitsValue(std::string_view digits) {
  int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::optional<SymbolSlot> SymbolSlotOf(ir::Field f) {
  switch (f) {
    case ir::Field::kDirection: return kSymDirection;
    case ir::Field::kMode: return kSymMode;
    case ir::Field::kOrigin: return kSymOrigin;
    case ir::Field::kTradeCountry: return kSymTradeCountry;
    case ir::Field::kPort: return kSymPort;
    case ir::Field::kGrade: return kSymGrade;
    default: return std::nullopt;
  }
}

std::optional<NumberSlot> NumberSlotOf(ir::Field f) {
  switch (f) {
    case ir::Field::kValue: return kNumValue;
    case ir::Field::kWeight: return kNumWeight;
    case ir::Field::kAgeDays: return kNumAgeDays;
    case ir::Field::kInspections: return kNumInspections;
    case ir::Field::kHits: return kNumHits;
    case ir::Field::kHitRate: return kNumHitRate;
    default: return std::nullopt;
  }
}

std::optional<uint32_t> DirectionId(std::string_view s) {
  if (s == "import") return 0;
  if (s == "export") return 1;
  if (s == "transit") return 2;
  return std::nullopt;
}

std::optional<uint32_t> ModeId(std::string_view s) {
  static constexpr std::string_view kModes[] = {"sea", "air", "rail", "road", "post"};
  for (uint32_t i = 0; i < 5; ++i)
    if (s == kModes[i]) return i;
  return std::nullopt;
}

// Lowers IR conditions into plan nodes.
class Lowerer {
 public:
  explicit Lowerer(Plan* plan) : plan_(plan) {}

  absl::StatusOr<uint32_t> Lower(const ir::Condition& c, std::string_view rule, int depth) {
    if (depth > kMaxDepth)
      return Error(rule, Cat("condition nested deeper than ", kMaxDepth));
    Node n;
    using K = ir::Condition::Kind;
    switch (c.kind) {
      case K::kTrue:
        n.kind = NodeKind::kTrue;
        break;
      case K::kAnd:
      case K::kOr:
      case K::kNot: {
        n.kind = c.kind == K::kAnd ? NodeKind::kAnd
                 : c.kind == K::kOr ? NodeKind::kOr
                                    : NodeKind::kNot;
        if (c.kind == K::kNot ? c.children.size() != 1 : c.children.empty())
          return Error(rule, "and/or need children and not exactly one");
        std::vector<uint32_t> ids;
        for (const ir::Condition& child : c.children) {
          auto id = Lower(child, rule, depth + 1);
          if (!id.ok()) return id.status();
          ids.push_back(*id);
        }
        // Conditions are pure, so and/or may test their operands in any order: cheap and
        // selective tests first (the HS list that indexed the rule is likely true).
        std::stable_sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
          return Cost(plan_->nodes[a]) < Cost(plan_->nodes[b]);
        });
        n.begin = static_cast<uint32_t>(plan_->children.size());
        plan_->children.insert(plan_->children.end(), ids.begin(), ids.end());
        n.end = static_cast<uint32_t>(plan_->children.size());
        break;
      }
      case K::kCompareNumber: {
        auto slot = NumberSlotOf(c.field);
        if (!slot) return Error(rule, Cat(FieldText(c.field), " is not a number"));
        n.kind = NodeKind::kNumber;
        n.slot = *slot;
        n.op = c.op;
        n.number = c.number.scaled * 2;
        break;
      }
      case K::kCompareDate:
        if (c.field != ir::Field::kDate) return Error(rule, "date comparison on a non-date");
        n.kind = NodeKind::kDate;
        n.op = c.op;
        n.day = c.day;
        break;
      case K::kCompareBool:
        if (c.field != ir::Field::kTwoStep) return Error(rule, "bool comparison on a non-bool");
        if (c.op != ir::CompareOp::kEq && c.op != ir::CompareOp::kNe)
          return Error(rule, "a boolean compares only with = or !=");
        n.kind = NodeKind::kBool;
        n.op = c.op;
        n.boolean = c.boolean;
        break;
      case K::kSymbolIn: {
        auto slot = SymbolSlotOf(c.field);
        if (!slot) return Error(rule, Cat(FieldText(c.field), " takes no symbols"));
        n.kind = NodeKind::kSymbol;
        n.slot = *slot;
        n.negated = c.negated;
        std::vector<uint32_t> ids;
        for (const std::string& s : c.symbols) {
          auto id = SymbolId(*slot, s);
          if (!id) return Error(rule, Cat("\"", s, "\" is not a valid ",
                                                   FieldText(c.field)));
          ids.push_back(*id);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        n.begin = static_cast<uint32_t>(plan_->symbols.size());
        plan_->symbols.insert(plan_->symbols.end(), ids.begin(), ids.end());
        n.end = static_cast<uint32_t>(plan_->symbols.size());
        break;
      }
      case K::kHsIn: {
        if (c.field != ir::Field::kHs) return Error(rule, "hs list on a non-hs field");
        n.kind = NodeKind::kHs;
        n.negated = c.negated;
        n.begin = static_cast<uint32_t>(plan_->intervals.size());
        for (const ir::HsRange& r : c.hs_ranges) {
          if (absl::Status s = CheckRange(r); !s.ok()) return Error(rule, std::string_view(s.message().data(), s.message().size()));
          plan_->intervals.push_back({DigitsValue(r.low), DigitsValue(r.high),
                                      static_cast<uint8_t>(r.low.size())});
        }
        n.end = static_cast<uint32_t>(plan_->intervals.size());
        break;
      }
      case K::kFlagHas:
        if (c.field != ir::Field::kFlags) return Error(rule, "has on a field other than flags");
        n.kind = NodeKind::kFlag;
        n.begin = static_cast<uint32_t>(plan_->flags.size());
        plan_->flags.push_back(c.flag);
        plan_->flag_ids.try_emplace(c.flag, static_cast<uint32_t>(plan_->flag_ids.size()));
        break;
      default:
        return Error(rule, "unknown condition kind");
    }
    plan_->nodes.push_back(n);
    return static_cast<uint32_t>(plan_->nodes.size() - 1);
  }

  static int Cost(const Node& n) {
    switch (n.kind) {
      case NodeKind::kTrue:
      case NodeKind::kBool:
      case NodeKind::kDate:
        return 0;
      case NodeKind::kNumber:
        return 1;
      case NodeKind::kSymbol:
        return n.end - n.begin <= 4 ? 1 : 2;
      case NodeKind::kHs:
      case NodeKind::kFlag:
        return 3;
      default:
        return 4;
    }
  }

  std::optional<uint32_t> SymbolId(SymbolSlot slot, const std::string& s) {
    switch (slot) {
      case kSymDirection: return DirectionId(s);
      case kSymMode: return ModeId(s);
      case kSymOrigin:
      case kSymTradeCountry:
        if (s.size() != 2 || !IsAsciiUpper(s[0]) || !IsAsciiUpper(s[1])) return std::nullopt;
        return PackCountry(s);
      case kSymPort: {
        auto [it, inserted] =
            plan_->port_ids.try_emplace(s, static_cast<uint32_t>(plan_->port_ids.size()));
        return it->second;
      }
      case kSymGrade: {
        auto it = plan_->grade_ids.find(s);
        if (it == plan_->grade_ids.end()) return std::nullopt;
        return it->second;
      }
      default: return std::nullopt;
    }
  }

  static absl::Status CheckRange(const ir::HsRange& r) {
    const size_t k = r.low.size();
    if (k < 2 || k > 10 || k % 2 != 0 || r.high.size() != k)
      return absl::InvalidArgumentError(Cat("HS range ", r.low, "..", r.high,
                                                     ": ends must both have 2, 4, 6, 8 or 10 digits"));
    for (char ch : r.low + r.high)
      if (!IsDigit(ch))
        return absl::InvalidArgumentError(Cat("HS code ", r.low, " is not digits"));
    if (r.low > r.high)
      return absl::InvalidArgumentError(Cat("HS range ", r.low, "..", r.high,
                                                     " is empty"));
    return absl::OkStatus();
  }

  static absl::Status Error(std::string_view rule, std::string_view what) {
    return absl::InvalidArgumentError(Cat("rule ", rule, ": ", what));
  }

 private:
  Plan* plan_;
};

absl::Status CheckAction(const ir::Action& a, std::string_view who) {
  auto in_range = [](ir::Ppm p) { return p >= 0 && p <= ir::kMillion; };
  if (a.hold) return absl::OkStatus();
  if (!in_range(a.rate) || !in_range(a.port_share) || !in_range(a.nii_share))
    return absl::InvalidArgumentError(
        Cat(who, ": rate and shares must lie in [0, 1000000] ppm"));
  return absl::OkStatus();
}

// Flattens the top-level conjunction of a condition.
void Conjuncts(const ir::Condition& c, std::vector<const ir::Condition*>* out) {
  if (c.kind == ir::Condition::Kind::kAnd) {
    for (const ir::Condition& child : c.children) Conjuncts(child, out);
  } else {
    out->push_back(&c);
  }
}

// Where a rule with this non-negated HS list goes in the index (see plan.h): dense slots
// (chapters, headings) and sparse 6-digit subheadings. `cost` estimates how much of the code
// space the placement covers (a chapter is 100 headings, a heading 100 subheadings), so a
// rule with several HS lists is indexed under the most selective one.
struct HsPlacement {
  std::vector<uint32_t> slots;
  std::vector<uint32_t> subheadings;
  int64_t cost = 0;
};

HsPlacement PlaceHs(const ir::Condition& c) {
  HsPlacement place;
  for (const ir::HsRange& r : c.hs_ranges) {
    if (r.low.size() >= 6) {
      const int64_t lo = DigitsValue(r.low.substr(0, 6));
      const int64_t hi = DigitsValue(r.high.substr(0, 6));
      if (hi - lo < kMaxHeadingSpan) {
        for (int64_t sub = lo; sub <= hi; ++sub)
          place.subheadings.push_back(static_cast<uint32_t>(sub));
        place.cost += hi - lo + 1;
        continue;
      }
    }
    if (r.low.size() >= 4) {
      const int64_t lo = DigitsValue(r.low.substr(0, 4));
      const int64_t hi = DigitsValue(r.high.substr(0, 4));
      if (hi - lo < kMaxHeadingSpan) {
        for (int64_t h = lo; h <= hi; ++h)
          place.slots.push_back(Plan::kHeadingBase + static_cast<uint32_t>(h));
        place.cost += 100 * (hi - lo + 1);
        continue;
      }
    }
    const int64_t lo = DigitsValue(r.low.substr(0, 2));
    const int64_t hi = DigitsValue(r.high.substr(0, 2));
    for (int64_t ch = lo; ch <= hi; ++ch)
      place.slots.push_back(Plan::kChapterBase + static_cast<uint32_t>(ch));
    place.cost += 10'000 * (hi - lo + 1);
  }
  for (auto* v : {&place.slots, &place.subheadings}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return place;
}

// Where a rule goes in the index (see plan.h).
struct IndexOption {
  uint32_t directions = 0b111;
  bool catch_all = true;
  IndexDim dim = kDimSubheading;
  std::vector<uint32_t> dense_slots;  // HS chapters and headings
  std::vector<uint32_t> keys;         // sparse keys in dimension `dim`
  double selectivity = 1.0;           // estimated share of declarations offered the rule
};

// Static selectivity estimates (share of declarations a key admits). They only steer which
// conjunct a rule is indexed by; any choice gives the same decisions.
constexpr double kSelChapter = 0.02, kSelHeading = 0.002, kSelSubheading = 0.0002;
constexpr double kSelCountry = 0.04, kSelMode = 0.2, kSelPort = 0.06, kSelFlag = 0.05;
constexpr double kSelGrade = 0.3, kSelTwoStepTrue = 0.1, kSelCatchAll = 0.6;
constexpr int32_t kMaxDateSpan = 400;  // days; longer intervals are not date-indexed

IndexOption ChooseIndex(const std::vector<const ir::Condition*>& conjuncts,
                        const ir::Rule& rule, const Plan& plan, RulePlan* rp) {
  using K = ir::Condition::Kind;
  IndexOption best;
  best.selectivity = kSelCatchAll;
  auto consider = [&](IndexOption option) {
    if (option.selectivity < best.selectivity) {
      option.catch_all = false;
      option.directions = best.directions;
      best = std::move(option);
    }
  };
  int64_t date_lo = rule.valid_from ? *rule.valid_from : std::numeric_limits<int32_t>::min();
  int64_t date_hi = rule.valid_to ? *rule.valid_to : std::numeric_limits<int32_t>::max();
  for (const ir::Condition* c : conjuncts) {
    if (c->kind == K::kSymbolIn && c->field == ir::Field::kDirection) {
      uint32_t allowed = 0;
      for (const std::string& s : c->symbols) allowed |= 1u << *DirectionId(s);
      best.directions &= c->negated ? ~allowed : allowed;
    } else if (c->kind == K::kSymbolIn && c->field == ir::Field::kGrade) {
      uint64_t allowed = 0;
      IndexOption o;
      o.dim = kDimGrade;
      for (const std::string& s : c->symbols) {
        const uint32_t g = plan.grade_ids.find(s)->second;
        if (g < 64) allowed |= uint64_t{1} << g;
        o.keys.push_back(g);
      }
      if (plan.grade_masks_used) rp->grade_mask &= c->negated ? ~allowed : allowed;
      if (!c->negated) {
        o.selectivity = kSelGrade * static_cast<double>(o.keys.size());
        consider(std::move(o));
      }
    } else if (c->kind == K::kHsIn && !c->negated) {
      HsPlacement place = PlaceHs(*c);
      IndexOption o;
      o.dim = kDimSubheading;
      o.selectivity = 0;
      for (uint32_t slot : place.slots)
        o.selectivity += slot >= Plan::kHeadingBase ? kSelHeading : kSelChapter;
      o.selectivity += kSelSubheading * static_cast<double>(place.subheadings.size());
      o.dense_slots = std::move(place.slots);
      o.keys = std::move(place.subheadings);
      consider(std::move(o));
    } else if (c->kind == K::kSymbolIn && c->negated && c->field == ir::Field::kMode) {
      uint8_t excluded = 0;
      for (const std::string& s : c->symbols) excluded |= static_cast<uint8_t>(1u << *ModeId(s));
      rp->mode_mask &= static_cast<uint8_t>(~excluded);
    } else if (c->kind == K::kSymbolIn && !c->negated) {
      IndexOption o;
      double each = 1.0;
      switch (c->field) {
        case ir::Field::kOrigin: o.dim = kDimOrigin; each = kSelCountry; break;
        case ir::Field::kTradeCountry: o.dim = kDimTradeCountry; each = kSelCountry; break;
        case ir::Field::kMode: o.dim = kDimMode; each = kSelMode; break;
        case ir::Field::kPort: o.dim = kDimPort; each = kSelPort; break;
        default: continue;
      }
      for (const std::string& s : c->symbols) {
        switch (o.dim) {
          case kDimOrigin:
          case kDimTradeCountry: o.keys.push_back(PackCountry(s)); break;
          case kDimMode: o.keys.push_back(*ModeId(s)); break;
          default: o.keys.push_back(plan.port_ids.find(s)->second); break;
        }
      }
      std::sort(o.keys.begin(), o.keys.end());
      o.keys.erase(std::unique(o.keys.begin(), o.keys.end()), o.keys.end());
      if (o.dim == kDimMode) {
        uint8_t allowed = 0;
        for (uint32_t m : o.keys) allowed |= static_cast<uint8_t>(1u << m);
        rp->mode_mask &= allowed;
      }
      o.selectivity = each * static_cast<double>(o.keys.size());
      consider(std::move(o));
    } else if (c->kind == K::kFlagHas) {
      IndexOption o;
      o.dim = kDimFlag;
      o.keys.push_back(plan.flag_ids.find(c->flag)->second);
      o.selectivity = kSelFlag;
      consider(std::move(o));
    } else if (c->kind == K::kCompareBool) {
      const bool wanted = c->boolean == (c->op == ir::CompareOp::kEq);
      rp->two_step_mask &= wanted ? 0b10 : 0b01;
      IndexOption o;
      o.dim = kDimTwoStep;
      o.keys.push_back(wanted ? 1 : 0);
      o.selectivity = wanted ? kSelTwoStepTrue : 1 - kSelTwoStepTrue;
      consider(std::move(o));
    } else if (c->kind == K::kCompareDate) {
      const int64_t day = c->day;
      switch (c->op) {
        case ir::CompareOp::kEq: date_lo = std::max(date_lo, day); date_hi = std::min(date_hi, day); break;
        case ir::CompareOp::kLt: date_hi = std::min(date_hi, day - 1); break;
        case ir::CompareOp::kLe: date_hi = std::min(date_hi, day); break;
        case ir::CompareOp::kGt: date_lo = std::max(date_lo, day + 1); break;
        case ir::CompareOp::kGe: date_lo = std::max(date_lo, day); break;
        case ir::CompareOp::kNe: break;
      }
    }
  }
  rp->date_lo = static_cast<int32_t>(std::max<int64_t>(date_lo, std::numeric_limits<int32_t>::min()));
  rp->date_hi = static_cast<int32_t>(std::min<int64_t>(date_hi, std::numeric_limits<int32_t>::max()));
  if (date_lo > date_hi) {
    // The window and the date comparisons exclude every date: the rule never matches, so
    // listing it nowhere is exact.
    IndexOption never;
    never.dim = kDimDate;
    never.selectivity = 0;
    consider(std::move(never));
  } else if (date_hi - date_lo <= kMaxDateSpan) {
    IndexOption o;
    o.dim = kDimDate;
    for (int64_t b = DateBucket(static_cast<int32_t>(date_lo));
         b <= DateBucket(static_cast<int32_t>(date_hi)); ++b)
      o.keys.push_back(static_cast<uint32_t>(b));
    o.selectivity = static_cast<double>(date_hi - date_lo + 1) / 365.0;
    consider(std::move(o));
  }
  return best;
}

GradeRate RateUnder(const ir::Action& a, const ir::Grade& g) {
  GradeRate r;
  if (a.fixed) {
    r.effective = a.rate;
  } else {
    const __int128 product = static_cast<__int128>(a.rate) * g.factor + 500000;
    r.effective = static_cast<int64_t>(product / 1000000);
  }
  int64_t final = r.effective;
  if (g.floor) final = std::max(final, *g.floor);
  if (g.ceiling) final = std::min(final, *g.ceiling);
  final = std::clamp<int64_t>(final, 0, ir::kMillion);
  r.final = final;
  r.select = ThresholdFor(final);
  return r;
}

}  // namespace

Threshold ThresholdFor(int64_t ppm) {
  if (ppm >= ir::kMillion) return {0, true};
  if (ppm <= 0) return {0, false};
  const unsigned __int128 scaled = static_cast<unsigned __int128>(ppm) << 64;
  return {static_cast<uint64_t>(scaled / 1000000u), false};
}

const char* FieldText(ir::Field f) {
  static constexpr const char* kNames[ir::kFieldCount] = {
      "direction", "hs",    "origin", "trade_country",        "port",
      "mode",      "value", "weight", "two_step",             "date",
      "grade",     "enterprise.flags", "enterprise.age_days", "enterprise.inspections",
      "enterprise.hits",   "enterprise.hit_rate"};
  const int i = static_cast<int>(f);
  return i >= 0 && i < ir::kFieldCount ? kNames[i] : "?";
}

absl::Status BuildPlan(const ir::Ruleset& rs, const std::array<bool, ir::kFieldCount>& reads,
                       Plan* plan) {
  // Grades.
  if (rs.grades.empty()) return absl::InvalidArgumentError("ruleset declares no grade");
  if (rs.unknown_grade >= rs.grades.size())
    return absl::InvalidArgumentError("unknown-enterprise grade index out of range");
  plan->grade_count = static_cast<uint32_t>(rs.grades.size());
  plan->grade_masks_used = plan->grade_count <= 64;
  for (uint32_t i = 0; i < rs.grades.size(); ++i) {
    const ir::Grade& g = rs.grades[i];
    if (!plan->grade_ids.try_emplace(g.name, i).second)
      return absl::InvalidArgumentError(Cat("grade ", g.name, " declared twice"));
    if (g.factor < 0)
      return absl::InvalidArgumentError(Cat("grade ", g.name, ": negative factor"));
    for (const auto& bound : {g.floor, g.ceiling})
      if (bound && (*bound < 0 || *bound > ir::kMillion))
        return absl::InvalidArgumentError(
            Cat("grade ", g.name, ": floor/ceiling outside [0, 100%]"));
    if (g.floor && g.ceiling && *g.floor > *g.ceiling)
      return absl::InvalidArgumentError(Cat("grade ", g.name, ": floor above ceiling"));
  }

  // Baseline.
  if (rs.baseline.hold) return absl::InvalidArgumentError("the baseline cannot hold");
  if (absl::Status s = CheckAction(rs.baseline, "baseline"); !s.ok()) return s;
  for (const ir::Grade& g : rs.grades) plan->baseline_rates.push_back(RateUnder(rs.baseline, g));
  plan->baseline_port = ThresholdFor(rs.baseline.port_share);
  plan->baseline_nii = ThresholdFor(rs.baseline.nii_share);

  // Rules.
  Lowerer lowerer(plan);
  absl::flat_hash_map<std::string_view, int> names;
  std::vector<std::vector<uint32_t>> lists(3 * Plan::kSlots);
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> sparse;
  plan->rules.reserve(rs.rules.size());
  plan->rates.reserve(rs.rules.size() * rs.grades.size());
  for (uint32_t ri = 0; ri < rs.rules.size(); ++ri) {
    const ir::Rule& rule = rs.rules[ri];
    if (!names.try_emplace(rule.name, 0).second)
      return absl::InvalidArgumentError(Cat("rule ", rule.name, " declared twice"));
    if (absl::Status s = CheckAction(rule.then, Cat("rule ", rule.name)); !s.ok())
      return s;
    if (rule.valid_from.has_value() != rule.valid_to.has_value())
      return absl::InvalidArgumentError(
          Cat("rule ", rule.name, ": valid window needs both ends"));
    RulePlan rp;
    auto root = lowerer.Lower(rule.when, rule.name, 0);
    if (!root.ok()) return root.status();
    rp.root = *root;
    if (rule.valid_from) {
      rp.valid_from = *rule.valid_from;
      rp.valid_to = *rule.valid_to;
    }
    rp.hold = rule.then.hold;
    rp.port = ThresholdFor(rule.then.port_share);
    rp.nii = ThresholdFor(rule.then.nii_share);
    for (const ir::Grade& g : rs.grades) plan->rates.push_back(RateUnder(rule.then, g));

    // Prefilters and index placement from the top-level conjunction.
    std::vector<const ir::Condition*> conjuncts;
    Conjuncts(rule.when, &conjuncts);
    IndexOption best = ChooseIndex(conjuncts, rule, *plan, &rp);
    for (uint32_t d = 0; d < 3; ++d) {
      if (!(best.directions & (1u << d))) continue;
      if (best.catch_all) {
        lists[d * Plan::kSlots].push_back(ri);
        continue;
      }
      for (uint32_t slot : best.dense_slots) lists[d * Plan::kSlots + slot].push_back(ri);
      for (uint32_t key : best.keys) {
        auto& list = sparse[SparseKey(best.dim, d, key)];
        if (list.empty() || list.back() != ri) list.push_back(ri);
      }
    }
    plan->rules.push_back(rp);
  }

  // Flatten the index.
  plan->bucket_offsets.reserve(lists.size() + 1);
  plan->bucket_offsets.push_back(0);
  for (const auto& list : lists) {
    plan->bucket_rules.insert(plan->bucket_rules.end(), list.begin(), list.end());
    plan->bucket_offsets.push_back(static_cast<uint32_t>(plan->bucket_rules.size()));
  }
  for (const auto& [key, list] : sparse) {
    const uint32_t begin = static_cast<uint32_t>(plan->bucket_rules.size());
    plan->bucket_rules.insert(plan->bucket_rules.end(), list.begin(), list.end());
    plan->sparse_lists[key] = {begin, static_cast<uint32_t>(plan->bucket_rules.size())};
    plan->sparse_dims |= 1u << (key >> 40);
  }

  // Inputs.
  const std::pair<ir::Field, uint32_t> kPresence[] = {
      {ir::Field::kOrigin, kHasOrigin}, {ir::Field::kTradeCountry, kHasTradeCountry},
      {ir::Field::kPort, kHasPort},     {ir::Field::kMode, kHasMode},
      {ir::Field::kValue, kHasValue},   {ir::Field::kWeight, kHasWeight},
      {ir::Field::kTwoStep, kHasTwoStep}};
  for (const auto& [field, bit] : kPresence)
    if (reads[static_cast<int>(field)]) plan->required_present |= bit;
  plan->reads_port = reads[static_cast<int>(ir::Field::kPort)];
  plan->reads_hit_rate = reads[static_cast<int>(ir::Field::kHitRate)];
  return absl::OkStatus();
}

uint64_t Draw(const SelectionKey& key, std::string_view tag, std::string_view id) {
  unsigned char out[crypto_shorthash_BYTES];
  char stack[256];
  const size_t n = tag.size() + id.size();
  std::string heap;
  char* msg = stack;
  if (n > sizeof(stack)) {
    heap.resize(n);
    msg = heap.data();
  }
  std::memcpy(msg, tag.data(), tag.size());
  if (!id.empty()) std::memcpy(msg + tag.size(), id.data(), id.size());
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(msg), n, key.bytes().data());
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | out[i];
  return u;
}

namespace {

bool CompareNumber(__int128 a, ir::CompareOp op, __int128 b) {
  switch (op) {
    case ir::CompareOp::kEq: return a == b;
    case ir::CompareOp::kNe: return a != b;
    case ir::CompareOp::kLt: return a < b;
    case ir::CompareOp::kLe: return a <= b;
    case ir::CompareOp::kGt: return a > b;
    case ir::CompareOp::kGe: return a >= b;
  }
  return false;
}

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

__int128 TwiceScaled(uint64_t v) {
  return static_cast<__int128>(v) * ir::Decimal::kScale * 2;
}

absl::Status MissingField(ir::Field f) {
  return absl::InvalidArgumentError(Cat("missing field ", FieldText(f),
                                                 " (the ruleset reads it)"));
}

}  // namespace

absl::Status DecideWithPlan(const CompiledRuleset& compiled, const SelectionKey& key,
                            const Declaration& d, const Profile* profile, Decision* out,
                            size_t* candidates) {
  const Plan& p = compiled.plan();
  const ir::Ruleset& rs = compiled.ir();

  // Input checks (SPEC §2.1, §3, §6).
  if (d.id.empty()) return absl::InvalidArgumentError("id is empty");
  const size_t hs_digits = d.hs.size();
  if (hs_digits < 6 || hs_digits > 10)
    return absl::InvalidArgumentError(Cat("hs \"", d.hs, "\" must have 6 to 10 digits"));
  Facts f;
  f.hs_digits = static_cast<int>(hs_digits);
  int64_t prefix = 0;
  for (size_t k = 0; k < hs_digits; ++k) {
    const char c = d.hs[k];
    if (!IsDigit(c))
      return absl::InvalidArgumentError(Cat("hs \"", d.hs, "\" is not digits"));
    prefix = prefix * 10 + (c - '0');
    f.hs_prefix[k + 1] = prefix;
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

  // Grade (SPEC §2.1).
  uint32_t grade = rs.unknown_grade;
  if (profile != nullptr) {
    bool found = false;
    if (p.grade_count <= 8) {
      for (uint32_t g = 0; g < p.grade_count; ++g) {
        if (rs.grades[g].name == profile->grade) {
          grade = g;
          found = true;
          break;
        }
      }
    } else if (auto it = p.grade_ids.find(ToAbsl(profile->grade)); it != p.grade_ids.end()) {
      grade = it->second;
      found = true;
    }
    if (!found)
      return absl::InvalidArgumentError(Cat("grade \"", profile->grade,
                                                     "\" is not declared by ruleset ",
                                                     compiled.Id()));
  }

  // Facts.
  f.symbol[kSymDirection] = direction;
  f.symbol[kSymMode] = static_cast<uint32_t>(d.mode);
  f.symbol[kSymOrigin] = PackCountry(d.origin);
  f.symbol[kSymTradeCountry] = PackCountry(d.trade_country);
  f.symbol[kSymPort] = kNoSymbol;
  if (p.reads_port) {
    if (auto it = p.port_ids.find(ToAbsl(d.port)); it != p.port_ids.end()) f.symbol[kSymPort] = it->second;
  }
  f.symbol[kSymGrade] = grade;
  f.number[kNumValue] = d.value.twice_scaled;
  f.number[kNumWeight] = d.weight.twice_scaled;
  f.date = d.date;
  f.two_step = d.two_step;
  if (profile != nullptr) {
    f.number[kNumAgeDays] =
        static_cast<__int128>(static_cast<int64_t>(d.date) - profile->registered) *
        ir::Decimal::kScale * 2;
    f.number[kNumInspections] = TwiceScaled(profile->inspections);
    f.number[kNumHits] = TwiceScaled(profile->hits);
    if (p.reads_hit_rate && profile->inspections != 0) {
      // hits / inspections as an ExactDecimal: 2 * floor(hits * 10^18 / n), plus one when the
      // division leaves a remainder (plan.h, declaration.h).
      const unsigned __int128 numerator =
          static_cast<unsigned __int128>(profile->hits) * ir::Decimal::kScale;
      const unsigned __int128 q = numerator / profile->inspections;
      const bool inexact = numerator % profile->inspections != 0;
      f.number[kNumHitRate] = static_cast<__int128>(q) * 2 + (inexact ? 1 : 0);
    }
    f.flags = &profile->flags;
  }

  // Candidates: merge the catch-all, chapter and heading lists of this direction.
  // Candidates: the lists of this declaration's keys (see plan.h), merged in rule order.
  struct Range {
    const uint32_t* next;
    const uint32_t* end;
  };
  absl::InlinedVector<Range, 16> lists;
  const uint32_t* data = p.bucket_rules.data();
  {
    const uint32_t base = direction * Plan::kSlots;
    const uint32_t dense[3] = {base,
                               base + Plan::kChapterBase + static_cast<uint32_t>(f.hs_prefix[2]),
                               base + Plan::kHeadingBase + static_cast<uint32_t>(f.hs_prefix[4])};
    for (uint32_t slot : dense) {
      const uint32_t b = p.bucket_offsets[slot], e = p.bucket_offsets[slot + 1];
      if (b != e) lists.push_back({data + b, data + e});
    }
    auto probe = [&](IndexDim dim, uint32_t value) {
      if (!(p.sparse_dims & (1u << dim))) return;
      auto it = p.sparse_lists.find(SparseKey(dim, direction, value));
      if (it != p.sparse_lists.end())
        lists.push_back({data + it->second.first, data + it->second.second});
    };
    if (p.sparse_dims != 0) {
      probe(kDimSubheading, static_cast<uint32_t>(f.hs_prefix[6]));
      probe(kDimOrigin, f.symbol[kSymOrigin]);
      probe(kDimTradeCountry, f.symbol[kSymTradeCountry]);
      probe(kDimMode, f.symbol[kSymMode]);
      if (f.symbol[kSymPort] != kNoSymbol) probe(kDimPort, f.symbol[kSymPort]);
      probe(kDimTwoStep, f.two_step ? 1 : 0);
      probe(kDimGrade, grade);
      probe(kDimDate, DateBucket(d.date));
      if (profile != nullptr && (p.sparse_dims & (1u << kDimFlag))) {
        for (const std::string& flag : profile->flags) {
          auto it = p.flag_ids.find(ToAbsl(flag));
          if (it != p.flag_ids.end()) probe(kDimFlag, it->second);
        }
      }
    }
  }
  if (candidates != nullptr) *candidates = 0;

  out->id.assign(d.id);
  out->matched.clear();
  out->grade = grade;
  const uint64_t grade_bit = p.grade_masks_used ? uint64_t{1} << grade : 0;
  // A rule with a mode or two_step quick reject reads that field, so the declaration has it.
  const uint8_t mode_bit = static_cast<uint8_t>(1u << (static_cast<uint32_t>(d.mode) & 7));
  const uint8_t two_step_bit = d.two_step ? 0b10 : 0b01;
  int32_t first_hold = -1;
  int32_t best = Decision::kBaseline;
  int64_t best_effective = 0;
  const GradeRate* rates = p.rates.data() + grade;
  while (true) {
    if (lists.empty()) break;
    uint32_t r = std::numeric_limits<uint32_t>::max();
    for (const Range& list : lists) r = std::min(r, *list.next);
    for (size_t i = 0; i < lists.size();) {
      if (*lists[i].next == r && ++lists[i].next == lists[i].end) {
        lists[i] = lists.back();  // exhausted: drop it
        lists.pop_back();
      } else {
        ++i;
      }
    }
    if (candidates != nullptr) ++*candidates;

    const RulePlan& rule = p.rules[r];
    if (d.date < rule.valid_from || d.date > rule.valid_to) continue;
    if (d.date < rule.date_lo || d.date > rule.date_hi) continue;
    if (!(rule.mode_mask & mode_bit) || !(rule.two_step_mask & two_step_bit)) continue;
    if (grade_bit != 0 && !(rule.grade_mask & grade_bit)) continue;
    if (!Eval(p, rule.root, f)) continue;
    out->matched.push_back(r);
    if (rule.hold) {
      if (first_hold < 0) first_hold = static_cast<int32_t>(r);
      continue;
    }
    const int64_t effective = rates[static_cast<size_t>(r) * p.grade_count].effective;
    if (best == Decision::kBaseline || effective > best_effective) {
      best = static_cast<int32_t>(r);
      best_effective = effective;
    }
  }

  out->select_draw.reset();
  out->site_draw.reset();
  out->method_draw.reset();
  if (first_hold >= 0) {
    out->outcome = Outcome::kHold;
    out->rule = first_hold;
    out->rate_ppm = ir::kMillion;
    out->site = ir::Site::kPort;
    out->method = ir::Method::kManual;
    return absl::OkStatus();
  }
  const GradeRate& baseline = p.baseline_rates[grade];
  const GradeRate* winner_rate = &baseline;
  const Threshold* port = &p.baseline_port;
  const Threshold* nii = &p.baseline_nii;
  if (best != Decision::kBaseline && best_effective >= baseline.effective) {
    winner_rate = &rates[static_cast<size_t>(best) * p.grade_count];
    port = &p.rules[best].port;
    nii = &p.rules[best].nii;
  } else {
    best = Decision::kBaseline;
  }
  out->rule = best;
  out->rate_ppm = winner_rate->final;
  const uint64_t select = Draw(key, "select:", d.id);
  out->select_draw = select;
  if (!winner_rate->select.Passes(select)) {
    out->outcome = Outcome::kRelease;
    out->site.reset();
    out->method.reset();
    return absl::OkStatus();
  }
  out->outcome = Outcome::kInspect;
  const uint64_t site = Draw(key, "site:", d.id);
  const uint64_t method = Draw(key, "method:", d.id);
  out->site_draw = site;
  out->method_draw = method;
  out->site = port->Passes(site) ? ir::Site::kPort : ir::Site::kDestination;
  out->method = nii->Passes(method) ? ir::Method::kNii : ir::Method::kManual;
  return absl::OkStatus();
}

}  // namespace bukong::engine_internal
