#include "core/hs2022.h"

#include <algorithm>
#include <vector>

namespace bukong {
namespace internal {
// data/hs2022/hs2022.tsv, embedded by CMake (core/hs2022_data.cc.in).
extern const std::string_view kHs2022Tsv;
}  // namespace internal

std::span<const HsEntry> Hs2022() {
  static const std::vector<HsEntry> entries = [] {
    std::vector<HsEntry> out;
    std::string_view text = internal::kHs2022Tsv;
    while (!text.empty()) {
      const size_t eol = text.find('\n');
      std::string_view line = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      const size_t tab = line.find('\t');
      if (tab == std::string_view::npos) continue;
      out.push_back(HsEntry{line.substr(0, tab), line.substr(tab + 1)});
    }
    return out;
  }();
  return entries;
}

bool Hs2022Contains(std::string_view digits) {
  if (digits.size() > 6) {
    if (digits.size() != 8 && digits.size() != 10) return false;
    digits = digits.substr(0, 6);
  }
  if (digits.size() != 2 && digits.size() != 4 && digits.size() != 6) return false;
  auto entries = Hs2022();
  auto it = std::lower_bound(entries.begin(), entries.end(), digits,
                             [](const HsEntry& e, std::string_view d) { return e.code < d; });
  return it != entries.end() && it->code == digits;
}

}  // namespace bukong
