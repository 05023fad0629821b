// Lowering a checked IR into the evaluation plan, validating it on the way (plan.h).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "core/strings.h"
#include "core/declaration.h"
#include "engine/internal/plan.h"

namespace bukong::engine::internal {

std::optional<uint32_t> DirectionId(std::string_view s) {
  const int i = IndexOfName(kDirectionNames, s);
  return i < 0 ? std::nullopt : std::optional<uint32_t>(i);
}

std::optional<uint32_t> ModeId(std::string_view s) {
  const int i = IndexOfName(kModeNames, s);
  return i < 0 ? std::nullopt : std::optional<uint32_t>(i);
}

namespace {

constexpr int kMaxDepth = 1000;  // deeper IR is rejected (evaluation recurses)

bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }

// Lowers IR conditions into plan nodes.
class Lowerer {
 public:
  explicit Lowerer(Plan* plan) : plan_(plan) {}

  absl::StatusOr<uint32_t> Lower(const ir::Condition& c, std::string_view rule, int depth) {
    if (depth > kMaxDepth) return Error(rule, Cat("condition nested deeper than ", kMaxDepth));
    Node n;
    using K = ir::Condition::Kind;
    switch (c.kind) {
      case K::kTrue:
        n.kind = NodeKind::kTrue;
        break;
      case K::kAnd:
      case K::kOr:
      case K::kNot: {
        n.kind = c.kind == K::kAnd  ? NodeKind::kAnd
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
        // selective tests first (an HS list the index did not decide exactly is likely true).
        std::stable_sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
          return Cost(plan_->nodes[a]) < Cost(plan_->nodes[b]);
        });
        n.begin = static_cast<uint32_t>(plan_->children.size());
        plan_->children.insert(plan_->children.end(), ids.begin(), ids.end());
        n.end = static_cast<uint32_t>(plan_->children.size());
        break;
      }
      case K::kCompareNumber: {
        if (c.field == ir::Field::kUnitValue) {  // SPEC §7.2
          n.kind = NodeKind::kUnitValue;
          n.op = c.op;
          n.number = c.number.scaled;  // once scaled: compared with value / weight by products
          break;
        }
        auto slot = NumberSlotOf(c.field);
        if (!slot) return Error(rule, Cat(ir::FieldName(c.field), " is not a number"));
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
        if (!slot) return Error(rule, Cat(ir::FieldName(c.field), " takes no symbols"));
        n.kind = NodeKind::kSymbol;
        n.slot = *slot;
        n.negated = c.negated;
        std::vector<uint32_t> ids;
        for (const std::string& s : c.symbols) {
          auto id = SymbolId(*slot, s);
          if (!id) return Error(rule, Cat("\"", s, "\" is not a valid ", ir::FieldName(c.field)));
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
          if (absl::Status s = CheckRange(r); !s.ok())
            return Error(rule, std::string_view(s.message().data(), s.message().size()));
          plan_->intervals.push_back(
              {DigitsValue(r.low), DigitsValue(r.high), static_cast<uint8_t>(r.low.size())});
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
      case K::kListIn:
        // Country, port and hs lists were turned into symbol sets and HS intervals when the
        // ruleset was compiled with its bound lists (engine.cc); enterprise lists stay.
        if (c.field != ir::Field::kEnterprise || c.list >= plan_->enterprise_lists.size())
          return Error(rule, "list lookup on an unbound list or a field other than enterprise");
        n.kind = NodeKind::kEnterpriseList;
        n.negated = c.negated;
        n.begin = c.list;
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
      case NodeKind::kUnitValue:
        return 2;
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
      case kSymDirection:
        return DirectionId(s);
      case kSymMode:
        return ModeId(s);
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
      default:
        return std::nullopt;
    }
  }

