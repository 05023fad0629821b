// Storage benchmarks (docs/PERFORMANCE.md):
//   BM_ImportProfilesCsv   10,000,000-row CSV through ingest::ProfileReader into a fresh
//                          database (goal < 60 s, < 1 GB peak RSS: run it alone, RSS is a
//                          process-wide maximum)
//   BM_GetProfile/tuned|plain  warm point lookups on 10,000,000 profiles, Zipf-like key
//                          choice (goal p50 <= 4 us, p99 <= 10 us); `plain` is a database
//                          written and read with RocksDB's bloom-filter defaults
//   BM_GetProfileMiss      lookups of enterprises without a profile
//   BM_AppendAudit/N       ~600-byte records, N per synced batch (goal >= 200,000/s)
//
//   build-storage/bench/storage/storage_bench --benchmark_filter=Import
//   build-storage/bench/storage/storage_bench --benchmark_filter='Get|Append'
// Environment: BUKONG_BENCH_PROFILES (default 10000000), BUKONG_BENCH_TMP (default /tmp).
// Every folder and file it creates is removed at exit.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ingest/profile_reader.h"
#include "storage/internal/encoding.h"
#include "storage/store.h"

namespace bukong::storage {
namespace {

uint64_t ProfileCount() {
  const char* env = std::getenv("BUKONG_BENCH_PROFILES");
  return env ? std::strtoull(env, nullptr, 10) : 10'000'000;
}

std::string TmpRoot() {
  const char* env = std::getenv("BUKONG_BENCH_TMP");
  return env ? env : "/tmp";
}

// Removes everything the benchmark created, at exit.
struct Cleanup {
  std::vector<std::string> paths;
  ~Cleanup() {
    std::error_code ignored;
    for (const auto& p : paths) std::filesystem::remove_all(p, ignored);
  }
};
Cleanup& Trash() {
  static Cleanup cleanup;
  return cleanup;
}

std::string FreshPath(std::string_view what) {
  static int counter = 0;
  std::string path =
      fmt::format("{}/bukong-storage-bench-{}-{}-{}", TmpRoot(), ::getpid(), what, counter++);
  std::filesystem::remove_all(path);
  Trash().paths.push_back(path);
  return path;
}

// Enterprise i's id: an 18-character unified social credit code shape.
std::string EnterpriseId(uint64_t i) { return fmt::format("91330200MA{:07d}X", i); }

constexpr const char* kGrades[] = {"advanced", "certified", "general", "general", "dishonest"};

// Row n of the file names enterprise (n * a) mod N: every id once, in scrambled order, so
// the import really has to sort.
uint64_t ScrambledIndex(uint64_t n, uint64_t count) { return (n * 2654435761ull) % count; }

const std::string& CsvFile() {
  static const std::string path = [] {
    const uint64_t count = ProfileCount();
    std::string file = FreshPath("profiles-csv");
    std::ofstream out(file, std::ios::binary);
    out << "id,grade,registered,flags,inspections,hits\n";
    std::string buf;
    for (uint64_t n = 0; n < count; ++n) {
      const uint64_t i = ScrambledIndex(n, count);
      const uint64_t inspections = i % 40;
      fmt::format_to(std::back_inserter(buf), "{},{},20{:02d}-{:02d}-{:02d},{},{},{}\n",
                     EnterpriseId(i), kGrades[i % 5], i % 24, 1 + i % 12, 1 + i % 28,
                     i % 13 == 0 ? "cold_chain;smuggling_watch" : (i % 7 == 0 ? "cold_chain" : ""),
                     inspections, inspections / 8);
      if (buf.size() > (1 << 20)) {
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    return file;
  }();
  return path;
}

class ReaderSource : public ProfileSource {
 public:
  explicit ReaderSource(ingest::ProfileReader& reader) : reader_(reader) {}
  absl::StatusOr<std::optional<Profile>> Next() override {
    switch (reader_.Next(&row_)) {
      case ingest::ReadResult::kRow:
        return std::optional<Profile>(row_.profile);
      case ingest::ReadResult::kError:
        return absl::InvalidArgumentError(reader_.FormatError(row_));
      case ingest::ReadResult::kEnd:
        break;
    }
    return std::optional<Profile>();
  }

 private:
  ingest::ProfileReader& reader_;
  ingest::ProfileRow row_;
};

// A database with every profile of the CSV file, imported with `options`.
std::string ImportedDatabase(const StoreOptions& options, double* seconds = nullptr) {
  const std::string& csv = CsvFile();
  const std::string dir = FreshPath(options.plain_profile_options ? "db-plain" : "db-tuned");
  if (!InitStore(dir, {}).ok()) std::abort();
  auto store = Store::Open(dir, options);
  if (!store.ok()) std::abort();
  auto reader = ingest::ProfileReader::Open(csv);
  if (!reader.ok()) std::abort();
  ReaderSource source(**reader);
  const auto start = std::chrono::steady_clock::now();
  auto stats = (*store)->ImportProfiles(source);
  if (seconds)
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!stats.ok()) {
    fmt::print(stderr, "import failed: {}\n", std::string(stats.status().message()));
    std::abort();
  }
  return dir;
}

void BM_ImportProfilesCsv(benchmark::State& state) {
  CsvFile();  // written before the clock starts
  for (auto _ : state) {
    double seconds = 0;
    ImportedDatabase(StoreOptions{}, &seconds);
    state.SetIterationTime(seconds);
  }
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  state.counters["profiles"] = static_cast<double>(ProfileCount());
  state.counters["peak_rss_MB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(ProfileCount()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ImportProfilesCsv)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

// Zipf-like ranks (density ~ 1/rank): a few enterprises declare most. Rank r maps to a
// scattered enterprise so hot ids are not neighbours on disk.
std::vector<std::string> ZipfKeys(size_t n, uint64_t count) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::string> keys;
  keys.reserve(n);
  const double log_count = std::log(static_cast<double>(count));
  for (size_t k = 0; k < n; ++k) {
    const uint64_t rank =
        std::min<uint64_t>(count - 1, static_cast<uint64_t>(std::exp(u(rng) * log_count)) - 1);
    keys.push_back(EnterpriseId((rank * 0x9E3779B97F4A7C15ull) % count));
  }
  return keys;
}

// The imported databases, shared by the lookup benchmarks and closed by main() before it
// returns (CloseStores): a Store destroyed during exit, after RocksDB's own statics, crashed.
std::unique_ptr<Store> stores[2];

Store& StoreFor(bool plain) {
  auto& slot = stores[plain ? 1 : 0];
  if (!slot) {
    StoreOptions options;
    options.plain_profile_options = plain;
    if (plain) options.row_cache_bytes = 0;
    const std::string dir = ImportedDatabase(options);
    auto store = Store::Open(dir, options);  // reopened: nothing left in the memtable
    if (!store.ok()) std::abort();
    if (!(*store)->CompactAll().ok()) std::abort();
    slot = std::move(store).value();
  }
  return *slot;
}

void Percentiles(benchmark::State& state, std::vector<double>& nanos) {
  if (nanos.empty()) return;
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) { return nanos[static_cast<size_t>(q * (nanos.size() - 1))] / 1000.0; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
}

void GetProfileBench(benchmark::State& state, bool plain) {
  Store& store = StoreFor(plain);
  static const std::vector<std::string> keys = ZipfKeys(1 << 20, ProfileCount());
  // Warm-up: one pass over the key sequence.
  for (const auto& k : keys) benchmark::DoNotOptimize(store.GetProfile(k));
  std::vector<double> nanos;
  nanos.reserve(1 << 22);
  size_t i = 0;
  uint64_t found = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ & (keys.size() - 1)];
    const auto start = std::chrono::steady_clock::now();
    auto profile = store.GetProfile(key);
    const auto end = std::chrono::steady_clock::now();
    found += profile.ok() && profile->has_value();
    if (nanos.size() < nanos.capacity())
      nanos.push_back(std::chrono::duration<double, std::nano>(end - start).count());
  }
  if (found != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("a profile was missing");
  Percentiles(state, nanos);
}
void BM_GetProfile_tuned(benchmark::State& state) { GetProfileBench(state, false); }
void BM_GetProfile_plain(benchmark::State& state) { GetProfileBench(state, true); }
BENCHMARK(BM_GetProfile_tuned)->MinTime(3.0);
BENCHMARK(BM_GetProfile_plain)->MinTime(3.0);

void BM_GetProfileMiss(benchmark::State& state) {
  Store& store = StoreFor(false);
  std::vector<double> nanos;
  nanos.reserve(1 << 22);
  uint64_t i = 0;
  for (auto _ : state) {
    const std::string key = fmt::format("91330200MB{:07d}X", i++ % 5'000'000);
    const auto start = std::chrono::steady_clock::now();
    auto profile = store.GetProfile(key);
    const auto end = std::chrono::steady_clock::now();
    if (!profile.ok() || profile->has_value()) state.SkipWithError("unexpected profile");
    if (nanos.size() < nanos.capacity())
      nanos.push_back(std::chrono::duration<double, std::nano>(end - start).count());
  }
  Percentiles(state, nanos);
}
BENCHMARK(BM_GetProfileMiss)->MinTime(2.0);

// ~600-byte audit records: a declaration line, a decision line and a profile snapshot.
AuditRecord BenchRecord(uint64_t n) {
  AuditRecord r;
  r.declaration_id = fmt::format("D2021{:010d}", n);
  r.enterprise = EnterpriseId(n % 100000);
  r.declaration = fmt::format(
      R"({{"id":"{}","enterprise":"{}","date":"2021-05-04","direction":"import","hs":"0303.89.90","origin":"NO","trade_country":"NO","port":"3100","mode":"sea","value":125000.0,"weight":20000,"two_step":false}})",
      r.declaration_id, r.enterprise);
  Profile p;
  p.id = r.enterprise;
  p.grade = "general";
  p.registered = 16000;
  p.flags = {"cold_chain"};
  p.inspections = 12;
  p.hits = 1;
  r.profile = p;
  r.ruleset_sha256 = std::string(64, 'c');
  r.key_id = "a8faed6abbf35c12";
  r.decision = fmt::format(
      R"({{"id":"{}","outcome":"inspect","site":"port","method":"manual","rate_ppm":100000,"grade":"general","rule":"cold_chain_port","matched":["cold_chain_port"],"ruleset":"zhejiang-aeo@3","ruleset_sha256":"{}"}})",
      r.declaration_id, r.ruleset_sha256);
  return r;
}

// One shared database; with Threads(2) two appenders share fsyncs (group sync), as a
// decide run that encodes the next batch while the previous one syncs would.
Store* audit_store = nullptr;
std::string audit_dir;

// Bytes of a record as stored: its fields plus the profile snapshot and the 32-byte hash.
size_t internal_record_bytes(const AuditRecord& r) {
  return r.declaration_id.size() + r.enterprise.size() + r.declaration.size() + r.decision.size() +
         r.ruleset_sha256.size() + r.key_id.size() +
         (r.profile ? r.profile->id.size() + r.profile->grade.size() + 16 : 0) + 32;
}

void BM_AppendAudit(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  if (state.thread_index() == 0) {
    audit_dir = FreshPath("audit");
    if (!InitStore(audit_dir, {}).ok()) std::abort();
    audit_store = Store::Open(audit_dir).value().release();
  }
  std::vector<AuditRecord> batch(batch_size);
  uint64_t n = static_cast<uint64_t>(state.thread_index()) << 40;
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();  // building the records is the caller's work, not the store's
    for (auto& r : batch) r = BenchRecord(n++);
    state.ResumeTiming();
    auto range = audit_store->AppendAudit(batch);
    if (!range.ok()) state.SkipWithError(std::string(range.status().message()).c_str());
  }
  size_t stored = 0;
  for (const auto& r : batch) {
    bytes += internal_record_bytes(r);
    stored += internal::EncodeAuditBody(r).size() + 32;  // the value: body and chain hash
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch_size));
  // record_bytes: the record's fields; stored_bytes: what the audit log keeps of it.
  state.counters["record_bytes"] =
      benchmark::Counter(static_cast<double>(bytes / batch_size), benchmark::Counter::kAvgThreads);
  state.counters["stored_bytes"] =
      benchmark::Counter(static_cast<double>(stored / batch_size), benchmark::Counter::kAvgThreads);
  if (state.thread_index() == 0) {
    delete audit_store;
    audit_store = nullptr;
    std::filesystem::remove_all(audit_dir);
  }
}
BENCHMARK(BM_AppendAudit)->Arg(1000)->Arg(4000)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_AppendAudit)->Arg(1000)->Arg(4000)->Threads(2)->UseRealTime()->MinTime(3.0);

}  // namespace

void CloseStores() {
  for (auto& store : stores) store.reset();
}

}  // namespace bukong::storage

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  bukong::storage::CloseStores();
  benchmark::Shutdown();
  return 0;
}
