#include "engine/decision_json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/outcome.h"
#include "ingest/internal/json_support.h"

namespace bukong::engine {

namespace od = simdjson::ondemand;

struct DecisionJsonReader::Impl {
  od::parser parser;
  ingest::internal::PaddedLine padded;
  std::vector<std::pair<std::string, std::string>> lists;  // of the last line read
};

DecisionJsonReader::DecisionJsonReader() : impl_(std::make_unique<Impl>()) {}
DecisionJsonReader::~DecisionJsonReader() = default;

const std::vector<std::pair<std::string, std::string>>& DecisionJsonReader::lists() const {
  return impl_->lists;
}

namespace {

absl::Status Bad(std::string_view what) {
  return absl::DataLossError(fmt::format("the stored decision {}", what));
}

absl::Status NotJson() { return Bad("is not valid JSON"); }

// A string value, or null (then *is_null).
absl::Status StringOrNull(od::value value, std::string_view key, std::string_view* text,
                          bool* is_null) {
  if (value.is_null().get(*is_null)) return NotJson();
  if (*is_null) return absl::OkStatus();
  if (value.get_string().get(*text)) return Bad(fmt::format("has a non-string '{}'", key));
  return absl::OkStatus();
}

// One of `all` by its name (`name(e)`), or null (then *out stays unset).
template <typename E>
absl::Status NameOrNull(od::value value, std::string_view key, std::initializer_list<E> all,
                        const char* (*name)(E), std::optional<E>* out) {
  std::string_view text;
  bool is_null = false;
  if (absl::Status s = StringOrNull(value, key, &text, &is_null); !s.ok() || is_null) return s;
  for (E e : all) {
    if (text == name(e)) {
      *out = e;
      return absl::OkStatus();
    }
  }
  return Bad(fmt::format("has an unknown {} '{}'", key, text));
}

absl::Status String(od::value value, std::string_view key, std::string_view* text) {
  if (value.get_string().get(*text)) return Bad(fmt::format("has a non-string '{}'", key));
  return absl::OkStatus();
}

int HexDigit(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

// 16 lower-case hex digits: a draw, or a list version's digest prefix.
bool IsHex16(std::string_view text) {
  if (text.size() != 16) return false;
  for (char c : text)
    if (HexDigit(c) < 0) return false;
  return true;
}

absl::Status Draw(od::value value, std::string_view key, std::optional<uint64_t>* out) {
  std::string_view text;
  if (value.get_string().get(text) || !IsHex16(text))
    return Bad(fmt::format("has a draw '{}' that is not 16 hex digits", key));
  uint64_t v = 0;
  for (char c : text) v = v << 4 | static_cast<uint64_t>(HexDigit(c));
  *out = v;
  return absl::OkStatus();
}

}  // namespace

absl::Status DecisionJsonReader::Read(std::string_view line,
                                      const std::shared_ptr<const CompiledRuleset>& ruleset,
                                      Decision* out) {
  *out = Decision{};
  out->ruleset = ruleset;
  od::document doc;
  if (impl_->padded.Iterate(impl_->parser, line).get(doc)) return Bad("is not JSON");
  od::object object;
  if (doc.get_object().get(object)) return Bad("is not a JSON object");
  enum : unsigned {
    kId = 1, kOutcome = 2, kSite = 4, kMethod = 8, kRate = 16, kGrade = 32, kRule = 64,
    kMatched = 128, kRuleset = 256, kSha = 512, kDraws = 1024, kAll = 2047,
    // SPEC §7: present exactly when the ruleset has a sample / declares lists.
    kSampled = 2048, kSelectedBy = 4096, kLists = 8192
  };
  const ir::Ruleset& rs = ruleset->ir();
  impl_->lists.clear();
  unsigned seen = 0;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return NotJson();
    od::value value;
    if (field.value().get(value)) return NotJson();
    std::string_view text;
    if (key == "id") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      out->id.assign(text);
      seen |= kId;
    } else if (key == "outcome") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      std::optional<Outcome> outcome = ParseOutcome(text);
      if (!outcome) return Bad(fmt::format("has an unknown outcome '{}'", text));
      out->outcome = *outcome;
      seen |= kOutcome;
    } else if (key == "site") {
      if (absl::Status s = NameOrNull(value, key, {ir::Site::kPort, ir::Site::kDestination},
                                      SiteName, &out->site);
          !s.ok())
        return s;
      seen |= kSite;
    } else if (key == "method") {
      if (absl::Status s = NameOrNull(value, key, {ir::Method::kNii, ir::Method::kManual},
                                      MethodName, &out->method);
          !s.ok())
        return s;
      seen |= kMethod;
    } else if (key == "rate_ppm") {
      if (value.get_int64().get(out->rate_ppm)) return Bad("has a non-integer 'rate_ppm'");
      seen |= kRate;
    } else if (key == "grade") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      std::optional<uint32_t> grade = ruleset->FindGrade(text);
      if (!grade) return Bad(fmt::format("has an unknown grade '{}'", text));
      out->grade = *grade;
      seen |= kGrade;
    } else if (key == "rule") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      if (text == "baseline") {
        out->rule = Decision::kBaseline;
      } else {
        std::optional<uint32_t> rule = ruleset->FindRule(text);
        if (!rule) return Bad(fmt::format("has an unknown rule '{}'", text));
        out->rule = static_cast<int32_t>(*rule);
      }
      seen |= kRule;
    } else if (key == "matched") {
      od::array names;
      if (value.get_array().get(names)) return Bad("has a non-array 'matched'");
      for (auto element : names) {
        if (element.get_string().get(text)) return Bad("has a non-string in 'matched'");
        std::optional<uint32_t> rule = ruleset->FindRule(text);
        if (!rule) return Bad(fmt::format("has an unknown rule '{}' in 'matched'", text));
        out->matched.push_back(*rule);
      }
      seen |= kMatched;
    } else if (key == "ruleset" || key == "ruleset_sha256") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      const bool id = key == "ruleset";
      if (text != (id ? ruleset->Id() : ruleset->Sha256()))
        return Bad(fmt::format("has '{}' {}, not this ruleset's", key, text));
      seen |= id ? kRuleset : kSha;
    } else if (key == "sampled") {
      bool sampled = false;
      if (value.get_bool().get(sampled)) return Bad("has a non-boolean 'sampled'");
      out->sampled = sampled;
      seen |= kSampled;
    } else if (key == "selected_by") {
      if (absl::Status s = String(value, key, &text); !s.ok()) return s;
      if (text != "sample" && text != "risk")
        return Bad(fmt::format("has an unknown 'selected_by' '{}'", text));
      out->selected_by_sample = text == "sample";
      seen |= kSelectedBy;
    } else if (key == "lists") {
      od::object lists;
      if (value.get_object().get(lists)) return Bad("has a non-object 'lists'");
      for (auto list : lists) {
        std::string_view name;
        if (list.unescaped_key().get(name)) return NotJson();
        const size_t i = impl_->lists.size();
        if (i >= rs.lists.size() || rs.lists[i].name != name)
          return Bad(fmt::format("has list '{}', which the ruleset does not declare there", name));
        od::value v;
        if (list.value().get(v)) return NotJson();
        if (v.get_string().get(text) || !IsHex16(text))
          return Bad(fmt::format("has a version of list '{}' that is not 16 hex digits", name));
        impl_->lists.emplace_back(std::string(name), std::string(text));
      }
      if (impl_->lists.size() != rs.lists.size())
        return Bad("lacks a version of a list the ruleset declares");
      seen |= kLists;
    } else if (key == "draws") {
      od::object draws;
      if (value.get_object().get(draws)) return Bad("has a non-object 'draws'");
      for (auto draw : draws) {
        std::string_view name;
        if (draw.unescaped_key().get(name)) return NotJson();
        od::value v;
        if (draw.value().get(v)) return NotJson();
        std::optional<uint64_t>* target = name == "select" ? &out->select_draw
                                          : name == "site" ? &out->site_draw
                                          : name == "method" ? &out->method_draw
                                          : name == "sample" ? &out->sample_draw
                                                             : nullptr;
        if (target == nullptr) return Bad(fmt::format("has an unknown draw '{}'", name));
        if (absl::Status s = Draw(v, name, target); !s.ok()) return s;
      }
      seen |= kDraws;
    } else if (key == "reasons") {
      // Derived from `matched` (the hold rules' reasons); checked only to be JSON.
      if (ingest::internal::ValidateJsonValue(value)) return NotJson();
    } else {
      return Bad(fmt::format("has an unknown key '{}'", key));
    }
  }
  if ((seen & kAll) != kAll) {
    return Bad("lacks one of id, outcome, site, method, rate_ppm, grade, rule, matched, ruleset, "
               "ruleset_sha256, draws");
  }
  // The §7 keys, as DecisionToJson writes them for this ruleset.
  if (rs.sample.has_value() != ((seen & kSampled) != 0))
    return Bad(rs.sample ? "lacks 'sampled' (the ruleset has a sample)"
                         : "has 'sampled', but the ruleset has no sample");
  const bool wants_selected_by = out->sampled.has_value() && out->outcome == Outcome::kInspect;
  if (wants_selected_by != ((seen & kSelectedBy) != 0))
    return Bad(wants_selected_by ? "lacks 'selected_by'"
                                 : "has 'selected_by' where none is written");
  if (!rs.lists.empty() && (seen & kLists) == 0)
    return Bad("lacks 'lists' (the ruleset declares lists)");
  if (rs.lists.empty() && (seen & kLists) != 0)
    return Bad("has 'lists', but the ruleset declares none");
  return absl::OkStatus();
}

}  // namespace bukong::engine
