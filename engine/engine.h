// The decision engine: SPEC §2 as a C++ library.
//
//   auto key = bukong::SelectionKey::FromHex(key_text);            // 32 hex digits
//   auto compiled = bukong::engine::CompileRuleset(std::move(ir_ruleset));  // from dsl::Compile
//   bukong::engine::Engine engine(*key, *compiled);
//   absl::StatusOr<bukong::engine::Decision> d = engine.Decide(declaration, &profile);
//   std::puts(bukong::engine::DecisionToJson(*d).c_str());
//   engine.Swap(*bukong::engine::CompileRuleset(std::move(next_ir)));      // while calls are in
//   flight
//
// Three kinds of value, each immutable once made:
//   SelectionKey      16 secret bytes; the draws of SPEC §2.5 are keyed by it.
//   CompiledRuleset   an ir::Ruleset turned into an evaluation plan (index by direction and
//                     HS chapter/heading, precompiled predicates, interned symbols).
//   Decision          what the engine decided for one declaration, with every field of
//                     SPEC §3 and the draws it used (SPEC §6).
// and one object, Engine, which holds the key and the live ruleset and may be shared by many
// threads (see its comment).
//
// Errors: functions return absl::Status / absl::StatusOr. An input that the contract calls an
// input error (a profile grade the ruleset does not declare, a field the ruleset reads that
// the declaration lacks) is kInvalidArgument with a message naming the grade or the field;
// nothing here throws or aborts on bad input.
#ifndef BUKONG_ENGINE_ENGINE_H_
#define BUKONG_ENGINE_ENGINE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/declaration.h"
#include "core/outcome.h"
#include "core/profile.h"
#include "core/selection_key.h"
#include "dsl/ir.h"
#include "engine/lists.h"

namespace bukong::engine {

// ---------------------------------------------------------------------------------------------
class CompiledRuleset;
namespace internal {
struct Plan;  // engine/internal/plan.h
const Plan& PlanOf(const CompiledRuleset& compiled);
}  // namespace internal

// A ruleset compiled into an evaluation plan. Immutable and safe to share between threads.
// Made only by CompileRuleset, always held by std::shared_ptr<const CompiledRuleset>.
class CompiledRuleset {
 public:
  ~CompiledRuleset();
  CompiledRuleset(const CompiledRuleset&) = delete;
  CompiledRuleset& operator=(const CompiledRuleset&) = delete;

  // The checked ruleset this plan was compiled from.
  const ir::Ruleset& ir() const { return ir_; }
  // "name@version", as decisions print it.
  const std::string& Id() const { return id_; }
  // Lower-case hex SHA-256 of the rule file's bytes (ir().source_sha256).
  const std::string& Sha256() const { return ir_.source_sha256; }

  // The fields some condition of the ruleset reads (SPEC §6 "Fields read"): a declaration
  // field read here must be present on input (give this set to ingest::DeclarationParser).
  // It is ir().fields_read completed with every field the conditions name
  // (ir::AddFieldsNamedBy), so it is right also for an IR built by hand.
  const ir::FieldSet& FieldsRead() const { return ir_.fields_read; }
  bool Reads(ir::Field f) const { return ir_.Reads(f); }

  // Index of the grade called `name`, or nullopt when the ruleset does not declare it.
  std::optional<uint32_t> FindGrade(std::string_view name) const;
  // Index of the rule called `name` (rule names are unique), or nullopt.
  std::optional<uint32_t> FindRule(std::string_view name) const;

  // The list versions bound when this ruleset was compiled (SPEC §7.1), by list name: one
  // per list the ruleset declares. Decisions print the first 16 hex digits of each digest.
  const ListBindings& lists() const { return lists_; }

 private:
  friend absl::StatusOr<std::shared_ptr<const CompiledRuleset>> CompileRuleset(ir::Ruleset,
                                                                              ListBindings);
  friend const internal::Plan& internal::PlanOf(const CompiledRuleset&);
  CompiledRuleset();

