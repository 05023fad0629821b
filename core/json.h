// Writing JSON strings: the one JSON escaping of the project (decision lines, which the audit
// log stores as written; reports; CLI and service output). Reading JSON is simdjson's job.
#ifndef BUKONG_CORE_JSON_H_
#define BUKONG_CORE_JSON_H_

#include <string>
#include <string_view>

namespace bukong {

// Appends `text` to `out` as a JSON string literal with its quotes. Escapes `"`, `\` and
// control characters; other bytes (UTF-8 included) are copied as they are.
void AppendJsonString(std::string& out, std::string_view text);

inline std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

}  // namespace bukong

#endif  // BUKONG_CORE_JSON_H_
