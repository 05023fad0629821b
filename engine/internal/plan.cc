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
          if (!id) return Error(rule, Cat("\"", s, "\" is not a valid ",
                                                   ir::FieldName(c.field)));
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

// ----- The candidate index (see plan.h) ---------------------------------------------------

constexpr size_t kMaxBounds = 63;        // boundaries per date/number dimension (127 buckets)
constexpr size_t kMaxHsNodes = 16384;    // HS dimension buckets; beyond, long codes are cut
constexpr size_t kMaxHsIndexBytes = size_t{64} << 20;  // and at most this much memory
constexpr int64_t kMaxCodeSpan = 32;     // a wider HS range is indexed by its shorter prefixes
constexpr size_t kMaxIndexedFlags = 64;

// What one rule's top-level conjunction (and valid window) allows, dimension by dimension.
// nullopt / all-ones = unconstrained.
struct RuleDomain {
  uint32_t directions = 0b111;
  // The first top-level `hs in` list (nullptr: none), which the HS dimension indexes. Points
  // into the IR being built; used only during BuildPlan. hs_exact is set by AddHsDimension
  // (before ExactlyIndexed reads it): whether the index decides that list exactly (no range
  // cut to shorter prefixes).
  const ir::Condition* hs = nullptr;
  bool hs_exact = false;
  uint32_t modes = 0b11111;
  uint32_t two_step = 0b11;
  std::optional<std::vector<bool>> grades;
  // Per symbol slot (origin, trade country, port): `in` sets intersect, `not in` sets unite.
  std::optional<std::vector<uint32_t>> symbol_in[kSymbolSlots];
  std::vector<uint32_t> symbol_out[kSymbolSlots];
  // Dates: closed interval; numbers: (op, twice-scaled literal) constraints.
  int64_t date_lo = std::numeric_limits<int64_t>::min();
  int64_t date_hi = std::numeric_limits<int64_t>::max();
  std::vector<std::pair<ir::CompareOp, __int128>> numbers[kNumberSlots];
  std::vector<uint32_t> flags;  // flag ids
};

std::vector<uint32_t> Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

RuleDomain DomainOf(const ir::Rule& rule, const std::vector<const ir::Condition*>& conjuncts,
                    const Plan& plan, uint32_t grades) {
  using K = ir::Condition::Kind;
  RuleDomain dom;
  if (rule.valid_from) {
    dom.date_lo = *rule.valid_from;
    dom.date_hi = *rule.valid_to;
  }
  for (const ir::Condition* c : conjuncts) {
    switch (c->kind) {
      case K::kSymbolIn: {
        std::vector<uint32_t> ids;
        for (const std::string& s : c->symbols) {
          switch (c->field) {
            case ir::Field::kDirection: ids.push_back(*DirectionId(s)); break;
            case ir::Field::kMode: ids.push_back(*ModeId(s)); break;
            case ir::Field::kGrade: ids.push_back(plan.grade_ids.find(s)->second); break;
            case ir::Field::kPort: ids.push_back(plan.port_ids.find(s)->second); break;
            default: ids.push_back(PackCountry(s)); break;
          }
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        if (c->field == ir::Field::kDirection || c->field == ir::Field::kMode) {
          uint32_t mask = 0;
          for (uint32_t id : ids) mask |= 1u << id;
          uint32_t& allowed = c->field == ir::Field::kDirection ? dom.directions : dom.modes;
          allowed &= c->negated ? ~mask : mask;
        } else if (c->field == ir::Field::kGrade) {
          if (!dom.grades) dom.grades = std::vector<bool>(grades, true);
          for (uint32_t g = 0; g < grades; ++g) {
            const bool listed = std::binary_search(ids.begin(), ids.end(), g);
            if (listed == c->negated) (*dom.grades)[g] = false;
          }
        } else {
          const int slot = *SymbolSlotOf(c->field);
          if (c->negated) {
            dom.symbol_out[slot].insert(dom.symbol_out[slot].end(), ids.begin(), ids.end());
          } else {
            dom.symbol_in[slot] = dom.symbol_in[slot] ? Intersect(*dom.symbol_in[slot], ids) : ids;
          }
        }
        break;
      }
      case K::kHsIn:
        if (!c->negated && dom.hs == nullptr) dom.hs = c;
        break;
      case K::kCompareBool: {
        const bool wanted = c->boolean == (c->op == ir::CompareOp::kEq);
        dom.two_step &= wanted ? 0b10 : 0b01;
        break;
      }
      case K::kCompareDate: {
        const int64_t day = c->day;
        switch (c->op) {
          case ir::CompareOp::kEq: dom.date_lo = std::max(dom.date_lo, day); dom.date_hi = std::min(dom.date_hi, day); break;
          case ir::CompareOp::kLt: dom.date_hi = std::min(dom.date_hi, day - 1); break;
          case ir::CompareOp::kLe: dom.date_hi = std::min(dom.date_hi, day); break;
          case ir::CompareOp::kGt: dom.date_lo = std::max(dom.date_lo, day + 1); break;
          case ir::CompareOp::kGe: dom.date_lo = std::max(dom.date_lo, day); break;
          case ir::CompareOp::kNe: break;
        }
        break;
      }
      case K::kCompareNumber:
        dom.numbers[*NumberSlotOf(c->field)].emplace_back(c->op, c->number.scaled * 2);
        break;
      case K::kFlagHas:
        dom.flags.push_back(plan.flag_ids.find(c->flag)->second);
        break;
      default:
        break;
    }
  }
  return dom;
}

// Sorted distinct values, thinned evenly to at most kMaxBounds (thinning only makes buckets
// wider, so the index stays a superset).
std::vector<__int128> Bounds(std::vector<__int128> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.size() <= kMaxBounds) return values;
  std::vector<__int128> thin;
  for (size_t i = 0; i < kMaxBounds; ++i) thin.push_back(values[i * values.size() / kMaxBounds]);
  thin.erase(std::unique(thin.begin(), thin.end()), thin.end());
  return thin;
}

