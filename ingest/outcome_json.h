// Parsing one inspection outcome of `bukong outcome`'s JSON Lines input (SPEC §3, §6):
// `{"id":"D0001","result":"hit"}` or `"clean"`.
//
//   OutcomeParser parser;
//   OutcomeLine outcome;
//   absl::Status s = parser.Parse(line, &outcome);
//   if (!s.ok()) std::cerr << FormatInputError(input_name, line_number, s.message()) << "\n";
//
// Rules: the line is exactly one JSON object (white space around it allowed) with exactly
// the keys `id` (a non-empty string) and `result` ("hit" or "clean"); a key repeated, a key
// that is neither, or text after the object is an error. Errors are InvalidArgument statuses
// whose message is the MESSAGE of `INPUT:LINE: error: MESSAGE` and names the field ("field
// 'result': expected \"hit\" or \"clean\", found 'miss'"); no other status code occurs.
//
// A parser reuses its buffers across lines. Not thread-safe: one parser per thread.
#ifndef BUKONG_INGEST_OUTCOME_JSON_H_
#define BUKONG_INGEST_OUTCOME_JSON_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace bukong::ingest {

struct OutcomeLine {
  std::string declaration_id;
  bool hit = false;  // "hit"; false for "clean"
};

class OutcomeParser {
 public:
  OutcomeParser();
  ~OutcomeParser();
  OutcomeParser(const OutcomeParser&) = delete;
  OutcomeParser& operator=(const OutcomeParser&) = delete;

  // Parses `line` (without its newline) into *out. On error *out is unspecified.
  absl::Status Parse(std::string_view line, OutcomeLine* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_OUTCOME_JSON_H_
