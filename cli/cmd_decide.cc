// `bukong decide --db DIR --rules FILE [IN|-] [-o OUT] [--rejects FILE] [--dry-run]
//  [--max-rejects N] [--max-line-bytes N]` (SPEC §3-4, §6).
//
// Streams declarations (JSON Lines) through the audited decider (decider/decider.h) and
// prints one decision per line. Every decision is in the synced audit log before it is
// printed: what was printed was recorded, whenever the process dies. The decider's Stream
// does the work: this thread reads, parses and decides into batches of 8192 records; the
// decider's writer thread chains and writes each batch, its syncer thread fsyncs and hands
// the batch back here (the sink below) to be printed, in input order. Memory stays flat
// (at most four batches exist at once).
//
// A bad line (not JSON, a missing or mistyped field, a repeated key, a profile grade the
// ruleset does not declare) is reported as `INPUT:LINE: error: MESSAGE` on stderr (the
// first three lines of each distinct message; the rest are counted and summarised at the
// end: "INPUT: ... and 2,540 more lines: MESSAGE"), copied to --rejects, gets no decision
// and no audit record; the run goes on and exits 3. With --max-rejects N the run stops at
// the (N+1)th rejected line, and the decisions not yet handed to the audit log (at least
// the current batch, so all of them when it happens in the first 8192) are dropped: never
// recorded, never printed; exit 1. Lines holding only white space are skipped.
//
// Outputs are created only once the rules compiled and the database opened, so a typo in
// the database path leaves an existing output file alone; an output that names the input,
// the rule file, the other output or a file in the database folder is refused (exit 2)
// before anything is read or written.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_progress.h"
#include "cli/support_lists.h"
#include "cli/support_rules.h"
#include "cli/support_status.h"
#include "decider/decider.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "ingest/line_source.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

// Lines read and parsed ahead, whose missing profiles are fetched together (one MultiGet).
constexpr size_t kGroup = 64;
// Rejected lines printed per distinct message before the rest are only counted.
constexpr uint64_t kShownPerMessage = 3;
// Distinct messages remembered for the summary; later new ones are counted together.
constexpr size_t kMaxDistinctMessages = 1000;

std::string WithThousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// True when `a` and `b` name the same file, or `a` would be created inside folder `b`.
bool SameFileOrInside(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec)) return true;
  const fs::path pa = fs::weakly_canonical(a, ec), pb = fs::weakly_canonical(b, ec);
  if (ec) return false;
  if (pa == pb) return true;
  if (fs::is_directory(pb, ec)) {
    auto mismatch = std::mismatch(pb.begin(), pb.end(), pa.begin(), pa.end());
    return mismatch.first == pb.end();
  }
  return false;
}

// Reports rejected lines, summarising repeats of the same message.
class RejectReport {
 public:
  explicit RejectReport(std::string input_name) : input_name_(std::move(input_name)) {}
  void Add(uint64_t line_number, std::string_view message) {
    auto it = seen_.find(message);
    if (it == seen_.end()) {
      if (seen_.size() >= kMaxDistinctMessages) {
        ++unlisted_;
        return;
      }
      it = seen_.emplace(std::string(message), Seen{0, order_++}).first;
    }
    if (++it->second.count <= kShownPerMessage) {
      fmt::print(stderr, "{}\n", ingest::FormatInputError(input_name_, line_number, message));
    }
  }
  void Summarise() const {
    std::vector<std::pair<uint64_t, const std::string*>> later;
    for (const auto& [message, s] : seen_) {
      if (s.count > kShownPerMessage) later.emplace_back(s.order, &message);
    }
    std::sort(later.begin(), later.end());
    for (const auto& [order, message] : later) {
      const uint64_t more = seen_.find(*message)->second.count - kShownPerMessage;
      fmt::print(stderr, "{}: ... and {} more line{}: {}\n", input_name_, WithThousands(more),
                 more == 1 ? "" : "s", *message);
    }
    if (unlisted_ > 0) {
      fmt::print(stderr, "{}: ... and {} more lines with other messages\n", input_name_,
                 WithThousands(unlisted_));
    }
  }

