// The audited decider (decider/decider.h): what a caller gets back is in the audit log at the
// sequence number it was given; callers share syncs; the queue is bounded; rulesets are
// stored before they go live; shutdown drains. Runs under ThreadSanitizer (label tsan).
#include "decider/decider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/file_system.h>

#include <condition_variable>

#include "core/sha256.h"
#include "engine/compile_text.h"
#include "engine/decision_json.h"
#include "ingest/declaration_json.h"
#include "storage/store.h"
#include "tests/testing/spec_example.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace bukong::decider {
namespace {

using ::bukong::engine::CompiledRuleset;
using ::bukong::engine::CompileRulesetText;
using ::bukong::engine::CompileTextResult;
using ::bukong::engine::DecisionToJson;
using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;

std::shared_ptr<const CompiledRuleset> Compile(std::string_view text) {
  CompileTextResult r = CompileRulesetText(text, "test.rules");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  return r.ruleset;
}

// A declaration line of enterprise E<n % 5>; E3 has the grade `bogus`, which the SPEC
// example does not declare (an input error), E4 has no profile.
std::string Line(int n) {
  return fmt::format(
      R"({{"id":"D{:06d}","enterprise":"E{}","date":"2021-06-01","direction":"import",)"
      R"("hs":"0303.89","origin":"NO","trade_country":"NO","port":"3100","mode":"sea",)"
      R"("value":{},"weight":10,"two_step":false}})",
      n, n % 5, 1000 + n);
}

// A file system whose write-ahead log syncs wait at a gate the test opens: the test knows
// that a sync is in progress and decides who arrives during it.
class GatedSyncFs : public rocksdb::FileSystemWrapper {
 public:
  GatedSyncFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "BukongTestGatedSyncFs"; }
  const char* Name() const override { return kClassName(); }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  void Open() {
    std::lock_guard lock(mu_);
    closed_ = false;
    cv_.notify_all();
  }
  // Waits until `n` syncs are held at the gate (false after 10 s).
  bool AwaitWaiting(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_ >= n; });
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && name.ends_with(".log")) *result = std::make_unique<Wal>(this, std::move(*result));
    return s;
  }

 private:
  class Wal : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    Wal(GatedSyncFs* fs, std::unique_ptr<rocksdb::FSWritableFile>&& f)
        : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      fs_->Pass();
      return target()->Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      fs_->Pass();
      return target()->Fsync(o, dbg);
    }

   private:
    GatedSyncFs* fs_;
  };
  void Pass() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !closed_; });
    --waiting_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int waiting_ = 0;
};

class DeciderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(storage::InitStore(dir_.path() + "/db", {}).status(), IsOk());
    auto opened = storage::Store::Open(dir_.path() + "/db");
    ASSERT_THAT(opened.status(), IsOk());
    store_ = *std::move(opened);
    const char* grades[] = {"advanced", "certified", "general", "bogus"};
    for (int i = 0; i < 4; ++i) {
      Profile p;
      p.id = fmt::format("E{}", i);
      p.grade = grades[i];
      p.registered = *ParseIsoDate("2015-01-01");
      ASSERT_THAT(store_->PutProfile(p), IsOk());
    }
    ruleset_ = Compile(bukong::testing::kSpecExample);
  }

  Declaration Parse(const std::string& line) {
    ingest::DeclarationParser parser(ingest::AllDeclarationFields());
    Declaration d;
    EXPECT_THAT(parser.Parse(line, &d), IsOk());
    return d;
  }

  std::unique_ptr<Decider> Make(const DeciderOptions& options = {}) {
    auto d = Decider::Create(*store_, bukong::testing::kSpecExample, ruleset_, options);
    EXPECT_THAT(d.status(), IsOk());
    return d.ok() ? *std::move(d) : nullptr;
  }

  // The record at `seq` holds this line and this decision.
  void ExpectRecorded(uint64_t seq, const std::string& line, const std::string& json) {
    auto entry = store_->GetAudit(seq);
    ASSERT_THAT(entry.status(), IsOk());
    ASSERT_TRUE(entry->has_value()) << "no record " << seq;
    EXPECT_EQ((*entry)->record.declaration, line) << seq;
    EXPECT_EQ((*entry)->record.decision, json) << seq;
  }

  void ExpectChainIntact() {
    auto problems = store_->VerifyChain();
    ASSERT_THAT(problems.status(), IsOk());
    EXPECT_TRUE(problems->empty()) << problems->front().message;
  }

  bukong::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const CompiledRuleset> ruleset_;
};

