// libFuzzer target: any bytes as decision lines read back from the audit log — `stats`,
// `what-if`, `explain` and replay read each record's stored decision with
// engine::DecisionJsonReader (engine/decision_json.h). Promises checked: a line that is not a
// decision of the ruleset is DataLoss with a message, never a crash or an over-read; what an
// accepted line reads as writes out in bukong's form and reads back to the same decision.
// The ruleset below has a §7.3 sample, a hold and a site/method split, so every key a
// decision can carry is in play; the seeds in fuzz/corpus/decision/ are real `bukong decide` lines under it (the
// ruleset's text is part of each line's ruleset_sha256: change it and re-make the seeds).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "engine/compile_text.h"
#include "engine/decision_json.h"
#include "ingest/line_source.h"

namespace {

constexpr const char* kRules = R"(ruleset "fuzz-decision" version 1
grade advanced  factor 0.2
grade general   factor 1.0
grade dishonest floor 80%
unknown enterprise grade general
baseline 5%
sample 10% at port 50% destination 50% method manual
rule electronics when hs in [85] then rate 30% at port 50% destination 50% method manual
rule imports when direction = import then rate 8%
rule stop when grade = dishonest then hold "dishonest"
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* ruleset = [] {
    auto compiled = bukong::engine::CompileRulesetText(kRules, "fuzz_decision.rules");
    if (!compiled.ok()) std::abort();
    return new std::shared_ptr<const bukong::engine::CompiledRuleset>(compiled.ruleset);
  }();
  static auto* reader = new bukong::engine::DecisionJsonReader();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  bukong::ingest::LineReader lines(&in, 64, {}, 8192);
  std::string_view line;
  uint64_t number = 0;
  bukong::engine::Decision out;
  while (lines.Next(&line, &number)) {
    absl::Status s = reader->Read(line, *ruleset, &out);
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kDataLoss || s.message().empty()) std::abort();
      continue;
    }
    // Reading is a projection: what it keeps writes out in bukong's own form, and that form
    // reads back to the same decision (a fixed point). It is not a byte-for-byte check of
    // `line` — reasons are derived, not read, and a repeated key is not refused (found by this
    // target: decision_json.h says so) — replay compares stored lines byte for byte.
    const std::string again = bukong::engine::DecisionToJson(out);
    bukong::engine::Decision back;
    if (!reader->Read(again, *ruleset, &back).ok() || !(back == out) ||
        bukong::engine::DecisionToJson(back) != again) {
      std::abort();
    }
  }
  return 0;
}
