#include "report/interval.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bukong::report {

std::optional<Proportion> Wilson(uint64_t k, uint64_t n, double z) {
  if (n == 0 || k > n) return std::nullopt;
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / nn;
  const double centre = (p + z2 / (2.0 * nn)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
  Proportion out;
  out.value = p;
  // At k == 0 and k == n the exact bound is 0 or 1; rounding must not put it outside.
  out.ci.low = k == 0 ? 0.0 : std::max(0.0, centre - half);
  out.ci.high = k == n ? 1.0 : std::min(1.0, centre + half);
  return out;
}

std::optional<RatioEstimate> KatzRatio(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
                                       double z) {
  if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2) return std::nullopt;
  if (x1 == 0 && x2 == 0) return std::nullopt;
  RatioEstimate out;
  double a = static_cast<double>(x1), m = static_cast<double>(n1);
  double b = static_cast<double>(x2), k = static_cast<double>(n2);
  if (x2 > 0) out.value = (a / m) / (b / k);
  if (x1 == 0 || x2 == 0 || x1 == n1 || x2 == n2) {  // a cell of the 2x2 table is 0
    out.corrected = true;
    a += 0.5;
    b += 0.5;
    m += 1.0;
    k += 1.0;
  }
  const double log_ratio = std::log((a / m) / (b / k));
  const double se = std::sqrt(1.0 / a - 1.0 / m + 1.0 / b - 1.0 / k);
  out.ci.low = std::exp(log_ratio - z * se);
  out.ci.high = std::exp(log_ratio + z * se);
  if (x1 == 0) out.ci.low = 0.0;  // a ratio with no events above can be 0
  if (x2 == 0) out.ci.high = std::numeric_limits<double>::infinity();
  return out;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kLess:
      return "<";
    case Op::kLessEqual:
      return "<=";
    case Op::kGreater:
      return ">";
    case Op::kGreaterEqual:
      return ">=";
  }
  return "?";
}

bool Satisfies(double value, Op op, double bound) {
  switch (op) {
    case Op::kLess:
      return value < bound;
    case Op::kLessEqual:
      return value <= bound;
    case Op::kGreater:
      return value > bound;
    case Op::kGreaterEqual:
      return value >= bound;
  }
  return false;
}

std::string_view VerdictText(Verdict v) {
  switch (v) {
    case Verdict::kHolds:
      return "holds";
    case Verdict::kViolated:
      return "violated";
    case Verdict::kUndetermined:
      return "undetermined";
  }
  return "?";
}

Verdict Judge(const Interval& ci, Op op, double bound) {
  const bool low_ok = Satisfies(ci.low, op, bound);
  const bool high_ok = Satisfies(ci.high, op, bound);
  if (low_ok && high_ok) return Verdict::kHolds;  // the condition is monotone in the value
  if (!low_ok && !high_ok) return Verdict::kViolated;
  return Verdict::kUndetermined;
}

}  // namespace bukong::report
