// Rate arithmetic and the keyed draws of SPEC §2.4-2.5. Internal to engine/.
#ifndef BUKONG_ENGINE_INTERNAL_RATES_H_
#define BUKONG_ENGINE_INTERNAL_RATES_H_

#include <cstdint>
#include <string_view>

#include "dsl/ir.h"

namespace bukong {
class SelectionKey;
}

namespace bukong::engine::internal {

// Selection threshold T(p) (SPEC §2.5): a draw u passes when `all` or u < value.
struct Threshold {
  uint64_t value = 0;
  bool all = false;
  bool Passes(uint64_t u) const { return all || u < value; }
};

// T(ppm) = floor(ppm * 2^64 / 1'000'000); ppm >= 1'000'000 always passes, 0 never does.
Threshold ThresholdFor(int64_t ppm);

// A rate rule's (or the baseline's) numbers under one grade.
struct GradeRate {
  int64_t effective = 0;  // before bounds: what the winner is chosen by
  int64_t final = 0;      // after floor/ceiling and [0, 1e6]
  Threshold select;       // T(final)
};

// The effective rate of action `a` under grade `g` (fixed, or rate * factor rounded), its
// final rate (bounded by g's floor and ceiling, then by [0, 1e6]) and selection threshold.
GradeRate RateUnder(const ir::Action& a, const ir::Grade& g);

// SipHash-2-4 (libsodium crypto_shorthash) of tag + id under the key, read little-endian.
uint64_t Draw(const SelectionKey& key, std::string_view tag, std::string_view id);

}  // namespace bukong::engine::internal

#endif  // BUKONG_ENGINE_INTERNAL_RATES_H_