// The buckets [first, last] of `bounds` that values satisfying `op x` can fall in.
std::pair<int64_t, int64_t> BucketRange(const std::vector<__int128>& bounds, ir::CompareOp op,
                                        __int128 x) {
  const int64_t b = BoundsBucket(bounds, x);
  const bool point = b % 2 == 1;  // x is a boundary: its bucket holds x alone
  const int64_t last = 2 * static_cast<int64_t>(bounds.size());
  switch (op) {
    case ir::CompareOp::kEq: return {b, b};
    case ir::CompareOp::kNe: return {0, last};
    case ir::CompareOp::kLt: return {0, point ? b - 1 : b};
    case ir::CompareOp::kLe: return {0, b};
    case ir::CompareOp::kGt: return {point ? b + 1 : b, last};
    case ir::CompareOp::kGe: return {b, last};
  }
  return {0, last};
}

class IndexBuilder {
 public:
  // Chooses the bit order (see plan.h): rules sorted by the smallest chapter and heading
  // their HS list names (a chapter-wide rule before the headings of its chapter, a rule
  // without an HS list last), file order within a group.
  IndexBuilder(Plan* plan, const std::vector<RuleDomain>& domains)
      : plan_(plan), rules_(domains.size()), rule_bit_(domains.size()) {
    std::vector<std::pair<int64_t, int64_t>> cluster(rules_, {100, 0});
    for (size_t r = 0; r < rules_; ++r) {
      if (domains[r].hs == nullptr) continue;
      for (const ir::HsRange& range : domains[r].hs->hs_ranges)
        cluster[r] = std::min(cluster[r], std::pair{DigitsValue(range.low.substr(0, 2)),
                                                    range.low.size() >= 4 ? DigitsValue(range.low.substr(0, 4)) : 0});
    }
    plan_->bit_rule.resize(rules_);
    for (uint32_t r = 0; r < rules_; ++r) plan_->bit_rule[r] = r;
    std::stable_sort(plan_->bit_rule.begin(), plan_->bit_rule.end(),
                     [&](uint32_t a, uint32_t b) { return cluster[a] < cluster[b]; });
    for (uint32_t bit = 0; bit < rules_; ++bit) rule_bit_[plan_->bit_rule[bit]] = bit;

    plan_->index_words = static_cast<uint32_t>((rules_ + 63) / 64);
    plan_->summary_words = (plan_->index_words + 63) / 64;
    plan_->all_rules.assign(plan_->index_words, 0);
    for (size_t r = 0; r < rules_; ++r) plan_->all_rules[r / 64] |= uint64_t{1} << (r % 64);
    plan_->all_rules_summary = Summarize(plan_->all_rules, 1);
  }

