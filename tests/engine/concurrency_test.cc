// Threads deciding while another thread swaps rulesets 1,000 times. Every decision must equal
// the decision of one of the two rulesets (never a mix), a batch must see one ruleset whole,
// and under ThreadSanitizer (label tsan) there must be no data race.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine/engine.h"
#include "tests/engine/random_ir.h"
#include "tests/engine/test_util.h"

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

TEST(ConcurrencyTest, DecisionsSeeOneRulesetWholeWhileSwapping) {
  RandomIr random(21);
  ir::Ruleset ra = random.Ruleset(40);
  ra.version = 1;
  ir::Ruleset rb = ra;  // same grades, different rules and baseline
  rb.version = 2;
  rb.baseline.rate = 500'000;
  for (auto& rule : rb.rules)
    if (!rule.then.hold) rule.then.rate = ir::kMillion - rule.then.rate;
  auto a = CompileRuleset(ra), b = CompileRuleset(rb);
  ASSERT_TRUE(a.ok() && b.ok());

  constexpr int kDeclarations = 500;
  std::vector<Declaration> ds;
  std::vector<std::optional<Profile>> ps;
  std::vector<absl::StatusOr<Decision>> expect_a, expect_b;
  int differ = 0;
  for (int i = 0; i < kDeclarations; ++i) {
    ds.push_back(random.MakeDecl(i));
    ps.push_back(random.MakeProfile(ds.back().date));
    const Profile* p = ps.back() ? &*ps.back() : nullptr;
    expect_a.push_back(Decide(*a, TestKey(), ds.back(), p));
    expect_b.push_back(Decide(*b, TestKey(), ds.back(), p));
    differ += expect_a.back().ok() && expect_b.back().ok() && *expect_a.back() != *expect_b.back();
  }
  ASSERT_GT(differ, kDeclarations / 4);  // else the test could not tell the rulesets apart

  Engine engine(TestKey(), *a);
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0}, decided{0}, saw_a{0}, saw_b{0};
  auto check = [&](size_t i, const absl::StatusOr<Decision>& got) {
    const auto& want = got.ok() && got->ruleset == *b ? expect_b[i] : expect_a[i];
    if (got.ok() != want.ok() || (got.ok() && *got != *want)) ++mismatches;
    if (got.ok()) (got->ruleset == *b ? saw_b : saw_a)++;
    ++decided;
  };
  auto decider = [&](int seed) {
    size_t i = static_cast<size_t>(seed);
    Decision reused;
    while (!done.load(std::memory_order_relaxed)) {
      i = (i + 7) % ds.size();
      const Profile* p = ps[i] ? &*ps[i] : nullptr;
      check(i, engine.Decide(ds[i], p));
      const absl::Status s = engine.DecideInto(ds[i], p, &reused);
      check(i, s.ok() ? absl::StatusOr<Decision>(reused) : absl::StatusOr<Decision>(s));
    }
  };
  auto batcher = [&] {
    std::vector<const Profile*> pp;
    for (auto& p : ps) pp.push_back(p ? &*p : nullptr);
    std::vector<absl::StatusOr<Decision>> results;
    while (!done.load(std::memory_order_relaxed)) {
      ASSERT_TRUE(engine.DecideBatch(ds, pp, &results).ok());
      const CompiledRuleset* first = nullptr;
      for (size_t i = 0; i < results.size(); ++i) {
        check(i, results[i]);
        if (!results[i].ok()) continue;
        if (first == nullptr) first = results[i]->ruleset.get();
        if (results[i]->ruleset.get() != first) ++mismatches;  // a batch saw two rulesets
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(decider, 0);
  threads.emplace_back(decider, 3);
  threads.emplace_back(batcher);
  for (int swap = 0; swap < 1000; ++swap) {
    ASSERT_TRUE(engine.Swap(swap % 2 == 0 ? *b : *a).ok());
    // Let a few decisions happen under each ruleset, so swaps interleave with decisions.
    // (Bounded: on a loaded machine the deciders may not get a core for a while.)
    const int target = decided.load() + 2;
    for (int spin = 0; spin < 200 && decided.load() < target; ++spin) std::this_thread::yield();
  }
  // Let the deciders run a little after the last swap, then stop.
  while (decided.load() < 5'000) std::this_thread::yield();
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(saw_a.load(), 0);
  EXPECT_GT(saw_b.load(), 0);
  EXPECT_EQ(engine.Current(), *a);  // 1000 swaps, the last one back to a
}

}  // namespace
}  // namespace bukong::engine
