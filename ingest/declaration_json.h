// Parsing one declaration record of JSON Lines input (SPEC §3, §6) into a Declaration.
//
//   DeclarationParser parser(compiled_ruleset->FieldsRead());
//   Declaration d;
//   absl::Status s = parser.Parse(line, &d);
//   if (!s.ok()) std::cerr << FormatInputError(input_name, line_number, s.message()) << "\n";
//
// Rules:
// - The line is exactly one JSON object (white space around it allowed). Not JSON, not an
//   object, text after the object, or a key repeated anywhere in the object → rejected.
// - Always required: `id` (non-empty string), `enterprise` (non-empty string), `date`
//   (string YYYY-MM-DD), `direction` ("import" | "export" | "transit"), `hs` (string of
//   digits and dots with 6 to 10 digits once the dots are removed; stored without dots).
// - Required only when the ruleset reads them (fields_read), then present, not null and
//   of their type: `origin`, `trade_country` (strings of two ASCII capitals), `port`
//   (string), `mode` ("sea" | "air" | "rail" | "road" | "post"), `value`, `weight` (JSON
//   numbers, kept as the exact decimal of their text, magnitude at most 10^19), `two_step`
//   (JSON boolean).
// - A field the ruleset does not read is not validated: when it is present and valid it is
//   stored and its bit set in Declaration::present; when it is absent, null or invalid it is
//   ignored (bit clear). Keys that are no field at all are ignored too (their JSON must still
//   be well-formed, and they may not repeat).
// Errors are InvalidArgument statuses whose message is the MESSAGE of
// `INPUT:LINE: error: MESSAGE` and names the field: "field 'value': expected a number,
// found a string". Other status codes do not occur.
//
// The parser keeps no reference to `line`: the caller still holds the bytes as received
// (what the audit log stores) and the line number for messages.
//
// A parser reuses its buffers across lines (no allocation per line once warm). Not
// thread-safe: use one parser per thread.
#ifndef BUKONG_INGEST_DECLARATION_JSON_H_
#define BUKONG_INGEST_DECLARATION_JSON_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "dsl/ir.h"
#include "core/declaration.h"

namespace bukong::ingest {

// What the ruleset reads: engine::CompiledRuleset::FieldsRead() (ir::FieldSet).
using FieldsRead = ir::FieldSet;

// Every declaration field read: the strictest check (what `bukong gen` output must pass).
FieldsRead AllDeclarationFields();

// Largest magnitude of `value` and `weight`: 10^19, so that twice the value scaled by 10^18
// fits ExactDecimal's 128 bits with room to spare.
inline constexpr std::string_view kMaxDecimalMagnitudeText = "10^19";

class DeclarationParser {
 public:
  explicit DeclarationParser(const FieldsRead& fields_read);
  ~DeclarationParser();
  DeclarationParser(const DeclarationParser&) = delete;
  DeclarationParser& operator=(const DeclarationParser&) = delete;

  // Parses `line` (one JSON Lines record without its newline) into *out. On error *out is
  // left in an unspecified state.
  absl::Status Parse(std::string_view line, Declaration* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The exact decimal of a JSON number's text (`-12.5e3`): twice_scaled as core/declaration.h
// defines it. Returns InvalidArgument "invalid number" for text outside the JSON number
// grammar, OutOfRange when the magnitude exceeds 10^19.
absl::Status ExactDecimalFromJsonNumber(std::string_view text, ExactDecimal* out);

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_DECLARATION_JSON_H_
