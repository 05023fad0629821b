// Building the candidate index (see candidate_index.h for its contract and layout).
#include "engine/internal/candidate_index.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include "engine/internal/plan.h"

namespace bukong::engine::internal {
namespace {

constexpr size_t kMaxBounds = 63;      // boundaries per date/number dimension (127 buckets)
constexpr size_t kMaxHsNodes = 16384;  // HS dimension buckets; beyond, long codes are cut
constexpr size_t kMaxHsIndexBytes = size_t{64} << 20;  // and at most this much memory
constexpr int64_t kMaxCodeSpan = 32;  // a wider HS range is indexed by its shorter prefixes
constexpr size_t kMaxIndexedFlags = 64;

// Flattens the top-level conjunction of a condition.
void Conjuncts(const ir::Condition& c, std::vector<const ir::Condition*>* out) {
  if (c.kind == ir::Condition::Kind::kAnd) {
    for (const ir::Condition& child : c.children) Conjuncts(child, out);
  } else {
    out->push_back(&c);
  }
}

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
            case ir::Field::kDirection:
              ids.push_back(*DirectionId(s));
              break;
            case ir::Field::kMode:
              ids.push_back(*ModeId(s));
              break;
            case ir::Field::kGrade:
              ids.push_back(plan.grade_ids.find(s)->second);
              break;
            case ir::Field::kPort:
              ids.push_back(plan.port_ids.find(s)->second);
              break;
            default:
              ids.push_back(PackCountry(s));
              break;
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
          case ir::CompareOp::kEq:
            dom.date_lo = std::max(dom.date_lo, day);
            dom.date_hi = std::min(dom.date_hi, day);
            break;
          case ir::CompareOp::kLt:
            dom.date_hi = std::min(dom.date_hi, day - 1);
            break;
          case ir::CompareOp::kLe:
            dom.date_hi = std::min(dom.date_hi, day);
            break;
          case ir::CompareOp::kGt:
            dom.date_lo = std::max(dom.date_lo, day + 1);
            break;
          case ir::CompareOp::kGe:
            dom.date_lo = std::max(dom.date_lo, day);
            break;
          case ir::CompareOp::kNe:
            break;
        }
        break;
      }
      case K::kCompareNumber:
        // unit_value (SPEC §7.2) has no slot: it is evaluated, never indexed.
        if (auto slot = NumberSlotOf(c->field))
          dom.numbers[*slot].emplace_back(c->op, c->number.scaled * 2);
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
    case ir::CompareOp::kEq:
      return {b, b};
    case ir::CompareOp::kNe:
      return {0, last};
    case ir::CompareOp::kLt:
      return {0, point ? b - 1 : b};
    case ir::CompareOp::kLe:
      return {0, b};
    case ir::CompareOp::kGt:
      return {point ? b + 1 : b, last};
    case ir::CompareOp::kGe:
      return {b, last};
  }
  return {0, last};
}

class IndexBuilder {
 public:
  // Chooses the bit order (see candidate_index.h): rules sorted by the smallest chapter and heading
  // their HS list names (a chapter-wide rule before the headings of its chapter, a rule
  // without an HS list last), file order within a group.
  IndexBuilder(CandidateIndex* index, uint32_t grade_count, const std::vector<RuleDomain>& domains)
      : index_(index),
        grade_count_(grade_count),
        rules_(domains.size()),
        rule_bit_(domains.size()) {
    std::vector<std::pair<int64_t, int64_t>> cluster(rules_, {100, 0});
    for (size_t r = 0; r < rules_; ++r) {
      if (domains[r].hs == nullptr) continue;
      for (const ir::HsRange& range : domains[r].hs->hs_ranges)
        cluster[r] = std::min(
            cluster[r], std::pair{DigitsValue(range.low.substr(0, 2)),
                                  range.low.size() >= 4 ? DigitsValue(range.low.substr(0, 4)) : 0});
    }
    index_->bit_rule.resize(rules_);
    for (uint32_t r = 0; r < rules_; ++r) index_->bit_rule[r] = r;
    std::stable_sort(index_->bit_rule.begin(), index_->bit_rule.end(),
                     [&](uint32_t a, uint32_t b) { return cluster[a] < cluster[b]; });
    for (uint32_t bit = 0; bit < rules_; ++bit) rule_bit_[index_->bit_rule[bit]] = bit;

    index_->index_words = static_cast<uint32_t>((rules_ + 63) / 64);
    index_->summary_words = (index_->index_words + 63) / 64;
    index_->all_rules.assign(index_->index_words, 0);
    for (size_t r = 0; r < rules_; ++r) index_->all_rules[r / 64] |= uint64_t{1} << (r % 64);
    index_->all_rules_summary = Summarize(index_->all_rules, 1);
  }

