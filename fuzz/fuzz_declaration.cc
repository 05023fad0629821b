// libFuzzer target: any bytes as a declarations file (`bukong decide`'s input): lines from
// ingest::LineReader, each parsed by ingest::DeclarationParser twice — reading every field
// (the strictest check) and reading none (only the always-required ones). Promises checked
// (ingest/declaration_json.h, ingest/line_source.h):
//   - every rejection is InvalidArgument with a message (it becomes FILE:LINE: error: ...);
//   - an accepted line has a non-empty id and enterprise and an HS code of 6-10 digits;
//   - a line accepted by the strict parser is accepted by the lenient one, with the same id;
//   - line numbers count up from 1 and no line is longer than the reader's limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "ingest/declaration_json.h"
#include "ingest/line_source.h"

namespace {

bool Plausible(const bukong::Declaration& d) {
  if (d.id.empty() || d.enterprise.empty() || d.hs.size() < 6 || d.hs.size() > 10) return false;
  for (char c : d.hs) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bukong::ingest;
  static DeclarationParser* strict = new DeclarationParser(AllDeclarationFields());
  static DeclarationParser* lenient = new DeclarationParser(FieldsRead{});
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  constexpr size_t kMaxLine = 4096;
  LineReader reader(&in, 64, {}, kMaxLine);  // a small chunk: exercise refills
  std::string_view line;
  uint64_t number = 0, expected = 1;
  bukong::Declaration a, b;
  while (reader.Next(&line, &number)) {
    if (number != expected++ || line.size() > kMaxLine) std::abort();
    absl::Status s = strict->Parse(line, &a);
    absl::Status t = lenient->Parse(line, &b);
    for (const absl::Status* status : {&s, &t}) {
      if (!status->ok() && (status->code() != absl::StatusCode::kInvalidArgument ||
                            status->message().empty())) {
        std::abort();
      }
    }
    if (s.ok() && (!Plausible(a) || !t.ok() || a.id != b.id)) std::abort();
    if (t.ok() && !Plausible(b)) std::abort();
  }
  if (!reader.status().ok() && reader.status().message().empty()) std::abort();
  return 0;
}
