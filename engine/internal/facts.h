// The facts a decision reads, computed once per declaration, and how symbols are interned.
// Internal to engine/.
//
// Symbols are interned as uint32: directions and modes by enum value, countries as their two
// bytes packed, ports by an id from the plan's port table, grades by index. Numbers are
// ExactDecimal twice-scaled values (core/declaration.h), so predicates compare integers.
#ifndef BUKONG_ENGINE_INTERNAL_FACTS_H_
#define BUKONG_ENGINE_INTERNAL_FACTS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ir.h"

namespace bukong::engine::internal {

inline constexpr uint32_t kNoSymbol = std::numeric_limits<uint32_t>::max();

// Slots of the per-decision facts.
enum SymbolSlot : uint8_t {
  kSymDirection,
  kSymMode,
  kSymOrigin,
  kSymTradeCountry,
  kSymPort,
  kSymGrade,
  kSymbolSlots
};
enum NumberSlot : uint8_t {
  kNumValue,
  kNumWeight,
  kNumAgeDays,
  kNumInspections,
  kNumHits,
  kNumHitRate,
  kNumberSlots
};

// Per-decision facts: everything a predicate reads, computed once.
struct Facts {
  uint32_t symbol[kSymbolSlots] = {};
  __int128 number[kNumberSlots] = {};
  int32_t date = 0;
  bool two_step = false;
  int hs_digits = 0;
  int64_t hs_prefix[11] = {};  // hs_prefix[k] = the first k digits as an integer (k <= digits)
  const std::vector<std::string>* flags = nullptr;  // null: no profile
  std::string_view enterprise;  // the declaration's enterprise id (enterprise lists, SPEC §7.1)
};

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A two-letter country code as one symbol (kNoSymbol unless two bytes).
inline uint32_t PackCountry(std::string_view s) {
  if (s.size() != 2) return kNoSymbol;
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[0])) << 8) | static_cast<uint8_t>(s[1]);
}

// The integer a string of decimal digits spells.
inline int64_t DigitsValue(std::string_view digits) {
  int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

inline std::optional<SymbolSlot> SymbolSlotOf(ir::Field f) {
  switch (f) {
    case ir::Field::kDirection:
      return kSymDirection;
    case ir::Field::kMode:
      return kSymMode;
    case ir::Field::kOrigin:
      return kSymOrigin;
    case ir::Field::kTradeCountry:
      return kSymTradeCountry;
    case ir::Field::kPort:
      return kSymPort;
    case ir::Field::kGrade:
      return kSymGrade;
    default:
      return std::nullopt;
  }
}

inline std::optional<NumberSlot> NumberSlotOf(ir::Field f) {
  switch (f) {
    case ir::Field::kValue:
      return kNumValue;
    case ir::Field::kWeight:
      return kNumWeight;
    case ir::Field::kAgeDays:
      return kNumAgeDays;
    case ir::Field::kInspections:
      return kNumInspections;
    case ir::Field::kHits:
      return kNumHits;
    case ir::Field::kHitRate:
      return kNumHitRate;
    default:
      return std::nullopt;
  }
}

// The symbol of a direction or mode name (its enum value), or nullopt.
std::optional<uint32_t> DirectionId(std::string_view s);
std::optional<uint32_t> ModeId(std::string_view s);

}  // namespace bukong::engine::internal

#endif  // BUKONG_ENGINE_INTERNAL_FACTS_H_