  // The summaries of `rows` rows of index_words words.
  std::vector<uint64_t> Summarize(const std::vector<uint64_t>& bits, uint32_t rows) const {
    const uint32_t words = index_->index_words;
    std::vector<uint64_t> summary(static_cast<size_t>(rows) * index_->summary_words, 0);
    for (uint32_t row = 0; row < rows; ++row)
      for (uint32_t w = 0; w < words; ++w)
        if (bits[static_cast<size_t>(row) * words + w] != 0)
          summary[static_cast<size_t>(row) * index_->summary_words + w / 64] |= uint64_t{1}
                                                                                << (w % 64);
    return summary;
  }

  void Build(std::vector<RuleDomain>& domains) {
    using Kind = IndexDimension::Kind;
    // Small enumerations.
    AddIf(
        domains, Kind::kDirection, 0, 3,
        [](const RuleDomain& d, uint32_t b) { return (d.directions >> b & 1) != 0; },
        [](const RuleDomain& d) { return d.directions != 0b111; });
    AddIf(
        domains, Kind::kMode, 0, 5,
        [](const RuleDomain& d, uint32_t b) { return (d.modes >> b & 1) != 0; },
        [](const RuleDomain& d) { return d.modes != 0b11111; });
    AddIf(
        domains, Kind::kTwoStep, 0, 2,
        [](const RuleDomain& d, uint32_t b) { return (d.two_step >> b & 1) != 0; },
        [](const RuleDomain& d) { return d.two_step != 0b11; });
    AddIf(
        domains, Kind::kGrade, 0, grade_count_,
        [](const RuleDomain& d, uint32_t b) { return !d.grades || (*d.grades)[b]; },
        [](const RuleDomain& d) { return d.grades.has_value(); });

    AddHsDimension(domains);

    // Symbols: origin, trade country, port. Bucket 0 is every symbol no rule names.
    for (int slot : {kSymOrigin, kSymTradeCountry, kSymPort}) {
      std::vector<uint32_t> named;
      for (const RuleDomain& d : domains) {
        if (d.symbol_in[slot])
          named.insert(named.end(), d.symbol_in[slot]->begin(), d.symbol_in[slot]->end());
        named.insert(named.end(), d.symbol_out[slot].begin(), d.symbol_out[slot].end());
      }
      std::sort(named.begin(), named.end());
      named.erase(std::unique(named.begin(), named.end()), named.end());
      if (named.empty()) continue;
      IndexDimension dim;
      dim.kind = Kind::kSymbol;
      dim.slot = static_cast<uint8_t>(slot);
      for (size_t i = 0; i < named.size(); ++i)
        dim.symbol_buckets[named[i]] = static_cast<uint32_t>(i + 1);
      Fill(&dim, static_cast<uint32_t>(named.size() + 1), domains,
           [&](const RuleDomain& d, uint32_t b) {
             if (b == 0) return !d.symbol_in[slot].has_value();
             const uint32_t symbol = named[b - 1];
             if (d.symbol_in[slot] &&
                 !std::binary_search(d.symbol_in[slot]->begin(), d.symbol_in[slot]->end(), symbol))
               return false;
             return std::find(d.symbol_out[slot].begin(), d.symbol_out[slot].end(), symbol) ==
                    d.symbol_out[slot].end();
           });
      index_->dimensions.push_back(std::move(dim));
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
        Fill(&dim, static_cast<uint32_t>(2 * dim.bounds.size() + 1), domains,
             [&](const RuleDomain& d, uint32_t b) {
               int64_t first = 0, last = 2 * static_cast<int64_t>(dim.bounds.size());
               if (d.date_lo > d.date_hi) return false;
               if (d.date_lo != std::numeric_limits<int64_t>::min())
                 first = BucketRange(dim.bounds, ir::CompareOp::kGe, d.date_lo).first;
               if (d.date_hi != std::numeric_limits<int64_t>::max())
                 last = BucketRange(dim.bounds, ir::CompareOp::kLe, d.date_hi).second;
               return first <= b && b <= last;
             });
        index_->dimensions.push_back(std::move(dim));
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
      Fill(&dim, static_cast<uint32_t>(2 * dim.bounds.size() + 1), domains,
           [&](const RuleDomain& d, uint32_t b) {
             for (const auto& [op, x] : d.numbers[slot]) {
               const auto [first, last] = BucketRange(dim.bounds, op, x);
               if (b < first || b > last) return false;
             }
             return true;
           });
      index_->dimensions.push_back(std::move(dim));
    }

    // Flags (the first 64 named by a top-level `has`).
    for (size_t r = 0; r < domains.size(); ++r) {
      for (uint32_t flag : domains[r].flags) {
        auto it = std::find(index_->indexed_flags.begin(), index_->indexed_flags.end(), flag);
        size_t row = static_cast<size_t>(it - index_->indexed_flags.begin());
        if (it == index_->indexed_flags.end()) {
          if (index_->indexed_flags.size() == kMaxIndexedFlags) continue;
          index_->indexed_flags.push_back(flag);
          index_->flag_requires.resize(index_->flag_requires.size() + index_->index_words, 0);
        }
        const uint32_t bit = rule_bit_[r];
        index_->flag_requires[row * index_->index_words + bit / 64] |= uint64_t{1} << (bit % 64);
      }
    }

    // Most selective dimension first: a decision stops ANDing a word at the first zero.
    std::vector<std::pair<uint64_t, size_t>> density;  // (bits over all rows / rows, index)
    for (size_t i = 0; i < index_->dimensions.size(); ++i) {
      const IndexDimension& dim = index_->dimensions[i];
      uint64_t ones = 0;
      for (uint64_t word : dim.bits) ones += static_cast<uint64_t>(__builtin_popcountll(word));
      density.emplace_back(ones / std::max<uint32_t>(dim.buckets, 1), i);
    }
    std::stable_sort(density.begin(), density.end());
    std::vector<IndexDimension> sorted;
    for (const auto& [ones, i] : density) sorted.push_back(std::move(index_->dimensions[i]));
    index_->dimensions = std::move(sorted);
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
    if (std::none_of(domains.begin(), domains.end(),
                     [](const RuleDomain& d) { return d.hs != nullptr; }))
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
      const size_t row_bytes = index_->index_words * sizeof(uint64_t);
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
      if (digits == 2)
        dim.chapter_node[value] = node;
      else if (digits == 4)
        dim.heading_node[value] = node;
      else
        dim.code_node[(digits - 6) / 2][value] = node;
    }
    const size_t words = index_->index_words;
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
    index_->dimensions.push_back(std::move(dim));
  }

  template <typename Allows, typename Constrains>
  void AddIf(const std::vector<RuleDomain>& domains, IndexDimension::Kind kind, uint8_t slot,
             uint32_t buckets, Allows allows, Constrains constrains) {
    if (std::none_of(domains.begin(), domains.end(), constrains)) return;
    IndexDimension dim;
    dim.kind = kind;
    dim.slot = slot;
    Fill(&dim, buckets, domains, allows);
    index_->dimensions.push_back(std::move(dim));
  }

  template <typename Allows>
  void Fill(IndexDimension* dim, uint32_t buckets, const std::vector<RuleDomain>& domains,
            Allows allows) {
    const size_t words = index_->index_words;
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

  CandidateIndex* index_;
  uint32_t grade_count_;
  size_t rules_;
  std::vector<uint32_t> rule_bit_;  // rule index -> bit position
};

