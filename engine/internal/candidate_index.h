// The candidate index: which rules can match a declaration, found without evaluating them.
// Internal to engine/; an optimisation a reader of the decision may skip.
//
// Contract: for every declaration and profile, the rules the index offers are a superset of
// the rules whose top-level conjunction (and valid window) holds. BuildCandidateIndex also
// says which top-level conjuncts of each rule the index decides exactly; only those may be
// left out of the condition the decision evaluates. Nothing here changes what is decided.
//
// Layout: a set of bitsets over the rules, one family per dimension of the declaration
// (direction, HS code, mode, two_step, grade, origin, trade country, port, date, value,
// weight, age_days, inspections, hits, hit_rate) plus the flags. The HS code dimension is a
// trie: a declared code falls in the bucket of the longest code (2 to 10 digits) that some
// rule's HS list names. From each rule's top-level conjunction (and its valid window) the
// builder knows which values of a dimension the rule can accept; values are grouped into
// buckets (for dates and numbers, the literals the rules compare with are the bucket
// boundaries, each boundary a bucket of its own), and row b of a dimension marks the rules
// that can match in bucket b. A decision ANDs the rows of its own buckets (and removes rules
// that need a flag the profile lacks). Only dimensions some rule constrains take part.
//
// Bit order is not file order: rules are clustered by the HS chapter and heading their
// commodity condition names first (bit_rule maps a bit back to the rule), so that the rules a
// declaration's HS code can reach sit in a few words of every row. Each row has a summary (a
// bit per non-zero word); a decision ANDs the summaries first and then only the words every
// dimension leaves non-zero, most selective dimension first, stopping at a zero word.
// Candidates so arrive out of file order: the decision compares rule indices for ties and for
// the first hold, and sorts the matched list.
#ifndef BUKONG_ENGINE_INTERNAL_CANDIDATE_INDEX_H_
#define BUKONG_ENGINE_INTERNAL_CANDIDATE_INDEX_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "core/profile.h"
#include "core/strings.h"
#include "dsl/ir.h"
#include "engine/internal/facts.h"

