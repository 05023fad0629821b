// libFuzzer target: any bytes as a stored value that the store decodes (replay, what-if,
// stats and the store itself read them back): the first byte picks the decoder — audit
// record body, profile, outcome, ruleset, decided-index entry, by_id-index key (schema
// version 4) — the rest is the value (for the by_id index: the key; its value is empty).
// Promises checked (storage/internal/encoding.h): a bad value is DataLoss with a message,
// never a crash or an over-read (ASan); a value that decodes re-encodes to one that decodes
// to the same thing — for an audit record, every field, the bound list versions (name and
// full digest, format 3) included.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/internal/encoding.h"

namespace {

namespace st = bukong::storage;
namespace si = bukong::storage::internal;

template <typename T>
bool Rejected(const absl::StatusOr<T>& decoded) {
  if (decoded.ok()) return false;
  if (decoded.status().code() != absl::StatusCode::kDataLoss ||
      decoded.status().message().empty()) {
    std::abort();
  }
  return true;
}

bool SameOutcome(const st::Outcome& a, const st::Outcome& b) {
  return a.declaration_id == b.declaration_id && a.result == b.result &&
         a.enterprise == b.enterprise && a.audit_seq == b.audit_seq;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto record = si::DecodeAuditBody(value);
      if (Rejected(record)) break;
      const std::string body = si::EncodeAuditBody(*record);
      auto again = si::DecodeAuditBody(body);
      if (!again.ok() || !(*again == *record)) std::abort();
      // A record with lists is written as format 3, one without as format 2 (as before).
      const bool format_three = static_cast<uint8_t>(body[0]) == si::kAuditFormatWithLists;
      if (format_three == record->lists.empty()) std::abort();
      break;
    }
    case 1: {
      auto profile = si::DecodeProfileValue("E1", value);
      if (Rejected(profile)) break;
      auto again = si::DecodeProfileValue("E1", si::EncodeProfileValue(*profile));
      if (!again.ok() || !(*again == *profile)) std::abort();
      break;
    }
    case 2: {
      auto outcome = si::DecodeOutcomeValue("D1", value);
      if (Rejected(outcome)) break;
      auto again = si::DecodeOutcomeValue("D1", si::EncodeOutcomeValue(*outcome));
      if (!again.ok() || !SameOutcome(*again, *outcome)) std::abort();
      break;
    }
    case 3: {
      auto ruleset = si::DecodeRulesetValue(value);
      if (Rejected(ruleset)) break;
      auto again = si::DecodeRulesetValue(
          si::EncodeRulesetValue(ruleset->name, ruleset->version, ruleset->text));
      if (!again.ok() || again->name != ruleset->name || again->version != ruleset->version ||
          again->text != ruleset->text || again->sha256 != ruleset->sha256) {
        std::abort();
      }
      break;
    }
    case 4: {
      auto ref = si::DecodeDecisionRef(value);
      if (Rejected(ref)) break;
      break;
    }
    default: {
      // The by_id index: the key is lp(id) || BE64(seq), the value empty. A key that decodes
      // is the one encoding of its (id, seq); no key decodes with a value.
      auto entry = si::DecodeByIdEntry(value, "");
      if (!Rejected(si::DecodeByIdEntry(value, "x"))) std::abort();
      if (Rejected(entry)) break;
      if (si::EncodeByIdKey(entry->declaration_id, entry->seq) != value ||
          !value.starts_with(si::EncodeByIdPrefix(entry->declaration_id))) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
