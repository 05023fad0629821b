// `bukong explain`: why one declaration was (or would be) decided as it was, step by step
// (engine/explain.h): the grade and where it came from, every rule in file order (outside
// its window, the atom that failed with the declaration's value beside the rule's literal,
// or matched), the candidates' rates with the grade factor and rounding, why the winner
// won, the floor or ceiling applied, and each draw against its threshold, the compliance
// sample's too (SPEC §7.3). List tests (SPEC §7.1) read the versions the record names
// (from the audit log) or the current versions (--rules with --db); without --db no list is
// bound and every list test is false.
//
//   bukong explain --db DIR --seq N          the audit record N, as actually decided: its
//   bukong explain --db DIR --id ID          recorded declaration, profile snapshot and
//                                            ruleset, with the database's key when the
//                                            record's key id matches (--id: the latest
//                                            decision of ID; `decisions get` lists all)
//   bukong explain --rules FILE [--db DIR] [DECL.json|-]
//                                            a declaration given as one JSON line (SPEC §3),
//                                            under a rule file; with --db its enterprise's
//                                            current profile, the database's key and
//                                            the lists' current versions
// --json prints one JSON object instead of plain words.
// Exit 0 on success (and, from the audit log, when explain agrees with the record); 1 when
// the record, ruleset or declaration cannot be read, the declaration is rejected, or the
// recorded decision differs from the explanation (run `bukong replay`); 2 on a usage error.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/support_facts.h"
#include "cli/support_files.h"
#include "cli/support_lists.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "core/json.h"
#include "cli/support_redecide.h"
#include "dsl/compiler.h"
#include "engine/compile_text.h"
#include "engine/decision_json.h"
#include "engine/explain.h"
#include "ingest/declaration_json.h"
#include "storage/lists.h"

namespace bukong::cli {
namespace {

using namespace ::bukong::engine;  // Decide, Explain and their types

class ExplainCommand : public Command {
 public:
  int Order() const override { return 45; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "explain", "Why a declaration was decided as it was: every rule, the winner, the draws");
    sub->add_option("--db", db_, "Database folder (the audit log; profiles and key)");
    auto* seq = sub->add_option("--seq", seq_, "Audit record sequence number to explain");
    auto* id = sub->add_option("--id", id_, "Declaration id: its latest audited decision");
    auto* rules = sub->add_option("--rules", rules_, "Rule file, for a declaration given as JSON");
    sub->add_option("declaration", input_, "A declaration as one JSON line (file or - for stdin)");
    sub->add_flag("--json", json_, "One JSON object instead of plain words");
    seq->excludes(id)->excludes(rules);
    id->excludes(rules);
    return sub;
  }

  int Run() override {
    if (seq_ != 0 || !id_.empty()) {
      if (db_.empty()) return Usage("--seq and --id read the audit log: give --db DIR");
      if (!input_.empty()) return Usage("a declaration file goes with --rules, not --seq/--id");
      return FromAudit();
    }
    if (rules_.empty()) {
      return Usage("say what to explain: --db DIR --seq N, --db DIR --id ID, or --rules FILE "
                   "DECLARATION.json");
    }
    return FromJson();
  }

 private:
  static int Usage(std::string_view message) {
    fmt::print(stderr, "bukong explain: {}\n", message);
    return kExitUsage;
  }

