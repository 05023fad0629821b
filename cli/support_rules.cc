#include "cli/support_rules.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/support_files.h"
#include "cli/support_lists.h"
#include "core/strings.h"
#include "dsl/compiler.h"
#include "engine/compile_text.h"

namespace bukong::cli {

std::vector<std::string> RulesetEntry::GradeOrder() const {
  std::vector<std::string> order;
  for (const ir::Grade& g : compiled->ir().grades) order.push_back(g.name);
  return order;
}

std::optional<std::string> RulesetEntry::ReferenceGrade() const {
  const ir::Ruleset& r = compiled->ir();
  if (!r.reference_grade) return std::nullopt;
  return r.grades[*r.reference_grade].name;
}

std::unique_ptr<RulesetEntry> MakeRulesetEntry(std::string text,
                                               std::shared_ptr<const engine::CompiledRuleset> compiled) {
  auto entry = std::make_unique<RulesetEntry>();
  entry->text = std::move(text);
  entry->compiled = std::move(compiled);
  return entry;
}

std::unique_ptr<RulesetEntry> LoadRuleFile(const std::string& path) {
  auto read = ReadWholeFile(path, "rule file");  // the message says why
  if (!read.ok()) {
    fmt::print(stderr, "{}: error: {}\n", path, Message(read.status()));
    return nullptr;
  }
  std::string text = *std::move(read);
  // A ruleset that declares lists (SPEC §7.1) compiles with empty stand-ins; the command
  // binds the database's versions (cli/support_lists.h) before deciding anything.
  engine::CompileTextResult compiled =
      engine::CompileRulesetText(text, path, engine::ListsAtCompile::kStandIns);
  for (const dsl::Diagnostic& d : compiled.diagnostics) {
    const std::string message = dsl::FormatDiagnostic(path, text, d);
    std::fwrite(message.data(), 1, message.size(), stderr);
  }
  if (!compiled.status.ok()) {  // the checked IR was refused: a compiler bug, not the user's
    fmt::print(stderr, "{}: error: {}\n", path, Message(compiled.status));
    return nullptr;
  }
  if (!compiled.ok()) {
    fmt::print(stderr, "{}: {} error{}; nothing was decided\n", path, compiled.ErrorCount(),
               compiled.ErrorCount() == 1 ? "" : "s");
    return nullptr;
  }
  return MakeRulesetEntry(std::move(text), std::move(compiled.ruleset));
}

absl::StatusOr<const RulesetEntry*> StoredRulesets::Get(std::string_view sha) {
  if (auto it = by_sha_.find(sha); it != by_sha_.end()) return it->second.get();
  if (auto it = failures_.find(sha); it != failures_.end()) return it->second;
  auto fail = [&](absl::Status status) -> absl::StatusOr<const RulesetEntry*> {
    failures_.emplace(std::string(sha), status);
    return status;
  };
  auto stored = store_.GetRuleset(sha);
  if (!stored.ok()) return stored.status();  // I/O: not cached, the caller stops anyway
  if (!stored->has_value()) {
    return fail(
        absl::NotFoundError(fmt::format("ruleset {} is not in the database", sha.substr(0, 12))));
  }
  const storage::StoredRuleset& r = **stored;
  // With stand-ins for its lists: good for reading its decisions back; re-deciding binds the
  // versions a record names (cli/support_redecide.h RecordedLists).
  engine::CompileTextResult result = engine::CompileRulesetText(
      r.text, fmt::format("{}@{}", r.name, r.version), engine::ListsAtCompile::kStandIns);
  if (!result.status.ok()) {
    return fail(absl::FailedPreconditionError(fmt::format("stored ruleset {}@{} ({}): {}", r.name,
                                                          r.version, sha.substr(0, 12),
                                                          Message(result.status))));
  }
  if (!result.ok()) {
    return fail(absl::FailedPreconditionError(
        fmt::format("stored ruleset {}@{} ({}) no longer compiles ({} errors)", r.name, r.version,
                    sha.substr(0, 12), result.ErrorCount())));
  }
  auto entry = MakeRulesetEntry(r.text, std::move(result.ruleset));
  const RulesetEntry* pointer = entry.get();
  by_sha_.emplace(std::string(sha), std::move(entry));
  return pointer;
}

}  // namespace bukong::cli
