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
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cli/command.h"
#include "cli/support_progress.h"
#include "cli/support_status.h"
#include "ingest/input_error.h"
#include "ingest/line_source.h"
#include "ingest/outcome_json.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

constexpr size_t kBatch = 4096;

class OutcomeCommand : public Command {
 public:
  int Order() const override { return 50; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "outcome",
        "Record inspection results (JSON Lines {\"id\":..,\"result\":\"hit\"|\"clean\"}), "
        "once per declaration");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("file", file_, "Outcomes, JSON Lines (`-`: standard input)")->required();
    sub->footer(
        "Exit status: 0 all recorded, 1 an I/O/database error, 2 usage, 3 some lines rejected\n"
        "(malformed, never decided, or already given an outcome). See docs/CLI.md.");
    return sub;
  }

  int Run() override {
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
    ingest::OutcomeParser parser;
    ingest::OutcomeLine parsed;
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
      absl::Status s = parser.Parse(line, &parsed);
      std::string error = s.ok() ? std::string() : std::string(Message(s));
      storage::Store::OutcomeInput input{
          parsed.declaration_id,
          parsed.hit ? storage::OutcomeResult::kHit : storage::OutcomeResult::kClean};
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

 private:
  std::string db_;
  std::string file_;
};

BUKONG_REGISTER_COMMAND(OutcomeCommand);

}  // namespace
}  // namespace bukong::cli
