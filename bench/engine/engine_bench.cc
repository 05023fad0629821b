// Decision throughput and latency with profiles in memory (no I/O, no audit log).
//   build-engine/bench/engine/bench_engine --benchmark_repetitions=5
//   (add --benchmark_report_aggregates_only=true for medians only)
// Workload: bench/engine/workload.h (seeded; 200 and 10,000 rules; 100,000 declarations).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>

#include "bench/engine/latency.h"
#include "bench/engine/workload.h"
#include "engine/engine.h"
#include "engine/internal/decide.h"
#include "engine/internal/plan.h"

namespace bukong::engine {
namespace {

constexpr int kDeclarations = 100'000;
constexpr int kProfiles = 10'000;

SelectionKey BenchKey() {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(0xa0 + i);
  return SelectionKey(bytes);
}

using Fixture = bench::EngineFixture<std::vector<Profile>>;

void BuildFixture(int rules, Fixture& f) {
  benchwork::Workload work(42);
  auto compiled = CompileRuleset(work.Rules(rules));
  if (!compiled.ok()) std::abort();
  f.ruleset = *compiled;
  f.profiles = work.Profiles(kProfiles);
  for (int i = 0; i < kDeclarations; ++i) {
    f.declarations.push_back(work.MakeDeclaration(static_cast<uint64_t>(i)));
    const int e = work.Enterprise(kProfiles);
    f.profile_of.push_back(e < 0 ? nullptr : &f.profiles[static_cast<size_t>(e)]);
  }
  f.engine = std::make_unique<Engine>(BenchKey(), f.ruleset);
  f.shape = bench::MeasureShape(f);
}

Fixture& GetFixture(int rules) { return bench::CachedFixture<Fixture>(rules, BuildFixture); }

void Describe(benchmark::State& state, const Fixture& f) { bench::Describe(state, f.shape); }

// The library's fast path: Engine::DecideInto reusing one Decision.
void BM_DecideInto(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  Decision out;
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    benchmark::DoNotOptimize(f.engine->DecideInto(f.declarations[i], f.profile_of[i], &out));
  }
  Describe(state, f);
}
BENCHMARK(BM_DecideInto)->Arg(200)->Arg(10'000);
BENCHMARK(BM_DecideInto)->Arg(200)->Threads(2)->UseRealTime();

// Engine::Decide returning a fresh StatusOr<Decision> (copies the shared_ptr each time).
void BM_DecideValue(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    benchmark::DoNotOptimize(f.engine->Decide(f.declarations[i], f.profile_of[i]));
  }
  Describe(state, f);
}
BENCHMARK(BM_DecideValue)->Arg(200)->Arg(10'000);
BENCHMARK(BM_DecideValue)->Arg(200)->Threads(2)->UseRealTime();

// Decide and print the JSON line (what `decide` does per line, minus parsing and the audit).
void BM_DecideAndJson(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  Decision out;
  std::string line;
  size_t i = 0;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    if (!f.engine->DecideInto(f.declarations[i], f.profile_of[i], &out).ok()) std::abort();
    line.clear();
    AppendDecisionJson(out, &line);
    benchmark::DoNotOptimize(line.data());
  }
  Describe(state, f);
}
BENCHMARK(BM_DecideAndJson)->Arg(200)->Arg(10'000);

// Per-decision latency distribution (p50/p99/p99.9 in ns as counters; latency.h).
void BM_DecideLatency(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  bench::TimeEachDecision(state, f);
  Describe(state, f);
}
BENCHMARK(BM_DecideLatency)->Arg(200)->Arg(10'000)->Iterations(1'000'000);

// ----- The swap scheme under contention ------------------------------------------------------
// Engine's scheme (thread-local cached shared_ptr validated by an atomic generation) against
// loading a std::atomic<std::shared_ptr> per decision (libstdc++ 12: a spinlock pool plus a
// reference count increment and decrement on a shared control block).

std::atomic<std::shared_ptr<const CompiledRuleset>> g_atomic_slot;

void BM_AcquireAtomicSharedPtr(benchmark::State& state) {
  Fixture& f = GetFixture(200);
  if (state.thread_index() == 0) g_atomic_slot.store(f.ruleset);
  for (auto _ : state) {
    std::shared_ptr<const CompiledRuleset> p = g_atomic_slot.load();
    benchmark::DoNotOptimize(p.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcquireAtomicSharedPtr)->Threads(1)->Threads(2)->UseRealTime();

// Engine::Current() takes the mutex and copies the shared_ptr: the slow path of the cache.
void BM_AcquireMutexCopy(benchmark::State& state) {
  Fixture& f = GetFixture(200);
  for (auto _ : state) benchmark::DoNotOptimize(f.engine->Current().get());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcquireMutexCopy)->Threads(1)->Threads(2)->UseRealTime();

// A whole decision with the ruleset taken from std::atomic<std::shared_ptr> each time.
void BM_DecideAtomicSharedPtr(benchmark::State& state) {
  Fixture& f = GetFixture(200);
  if (state.thread_index() == 0) g_atomic_slot.store(f.ruleset);
  const SelectionKey key = BenchKey();
  Decision out;
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    std::shared_ptr<const CompiledRuleset> p = g_atomic_slot.load();
    benchmark::DoNotOptimize(
        engine::internal::DecideInto(*p, key, f.declarations[i], f.profile_of[i], &out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideAtomicSharedPtr)->Threads(1)->Threads(2)->UseRealTime();

// A whole decision with no acquisition at all (the floor both schemes are measured against).
void BM_DecidePlanOnly(benchmark::State& state) {
  Fixture& f = GetFixture(200);
  const SelectionKey key = BenchKey();
  Decision out;
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    benchmark::DoNotOptimize(engine::internal::DecideInto(*f.ruleset, key, f.declarations[i],
                                                             f.profile_of[i], &out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecidePlanOnly)->Threads(1)->Threads(2)->UseRealTime();

// Compiling rulesets (what a Swap costs the caller beforehand).
void BM_CompileRuleset(benchmark::State& state) {
  benchwork::Workload work(42);
  const ir::Ruleset rs = work.Rules(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(CompileRuleset(rs));
}
BENCHMARK(BM_CompileRuleset)->Arg(200)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bukong::engine

BENCHMARK_MAIN();
