// Embedding bukong as declaration processing would: open the store, compile a ruleset,
// decide through the audited decider (decider/decider.h) from several threads — every
// decision comes back only once its audit record is durable — swap in a new ruleset while
// they run, then replay what was decided: every audit record re-decided from the stored
// ruleset text and profile snapshot must give the recorded decision, and the chain must
// verify. Prints throughput.
//
//   build/examples/embed_example --db /tmp/embed-db --rules rules/order237-2018.rules
//                                --lists data/lists
//
// The database is created (with a few profiles) when the folder does not exist yet; the
// lists the rule file declares (SPEC §7.1) are imported from --lists DIR (NAME.txt) when the
// store does not hold them, and bound at their current versions. The
// program exits non-zero if anything goes wrong or if a decision does not match what the
// ruleset it names decides on its own, so the test suite runs it as a test.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "decider/decider.h"
#include "dsl/compiler.h"
#include "engine/engine.h"
#include "ingest/list_reader.h"
#include "storage/lists.h"
#include "ingest/declaration_json.h"
#include "storage/store.h"

namespace {

using bukong::Declaration;
using bukong::Profile;

// Imports DIR/NAME.txt for each list `text` declares that the store does not hold yet (SPEC
// §7.1; `bukong lists import` does the same from the command line).
absl::Status ImportMissingLists(bukong::storage::Store& store, const std::string& text,
                                const std::string& lists_dir) {
  bukong::dsl::CompileResult checked = bukong::dsl::Compile(text, "rules");
  if (!checked.ruleset) return absl::InvalidArgumentError("the rule file has errors");
  for (const bukong::ir::ListDecl& decl : checked.ruleset->lists) {
    BUKONG_ASSIGN_OR_RETURN(auto current, bukong::storage::GetList(store, decl.name));
    if (current) continue;
    const std::string path = lists_dir + "/" + decl.name + ".txt";
    BUKONG_ASSIGN_OR_RETURN(
        bukong::ingest::ListReadResult read,
        bukong::ingest::ReadListFile(
            path, *bukong::ingest::ListTypeFromName(bukong::ir::ListTypeName(decl.type))));
    for (const std::string& e : read.errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!read.ok()) return absl::InvalidArgumentError(path + " has bad entries");
    bukong::storage::ListImport in{decl.name, bukong::ir::ListTypeName(decl.type),
                                   read.list->entries, read.list->digest, std::time(nullptr)};
    BUKONG_RETURN_IF_ERROR(bukong::storage::ImportList(store, in).status());
  }
  return absl::OkStatus();
}

// Compiles rule text with the current version of each list it declares bound from the store;
// diagnostics are printed, and a file with errors is refused (it would never replace the
// live ruleset), as is one whose lists the store lacks.
absl::StatusOr<std::shared_ptr<const bukong::engine::CompiledRuleset>> CompileText(
    const bukong::storage::Store& store, const std::string& text, const std::string& name) {
  bukong::dsl::CompileResult checked = bukong::dsl::Compile(text, name);
  for (const auto& d : checked.diagnostics) {
    std::fputs(bukong::dsl::FormatDiagnostic(name, text, d).c_str(), stderr);
  }
  if (checked.HasErrors() || !checked.ruleset) return absl::InvalidArgumentError(name + " has errors");
  bukong::engine::ListBindings lists;
  for (const bukong::ir::ListDecl& decl : checked.ruleset->lists) {
    BUKONG_ASSIGN_OR_RETURN(auto current, bukong::storage::GetList(store, decl.name));
    if (!current) return absl::NotFoundError(fmt::format("the store holds no list '{}'", decl.name));
    auto version = std::make_shared<bukong::engine::ListVersion>(current->digest);
    BUKONG_RETURN_IF_ERROR(bukong::storage::ScanListVersion(
        store, current->digest, [&](std::string_view e) { version->Add(e); }));
    lists.emplace(decl.name, std::move(version));
  }
  return bukong::engine::CompileRuleset(*std::move(checked.ruleset), std::move(lists));
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

// Declaration n as a declaration system would send it: one JSON line.
std::string MakeLine(uint64_t n) {
  static const char* kHs[] = {"8471300000", "0303890000", "2901100000", "8516500000",
                              "6109100010", "0201300000", "3926909090", "8504409999"};
  static const char* kOrigins[] = {"US", "JP", "DE", "NO", "VN", "AU", "KR", "IR"};
  const char* origin = kOrigins[(n / 8) % 8];
  const std::string date = bukong::FormatIsoDate(*bukong::ParseIsoDate("2021-06-15") +
                                                 static_cast<int>(n % 180));
  return fmt::format(
      R"({{"id":"3100{:014d}","enterprise":"E{}","date":"{}","direction":"{}","hs":"{}",)"
      R"("origin":"{}","trade_country":"{}","port":"3100","mode":"sea","value":{},)"
      R"("weight":{},"two_step":{}}})",
      n, n % 103, date, n % 3 == 0 ? "export" : "import", kHs[n % 8], origin, origin,
      1000 + (n * 7919) % 300000, 10 + n % 5000, n % 5 == 0 ? "true" : "false");
}

// Replays the audit log: each record re-decided under the ruleset whose text the database
// stored, with the recorded profile, must give the recorded decision; the chain verifies.
absl::StatusOr<uint64_t> Replay(const bukong::storage::Store& store) {
  std::map<std::string, std::shared_ptr<const bukong::engine::CompiledRuleset>> rulesets;
  std::map<std::string, std::unique_ptr<bukong::ingest::DeclarationParser>> parsers;
  uint64_t records = 0;
  BUKONG_RETURN_IF_ERROR(store.ScanAudit(1, UINT64_MAX, [&](const bukong::storage::AuditEntry& e)
                                                            -> absl::Status {
    const auto& r = e.record;
    auto& ruleset = rulesets[r.ruleset_sha256];
    auto& parser = parsers[r.ruleset_sha256];
    if (ruleset == nullptr) {
      BUKONG_ASSIGN_OR_RETURN(auto stored, store.GetRuleset(r.ruleset_sha256));
      if (!stored) return absl::DataLossError("a record names a ruleset the store lacks");
      // The lists do not change while this program runs, so the current versions are the
      // ones the decisions used (`bukong replay` binds the versions each record names).
      BUKONG_ASSIGN_OR_RETURN(ruleset, CompileText(store, stored->text, stored->name));
      parser = std::make_unique<bukong::ingest::DeclarationParser>(
          bukong::ingest::AllDeclarationFields());
    }
    Declaration d;
    BUKONG_RETURN_IF_ERROR(parser->Parse(r.declaration, &d));
    BUKONG_ASSIGN_OR_RETURN(bukong::engine::Decision again,
                            bukong::engine::Decide(ruleset, store.key(), d,
                                           r.profile ? &*r.profile : nullptr));
    if (bukong::engine::DecisionToJson(again) != r.decision) {
      return absl::DataLossError(fmt::format("record {} replays differently", e.seq));
    }
    ++records;
    return absl::OkStatus();
  }));
  BUKONG_ASSIGN_OR_RETURN(auto problems, store.VerifyChain());
  if (!problems.empty()) return absl::DataLossError(problems.front().message);
  return records;
}

absl::Status Run(const std::string& db_dir, const std::string& rules_path,
                 const std::string& lists_dir, int threads, uint64_t per_thread) {
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
  BUKONG_RETURN_IF_ERROR(ImportMissingLists(*store, text, lists_dir));
  BUKONG_ASSIGN_OR_RETURN(auto first, CompileText(*store, text, rules_path));
  std::string stricter = text;
  const size_t at = stricter.find("\nbaseline ");
  if (at == std::string::npos) return absl::InvalidArgumentError("no baseline line");
  const size_t end_of_line = stricter.find('\n', at + 1);
  stricter.replace(at + 1, end_of_line - (at + 1), "baseline 9% at port 80% method nii 50%");
  BUKONG_ASSIGN_OR_RETURN(auto second, CompileText(*store, stricter, rules_path + " (stricter)"));

  // 3. The audited decider: it stores the ruleset text, then decides; a decision comes
  //    back only when its audit record is durable. Batches of 256 per call let each thread
  //    share fsyncs with the others (group commit) instead of waiting for one per decision.
  BUKONG_ASSIGN_OR_RETURN(auto decider, bukong::decider::Decider::Create(*store, text, first));
  const uint64_t head_before = store->Head().seq;

  // 4. Decide from several threads; the main thread swaps rulesets while they run.
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> under_first{0}, under_second{0};
  std::vector<std::string> errors(threads);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      bukong::ingest::DeclarationParser parser(bukong::ingest::AllDeclarationFields());
      constexpr uint64_t kBatch = 256;
      std::vector<std::string> lines;
      std::vector<std::string_view> views;
      std::vector<Declaration> declarations;
      for (uint64_t i = 0; i < per_thread && !failed; i += kBatch) {
        lines.clear();
        declarations.clear();
        for (uint64_t k = i; k < std::min(per_thread, i + kBatch); ++k) {
          lines.push_back(MakeLine(static_cast<uint64_t>(t) * per_thread + k));
          declarations.emplace_back();
          if (absl::Status s = parser.Parse(lines.back(), &declarations.back()); !s.ok()) {
            errors[t] = std::string(s.message());
            failed = true;
            return;
          }
        }
        views.assign(lines.begin(), lines.end());
        for (auto& r : decider->DecideBatch(declarations, views)) {
          if (!r.ok()) {
            errors[t] = std::string(r.status().message());
            failed = true;
            return;
          }
          (r->decision.ruleset == first ? under_first : under_second)++;
        }
      }
    });
  }
  for (int swap = 0; swap < 10; ++swap) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BUKONG_RETURN_IF_ERROR(decider->SetRuleset(swap % 2 == 0 ? stricter : text,
                                               swap % 2 == 0 ? second : first));
  }
  for (auto& w : workers) w.join();
  BUKONG_RETURN_IF_ERROR(decider->Shutdown());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& e : errors) {
    if (!e.empty()) return absl::InternalError(e);
  }
  const uint64_t total = under_first + under_second;
  const auto m = decider->metrics();
  fmt::print("{} audited decisions on {} threads in {:.3f} s: {:.0f} decisions/s "
             "({} under {}, {} under the stricter copy, 10 swaps; {} audit writes, {} fsyncs)\n",
             total, threads, seconds, total / seconds, under_first.load(), first->Id(),
             under_second.load(), m.batch_records.count, m.sync_seconds.count);
  if (store->Head().seq != head_before + total) {
    return absl::InternalError("the audit log does not hold exactly the decisions returned");
  }

  // 5. Replay what was decided.
  const auto replay_start = std::chrono::steady_clock::now();
  BUKONG_ASSIGN_OR_RETURN(uint64_t replayed, Replay(*store));
  fmt::print("replayed {} audit records in {:.3f} s: every one re-decides as recorded, chain "
             "intact\n",
             replayed, std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                     replay_start).count());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = "/tmp/bukong-embed-db", rules = "rules/order237-2018.rules",
              lists = "data/lists";
  int threads = 2;
  uint64_t per_thread = 200'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--db") db = argv[i + 1];
    else if (flag == "--rules") rules = argv[i + 1];
    else if (flag == "--lists") lists = argv[i + 1];
    else if (flag == "--threads") threads = std::stoi(argv[i + 1]);
    else if (flag == "--per-thread") per_thread = std::stoull(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: embed_example [--db DIR] [--rules FILE] [--lists DIR] "
                           "[--threads N] [--per-thread N]\n");
      return 2;
    }
  }
  absl::Status status = Run(db, rules, lists, threads, per_thread);
  if (!status.ok()) {
    std::fprintf(stderr, "embed_example: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
