// Small text helpers for engine/. Debian's Abseil 20220623 has its own absl::string_view
// (not std::string_view), so StrCat and heterogeneous hash-map lookup do not take
// std::string_view: these bridge the two.
#ifndef BUKONG_ENGINE_INTERNAL_TEXT_H_
#define BUKONG_ENGINE_INTERNAL_TEXT_H_

#include <iterator>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "fmt/format.h"

namespace bukong::engine_internal {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Concatenates the text of its arguments (strings, string views, numbers).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

}  // namespace bukong::engine_internal

#endif  // BUKONG_ENGINE_INTERNAL_TEXT_H_
