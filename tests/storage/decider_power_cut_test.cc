// Power cuts under the library's audited decider (decider/decider.h, issue #16 item 1): the
// same simulation as power_cut_test.cc (tests/storage/fault_fs.h), driving
// Decider::DecideBatch from two threads (group commit: the decider's own writer and syncer
// threads). After each cut every decision a caller received is at the sequence number it
// was given, byte for byte (declaration line and decision line), and the chain verifies
// without a gap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "decider/decider.h"
#include "engine/compile_text.h"
#include "ingest/declaration_json.h"
#include "storage/store.h"
#include "tests/storage/fault_fs.h"
#include "tests/testing/spec_example.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace bukong::storage {
namespace {

using ::bukong::storage::testing::FaultFs;
using ::bukong::testing::IsOk;

struct Acked {
  std::string line, json;
};

std::string Line(int round, int n) {
  return fmt::format(
      R"({{"id":"R{}-D{:06d}","enterprise":"E{}","date":"2021-06-01","direction":"import",)"
      R"("hs":"0303.89","origin":"NO","trade_country":"NO","port":"3100","mode":"sea",)"
      R"("value":{},"weight":10,"two_step":false}})",
      round, n, n % 3, 1000 + n);
}

TEST(DeciderPowerCutTest, EveryDecisionACallerReceivedSurvivesTheCut) {
  ASSERT_TRUE(std::filesystem::is_directory("/dev/shm")) << "/dev/shm (tmpfs) is needed";
  ::setenv("TMPDIR", "/dev/shm", 1);  // the simulation accounts for syncs itself
  bukong::testing::TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  ASSERT_THAT(InitStore(dir, {}).status(), IsOk());
  {
    auto store = Store::Open(dir);
    ASSERT_THAT(store.status(), IsOk());
    const char* grades[] = {"advanced", "certified", "general"};
    for (int i = 0; i < 3; ++i) {
      Profile p;
      p.id = fmt::format("E{}", i);
      p.grade = grades[i];
      p.registered = *ParseIsoDate("2015-01-01");
      ASSERT_THAT((*store)->PutProfile(p), IsOk());
    }
  }
  auto compiled = engine::CompileRulesetText(bukong::testing::kSpecExample, "spec.rules");
  ASSERT_TRUE(compiled.ok());
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937_64 rng(seed);
  std::map<uint64_t, Acked> acked;
  int lost_rounds = 0;
  std::string first_problem;
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    auto fault_fs = std::make_shared<FaultFs>();
    fault_fs->CutAfter(1 + rng() % 150);
    StoreOptions options;
    options.testing.file_system = fault_fs;
    {
      auto store = Store::Open(dir, options);
      if (store.ok()) {
        auto decider = decider::Decider::Create(**store, bukong::testing::kSpecExample,
                                                compiled.ruleset);
        if (decider.ok()) {
          std::mutex mu;
          auto run = [&](int thread) {
            ingest::DeclarationParser parser(ingest::AllDeclarationFields());
            for (int b = 0; b < 200; ++b) {
              std::vector<std::string> lines;
              std::vector<Declaration> decls(20);
              for (int i = 0; i < 20; ++i) {
                lines.push_back(Line(round, (thread * 200 + b) * 20 + i));
                ASSERT_THAT(parser.Parse(lines.back(), &decls[i]), IsOk());
              }
              std::vector<std::string_view> views(lines.begin(), lines.end());
              auto results = (*decider)->DecideBatch(decls, views);
              bool failed = false;
              std::lock_guard lock(mu);
              for (size_t i = 0; i < results.size(); ++i) {
                if (!results[i].ok()) {
                  failed = true;
                  continue;
                }
                acked[results[i]->seq] = {lines[i], results[i]->json};
              }
              if (failed) return;
            }
          };
          std::thread a(run, 0), b(run, 1);
          a.join();
          b.join();
          (*decider)->Shutdown().IgnoreError();
        }
      }
    }
    std::mt19937_64 drop_rng(rng());
    const std::string dropped = fault_fs->DropUnsyncedData(drop_rng);
    std::vector<std::string> problems;
    auto store = Store::Open(dir);
    if (!store.ok()) {
      problems.push_back(store.status().ToString());
    } else {
      for (const auto& [seq, a] : acked) {
        auto e = (*store)->GetAudit(seq);
        if (!e.ok() || !e->has_value()) {
          problems.push_back(fmt::format("acknowledged record {} is missing", seq));
          break;
        }
        if ((*e)->record.declaration != a.line || (*e)->record.decision != a.json) {
          problems.push_back(fmt::format("record {} is not the acknowledged decision", seq));
          break;
        }
      }
      auto chain = (*store)->VerifyChain();
      if (!chain.ok()) problems.push_back(chain.status().ToString());
      else
        for (const auto& p : *chain) problems.push_back(p.message);
    }
    if (!problems.empty()) {
      ++lost_rounds;
      if (first_problem.empty())
        first_problem = fmt::format("round {} ({}): {}", round, dropped, problems.front());
    }
  }
  EXPECT_EQ(lost_rounds, 0) << first_problem;
  EXPECT_GT(acked.size(), 100u);
  fmt::print("{} power cuts under the audited decider (seed {}): {} decisions received, "
             "{} rounds lost one\n",
             kRounds, seed, acked.size(), lost_rounds);
}

}  // namespace
}  // namespace bukong::storage
