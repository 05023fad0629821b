// Decision facts for report/ (stats, what-if): from a decision as the audit log stores it
// (its JSON line) or from a Decision just made.
#ifndef BUKONG_CLI_SUPPORT_FACTS_H_
#define BUKONG_CLI_SUPPORT_FACTS_H_

#include <memory>
#include <string>
#include <string_view>

#include "cli/support_rules.h"
#include "engine/engine.h"
#include "report/report.h"

namespace bukong::cli {

// A decision as the audit log stores it, read back with engine::DecisionJsonReader (the
// inverse of DecisionToJson; its `ruleset` is the one the record names).
using StoredDecision = engine::Decision;

// Facts of a decision, just made or read back (`fixed` from its ruleset, d.ruleset). An
// inspection made by the §7.3 sample alone is discretionary whatever rule won (SPEC §7.3
// "stats"). `hs` is the declared code (digits, dots removed or not): its first two digits
// are the chapter.
report::DecisionFacts FactsOf(const engine::Decision& d, std::string_view hs);

// The HS chapter (first two digits) of a declared code, dots skipped.
std::string HsChapter(std::string_view hs);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_FACTS_H_