  int FromAudit() {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "explain");
    if (!store) return kExitFailure;
    uint64_t seq = seq_;
    if (seq == 0) {
      auto latest = store->FindDecision(id_);
      if (!latest.ok()) return Fail(Message(latest.status()));
      if (!latest->has_value()) {
        return Fail(fmt::format("declaration {} was never decided in {}", JsonString(id_), db_));
      }
      seq = (*latest)->audit_seq;
    }
    auto entry = store->GetAudit(seq);
    if (!entry.ok()) return Fail(Message(entry.status()));
    if (!entry->has_value()) {
      return Fail(fmt::format("no audit record {} (the log ends at record {})", seq,
                              store->Head().seq));
    }
    const storage::AuditRecord& record = (*entry)->record;
    auto stored = store->GetRuleset(record.ruleset_sha256);
    if (!stored.ok()) return Fail(Message(stored.status()));
    if (!stored->has_value()) {
      return Fail(fmt::format("record {}: its ruleset {} is not in the database", seq,
                              record.ruleset_sha256.substr(0, 12)));
    }
    // Stand-in versions first; the versions the decision recorded are bound below (SPEC §7.1).
    CompileTextResult compiled =
        CompileRulesetText((*stored)->text, fmt::format("{}@{}", (*stored)->name, (*stored)->version),
                           ListsAtCompile::kStandIns);
    if (!compiled.ok()) {
      return Fail(fmt::format("record {}: its stored ruleset no longer compiles", seq));
    }
    const ir::Ruleset& rs = compiled.ruleset->ir();
    ingest::DeclarationParser parser(rs.fields_read);
    Declaration declaration;
    std::string_view line = record.declaration;
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    absl::Status parsed = parser.Parse(line, &declaration);
    if (!parsed.ok()) {
      return Fail(fmt::format("record {}: the recorded declaration does not parse: {}", seq,
                              Message(parsed)));
    }
    const bool same_key = store->key_id() == record.key_id;
    const SelectionKey* key = same_key ? &store->key() : nullptr;
    const Profile* profile = record.profile ? &*record.profile : nullptr;
    // SPEC §7.1: the list versions the decision was made with, not today's (as replay does).
    RecordedLists recorded_lists(*store);
    auto bound = recorded_lists.Bind(compiled.ruleset, record);
    if (!bound.ok()) return Fail(fmt::format("record {}: {}", seq, Message(bound.status())));
    const ListBindings* lists = &(*bound)->lists();
    absl::StatusOr<Explanation> e = Explain(rs, key, declaration, profile, lists);
    if (!e.ok()) return Fail(fmt::format("record {}: {}", seq, Message(e.status())));

    // Does the record say what the explanation says?
    engine::DecisionJsonReader reader;
    engine::Decision recorded;
    absl::Status read = reader.Read(record.decision, *bound, &recorded);
    bool agrees = read.ok() && recorded.rule == e->winner && recorded.grade == e->grade &&
                  (!e->outcome || OutcomeName(recorded.outcome) == *e->outcome);
    if (key != nullptr && read.ok()) {  // the sample draw needs the key (SPEC §7.3)
      const std::optional<std::string> by =
          recorded.outcome == Outcome::kInspect && recorded.sampled
              ? std::optional<std::string>(recorded.selected_by_sample ? "sample" : "risk")
              : std::nullopt;
      agrees = agrees && recorded.sampled == e->sampled && by == e->selected_by;
    }
    if (json_) {
      std::string bound;
      for (const auto& [name, version] : *lists) {
        bound += fmt::format("{}{}:\"{}\"", bound.empty() ? "" : ",", JsonString(name),
                             version->digest());
      }
      fmt::print("{{\"seq\":{},\"key_matches\":{},\"agrees\":{},\"recorded_decision\":{},"
                 "\"lists\":{{{}}},\"explanation\":{}}}\n",
                 seq, same_key, agrees, record.decision, bound, ExplanationToJson(rs, *e));
    } else {
      fmt::print("Audit record {} ({}), decided under {} with key id {}{}.\n", seq,
                 profile ? "with the enterprise's profile as it was then" : "no profile",
                 rs.Id(), record.key_id,
                 same_key ? "" : " — NOT this database's key: the draws cannot be recomputed");
      if (!rs.lists.empty()) fmt::print("{}", ListsLine(rs, *lists, "as the decision recorded"));
      fmt::print("{}", ExplanationToText(rs, *e));
      fmt::print("\nThe record says: {} by {} (grade {}{}); this explanation {}.\n",
                 read.ok() ? OutcomeName(recorded.outcome) : "(unreadable)",
                 read.ok() ? recorded.RuleName() : "?", read.ok() ? recorded.GradeName() : "?",
                 read.ok() && recorded.sampled
                     ? fmt::format(", sampled {}{}", *recorded.sampled ? "true" : "false",
                                   recorded.outcome == Outcome::kInspect
                                       ? recorded.selected_by_sample ? ", selected by sample"
                                                                     : ", selected by risk"
                                       : "")
                     : std::string(),
                 agrees ? "agrees" : "DISAGREES — run bukong replay to check the log");
    }
    return agrees ? kExitOk : kExitFailure;
  }

