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
// - The candidate index is a set of bitsets over the rules, one family per dimension of the
//   declaration (direction, HS code, mode, two_step, grade, origin, trade country, port,
//   date, value, weight, age_days, inspections, hits, hit_rate) plus the flags. The HS code
//   dimension is a trie: a declared code falls in the bucket of the longest code (2 to 10
//   digits) that some rule's HS list names. From each rule's top-level conjunction (and its
//   valid window) the builder knows which values of a dimension the rule can accept; values
//   are grouped into buckets (for dates and numbers, the literals the rules compare with are
//   the bucket boundaries, each boundary a bucket of its own), and row b of a dimension
//   marks the rules that can match in bucket b. A decision ANDs the rows of its own buckets
//   (and removes rules that need a flag the profile lacks): what is left are the rules whose
//   top-level conjunction can hold. Only dimensions some rule constrains take part. The
//   index is only ever a superset: what it does not decide exactly is still evaluated.
// - Bit order is not file order: rules are clustered by the HS chapter and heading their
//   commodity condition names first (bit_rule maps a bit back to the rule), so that the rules
//   a declaration's HS code can reach sit in a few words of every row. Each row has a summary
//   (a bit per non-zero word); a decision ANDs the summaries first and then only the words
//   every dimension leaves non-zero, most selective dimension first, stopping at a zero word.
//   Candidates so arrive out of file order: the decision compares rule indices for ties and
//   for the first hold, and sorts the matched list.
#ifndef BUKONG_ENGINE_INTERNAL_PLAN_H_
#define BUKONG_ENGINE_INTERNAL_PLAN_H_

#include <array>
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

// One dimension of the candidate index (see the file comment): the declaration's value on
// this dimension selects a bucket; row `bucket` of `bits` has bit b set when rule
// Plan::bit_rule[b] can match some declaration in that bucket.
struct IndexDimension {
  enum class Kind : uint8_t { kDirection, kHs, kMode, kTwoStep, kGrade, kSymbol, kDate, kNumber };
  Kind kind = Kind::kDirection;
  uint8_t slot = 0;               // kSymbol: SymbolSlot; kNumber: NumberSlot
  std::vector<__int128> bounds;   // kDate, kNumber: sorted distinct boundary values
  absl::flat_hash_map<uint32_t, uint32_t> symbol_buckets;  // kSymbol: symbol -> bucket
  // kHs: the bucket of each code some rule names, by length (chapters and headings in
  // tables, 6-, 8- and 10-digit codes in maps); codes longer than hs_max_digits are not named.
  std::vector<uint32_t> chapter_node, heading_node;
  absl::flat_hash_map<int64_t, uint32_t> code_node[3];
  uint8_t hs_max_digits = 0;
  uint32_t buckets = 0;
  std::vector<uint64_t> bits;     // buckets * Plan::index_words
  // Two-level: bit w of row b's summary (Plan::summary_words per row) is set when word w of
  // row b is not zero, so a decision skips the words of rules its bucket excludes.
  std::vector<uint64_t> summary;
};

// The bucket of `v` among sorted distinct `bounds`: 2i+1 when v == bounds[i], else 2i where
// i is the number of bounds below v. So every boundary is a bucket of its own.
inline uint32_t BoundsBucket(const std::vector<__int128>& bounds, __int128 v) {
  size_t lo = 0, hi = bounds.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (bounds[mid] < v) lo = mid + 1; else hi = mid;
  }
  return static_cast<uint32_t>(2 * lo + (lo < bounds.size() && bounds[lo] == v ? 1 : 0));
}

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
  std::vector<uint32_t> roots;  // rules[r].root again, compact, for prefetching
  uint32_t grade_count = 0;
  std::vector<GradeRate> rates;  // rates[rule * grade_count + g]
  std::vector<GradeRate> baseline_rates;  // per grade
  Threshold baseline_port, baseline_nii;
  absl::flat_hash_map<std::string, uint32_t> grade_ids;

  // The names a decision line prints, already quoted and escaped as JSON strings (filled by
  // CompileRuleset): printing a decision then copies them instead of escaping each name
  // again, character by character, for every decision.
  std::vector<std::string> rule_name_json;    // per rule
  std::vector<std::string> hold_reason_json;  // per rule (empty unless a hold rule)
  std::vector<std::string> grade_name_json;   // per grade
  std::string ruleset_json;                   // `,"ruleset":"NAME@VERSION","ruleset_sha256":"HEX"`

  // Which inputs a decision must compute; required_present lists DeclarationFieldBits.
  uint32_t required_present = 0;
  bool reads_port = false;
  bool reads_hit_rate = false;

  // The candidate index (see the file comment). Rows are index_words 64-bit words.
  uint32_t index_words = 0;
  uint32_t summary_words = 0;
  std::vector<uint32_t> bit_rule;           // bit position -> rule index (a permutation)
  std::vector<uint64_t> all_rules;          // one row: a bit for every rule
  std::vector<uint64_t> all_rules_summary;  // its summary
  std::vector<IndexDimension> dimensions;   // most selective (fewest bits per row) first
  // Flags required by a top-level `has`: indexed_flags[i] is a flag id; row i of
  // flag_requires marks the rules that need it (at most 64 flags are indexed).
  std::vector<uint32_t> indexed_flags;
  std::vector<uint64_t> flag_requires;
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


}  // namespace bukong::engine_internal

#endif  // BUKONG_ENGINE_INTERNAL_PLAN_H_
