// The generator's own pseudo-random numbers: xoshiro256** seeded through splitmix64, and
// the few distributions it needs, written out here so that the same seed gives the same
// bytes with every compiler and standard library (std::*_distribution does not).
#ifndef BUKONG_GEN_RANDOM_H_
#define BUKONG_GEN_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bukong::gen {

// splitmix64 (Steele, Lea, Flood 2014): a good 64-bit mixer, used to derive seeds.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A seed for item `index` of stream `stream` under the user's seed: each generated profile
// and declaration has its own generator, so item i is the same whatever the count and can
// be produced alone (declarations regenerate enterprise ids without reading profiles).
inline uint64_t DeriveSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t state = seed;
  uint64_t a = SplitMix64(state);
  state = a ^ (stream * 0xD6E8FEB86659FD93ULL);
  uint64_t b = SplitMix64(state);
  state = b ^ index;
  return SplitMix64(state);
}

// Stable 64-bit hash of a string (FNV-1a then a splitmix64 finish), for seed-independent
// choices such as the national digits of an HS subheading.
inline uint64_t StableHash(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ULL;
  return SplitMix64(h);
}

// xoshiro256** 1.0 (Blackman & Vigna).
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply-shift with rejection).
  uint64_t Uniform(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Uniform(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1) with 53 random bits.
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability p.
  bool Bernoulli(double p) { return UniformDouble() < p; }

  // Standard normal (Box–Muller; one value per call keeps the stream simple).
  double Normal() {
    double u1 = 1.0 - UniformDouble();  // (0, 1]
    double u2 = UniformDouble();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  double LogNormal(double mu, double sigma) { return std::exp(mu + sigma * Normal()); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Picks index i with probability weights[i] / sum (weights >= 0, sum > 0), by binary
// search over cumulative integer weights (so the choice is exact and portable).
class WeightedPicker {
 public:
  WeightedPicker() = default;
  explicit WeightedPicker(std::span<const double> weights) {
    uint64_t total = 0;
    cumulative_.reserve(weights.size());
    for (double w : weights) {
      // Weights are scaled to integers once; the picks use integers only.
      total += static_cast<uint64_t>(std::llround(w * 1e9));
      cumulative_.push_back(total);
    }
  }
  size_t Pick(Random& rng) const {
    uint64_t x = rng.Uniform(cumulative_.back());
    size_t lo = 0, hi = cumulative_.size() - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (cumulative_[mid] > x) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
  size_t size() const { return cumulative_.size(); }
  bool empty() const { return cumulative_.empty(); }

 private:
  std::vector<uint64_t> cumulative_;
};

// Zipf-distributed ranks in [1, n] with exponent s > 0 (P(k) ∝ k^-s), in O(1) per draw:
// rejection-inversion sampling (Hörmann & Derflinger 1996), as in Apache Commons RNG.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s);
  uint64_t Sample(Random& rng) const;

 private:
  double H(double x) const;
  double HInverse(double x) const;
  static double Helper1(double x);  // log1p(x)/x, stable near 0
  static double Helper2(double x);  // expm1(x)/x, stable near 0

  uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double threshold_;
};

}  // namespace bukong::gen

#endif  // BUKONG_GEN_RANDOM_H_
