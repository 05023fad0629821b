// Binding the lists a ruleset declares (SPEC §7.1) to their versions in the database, for
// the commands that decide (decide, what-if) and re-decide (replay).
#ifndef BUKONG_CLI_SUPPORT_LISTS_H_
#define BUKONG_CLI_SUPPORT_LISTS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dsl/ir.h"
#include "engine/lists.h"
#include "storage/store.h"

namespace bukong::cli {

struct RulesetEntry;

// Recompiles `entry` with the current versions of its lists from `store` (nothing to do when
// it declares none). On error (a list missing from the database, of another type, damaged)
// `entry` is unchanged and the message names the list.
absl::Status BindCurrentListsInto(const storage::Store& store, RulesetEntry* entry);

// The current version of every list `ruleset` declares. FailedPrecondition, naming the list
// (and how to import it), when the database does not hold it or holds it with another type;
// the caller refuses the ruleset before anything is decided. Empty when it declares none.
absl::StatusOr<engine::ListBindings> BindCurrentLists(const storage::Store& store,
                                                      const ir::Ruleset& ruleset);

// The stored version of list `name` whose digest begins with `prefix` (the first 16 hex digits
// a decision line records, or a full 64-digit digest an audit record keeps: then an exact
// lookup), as its full 64-digit digest, from the list's history (storage::ListHistory).
// NotFound naming list and prefix when no version of the list begins so (a database that does
// not hold it: another database, or one of schema version 1 or 2); FailedPrecondition naming
// both when more than one does (never for a full digest).
absl::StatusOr<std::string> ResolveListVersion(const storage::Store& store, const std::string& name,
                                               std::string_view prefix);

// Loads version `digest` of list `name` (for binding). NotFound or DataLoss naming the list.
absl::StatusOr<std::shared_ptr<const engine::ListVersion>> LoadListVersion(
    const storage::Store& store, const std::string& name, const std::string& digest);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_LISTS_H_
