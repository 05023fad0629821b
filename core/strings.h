// Bridging std::string_view and Abseil's string_view. Debian 12's Abseil 20220623 has its own
// absl::string_view (not an alias of std::string_view), so absl::StrCat, heterogeneous
// hash-map lookup and absl::Status messages do not take or give std::string_view directly.
// These helpers are the one bridge; use them instead of ad-hoc copies.
#ifndef BUKONG_CORE_STRINGS_H_
#define BUKONG_CORE_STRINGS_H_

#include <iterator>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "fmt/format.h"

namespace bukong {

// A view of the same bytes as Abseil's string_view (no copy).
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// A view of the same bytes as std::string_view (no copy).
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

// The message of a status as std::string_view (valid while the status lives).
inline std::string_view Message(const absl::Status& s) { return ToStd(s.message()); }

// Concatenates the text of its arguments (strings, string views, numbers), as fmt prints them.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

}  // namespace bukong

#endif  // BUKONG_CORE_STRINGS_H_