const IndexDimension* FindDimension(const CandidateIndex& index, IndexDimension::Kind kind,
                                    int slot = -1) {
  for (const IndexDimension& d : index.dimensions)
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
bool ExactlyIndexed(const ir::Condition& c, const RuleDomain& dom, const Plan& plan,
                    const CandidateIndex& index) {
  using K = ir::Condition::Kind;
  using D = IndexDimension::Kind;
  switch (c.kind) {
    case K::kTrue:
      return true;
    case K::kSymbolIn:
      switch (c.field) {
        case ir::Field::kDirection:
          return FindDimension(index, D::kDirection) != nullptr;
        case ir::Field::kMode:
          return FindDimension(index, D::kMode) != nullptr;
        case ir::Field::kGrade:
          return FindDimension(index, D::kGrade) != nullptr;
        default:
          return FindDimension(index, D::kSymbol, *SymbolSlotOf(c.field)) != nullptr;
      }
    case K::kCompareBool:
      return FindDimension(index, D::kTwoStep) != nullptr;
    case K::kFlagHas: {
      const uint32_t id = plan.flag_ids.find(c.flag)->second;
      return std::find(index.indexed_flags.begin(), index.indexed_flags.end(), id) !=
             index.indexed_flags.end();
    }
    case K::kCompareDate: {
      if (c.op == ir::CompareOp::kNe) return false;
      const IndexDimension* dim = FindDimension(index, D::kDate);
      const bool lo_ok =
          dom.date_lo == std::numeric_limits<int64_t>::min() || IsBound(dim, dom.date_lo);
      const bool hi_ok =
          dom.date_hi == std::numeric_limits<int64_t>::max() || IsBound(dim, dom.date_hi);
      return dim != nullptr && lo_ok && hi_ok;
    }
    case K::kCompareNumber:
      return c.op != ir::CompareOp::kNe && NumberSlotOf(c.field).has_value() &&
             IsBound(FindDimension(index, D::kNumber, *NumberSlotOf(c.field)), c.number.scaled * 2);
    case K::kHsIn:
      return &c == dom.hs && dom.hs_exact && FindDimension(index, D::kHs) != nullptr;
    default:
      return false;
  }
}

}  // namespace

