// The HS 2022 nomenclature (chapters, headings, subheadings), compiled into the program so
// that checks and generators need no data files at run time. Source: UN Comtrade, PDDL 1.0
// (data/hs2022/). China's 8- and 10-digit codes extend these with national digits, which
// are not part of HS and so not listed here.
#ifndef BUKONG_CORE_HS2022_H_
#define BUKONG_CORE_HS2022_H_

#include <span>
#include <string_view>

namespace bukong {

struct HsEntry {
  std::string_view code;         // 2, 4 or 6 digits
  std::string_view description;  // English description
  int level() const { return static_cast<int>(code.size()); }
};

// Every chapter, heading and subheading of HS 2022, sorted by code. Built on first use;
// thread-safe.
std::span<const HsEntry> Hs2022();

// True when `digits` (2, 4 or 6 digits) is a chapter, heading or subheading of HS 2022.
// Longer codes are checked by their first 6 digits; other lengths are false.
bool Hs2022Contains(std::string_view digits);

}  // namespace bukong

#endif  // BUKONG_CORE_HS2022_H_
