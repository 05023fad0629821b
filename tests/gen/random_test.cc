#include "gen/random.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace bukong::gen {
namespace {

TEST(RandomTest, SameSeedSameStreamDifferentSeedDifferentStream) {
  Random a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, KnownValuesPinTheAlgorithm) {
  // splitmix64 from state 0 (reference output of Vigna's splitmix64.c).
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(SplitMix64(state), 0x6E789E6AA1B965F4ULL);
  // Derived seeds differ by stream and by index.
  EXPECT_NE(DeriveSeed(1, 1, 0), DeriveSeed(1, 2, 0));
  EXPECT_NE(DeriveSeed(1, 1, 0), DeriveSeed(1, 1, 1));
  EXPECT_NE(DeriveSeed(1, 1, 0), DeriveSeed(2, 1, 0));
}

TEST(RandomTest, UniformIsInRangeAndRoughlyFlat) {
  Random rng(7);
  std::vector<int> counts(10);
  for (int i = 0; i < 100'000; ++i) {
    uint64_t x = rng.Uniform(10);
    ASSERT_LT(x, 10u);
    ++counts[x];
  }
  for (int c : counts) EXPECT_NEAR(c, 10'000, 500);
  for (int i = 0; i < 1000; ++i) {
    double u = rng.UniformDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(RandomTest, NormalHasMeanZeroAndUnitVariance) {
  Random rng(11);
  double sum = 0, squares = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    double x = rng.Normal();
    sum += x;
    squares += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(squares / n, 1.0, 0.02);
}

TEST(RandomTest, WeightedPickerFollowsWeights) {
  std::vector<double> weights = {1, 0, 3};
  WeightedPicker picker(weights);
  Random rng(3);
  std::vector<int> counts(3);
  for (int i = 0; i < 100'000; ++i) ++counts[picker.Pick(rng)];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / 100'000.0, 0.25, 0.01);
  EXPECT_NEAR(counts[2] / 100'000.0, 0.75, 0.01);
}

TEST(RandomTest, ZipfRanksFollowThePowerLaw) {
  ZipfSampler zipf(1000, 0.8);
  Random rng(5);
  std::map<uint64_t, int> counts;
  const int n = 300'000;
  for (int i = 0; i < n; ++i) {
    uint64_t k = zipf.Sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, 1000u);
    ++counts[k];
  }
  double harmonic = 0;
  for (int k = 1; k <= 1000; ++k) harmonic += std::pow(k, -0.8);
  for (uint64_t k : {1, 2, 10, 100}) {
    double expected = std::pow(static_cast<double>(k), -0.8) / harmonic;
    double sd = std::sqrt(expected * (1 - expected) / n);
    EXPECT_NEAR(counts[k] / static_cast<double>(n), expected, 5 * sd) << "rank " << k;
  }
}

}  // namespace
}  // namespace bukong::gen