  static absl::Status CheckRange(const ir::HsRange& r) {
    const size_t k = r.low.size();
    if (k < 2 || k > 10 || k % 2 != 0 || r.high.size() != k)
      return absl::InvalidArgumentError(
          Cat("HS range ", r.low, "..", r.high, ": ends must both have 2, 4, 6, 8 or 10 digits"));
    for (char ch : r.low + r.high)
      if (!IsDigit(ch)) return absl::InvalidArgumentError(Cat("HS code ", r.low, " is not digits"));
    if (r.low > r.high)
      return absl::InvalidArgumentError(Cat("HS range ", r.low, "..", r.high, " is empty"));
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
    return absl::InvalidArgumentError(Cat(who, ": rate and shares must lie in [0, 1000000] ppm"));
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildPlan(const ir::Ruleset& rs, const ir::FieldSet& reads,
                       Plan* plan) {
  // Grades.
  if (rs.grades.empty()) return absl::InvalidArgumentError("ruleset declares no grade");
  if (rs.unknown_grade >= rs.grades.size())
    return absl::InvalidArgumentError("unknown-enterprise grade index out of range");
  plan->grade_count = static_cast<uint32_t>(rs.grades.size());
  for (uint32_t i = 0; i < rs.grades.size(); ++i) {
    const ir::Grade& g = rs.grades[i];
    if (!plan->grade_ids.try_emplace(g.name, i).second)
      return absl::InvalidArgumentError(Cat("grade ", g.name, " declared twice"));
    if (g.factor < 0) return absl::InvalidArgumentError(Cat("grade ", g.name, ": negative factor"));
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

  // The random compliance sample (SPEC §7.3): T(rate * factor) per grade, never bounded.
  if (rs.sample) {
    if (rs.sample->hold || rs.sample->fixed)
      return absl::InvalidArgumentError("the sample can neither hold nor be fixed");
    if (absl::Status s = CheckAction(*rs.sample, "sample"); !s.ok()) return s;
    plan->has_sample = true;
    for (const ir::Grade& g : rs.grades)
      plan->sample_select.push_back(ThresholdFor(RateUnder(*rs.sample, g).effective));
    plan->sample_port = ThresholdFor(rs.sample->port_share);
    plan->sample_nii = ThresholdFor(rs.sample->nii_share);
  }

  // Rules.
  Lowerer lowerer(plan);
  absl::flat_hash_map<std::string_view, int> names;
  plan->rules.reserve(rs.rules.size());
  plan->rates.reserve(rs.rules.size() * rs.grades.size());
  for (uint32_t ri = 0; ri < rs.rules.size(); ++ri) {
    const ir::Rule& rule = rs.rules[ri];
    if (!names.try_emplace(rule.name, 0).second)
      return absl::InvalidArgumentError(Cat("rule ", rule.name, " declared twice"));
    if (absl::Status s = CheckAction(rule.then, Cat("rule ", rule.name)); !s.ok()) return s;
    if (rule.valid_from.has_value() != rule.valid_to.has_value())
      return absl::InvalidArgumentError(Cat("rule ", rule.name, ": valid window needs both ends"));
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

    plan->rules.push_back(rp);
    plan->roots.push_back(rp.root);
  }

  // The candidate index; conjuncts it decides exactly need no evaluation: re-lower each
  // rule's condition without them.
  std::vector<std::optional<ir::Condition>> residual = BuildCandidateIndex(rs, *plan, &plan->index);
  for (uint32_t ri = 0; ri < rs.rules.size(); ++ri) {
    if (!residual[ri]) continue;
    auto root = lowerer.Lower(*residual[ri], rs.rules[ri].name, 0);
    if (!root.ok()) return root.status();
    plan->rules[ri].root = plan->roots[ri] = *root;
  }

  // Inputs.
  const std::pair<ir::Field, uint32_t> kPresence[] = {
      {ir::Field::kOrigin, kHasOrigin},  {ir::Field::kTradeCountry, kHasTradeCountry},
      {ir::Field::kPort, kHasPort},      {ir::Field::kMode, kHasMode},
      {ir::Field::kValue, kHasValue},    {ir::Field::kWeight, kHasWeight},
      {ir::Field::kTwoStep, kHasTwoStep}};
  for (const auto& [field, bit] : kPresence)
    if (reads[static_cast<int>(field)]) plan->required_present |= bit;
  plan->reads_port = reads[static_cast<int>(ir::Field::kPort)];
  plan->reads_hit_rate = reads[static_cast<int>(ir::Field::kHitRate)];
  return absl::OkStatus();
}

}  // namespace bukong::engine::internal
