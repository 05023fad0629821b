// absl::Status messages as std::string_view: Debian's Abseil has its own string_view,
// which fmt cannot print and std::string_view parameters do not accept.
#ifndef BUKONG_CLI_SUPPORT_STATUS_H_
#define BUKONG_CLI_SUPPORT_STATUS_H_

#include <string_view>

#include "absl/status/status.h"

namespace bukong::cli {

inline std::string_view Message(const absl::Status& status) {
  const auto m = status.message();
  return std::string_view(m.data(), m.size());
}

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_STATUS_H_
