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

engine::ListBindings UnboundLists(const ir::Ruleset& ruleset) {
  engine::ListBindings stand_ins;
  for (const ir::ListDecl& decl : ruleset.lists)
    stand_ins.emplace(decl.name, std::make_shared<engine::ListVersion>(std::string(64, '0')));
  return stand_ins;
}

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

absl::StatusOr<engine::ListBindings> BindListVersions(
    const storage::Store& store, const ir::Ruleset& ruleset,
    const std::map<std::string, std::string>& digests) {
  engine::ListBindings bindings;
  for (const ir::ListDecl& decl : ruleset.lists) {
    auto it = digests.find(decl.name);
    if (it == digests.end()) {
      return absl::NotFoundError(
          fmt::format("no version of list '{}' was recorded", decl.name));
    }
    auto entries = storage::GetListVersion(store, it->second);
    if (!entries.ok()) return entries.status();
    if (!entries->has_value()) {
      return absl::NotFoundError(fmt::format("version {} of list '{}' is not in the database",
                                             it->second, decl.name));
    }
    auto version = Load(store, decl.name, it->second, **entries);
    if (!version.ok()) return version.status();
    bindings.emplace(decl.name, *std::move(version));
  }
  return bindings;
}

}  // namespace bukong::cli
