// Per-decision latency samples (nanoseconds) and their quantiles, shared by the engine
// benchmarks so that every program measures and reports p50/p99/p99.9 the same way (nearest
// rank).
#ifndef BUKONG_BENCH_ENGINE_LATENCY_H_
#define BUKONG_BENCH_ENGINE_LATENCY_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/engine.h"

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
  Decision out;
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

}  // namespace bukong::bench

#endif  // BUKONG_BENCH_ENGINE_LATENCY_H_