 private:
  struct Seen {
    uint64_t count;
    uint64_t order;
  };
  std::string input_name_;
  std::map<std::string, Seen, std::less<>> seen_;
  uint64_t order_ = 0;
  uint64_t unlisted_ = 0;
};

// Marks each decision line of a dry run: `{...}` becomes `{...,"dry_run":true}`.
void AppendDryRunLines(std::string_view lines, std::string* out) {
  size_t at = 0;
  while (at < lines.size()) {
    size_t nl = lines.find('\n', at);
    if (nl == std::string_view::npos) nl = lines.size();
    std::string_view line = lines.substr(at, nl - at);
    if (!line.empty() && line.back() == '}') line.remove_suffix(1);
    out->append(line);
    out->append(",\"dry_run\":true}\n");
    at = nl + 1;
  }
}

class DecideCommand : public Command {
 public:
  int Order() const override { return 40; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "decide",
        "Decide declarations (JSON Lines) under a ruleset; record each decision in the audit "
        "log, then print it");
    sub->add_option("--db", db_, "Database folder")->required();
    sub->add_option("--rules", rules_, "Rule file (.rules); it is stored in the database")
        ->required();
    sub->add_option("input", input_, "Declarations, JSON Lines (default or `-`: standard input)");
    sub->add_option("-o,--output", output_, "Write decisions here instead of standard output");
    sub->add_option("--rejects", rejects_, "Copy every rejected line here (created or truncated)");
    sub->add_flag("--dry-run", dry_run_,
                  "Decide without recording anything (no audit record, no stored ruleset); "
                  "each printed line carries \"dry_run\":true");
    sub->add_option("--max-rejects", max_rejects_,
                    "Stop at the (N+1)th rejected line; decisions not yet recorded are dropped");
    sub->add_option("--max-line-bytes", max_line_bytes_,
                    fmt::format("Longest declaration line accepted (default {})",
                                max_line_bytes_))
        ->check(CLI::PositiveNumber);
    sub->footer(
        "Exit status: 0 all decided, 1 rule-file errors, an I/O/database error or\n"
        "--max-rejects reached, 2 usage (also: an output naming an input), 3 some lines\n"
        "rejected (each reported as INPUT:LINE: error: MESSAGE). See docs/CLI.md.");
    return sub;
  }

  int Run() override {
    // Paths first: an output naming an input is a usage error, found before anything runs.
    std::vector<std::pair<std::string, std::string>> inputs = {{"--rules", rules_},
                                                               {"--db", db_}};
    if (!input_.empty() && input_ != "-") inputs.emplace_back("the input", input_);
    if (!output_.empty() && !rejects_.empty()) inputs.emplace_back("--output", output_);
    for (const auto& [flag, path] : {std::pair{"--output", output_}, {"--rejects", rejects_}}) {
      if (path.empty()) continue;
      for (const auto& [what, in] : inputs) {
        if (in == path && what == std::string(flag)) continue;
        if (SameFileOrInside(path, in)) {
          fmt::print(stderr,
                     "bukong decide: {} {} names {} ({}); refusing to overwrite it\n", flag,
                     path, what, in);
          return kExitUsage;
        }
      }
    }

    std::unique_ptr<RulesetEntry> rules = LoadRuleFile(rules_);
    if (!rules) return kExitFailure;

    std::ios::sync_with_stdio(false);  // std::cin reads in blocks, not byte by byte
    std::ifstream file;
    std::istream* in = &std::cin;
    std::string input_name = kStdinName;
    if (!input_.empty() && input_ != "-") {
      file.open(input_, std::ios::binary);
      if (!file) {
        fmt::print(stderr, "{}: error: cannot open the input\n", input_);
        return kExitFailure;
      }
      in = &file;
      input_name = input_;
    }

    // The database next (read-only on a dry run); only then are outputs created.
    // No RocksDB row cache: the stream's profile cache already answers every repeated
    // enterprise, so the row cache would only see first lookups, each paying an insert (and,
    // later, an eviction) into a 64 MB LRU table for nothing.
    storage::StoreOptions store_options;
    store_options.row_cache_bytes = 0;
    store_options.read_only = dry_run_;
    auto opened = storage::Store::Open(db_, store_options);
    if (!opened.ok()) {
      fmt::print(stderr, "bukong decide: {}: {}\n", db_, Message(opened.status()));
      return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = *std::move(opened);
    // SPEC §7.1: bind the current version of every list the ruleset declares, or refuse it
    // before any output file exists or anything is stored.
    if (absl::Status s = BindCurrentListsInto(*store, rules.get()); !s.ok()) {
      fmt::print(stderr, "bukong decide: {}; nothing was decided\n", Message(s));
      return kExitFailure;
    }

    std::FILE* out = stdout;
    if (!output_.empty()) {
      out = std::fopen(output_.c_str(), "wb");
      if (out == nullptr) {
        fmt::print(stderr, "{}: error: cannot create the output file\n", output_);
        return kExitFailure;
      }
    }
    std::FILE* rejects = nullptr;
    if (!rejects_.empty()) {
      rejects = std::fopen(rejects_.c_str(), "wb");
      if (rejects == nullptr) {
        fmt::print(stderr, "{}: error: cannot create the rejects file\n", rejects_);
        if (out != stdout) std::fclose(out);
        return kExitFailure;
      }
    }
    const int code = Decide(*store, *rules, *in, input_name, out, rejects);
    if (rejects != nullptr && std::fclose(rejects) != 0) {
      fmt::print(stderr, "{}: error: cannot write the rejects file\n", rejects_);
      return kExitFailure;
    }
    if (out != stdout && std::fclose(out) != 0) {
      fmt::print(stderr, "{}: error: cannot write the output file\n", output_);
      return kExitFailure;
    }
    return code;
  }

 private:
  int Decide(storage::Store& store, const RulesetEntry& rules, std::istream& in,
             const std::string& input_name, std::FILE* out, std::FILE* rejects) {
    decider::DeciderOptions options;
    options.dry_run = dry_run_;
    auto created = decider::Decider::Create(store, rules.text, rules.compiled, options);
    if (!created.ok()) {
      fmt::print(stderr, "bukong decide: storing the ruleset: {}\n", Message(created.status()));
      return kExitFailure;
    }
    std::unique_ptr<decider::Decider> decider = *std::move(created);

    // The sink runs on the decider's syncer thread, once per durable batch, in input order.
    uint64_t first_seq = 0, last_seq = 0;
    std::string marked;  // dry run: the lines with their marker
    const std::string out_name = output_.empty() ? "standard output" : output_;
    decider::Decider::Stream stream(
        *decider, [&](std::string_view lines, storage::AuditRange range) -> absl::Status {
          if (dry_run_) {
            marked.clear();
            AppendDryRunLines(lines, &marked);
            lines = marked;
          } else {
            if (first_seq == 0) first_seq = range.first;
            last_seq = range.last;
          }
          if (std::fwrite(lines.data(), 1, lines.size(), out) != lines.size() ||
              std::fflush(out) != 0) {
            return absl::DataLossError(
                fmt::format("cannot write the decisions to {} (they are recorded in the audit "
                            "log up to record {})",
                            out_name, range.last));
          }
          return absl::OkStatus();
        });

    ingest::DeclarationParser parser(rules.compiled->FieldsRead());
    // Lines over the limit that fit in the read buffer are rejected one by one; a line so
    // long that it would have to be buffered beyond the limit stops the run (the reader
    // never holds more than that).
    ingest::LineReader reader(&in, ingest::InputBuffer::kDefaultChunk, {},
                              std::max(max_line_bytes_, ingest::InputBuffer::kDefaultChunk));
    Progress progress("declarations");
    RejectReport report(input_name);

    uint64_t lines = 0, decided = 0, rejected = 0, dropped = 0;
    absl::Status stop;  // an error that ends the run early (not a bad line)
    bool too_many_rejects = false;
    auto reject = [&](std::string_view line, uint64_t line_number, std::string_view message) {
      ++rejected;
      report.Add(line_number, message);
      if (rejects != nullptr) {
        std::fwrite(line.data(), 1, line.size(), rejects);
        std::fputc('\n', rejects);
      }
      if (max_rejects_ && rejected > *max_rejects_) too_many_rejects = true;
    };

    // Lines are read and parsed kGroup at a time so that the profiles their enterprises
    // miss in the cache are fetched with one MultiGet; they are then decided, rejected
    // and counted in input order, exactly as one at a time.
    struct Pending {
      std::string line;
      uint64_t line_number = 0;
      bool blank = false;
      absl::Status parsed;
      Declaration declaration;
    };
    std::vector<Pending> group(kGroup);
    std::vector<std::string_view> enterprises;
    enterprises.reserve(kGroup);
    std::string_view line;
    uint64_t line_number = 0;
    bool halt = false;
    while (!halt) {
      size_t n = 0;
      while (n < kGroup && reader.Next(&line, &line_number)) {
        Pending& p = group[n++];
        p.line.assign(line);
        p.line_number = line_number;
        p.blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
        if (p.blank) continue;
        if (line.size() > max_line_bytes_) {
          p.parsed = absl::InvalidArgumentError(fmt::format(
              "the line is longer than --max-line-bytes {} ({} bytes)", max_line_bytes_,
              line.size()));
        } else {
          p.parsed = parser.Parse(p.line, &p.declaration);
        }
      }
      if (n == 0) break;
      enterprises.clear();
      for (size_t i = 0; i < n; ++i) {
        if (!group[i].blank && group[i].parsed.ok()) {
          enterprises.push_back(group[i].declaration.enterprise);
        }
      }
      if (absl::Status s = stream.Prefetch(enterprises); !s.ok()) {
        stop = s;
        break;
      }
      for (size_t i = 0; i < n && !halt; ++i) {
        Pending& p = group[i];
        ++lines;
        progress.Update(lines);
        if (p.blank) continue;
        if (!p.parsed.ok()) {
          reject(p.line, p.line_number, Message(p.parsed));
        } else if (absl::Status s = stream.Add(p.declaration, p.line); s.ok()) {
          ++decided;
        } else if (s.code() == absl::StatusCode::kInvalidArgument) {
          reject(p.line, p.line_number, Message(s));
        } else {
          stop = s;
          halt = true;
        }
        if (too_many_rejects) {
          dropped = stream.DiscardCurrent();
          decided -= dropped;
          halt = true;
        }
      }
    }
    if (stop.ok() && !reader.status().ok()) {
      stop = absl::DataLossError(
          ingest::FormatInputError(input_name, reader.line_number() + 1, Message(reader.status())));
    }
    // The decisions made so far are recorded and printed even when the run stops early.
    absl::Status failure = stream.Finish();
    if (absl::Status s = decider->Shutdown(); failure.ok()) failure = s;
    progress.Done();
    report.Summarise();

    int code = kExitOk;
    if (!failure.ok()) {
      fmt::print(stderr, "bukong decide: {}\n", Message(failure));
      code = kExitFailure;
    }
    if (!stop.ok() && stop != failure) {
      fmt::print(stderr, "bukong decide: {}\n", Message(stop));
      code = kExitFailure;
    }
    if (too_many_rejects) {
      fmt::print(stderr,
                 "bukong decide: stopped at line {}: more than {} rejected line{} "
                 "(--max-rejects); {} decision{} of this run dropped, never recorded\n",
                 line_number, *max_rejects_, *max_rejects_ == 1 ? "" : "s",
                 WithThousands(dropped), dropped == 1 ? "" : "s");
      code = kExitFailure;
    }
    if (code == kExitOk && rejected > 0) code = kExitRejected;
    if (failure.ok()) {
      std::string recorded;
      if (dry_run_) {
        recorded = " (dry run: nothing recorded)";
      } else if (decided > 0) {
        recorded = fmt::format(" and recorded (audit records {}..{})", first_seq, last_seq);
      } else {
        recorded = " and recorded";
      }
      fmt::print(stderr, "bukong decide: {} line{} read, {} decided{}, {} rejected\n", lines,
                 lines == 1 ? "" : "s", decided, recorded, rejected);
    }
    return code;
  }

  std::string db_;
  std::string rules_;
  std::string input_;
  std::string output_;
  std::string rejects_;
  bool dry_run_ = false;
  std::optional<uint64_t> max_rejects_;
  size_t max_line_bytes_ = ingest::LineReader::kDefaultMaxLine;  // 1 MiB
};

BUKONG_REGISTER_COMMAND(DecideCommand);

}  // namespace
}  // namespace bukong::cli
