#include "ingest/internal/json_support.h"

#include <fmt/format.h>

#include <cstring>

namespace bukong::ingest::internal {

using simdjson::error_code;
namespace od = simdjson::ondemand;

simdjson::simdjson_result<od::document> PaddedLine::Iterate(od::parser& parser,
                                                            std::string_view line) {
  size_t needed = line.size() + simdjson::SIMDJSON_PADDING;
  if (buffer_.size() < needed) buffer_.resize(needed);
  if (!line.empty()) std::memcpy(buffer_.data(), line.data(), line.size());
  std::memset(buffer_.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  size_ = line.size();
  return parser.iterate(buffer_.data(), line.size(), buffer_.size());
}

const char* JsonTypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown value";
}

error_code ValidateJsonValue(od::value value, int depth) {
  // Declarations and profiles are flat; anything this deep is hostile.
  if (depth > 64) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        od::value inner;
        if (auto error = std::move(element).get(inner)) return error;
        if (auto error = ValidateJsonValue(inner, depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field_result : object) {
        od::field field;
        if (auto error = std::move(field_result).get(field)) return error;
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return error;
        od::value inner = field.value();
        if (auto error = ValidateJsonValue(inner, depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      od::number number;
      return value.get_number().get(number);
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return error;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

std::string_view TrimJsonToken(std::string_view token) {
  while (!token.empty()) {
    char c = token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    token.remove_suffix(1);
  }
  return token;
}

std::string JsonErrorMessage(error_code error) {
  if (error == simdjson::UTF8_ERROR) return "invalid UTF-8";
  if (error == simdjson::EMPTY) return "empty line";
  return fmt::format("invalid JSON ({})", simdjson::error_message(error));
}

std::string ObjectErrorMessage(error_code error, std::string_view line) {
  if (error == simdjson::INCORRECT_TYPE) return "not a JSON object";
  if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
    size_t last = line.find_last_not_of(" \t\r\n");
    if (last != std::string_view::npos && line[last] != '}') {
      // Either cut short or followed by more text: simdjson cannot tell which.
      return "invalid JSON: the object does not end at the end of the line";
    }
  }
  return JsonErrorMessage(error);
}

bool OnlyWhitespaceAfter(std::string_view line, std::string_view object_text) {
  size_t offset = static_cast<size_t>(object_text.data() - line.data()) + object_text.size();
  for (size_t i = offset; i < line.size(); ++i) {
    char c = line[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

}  // namespace bukong::ingest::internal