  ir::Ruleset ir_;
  ListBindings lists_;  // the versions bound to ir_.lists (SPEC §7.1), kept alive
  std::string id_;
  std::unique_ptr<internal::Plan> plan_;
};

// Compiles a checked ruleset (normally from dsl::Compile) into an evaluation plan. The IR is
// validated again (grade indices, rates in [0, 1'000'000], floor <= ceiling, HS ranges of
// digits with equal-length ends, condition shapes, symbols of the right kind); a malformed
// IR is kInvalidArgument naming the rule and the problem, and no CompiledRuleset exists.
// Cost: linear in the size of the ruleset plus ~120 KB of index; milliseconds for 10,000
// rules. Thread-safe (a pure function).
//
// `lists` binds a version to every list the ruleset declares (SPEC §7.1; engine/lists.h):
// kInvalidArgument naming the list when one is missing, a binding names no declared list, or
// an hs entry is not 2-10 digits. Country and port lists become symbol sets and hs lists HS
// intervals (so the candidate index narrows by them); enterprise lists become hash sets. A
// 1,000,000-entry enterprise list adds about 30 MB and binds in well under a second
// (docs/PERFORMANCE.md). A ruleset that declares no list needs no bindings.
absl::StatusOr<std::shared_ptr<const CompiledRuleset>> CompileRuleset(ir::Ruleset ruleset,
                                                                      ListBindings lists);
inline absl::StatusOr<std::shared_ptr<const CompiledRuleset>> CompileRuleset(ir::Ruleset ruleset) {
  return CompileRuleset(std::move(ruleset), ListBindings{});
}

// ---------------------------------------------------------------------------------------------
// The outcome (core/outcome.h: one definition for engine, report and storage).
using ::bukong::Outcome;
using ::bukong::OutcomeName;  // "release", "inspect", "hold"
const char* SiteName(ir::Site s);      // "port", "destination"
const char* MethodName(ir::Method m);  // "nii", "manual"

// One decision. A plain value: copyable, comparable, printable with DecisionToJson.
//
// Names (grade, rule, matched rules, hold reasons, ruleset id and hash) are not copied into
// the decision: it holds indices into `ruleset`, which it keeps alive through a shared_ptr,
// so a Decision stays valid after the engine swapped to another ruleset.
struct Decision {
  // Sentinel for `rule` when the baseline won.
  static constexpr int32_t kBaseline = -1;

  std::string id;  // the declaration's id
  Outcome outcome = Outcome::kRelease;
  std::optional<ir::Site> site;      // set on inspect and hold (hold: port)
  std::optional<ir::Method> method;  // set on inspect and hold (hold: manual)
  int64_t rate_ppm = 0;              // final rate; 1'000'000 on a hold
  uint32_t grade = 0;                // index into ruleset->ir().grades
  int32_t rule = kBaseline;          // index into ruleset->ir().rules, or kBaseline
  // Every matching rule (valid window and condition), in file order, holds included.
  absl::InlinedVector<uint32_t, 6> matched;
  // The draws used: a hold draws nothing, a release only `select`, an inspection all three.
  std::optional<uint64_t> select_draw;
  std::optional<uint64_t> site_draw;
  std::optional<uint64_t> method_draw;
  // SPEC §7.3, only under a ruleset with a `sample` statement: the sample draw (holds too),
  // whether it passed, and whether an inspection was chosen by the sample alone (the select
  // draw failed): `"selected_by":"sample"` rather than `"risk"`.
  std::optional<uint64_t> sample_draw;
  std::optional<bool> sampled;
  bool selected_by_sample = false;
  std::shared_ptr<const CompiledRuleset> ruleset;

  // Accessors through `ruleset` (which must be set).
  std::string_view GradeName() const;
  std::string_view RuleName() const;  // "baseline" when the baseline won
  std::vector<std::string_view> MatchedNames() const;
  // The hold reasons of the matching hold rules in file order; empty unless a hold.
  std::vector<std::string_view> Reasons() const;

