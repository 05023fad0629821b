// simdjson helpers shared by the JSON Lines readers. Internal to ingest/.
#ifndef BUKONG_INGEST_INTERNAL_JSON_SUPPORT_H_
#define BUKONG_INGEST_INTERNAL_JSON_SUPPORT_H_

#include <simdjson.h>

#include <string>
#include <string_view>

namespace bukong::ingest::internal {

// A reusable copy of one line followed by SIMDJSON_PADDING zero bytes, as simdjson needs.
// Grows to the longest line seen; no allocation per line after that.
class PaddedLine {
 public:
  // Copies `line` and returns a document iterated by `parser` (which must outlive its use).
  simdjson::simdjson_result<simdjson::ondemand::document> Iterate(
      simdjson::ondemand::parser& parser, std::string_view line);
  // The text last iterated (points into this object's buffer).
  std::string_view text() const { return {buffer_.data(), size_}; }

 private:
  std::string buffer_;
  size_t size_ = 0;
};

// "a string", "a number", "an object", ... for messages about wrong types.
const char* JsonTypeName(simdjson::ondemand::json_type type);

// Walks a value that the reader does not otherwise use, so that malformed JSON inside it
// (simdjson's On Demand API checks atoms only when they are read) is still rejected.
simdjson::error_code ValidateJsonValue(simdjson::ondemand::value value, int depth = 0);

// Strips the white space simdjson's raw_json_token() keeps after a token.
std::string_view TrimJsonToken(std::string_view token);

// Human message for a simdjson error on a line: "invalid JSON (...)", "invalid UTF-8", ...
std::string JsonErrorMessage(simdjson::error_code error);

// Message for a failure to start the top-level object of `line`.
std::string ObjectErrorMessage(simdjson::error_code error, std::string_view line);

// Checks that `object_text` (from object.raw_json()) is the whole of `line` but for
// white space after it.
bool OnlyWhitespaceAfter(std::string_view line, std::string_view object_text);

}  // namespace bukong::ingest::internal

#endif  // BUKONG_INGEST_INTERNAL_JSON_SUPPORT_H_
