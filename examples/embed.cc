// Embedding bukong as declaration processing would: open the store, compile a ruleset,
// decide from several threads, swap in a new ruleset while they run, print throughput.
//
//   build/examples/embed_example --db /tmp/embed-db --rules rules/order237-2018.rules
//
// The database is created (with a few profiles) when the folder does not exist yet. The
// program exits non-zero if anything goes wrong or if a decision does not match what the
// ruleset it names decides on its own, so the test suite runs it as a test.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "engine/compile_text.h"
#include "storage/store.h"

namespace {

using bukong::Declaration;
using bukong::Profile;

// Compiles rule text; diagnostics are printed, and a file with errors is refused (it would
// never replace the live ruleset).
absl::StatusOr<std::shared_ptr<const bukong::engine::CompiledRuleset>> CompileText(
    const std::string& text, const std::string& name) {
  bukong::engine::CompileTextResult result = bukong::engine::CompileRulesetText(text, name);
  for (const auto& d : result.diagnostics) {
    std::fputs(bukong::dsl::FormatDiagnostic(name, text, d).c_str(), stderr);
  }
  BUKONG_RETURN_IF_ERROR(result.status);
  if (!result.ok()) return absl::InvalidArgumentError(name + " has errors");
  return result.ruleset;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A small, fixed traffic mix: enterprises E0..E99 (E0 advanced, E1..E3 certified,
// E4 dishonest, the rest general) and a few unknown ones.
std::vector<Profile> MakeProfiles() {
  std::vector<Profile> profiles;
  for (int i = 0; i < 100; ++i) {
    Profile p;
    p.id = fmt::format("E{}", i);
    p.grade = i == 0 ? "advanced" : i <= 3 ? "certified" : i == 4 ? "dishonest" : "general";
    p.registered = *bukong::ParseIsoDate("2015-06-01");
    p.inspections = static_cast<uint64_t>(i % 7);
    p.hits = static_cast<uint64_t>(i % 7 > 4 ? 1 : 0);
    profiles.push_back(std::move(p));
  }
  return profiles;
}

Declaration MakeDeclaration(uint64_t n) {
  static const char* kHs[] = {"8471300000", "0303890000", "2901100000", "8516500000",
                              "6109100010", "0201300000", "3926909090", "8504409999"};
  static const char* kOrigins[] = {"US", "JP", "DE", "NO", "VN", "AU", "KR", "IR"};
  Declaration d;
  d.id = fmt::format("3100{:014d}", n);
  d.enterprise = fmt::format("E{}", n % 103);  // E100..E102 have no profile
  d.date = *bukong::ParseIsoDate("2021-06-15") + static_cast<int>(n % 180);
  d.direction = n % 3 == 0 ? bukong::Direction::kExport : bukong::Direction::kImport;
  d.hs = kHs[n % 8];
  d.origin = d.trade_country = kOrigins[(n / 8) % 8];
  d.port = "3100";
  d.mode = bukong::TransportMode::kSea;
  d.value = bukong::ExactDecimal::FromInteger(static_cast<int64_t>(1000 + (n * 7919) % 300000));
  d.weight = bukong::ExactDecimal::FromInteger(static_cast<int64_t>(10 + n % 5000));
  d.two_step = n % 5 == 0;
  d.present = bukong::kHasOrigin | bukong::kHasTradeCountry | bukong::kHasPort |
              bukong::kHasMode | bukong::kHasValue | bukong::kHasWeight | bukong::kHasTwoStep;
  return d;
}

absl::Status Run(const std::string& db_dir, const std::string& rules_path, int threads,
                 uint64_t per_thread) {
  namespace storage = bukong::storage;
  // 1. The store: created on first use, then opened. Profiles are read from it.
  if (!std::filesystem::exists(db_dir)) {
    BUKONG_RETURN_IF_ERROR(storage::InitStore(db_dir, {}).status());
    BUKONG_ASSIGN_OR_RETURN(auto store, storage::Store::Open(db_dir));
    for (const Profile& p : MakeProfiles()) BUKONG_RETURN_IF_ERROR(store->PutProfile(p));
  }
  BUKONG_ASSIGN_OR_RETURN(auto store, storage::Store::Open(db_dir));
  const bukong::SelectionKey key(store->key());

  // 2. Two rulesets: the file, and the same file with a higher baseline (a new version).
  BUKONG_ASSIGN_OR_RETURN(std::string text, ReadFile(rules_path));
  BUKONG_ASSIGN_OR_RETURN(auto first, CompileText(text, rules_path));
  std::string stricter = text;
  const size_t at = stricter.find("\nbaseline ");
  if (at == std::string::npos) return absl::InvalidArgumentError("no baseline line");
  const size_t end_of_line = stricter.find('\n', at + 1);
  stricter.replace(at + 1, end_of_line - (at + 1), "baseline 9% at port 80% method nii 50%");
  BUKONG_ASSIGN_OR_RETURN(auto second, CompileText(stricter, rules_path + " (stricter)"));

  // 3. Profiles are looked up once here; a real system would cache the hot enterprises.
  std::vector<std::optional<Profile>> profiles(103);
  for (int i = 0; i < 103; ++i) {
    BUKONG_ASSIGN_OR_RETURN(profiles[i], store->GetProfile(fmt::format("E{}", i)));
  }

  // 4. Decide from several threads; the main thread swaps rulesets while they run.
  bukong::engine::Engine engine(key, first);
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> under_first{0}, under_second{0};
  std::vector<std::string> errors(threads);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      bukong::engine::Decision decision;
      for (uint64_t i = 0; i < per_thread && !failed; ++i) {
        const uint64_t n = static_cast<uint64_t>(t) * per_thread + i;
        const Declaration d = MakeDeclaration(n);
        const auto& profile = profiles[n % 103];
        absl::Status s = engine.DecideInto(d, profile ? &*profile : nullptr, &decision);
        if (!s.ok()) {
          errors[t] = std::string(s.message());
          failed = true;
          break;
        }
        // Every 1,000th decision: the ruleset it names decides the same on its own.
        if (i % 1000 == 0) {
          auto again = bukong::engine::Decide(decision.ruleset, key, d, profile ? &*profile : nullptr);
          if (!again.ok() || !(*again == decision)) {
            errors[t] = "a decision differs from its ruleset's own";
            failed = true;
          }
        }
        (decision.ruleset == first ? under_first : under_second)++;
      }
    });
  }
  for (int swap = 0; swap < 10; ++swap) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BUKONG_RETURN_IF_ERROR(engine.Swap(swap % 2 == 0 ? second : first));
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& e : errors) {
    if (!e.empty()) return absl::InternalError(e);
  }
  const uint64_t total = under_first + under_second;
  fmt::print("{} decisions on {} threads in {:.3f} s: {:.0f} decisions/s "
             "({} under {}, {} under the stricter copy, 10 swaps)\n",
             total, threads, seconds, total / seconds, under_first.load(), first->Id(),
             under_second.load());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = "/tmp/bukong-embed-db", rules = "rules/order237-2018.rules";
  int threads = 2;
  uint64_t per_thread = 200'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--db") db = argv[i + 1];
    else if (flag == "--rules") rules = argv[i + 1];
    else if (flag == "--threads") threads = std::stoi(argv[i + 1]);
    else if (flag == "--per-thread") per_thread = std::stoull(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: embed_example [--db DIR] [--rules FILE] [--threads N] "
                           "[--per-thread N]\n");
      return 2;
    }
  }
  absl::Status status = Run(db, rules, threads, per_thread);
  if (!status.ok()) {
    std::fprintf(stderr, "embed_example: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
