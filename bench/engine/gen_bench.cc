// Decisions on traffic from the project's generator (gen/): ruleset TEXT compiled by the
// real compiler, declarations parsed from generated JSON Lines beforehand, profiles in a
// hash map in memory. Measures the engine alone (parsing and the audit log are outside the
// timed loop), with and without the profile lookup.
//   build-engine/bench/engine/bench_engine_gen --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "bench/engine/latency.h"
#include "engine/compile_text.h"
#include "engine/engine.h"
#include "engine/internal/decide.h"
#include "engine/internal/plan.h"
#include "gen/declarations.h"
#include "gen/profiles.h"
#include "gen/rules.h"
#include "ingest/declaration_json.h"

namespace bukong::engine {
namespace {

constexpr uint64_t kSeed = 42;
constexpr uint64_t kProfiles = 100'000;
constexpr uint64_t kDeclarations = 100'000;

using Fixture = bench::EngineFixture<absl::flat_hash_map<std::string, Profile>>;

void BuildFixture(int rules, Fixture& f) {
  gen::RulesetOptions ro;
  ro.seed = kSeed;
  ro.rules = static_cast<uint64_t>(rules);
  const std::string text = gen::GenerateRuleset(ro);
  CompileTextResult compiled = CompileRulesetText(text, "gen.rules");
  if (!compiled.ok()) {
    std::fprintf(stderr, "generated ruleset does not compile (%zu diagnostics)\n",
                 compiled.diagnostics.size());
    std::abort();
  }
  f.ruleset = compiled.ruleset;
  gen::ProfileOptions po;
  po.seed = kSeed;
  po.count = kProfiles;
  gen::ProfileGenerator profiles(po);
  for (uint64_t i = 0; i < kProfiles; ++i) {
    Profile p = profiles.At(i);
    f.profiles.emplace(p.id, std::move(p));
  }
  gen::DeclarationOptions dopt;
  dopt.seed = kSeed;
  dopt.count = kDeclarations;
  dopt.profiles = kProfiles;
  gen::DeclarationGenerator declarations(dopt);
  ingest::DeclarationParser parser(f.ruleset->FieldsRead());
  std::string line;
  for (uint64_t i = 0; i < kDeclarations; ++i) {
    line.clear();
    declarations.AppendJsonLine(i, &line);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    Declaration d;
    if (!parser.Parse(line, &d).ok()) std::abort();
    f.declarations.push_back(std::move(d));
  }
  for (const Declaration& d : f.declarations) {
    auto it = f.profiles.find(d.enterprise);
    f.profile_of.push_back(it == f.profiles.end() ? nullptr : &it->second);
  }
  f.engine = std::make_unique<Engine>(SelectionKey::Generate(), f.ruleset);
  f.shape = bench::MeasureShape(f);
}

Fixture& GetFixture(int rules) { return bench::CachedFixture<Fixture>(rules, BuildFixture); }

void Describe(benchmark::State& state, const Fixture& f) { bench::Describe(state, f.shape); }

void BM_GenDecideInto(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  Decision out;
  size_t i = 0;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    benchmark::DoNotOptimize(f.engine->DecideInto(f.declarations[i], f.profile_of[i], &out));
  }
  Describe(state, f);
}
BENCHMARK(BM_GenDecideInto)->Arg(200)->Arg(10'000);

// DecideBatchInto over batches of 64 (profiles prefetched a few declarations ahead).
void BM_GenDecideBatchInto(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  constexpr size_t kBatch = 64;
  std::vector<Decision> out(kBatch);
  std::vector<absl::Status> statuses(kBatch);
  size_t i = 0;
  for (auto _ : state) {
    if (i + kBatch > f.declarations.size()) i = 0;
    benchmark::DoNotOptimize(f.engine->DecideBatchInto(
        absl::MakeConstSpan(f.declarations.data() + i, kBatch),
        absl::MakeConstSpan(f.profile_of.data() + i, kBatch), absl::MakeSpan(out),
        absl::MakeSpan(statuses)));
    i += kBatch;
  }
  Describe(state, f);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_GenDecideBatchInto)->Arg(200)->Arg(10'000);

// Including the in-memory profile lookup by enterprise id.
void BM_GenLookupAndDecide(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  Decision out;
  size_t i = 0;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    const Declaration& d = f.declarations[i];
    auto it = f.profiles.find(d.enterprise);
    benchmark::DoNotOptimize(
        f.engine->DecideInto(d, it == f.profiles.end() ? nullptr : &it->second, &out));
  }
  Describe(state, f);
}
BENCHMARK(BM_GenLookupAndDecide)->Arg(200)->Arg(10'000);

void BM_GenDecideLatency(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  bench::TimeEachDecision(state, f);
  Describe(state, f);
}
BENCHMARK(BM_GenDecideLatency)->Arg(200)->Arg(10'000)->Iterations(1'000'000);

void BM_GenCompileText(benchmark::State& state) {
  gen::RulesetOptions ro;
  ro.seed = kSeed;
  ro.rules = static_cast<uint64_t>(state.range(0));
  const std::string text = gen::GenerateRuleset(ro);
  for (auto _ : state) benchmark::DoNotOptimize(CompileRulesetText(text, "gen.rules"));
}
BENCHMARK(BM_GenCompileText)->Arg(200)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bukong::engine

BENCHMARK_MAIN();