TEST_F(DeciderTest, ADecisionComesBackWithTheRecordThatHoldsIt) {
  auto decider = Make();
  const std::string line = Line(0);
  auto d = decider->Decide(Parse(line), line);
  ASSERT_THAT(d.status(), IsOk());
  EXPECT_EQ(d->seq, 1u);
  EXPECT_EQ(d->json, DecisionToJson(d->decision));
  EXPECT_EQ(d->decision.GradeName(), "advanced");
  ExpectRecorded(1, line, d->json);
  // The record names the stored ruleset, which decides the same on its own (replay).
  auto entry = store_->GetAudit(1);
  auto stored = store_->GetRuleset((*entry)->record.ruleset_sha256);
  ASSERT_THAT(stored.status(), IsOk());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->text, bukong::testing::kSpecExample);
  ASSERT_THAT(decider->Shutdown(), IsOk());
}

TEST_F(DeciderTest, AnInputErrorRecordsNothing) {
  auto decider = Make();
  const std::string line = Line(3);  // grade `bogus`
  auto d = decider->Decide(Parse(line), line);
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(d.status().message()), ::testing::HasSubstr("bogus"));
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(store_->Head().seq, 0u);
  EXPECT_EQ(decider->metrics().input_errors, 1u);
}

TEST_F(DeciderTest, ConcurrentCallersShareSyncsAndEveryAnswerIsRecordedAtItsSeq) {
  DeciderOptions options;
  options.max_batch_records = 64;
  auto decider = Make(options);
  constexpr int kThreads = 8, kPerThread = 300;
  std::mutex mu;
  std::map<uint64_t, std::pair<std::string, std::string>> answers;  // seq -> line, json
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ingest::DeclarationParser parser(ingest::AllDeclarationFields());
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        if (n % 5 == 3) continue;  // the undeclared grade: tested above
        const std::string line = Line(n);
        Declaration d;
        if (!parser.Parse(line, &d).ok()) {
          ++errors;
          continue;
        }
        auto r = decider->Decide(d, line);
        if (!r.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        if (!answers.emplace(r->seq, std::make_pair(line, r->json)).second) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(errors.load(), 0);
  const uint64_t n = answers.size();
  EXPECT_EQ(n, kThreads * kPerThread * 4 / 5);
  // Sequence numbers 1..n, no gaps, each record what its caller was told.
  EXPECT_EQ(answers.begin()->first, 1u);
  EXPECT_EQ(answers.rbegin()->first, n);
  EXPECT_EQ(store_->Head().seq, n);
  for (const auto& [seq, a] : answers) ExpectRecorded(seq, a.first, a.second);
  ExpectChainIntact();
  const DeciderMetrics m = decider->metrics();
  EXPECT_EQ(m.recorded, n);
  // Group commit: fewer writes and syncs than decisions, no batch above the limit.
  EXPECT_LT(m.batch_records.count, n);
  EXPECT_LT(m.sync_seconds.count, n);
  EXPECT_EQ(m.batch_records.sum, static_cast<double>(n));
  const size_t at_64 = 6;  // bounds 1, 2, 4, ..., 64
  EXPECT_EQ(m.batch_records.bounds[at_64], 64);
  EXPECT_EQ(m.batch_records.counts[at_64], m.batch_records.count);
}

TEST_F(DeciderTest, ABatchAnswersEachEntryAndRecordsOnlyTheGoodOnes) {
  auto decider = Make();
  std::vector<std::string> lines;
  std::vector<Declaration> ds;
  for (int i = 0; i < 10; ++i) {
    lines.push_back(Line(i));  // i % 5 == 3: the undeclared grade
    ds.push_back(Parse(lines.back()));
  }
  std::vector<std::string_view> views(lines.begin(), lines.end());
  auto results = decider->DecideBatch(ds, views);
  ASSERT_EQ(results.size(), 10u);
  uint64_t recorded = 0;
  for (int i = 0; i < 10; ++i) {
    if (i % 5 == 3) {
      EXPECT_THAT(results[i].status(), StatusIs(absl::StatusCode::kInvalidArgument));
      continue;
    }
    ASSERT_THAT(results[i].status(), IsOk());
    EXPECT_EQ(results[i]->decision.id, ds[i].id);
    ExpectRecorded(results[i]->seq, lines[i], results[i]->json);
    ++recorded;
  }
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(store_->Head().seq, recorded);
  ExpectChainIntact();
}

TEST_F(DeciderTest, AFullQueueRefusesWithResourceExhaustedAndRecordsOnlyWhatItAcknowledged) {
  DeciderOptions options;
  options.max_batch_records = 1;
  options.max_pending_batches = 1;
  options.wait_when_full = false;
  auto decider = Make(options);
  constexpr int kCalls = 5000;
  std::mutex mu;
  std::vector<uint64_t> seqs;
  std::atomic<int> refused{0}, other{0};
  std::vector<Declaration> ds;
  std::vector<std::string> lines;
  for (int i = 0; i < kCalls; ++i) {
    lines.push_back(Line(i * 5));  // enterprise E0
    ds.push_back(Parse(lines.back()));
  }
  std::atomic<int> done{0};
  for (int i = 0; i < kCalls; ++i) {
    decider->DecideAsync(ds[i], lines[i], [&](absl::StatusOr<Decided> r) {
      if (r.ok()) {
        std::lock_guard lock(mu);
        seqs.push_back(r->seq);
      } else if (r.status().code() == absl::StatusCode::kResourceExhausted) {
        ++refused;
      } else {
        ++other;
      }
      ++done;
    });
    const DeciderMetrics m = decider->metrics();
    ASSERT_LE(m.pending_batches, 2u);  // one queued or in flight, one filling
    ASSERT_LE(m.queued_records, 2u);
  }
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(done.load(), kCalls);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(seqs.size() + refused.load(), static_cast<size_t>(kCalls));
  EXPECT_EQ(store_->Head().seq, seqs.size());  // nothing refused was recorded
  EXPECT_EQ(decider->metrics().refused_full, static_cast<uint64_t>(refused.load()));
  ExpectChainIntact();
}

TEST_F(DeciderTest, ANewRulesetIsStoredBeforeItDecides) {
  auto decider = Make();
  std::string stricter(bukong::testing::kSpecExample);
  stricter.replace(stricter.find("baseline 3%"), 11, "baseline 9%");
  auto next = Compile(stricter);
  ASSERT_THAT(decider->SetRuleset(stricter, next), IsOk());
  EXPECT_EQ(decider->ruleset(), next);
  const std::string line = Line(2);
  auto d = decider->Decide(Parse(line), line);
  ASSERT_THAT(d.status(), IsOk());
  EXPECT_EQ(d->decision.ruleset, next);
  auto entry = store_->GetAudit(d->seq);
  EXPECT_EQ((*entry)->record.ruleset_sha256, next->Sha256());
  auto stored = store_->GetRuleset(next->Sha256());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->text, stricter);
  // Text that is not the compiled ruleset's is refused; the live one stays.
  EXPECT_THAT(decider->SetRuleset("something else", ruleset_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(decider->ruleset(), next);
}

// Group commit without a lost cycle: a caller who arrives while a sync runs is written just
// before the next sync starts and is covered by it, even when the writer already wrote an
// earlier arrival ahead. (Before, such a caller was written only once the next sync had
// started and waited for the one after: two syncs instead of one, ~2.5 sync times of latency
// for a closed-loop client instead of ~1.5.)
TEST_F(DeciderTest, ACallerWhoArrivesDuringASyncIsCoveredByTheNextSync) {
  auto gate = std::make_shared<GatedSyncFs>();
  store_.reset();
  storage::StoreOptions store_options;
  store_options.testing.file_system = gate;
  auto opened = storage::Store::Open(dir_.path() + "/db", store_options);
  ASSERT_THAT(opened.status(), IsOk());
  store_ = *std::move(opened);
  auto decider = Make();
  std::vector<std::string> lines;
  std::vector<Declaration> ds;
  for (int i = 0; i < 3; ++i) {
    lines.push_back(Line(i * 5));  // enterprise E0
    ds.push_back(Parse(lines.back()));
  }
  std::mutex mu;
  std::condition_variable cv;
  std::map<int, absl::StatusOr<Decided>> results;
  auto call = [&](int i) {
    decider->DecideAsync(ds[i], lines[i], [&, i](absl::StatusOr<Decided> r) {
      std::lock_guard lock(mu);
      results.emplace(i, std::move(r));
      cv.notify_all();
    });
  };
  gate->Close();
  call(0);                               // A: written, its sync held at the gate
  ASSERT_TRUE(gate->AwaitWaiting(1));
  call(1);                               // B: the writer writes it ahead of the next sync
  for (int spin = 0; decider->metrics().batch_records.count < 2; ++spin) {
    ASSERT_LT(spin, 10000) << "the writer never took B";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  call(2);                               // C: arrives after the writer took B
  gate->Open();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return results.size() == 3; }));
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(results.at(i).status(), IsOk());
    EXPECT_EQ(results.at(i)->seq, static_cast<uint64_t>(i + 1));
    ExpectRecorded(i + 1, lines[i], results.at(i)->json);
  }
  const DeciderMetrics m = decider->metrics();
  EXPECT_EQ(m.batch_records.count, 3u);  // A, B, C: three writes
  EXPECT_EQ(m.sync_seconds.count, 2u);   // A's sync, then one for B and C
  ASSERT_THAT(decider->Shutdown(), IsOk());
  ExpectChainIntact();
}

