#include "cli/support_ruletest.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "cli/support_status.h"
#include "core/dates.h"
#include "dsl/suggest.h"
#include "ingest/declaration_json.h"
#include "ingest/list_reader.h"

namespace bukong::cli {
namespace {

struct Word {
  std::string text;
  bool quoted = false;
};

// Splits a line into words and quoted strings (commas separate too); drops a `#` comment.
bool SplitLine(std::string_view line, std::vector<Word>* words, std::string* error) {
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == ',') {
      ++i;
    } else if (c == '#') {
      break;
    } else if (c == '"') {
      size_t j = i + 1;
      std::string text;
      while (j < line.size() && line[j] != '"') {
        if (line[j] == '\\' && j + 1 < line.size()) ++j;
        text.push_back(line[j++]);
      }
      if (j >= line.size()) {
        *error = "unterminated string (a string ends on its line)";
        return false;
      }
      words->push_back({std::move(text), true});
      i = j + 1;
    } else {
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != ',' &&
             line[j] != '#' && line[j] != '\r' && line[j] != '"') {
        ++j;
      }
      words->push_back({std::string(line.substr(i, j - i)), false});
      i = j;
    }
  }
  return true;
}

constexpr std::array<std::string_view, 19> kKeys = {
    "id",      "date",   "direction",   "hs",       "origin",     "trade_country", "port",
    "mode",    "value",  "weight",      "two_step", "grade",      "no",            "flags",
    "age_days", "inspections", "hits", "expect", "enterprise"};
constexpr std::array<std::string_view, 6> kExpectations = {"outcome", "rule", "rate",
                                                           "matched", "at",   "method"};

bool ParsePercent(std::string_view text, int64_t* ppm) {
  if (text.size() < 2 || text.back() != '%') return false;
  text.remove_suffix(1);
  int64_t whole = 0, fraction = 0;
  int decimals = 0;
  size_t i = 0;
  bool digits = false;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    whole = whole * 10 + (text[i] - '0');
    digits = true;
    if (whole > 100) return false;
  }
  if (i < text.size()) {
    for (++i; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9' || decimals == 4) return false;
      fraction = fraction * 10 + (text[i] - '0');
      ++decimals;
    }
  }
  while (decimals < 4) fraction *= 10, ++decimals;
  *ppm = whole * 10'000 + fraction;
  return digits && *ppm <= 1'000'000;
}

bool ParseCount(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 15) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c == '_') continue;
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

class Reader {
 public:
  Reader(const std::string& path, std::vector<std::string>* errors) : path_(path), errors_(errors) {}

