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
    const std::shared_ptr<const engine::CompiledRuleset>& ruleset,
    const storage::AuditRecord& record) {
  const ir::Ruleset& ir = ruleset->ir();
  if (ir.lists.empty()) return ruleset;
  recorded_.clear();
  if (!record.lists.empty()) {
    // Schema version 4 on: the full digests, one per declared list, in declaration order.
    if (record.lists.size() != ir.lists.size()) {
      return absl::DataLossError(
          fmt::format("the record keeps {} list versions, but its ruleset declares {} lists",
                      record.lists.size(), ir.lists.size()));
    }
    for (size_t i = 0; i < ir.lists.size(); ++i) {
      if (record.lists[i].name != ir.lists[i].name) {
        return absl::DataLossError(fmt::format(
            "the record keeps a version of list '{}' where its ruleset declares list '{}'",
            record.lists[i].name, ir.lists[i].name));
      }
      if (record.lists[i].digest.size() != 64) {
        return absl::DataLossError(fmt::format(
            "the record keeps a malformed version of list '{}' (not 64 hex digits)",
            record.lists[i].name));
      }
      recorded_.emplace_back(record.lists[i].name, record.lists[i].digest);
    }
  } else {
    // An older record: the decision line's 16-digit prefixes.
    if (absl::Status s = reader_.Read(record.decision, ruleset, &scratch_); !s.ok()) return s;
    recorded_ = reader_.lists();
  }
  key_ = ruleset->Sha256();
  for (const auto& [name, version] : recorded_) {
    key_.push_back('\0');
    key_ += name;
    key_.push_back('\0');
    key_ += version;
  }
  if (auto it = bound_.find(key_); it != bound_.end()) return it->second;
  auto bind = [&]() -> absl::StatusOr<std::shared_ptr<const engine::CompiledRuleset>> {
    engine::ListBindings bindings;
    for (const auto& [name, version] : recorded_) {
      // A full digest matches exactly one version of the history, or none.
      auto digest = ResolveListVersion(store_, name, version);
      if (!digest.ok()) return digest.status();
      auto& loaded_version = versions_[*digest];
      if (loaded_version == nullptr) {
        auto loaded = LoadListVersion(store_, name, *digest);
        if (!loaded.ok()) return loaded.status();
        loaded_version = *std::move(loaded);
      }
      bindings.emplace(name, loaded_version);
    }
    return engine::CompileRuleset(ir, std::move(bindings));
  };
  return bound_.emplace(key_, bind()).first->second;
}

}  // namespace bukong::cli
