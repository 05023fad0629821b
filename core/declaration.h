// A customs declaration as the engine reads it (SPEC §3), already parsed and validated. It
// sits beside Profile in core/ so that ingest/ (which builds one from a JSON Lines record,
// ingest/declaration_json.h), gen/, storage/ and engine/ share it without including each
// other; tests and generators may fill one directly.
#ifndef BUKONG_CORE_DECLARATION_H_
#define BUKONG_CORE_DECLARATION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/dates.h"

namespace bukong {

enum class Direction : uint8_t { kImport, kExport, kTransit };
enum class TransportMode : uint8_t { kSea, kAir, kRail, kRoad, kPost };

// The names of directions and modes, indexed by enum value: the one table the rule checker,
// the engine and the readers use.
inline constexpr std::string_view kDirectionNames[] = {"import", "export", "transit"};
inline constexpr std::string_view kModeNames[] = {"sea", "air", "rail", "road", "post"};

// The enum value a name spells (an index into the table above), or -1.
template <size_t N>
constexpr int IndexOfName(const std::string_view (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

// Decimal literals and values are scaled by 10^18 (ir::Decimal::kScale is this constant).
inline constexpr int64_t kDecimalScale = 1'000'000'000'000'000'000;

// The exact decimal value of a number's JSON text, comparable exactly with rule literals
// (ir::Decimal, which have at most 18 decimals).
//
// twice_scaled = 2 * trunc(value * 10^18), plus 1 (or minus 1 for a negative value) when the
// text has non-zero digits beyond the 18th decimal. The doubling keeps comparisons exact:
// a literal L is stored as 2 * L.scaled, an even number, and a value strictly between two
// multiples of 10^-18 becomes the odd number between them, so <, =, > against any literal
// come out as they would on the true decimal value.
struct ExactDecimal {
  __int128 twice_scaled = 0;
  friend bool operator==(const ExactDecimal&, const ExactDecimal&) = default;
  friend auto operator<=>(const ExactDecimal&, const ExactDecimal&) = default;

  // From a literal scaled by kDecimalScale (ir::Decimal::scaled).
  static ExactDecimal FromScaled(__int128 scaled) { return {scaled * 2}; }
  static ExactDecimal FromInteger(int64_t v) {
    return {static_cast<__int128>(v) * kDecimalScale * 2};
  }
};

// Which optional fields the declaration carried (id, enterprise, date, direction and hs are
// always present in a valid declaration).
enum DeclarationFieldBit : uint32_t {
  kHasOrigin = 1u << 0,
  kHasTradeCountry = 1u << 1,
  kHasPort = 1u << 2,
  kHasMode = 1u << 3,
  kHasValue = 1u << 4,
  kHasWeight = 1u << 5,
  kHasTwoStep = 1u << 6,
};

struct Declaration {
  std::string id;          // non-empty; the SipHash draws are over its UTF-8 bytes
  std::string enterprise;  // enterprise id (profile key)
  DayNumber date = 0;
  Direction direction = Direction::kImport;
  std::string hs;             // digits only (dots removed), 6 to 10 of them
  std::string origin;         // two ASCII capitals
  std::string trade_country;  // two ASCII capitals
  std::string port;
  TransportMode mode = TransportMode::kSea;
  ExactDecimal value;
  ExactDecimal weight;
  bool two_step = false;
  uint32_t present = 0;  // DeclarationFieldBit flags
};

}  // namespace bukong

#endif  // BUKONG_CORE_DECLARATION_H_