  std::optional<TestFile> Read(const std::string& text) {
    TestFile file;
    file.path = path_;
    // What a case starts from (docs/rule-tests.md, "Defaults").
    TestCase defaults;
    defaults.declaration.date = DaysFromCivil(2025, 1, 1);
    defaults.declaration.direction = Direction::kImport;
    defaults.declaration.hs = "000000";
    defaults.declaration.origin = "CN";
    defaults.declaration.trade_country = "CN";
    defaults.declaration.port = "0000";
    defaults.declaration.mode = TransportMode::kSea;
    defaults.declaration.value = ExactDecimal::FromInteger(0);
    defaults.declaration.weight = ExactDecimal::FromInteger(0);
    defaults.declaration.enterprise = "TEST-ENTERPRISE";
    defaults.declaration.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode |
                                   kHasValue | kHasWeight | kHasTwoStep;
    defaults.profile = Profile{};
    defaults.profile->id = "TEST-ENTERPRISE";
    enum class Section { kTop, kDefaults, kCase } section = Section::kTop;
    TestCase* current = &defaults;
    std::set<std::string> names;
    uint32_t line_number = 0;
    size_t start = 0;
    if (text.starts_with("\xEF\xBB\xBF")) start = 3;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      start = end + 1;
      ++line_number;
      line_ = line_number;
      std::vector<Word> words;
      std::string split_error;
      if (!SplitLine(line, &words, &split_error)) {
        Error(split_error);
        continue;
      }
      if (words.empty()) continue;
      const std::string& key = words[0].text;
      if (key == "key" && !words[0].quoted) {
        if (section != Section::kTop) {
          Error("'key' comes before 'defaults' and the cases");
          continue;
        }
        if (words.size() != 2) {
          Error("'key' takes 32 hex digits: key 000102030405060708090a0b0c0d0e0f");
          continue;
        }
        auto parsed = SelectionKey::FromHex(words[1].text);
        if (!parsed.ok()) {
          Error(fmt::format("bad key: {}", Message(parsed.status())));
          continue;
        }
        file.key = *parsed;
        continue;
      }
      if (key == "list" && !words[0].quoted) {
        if (section != Section::kTop) {
          Error("'list' comes before 'defaults' and the cases");
          continue;
        }
        if (words.size() < 2 || words[1].quoted) {
          Error("'list' names a list the rule file declares, then its entries: "
                "list sanctioned KP, SY (or 'list NAME' alone: an empty list)");
          continue;
        }
        auto same = std::find_if(file.lists.begin(), file.lists.end(),
                                 [&](const TestList& l) { return l.name == words[1].text; });
        if (same != file.lists.end()) {
          Error(fmt::format("list '{}' is given twice (first on line {})", words[1].text,
                            same->line));
          continue;
        }
        TestList list{words[1].text, line_number, {}, {}};
        for (size_t i = 2; i < words.size(); ++i) list.entries.push_back(words[i].text);
        file.lists.push_back(std::move(list));
        continue;
      }
      if (key == "defaults" && !words[0].quoted) {
        if (section != Section::kTop) Error("'defaults' comes once, before the first case");
        if (words.size() != 1) Error("'defaults' stands alone on its line");
        section = Section::kDefaults;
        current = &defaults;
        continue;
      }
      if (key == "case" && !words[0].quoted) {
        if (words.size() != 2 || !words[1].quoted) {
          Error("a case is named in quotes: case \"what it shows\"");
          continue;
        }
        if (!names.insert(words[1].text).second) {
          Error(fmt::format("duplicate case name \"{}\"", words[1].text));
        }
        FinishCase(file);
        section = Section::kCase;
        file.cases.push_back(defaults);
        current = &file.cases.back();
        current->name = words[1].text;
        current->line = line_number;
        current->expectations.clear();
        current->declaration.id = words[1].text;  // the draws are keyed by it
        continue;
      }
      if (section == Section::kTop) {
        Error(fmt::format("expected 'key', 'list', 'defaults' or 'case \"NAME\"', found '{}'",
                          key));
        continue;
      }
      if (key == "expect" && section == Section::kDefaults) {
        Error("expectations belong in a case, not in 'defaults'");
        continue;
      }
      if (key == "id" && section == Section::kDefaults) {
        Error("'id' belongs in a case (each case's id is its name unless it gives one)");
        continue;
      }
      Field(words, current, file);
    }
    FinishCase(file);
    if (file.cases.empty()) {
      line_ = line_number;
      Error("no cases (a case starts with: case \"what it shows\")");
    }
    return file;
  }

 private:
  void Error(std::string message) {
    errors_->push_back(fmt::format("{}:{}: error: {}", path_, line_, message));
  }

  void FinishCase(TestFile& file) {
    if (file.cases.empty()) return;
    TestCase& c = file.cases.back();
    if (c.expectations.empty()) {
      errors_->push_back(fmt::format("{}:{}: error: case \"{}\" has no expectation (add e.g. "
                                     "'expect rule NAME')",
                                     path_, c.line, c.name));
    }
  }

  bool OneValue(const std::vector<Word>& w) {
    if (w.size() == 2) return true;
    Error(fmt::format("'{}' takes one value, found {}", w[0].text, w.size() - 1));
    return false;
  }

  void Field(const std::vector<Word>& w, TestCase* c, const TestFile& file) {
    const std::string& key = w[0].text;
    Declaration& d = c->declaration;
    if (key == "expect") {
      Expect(w, c, file);
      return;
    }
    if (key == "no") {
      if (w.size() == 2 && w[1].text == "profile") {
        c->profile.reset();
      } else {
        Error("did you mean 'no profile' (the enterprise has no profile)?");
      }
      return;
    }
    if (key == "flags") {
      if (!c->profile) return Error("'flags' needs a profile (this case has 'no profile')");
      c->profile->flags.clear();
      for (size_t i = 1; i < w.size(); ++i) {
        if (w.size() == 2 && w[i].text == "none" && !w[i].quoted) break;
        c->profile->flags.push_back(w[i].text);
      }
      std::sort(c->profile->flags.begin(), c->profile->flags.end());
      c->profile->flags.erase(std::unique(c->profile->flags.begin(), c->profile->flags.end()),
                              c->profile->flags.end());
      return;
    }
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      Error(fmt::format("unknown line '{}'{}", key, dsl::DidYouMean(key, kKeys)));
      return;
    }
    if (!OneValue(w)) return;
    const std::string& v = w[1].text;
    if (key == "id") {
      d.id = v;
    } else if (key == "enterprise") {
      d.enterprise = v;
      if (c->profile) c->profile->id = v;
    } else if (key == "date") {
      auto day = ParseIsoDate(v);
      if (!day) return Error(fmt::format("'date' is a date YYYY-MM-DD, found '{}'", v));
      d.date = *day;
    } else if (key == "direction") {
      int index = IndexOfName(kDirectionNames, v);
      if (index < 0) {
        return Error(fmt::format("'direction' is import, export or transit, found '{}'{}", v,
                                 dsl::DidYouMean(v, kDirectionNames)));
      }
      d.direction = static_cast<Direction>(index);
    } else if (key == "mode") {
      int index = IndexOfName(kModeNames, v);
      if (index < 0) {
        return Error(fmt::format("'mode' is sea, air, rail, road or post, found '{}'{}", v,
                                 dsl::DidYouMean(v, kModeNames)));
      }
      d.mode = static_cast<TransportMode>(index);
    } else if (key == "hs") {
      std::string digits;
      for (char ch : v) {
        if (ch == '.') continue;
        if (ch < '0' || ch > '9') {
          return Error(fmt::format("'hs' is digits and dots (0302.14), found '{}'", v));
        }
        digits.push_back(ch);
      }
      if (digits.size() < 6 || digits.size() > 10) {
        return Error(fmt::format(
            "'hs' needs 6 to 10 digits, as a declaration has (0302.14), found '{}'", v));
      }
      d.hs = digits;
    } else if (key == "origin" || key == "trade_country") {
      if (v.size() != 2 || !std::isupper(static_cast<unsigned char>(v[0])) ||
          !std::isupper(static_cast<unsigned char>(v[1]))) {
        return Error(fmt::format("'{}' is a two-letter country code in capitals (CN), found '{}'",
                                 key, v));
      }
      (key == "origin" ? d.origin : d.trade_country) = v;
    } else if (key == "port") {
      d.port = v;
    } else if (key == "value" || key == "weight") {
      std::string number;
      for (char ch : v) {
        if (ch != '_') number.push_back(ch);
      }
      ExactDecimal parsed;
      if (v.find_first_of("eE") != std::string::npos ||
          !ingest::ExactDecimalFromJsonNumber(number, &parsed).ok()) {
        return Error(fmt::format("'{}' is a number (50_000 or 1234.5), found '{}'", key, v));
      }
      (key == "value" ? d.value : d.weight) = parsed;
    } else if (key == "two_step") {
      if (v != "true" && v != "false") {
        return Error(fmt::format("'two_step' is true or false, found '{}'", v));
      }
      d.two_step = v == "true";
    } else if (key == "grade") {
      if (!c->profile) c->profile = Profile{}, c->profile->id = d.enterprise;
      c->profile->grade = v;
      c->grade_given = true;
    } else if (key == "age_days" || key == "inspections" || key == "hits") {
      int64_t n;
      if (!ParseCount(v, &n)) {
        return Error(fmt::format("'{}' is a whole number, found '{}'", key, v));
      }
      if (!c->profile) return Error(fmt::format("'{}' needs a profile (this case has 'no profile')", key));
      if (key == "age_days") c->age_days = n;
      if (key == "inspections") c->profile->inspections = static_cast<uint64_t>(n);
      if (key == "hits") c->profile->hits = static_cast<uint64_t>(n);
    }
  }

  void Expect(const std::vector<Word>& w, TestCase* c, const TestFile& file) {
    if (w.size() < 2) return Error("'expect' needs what: outcome, rule, rate, matched, at, method");
    const std::string& what = w[1].text;
    Expectation e;
    e.line = line_;
    if (what == "outcome") {
      if (w.size() != 3) return Error("expect outcome hold|inspect|release");
      e.kind = Expectation::Kind::kOutcome;
      e.text = w[2].text;
      if (e.text != "hold" && e.text != "inspect" && e.text != "release") {
        return Error(fmt::format("an outcome is hold, inspect or release, found '{}'", e.text));
      }
      if (e.text != "hold" && !file.key) {
        return Error(fmt::format(
            "'expect outcome {}' depends on the random draws: add a test key at the top of "
            "the file (key 000102030405060708090a0b0c0d0e0f) or expect the rate instead",
            e.text));
      }
    } else if (what == "rule") {
      if (w.size() != 3) return Error("expect rule NAME (or: expect rule baseline)");
      e.kind = Expectation::Kind::kRule;
      e.text = w[2].text;
    } else if (what == "rate") {
      e.kind = Expectation::Kind::kRate;
      if (w.size() != 3 || !ParsePercent(w[2].text, &e.ppm)) {
        return Error("expect rate P% (the final rate, 0% to 100%, at most 4 decimals)");
      }
    } else if (what == "matched") {
      e.kind = Expectation::Kind::kMatched;
      if (w.size() < 3) return Error("expect matched RULE, RULE... (or: expect matched nothing)");
      if (!(w.size() == 3 && w[2].text == "nothing")) {
        for (size_t i = 2; i < w.size(); ++i) e.names.push_back(w[i].text);
      }
    } else if (what == "at") {
      // expect at port P% [destination Q%] — the winner's site split.
      e.kind = Expectation::Kind::kAt;
      int64_t port = -1, destination = -1;
      for (size_t i = 2; i + 1 < w.size(); i += 2) {
        int64_t ppm;
        if (!ParsePercent(w[i + 1].text, &ppm)) return Error("expect at port P% destination Q%");
        if (w[i].text == "port") port = ppm;
        else if (w[i].text == "destination") destination = ppm;
        else return Error(fmt::format("expected 'port' or 'destination', found '{}'", w[i].text));
      }
      if ((w.size() % 2) != 0 || (port < 0 && destination < 0)) {
        return Error("expect at port P% destination Q%");
      }
      if (port < 0) port = 1'000'000 - destination;
      if (destination >= 0 && port + destination != 1'000'000) {
        return Error("the site split does not sum to 100%");
      }
      e.ppm = port;
    } else if (what == "method") {
      e.kind = Expectation::Kind::kNii;
      if (w.size() != 4 || w[2].text != "nii" || !ParsePercent(w[3].text, &e.ppm)) {
        return Error("expect method nii P% (the winner's share of scans)");
      }
    } else {
      return Error(fmt::format("unknown expectation '{}'{} (known: outcome, rule, rate, "
                               "matched, at, method)",
                               what, dsl::DidYouMean(what, kExpectations)));
    }
    c->expectations.push_back(std::move(e));
  }

  std::string path_;
  std::vector<std::string>* errors_;
  uint32_t line_ = 0;
};

}  // namespace

