#include "cli/support_redecide.h"

#include <fmt/format.h>

#include "cli/support_lists.h"

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

absl::StatusOr<std::shared_ptr<const engine::CompiledRuleset>> RecordedLists::Bind(
    const std::shared_ptr<const engine::CompiledRuleset>& ruleset, std::string_view decision) {
  const ir::Ruleset& ir = ruleset->ir();
  if (ir.lists.empty()) return ruleset;
  if (absl::Status s = reader_.Read(decision, ruleset, &scratch_); !s.ok()) return s;
  key_ = ruleset->Sha256();
  for (const auto& [name, prefix] : reader_.lists()) {
    key_.push_back('\0');
    key_ += name;
    key_.push_back('\0');
    key_ += prefix;
  }
  if (auto it = bound_.find(key_); it != bound_.end()) return it->second;
  auto bind = [&]() -> absl::StatusOr<std::shared_ptr<const engine::CompiledRuleset>> {
    engine::ListBindings bindings;
    for (const auto& [name, prefix] : reader_.lists()) {
      auto digest = ResolveListVersion(store_, name, prefix);
      if (!digest.ok()) return digest.status();
      auto& version = versions_[*digest];
      if (version == nullptr) {
        auto loaded = LoadListVersion(store_, name, *digest);
        if (!loaded.ok()) return loaded.status();
        version = *std::move(loaded);
      }
      bindings.emplace(name, version);
    }
    return engine::CompileRuleset(ir, std::move(bindings));
  };
  return bound_.emplace(key_, bind()).first->second;
}

}  // namespace bukong::cli
