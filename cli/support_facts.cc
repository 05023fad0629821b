#include "cli/support_facts.h"

namespace bukong::cli {

std::string HsChapter(std::string_view hs) {
  std::string chapter;
  for (char c : hs) {
    if (c == '.') continue;
    chapter += c;
    if (chapter.size() == 2) break;
  }
  return chapter;
}

report::DecisionFacts FactsOf(const engine::Decision& d, std::string_view hs) {
  report::DecisionFacts facts;
  facts.grade = std::string(d.GradeName());
  facts.hs_chapter = HsChapter(hs);
  facts.sampled = d.sampled;
  switch (d.outcome) {
    case engine::Outcome::kHold:
      facts.outcome = report::Outcome::kHold;
      facts.mandated = true;
      break;
    case engine::Outcome::kInspect:
      facts.outcome = report::Outcome::kInspect;
      facts.at_port = d.site == ir::Site::kPort;
      facts.nii = d.method == ir::Method::kNii;
      facts.by_sample = d.selected_by_sample;  // SPEC §7.3: discretionary whatever won
      facts.mandated = !d.selected_by_sample && d.rule != engine::Decision::kBaseline &&
                       d.ruleset->ir().rules[static_cast<size_t>(d.rule)].then.fixed;
      break;
    case engine::Outcome::kRelease:
      break;
  }
  return facts;
}

}  // namespace bukong::cli
