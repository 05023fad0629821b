// The statistics behind honest figures (issue #15, SPEC §7.4): 95% confidence intervals for a
// proportion (Wilson score) and for a ratio of two proportions (Katz log interval), and the
// verdict of a bound checked against an interval. Pure functions of counts; no state.
//
// Why intervals: a realized rate is a draw. 25 inspections out of 432 declarations is 5.8%,
// but any true rate from 4.0% to 8.4% could have produced it; a ratio of two such rates is
// noisier still. A figure compared with a legal line is only a finding when its whole
// interval is on one side of the line.
#ifndef BUKONG_REPORT_INTERVAL_H_
#define BUKONG_REPORT_INTERVAL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace bukong::report {

// The normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double low = 0;
  double high = 0;
  bool Contains(double x) const { return low <= x && x <= high; }
  double Width() const { return high - low; }
};

// A proportion k/n with its Wilson score interval. nullopt when n == 0 (nothing observed).
// Requires k <= n.
struct Proportion {
  double value = 0;
  Interval ci;
};
std::optional<Proportion> Wilson(uint64_t k, uint64_t n, double z = kZ95);

// The ratio of two proportions (x1/n1) / (x2/n2) with the Katz log interval
//   exp(ln R ± z·sqrt(1/x1 − 1/n1 + 1/x2 − 1/n2)).
// When a cell of the 2×2 table is 0 (x1 or x2 is 0, or all of n1 or n2) the interval is
// computed with 0.5 added to every cell (x + 0.5 out of n + 1 on both sides,
// Haldane–Anscombe): at x == 0 the log is undefined, at x == n its variance term vanishes
// and the interval would be far too narrow. The point value stays the plain ratio: 0 when
// x1 == 0, absent when x2 == 0 (the ratio is unbounded).
// nullopt when n1 or n2 is 0, or when x1 == x2 == 0 (no information on the ratio).
struct RatioEstimate {
  std::optional<double> value;  // absent when x2 == 0
  Interval ci;                  // ci.high may be +infinity
  bool corrected = false;       // the 0.5 correction was applied
};
std::optional<RatioEstimate> KatzRatio(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
                                       double z = kZ95);

// A comparison of a statutory check (SPEC §7.4): value OP bound.
enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };
std::string_view OpText(Op op);  // "<", "<=", ">", ">="
bool Satisfies(double value, Op op, double bound);

enum class Verdict { kHolds, kViolated, kUndetermined };
std::string_view VerdictText(Verdict v);  // "holds", "violated", "undetermined"

// holds when every value of `ci` satisfies `value OP bound`, violated when none does,
// undetermined otherwise.
Verdict Judge(const Interval& ci, Op op, double bound);

}  // namespace bukong::report

#endif  // BUKONG_REPORT_INTERVAL_H_
