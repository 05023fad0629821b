// `bukong outcome --db DIR FILE`: records inspection results (SPEC §3-4, §6).
//
// FILE (or `-`, standard input) is JSON Lines `{"id":"D0001","result":"hit"}` or
// `"clean"`: exactly the keys `id` (a non-empty string) and `result`. Each declaration may
// get one outcome, ever: an id that was never decided, that already has an outcome in the
// database, or that came earlier in the same file is rejected as `FILE:LINE: error: MESSAGE`
// on stderr, and the run goes on (exit 3). Each accepted result adds 1 to the enterprise's
// `inspections` and, for a hit, to `hits` (when the enterprise has a profile), in the same
// atomic, synced write as the outcome itself (Store::RecordOutcomes, one write per batch).
// Lines holding only white space are skipped.
//
// Outcomes as data (issue #15; storage/outcome_log.h):
//   bukong outcome list --db DIR [--all] [--id ID]    a table of the recorded outcomes
//   bukong outcome export --db DIR [--all] [-o FILE]  the same as JSON Lines
//   bukong outcome correct --db DIR ID hit|clean --reason TEXT
// `correct` supersedes an outcome recorded by mistake: the first stays in the outcome log,
// the counters and the reports follow the latest. `--all` lists every revision, not only
// the current one.
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cli/command.h"
#include "cli/support_progress.h"
#include "cli/support_status.h"
#include "core/json.h"
#include "ingest/input_error.h"
#include "ingest/line_source.h"
#include "storage/outcome_log.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

constexpr size_t kBatch = 4096;

// Parses one outcome line; returns the error message, or "" when it is valid.
class OutcomeParser {
 public:
  std::string Parse(std::string_view line, storage::Store::OutcomeInput* out) {
    // The DOM parser validates the whole line (text after the object is an error).
    simdjson::dom::element doc;
    if (parser_.parse(line.data(), line.size()).get(doc)) return "not JSON";
    simdjson::dom::object object;
    if (doc.get_object().get(object)) return "expected a JSON object";
    bool has_id = false, has_result = false;
    for (auto [key, value] : object) {
      if (key == "id" || key == "result") {
        bool& seen = key == "id" ? has_id : has_result;
        if (seen) return fmt::format("key '{}' is repeated", key);
        seen = true;
        std::string_view text;
        if (value.get_string().get(text)) {
          return fmt::format("field '{}': expected a string", key);
        }
        if (key == "id") {
          if (text.empty()) return "field 'id': must not be empty";
          out->declaration_id.assign(text);
        } else if (text == "hit") {
          out->result = storage::OutcomeResult::kHit;
        } else if (text == "clean") {
          out->result = storage::OutcomeResult::kClean;
        } else {
          return fmt::format("field 'result': expected \"hit\" or \"clean\", found {}",
                             ingest::QuoteForMessage(text));
        }
      } else {
        // A typo in a key must not pass silently: the format has two keys.
        return fmt::format("unknown key {} (an outcome has exactly `id` and `result`)",
                           ingest::QuoteForMessage(key));
      }
    }
    if (!has_id) return "field 'id' is missing";
    if (!has_result) return "field 'result' is missing";
    return "";
  }

 private:
  simdjson::dom::parser parser_;
};

