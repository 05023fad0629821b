// Small validators shared by the readers. Internal to ingest/.
#ifndef BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_
#define BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_

#include <cstdint>
#include <cstddef>
#include <string_view>

namespace bukong::ingest::internal {

bool IsValidUtf8(std::string_view text);

// Offset of the first control character (U+0000-U+001F) other than CR and LF, or npos.
// JSON strings cannot hold them raw, nor can RFC 4180 fields; CR and LF may sit inside a
// quoted CSV field.
size_t FindControlCharacter(std::string_view text);

// [A-Za-z_][A-Za-z0-9_]* — the shape of grade names in rule files.
bool IsIdentifier(std::string_view text);

// A non-negative decimal integer made only of ASCII digits (no sign, no spaces) and, as in
// JSON, without leading zeros ("0" is fine, "007" is kLeadingZero).
enum class CounterError { kNone, kNotInteger, kLeadingZero, kTooLarge };
CounterError ParseCounter(std::string_view text, uint64_t* out);

}  // namespace bukong::ingest::internal

#endif  // BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_