TEST_F(DeciderTest, ShutdownAnswersEveryQueuedCallThenRefusesNewOnes) {
  auto decider = Make();
  constexpr int kCalls = 2000;
  std::vector<std::string> lines;
  std::vector<Declaration> ds;
  for (int i = 0; i < kCalls; ++i) {
    lines.push_back(Line(i * 5 + 1));
    ds.push_back(Parse(lines.back()));
  }
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < kCalls; ++i) {
    decider->DecideAsync(ds[i], lines[i], [&](absl::StatusOr<Decided> r) {
      (r.ok() ? ok : failed)++;
    });
  }
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(store_->Head().seq, static_cast<uint64_t>(kCalls));
  auto late = decider->Decide(ds[0], lines[0]);
  EXPECT_THAT(late.status(), StatusIs(absl::StatusCode::kUnavailable));
  ExpectChainIntact();
}

TEST_F(DeciderTest, AStreamDeliversDurableBatchesInInputOrder) {
  DeciderOptions options;
  options.max_batch_records = 100;
  auto decider = Make(options);
  std::string printed;
  std::vector<storage::AuditRange> ranges;
  std::string expected;
  {
    Decider::Stream stream(*decider, [&](std::string_view lines, storage::AuditRange r) {
      EXPECT_GE(store_->Head().seq, r.last);  // written before it is handed out
      printed.append(lines);
      ranges.push_back(r);
      return absl::OkStatus();
    });
    ingest::DeclarationParser parser(ingest::AllDeclarationFields());
    int rejected = 0;
    for (int i = 0; i < 1000; ++i) {
      const std::string line = Line(i);
      Declaration d;
      ASSERT_THAT(parser.Parse(line, &d), IsOk());
      absl::Status s = stream.Add(d, line);
      if (i % 5 == 3) {
        EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
        ++rejected;
        continue;
      }
      ASSERT_THAT(s, IsOk());
    }
    ASSERT_THAT(stream.Finish(), IsOk());
    EXPECT_EQ(rejected, 200);
  }
  EXPECT_EQ(ranges.size(), 8u);
  uint64_t next = 1;
  for (const auto& r : ranges) {
    EXPECT_EQ(r.first, next);
    next = r.last + 1;
  }
  EXPECT_EQ(next, 801u);
  // Line k of the output is the record k.
  size_t at = 0;
  for (uint64_t seq = 1; seq <= 800; ++seq) {
    const size_t nl = printed.find('\n', at);
    auto entry = store_->GetAudit(seq);
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ(printed.substr(at, nl - at), (*entry)->record.decision);
    at = nl + 1;
  }
  ExpectChainIntact();
}