std::optional<TestFile> ReadTestFile(const std::string& path, const std::string& text,
                                     std::vector<std::string>* errors) {
  const size_t before = errors->size();
  Reader reader(path, errors);
  auto file = reader.Read(text);
  if (errors->size() != before) return std::nullopt;
  return file;
}

bool ResolveAgainst(const ir::Ruleset& rs, TestFile* file, std::vector<std::string>* errors) {
  const size_t before = errors->size();
  std::vector<std::string> list_names;
  for (const ir::ListDecl& decl : rs.lists) list_names.push_back(decl.name);
  for (TestList& list : file->lists) {
    auto decl = std::find_if(rs.lists.begin(), rs.lists.end(),
                             [&](const ir::ListDecl& d) { return d.name == list.name; });
    if (decl == rs.lists.end()) {
      errors->push_back(fmt::format("{}:{}: error: {} declares no list '{}'{}", file->path,
                                    list.line, rs.source_name, list.name,
                                    dsl::DidYouMean(list.name, list_names)));
      continue;
    }
    const auto type = ingest::ListTypeFromName(ir::ListTypeName(decl->type));
    list.stored.clear();
    for (const std::string& entry : list.entries) {
      ingest::ListEntryCheck checked = ingest::CheckListEntry(*type, entry);
      if (!checked.error.empty()) {
        errors->push_back(fmt::format("{}:{}: error: list '{}' (of {}): {}", file->path,
                                      list.line, list.name, ir::ListTypeName(decl->type),
                                      checked.error));
        continue;
      }
      list.stored.push_back(std::move(checked.entry));
    }
    std::sort(list.stored.begin(), list.stored.end());
    list.stored.erase(std::unique(list.stored.begin(), list.stored.end()), list.stored.end());
  }
  for (const ir::ListDecl& decl : rs.lists) {
    if (std::none_of(file->lists.begin(), file->lists.end(),
                     [&](const TestList& l) { return l.name == decl.name; })) {
      errors->push_back(fmt::format(
          "{}: error: {} declares list '{}' (line {}): give the entries the cases see, before "
          "the cases: list {} ENTRY, ENTRY, ... ('list {}' alone: an empty list)",
          file->path, rs.source_name, decl.name, decl.line, decl.name, decl.name, decl.name));
    }
  }
  std::vector<std::string> rule_names, grade_names;
  for (const ir::Rule& r : rs.rules) rule_names.push_back(r.name);
  for (const ir::Grade& g : rs.grades) grade_names.push_back(g.name);
  auto known_rule = [&](const std::string& name) {
    return std::find(rule_names.begin(), rule_names.end(), name) != rule_names.end();
  };
  const std::string default_grade =
      rs.grades[rs.reference_grade ? *rs.reference_grade : rs.unknown_grade].name;
  for (TestCase& c : file->cases) {
    if (c.profile) {
      if (!c.grade_given) c.profile->grade = default_grade;
      if (std::find(grade_names.begin(), grade_names.end(), c.profile->grade) ==
          grade_names.end()) {
        errors->push_back(fmt::format("{}:{}: error: case \"{}\": grade '{}' is not declared by "
                                      "{}{}",
                                      file->path, c.line, c.name, c.profile->grade, rs.Id(),
                                      dsl::DidYouMean(c.profile->grade, grade_names)));
      }
      c.profile->registered = c.declaration.date - static_cast<DayNumber>(c.age_days);
    }
    for (const Expectation& e : c.expectations) {
      std::vector<std::string> names = e.names;
      if (e.kind == Expectation::Kind::kRule && e.text != "baseline") names.push_back(e.text);
      if (e.kind != Expectation::Kind::kRule && e.kind != Expectation::Kind::kMatched) continue;
      for (const std::string& name : names) {
        if (!known_rule(name)) {
          errors->push_back(fmt::format("{}:{}: error: no rule '{}' in {}{}", file->path, e.line,
                                        name, rs.source_name,
                                        dsl::DidYouMean(name, rule_names)));
        }
      }
    }
  }
  return errors->size() == before;
}

}  // namespace bukong::cli