  int FromJson() {
    auto text = ReadWholeFile(rules_, "rule file");
    if (!text.ok()) return Fail(fmt::format("{}: {}", rules_, Message(text.status())));
    dsl::CompileResult compiled = dsl::Compile(*text, rules_);
    if (!compiled.ruleset) {
      for (const auto& d : compiled.diagnostics) {
        std::string m = dsl::FormatDiagnostic(rules_, *text, d);
        std::fwrite(m.data(), 1, m.size(), stderr);
      }
      return Fail(fmt::format("{} has errors; nothing to explain", rules_));
    }
    const ir::Ruleset& rs = *compiled.ruleset;
    std::string input;
    const std::string name = input_.empty() || input_ == "-" ? kStdinName : input_;
    if (input_.empty() || input_ == "-") {
      std::ostringstream buffer;
      buffer << std::cin.rdbuf();
      input = buffer.str();
    } else {
      auto read = ReadWholeFile(input_, "declaration file");
      if (!read.ok()) return Fail(fmt::format("{}: {}", input_, Message(read.status())));
      input = *std::move(read);
    }
    // The first non-blank line is the declaration.
    std::string_view line;
    size_t line_number = 0, start = 0;
    while (start <= input.size()) {
      size_t end = input.find('\n', start);
      if (end == std::string::npos) end = input.size();
      ++line_number;
      std::string_view candidate(input.data() + start, end - start);
      while (!candidate.empty() && (candidate.back() == '\r' || candidate.back() == ' ')) {
        candidate.remove_suffix(1);
      }
      start = end + 1;
      if (!candidate.empty()) {
        line = candidate;
        break;
      }
    }
    if (line.empty()) return Fail(fmt::format("{}: no declaration (one JSON line expected)", name));
    ingest::DeclarationParser parser(rs.fields_read);
    Declaration declaration;
    absl::Status parsed = parser.Parse(line, &declaration);
    if (!parsed.ok()) {
      fmt::print(stderr, "{}:{}: error: {}\n", name, line_number, Message(parsed));
      return kExitFailure;
    }
    std::optional<Profile> profile;
    std::unique_ptr<storage::Store> store;
    ListBindings lists;  // without --db: none bound, every list test is false
    if (!db_.empty()) {
      store = OpenStoreForReading(db_, "explain");
      if (!store) return kExitFailure;
      auto found = store->GetProfile(declaration.enterprise);
      if (!found.ok()) return Fail(Message(found.status()));
      profile = *std::move(found);
      // SPEC §7.1: the current versions, as `decide` would bind them now.
      auto bound = BindCurrentLists(*store, rs);
      if (!bound.ok()) return Fail(Message(bound.status()));
      lists = *std::move(bound);
    }
    absl::StatusOr<Explanation> e = Explain(rs, store ? &store->key() : nullptr, declaration,
                                            profile ? &*profile : nullptr, &lists);
    if (!e.ok()) return Fail(fmt::format("{}:{}: {}", name, line_number, Message(e.status())));
    if (json_) {
      fmt::print("{}\n", ExplanationToJson(rs, *e));
    } else {
      if (db_.empty()) {
        fmt::print("Without --db: no profile is looked up (the unknown-enterprise grade) and no "
                   "key is known (no draws){}.\n",
                   rs.lists.empty() ? "" : "; no list is bound (every list test is false)");
      } else if (!rs.lists.empty()) {
        fmt::print("{}", ListsLine(rs, lists, "current versions"));
      }
      fmt::print("{}", ExplanationToText(rs, *e));
    }
    return kExitOk;
  }

  // "Lists (current versions): watched version 3f2a… (12 entries); ..." — what list tests read.
  static std::string ListsLine(const ir::Ruleset& rs, const ListBindings& lists,
                               std::string_view which) {
    std::string out = fmt::format("Lists ({}):", which);
    for (const ir::ListDecl& decl : rs.lists) {
      auto it = lists.find(decl.name);
      if (it == lists.end()) {
        out += fmt::format(" {} (not bound);", decl.name);
      } else {
        const size_t n = it->second->size();
        out += fmt::format(" {} version {} ({} {});", decl.name,
                           it->second->digest().substr(0, 16), n, n == 1 ? "entry" : "entries");
      }
    }
    out.back() = '.';
    return out + "\n";
  }

  static int Fail(std::string_view message) {
    fmt::print(stderr, "bukong explain: {}\n", message);
    return kExitFailure;
  }

  std::string db_;
  uint64_t seq_ = 0;
  std::string id_;
  std::string rules_;
  std::string input_;
  bool json_ = false;
};

BUKONG_REGISTER_COMMAND(ExplainCommand);

}  // namespace
}  // namespace bukong::cli
