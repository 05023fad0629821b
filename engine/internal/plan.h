// The evaluation plan of a compiled ruleset. Internal to engine/: include engine/engine.h.
//
// Layout, chosen so that a decision touches little memory and allocates nothing:
// - Conditions are flattened into one array of Nodes; children, symbol sets, HS intervals and
//   flags live in side arrays addressed by [begin, end) ranges.
// - Symbols are interned as uint32: directions and modes by enum value, countries as their two
//   bytes packed, ports by an id from a hash map built from the rule literals, grades by index.
//   A declaration's symbol is looked up once per decision; predicates compare integers.
// - HS codes: a predicate compares the declaration's k-digit prefix, as an integer, with the
//   integer ends of each interval.
// - Rates: each rule's effective and final rate and its selection threshold are precomputed
//   for every grade, so a decision does no 128-bit arithmetic.
// - The index: every rule is listed, per direction its top-level conjunction allows, under
//   ONE key: that of its most selective top-level conjunct (estimated statically, see
//   BuildPlan): an HS list (dense lists per chapter and heading, sparse per 6-digit
//   subheading; the most specific level a code allows, a range wider than 32 codes of a
//   level goes one level up), an origin or trade-country list, a mode or port list, a flag,
//   two_step, a grade list, or a bounded date interval (valid window and top-level date
//   comparisons, in 16-day periods). A rule with none of these goes to the catch-all list
//   of its directions. A decision probes the keys of its own facts (its chapter, heading,
//   subheading, origin, ..., each profile flag, its date's period), merges those lists (all
//   sorted by rule index, so file order is kept) and evaluates only those rules. The index is only ever a superset: the full condition is
//   still evaluated for every candidate.
#ifndef BUKONG_ENGINE_INTERNAL_PLAN_H_
#define BUKONG_ENGINE_INTERNAL_PLAN_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/profile.h"
#include "dsl/ir.h"
#include "engine/declaration.h"

namespace bukong {
class CompiledRuleset;
class SelectionKey;
struct Decision;
}  // namespace bukong

namespace bukong::engine_internal {

inline constexpr uint32_t kNoSymbol = std::numeric_limits<uint32_t>::max();

enum class NodeKind : uint8_t { kTrue, kAnd, kOr, kNot, kNumber, kDate, kBool, kSymbol, kHs, kFlag };

// Slots of the per-decision facts.
enum SymbolSlot : uint8_t {
  kSymDirection,
  kSymMode,
  kSymOrigin,
  kSymTradeCountry,
  kSymPort,
  kSymGrade,
  kSymbolSlots
};
enum NumberSlot : uint8_t {
  kNumValue,
  kNumWeight,
  kNumAgeDays,
  kNumInspections,
  kNumHits,
  kNumHitRate,
  kNumberSlots
};

struct Node {
  __int128 number = 0;  // kNumber: the literal, twice scaled (ExactDecimal convention)
  NodeKind kind = NodeKind::kTrue;
  ir::CompareOp op = ir::CompareOp::kEq;
  bool negated = false;  // kSymbol, kHs
  bool boolean = false;  // kBool
  uint8_t slot = 0;      // SymbolSlot or NumberSlot
  int32_t day = 0;       // kDate
  uint32_t begin = 0;    // kAnd/kOr/kNot: children; kSymbol: symbols; kHs: intervals; kFlag: flag
  uint32_t end = 0;
};

// A k-digit HS interval: matches when the declared code has at least k digits and its k-digit
// prefix, read as an integer, lies in [low, high].
struct HsInterval {
  int64_t low = 0;
  int64_t high = 0;
  uint8_t digits = 0;
};

// Selection threshold T(p) (SPEC §2.5): a draw u passes when `all` or u < value.
struct Threshold {
  uint64_t value = 0;
  bool all = false;
  bool Passes(uint64_t u) const { return all || u < value; }
};
Threshold ThresholdFor(int64_t ppm);

// A rate rule's (or the baseline's) numbers under one grade.
struct GradeRate {
  int64_t effective = 0;  // before bounds: what the winner is chosen by
  int64_t final = 0;      // after floor/ceiling and [0, 1e6]
  Threshold select;       // T(final)
};

struct RulePlan {
  uint32_t root = 0;  // node index of the condition
  int32_t valid_from = std::numeric_limits<int32_t>::min();
  int32_t valid_to = std::numeric_limits<int32_t>::max();
  uint64_t grade_mask = ~uint64_t{0};  // bit g set when grade g can satisfy the condition
  // Quick rejects from the top-level conjunction, checked before the condition: the date
  // interval (valid window narrowed by top-level date comparisons), modes, two_step.
  int32_t date_lo = std::numeric_limits<int32_t>::min();
  int32_t date_hi = std::numeric_limits<int32_t>::max();
  uint8_t mode_mask = 0x1f;
  uint8_t two_step_mask = 0b11;  // bit 0: false allowed, bit 1: true allowed
  bool hold = false;
  Threshold port;  // T(port share)
  Threshold nii;   // T(nii share)
};

// Per-decision facts: everything a predicate reads, computed once.
struct Facts {
  uint32_t symbol[kSymbolSlots] = {};
  __int128 number[kNumberSlots] = {};
  int32_t date = 0;
  bool two_step = false;
  int hs_digits = 0;
  int64_t hs_prefix[11] = {};  // hs_prefix[k] = the first k digits as an integer (k <= digits)
  const std::vector<std::string>* flags = nullptr;  // null: no profile
};

// The dimensions of the sparse index. Each rule is listed under exactly one dimension: the
// most selective of its top-level conjuncts (see BuildPlan), or the catch-all list.
enum IndexDim : uint8_t {
  kDimSubheading = 1,  // 6-digit HS prefix
  kDimOrigin,          // packed country
  kDimTradeCountry,    // packed country
  kDimMode,            // mode id
  kDimPort,            // port id
  kDimFlag,            // flag id
  kDimTwoStep,         // 0 / 1
  kDimGrade,           // grade index
  kDimDate,            // 16-day period of the declaration date
};

inline uint64_t SparseKey(IndexDim dim, uint32_t direction, uint32_t value) {
  return (uint64_t{dim} << 40) | (uint64_t{direction} << 32) | value;
}
inline uint32_t DateBucket(int32_t day) { return static_cast<uint32_t>((day >> 4) + (1 << 27)); }

struct Plan {
  // Conditions.
  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<uint32_t> symbols;  // each node's range sorted ascending
  std::vector<HsInterval> intervals;
  std::vector<std::string> flags;
  absl::flat_hash_map<std::string, uint32_t> port_ids;

