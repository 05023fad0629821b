// The evaluation plan of a compiled ruleset. Internal to engine/: include engine/engine.h.
//
// Layout, chosen so that a decision touches little memory and allocates nothing:
// - Conditions are flattened into one array of Nodes; children, symbol sets, HS intervals and
//   flags live in side arrays addressed by [begin, end) ranges.
// - Symbols are interned as uint32 (facts.h); a declaration's symbol is looked up once per
//   decision and predicates compare integers.
// - HS codes: a predicate compares the declaration's k-digit prefix, as an integer, with the
//   integer ends of each interval.
// - Rates: each rule's effective and final rate and its selection threshold are precomputed
//   for every grade (rates.h), so a decision does no 128-bit arithmetic.
// - The candidate index (candidate_index.h) narrows the rules a decision evaluates; a rule's
//   condition here leaves out the top-level conjuncts the index decides exactly.
#ifndef BUKONG_ENGINE_INTERNAL_PLAN_H_
#define BUKONG_ENGINE_INTERNAL_PLAN_H_

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "dsl/ir.h"
#include "engine/internal/candidate_index.h"
#include "engine/internal/facts.h"
#include "engine/internal/rates.h"

namespace bukong::engine {
class CompiledRuleset;
}  // namespace bukong::engine

namespace bukong::engine::internal {

enum class NodeKind : uint8_t {
  kTrue,
  kAnd,
  kOr,
  kNot,
  kNumber,
  kDate,
  kBool,
  kSymbol,
  kHs,
  kFlag,
  kUnitValue,      // SPEC §7.2: value / weight OP number, exactly; false when weight is 0
  kEnterpriseList  // SPEC §7.1: the enterprise id in enterprise_lists[begin] (negated: not in)
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

struct RulePlan {
  uint32_t root = 0;  // node index of the condition
  int32_t valid_from = std::numeric_limits<int32_t>::min();
  int32_t valid_to = std::numeric_limits<int32_t>::max();
  bool hold = false;
  Threshold port;  // T(port share)
  Threshold nii;   // T(nii share)
};

struct Plan {
  // Conditions.
  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<uint32_t> symbols;  // each node's range sorted ascending
  std::vector<HsInterval> intervals;
  std::vector<std::string> flags;
  absl::flat_hash_map<std::string, uint32_t> port_ids;
  absl::flat_hash_map<std::string, uint32_t> flag_ids;  // flags named by `has` conditions

  // Rules and rates.
  std::vector<RulePlan> rules;
  std::vector<uint32_t> roots;  // rules[r].root again, compact, for prefetching
  uint32_t grade_count = 0;
  std::vector<GradeRate> rates;           // rates[rule * grade_count + g]
  std::vector<GradeRate> baseline_rates;  // per grade
  Threshold baseline_port, baseline_nii;
  absl::flat_hash_map<std::string, uint32_t> grade_ids;

  // The names a decision line prints, already quoted and escaped as JSON strings (filled by
  // CompileRuleset): printing a decision then copies them instead of escaping each name
  // again, character by character, for every decision.
  absl::flat_hash_map<std::string, uint32_t> rule_ids;  // rule name -> index (names are unique)
  std::vector<std::string> rule_name_json;    // per rule
  std::vector<std::string> hold_reason_json;  // per rule (empty unless a hold rule)
  std::vector<std::string> grade_name_json;   // per grade
  std::string ruleset_json;                   // `,"ruleset":"NAME@VERSION","ruleset_sha256":"HEX"`

  // Which inputs a decision must compute; required_present lists DeclarationFieldBits.
  uint32_t required_present = 0;
  bool reads_port = false;
  bool reads_hit_rate = false;

  CandidateIndex index;

  // SPEC §7.1: the bound enterprise lists, by index into ir().lists (empty for lists of other
  // types: country and port lists became symbol sets, hs lists HS intervals, when the
  // ruleset was compiled). The views point into the ListVersions the compiled ruleset keeps.
  std::vector<absl::flat_hash_set<std::string_view>> enterprise_lists;
  // The strings of literal enterprise lists (`enterprise in ["X"]`), whose sets follow the
  // declared lists' in enterprise_lists.
  std::vector<std::vector<std::string>> literal_enterprises;
  // `,"lists":{"NAME":"16 hex",...}` (empty when the ruleset declares no list).
  std::string lists_json;

  // SPEC §7.3: the random compliance sample, when the ruleset has one.
  bool has_sample = false;
  std::vector<Threshold> sample_select;  // per grade: T(rate * factor), not bounded
  Threshold sample_port, sample_nii;
};

// Validates the IR and builds its plan; kInvalidArgument naming the rule on a malformed IR.
absl::Status BuildPlan(const ir::Ruleset& ruleset, const ir::FieldSet& reads,
                       Plan* plan);

// The plan of a compiled ruleset (for engine/, its tests and benchmarks).
const Plan& PlanOf(const CompiledRuleset& compiled);

}  // namespace bukong::engine::internal

#endif  // BUKONG_ENGINE_INTERNAL_PLAN_H_
