#include "cli/support_facts.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace bukong::cli {

struct DecisionReader::Impl {
  simdjson::ondemand::parser parser;
  std::string padded;  // the line plus SIMDJSON_PADDING bytes
};

DecisionReader::DecisionReader() : impl_(std::make_unique<Impl>()) {}
DecisionReader::~DecisionReader() = default;

absl::Status DecisionReader::Read(std::string_view json, StoredDecision* out) {
  impl_->padded.assign(json);
  impl_->padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  auto bad = [](std::string_view what) {
    return absl::DataLossError(fmt::format("the stored decision {}", what));
  };
  simdjson::ondemand::document doc;
  if (impl_->parser.iterate(impl_->padded.data(), json.size(), impl_->padded.size()).get(doc)) {
    return bad("is not JSON");
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return bad("is not a JSON object");
  *out = StoredDecision{};
  bool seen_outcome = false, seen_grade = false, seen_rule = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad("is not valid JSON");
    simdjson::ondemand::value value;
    if (field.value().get(value)) return bad("is not valid JSON");
    if (key == "sampled") {  // SPEC §7.3
      bool sampled = false;
      if (value.get_bool().get(sampled)) return bad("has a non-boolean 'sampled'");
      out->sampled = sampled;
      continue;
    }
    std::string selected_by;
    std::string* target = nullptr;
    if (key == "selected_by") {
      target = &selected_by;
    } else if (key == "outcome") {
      target = &out->outcome;
      seen_outcome = true;
    } else if (key == "site") {
      target = &out->site;
    } else if (key == "method") {
      target = &out->method;
    } else if (key == "grade") {
      target = &out->grade;
      seen_grade = true;
    } else if (key == "rule") {
      target = &out->rule;
      seen_rule = true;
    } else {
      continue;  // skipped by the iterator
    }
    bool is_null = false;
    if (value.is_null().get(is_null)) return bad("is not valid JSON");
    if (is_null) continue;
    std::string_view text;
    if (value.get_string().get(text)) return bad(fmt::format("has a non-string '{}'", key));
    target->assign(text);
    if (target == &selected_by) out->selected_by_sample = selected_by == "sample";
  }
  if (!seen_outcome || !seen_grade || !seen_rule) return bad("lacks outcome, grade or rule");
  if (!ParseOutcome(out->outcome)) {
    return bad(fmt::format("has an unknown outcome '{}'", out->outcome));
  }
  return absl::OkStatus();
}

std::string HsChapter(std::string_view hs) {
  std::string chapter;
  for (char c : hs) {
    if (c == '.') continue;
    chapter += c;
    if (chapter.size() == 2) break;
  }
  return chapter;
}

report::DecisionFacts FactsOf(const StoredDecision& d, const RulesetEntry& ruleset,
                              std::string_view hs) {
  report::DecisionFacts facts;
  facts.grade = d.grade;
  facts.hs_chapter = HsChapter(hs);
  facts.sampled = d.sampled;
  if (d.outcome == "hold") {
    facts.outcome = report::Outcome::kHold;
    facts.mandated = true;
  } else if (d.outcome == "inspect") {
    facts.outcome = report::Outcome::kInspect;
    facts.at_port = d.site == "port";
    facts.nii = d.method == "nii";
    facts.by_sample = d.selected_by_sample;
    facts.mandated = !facts.by_sample && ruleset.IsMandated(d.rule, false);
  }
  return facts;
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
