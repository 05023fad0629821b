// A decision line read back: the inverse of engine::DecisionToJson (engine/engine.h).
//
//   DecisionJsonReader reader;
//   engine::Decision d;
//   absl::Status s = reader.Read(stored_line, compiled_ruleset, &d);
//   // then DecisionToJson(d) == stored_line, byte for byte, for any line DecisionToJson wrote
//
// Link bukong_engine_json. The reader checks that the line is what DecisionToJson writes for
// `ruleset`: one JSON object with the keys id, outcome, site, method, rate_ppm, grade, rule,
// matched, ruleset, ruleset_sha256, draws (reasons on a hold, derived from matched and not
// read); names that the ruleset declares; `ruleset`/`ruleset_sha256` equal to the ruleset's
// id and hash; draws (select, site, method, sample) of 16 lower-case hex digits. The SPEC §7
// keys are required exactly where DecisionToJson writes them: `sampled` when the ruleset has
// a sample, `selected_by` ("risk" or "sample") with it on an inspection, `lists` when the
// ruleset declares lists. Anything else is a DataLoss status whose message names the key
// ("the stored decision has an unknown grade 'X'"): a stored line that does not read back
// means the store or the ruleset is not what wrote it.
//
// `lists` (SPEC §7.1) must name the ruleset's lists in its order, each with the first 16
// lower-case hex digits of a version's digest; the reader returns them (lists()) and does
// NOT compare them with the versions bound to `ruleset`: one stored ruleset serves records
// decided under many versions. DecisionToJson(*out) == line holds when `ruleset` is bound to
// the recorded versions (replay binds them: cli/support_redecide.h).
#ifndef BUKONG_ENGINE_DECISION_JSON_H_
#define BUKONG_ENGINE_DECISION_JSON_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/engine.h"

namespace bukong::engine {

// Not thread-safe (it reuses its parser and buffer: no allocation per line once warm); use one
// reader per thread.
class DecisionJsonReader {
 public:
  DecisionJsonReader();
  ~DecisionJsonReader();
  DecisionJsonReader(const DecisionJsonReader&) = delete;
  DecisionJsonReader& operator=(const DecisionJsonReader&) = delete;

  // Reads `line` (no newline) written for `ruleset` (not null) into *out; out->ruleset is set
  // to `ruleset`. On error *out is unspecified.
  absl::Status Read(std::string_view line, const std::shared_ptr<const CompiledRuleset>& ruleset,
                    Decision* out);

  // The `lists` of the last line read successfully, in the ruleset's order: (list name, first
  // 16 hex digits of the version's digest). Empty when the ruleset declares no list.
  const std::vector<std::pair<std::string, std::string>>& lists() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bukong::engine

#endif  // BUKONG_ENGINE_DECISION_JSON_H_