std::vector<std::optional<ir::Condition>> BuildCandidateIndex(const ir::Ruleset& rs,
                                                              const Plan& plan,
                                                              CandidateIndex* index) {
  // Each rule's domain, from its top-level conjunction.
  std::vector<RuleDomain> domains;
  std::vector<std::vector<const ir::Condition*>> conjuncts(rs.rules.size());
  domains.reserve(rs.rules.size());
  for (size_t ri = 0; ri < rs.rules.size(); ++ri) {
    Conjuncts(rs.rules[ri].when, &conjuncts[ri]);
    domains.push_back(DomainOf(rs.rules[ri], conjuncts[ri], plan, plan.grade_count));
  }

  IndexBuilder(index, plan.grade_count, domains).Build(domains);

  // Conjuncts the index enforces exactly need no evaluation (see ExactlyIndexed).
  std::vector<std::optional<ir::Condition>> residual(rs.rules.size());
  for (size_t ri = 0; ri < rs.rules.size(); ++ri) {
    ir::Condition rest;
    rest.kind = ir::Condition::Kind::kAnd;
    for (const ir::Condition* c : conjuncts[ri])
      if (!ExactlyIndexed(*c, domains[ri], plan, *index)) rest.children.push_back(*c);
    if (rest.children.size() == conjuncts[ri].size()) continue;  // nothing to drop
    if (rest.children.empty()) rest.kind = ir::Condition::Kind::kTrue;
    if (rest.children.size() == 1) rest = ir::Condition(rest.children[0]);
    residual[ri] = std::move(rest);
  }
  return residual;
}

}  // namespace bukong::engine::internal