namespace bukong::engine::internal {

struct Plan;

// One dimension of the index: the declaration's value on this dimension selects a bucket;
// row `bucket` of `bits` has bit b set when rule bit_rule[b] can match some declaration in
// that bucket.
struct IndexDimension {
  enum class Kind : uint8_t { kDirection, kHs, kMode, kTwoStep, kGrade, kSymbol, kDate, kNumber };
  Kind kind = Kind::kDirection;
  uint8_t slot = 0;              // kSymbol: SymbolSlot; kNumber: NumberSlot
  std::vector<__int128> bounds;  // kDate, kNumber: sorted distinct boundary values
  absl::flat_hash_map<uint32_t, uint32_t> symbol_buckets;  // kSymbol: symbol -> bucket
  // kHs: the bucket of each code some rule names, by length (chapters and headings in
  // tables, 6-, 8- and 10-digit codes in maps); codes longer than hs_max_digits are not named.
  std::vector<uint32_t> chapter_node, heading_node;
  absl::flat_hash_map<int64_t, uint32_t> code_node[3];
  uint8_t hs_max_digits = 0;
  uint32_t buckets = 0;
  std::vector<uint64_t> bits;  // buckets * CandidateIndex::index_words
  // Two-level: bit w of row b's summary (summary_words per row) is set when word w of row b
  // is not zero, so a decision skips the words of rules its bucket excludes.
  std::vector<uint64_t> summary;
};

struct CandidateIndex {
  // Rows are index_words 64-bit words.
  uint32_t index_words = 0;
  uint32_t summary_words = 0;
  std::vector<uint32_t> bit_rule;           // bit position -> rule index (a permutation)
  std::vector<uint64_t> all_rules;          // one row: a bit for every rule
  std::vector<uint64_t> all_rules_summary;  // its summary
  std::vector<IndexDimension> dimensions;   // most selective (fewest bits per row) first
  // Flags required by a top-level `has`: indexed_flags[i] is a flag id (Plan::flag_ids); row
  // i of flag_requires marks the rules that need it (at most 64 flags are indexed).
  std::vector<uint32_t> indexed_flags;
  std::vector<uint64_t> flag_requires;
};

// Builds the index of `rs`'s rules into *index. `plan` supplies the symbols lowering interned
// (grades, ports, flags). Returns, per rule, the condition a rule offered by the index still
// has to satisfy: nullopt when the index decides none of its top-level conjuncts exactly (the
// whole condition), else the conjunction of the others (kTrue when it decides them all).
std::vector<std::optional<ir::Condition>> BuildCandidateIndex(const ir::Ruleset& rs,
                                                              const Plan& plan,
                                                              CandidateIndex* index);

// The bucket of `v` among sorted distinct `bounds`: 2i+1 when v == bounds[i], else 2i where
// i is the number of bounds below v. So every boundary is a bucket of its own.
inline uint32_t BoundsBucket(const std::vector<__int128>& bounds, __int128 v) {
  size_t lo = 0, hi = bounds.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (bounds[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return static_cast<uint32_t>(2 * lo + (lo < bounds.size() && bounds[lo] == v ? 1 : 0));
}

// The HS bucket of the declared code: its longest prefix some rule names.
inline uint32_t HsBucket(const IndexDimension& dim, const Facts& f) {
  for (int k = std::min<int>(f.hs_digits, dim.hs_max_digits) & ~1; k >= 6; k -= 2) {
    const auto& nodes = dim.code_node[(k - 6) / 2];
    if (nodes.empty()) continue;
    if (auto it = nodes.find(f.hs_prefix[k]); it != nodes.end()) return it->second;
  }
  if (!dim.heading_node.empty())
    if (const uint32_t node = dim.heading_node[f.hs_prefix[4]]; node != 0) return node;
  return dim.chapter_node[f.hs_prefix[2]];
}

// The rows of one declaration's buckets.
struct CandidateRows {
  absl::InlinedVector<const uint64_t*, 24> rows;
  absl::InlinedVector<const uint64_t*, 24> summaries;
  absl::InlinedVector<const uint64_t*, 8> excluded;  // rules needing a flag the profile lacks
};

// Selects the rows of the buckets the facts fall in (grade: the decision's grade index;
// flag_ids: Plan::flag_ids).
inline void SelectRows(const CandidateIndex& ix,
                       const absl::flat_hash_map<std::string, uint32_t>& flag_ids, const Facts& f,
                       uint32_t grade, const Profile* profile, CandidateRows* out) {
  const size_t words = ix.index_words;
  for (const IndexDimension& dim : ix.dimensions) {
    uint32_t bucket = 0;
    switch (dim.kind) {
      case IndexDimension::Kind::kDirection:
        bucket = f.symbol[kSymDirection];
        break;
      case IndexDimension::Kind::kHs:
        bucket = HsBucket(dim, f);
        break;
      case IndexDimension::Kind::kMode:
        bucket = f.symbol[kSymMode];
        break;
      case IndexDimension::Kind::kTwoStep:
        bucket = f.two_step ? 1 : 0;
        break;
      case IndexDimension::Kind::kGrade:
        bucket = grade;
        break;
      case IndexDimension::Kind::kSymbol: {
        auto it = dim.symbol_buckets.find(f.symbol[dim.slot]);
        bucket = it == dim.symbol_buckets.end() ? 0 : it->second;
        break;
      }
      case IndexDimension::Kind::kDate:
        bucket = BoundsBucket(dim.bounds, f.date);
        break;
      case IndexDimension::Kind::kNumber:
        bucket = BoundsBucket(dim.bounds, f.number[dim.slot]);
        break;
    }
    if (bucket >= dim.buckets) bucket = 0;  // only for out-of-range enums, rejected before
    out->rows.push_back(dim.bits.data() + static_cast<size_t>(bucket) * words);
    out->summaries.push_back(dim.summary.data() + static_cast<size_t>(bucket) * ix.summary_words);
  }
  if (!ix.indexed_flags.empty()) {
    uint64_t present = 0;
    if (profile != nullptr) {
      for (const std::string& flag : profile->flags) {
        auto it = flag_ids.find(ToAbsl(flag));
        if (it == flag_ids.end()) continue;
        for (size_t i = 0; i < ix.indexed_flags.size(); ++i)
          if (ix.indexed_flags[i] == it->second) present |= uint64_t{1} << i;
      }
    }
    for (size_t i = 0; i < ix.indexed_flags.size(); ++i)
      if (!(present >> i & 1)) out->excluded.push_back(ix.flag_requires.data() + i * words);
  }
}

// Calls visit(rules, count) with the candidate rules (rule indices, in bit order) in batches
// of at most 256, so that the caller can prefetch what evaluating a batch reads.
template <typename Visit>
inline void ForEachCandidateBatch(const CandidateIndex& ix, const CandidateRows& sel,
                                  Visit&& visit) {
  constexpr size_t kGather = 256;
  uint32_t gathered[kGather];
  size_t count = 0;
  for (uint32_t sw = 0; sw < ix.summary_words; ++sw) {
    uint64_t nonzero = ix.all_rules_summary[sw];
    for (const uint64_t* summary : sel.summaries) nonzero &= summary[sw];
    for (; nonzero != 0; nonzero &= nonzero - 1) {
      const size_t w = static_cast<size_t>(sw) * 64 + __builtin_ctzll(nonzero);
      uint64_t bits = ix.all_rules[w];
      for (const uint64_t* row : sel.rows) {
        bits &= row[w];
        if (bits == 0) break;
      }
      for (const uint64_t* row : sel.excluded) bits &= ~row[w];
      if (bits == 0) continue;
      if (count + 64 > kGather) {
        visit(gathered, count);
        count = 0;
      }
      for (; bits != 0; bits &= bits - 1)
        gathered[count++] = ix.bit_rule[w * 64 + __builtin_ctzll(bits)];
    }
  }
  visit(gathered, count);
}

}  // namespace bukong::engine::internal

#endif  // BUKONG_ENGINE_INTERNAL_CANDIDATE_INDEX_H_
