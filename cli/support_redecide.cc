#include "cli/support_redecide.h"

#include <fmt/format.h>

namespace bukong::cli {

absl::StatusOr<engine::Decision> Redecider::Redecide(
    const storage::AuditRecord& r, const std::shared_ptr<const engine::CompiledRuleset>& ruleset) {
  failure_ = Failure::kNone;
  if (r.key_id != key_id_) {
    failure_ = Failure::kOtherKey;
    return absl::FailedPreconditionError(fmt::format(
        "decided under selection key {}, but the database's key is {}", r.key_id, key_id_));
  }
  auto it = parsers_.find(ruleset.get());
  if (it == parsers_.end()) {
    it = parsers_
             .emplace(ruleset.get(),
                      std::make_unique<ingest::DeclarationParser>(ruleset->FieldsRead()))
             .first;
  }
  if (absl::Status s = it->second->Parse(r.declaration, &declaration_); !s.ok()) {
    failure_ = Failure::kDeclaration;
    return s;
  }
  if (declaration_.id != r.declaration_id || declaration_.enterprise != r.enterprise) {
    failure_ = Failure::kDeclaration;
    return absl::DataLossError("the stored declaration's id or enterprise differs from the record's");
  }
  absl::StatusOr<engine::Decision> decision =
      engine::Decide(ruleset, key_, declaration_, r.profile ? &*r.profile : nullptr);
  if (!decision.ok()) failure_ = Failure::kDecision;
  return decision;
}

}  // namespace bukong::cli
