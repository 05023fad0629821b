// Compiling rule files of the size risk officers write (and far beyond): a generated ruleset
// of N rules drawn from realistic templates (commodity sets, origin lists, value thresholds,
// flags, valid windows, holds, Chinese descriptions).
//
//   build/bench/dsl/bench_dsl_compile --benchmark_repetitions=5
//
// Goal (issue 2): 10,000 rules compile in under 1 s with under 200 MB peak memory. The
// peak_rss_mb counter is the process's peak resident set size (getrusage) after the run,
// which includes the generated text and Google Benchmark itself: an upper bound.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/compiler.h"

namespace bukong::dsl {
namespace {

// A deterministic ruleset with `rules` rules (the same text for the same count).
}  // namespace

std::string GenerateRuleset(int rules) {
  std::string out;
  out.reserve(static_cast<size_t>(rules) * 160 + 8192);
  out += "ruleset \"bench-generated\" version 1\n";
  out += "grade advanced  \"高级认证企业\" factor 0.2 ceiling 20%\n";
  out += "grade certified \"一般认证企业\" factor 0.5\n";
  out += "grade general   \"一般信用企业\" factor 1.0\n";
  out += "grade dishonest \"失信企业\"     floor 80%\n";
  out += "unknown enterprise grade general\n";
  out += "baseline 3% at port 50% destination 50% method nii 60%\n\n";
  constexpr int kSets = 60;
  // Commodity sets over disjoint chapter pairs: chapters, headings, subheadings, ranges.
  for (int s = 0; s < kSets; ++s) {
    int chapter = 1 + (s % 48) * 2;
    out += fmt::format(
        "commodity set_{} = hs {:02d}, {:02d}01..{:02d}05, {:02d}10.10, {:02d}20.90.10, "
        "\"{:02d}30\"\n",
        s, chapter, chapter + 1, chapter + 1, chapter + 1, chapter + 1, chapter + 1);
  }
  out += "\n";
  static constexpr const char* kOrigins[] = {"US", "JP", "KR", "DE", "AU", "VN", "BR", "RU",
                                             "NO", "CL", "IN", "TH", "MY", "ID", "FR", "IT"};
  static constexpr const char* kFlags[] = {"cold_chain_history", "price_undervaluation",
                                           "ip_infringement", "origin_fraud", "smuggling_watch"};
  for (int i = 0; i < rules; ++i) {
    int set = i % kSets;
    int rate = 1 + i % 40;
    switch (i % 8) {
      case 0:
        out += fmt::format(
            "rule r{} \"进口冷链食品口岸查验 {}\"\n  when direction = import and commodity in "
            "set_{}\n"
            "  then rate {}% at port 100% method manual\n",
            i, i, set, rate);
        break;
      case 1:
        out += fmt::format(
            "rule r{}\n  when commodity in set_{} and origin in [{}, {}, \"{}\"] and value > "
            "{}_000\n  then rate {}.5% at port 60% destination 40% method nii 70%\n",
            i, set, kOrigins[i % 16], kOrigins[(i + 3) % 16], kOrigins[(i + 7) % 16], 10 + i % 90,
            rate);
        break;
      case 2:
        out += fmt::format(
            "rule r{} valid 2021-{:02d}-01..2021-12-31\n  when enterprise.flags has \"{}\" and "
            "hs in [{:02d}04.10, {:02d}02..{:02d}06]\n  then rate {}% fixed\n",
            i, 1 + i % 12, kFlags[i % 5], 1 + i % 97, 1 + i % 97, 1 + i % 97, rate);
        break;
      case 3:
        out += fmt::format(
            "rule r{}\n  when enterprise.hits >= {} or enterprise.hit_rate > {}%\n"
            "  then rate 50% fixed\n",
            i, 2 + i % 5, 10 + i % 30);
        break;
      case 4:
        out += fmt::format(
            "rule r{}\n  when not (mode = post or mode = air) and weight > 1_000.5 and grade != "
            "advanced and commodity not in set_{}\n  then rate {}% at destination 30% method nii\n",
            i, set, rate);
        break;
      case 5:
        out += fmt::format(
            "rule r{} \"campaign {}\"\n  when date >= 2021-06-01 and port in [\"3100\", \"2200\"] "
            "and two_step = true\n  then rate {}.25%\n",
            i, i, rate);
        break;
      case 6:
        out += fmt::format(
            "rule r{}\n  when enterprise.age_days < 180 and value > 100_000 and trade_country "
            "not in [HK, SG, AE]\n  then rate {}%\n",
            i, rate);
        break;
      case 7:
        out += fmt::format(
            "rule r{}\n  when origin = KP or (enterprise.flags has \"{}\" and direction = export)\n"
            "  then hold \"referred to anti-smuggling ({})\"\n",
            i, kFlags[(i / 8) % 5], i);
        break;
    }
  }
  return out;
}

namespace {

double PeakRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void BM_CompileGeneratedRuleset(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const std::string text = GenerateRuleset(rules);
  size_t compiled_rules = 0;
  for (auto _ : state) {
    CompileResult result = Compile(text, "generated.rules");
    if (!result.ruleset) {
      state.SkipWithError(FormatDiagnostic("generated.rules", text, result.diagnostics[0]).c_str());
      return;
    }
    compiled_rules = result.ruleset->rules.size();
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["rules"] = static_cast<double>(compiled_rules);
  state.counters["source_mb"] = static_cast<double>(text.size()) / (1 << 20);
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_CompileGeneratedRuleset)
    ->Arg(100)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bukong::dsl

// `bench_dsl_compile --write-ruleset N FILE` writes the generated ruleset (for measuring
// `bukong check` with /usr/bin/time -v); otherwise the usual Google Benchmark main.
int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--write-ruleset") {
    std::string text = bukong::dsl::GenerateRuleset(std::atoi(argv[2]));
    FILE* file = std::fopen(argv[3], "wb");
    if (file == nullptr) return 1;
    std::fwrite(text.data(), 1, text.size(), file);
    return std::fclose(file) == 0 ? 0 : 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
