#include "gen/random.h"

#include <algorithm>

namespace bukong::gen {

// Rejection-inversion for Zipf (Hörmann, Derflinger: "Rejection-inversion to generate
// variates from monotone discrete distributions", 1996), following the structure of
// Apache Commons RNG's RejectionInversionZipfSampler.
ZipfSampler::ZipfSampler(uint64_t n, double s) : n_(std::max<uint64_t>(n, 1)), s_(s) {
  h_integral_x1_ = H(1.5) - 1.0;
  h_integral_n_ = H(static_cast<double>(n_) + 0.5);
  threshold_ = 2.0 - HInverse(H(2.5) - std::exp(-s_ * std::log(2.0)));
}

double ZipfSampler::Helper1(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

double ZipfSampler::Helper2(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

// H(x) = ((x^(1-s)) - 1) / (1 - s), the integral of x^-s, written to stay exact at s = 1.
double ZipfSampler::H(double x) const {
  double log_x = std::log(x);
  return Helper2((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::HInverse(double x) const {
  double t = std::max(-1.0, x * (1.0 - s_));
  return std::exp(Helper1(t) * x);
}

uint64_t ZipfSampler::Sample(Random& rng) const {
  while (true) {
    double u = h_integral_n_ + rng.UniformDouble() * (h_integral_x1_ - h_integral_n_);
    double x = HInverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) {
      k = 1;
    } else if (k > static_cast<double>(n_)) {
      k = static_cast<double>(n_);
    }
    if (k - x <= threshold_ || u >= H(k + 0.5) - std::exp(-s_ * std::log(k))) {
      return static_cast<uint64_t>(k);
    }
  }
}

}  // namespace bukong::gen
