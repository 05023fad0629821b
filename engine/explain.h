// Why a declaration was decided as it was: SPEC §2 step by step, with every rule's fate.
//
//   bukong::Explanation e = bukong::Explain(ruleset_ir, &key, declaration, profile_or_null);
//   std::fputs(bukong::ExplanationToText(ruleset_ir, e).c_str(), stdout);   // plain words
//   std::puts(bukong::ExplanationToJson(ruleset_ir, e).c_str());            // for tools
//
// Explain is a second, deliberately plain evaluator of the decision procedure: it walks the
// checked IR (dsl/ir.h) rule by rule and condition by condition, with no plan, index or
// interning, and records what it saw. It shares no code with Engine::Decide, so the decision
// path pays nothing for it, and a property test (tests/engine/explain_property_test.cc)
// checks over generated traffic that its verdict, winner, rate and matched set equal
// Decide's. It is slow (strings, allocation per atom): for one declaration at a time, for
// `bukong explain`, `bukong test` and their coverage, not for traffic.
//
// Rule language v2 (SPEC §7): `unit_value` is evaluated exactly (a zero weight makes every
// comparison false), `enterprise` is the declaration's enterprise id, and `FIELD in LIST`
// looks the value up in the version of LIST given in `lists` (the versions the decision
// bound); a list missing from `lists` makes its atoms false, shown as "(list not bound)".
// The random compliance sample (`sample`, §7.3): the grade's sample rate (rate x factor,
// no floor or ceiling), and with a key the `sample:` draw against it, `sampled`, and on an
// inspection whether risk selection or only the sample selected it (the site and method
// draws then use the sample's split).
//
// Without a key (`key` null) everything deterministic is explained — grade, rules, holds,
// candidates, winner, final rate, site split — but not the draws: `outcome` is then known
// only for holds.
//
// Thread-safety: pure functions.
#ifndef BUKONG_ENGINE_EXPLAIN_H_
#define BUKONG_ENGINE_EXPLAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/profile.h"
#include "core/selection_key.h"
#include "dsl/ir.h"
#include "core/declaration.h"
#include "engine/lists.h"

namespace bukong::engine {

// One leaf of a rule's condition (a comparison, an `in`, a `has`, a commodity test).
struct AtomTrace {
  std::string text;     // as the rule says it: `origin in [HK, SG]`, `commodity in cold_chain`
  std::string actual;   // the declaration's (or profile's) value: `CN`, `8,000`, `(no profile)`
  std::string closest;  // HS tests that failed: the item of the list closest to the code
  bool holds = false;   // the atom's own truth (before any `not` around it)
};

struct RuleTrace {
  enum class State : uint8_t { kOutsideWindow, kFailed, kMatched };
  uint32_t rule = 0;  // index into ir::Ruleset::rules
  State state = State::kFailed;
  // Every atom of the condition, in source order, each evaluated (no short-circuit), so
  // that coverage can say which atoms were ever true and ever false. Empty when outside
  // the valid window.
  std::vector<AtomTrace> atoms;
  // The atom that decided the condition's value under left-to-right evaluation (for a
  // failed rule: the one that failed it), or -1 (outside the window).
  int deciding_atom = -1;
  // Rate rules that matched (and the baseline, in Explanation): the candidate's numbers.
  int64_t effective_ppm = 0;
};

struct Explanation {
  std::string id;
  uint32_t grade = 0;       // index into ir::Ruleset::grades
  bool has_profile = false; // false: the unknown-enterprise grade
  std::vector<RuleTrace> rules;        // every rule, in file order
  std::vector<uint32_t> matched;       // indices of the matching rules, in file order
  bool hold = false;
  std::vector<uint32_t> holds;         // the matching hold rules (first one wins)
  int64_t baseline_effective_ppm = 0;
  int32_t winner = -1;                 // rule index; -1 = baseline (also for no candidate)
  std::string why_winner;              // "highest effective rate", "tie ... first in file", ...
  int64_t winner_effective_ppm = 0;
  int64_t final_ppm = 0;               // 1'000'000 on a hold
  std::string bound;                   // "", "floor", "ceiling" (what moved the rate)
  // From the winner (holds: port 100%, manual).
  int64_t port_share_ppm = 0;
  int64_t nii_share_ppm = 0;
  // With a key: the draws, as integers and as fractions of 2^64, and the outcome.
  std::optional<uint64_t> select_draw, site_draw, method_draw;
  std::optional<std::string> outcome;  // "hold", "inspect", "release"; hold even without key
  std::optional<std::string> site, method;
  // SPEC §7.3, only when the ruleset has a `sample` statement: the grade's sample rate; with
  // a key the sample draw, `sampled` (holds too) and, on an inspection, "risk" (the select
  // draw passed) or "sample" (only the sample did).
  std::optional<int64_t> sample_ppm;
  std::optional<uint64_t> sample_draw;
  std::optional<bool> sampled;
  std::optional<std::string> selected_by;
};

// Explains the decision of `declaration` with `profile` (null: no profile) under `ruleset`,
// with the draws when `key` is given. Errors (kInvalidArgument), as Decide's: the profile's
// grade is not declared by the ruleset; the declaration lacks a field the ruleset reads.
// `lists` (may be null when the ruleset declares none) holds the bound version of each
// declared list, as engine::CompiledRuleset::lists() does.
absl::StatusOr<Explanation> Explain(const ir::Ruleset& ruleset, const SelectionKey* key,
                                    const Declaration& declaration, const Profile* profile,
                                    const ListBindings* lists = nullptr);

// The explanation in plain words, one step per paragraph (see docs/risk-officer-guide.md).
std::string ExplanationToText(const ir::Ruleset& ruleset, const Explanation& e);

// The same as one JSON object (keys documented in docs/CLI.md, `bukong explain --json`).
std::string ExplanationToJson(const ir::Ruleset& ruleset, const Explanation& e);

// A rate in parts per million as officers write it: 30000 -> "3%", 1500 -> "0.15%".
std::string PpmText(int64_t ppm);

}  // namespace bukong::engine

#endif  // BUKONG_ENGINE_EXPLAIN_H_
