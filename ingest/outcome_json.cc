#include "ingest/outcome_json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "ingest/input_error.h"

namespace bukong::ingest {

struct OutcomeParser::Impl {
  // The DOM parser validates the whole line (text after the object is an error).
  simdjson::dom::parser parser;
};

OutcomeParser::OutcomeParser() : impl_(std::make_unique<Impl>()) {}
OutcomeParser::~OutcomeParser() = default;

absl::Status OutcomeParser::Parse(std::string_view line, OutcomeLine* out) {
  auto error = [](std::string message) { return absl::InvalidArgumentError(message); };
  simdjson::dom::element doc;
  if (impl_->parser.parse(line.data(), line.size()).get(doc)) return error("not JSON");
  simdjson::dom::object object;
  if (doc.get_object().get(object)) return error("expected a JSON object");
  bool has_id = false, has_result = false;
  for (auto [key, value] : object) {
    if (key != "id" && key != "result") {
      // A typo in a key must not pass silently: the format has two keys.
      return error(fmt::format("unknown key {} (an outcome has exactly `id` and `result`)",
                               QuoteForMessage(key)));
    }
    bool& seen = key == "id" ? has_id : has_result;
    if (seen) return error(fmt::format("key '{}' is repeated", key));
    seen = true;
    std::string_view text;
    if (value.get_string().get(text)) {
      return error(fmt::format("field '{}': expected a string", key));
    }
    if (key == "id") {
      if (text.empty()) return error("field 'id': must not be empty");
      out->declaration_id.assign(text);
    } else if (text == "hit" || text == "clean") {
      out->hit = text == "hit";
    } else {
      return error(fmt::format("field 'result': expected \"hit\" or \"clean\", found {}",
                               QuoteForMessage(text)));
    }
  }
  if (!has_id) return error("field 'id' is missing");
  if (!has_result) return error("field 'result' is missing");
  return absl::OkStatus();
}

}  // namespace bukong::ingest