  // Equal when every printed field is equal (names compared by text, the ruleset by its id
  // and SHA-256), so decisions from two compilations of the same file compare equal.
  friend bool operator==(const Decision& a, const Decision& b);
};

// One JSON line, no trailing newline, keys in this order:
//   id, outcome, site, method, rate_ppm, grade, rule, matched, reasons (holds only),
//   ruleset, ruleset_sha256, draws {select, site, method: those used, 16 lower-case hex}.
// site and method are null on a release. Strings are escaped as JSON requires (", \, control
// characters); other bytes, including any UTF-8, are copied as they are.
std::string DecisionToJson(const Decision& d);
// Appends the same line to *out (reusing its capacity).
void AppendDecisionJson(const Decision& d, std::string* out);

// Decides one declaration under `ruleset` without an Engine (replay, what-if, tests).
// `profile` null means the enterprise has no profile (SPEC §2.1). Errors (kInvalidArgument):
// the profile's grade is not declared by the ruleset; the declaration lacks a field the
// ruleset reads; `id` is empty; `hs` is not 6 to 10 digits. Thread-safe.
absl::StatusOr<Decision> Decide(const std::shared_ptr<const CompiledRuleset>& ruleset,
                                const SelectionKey& key, const Declaration& declaration,
                                const Profile* profile);

// ---------------------------------------------------------------------------------------------
// An Engine holds the selection key and the live compiled ruleset.
//
// Thread-safety: every method may be called from many threads at once. Decide/DecideBatch
// never wait for a compile (compiling happens before Swap, in the caller) and never block
// behind each other. Each call reads the live ruleset once and uses it for the whole call, so
// a call (a whole batch, too) sees the old or the new ruleset, never a mix.
//
// How: the live ruleset sits behind a mutex together with a generation number that is
// unique across all engines of the process. Each thread caches (thread_local) the
// shared_ptr of the generation it last used; a decision reads the atomic generation and, when
// it matches its cache, uses the cached ruleset without touching the mutex or any reference
// count. After a Swap each thread takes the mutex once (for a pointer copy) to refresh. A
// consequence: a thread that has stopped deciding keeps the ruleset it last used (up to four,
// one per engine it used most recently) alive until it decides again or exits.
// docs/PERFORMANCE.md (engine section) compares this with std::atomic<std::shared_ptr> under
// contention.
class Engine {
 public:
  // `initial` must not be null.
  Engine(const SelectionKey& key, std::shared_ptr<const CompiledRuleset> initial);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decides one declaration (see the free Decide above for the errors).
  absl::StatusOr<Decision> Decide(const Declaration& declaration, const Profile* profile) const;

  // The same, writing into *out and reusing its storage: in steady state this allocates
  // nothing and touches no shared reference count (out->ruleset is reassigned only when the
  // live ruleset changed). On error *out is unspecified.
  absl::Status DecideInto(const Declaration& declaration, const Profile* profile,
                          Decision* out) const;

  // Decides declarations[i] with profiles[i] (null = no profile), all under one ruleset.
  // results gets one entry per declaration; an input error affects only its own entry.
  // profiles.size() must equal declarations.size() (else kInvalidArgument and no results).
  absl::Status DecideBatch(absl::Span<const Declaration> declarations,
                           absl::Span<const Profile* const> profiles,
                           std::vector<absl::StatusOr<Decision>>* results) const;

  // The batch form of DecideInto: decides declarations[i] with profiles[i] into decisions[i]
  // (reusing its storage) and sets statuses[i], all under one ruleset. It prefetches the
  // profiles a few declarations ahead, so their cache misses overlap. The four spans must
  // have equal sizes (else kInvalidArgument and nothing is decided).
  absl::Status DecideBatchInto(absl::Span<const Declaration> declarations,
                               absl::Span<const Profile* const> profiles,
                               absl::Span<Decision> decisions,
                               absl::Span<absl::Status> statuses) const;

  // Makes `next` the live ruleset. Calls already running finish with the one they started
  // with. A null `next` is ignored with kInvalidArgument (the live ruleset stays).
  absl::Status Swap(std::shared_ptr<const CompiledRuleset> next);

  // The live ruleset.
  std::shared_ptr<const CompiledRuleset> Current() const;

  const SelectionKey& key() const { return key_; }

 private:
  // The live ruleset for this call: from the thread's cache when its generation is current.
  const std::shared_ptr<const CompiledRuleset>& Acquire() const;

  const SelectionKey key_;
  mutable std::mutex mu_;
  std::shared_ptr<const CompiledRuleset> current_;  // guarded by mu_
  std::atomic<uint64_t> generation_;                // written under mu_, read without
};

}  // namespace bukong::engine

#endif  // BUKONG_ENGINE_ENGINE_H_
