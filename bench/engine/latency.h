// Per-decision latency samples (nanoseconds) and their quantiles, shared by the engine
// benchmarks so that every program reports p50/p99/p99.9 the same way (nearest rank).
#ifndef BUKONG_BENCH_ENGINE_LATENCY_H_
#define BUKONG_BENCH_ENGINE_LATENCY_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

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

}  // namespace bukong::bench

#endif  // BUKONG_BENCH_ENGINE_LATENCY_H_
