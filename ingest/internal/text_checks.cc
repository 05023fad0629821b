#include "ingest/internal/text_checks.h"

#include <simdjson.h>

#include <charconv>

namespace bukong::ingest::internal {

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

size_t FindControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 && byte != '\n' && byte != '\r') return i;
  }
  return std::string_view::npos;
}

bool IsIdentifier(std::string_view text) {
  if (text.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(text[0])) return false;
  for (char c : text.substr(1)) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

CounterError ParseCounter(std::string_view text, uint64_t* out) {
  if (text.empty()) return CounterError::kNotInteger;
  for (char c : text) {
    if (c < '0' || c > '9') return CounterError::kNotInteger;
  }
  if (text.size() > 1 && text[0] == '0') return CounterError::kLeadingZero;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec == std::errc::result_out_of_range) return CounterError::kTooLarge;
  if (ec != std::errc() || ptr != text.data() + text.size()) return CounterError::kNotInteger;
  return CounterError::kNone;
}

}  // namespace bukong::ingest::internal
