// Engine-only run on the peer kit's files (/work/shared/peers): the same rules, profiles and
// declarations the peers decide, with profiles in memory and no audit log, as the kit's
// hosts do. Prints decisions/s and the per-decision latency distribution.
//
//   cp -r /work/shared/peers /tmp/peers && cd /tmp/peers
//   python3 gen.py --seed 42 --profiles 200000 --declarations 200000 --rules 200 --out data
//   build-engine/bench/engine/bench_engine_peers --rules /tmp/peers/data/bench.rules
//       --profiles /tmp/peers/data/profiles.csv --declarations /tmp/peers/data/declarations.jsonl
//       [--key 000102030405060708090a0b0c0d0e0f] [--out decisions.jsonl]
//
// Timed: profile lookup (hash map) + decision, per declaration, declarations parsed beforehand
// (the kit's hosts also parse before timing). --out writes the decisions after timing, for
// the kit's compare.py.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/engine/latency.h"
#include "engine/compile_text.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/profile_reader.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench_engine_peers: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string rules_path, profiles_path, declarations_path, out_path;
  std::string key_hex = "000102030405060708090a0b0c0d0e0f";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rules") rules_path = argv[i + 1];
    else if (flag == "--profiles") profiles_path = argv[i + 1];
    else if (flag == "--declarations") declarations_path = argv[i + 1];
    else if (flag == "--key") key_hex = argv[i + 1];
    else if (flag == "--out") out_path = argv[i + 1];
    else return Fail("unknown option " + flag);
  }
  if (rules_path.empty() || profiles_path.empty() || declarations_path.empty())
    return Fail("usage: --rules FILE --profiles FILE --declarations FILE [--key HEX] [--out FILE]");

  std::ifstream rules_in(rules_path);
  std::stringstream text;
  text << rules_in.rdbuf();
  bukong::engine::CompileTextResult compiled = bukong::engine::CompileRulesetText(text.str(), rules_path);
  for (const auto& d : compiled.diagnostics)
    if (d.severity == bukong::dsl::Diagnostic::Severity::kError)
      std::fputs(bukong::dsl::FormatDiagnostic(rules_path, text.str(), d).c_str(), stderr);
  if (!compiled.ok()) return Fail(rules_path + " does not compile");
  auto key = bukong::SelectionKey::FromHex(key_hex);
  if (!key.ok()) return Fail(std::string(key.status().message()));

  absl::flat_hash_map<std::string, bukong::Profile> profiles;
  auto reader = bukong::ingest::ProfileReader::Open(profiles_path);
  if (!reader.ok()) return Fail(std::string(reader.status().message()));
  bukong::ingest::ProfileRow row;
  for (bukong::ingest::ReadResult r; (r = (*reader)->Next(&row)) != bukong::ingest::ReadResult::kEnd;) {
    if (r == bukong::ingest::ReadResult::kError) return Fail((*reader)->FormatError(row));
    profiles[row.profile.id] = row.profile;
  }

  std::vector<bukong::Declaration> declarations;
  bukong::ingest::DeclarationParser parser(compiled.ruleset->FieldsRead());
  std::ifstream decl_in(declarations_path);
  std::string line;
  size_t rejected = 0;
  while (std::getline(decl_in, line)) {
    if (line.empty()) continue;
    bukong::Declaration d;
    if (parser.Parse(line, &d).ok()) declarations.push_back(std::move(d));
    else ++rejected;
  }

  bukong::engine::Engine engine(*key, compiled.ruleset);
  std::vector<bukong::engine::Decision> decisions(declarations.size());
  std::vector<int64_t> latency(declarations.size());
  size_t errors = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  for (size_t i = 0; i < declarations.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto it = profiles.find(declarations[i].enterprise);
    errors += !engine
                   .DecideInto(declarations[i], it == profiles.end() ? nullptr : &it->second,
                               &decisions[i])
                   .ok();
    latency[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count();
  }
  const double cpu = CpuSeconds() - cpu_start;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::sort(latency.begin(), latency.end());
  auto at = [&](double q) { return bukong::bench::Quantile(latency, q); };
  const double n = static_cast<double>(declarations.size());
  std::printf("rules %zu, profiles %zu, declarations %zu (rejected at parse %zu, at decide %zu)\n",
              compiled.ruleset->ir().rules.size(), profiles.size(), declarations.size(), rejected,
              errors);
  std::printf("wall %.3f s: %.0f decisions/s; cpu %.3f s: %.0f decisions/s per core\n", wall,
              n / wall, cpu, n / cpu);
  std::printf("latency p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns\n", at(0.5), at(0.99), at(0.999));
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    std::string json;
    for (const auto& d : decisions) {
      if (d.ruleset == nullptr) continue;
      json.clear();
      bukong::engine::AppendDecisionJson(d, &json);
      out << json << '\n';
    }
  }
  return 0;
}
