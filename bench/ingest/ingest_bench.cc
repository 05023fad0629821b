// Reader throughput: profile CSV / JSON Lines files read through ProfileReader::Open (real
// file I/O, page cache warm), and declaration JSON Lines parsed line by line.
//   build-ingest/bench/ingest/ingest_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ingest/declaration_json.h"
#include "ingest/profile_reader.h"

namespace bukong::ingest {
namespace {

constexpr int kRows = 1'000'000;

// A profile file shaped like generated data: 18-character ids, some flags, small counters.
const std::string& ProfileFile(ProfileFormat format) {
  static const std::string csv_path = [] {
    std::string path = "/tmp/bukong_ingest_bench_profiles.csv";
    std::ofstream out(path, std::ios::binary);
    out << "id,grade,registered,flags,inspections,hits\n";
    for (int i = 0; i < kRows; ++i) {
      out << fmt::format("91330200MA{:07d}X,{},20{:02d}-0{}-1{},{},{},{}\n", i,
                         i % 50 == 0 ? "dishonest" : "general", i % 22, 1 + i % 9, i % 10,
                         i % 100 == 0 ? "cold_chain_history;smuggling_watch" : "", 3 + i % 7,
                         i % 3);
    }
    return path;
  }();
  static const std::string json_path = [] {
    std::string path = "/tmp/bukong_ingest_bench_profiles.jsonl";
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < kRows; ++i) {
      out << fmt::format(
          "{{\"id\":\"91330200MA{:07d}X\",\"grade\":\"{}\",\"registered\":\"20{:02d}-0{}-1{}\","
          "\"flags\":[{}],\"inspections\":{},\"hits\":{}}}\n",
          i, i % 50 == 0 ? "dishonest" : "general", i % 22, 1 + i % 9, i % 10,
          i % 100 == 0 ? "\"cold_chain_history\",\"smuggling_watch\"" : "", 3 + i % 7, i % 3);
    }
    return path;
  }();
  return format == ProfileFormat::kCsv ? csv_path : json_path;
}

void ReadProfiles(benchmark::State& state, ProfileFormat format) {
  const std::string& path = ProfileFile(format);
  int64_t rows = 0;
  for (auto _ : state) {
    auto reader = ProfileReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError("cannot open");
      return;
    }
    ProfileRow row;
    ReadResult r;
    while ((r = (*reader)->Next(&row)) != ReadResult::kEnd) {
      if (r == ReadResult::kError) {
        state.SkipWithError((*reader)->FormatError(row).c_str());
        return;
      }
      ++rows;
    }
  }
  state.SetItemsProcessed(rows);
}

void BM_ProfileCsv(benchmark::State& state) { ReadProfiles(state, ProfileFormat::kCsv); }
void BM_ProfileJsonLines(benchmark::State& state) {
  ReadProfiles(state, ProfileFormat::kJsonLines);
}
BENCHMARK(BM_ProfileCsv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ProfileJsonLines)->Unit(benchmark::kMillisecond);

// One declaration line parsed with every field read (the strictest and slowest case).
void BM_DeclarationParse(benchmark::State& state) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1024; ++i) {
    lines.push_back(fmt::format(
        "{{\"id\":\"3100202100{:07d}\",\"enterprise\":\"91330200MA{:07d}X\",\"date\":"
        "\"2021-{:02d}-{:02d}\",\"direction\":\"{}\",\"hs\":\"8517.62.{:04d}\",\"origin\":"
        "\"{}\",\"trade_country\":\"{}\",\"port\":\"3100\",\"mode\":\"sea\",\"value\":"
        "{}.{:02d},\"weight\":{}.5,\"two_step\":{}}}",
        i, i * 37 % 100000, 1 + i % 12, 1 + i % 28, i % 3 ? "import" : "export", i % 10000,
        i % 2 ? "US" : "JP", i % 5 ? "US" : "KR", 1000 + i * 7919 % 1000000, i % 100, 10 + i % 900,
        i % 5 == 0 ? "true" : "false"));
  }
  DeclarationParser parser(AllDeclarationFields());
  Declaration d;
  size_t i = 0;
  for (auto _ : state) {
    absl::Status s = parser.Parse(lines[i++ & 1023], &d);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(d.value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeclarationParse);

}  // namespace
}  // namespace bukong::ingest

BENCHMARK_MAIN();
