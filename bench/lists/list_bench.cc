// Lists (SPEC §7.1) in the engine.
//
//   build/bench/lists/bench_lists --benchmark_repetitions=3
//
// BM_BindEnterpriseList/1000000: a 1,000,000-entry enterprise list read from the database
//   (storage::ScanListVersion, which re-hashes the entries) into an engine::ListVersion and
//   bound by engine::CompileRuleset. Counter `bind_MB`: heap bytes held (glibc mallinfo2) by
//   the bound ruleset and its list version, measured on the first iteration. Target: under
//   1 s and under 200 MB.
// BM_Decide/with_lists vs BM_Decide/literal_lists: the generated 200-rule v2 ruleset
//   (gen rules --v2) deciding 100,000 generated declarations, its list lookups bound to the
//   generated lists, against the same ruleset text with each `in LIST` written out as a
//   literal list `in [...]` of the same entries. Target: with lists within 10% of without.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "dsl/compiler.h"
#include "engine/engine.h"
#include "gen/declarations.h"
#include "gen/lists.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"
#include "ingest/list_reader.h"
#include "storage/lists.h"
#include "storage/store.h"

namespace bukong::engine {
namespace {

constexpr uint64_t kSeed = 42;

// Bytes held by malloc now (in use in the heap plus mmapped blocks): what a structure costs,
// whether or not freed pages from earlier setup are reused (the resident set would not show it).
double HeldMb() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / (1024.0 * 1024.0);
}

ir::Ruleset Checked(const std::string& text) {
  dsl::CompileResult r = dsl::Compile(text, "bench.rules");
  if (!r.ruleset || r.HasErrors()) {
    std::fprintf(stderr, "bench ruleset does not compile\n");
    std::abort();
  }
  return *std::move(r.ruleset);
}

void BM_BindEnterpriseList(benchmark::State& state) {
  const uint64_t entries = static_cast<uint64_t>(state.range(0));
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("bukong-bench-lists-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  if (!storage::InitStore(dir, {}).ok()) std::abort();
  auto store = storage::Store::Open(dir);
  if (!store.ok()) std::abort();
  {
    const gen::GeneratedList list =
        gen::GenerateLists({.seed = kSeed, .profiles = 100'000, .enterprises = entries})[0];
    std::istringstream in(list.text);
    auto read = ingest::ReadList(&in, list.file_name, ingest::ListType::kEnterprise);
    if (!read.ok() || !read->ok()) std::abort();
    storage::ListImport import{"watched", "enterprise", std::move(read->list->entries),
                               read->list->digest, 0};
    if (!storage::ImportList(**store, import).ok()) std::abort();
  }
  const ir::Ruleset rs = Checked(
      "ruleset \"bind\" version 1\ngrade general factor 1.0\nunknown enterprise grade general\n"
      "baseline 1%\nlist watched of enterprise\n"
      "rule w when enterprise in watched then rate 30%\n");
  const std::string digest = (*storage::GetList(**store, "watched"))->digest;
  bool first = true;
  for (auto _ : state) {
    const double before_mb = HeldMb();
    auto version = std::make_shared<ListVersion>(digest);
    version->Reserve(entries, entries * 19);
    if (!storage::ScanListVersion(**store, digest, [&](std::string_view e) { version->Add(e); })
             .ok())
      std::abort();
    auto compiled = CompileRuleset(rs, {{"watched", version}});
    if (!compiled.ok()) std::abort();
    benchmark::DoNotOptimize(compiled);
    if (first) {
      state.counters["bind_MB"] = HeldMb() - before_mb;
      first = false;
    }
  }
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BindEnterpriseList)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The 200-rule v2 ruleset with its lists bound, or with every lookup written as a literal list.
struct DecideFixture {
  std::shared_ptr<const CompiledRuleset> ruleset;
  std::vector<Declaration> declarations;
  absl::flat_hash_map<std::string, Profile> profiles;
};

std::string Literal(const gen::GeneratedList& list, const std::vector<std::string>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ", ";
    const bool quoted = list.type == "enterprise" || list.type == "port";
    out += quoted ? "\"" + entries[i] + "\"" : entries[i];
  }
  return out + "]";
}

const DecideFixture& Fixture(bool with_lists) {
  static std::map<bool, std::unique_ptr<DecideFixture>> fixtures;
  auto& slot = fixtures[with_lists];
  if (slot) return *slot;
  slot = std::make_unique<DecideFixture>();
  constexpr uint64_t kProfiles = 100'000, kDeclarations = 100'000;
  std::string text = gen::GenerateRuleset({.seed = kSeed, .rules = 200, .v2 = true});
  ListBindings bindings;
  for (const gen::GeneratedList& list : gen::GenerateLists({.seed = kSeed, .profiles = kProfiles})) {
    std::istringstream in(list.text);
    auto read = ingest::ReadList(&in, list.file_name, *ingest::ListTypeFromName(list.type));
    if (!read.ok() || !read->ok()) std::abort();
    if (with_lists) {
      auto v = std::make_shared<ListVersion>(read->list->digest);
      for (const auto& e : read->list->entries) v->Add(e);
      bindings.emplace(list.name, v);
    } else {
      const std::string declaration = "list " + list.name + " of " + list.type + "\n";
      text.erase(text.find(declaration), declaration.size());
      const std::string lookup = " in " + list.name;
      const std::string literal = " in " + Literal(list, read->list->entries);
      for (size_t at = text.find(lookup); at != std::string::npos; at = text.find(lookup, at)) {
        text.replace(at, lookup.size(), literal);
        at += literal.size();
      }
    }
  }
  auto compiled = CompileRuleset(Checked(text), std::move(bindings));
  if (!compiled.ok()) std::abort();
  slot->ruleset = *compiled;
  gen::ProfileGenerator profiles({.seed = kSeed, .count = kProfiles});
  for (uint64_t i = 0; i < kProfiles; ++i) {
    Profile p = profiles.At(i);
    slot->profiles.emplace(p.id, std::move(p));
  }
  gen::DeclarationGenerator declarations(
      {.seed = kSeed, .count = kDeclarations, .profiles = kProfiles});
  ingest::DeclarationParser parser(slot->ruleset->ir().fields_read);
  std::string line;
  for (uint64_t i = 0; i < kDeclarations; ++i) {
    line.clear();
    declarations.AppendJsonLine(i, &line);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    Declaration d;
    if (!parser.Parse(line, &d).ok()) std::abort();
    slot->declarations.push_back(std::move(d));
  }
  return *slot;
}

void BM_Decide(benchmark::State& state, bool with_lists) {
  const DecideFixture& f = Fixture(with_lists);
  const SelectionKey key(std::array<uint8_t, 16>{1, 2, 3});
  Engine engine(key, f.ruleset);
  Decision d;
  size_t i = 0;
  for (auto _ : state) {
    const Declaration& declaration = f.declarations[i];
    auto it = f.profiles.find(declaration.enterprise);
    const Profile* p = it == f.profiles.end() ? nullptr : &it->second;
    benchmark::DoNotOptimize(engine.DecideInto(declaration, p, &d));
    if (++i == f.declarations.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
// Alternating, so that a change of machine load hits both alike.
BENCHMARK_CAPTURE(BM_Decide, with_lists, true)->MinTime(2);
BENCHMARK_CAPTURE(BM_Decide, literal_lists, false)->MinTime(2);
BENCHMARK_CAPTURE(BM_Decide, with_lists_again, true)->MinTime(2);
BENCHMARK_CAPTURE(BM_Decide, literal_lists_again, false)->MinTime(2);

}  // namespace
}  // namespace bukong::engine

BENCHMARK_MAIN();
