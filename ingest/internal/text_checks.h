// Small validators shared by the readers. Internal to ingest/.
#ifndef BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_
#define BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace bukong::ingest::internal {

bool IsValidUtf8(std::string_view text);

// [A-Za-z_][A-Za-z0-9_]* — the shape of grade names in rule files.
bool IsIdentifier(std::string_view text);

// A non-negative decimal integer made only of ASCII digits (no sign, no spaces).
enum class CounterError { kNone, kNotInteger, kTooLarge };
CounterError ParseCounter(std::string_view text, uint64_t* out);

}  // namespace bukong::ingest::internal

#endif  // BUKONG_INGEST_INTERNAL_TEXT_CHECKS_H_
