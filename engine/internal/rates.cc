// Rate arithmetic and the keyed draws (SPEC §2.4-2.5).
#include "engine/internal/rates.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "core/selection_key.h"

namespace bukong::engine::internal {

Threshold ThresholdFor(int64_t ppm) {
  if (ppm >= ir::kMillion) return {0, true};
  if (ppm <= 0) return {0, false};
  const unsigned __int128 scaled = static_cast<unsigned __int128>(ppm) << 64;
  return {static_cast<uint64_t>(scaled / 1000000u), false};
}

GradeRate RateUnder(const ir::Action& a, const ir::Grade& g) {
  GradeRate r;
  if (a.fixed) {
    r.effective = a.rate;
  } else {
    const __int128 product = static_cast<__int128>(a.rate) * g.factor + 500000;
    r.effective = static_cast<int64_t>(product / 1000000);
  }
  int64_t final = r.effective;
  if (g.floor) final = std::max(final, *g.floor);
  if (g.ceiling) final = std::min(final, *g.ceiling);
  final = std::clamp<int64_t>(final, 0, ir::kMillion);
  r.final = final;
  r.select = ThresholdFor(final);
  return r;
}

uint64_t Draw(const SelectionKey& key, std::string_view tag, std::string_view id) {
  unsigned char out[crypto_shorthash_BYTES];
  char stack[256];
  const size_t n = tag.size() + id.size();
  std::string heap;
  char* msg = stack;
  if (n > sizeof(stack)) {
    heap.resize(n);
    msg = heap.data();
  }
  std::memcpy(msg, tag.data(), tag.size());
  if (!id.empty()) std::memcpy(msg + tag.size(), id.data(), id.size());
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(msg), n, key.bytes().data());
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | out[i];
  return u;
}

}  // namespace bukong::engine::internal
