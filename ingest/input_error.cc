#include "ingest/input_error.h"

#include <fmt/format.h>

namespace bukong::ingest {

std::string FormatInputError(std::string_view file, uint64_t line, std::string_view message) {
  if (line == 0) return fmt::format("{}: error: {}", file, message);
  return fmt::format("{}:{}: error: {}", file, line, message);
}

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  bool cut = false;
  if (text.size() > max_bytes) {
    size_t end = max_bytes;
    // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  out += "'";
  return out;
}

}  // namespace bukong::ingest
