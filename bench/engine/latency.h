// What the engine benchmarks share: their fixture (built once per rule count), per-decision
// latency samples (nanoseconds) and their quantiles, so that every program measures and
// reports p50/p99/p99.9 the same way (nearest rank), and the shape of the workload they
// report beside the time.
#ifndef BUKONG_BENCH_ENGINE_LATENCY_H_
#define BUKONG_BENCH_ENGINE_LATENCY_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "engine/internal/decide.h"
#include "engine/internal/plan.h"

namespace bukong::bench {

// The q-quantile (0 <= q <= 1) of `sorted`, by nearest rank; 0 when there are no samples.
inline double Quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  return static_cast<double>(
      sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))]);
}

// Sorts `samples` and reports them as the benchmark's p50_ns, p99_ns, p999_ns and max_ns.
inline void SetLatencyCounters(benchmark::State& state, std::vector<int64_t>& samples) {
  std::sort(samples.begin(), samples.end());
  state.counters["p50_ns"] = Quantile(samples, 0.50);
  state.counters["p99_ns"] = Quantile(samples, 0.99);
  state.counters["p999_ns"] = Quantile(samples, 0.999);
  state.counters["max_ns"] = Quantile(samples, 1.0);
}

// The loop of the latency benchmarks: decides the fixture's declarations in turn, timing each
// DecideInto with steady_clock (the ~20 ns of the two clock reads are included), and reports
// the quantiles. A Fixture has `engine`, `declarations` and `profile_of` (one per declaration).
template <typename Fixture>
void TimeEachDecision(benchmark::State& state, const Fixture& f) {
  engine::Decision out;
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  size_t i = 0;
  for (auto _ : state) {
    i = i + 1 == f.declarations.size() ? 0 : i + 1;
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(f.engine->DecideInto(f.declarations[i], f.profile_of[i], &out));
    const auto stop = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }
  SetLatencyCounters(state, samples);
}

// What the engine benchmarks report about their workload besides time: matching rules,
// candidates the index offered, and the inspected share, per declaration.
struct WorkloadShape {
  double matched = 0, candidates = 0, inspected = 0;
  double index_mb = 0;  // the candidate index's bitsets and summaries
};

// Decides every declaration of the fixture once (untimed) to measure its WorkloadShape.
template <typename Fixture>
WorkloadShape MeasureShape(const Fixture& f) {
  WorkloadShape shape;
  engine::Decision out;
  for (size_t i = 0; i < f.declarations.size(); ++i) {
    size_t candidates = 0;
    if (!engine::internal::DecideInto(*f.ruleset, f.engine->key(), f.declarations[i],
                                         f.profile_of[i], &out, &candidates).ok())
      std::abort();
    shape.matched += static_cast<double>(out.matched.size());
    shape.candidates += static_cast<double>(candidates);
    shape.inspected += out.outcome == engine::Outcome::kInspect ? 1 : 0;
  }
  const double n = static_cast<double>(std::max<size_t>(f.declarations.size(), 1));
  shape.matched /= n;
  shape.candidates /= n;
  shape.inspected /= n;
  const engine::internal::CandidateIndex& index = engine::internal::PlanOf(*f.ruleset).index;
  size_t words = index.all_rules.size() + index.flag_requires.size();
  for (const engine::internal::IndexDimension& dim : index.dimensions) words += dim.bits.size() + dim.summary.size();
  shape.index_mb = static_cast<double>(words * sizeof(uint64_t)) / 1e6;
  return shape;
}

// Items processed and the shape, as the benchmark's counters (averaged, not summed, over
// the threads of a multi-threaded run).
inline void Describe(benchmark::State& state, const WorkloadShape& shape) {
  state.SetItemsProcessed(state.iterations());
  using benchmark::Counter;
  state.counters["matched/decl"] = Counter(shape.matched, Counter::kAvgThreads);
  state.counters["candidates/decl"] = Counter(shape.candidates, Counter::kAvgThreads);
  state.counters["inspected"] = Counter(shape.inspected, Counter::kAvgThreads);
  state.counters["index_MB"] = Counter(shape.index_mb, Counter::kAvgThreads);
}

// What an engine benchmark decides over: a compiled ruleset, parsed declarations, the profile
// of each one's enterprise (nullptr: none), an engine and the workload's shape. `Profiles` is
// how the program keeps its profiles; profile_of points into it.
template <typename Profiles>
struct EngineFixture {
  std::shared_ptr<const engine::CompiledRuleset> ruleset;
  std::vector<Declaration> declarations;
  Profiles profiles;
  std::vector<const Profile*> profile_of;
  std::unique_ptr<engine::Engine> engine;
  WorkloadShape shape;
};

// The fixture for `rules` rules: built by `build(rules, fixture)` on first use, then kept
// for every later benchmark of the program (building one takes seconds).
template <typename Fixture, typename Build>
Fixture& CachedFixture(int rules, Build build) {
  static std::map<int, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& slot = fixtures[rules];
  if (!slot) {
    slot = std::make_unique<Fixture>();
    build(rules, *slot);
  }
  return *slot;
}

}  // namespace bukong::bench

#endif  // BUKONG_BENCH_ENGINE_LATENCY_H_