  // Rules and rates.
  std::vector<RulePlan> rules;
  uint32_t grade_count = 0;
  std::vector<GradeRate> rates;  // rates[rule * grade_count + g]
  std::vector<GradeRate> baseline_rates;  // per grade
  Threshold baseline_port, baseline_nii;
  absl::flat_hash_map<std::string, uint32_t> grade_ids;
  bool grade_masks_used = false;  // grade_count <= 64

  // Which inputs a decision must compute; required_present lists DeclarationFieldBits.
  uint32_t required_present = 0;
  bool reads_port = false;
  bool reads_hit_rate = false;

  // The index (see the file comment): lists for slot s of direction d are
  // bucket_rules[bucket_offsets[d * kSlots + s] .. bucket_offsets[d * kSlots + s + 1]).
  static constexpr uint32_t kChapterBase = 1;
  static constexpr uint32_t kHeadingBase = 101;
  static constexpr uint32_t kSlots = 10101;
  std::vector<uint32_t> bucket_offsets;
  std::vector<uint32_t> bucket_rules;
  // Sparse lists: SparseKey(dimension, direction, value) -> [begin, end) of bucket_rules.
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> sparse_lists;
  uint32_t sparse_dims = 0;  // bit (1 << IndexDim) for each dimension with lists
  absl::flat_hash_map<std::string, uint32_t> flag_ids;  // flags named by `has` conditions
};

// Builds the plan of a validated-or-not IR; kInvalidArgument on a malformed IR.
absl::Status BuildPlan(const ir::Ruleset& ruleset, const std::array<bool, ir::kFieldCount>& reads,
                       Plan* plan);

// Decides with `compiled`'s plan into *out; every field but out->ruleset is written.
// `candidates`, when not null, receives how many rules the index offered (and so were
// evaluated): for benchmarks and tests of the index.
absl::Status DecideWithPlan(const CompiledRuleset& compiled, const SelectionKey& key,
                            const Declaration& declaration, const Profile* profile,
                            Decision* out, size_t* candidates = nullptr);


// SipHash-2-4 (libsodium crypto_shorthash) of tag + id under the key, read little-endian.
uint64_t Draw(const SelectionKey& key, std::string_view tag, std::string_view id);

// The field's name as written in rule files (the engine's own copy: it does not link dsl/).
const char* FieldText(ir::Field f);

}  // namespace bukong::engine_internal

#endif  // BUKONG_ENGINE_INTERNAL_PLAN_H_
