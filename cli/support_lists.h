// Binding the lists a ruleset declares (SPEC §7.1) to their versions in the database, for
// the commands that decide (decide, what-if) and re-decide (replay).
#ifndef BUKONG_CLI_SUPPORT_LISTS_H_
#define BUKONG_CLI_SUPPORT_LISTS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "dsl/ir.h"
#include "engine/lists.h"
#include "storage/store.h"

namespace bukong::cli {

struct RulesetEntry;

// Empty stand-in versions (digest of 64 zeros) for every list `ruleset` declares, so that it
// compiles for checking (LoadRuleFile). A ruleset compiled with them must be rebound
// (BindCurrentListsInto) before it decides anything.
engine::ListBindings UnboundLists(const ir::Ruleset& ruleset);

// Recompiles `entry` with the current versions of its lists from `store` (nothing to do when
// it declares none). On error (a list missing from the database, of another type, damaged)
// `entry` is unchanged and the message names the list.
absl::Status BindCurrentListsInto(const storage::Store& store, RulesetEntry* entry);

// The current version of every list `ruleset` declares. FailedPrecondition, naming the list
// (and how to import it), when the database does not hold it or holds it with another type;
// the caller refuses the ruleset before anything is decided. Empty when it declares none.
absl::StatusOr<engine::ListBindings> BindCurrentLists(const storage::Store& store,
                                                      const ir::Ruleset& ruleset);

// The versions `digests` names (list name -> 64 hex digits), for re-deciding a recorded
// decision. NotFound naming the list and the version when one is not in the database.
absl::StatusOr<engine::ListBindings> BindListVersions(
    const storage::Store& store, const ir::Ruleset& ruleset,
    const std::map<std::string, std::string>& digests);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_LISTS_H_
