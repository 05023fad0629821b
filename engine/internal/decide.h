// The decision procedure's entry point inside engine/ (engine.cc, tests, benchmarks).
#ifndef BUKONG_ENGINE_INTERNAL_DECIDE_H_
#define BUKONG_ENGINE_INTERNAL_DECIDE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "core/profile.h"
#include "core/selection_key.h"
#include "core/declaration.h"

namespace bukong::engine {
class CompiledRuleset;
struct Decision;
}  // namespace bukong::engine

namespace bukong::engine::internal {

// Decides `declaration` under `compiled` into *out (engine/decide.cc); every field but
// out->ruleset is written. `candidates`, when not null, receives how many rules the index
// offered (and so were evaluated): for benchmarks and tests of the index. On error *out is
// unspecified.
absl::Status DecideInto(const CompiledRuleset& compiled, const SelectionKey& key,
                        const Declaration& declaration, const Profile* profile, Decision* out,
                        size_t* candidates = nullptr);

}  // namespace bukong::engine::internal

#endif  // BUKONG_ENGINE_INTERNAL_DECIDE_H_