  // The summaries of `rows` rows of index_words words.
  std::vector<uint64_t> Summarize(const std::vector<uint64_t>& bits, uint32_t rows) const {
    const uint32_t words = plan_->index_words;
    std::vector<uint64_t> summary(static_cast<size_t>(rows) * plan_->summary_words, 0);
    for (uint32_t row = 0; row < rows; ++row)
      for (uint32_t w = 0; w < words; ++w)
        if (bits[static_cast<size_t>(row) * words + w] != 0)
          summary[static_cast<size_t>(row) * plan_->summary_words + w / 64] |= uint64_t{1} << (w % 64);
    return summary;
  }

  void Build(std::vector<RuleDomain>& domains) {
    using Kind = IndexDimension::Kind;
    // Small enumerations.
    AddIf(domains, Kind::kDirection, 0, 3, [](const RuleDomain& d, uint32_t b) {
      return (d.directions >> b & 1) != 0;
    }, [](const RuleDomain& d) { return d.directions != 0b111; });
    AddIf(domains, Kind::kMode, 0, 5, [](const RuleDomain& d, uint32_t b) {
      return (d.modes >> b & 1) != 0;
    }, [](const RuleDomain& d) { return d.modes != 0b11111; });
    AddIf(domains, Kind::kTwoStep, 0, 2, [](const RuleDomain& d, uint32_t b) {
      return (d.two_step >> b & 1) != 0;
    }, [](const RuleDomain& d) { return d.two_step != 0b11; });
    AddIf(domains, Kind::kGrade, 0, plan_->grade_count, [](const RuleDomain& d, uint32_t b) {
      return !d.grades || (*d.grades)[b];
    }, [](const RuleDomain& d) { return d.grades.has_value(); });

    AddHsDimension(domains);

    // Symbols: origin, trade country, port. Bucket 0 is every symbol no rule names.
    for (int slot : {kSymOrigin, kSymTradeCountry, kSymPort}) {
      std::vector<uint32_t> named;
      for (const RuleDomain& d : domains) {
        if (d.symbol_in[slot]) named.insert(named.end(), d.symbol_in[slot]->begin(), d.symbol_in[slot]->end());
        named.insert(named.end(), d.symbol_out[slot].begin(), d.symbol_out[slot].end());
      }
      std::sort(named.begin(), named.end());
      named.erase(std::unique(named.begin(), named.end()), named.end());
      if (named.empty()) continue;
      IndexDimension dim;
      dim.kind = Kind::kSymbol;
      dim.slot = static_cast<uint8_t>(slot);
      for (size_t i = 0; i < named.size(); ++i) dim.symbol_buckets[named[i]] = static_cast<uint32_t>(i + 1);
      Fill(&dim, static_cast<uint32_t>(named.size() + 1), domains, [&](const RuleDomain& d, uint32_t b) {
        if (b == 0) return !d.symbol_in[slot].has_value();
        const uint32_t symbol = named[b - 1];
        if (d.symbol_in[slot] && !std::binary_search(d.symbol_in[slot]->begin(), d.symbol_in[slot]->end(), symbol))
          return false;
        return std::find(d.symbol_out[slot].begin(), d.symbol_out[slot].end(), symbol) == d.symbol_out[slot].end();
      });
      plan_->dimensions.push_back(std::move(dim));
    }

    // Dates.
    {
      std::vector<__int128> values;
      for (const RuleDomain& d : domains) {
        if (d.date_lo != std::numeric_limits<int64_t>::min()) values.push_back(d.date_lo);
        if (d.date_hi != std::numeric_limits<int64_t>::max()) values.push_back(d.date_hi);
      }
      if (!values.empty()) {
        IndexDimension dim;
        dim.kind = Kind::kDate;
        dim.bounds = Bounds(std::move(values));
        Fill(&dim, static_cast<uint32_t>(2 * dim.bounds.size() + 1), domains, [&](const RuleDomain& d, uint32_t b) {
          int64_t first = 0, last = 2 * static_cast<int64_t>(dim.bounds.size());
          if (d.date_lo > d.date_hi) return false;
          if (d.date_lo != std::numeric_limits<int64_t>::min())
            first = BucketRange(dim.bounds, ir::CompareOp::kGe, d.date_lo).first;
          if (d.date_hi != std::numeric_limits<int64_t>::max())
            last = BucketRange(dim.bounds, ir::CompareOp::kLe, d.date_hi).second;
          return first <= b && b <= last;
        });
        plan_->dimensions.push_back(std::move(dim));
      }
    }

    // Numbers.
    for (int slot = 0; slot < kNumberSlots; ++slot) {
      std::vector<__int128> values;
      for (const RuleDomain& d : domains)
        for (const auto& [op, x] : d.numbers[slot])
          if (op != ir::CompareOp::kNe) values.push_back(x);
      if (values.empty()) continue;
      IndexDimension dim;
      dim.kind = Kind::kNumber;
      dim.slot = static_cast<uint8_t>(slot);
      dim.bounds = Bounds(std::move(values));
      Fill(&dim, static_cast<uint32_t>(2 * dim.bounds.size() + 1), domains, [&](const RuleDomain& d, uint32_t b) {
        for (const auto& [op, x] : d.numbers[slot]) {
          const auto [first, last] = BucketRange(dim.bounds, op, x);
          if (b < first || b > last) return false;
        }
        return true;
      });
      plan_->dimensions.push_back(std::move(dim));
    }

    // Flags (the first 64 named by a top-level `has`).
    for (size_t r = 0; r < domains.size(); ++r) {
      for (uint32_t flag : domains[r].flags) {
        auto it = std::find(plan_->indexed_flags.begin(), plan_->indexed_flags.end(), flag);
        size_t row = static_cast<size_t>(it - plan_->indexed_flags.begin());
        if (it == plan_->indexed_flags.end()) {
          if (plan_->indexed_flags.size() == kMaxIndexedFlags) continue;
          plan_->indexed_flags.push_back(flag);
          plan_->flag_requires.resize(plan_->flag_requires.size() + plan_->index_words, 0);
        }
        const uint32_t bit = rule_bit_[r];
        plan_->flag_requires[row * plan_->index_words + bit / 64] |= uint64_t{1} << (bit % 64);
      }
    }

    // Most selective dimension first: a decision stops ANDing a word at the first zero.
    std::vector<std::pair<uint64_t, size_t>> density;  // (bits over all rows / rows, index)
    for (size_t i = 0; i < plan_->dimensions.size(); ++i) {
      const IndexDimension& dim = plan_->dimensions[i];
      uint64_t ones = 0;
      for (uint64_t word : dim.bits) ones += static_cast<uint64_t>(__builtin_popcountll(word));
      density.emplace_back(ones / std::max<uint32_t>(dim.buckets, 1), i);
    }
    std::stable_sort(density.begin(), density.end());
    std::vector<IndexDimension> sorted;
    for (const auto& [ones, i] : density) sorted.push_back(std::move(plan_->dimensions[i]));
    plan_->dimensions = std::move(sorted);
  }

