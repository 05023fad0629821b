// Generator throughput (what `bukong gen` costs before I/O).
//   build/bench/gen/gen_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "gen/declarations.h"
#include "gen/profiles.h"
#include "gen/rules.h"

namespace bukong::gen {
namespace {

void BM_GenerateProfileRow(benchmark::State& state) {
  ProfileGenerator generator({.seed = 1, .count = 1'000'000});
  std::string out;
  uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    ProfileGenerator::AppendCsvRow(generator.At(i++), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateProfileRow);

void BM_GenerateDeclarationLine(benchmark::State& state) {
  DeclarationGenerator generator({.seed = 1, .count = 10'000'000, .profiles = 1'000'000});
  std::string out;
  uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    generator.AppendJsonLine(i++, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateDeclarationLine);

void BM_GenerateRuleset(benchmark::State& state) {
  for (auto _ : state) {
    std::string text = GenerateRuleset({.seed = 1, .rules = static_cast<uint64_t>(state.range(0))});
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_GenerateRuleset)->Arg(200)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bukong::gen

BENCHMARK_MAIN();
