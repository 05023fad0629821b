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
// - The index: for each direction, a list of rules with no HS requirement in their top-level
//   conjunction (catch-all), one list per HS chapter (2 digits), one per heading (4 digits)
//   and, sparse, one per subheading (6 digits). A rule whose top-level conjunction holds
//   `hs in [...]` / `commodity in SET` is listed only under the subheadings, headings or
//   chapters its codes can start with (the most specific level a code allows; a range wider
//   than 32 codes of a level goes one level up). A decision merges the four lists for its
//   direction and code (all sorted by rule index, so file order is kept) and evaluates only
//   those rules. The index is only ever a superset: the full condition is
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
  // Subheading (6-digit) lists, sparse: key d * 10^6 + subheading -> [begin, end) of
  // bucket_rules.
  absl::flat_hash_map<uint32_t, std::pair<uint32_t, uint32_t>> subheading_lists;
};

// Builds the plan of a validated-or-not IR; kInvalidArgument on a malformed IR.
absl::Status BuildPlan(const ir::Ruleset& ruleset, const std::array<bool, ir::kFieldCount>& reads,
                       Plan* plan);

// Decides with `compiled`'s plan into *out; every field but out->ruleset is written.
absl::Status DecideWithPlan(const CompiledRuleset& compiled, const SelectionKey& key,
                            const Declaration& declaration, const Profile* profile,
                            Decision* out);

// How many rules the index offers for this declaration (for benchmarks and tests of the index:
// the decision evaluates exactly these). Assumes a valid declaration.
size_t CandidateCount(const Plan& plan, const Declaration& declaration);

// SipHash-2-4 (libsodium crypto_shorthash) of tag + id under the key, read little-endian.
uint64_t Draw(const SelectionKey& key, std::string_view tag, std::string_view id);

// The field's name as written in rule files (the engine's own copy: it does not link dsl/).
const char* FieldText(ir::Field f);

}  // namespace bukong::engine_internal

#endif  // BUKONG_ENGINE_INTERNAL_PLAN_H_