class OutcomeCommand : public Command {
 public:
  int Order() const override { return 50; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "outcome",
        "Record inspection results (JSON Lines {\"id\":..,\"result\":\"hit\"|\"clean\"}), "
        "once per declaration");
    sub->add_option("--db", db_, "Database folder (required)");
    sub->add_option("file", file_, "Outcomes, JSON Lines (`-`: standard input)");
    sub->footer(
        "Exit status: 0 all recorded, 1 an I/O/database error, 2 usage, 3 some lines rejected\n"
        "(malformed, never decided, or already given an outcome). See docs/CLI.md.");
    list_ = sub->add_subcommand("list", "List the recorded outcomes (a table)");
    export_ = sub->add_subcommand("export", "Export the recorded outcomes as JSON Lines");
    for (CLI::App* view : {list_, export_}) {
      view->fallthrough();  // --db belongs to `outcome`
      view->add_flag("--all", all_revisions_, "Every revision, not only the current outcome");
      view->add_option("--id", id_, "Only this declaration");
    }
    export_->add_option("-o,--output", output_, "Write to FILE instead of standard output");
    correct_ = sub->add_subcommand(
        "correct", "Supersede an outcome recorded by mistake (the first stays in the log)");
    correct_->fallthrough();
    correct_->add_option("id", id_, "The declaration")->required();
    correct_->add_option("result", result_, "The right result")
        ->required()
        ->check(CLI::IsMember({"hit", "clean"}));
    correct_->add_option("--reason", reason_, "Why the recorded outcome was wrong")->required();
    return sub;
  }

  int Run() override {
    if (db_.empty()) {
      fmt::print(stderr, "bukong outcome: --db is required\n");
      return kExitUsage;
    }
    if (list_->parsed() || export_->parsed()) return RunView(list_->parsed());
    if (correct_->parsed()) return RunCorrect();
    if (file_.empty()) {
      fmt::print(stderr,
                 "bukong outcome: a FILE of outcomes is required (or: list, export, correct)\n");
      return kExitUsage;
    }
    return RunRecord();
  }

 private:
  int RunView(bool table) {
    auto opened = storage::Store::Open(db_, ReadOnly());
    if (!opened.ok()) {
      fmt::print(stderr, "bukong outcome: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    const storage::Store& store = **opened;
    std::string out;
    if (table) {
      out += fmt::format("{:<24} {:>8} {:>6} {:<8} {:>10} {:<20} {:<24} {}\n", "declaration",
                         "revision", "latest", "result", "audit seq", "corrected (UTC)",
                         "enterprise", "reason");
    }
    uint64_t rows = 0;
    auto visit = [&](const storage::OutcomeRevision& r) -> absl::Status {
      ++rows;
      const char* result = r.result == storage::OutcomeResult::kHit ? "hit" : "clean";
      if (table) {
        out += fmt::format("{:<24} {:>8} {:>6} {:<8} {:>10} {:<20} {:<24} {}\n", r.declaration_id,
                           r.revision, r.current ? "yes" : "no", result, r.audit_seq,
                           UtcTime(r.recorded_unix), r.enterprise, r.reason);
      } else {
        out += "{\"id\":";
        AppendJsonString(out, r.declaration_id);
        out +=
            fmt::format(",\"result\":\"{}\",\"revision\":{},\"current\":{},\"enterprise\":", result,
                        r.revision, r.current);
        AppendJsonString(out, r.enterprise);
        out += fmt::format(",\"audit_seq\":{},\"corrected_at\":", r.audit_seq);
        if (r.recorded_unix != 0) {
          AppendJsonString(out, UtcTime(r.recorded_unix));
        } else {
          out += "null";
        }
        out += ",\"reason\":";
        if (r.revision > 0) {
          AppendJsonString(out, r.reason);
        } else {
          out += "null";
        }
        out += "}\n";
      }
      return absl::OkStatus();
    };
    absl::Status s;
    if (!id_.empty()) {
      auto history = storage::OutcomeLog::History(store, id_);
      s = history.status();
      if (s.ok()) {
        if (history->empty()) {
          fmt::print(stderr, "bukong outcome: declaration {} has no outcome\n",
                     ingest::QuoteForMessage(id_));
          return kExitFailure;
        }
        for (const auto& r : *history) {
          if (all_revisions_ || r.current) s.Update(visit(r));
        }
      }
    } else {
      s = storage::OutcomeLog::Scan(store, all_revisions_, visit);
    }
    if (!s.ok()) {
      fmt::print(stderr, "bukong outcome: {}\n", Message(s));
      return kExitFailure;
    }
    if (table) out += fmt::format("{} outcome{}\n", rows, rows == 1 ? "" : "s");
    if (!output_.empty()) {
      // Written beside the final name and renamed: no half-written export.
      const std::string tmp = fmt::format("{}.tmp-{}", output_, getpid());
      std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
      file << out;
      file.close();
      std::error_code ec;
      if (!file || (std::filesystem::rename(tmp, output_, ec), ec)) {
        std::filesystem::remove(tmp);
        fmt::print(stderr, "bukong outcome export: cannot write {}\n", output_);
        return kExitFailure;
      }
      fmt::print("exported {} outcome{} to {}\n", rows, rows == 1 ? "" : "s", output_);
      return kExitOk;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }

  int RunCorrect() {
    auto opened = storage::Store::Open(db_);
    if (!opened.ok()) {
      fmt::print(stderr, "bukong outcome: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    const auto result =
        result_ == "hit" ? storage::OutcomeResult::kHit : storage::OutcomeResult::kClean;
    auto revision =
        storage::OutcomeLog::Correct(**opened, id_, result, reason_, std::time(nullptr));
    if (!revision.ok()) {
      fmt::print(stderr, "bukong outcome correct: {}\n", Message(revision.status()));
      return absl::IsInvalidArgument(revision.status()) ? kExitUsage : kExitFailure;
    }
    fmt::print("declaration {} is now {} (revision {}; the earlier outcome stays in the log)\n",
               ingest::QuoteForMessage(id_), result_, *revision);
    return kExitOk;
  }

  static storage::StoreOptions ReadOnly() {
    storage::StoreOptions o;
    o.read_only = true;
    return o;
  }

  static std::string UtcTime(int64_t unix_seconds) {
    if (unix_seconds == 0) return "-";
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
  }

  int RunRecord() {
    std::ios::sync_with_stdio(false);
    std::ifstream file;
    std::istream* in = &std::cin;
    std::string name = kStdinName;
    if (file_ != "-") {
      file.open(file_, std::ios::binary);
      if (!file) {
        fmt::print(stderr, "{}: error: cannot open the file\n", file_);
        return kExitFailure;
      }
      in = &file;
      name = file_;
    }
    auto opened = storage::Store::Open(db_);
    if (!opened.ok()) {
      fmt::print(stderr, "bukong outcome: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = *std::move(opened);

    ingest::LineReader reader(in);
    OutcomeParser parser;
    Progress progress("outcomes");
    // Lines of the current batch, in order: the parsed input, or the parse error.
    struct Pending {
      uint64_t line = 0;
      std::string error;  // parse error, or "" (then `input` holds the outcome)
      size_t input = 0;   // index into inputs
    };
    std::vector<Pending> pending;
    std::vector<storage::Store::OutcomeInput> inputs;
    // Ids accepted from this file, with their line, to say where a repeat was first given.
    absl::flat_hash_map<std::string, uint64_t> accepted_lines;
    uint64_t lines = 0, hits = 0, clean = 0, rejected = 0;

    auto flush = [&]() -> absl::Status {
      std::vector<absl::Status> statuses;
      if (!inputs.empty()) {
        auto recorded = store->RecordOutcomes(inputs);
        if (!recorded.ok()) return recorded.status();
        statuses = *std::move(recorded);
      }
      for (const Pending& p : pending) {
        std::string error = p.error;
        if (error.empty()) {
          const storage::Store::OutcomeInput& input = inputs[p.input];
          const absl::Status& s = statuses[p.input];
          const std::string id = ingest::QuoteForMessage(input.declaration_id);
          if (s.ok()) {
            accepted_lines.emplace(input.declaration_id, p.line);
            (input.result == storage::OutcomeResult::kHit ? hits : clean) += 1;
            continue;
          }
          if (absl::IsAlreadyExists(s)) {
            auto earlier = accepted_lines.find(input.declaration_id);
            error = earlier != accepted_lines.end()
                        ? fmt::format("declaration {} already has an outcome (line {})", id,
                                      earlier->second)
                        : fmt::format("declaration {} already has an outcome", id);
          } else if (absl::IsFailedPrecondition(s)) {
            error = fmt::format("declaration {} was never decided", id);
          } else {
            error = fmt::format("declaration {}: {}", id, Message(s));
          }
        }
        ++rejected;
        fmt::print(stderr, "{}\n", ingest::FormatInputError(name, p.line, error));
      }
      pending.clear();
      inputs.clear();
      return absl::OkStatus();
    };

    std::string_view line;
    uint64_t line_number = 0;
    absl::Status status;
    while (status.ok() && reader.Next(&line, &line_number)) {
      ++lines;
      progress.Update(lines);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      storage::Store::OutcomeInput input;
      std::string error = parser.Parse(line, &input);
      pending.push_back({line_number, error, inputs.size()});
      if (error.empty()) inputs.push_back(std::move(input));
      if (pending.size() >= kBatch) status = flush();
    }
    if (status.ok()) status = flush();
    progress.Done();
    if (status.ok() && !reader.status().ok()) {
      status = absl::DataLossError(
          ingest::FormatInputError(name, reader.line_number() + 1, Message(reader.status())));
    }
    fmt::print("recorded {} outcome{} ({} hit{}, {} clean), {} rejected\n", hits + clean,
               hits + clean == 1 ? "" : "s", hits, hits == 1 ? "" : "s", clean, rejected);
    if (!status.ok()) {
      fmt::print(stderr, "bukong outcome: {}\n", Message(status));
      return kExitFailure;
    }
    return rejected > 0 ? kExitRejected : kExitOk;
  }

  std::string db_;
  std::string file_;
  CLI::App* list_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* correct_ = nullptr;
  bool all_revisions_ = false;
  std::string id_, output_, result_, reason_;
};

BUKONG_REGISTER_COMMAND(OutcomeCommand);

}  // namespace
}  // namespace bukong::cli