 private:
  // The HS dimension, a trie of the codes rules list. Its buckets are the codes (prefixes of
  // 2 to 10 digits) named by some rule's HS list, plus bucket 0 for codes under none of them;
  // a declared code falls in the bucket of its longest named prefix. A rule is in the row of
  // code v when one of its ranges covers v's prefix of that range's length (then it covers
  // every code in v's bucket, exactly), so a row is its parent's row plus the rules naming v.
  // A range spanning kMaxCodeSpan or more codes is indexed by its shorter prefixes (a
  // superset), and so are codes longer than the dimension's length limit, which is lowered
  // until the named codes fit in kMaxHsNodes buckets of rows that take kMaxHsIndexBytes at
  // most (at 100,000 rules, about 5,000 buckets).
  void AddHsDimension(std::vector<RuleDomain>& domains) {
    if (std::none_of(domains.begin(), domains.end(), [](const RuleDomain& d) { return d.hs != nullptr; }))
      return;
    using Code = std::pair<int, int64_t>;  // (digits, value)
    std::vector<std::vector<Code>> named(rules_);
    std::vector<Code> all;
    int max_digits = 10;
    for (;; max_digits -= 2) {
      all.clear();
      for (size_t r = 0; r < rules_; ++r) {
        RuleDomain& d = domains[r];
        named[r].clear();
        if (d.hs == nullptr) continue;
        d.hs_exact = true;
        for (const ir::HsRange& range : d.hs->hs_ranges) {
          int digits = static_cast<int>(range.low.size());
          int64_t low = DigitsValue(range.low), high = DigitsValue(range.high);
          while (digits > max_digits || (digits > 2 && high - low >= kMaxCodeSpan)) {
            low /= 100;
            high /= 100;
            digits -= 2;
            d.hs_exact = false;
          }
          for (int64_t v = low; v <= high; ++v) named[r].emplace_back(digits, v);
        }
        all.insert(all.end(), named[r].begin(), named[r].end());
      }
      std::sort(all.begin(), all.end());  // shorter codes (parents) first
      all.erase(std::unique(all.begin(), all.end()), all.end());
      const size_t row_bytes = plan_->index_words * sizeof(uint64_t);
      if (all.size() < std::min(kMaxHsNodes, kMaxHsIndexBytes / row_bytes) || max_digits == 2)
        break;
    }
    IndexDimension dim;
    dim.kind = IndexDimension::Kind::kHs;
    dim.hs_max_digits = static_cast<uint8_t>(max_digits);
    dim.chapter_node.assign(100, 0);
    if (max_digits >= 4) dim.heading_node.assign(10'000, 0);
    auto node_of = [&](int digits, int64_t value) -> uint32_t {
      if (digits == 2) return dim.chapter_node[value];
      if (digits == 4) return dim.heading_node[value];
      auto it = dim.code_node[(digits - 6) / 2].find(value);
      return it == dim.code_node[(digits - 6) / 2].end() ? 0 : it->second;
    };
    for (size_t i = 0; i < all.size(); ++i) {
      const auto [digits, value] = all[i];
      const uint32_t node = static_cast<uint32_t>(i + 1);
      if (digits == 2) dim.chapter_node[value] = node;
      else if (digits == 4) dim.heading_node[value] = node;
      else dim.code_node[(digits - 6) / 2][value] = node;
    }
    const size_t words = plan_->index_words;
    dim.buckets = static_cast<uint32_t>(all.size() + 1);
    dim.bits.assign(static_cast<size_t>(dim.buckets) * words, 0);
    auto set = [&](uint32_t node, size_t r) {
      const uint32_t bit = rule_bit_[r];
      dim.bits[node * words + bit / 64] |= uint64_t{1} << (bit % 64);
    };
    for (size_t r = 0; r < rules_; ++r) {
      if (domains[r].hs == nullptr) set(0, r);
      for (const auto& [digits, value] : named[r]) set(node_of(digits, value), r);
    }
    for (size_t i = 0; i < all.size(); ++i) {  // parents before children
      const auto [digits, value] = all[i];
      uint32_t parent = 0;
      int64_t prefix = value;
      for (int k = digits - 2; k >= 2 && parent == 0; k -= 2) parent = node_of(k, prefix /= 100);
      uint64_t* row = dim.bits.data() + (i + 1) * words;
      const uint64_t* up = dim.bits.data() + static_cast<size_t>(parent) * words;
      for (size_t w = 0; w < words; ++w) row[w] |= up[w];
    }
    dim.summary = Summarize(dim.bits, dim.buckets);
    plan_->dimensions.push_back(std::move(dim));
  }

  template <typename Allows, typename Constrains>
  void AddIf(const std::vector<RuleDomain>& domains, IndexDimension::Kind kind, uint8_t slot,
             uint32_t buckets, Allows allows, Constrains constrains) {
    if (std::none_of(domains.begin(), domains.end(), constrains)) return;
    IndexDimension dim;
    dim.kind = kind;
    dim.slot = slot;
    Fill(&dim, buckets, domains, allows);
    plan_->dimensions.push_back(std::move(dim));
  }

  template <typename Allows>
  void Fill(IndexDimension* dim, uint32_t buckets, const std::vector<RuleDomain>& domains,
            Allows allows) {
    const size_t words = plan_->index_words;
    dim->buckets = buckets;
    dim->bits.assign(static_cast<size_t>(buckets) * words, 0);
    for (uint32_t b = 0; b < buckets; ++b)
      for (size_t r = 0; r < rules_; ++r)
        if (allows(domains[r], b)) {
          const uint32_t bit = rule_bit_[r];
          dim->bits[b * words + bit / 64] |= uint64_t{1} << (bit % 64);
        }
    dim->summary = Summarize(dim->bits, buckets);
  }

  Plan* plan_;
  size_t rules_;
  std::vector<uint32_t> rule_bit_;  // rule index -> bit position
};

const IndexDimension* FindDimension(const Plan& plan, IndexDimension::Kind kind, int slot = -1) {
  for (const IndexDimension& d : plan.dimensions)
    if (d.kind == kind && (slot < 0 || d.slot == slot)) return &d;
  return nullptr;
}

bool IsBound(const IndexDimension* dim, __int128 x) {
  return dim != nullptr && BoundsBucket(dim->bounds, x) % 2 == 1;
}

// True when the candidate index alone guarantees top-level conjunct `c` of a rule with domain
// `dom`: a rule offered by the index then satisfies `c`, and `c` need not be evaluated.
// Exact: enumerations, countries, ports, two_step, grades (a bucket per value); an indexed
// flag; a date or number comparison whose bound is a bucket boundary of its own (not lost
// to thinning; `!=` is never indexed); the HS list the HS dimension indexed, unless one of its
// ranges was cut to shorter prefixes (RuleDomain::hs_exact).
bool ExactlyIndexed(const ir::Condition& c, const RuleDomain& dom, const Plan& plan) {
  using K = ir::Condition::Kind;
  using D = IndexDimension::Kind;
  switch (c.kind) {
    case K::kTrue:
      return true;
    case K::kSymbolIn:
      switch (c.field) {
        case ir::Field::kDirection: return FindDimension(plan, D::kDirection) != nullptr;
        case ir::Field::kMode: return FindDimension(plan, D::kMode) != nullptr;
        case ir::Field::kGrade: return FindDimension(plan, D::kGrade) != nullptr;
        default: return FindDimension(plan, D::kSymbol, *SymbolSlotOf(c.field)) != nullptr;
      }
    case K::kCompareBool:
      return FindDimension(plan, D::kTwoStep) != nullptr;
    case K::kFlagHas: {
      const uint32_t id = plan.flag_ids.find(c.flag)->second;
      return std::find(plan.indexed_flags.begin(), plan.indexed_flags.end(), id) !=
             plan.indexed_flags.end();
    }
    case K::kCompareDate: {
      if (c.op == ir::CompareOp::kNe) return false;
      const IndexDimension* dim = FindDimension(plan, D::kDate);
      const bool lo_ok = dom.date_lo == std::numeric_limits<int64_t>::min() || IsBound(dim, dom.date_lo);
      const bool hi_ok = dom.date_hi == std::numeric_limits<int64_t>::max() || IsBound(dim, dom.date_hi);
      return dim != nullptr && lo_ok && hi_ok;
    }
    case K::kCompareNumber:
      return c.op != ir::CompareOp::kNe &&
             IsBound(FindDimension(plan, D::kNumber, *NumberSlotOf(c.field)), c.number.scaled * 2);
    case K::kHsIn:
      return &c == dom.hs && dom.hs_exact && FindDimension(plan, D::kHs) != nullptr;
    default:
      return false;
  }
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

absl::Status BuildPlan(const ir::Ruleset& rs, const std::array<bool, ir::kFieldCount>& reads,
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
  std::vector<RuleDomain> domains;
  domains.reserve(rs.rules.size());
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

    // The rule's domain for the candidate index, from its top-level conjunction.
    std::vector<const ir::Condition*> conjuncts;
    Conjuncts(rule.when, &conjuncts);
    domains.push_back(DomainOf(rule, conjuncts, *plan, plan->grade_count));
    plan->rules.push_back(rp);
    plan->roots.push_back(rp.root);
  }

  IndexBuilder(plan, domains).Build(domains);

  // Conjuncts the index enforces exactly need no evaluation: re-lower each rule's condition
  // without them (see ExactlyIndexed).
  for (uint32_t ri = 0; ri < rs.rules.size(); ++ri) {
    std::vector<const ir::Condition*> conjuncts;
    Conjuncts(rs.rules[ri].when, &conjuncts);
    ir::Condition rest;
    rest.kind = ir::Condition::Kind::kAnd;
    for (const ir::Condition* c : conjuncts)
      if (!ExactlyIndexed(*c, domains[ri], *plan)) rest.children.push_back(*c);
    if (rest.children.size() == conjuncts.size()) continue;  // nothing to drop
    if (rest.children.empty()) rest.kind = ir::Condition::Kind::kTrue;
    if (rest.children.size() == 1) rest = ir::Condition(rest.children[0]);
    auto root = lowerer.Lower(rest, rs.rules[ri].name, 0);
    if (!root.ok()) return root.status();
    plan->rules[ri].root = plan->roots[ri] = *root;
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

// The HS bucket of the declared code: its longest prefix some rule names (AddHsDimension).
uint32_t HsBucket(const IndexDimension& dim, const Facts& f) {
  for (int k = std::min<int>(f.hs_digits, dim.hs_max_digits) & ~1; k >= 6; k -= 2) {
    const auto& nodes = dim.code_node[(k - 6) / 2];
    if (nodes.empty()) continue;
    if (auto it = nodes.find(f.hs_prefix[k]); it != nodes.end()) return it->second;
  }
  if (!dim.heading_node.empty())
    if (const uint32_t node = dim.heading_node[f.hs_prefix[4]]; node != 0) return node;
  return dim.chapter_node[f.hs_prefix[2]];
}

__int128 TwiceScaled(uint64_t v) {
  return static_cast<__int128>(v) * ir::Decimal::kScale * 2;
}

absl::Status MissingField(ir::Field f) {
  return absl::InvalidArgumentError(Cat("missing field ", ir::FieldName(f),
                                                 " (the ruleset reads it)"));
}

}  // namespace

absl::Status DecideWithPlan(const CompiledRuleset& compiled, const SelectionKey& key,
                            const Declaration& d, const Profile* profile, Decision* out,
                            size_t* candidates) {
  const Plan& p = compiled.plan();
  const ir::Ruleset& rs = compiled.ir();

  // The profile is usually not in the cache (one of many enterprises): start loading it now
  // and read it only after the facts that come from the declaration alone.
  if (profile != nullptr) {
    __builtin_prefetch(profile);
    __builtin_prefetch(reinterpret_cast<const char*>(profile) + 64);
  }

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

  // Facts from the declaration.
  f.symbol[kSymDirection] = direction;
  f.symbol[kSymMode] = static_cast<uint32_t>(d.mode);
  f.symbol[kSymOrigin] = PackCountry(d.origin);
  f.symbol[kSymTradeCountry] = PackCountry(d.trade_country);
  f.symbol[kSymPort] = kNoSymbol;
  if (p.reads_port) {
    if (auto it = p.port_ids.find(ToAbsl(d.port)); it != p.port_ids.end()) f.symbol[kSymPort] = it->second;
  }
  f.number[kNumValue] = d.value.twice_scaled;
  f.number[kNumWeight] = d.weight.twice_scaled;
  f.date = d.date;
  f.two_step = d.two_step;

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

  f.symbol[kSymGrade] = grade;
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

  // Candidates (see plan.h): AND the rows of this declaration's buckets, then evaluate the
  // rules left, in bit order (rules grouped by HS code), restoring file order for the result.
  const size_t words = p.index_words;
  absl::InlinedVector<const uint64_t*, 24> rows;
  absl::InlinedVector<const uint64_t*, 24> summaries;
  absl::InlinedVector<const uint64_t*, 8> excluded;  // rules needing a flag the profile lacks
  for (const IndexDimension& dim : p.dimensions) {
    uint32_t bucket = 0;
    switch (dim.kind) {
      case IndexDimension::Kind::kDirection: bucket = direction; break;
      case IndexDimension::Kind::kHs: bucket = HsBucket(dim, f); break;
      case IndexDimension::Kind::kMode: bucket = f.symbol[kSymMode]; break;
      case IndexDimension::Kind::kTwoStep: bucket = f.two_step ? 1 : 0; break;
      case IndexDimension::Kind::kGrade: bucket = grade; break;
      case IndexDimension::Kind::kSymbol: {
        auto it = dim.symbol_buckets.find(f.symbol[dim.slot]);
        bucket = it == dim.symbol_buckets.end() ? 0 : it->second;
        break;
      }
      case IndexDimension::Kind::kDate: bucket = BoundsBucket(dim.bounds, d.date); break;
      case IndexDimension::Kind::kNumber: bucket = BoundsBucket(dim.bounds, f.number[dim.slot]); break;
    }
    if (bucket >= dim.buckets) bucket = 0;  // only for out-of-range enums, which are rejected above
    rows.push_back(dim.bits.data() + static_cast<size_t>(bucket) * words);
    summaries.push_back(dim.summary.data() + static_cast<size_t>(bucket) * p.summary_words);
  }
  if (!p.indexed_flags.empty()) {
    uint64_t present = 0;
    if (profile != nullptr) {
      for (const std::string& flag : profile->flags) {
        auto it = p.flag_ids.find(ToAbsl(flag));
        if (it == p.flag_ids.end()) continue;
        for (size_t i = 0; i < p.indexed_flags.size(); ++i)
          if (p.indexed_flags[i] == it->second) present |= uint64_t{1} << i;
      }
    }
    for (size_t i = 0; i < p.indexed_flags.size(); ++i)
      if (!(present >> i & 1)) excluded.push_back(p.flag_requires.data() + i * words);
  }
  if (candidates != nullptr) *candidates = 0;

  out->id.assign(d.id);
  out->matched.erase(out->matched.begin(), out->matched.end());  // keeps its capacity
  out->grade = grade;
  int32_t first_hold = -1;
  int32_t best = Decision::kBaseline;
  int64_t best_effective = 0;
  const GradeRate* rates = p.rates.data() + grade;
  // Evaluates the gathered candidates: prefetches first what evaluating them reads, so that
  // the cache misses of a large ruleset overlap instead of queueing one after another.
  constexpr size_t kGather = 256;
  uint32_t gathered[kGather];
  size_t count = 0;
  auto evaluate = [&] {
    if (count > 1) {
      for (size_t k = 0; k < count; ++k) {
        const uint32_t r = gathered[k];
        const uint32_t root = p.roots[r];
        __builtin_prefetch(&p.rules[r]);
        __builtin_prefetch(&p.nodes[root]);
        if (root > 0) __builtin_prefetch(&p.nodes[root - 1]);
        __builtin_prefetch(&rates[static_cast<size_t>(r) * p.grade_count]);
      }
    }
    for (size_t k = 0; k < count; ++k) {
      const uint32_t r = gathered[k];
      const RulePlan& rule = p.rules[r];
      if (d.date < rule.valid_from || d.date > rule.valid_to) continue;
      if (!Eval(p, rule.root, f)) continue;
      out->matched.push_back(r);
      if (rule.hold) {
        if (first_hold < 0 || static_cast<int32_t>(r) < first_hold) first_hold = static_cast<int32_t>(r);
        continue;
      }
      // The highest effective rate wins; ties go to the rule first in the file.
      const int64_t effective = rates[static_cast<size_t>(r) * p.grade_count].effective;
      if (best == Decision::kBaseline || effective > best_effective ||
          (effective == best_effective && static_cast<int32_t>(r) < best)) {
        best = static_cast<int32_t>(r);
        best_effective = effective;
      }
    }
    if (candidates != nullptr) *candidates += count;
    count = 0;
  };
  for (uint32_t sw = 0; sw < p.summary_words; ++sw) {
    uint64_t nonzero = p.all_rules_summary[sw];
    for (const uint64_t* summary : summaries) nonzero &= summary[sw];
    for (; nonzero != 0; nonzero &= nonzero - 1) {
      const size_t w = static_cast<size_t>(sw) * 64 + __builtin_ctzll(nonzero);
      uint64_t bits = p.all_rules[w];
      for (const uint64_t* row : rows) {
        bits &= row[w];
        if (bits == 0) break;
      }
      for (const uint64_t* row : excluded) bits &= ~row[w];
      if (bits == 0) continue;
      if (count + 64 > kGather) evaluate();
      for (; bits != 0; bits &= bits - 1)
        gathered[count++] = p.bit_rule[w * 64 + __builtin_ctzll(bits)];
    }
  }
  evaluate();
  // Candidates came in bit order; the decision lists matched rules in file order.
  std::sort(out->matched.begin(), out->matched.end());

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
