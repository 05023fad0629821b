// libFuzzer target: any bytes as decision lines read back from the audit log — `stats` and
// `what-if` read each record's stored decision with cli::DecisionReader (compiled in from
// cli/support_facts.cc until the reader moves into the library). Promises checked
// (cli/support_facts.h): a line that is not a decision is DataLoss with a message, never a
// crash or an over-read; an accepted line has an outcome of release, inspect or hold, a
// grade and a winner, as every line `bukong decide` prints has.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cli/support_facts.h"
#include "ingest/line_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bukong::cli::DecisionReader* reader = new bukong::cli::DecisionReader();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  bukong::ingest::LineReader lines(&in, 64, {}, 8192);
  std::string_view line;
  uint64_t number = 0;
  bukong::cli::StoredDecision out;
  while (lines.Next(&line, &number)) {
    absl::Status s = reader->Read(line, &out);
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kDataLoss || s.message().empty()) std::abort();
      continue;
    }
    if (out.outcome != "release" && out.outcome != "inspect" && out.outcome != "hold") {
      std::abort();
    }
  }
  return 0;
}
