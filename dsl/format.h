// `bukong fmt`: the canonical layout of a rule file, so that reviews diff meaning, not
// spacing. Comments are kept; the result is idempotent (formatting formatted text changes
// nothing) and means exactly what the input meant (it compiles to the same ruleset, apart
// from source lines and the file's hash) — FormatRules checks this itself before it
// returns text. The layout is described in docs/dsl.md ("Canonical layout").
//
// Thread-safety: pure functions.
#ifndef BUKONG_DSL_FORMAT_H_
#define BUKONG_DSL_FORMAT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/compiler.h"
#include "dsl/ir.h"

namespace bukong::dsl {

struct FormatResult {
  // The input's diagnostics (errors and warnings). A file with errors is not formatted: its
  // meaning is unknown, so the formatter could not prove that it kept it.
  std::vector<Diagnostic> diagnostics;
  // The canonical text (UTF-8, '\n' line ends, ending with one newline, no byte order mark),
  // present exactly when the input has no errors and the formatted text was verified to
  // compile to the same ruleset.
  std::optional<std::string> text;
  // Set (and `text` empty) only when the verification failed: a bug in the formatter, never a
  // user mistake. The message says what differed.
  std::string internal_error;

  bool ok() const { return text.has_value(); }
};

// Formats the rule text `source` (named `file_name` in diagnostics).
FormatResult FormatRules(std::string_view source, std::string_view file_name);

// A text that describes everything a ruleset means — grades, unknown grade, baseline,
// commodity sets, rules with their conditions and actions, in order — and nothing about how
// it was written (no source lines, file name or hash). Two rule files mean the same thing
// exactly when their rulesets' fingerprints are equal.
std::string MeaningFingerprint(const ir::Ruleset& ruleset);

}  // namespace bukong::dsl

#endif  // BUKONG_DSL_FORMAT_H_
