#include "cli/support_lists.h"

#include <fmt/format.h>

#include "cli/support_rules.h"
#include "storage/lists.h"

namespace bukong::cli {
namespace {

absl::StatusOr<std::shared_ptr<const engine::ListVersion>> Load(const storage::Store& store,
                                                                const std::string& name,
                                                                const std::string& digest,
                                                                uint64_t entries) {
  auto version = std::make_shared<engine::ListVersion>(digest);
  version->Reserve(entries, entries * 20);
  absl::Status s =
      storage::ScanListVersion(store, digest, [&](std::string_view e) { version->Add(e); });
  if (!s.ok()) {
    return absl::Status(s.code(), fmt::format("list '{}': {}", name, std::string(s.message())));
  }
  return std::shared_ptr<const engine::ListVersion>(std::move(version));
}

}  // namespace

absl::Status BindCurrentListsInto(const storage::Store& store, RulesetEntry* entry) {
  const ir::Ruleset& ir = entry->compiled->ir();
  if (ir.lists.empty()) return absl::OkStatus();
  auto bindings = BindCurrentLists(store, ir);
  if (!bindings.ok()) return bindings.status();
  auto compiled = engine::CompileRuleset(ir, *std::move(bindings));
  if (!compiled.ok()) return compiled.status();
  entry->compiled = *std::move(compiled);
  return absl::OkStatus();
}

absl::StatusOr<engine::ListBindings> BindCurrentLists(const storage::Store& store,
                                                      const ir::Ruleset& ruleset) {
  engine::ListBindings bindings;
  for (const ir::ListDecl& decl : ruleset.lists) {
    const std::string type = ir::ListTypeName(decl.type);
    auto info = storage::GetList(store, decl.name);
    if (!info.ok()) return info.status();
    if (!info->has_value()) {
      return absl::FailedPreconditionError(fmt::format(
          "ruleset {} declares list '{}', which the database in {} does not hold (import it: "
          "bukong lists import --db {} {} FILE --type {})",
          ruleset.Id(), decl.name, store.dir(), store.dir(), decl.name, type));
    }
    if ((*info)->type != type) {
      return absl::FailedPreconditionError(fmt::format(
          "ruleset {} declares list '{}' of {}, but the database holds a list of {} by that name",
          ruleset.Id(), decl.name, type, (*info)->type));
    }
    auto version = Load(store, decl.name, (*info)->digest, (*info)->entries);
    if (!version.ok()) return version.status();
    bindings.emplace(decl.name, *std::move(version));
  }
  return bindings;
}

absl::StatusOr<std::string> ResolveListVersion(const storage::Store& store, const std::string& name,
                                               std::string_view prefix) {
  auto history = storage::ListHistory(store, name);
  if (!history.ok()) return history.status();
  std::string found;
  for (const storage::ListVersionInfo& v : *history) {
    if (!std::string_view(v.digest).starts_with(prefix) || v.digest == found) continue;
    if (!found.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "version {} of list '{}' names more than one stored version", prefix, name));
    }
    found = v.digest;
  }
  if (found.empty()) {
    return absl::NotFoundError(
        fmt::format("version {} of list '{}' is not in the database", prefix, name));
  }
  return found;
}

absl::StatusOr<std::shared_ptr<const engine::ListVersion>> LoadListVersion(
    const storage::Store& store, const std::string& name, const std::string& digest) {
  auto entries = storage::GetListVersion(store, digest);
  if (!entries.ok()) return entries.status();
  if (!entries->has_value()) {
    return absl::NotFoundError(fmt::format("version {} of list '{}' is not in the database",
                                           std::string_view(digest).substr(0, 16), name));
  }
  return Load(store, name, digest, **entries);
}

}  // namespace bukong::cli
