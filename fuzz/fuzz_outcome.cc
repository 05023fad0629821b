// libFuzzer target: any bytes as `bukong outcome`'s JSON Lines input, line by line through
// ingest::OutcomeParser. Promises checked (ingest/outcome_json.h): a rejection is
// InvalidArgument with a message; an accepted line has a non-empty id, which occurs in the
// line (escaped or not) — it was read, not invented.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "ingest/line_source.h"
#include "ingest/outcome_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bukong::ingest;
  static OutcomeParser* parser = new OutcomeParser();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  LineReader reader(&in, 64, {}, 4096);
  std::string_view line;
  uint64_t number = 0;
  OutcomeLine out;
  while (reader.Next(&line, &number)) {
    absl::Status s = parser->Parse(line, &out);
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kInvalidArgument || s.message().empty()) std::abort();
      continue;
    }
    if (out.declaration_id.empty()) std::abort();
    if (line.find("\\") == std::string_view::npos &&
        line.find(out.declaration_id) == std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