TEST_F(DeciderTest, ADryRunRecordsNothingAndDiscardedDecisionsNeverAppear) {
  DeciderOptions options;
  options.dry_run = true;
  auto decider = Make(options);
  const std::string line = Line(1);
  auto d = decider->Decide(Parse(line), line);
  ASSERT_THAT(d.status(), IsOk());
  EXPECT_EQ(d->seq, 0u);
  std::string printed;
  {
    Decider::Stream stream(*decider, [&](std::string_view lines, storage::AuditRange) {
      printed.append(lines);
      return absl::OkStatus();
    });
    ASSERT_THAT(stream.Add(Parse(line), line), IsOk());
    EXPECT_EQ(stream.DiscardCurrent(), 1u);
    ASSERT_THAT(stream.Finish(), IsOk());
  }
  EXPECT_EQ(printed, "");
  ASSERT_THAT(decider->Shutdown(), IsOk());
  EXPECT_EQ(store_->Head().seq, 0u);
  // Nor was the ruleset stored.
  auto stored = store_->GetRuleset(ruleset_->Sha256());
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_FALSE(stored->has_value());
}

// SPEC §7.1: every record keeps the full digest of each list version the ruleset was bound
// to, in declaration order (not by name), and they are the versions whose first 16 digits the
// decision line prints — for single calls, batches and streams, and after SetRuleset binds
// new versions. A ruleset without lists leaves the field empty (its records as before).
TEST_F(DeciderTest, EveryRecordKeepsTheFullDigestsOfTheBoundListVersions) {
  constexpr std::string_view kRules =
      "ruleset \"digests\" version 1\n"
      "grade advanced factor 0.2\n"
      "grade certified factor 0.5\n"
      "grade general factor 1.0\n"
      "unknown enterprise grade general\n"
      "baseline 0%\n"
      "list zeta of enterprise\n"
      "list alpha of country\n"
      "rule z when enterprise in zeta then rate 100%\n"
      "rule a when origin in alpha then hold \"sanctions\"\n";
  auto version = [](std::vector<std::string> entries) {
    std::string text;
    for (const auto& e : entries) text += e + "\n";
    auto v = std::make_shared<engine::ListVersion>(Sha256Hex(text));
    for (const auto& e : entries) v->Add(e);
    return v;
  };
  auto compile = [&](std::vector<std::string> zeta, std::vector<std::string> alpha) {
    CompileTextResult text = CompileRulesetText(kRules, "digests.rules",
                                                engine::ListsAtCompile::kStandIns);
    EXPECT_TRUE(text.ok());
    auto bound = engine::CompileRuleset(
        text.ruleset->ir(), {{"zeta", version(zeta)}, {"alpha", version(alpha)}});
    EXPECT_THAT(bound.status(), IsOk());
    return *bound;
  };
  // The record at `seq` keeps (zeta, alpha) of `ruleset`, and its line names their prefixes.
  auto expect_lists = [&](uint64_t seq, const std::shared_ptr<const CompiledRuleset>& ruleset) {
    auto entry = store_->GetAudit(seq);
    ASSERT_TRUE(entry.ok() && entry->has_value()) << seq;
    const storage::AuditRecord& r = (*entry)->record;
    const std::vector<storage::BoundListVersion> expected = {
        {"zeta", ruleset->lists().at("zeta")->digest()},
        {"alpha", ruleset->lists().at("alpha")->digest()}};
    EXPECT_EQ(r.lists, expected) << seq;
    engine::DecisionJsonReader reader;
    engine::Decision read;
    ASSERT_THAT(reader.Read(r.decision, ruleset, &read), IsOk());
    ASSERT_EQ(reader.lists().size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(reader.lists()[i].first, r.lists[i].name);
      EXPECT_EQ(reader.lists()[i].second, r.lists[i].digest.substr(0, 16)) << seq;
      EXPECT_EQ(r.lists[i].digest.size(), 64u);
    }
  };

  // First, records of a ruleset without lists: nothing kept.
  auto decider = Make();
  const std::string first = Line(0);
  ASSERT_THAT(decider->Decide(Parse(first), first).status(), IsOk());
  EXPECT_TRUE((*store_->GetAudit(1))->record.lists.empty());

  auto g1 = compile({"E1"}, {"KP"});
  ASSERT_THAT(decider->SetRuleset(kRules, g1), IsOk());
  const std::string l1 = Line(1), l2 = Line(2), l5 = Line(5);
  auto one = decider->Decide(Parse(l1), l1);
  ASSERT_THAT(one.status(), IsOk());
  EXPECT_THAT(one->json, ::testing::HasSubstr("\"matched\":[\"z\"]"));  // E1 is in zeta
  expect_lists(one->seq, g1);
  const std::vector<Declaration> ds = {Parse(l2), Parse(l5)};
  const std::vector<std::string_view> lines = {l2, l5};
  for (const auto& d : decider->DecideBatch(ds, lines)) {
    ASSERT_THAT(d.status(), IsOk());
    expect_lists(d->seq, g1);
  }
  // New versions bound (a list import, then the ruleset compiled again): the records change.
  auto g2 = compile({"E2"}, {"IR", "KP"});
  ASSERT_THAT(decider->SetRuleset(kRules, g2), IsOk());
  std::vector<storage::AuditRange> ranges;
  {
    Decider::Stream stream(*decider, [&](std::string_view, storage::AuditRange r) {
      ranges.push_back(r);
      return absl::OkStatus();
    });
    for (int i : {6, 7, 9}) {  // not 8: E3's grade is not declared
      const std::string line = Line(i);
      ASSERT_THAT(stream.Add(Parse(line), line), IsOk());
    }
    ASSERT_THAT(stream.Finish(), IsOk());
  }
  ASSERT_EQ(ranges.size(), 1u);
  for (uint64_t seq = ranges[0].first; seq <= ranges[0].last; ++seq) expect_lists(seq, g2);
  EXPECT_NE(g1->lists().at("zeta")->digest(), g2->lists().at("zeta")->digest());
  ASSERT_THAT(decider->Shutdown(), IsOk());
  ExpectChainIntact();
}

}  // namespace
}  // namespace bukong::decider
