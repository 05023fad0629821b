#include "engine/engine.h"

#include <sodium.h>

#include <charconv>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "engine/internal/decide.h"
#include "engine/internal/plan.h"

namespace bukong::engine {

// ---------------------------------------------------------------------------------------------
// CompiledRuleset

CompiledRuleset::CompiledRuleset() : plan_(std::make_unique<internal::Plan>()) {}
CompiledRuleset::~CompiledRuleset() = default;

const internal::Plan& internal::PlanOf(const CompiledRuleset& compiled) { return *compiled.plan_; }

std::optional<uint32_t> CompiledRuleset::FindGrade(std::string_view name) const {
  auto it = plan_->grade_ids.find(ToAbsl(name));
  if (it == plan_->grade_ids.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> CompiledRuleset::FindRule(std::string_view name) const {
  auto it = plan_->rule_ids.find(ToAbsl(name));
  if (it == plan_->rule_ids.end()) return std::nullopt;
  return it->second;
}

namespace {

// SPEC §7.1: replaces every lookup in a country, port or hs list by the bound entries (a
// symbol set or HS intervals, which the plan and the candidate index already know); lookups
// in enterprise lists stay (the plan keeps a hash set per enterprise list).
//
// `enterprise = "X"` and `enterprise in ["X", ...]` (literal lists) become lookups in extra
// enterprise sets, appended to `literal_sets` (their index continues after the declared lists).
absl::Status BindListLookups(ir::Condition& c, const ir::Ruleset& rs,
                             const std::vector<const ListVersion*>& bound,
                             std::vector<std::vector<std::string>>* literal_sets) {
  using K = ir::Condition::Kind;
  for (ir::Condition& child : c.children)
    BUKONG_RETURN_IF_ERROR(BindListLookups(child, rs, bound, literal_sets));
  if (c.kind == K::kSymbolIn && c.field == ir::Field::kEnterprise) {
    c.kind = K::kListIn;
    c.list = static_cast<uint32_t>(rs.lists.size() + literal_sets->size());
    literal_sets->push_back(std::move(c.symbols));
    c.symbols.clear();
    return absl::OkStatus();
  }
  if (c.kind != K::kListIn) return absl::OkStatus();
  if (c.list >= rs.lists.size()) return absl::InvalidArgumentError("list index out of range");
  const ir::ListDecl& decl = rs.lists[c.list];
  const ListVersion& v = *bound[c.list];
  const bool fits = decl.type == ir::ListType::kEnterprise ? c.field == ir::Field::kEnterprise
                    : decl.type == ir::ListType::kCountry
                        ? c.field == ir::Field::kOrigin || c.field == ir::Field::kTradeCountry
                    : decl.type == ir::ListType::kPort ? c.field == ir::Field::kPort
                                                       : c.field == ir::Field::kHs;
  if (!fits)
    return absl::InvalidArgumentError(Cat("list ", decl.name, " of ", ir::ListTypeName(decl.type),
                                          " looked up by ", ir::FieldName(c.field)));
  switch (decl.type) {
    case ir::ListType::kEnterprise:
      return absl::OkStatus();
    case ir::ListType::kCountry:
    case ir::ListType::kPort:
      c.kind = K::kSymbolIn;
      c.symbols.clear();
      for (size_t i = 0; i < v.size(); ++i) c.symbols.emplace_back(v.entry(i));
      break;
    case ir::ListType::kHs:
      c.kind = K::kHsIn;
      c.hs_ranges.clear();
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string code(v.entry(i));
        c.hs_ranges.push_back({code, code});
      }
      break;
  }
  // An empty list matches nothing: `in` is false, `not in` true.
  if (v.size() == 0) {
    const bool holds = c.negated;
    c = ir::Condition();
    if (!holds) {
      ir::Condition t;
      c.kind = K::kNot;
      c.children.push_back(std::move(t));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompiledRuleset>> CompileRuleset(ir::Ruleset ruleset,
                                                                      ListBindings lists) {
  std::shared_ptr<CompiledRuleset> compiled(new CompiledRuleset());
  // Bind the lists (SPEC §7.1) before anything reads the conditions.
  std::vector<const ListVersion*> bound;
  for (const ir::ListDecl& decl : ruleset.lists) {
    auto it = lists.find(decl.name);
    if (it == lists.end() || it->second == nullptr)
      return absl::InvalidArgumentError(Cat("list ", decl.name, " is not bound to a version"));
    bound.push_back(it->second.get());
  }
  if (lists.size() != bound.size())
    return absl::InvalidArgumentError("a bound list is not declared by the ruleset");
  // The plan is built from a copy whose list lookups are replaced by the bound entries; ir()
  // keeps the conditions as written (so the ruleset can be bound again to other versions).
  std::optional<ir::Ruleset> bound_ir;
  std::vector<std::vector<std::string>> literal_sets;
  if (!ruleset.lists.empty() || ruleset.Reads(ir::Field::kEnterprise)) {
    bound_ir = ruleset;
    for (ir::Rule& rule : bound_ir->rules)
      BUKONG_RETURN_IF_ERROR(BindListLookups(rule.when, *bound_ir, bound, &literal_sets));
  }
  internal::Plan& plan0 = *compiled->plan_;
  plan0.enterprise_lists.resize(ruleset.lists.size() + literal_sets.size());
  for (size_t i = 0; i < ruleset.lists.size(); ++i) {
    if (ruleset.lists[i].type != ir::ListType::kEnterprise) continue;
    auto& set = plan0.enterprise_lists[i];
    set.reserve(bound[i]->size());
    for (size_t k = 0; k < bound[i]->size(); ++k) set.insert(bound[i]->entry(k));
  }
  // Literal enterprise lists: their strings live in the rewritten IR, which is dropped after
  // the plan is built, so the plan keeps its own copies.
  plan0.literal_enterprises = std::move(literal_sets);
  for (size_t i = 0; i < plan0.literal_enterprises.size(); ++i) {
    auto& set = plan0.enterprise_lists[ruleset.lists.size() + i];
    for (const std::string& e : plan0.literal_enterprises[i]) set.insert(e);
  }
  if (!ruleset.lists.empty()) {
    plan0.lists_json = ",\"lists\":{";
    for (size_t i = 0; i < ruleset.lists.size(); ++i) {
      if (i) plan0.lists_json.push_back(',');
      plan0.lists_json += JsonString(ruleset.lists[i].name);
      plan0.lists_json += ':';
      plan0.lists_json += JsonString(std::string_view(bound[i]->digest()).substr(0, 16));
    }
    plan0.lists_json.push_back('}');
  }
  compiled->lists_ = std::move(lists);

  compiled->ir_ = std::move(ruleset);
  compiled->id_ = compiled->ir_.Id();
  for (const ir::Rule& rule : compiled->ir_.rules)
    ir::AddFieldsNamedBy(rule.when, &compiled->ir_.fields_read);
  BUKONG_RETURN_IF_ERROR(internal::BuildPlan(bound_ir ? *bound_ir : compiled->ir_,
                                             compiled->ir_.fields_read, compiled->plan_.get()));
  internal::Plan& plan = *compiled->plan_;
  for (const ir::Rule& rule : compiled->ir_.rules) {
    plan.rule_ids.try_emplace(rule.name, static_cast<uint32_t>(plan.rule_name_json.size()));
    plan.rule_name_json.push_back(JsonString(rule.name));
    plan.hold_reason_json.push_back(rule.then.hold ? JsonString(rule.then.hold_reason) : "");
  }
  for (const auto& grade : compiled->ir_.grades)
    plan.grade_name_json.push_back(JsonString(grade.name));
  plan.ruleset_json = ",\"ruleset\":" + JsonString(compiled->id_) +
                      ",\"ruleset_sha256\":" + JsonString(compiled->Sha256());
  return std::shared_ptr<const CompiledRuleset>(std::move(compiled));
}

// ---------------------------------------------------------------------------------------------
// Decision

const char* SiteName(ir::Site s) { return s == ir::Site::kPort ? "port" : "destination"; }
const char* MethodName(ir::Method m) { return m == ir::Method::kNii ? "nii" : "manual"; }

std::string_view Decision::GradeName() const { return ruleset->ir().grades[grade].name; }

std::string_view Decision::RuleName() const {
  return rule == kBaseline ? std::string_view("baseline")
                           : std::string_view(ruleset->ir().rules[rule].name);
}

std::vector<std::string_view> Decision::MatchedNames() const {
  std::vector<std::string_view> names;
  names.reserve(matched.size());
  for (uint32_t r : matched) names.push_back(ruleset->ir().rules[r].name);
  return names;
}

std::vector<std::string_view> Decision::Reasons() const {
  std::vector<std::string_view> reasons;
  if (outcome != Outcome::kHold) return reasons;
  for (uint32_t r : matched) {
    const ir::Rule& rule = ruleset->ir().rules[r];
    if (rule.then.hold) reasons.push_back(rule.then.hold_reason);
  }
  return reasons;
}

bool operator==(const Decision& a, const Decision& b) {
  if (a.id != b.id || a.outcome != b.outcome || a.site != b.site || a.method != b.method ||
      a.rate_ppm != b.rate_ppm || a.select_draw != b.select_draw || a.site_draw != b.site_draw ||
      a.method_draw != b.method_draw || a.sample_draw != b.sample_draw ||
      a.sampled != b.sampled || a.selected_by_sample != b.selected_by_sample)
    return false;
  if (a.ruleset == b.ruleset)
    return a.grade == b.grade && a.rule == b.rule && a.matched == b.matched;
  if (a.ruleset == nullptr || b.ruleset == nullptr) return false;
  return a.ruleset->Id() == b.ruleset->Id() && a.ruleset->Sha256() == b.ruleset->Sha256() &&
         a.GradeName() == b.GradeName() && a.RuleName() == b.RuleName() &&
         a.MatchedNames() == b.MatchedNames() && a.Reasons() == b.Reasons();
}

namespace {

// `"` + 16 lower-case hex digits + `"` (written by hand: fmt costs ~100 ns a draw here).
void AppendDraw(uint64_t v, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buffer[18];
  buffer[0] = buffer[17] = '"';
  for (int i = 16; i >= 1; --i, v >>= 4) buffer[i] = kHex[v & 15];
  out->append(buffer, sizeof(buffer));
}

}  // namespace

void AppendDecisionJson(const Decision& d, std::string* out) {
  const ir::Ruleset& rs = d.ruleset->ir();
  out->append("{\"id\":");
  AppendJsonString(*out, d.id);
  out->append(",\"outcome\":\"");
  out->append(OutcomeName(d.outcome));
  out->append("\",\"site\":");
  if (d.site) {
    out->push_back('"');
    out->append(SiteName(*d.site));
    out->push_back('"');
  } else {
    out->append("null");
  }
  out->append(",\"method\":");
  if (d.method) {
    out->push_back('"');
    out->append(MethodName(*d.method));
    out->push_back('"');
  } else {
    out->append("null");
  }
  out->append(",\"rate_ppm\":");
  char number[24];
  const auto [end, ec] = std::to_chars(number, number + sizeof(number), d.rate_ppm);
  out->append(number, static_cast<size_t>(end - number));
  // Names come pre-escaped from the plan (CompileRuleset); only the id is escaped here.
  const internal::Plan& plan = internal::PlanOf(*d.ruleset);
  out->append(",\"grade\":");
  out->append(plan.grade_name_json[d.grade]);
  out->append(",\"rule\":");
  out->append(d.rule == Decision::kBaseline ? std::string_view("\"baseline\"")
                                            : std::string_view(plan.rule_name_json[d.rule]));
  out->append(",\"matched\":[");
  for (size_t i = 0; i < d.matched.size(); ++i) {
    if (i) out->push_back(',');
    out->append(plan.rule_name_json[d.matched[i]]);
  }
  out->push_back(']');
  if (d.outcome == Outcome::kHold) {
    out->append(",\"reasons\":[");
    bool first = true;
    for (uint32_t r : d.matched) {
      if (!rs.rules[r].then.hold) continue;
      if (!first) out->push_back(',');
      first = false;
      out->append(plan.hold_reason_json[r]);
    }
    out->push_back(']');
  }
  if (d.sampled) {  // SPEC §7.3: only under a ruleset with a `sample` statement
    out->append(*d.sampled ? ",\"sampled\":true" : ",\"sampled\":false");
    if (d.outcome == Outcome::kInspect)
      out->append(d.selected_by_sample ? ",\"selected_by\":\"sample\""
                                       : ",\"selected_by\":\"risk\"");
  }
  out->append(plan.lists_json);  // SPEC §7.1: empty without lists
  out->append(plan.ruleset_json);
  out->append(",\"draws\":{");
  bool first = true;
  const std::pair<const char*, const std::optional<uint64_t>*> draws[] = {
      {"select", &d.select_draw},
      {"site", &d.site_draw},
      {"method", &d.method_draw},
      {"sample", &d.sample_draw}};
  for (const auto& [name, value] : draws) {
    if (!value->has_value()) continue;
    if (!first) out->push_back(',');
    first = false;
    out->push_back('"');
    out->append(name);
    out->append("\":");
    AppendDraw(**value, out);
  }
  out->append("}}");
}

std::string DecisionToJson(const Decision& d) {
  std::string out;
  out.reserve(256);
  AppendDecisionJson(d, &out);
  return out;
}

absl::StatusOr<Decision> Decide(const std::shared_ptr<const CompiledRuleset>& ruleset,
                                const SelectionKey& key, const Declaration& declaration,
                                const Profile* profile) {
  if (ruleset == nullptr) return absl::InvalidArgumentError("no ruleset");
  Decision d;
  BUKONG_RETURN_IF_ERROR(internal::DecideInto(*ruleset, key, declaration, profile, &d));
  d.ruleset = ruleset;
  return d;
}

// ---------------------------------------------------------------------------------------------
// Engine

namespace {

// Generation numbers are unique across every Engine of the process, so a thread's cache entry
// can be matched by generation alone, whatever engine filled it.
std::atomic<uint64_t> g_next_generation{1};

struct CacheEntry {
  uint64_t generation = 0;
  std::shared_ptr<const CompiledRuleset> ruleset;
};
struct ThreadCache {
  static constexpr int kEntries = 4;
  CacheEntry entries[kEntries];
  unsigned next = 0;
};
thread_local ThreadCache t_cache;

}  // namespace

Engine::Engine(const SelectionKey& key, std::shared_ptr<const CompiledRuleset> initial)
    : key_(key),
      current_(std::move(initial)),
      generation_(g_next_generation.fetch_add(1, std::memory_order_relaxed)) {
  if (sodium_init() < 0) std::abort();
}

Engine::~Engine() = default;

const std::shared_ptr<const CompiledRuleset>& Engine::Acquire() const {
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  for (CacheEntry& e : t_cache.entries)
    if (e.generation == generation) return e.ruleset;
  CacheEntry& e = t_cache.entries[t_cache.next++ % ThreadCache::kEntries];
  // The entry's old ruleset may be the last reference: release it outside the lock.
  std::shared_ptr<const CompiledRuleset> evicted = std::move(e.ruleset);
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.ruleset = current_;
    e.generation = generation_.load(std::memory_order_relaxed);
  }
  return e.ruleset;
}

absl::Status Engine::DecideInto(const Declaration& declaration, const Profile* profile,
                                Decision* out) const {
  const std::shared_ptr<const CompiledRuleset>& ruleset = Acquire();
  if (ruleset == nullptr) return absl::FailedPreconditionError("the engine has no ruleset");
  BUKONG_RETURN_IF_ERROR(internal::DecideInto(*ruleset, key_, declaration, profile, out));
  if (out->ruleset.get() != ruleset.get()) out->ruleset = ruleset;
  return absl::OkStatus();
}

absl::StatusOr<Decision> Engine::Decide(const Declaration& declaration,
                                        const Profile* profile) const {
  Decision d;
  BUKONG_RETURN_IF_ERROR(DecideInto(declaration, profile, &d));
  return d;
}

absl::Status Engine::DecideBatch(absl::Span<const Declaration> declarations,
                                 absl::Span<const Profile* const> profiles,
                                 std::vector<absl::StatusOr<Decision>>* results) const {
  if (declarations.size() != profiles.size())
    return absl::InvalidArgumentError(Cat("DecideBatch: ", declarations.size(),
                                          " declarations but ", profiles.size(), " profiles"));
  // One ruleset for the whole batch: copy it so a Swap during the batch cannot change it.
  const std::shared_ptr<const CompiledRuleset> ruleset = Acquire();
  results->clear();
  results->reserve(declarations.size());
  for (size_t i = 0; i < declarations.size(); ++i)
    results->push_back(::bukong::engine::Decide(ruleset, key_, declarations[i], profiles[i]));
  return absl::OkStatus();
}

absl::Status Engine::DecideBatchInto(absl::Span<const Declaration> declarations,
                                     absl::Span<const Profile* const> profiles,
                                     absl::Span<Decision> decisions,
                                     absl::Span<absl::Status> statuses) const {
  const size_t n = declarations.size();
  if (profiles.size() != n || decisions.size() != n || statuses.size() != n)
    return absl::InvalidArgumentError("DecideBatchInto: spans of different sizes");
  const std::shared_ptr<const CompiledRuleset>& ruleset = Acquire();
  if (ruleset == nullptr) return absl::FailedPreconditionError("the engine has no ruleset");
  constexpr size_t kAhead = 4;
  for (size_t i = 0; i < n && i < kAhead; ++i)
    if (profiles[i] != nullptr) __builtin_prefetch(profiles[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n && profiles[i + kAhead] != nullptr) {
      __builtin_prefetch(profiles[i + kAhead]);
      __builtin_prefetch(reinterpret_cast<const char*>(profiles[i + kAhead]) + 64);
    }
    statuses[i] = internal::DecideInto(*ruleset, key_, declarations[i], profiles[i], &decisions[i]);
    if (statuses[i].ok() && decisions[i].ruleset.get() != ruleset.get())
      decisions[i].ruleset = ruleset;
  }
  return absl::OkStatus();
}

absl::Status Engine::Swap(std::shared_ptr<const CompiledRuleset> next) {
  if (next == nullptr) return absl::InvalidArgumentError("Swap: null ruleset");
  const uint64_t generation = g_next_generation.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<const CompiledRuleset> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(current_);
    current_ = std::move(next);
    generation_.store(generation, std::memory_order_release);
  }
  return absl::OkStatus();  // `old` (maybe the last reference) is released here, unlocked
}

std::shared_ptr<const CompiledRuleset> Engine::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace bukong::engine
