// `bukong profiles import --db DIR FILE` and `bukong profiles get --db DIR ID` (SPEC §3-4).
//
// import: CSV or JSON Lines (by the file name, else by the content; `-` is standard
// input), upsert, all or nothing: every bad row is reported as `FILE:LINE: error: MESSAGE`
// and then nothing is written (exit 1). Progress on stderr when it is a terminal.
// get: the profile as one JSON line with the keys of the JSON Lines input format, so it
// can be imported again; exit 1 when the enterprise has no profile.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/support_profile_json.h"
#include "core/dates.h"
#include "core/json.h"
#include "ingest/profile_reader.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

// Feeds the ingest reader's rows to the store. A bad row is reported at once and reading
// goes on, so that one run shows every bad row; at the end of the input an error ends the
// import before the store writes anything.
class ReaderSource : public storage::ProfileSource {
 public:
  explicit ReaderSource(ingest::ProfileReader& reader) : reader_(reader) {}

  absl::StatusOr<std::optional<Profile>> Next() override {
    for (;;) {
      switch (reader_.Next(&row_)) {
        case ingest::ReadResult::kRow:
          return std::optional<Profile>(row_.profile);
        case ingest::ReadResult::kError:
          if (++errors_ <= kMaxReported) {
            fmt::print(stderr, "{}\n", reader_.FormatError(row_));
          } else if (errors_ == kMaxReported + 1) {
            fmt::print(stderr, "{}: note: further errors are counted, not shown\n", reader_.name());
          }
          continue;
        case ingest::ReadResult::kEnd:
          if (errors_ > 0) {
            return absl::InvalidArgumentError(
                fmt::format("{}: error: {} bad row{}; nothing was imported", reader_.name(),
                            errors_, errors_ == 1 ? "" : "s"));
          }
          return std::optional<Profile>();
      }
    }
  }

 private:
  static constexpr uint64_t kMaxReported = 100;
  ingest::ProfileReader& reader_;
  ingest::ProfileRow row_;
  uint64_t errors_ = 0;
};

class ProfilesCommand : public Command {
 public:
  int Order() const override { return 30; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand("profiles", "Import and read enterprise profiles");
    sub->require_subcommand(1);
    import_ = sub->add_subcommand(
        "import", "Upsert every profile of a CSV or JSON Lines file, all or nothing");
    import_->add_option("--db", db_, "Database folder")->required();
    import_->add_option("file", file_, "Profile file (.csv, .jsonl; `-` for standard input)")
        ->required();
    get_ = sub->add_subcommand("get", "Print one enterprise's profile as JSON");
    get_->add_option("--db", db_, "Database folder")->required();
    get_->add_option("id", id_, "Enterprise id")->required();
    return sub;
  }

  int Run() override { return import_->parsed() ? Import() : Get(); }

 private:
  int Import() {
    std::unique_ptr<ingest::ProfileReader> reader;
    if (file_ == "-") {
      reader = ingest::ProfileReader::FromStream(&std::cin, kStdinName, std::nullopt);
    } else {
      auto opened = ingest::ProfileReader::Open(file_);
      if (!opened.ok()) {
        fmt::print(stderr, "{}: error: {}\n", file_, std::string(opened.status().message()));
        return kExitFailure;
      }
      reader = std::move(opened).value();
    }
    auto store = storage::Store::Open(db_);
    if (!store.ok()) {
      fmt::print(stderr, "bukong profiles import: {}\n", std::string(store.status().message()));
      return kExitFailure;
    }
    storage::ImportOptions options;
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    const auto start = std::chrono::steady_clock::now();
    if (terminal) {
      options.progress = [start](uint64_t rows, std::string_view phase) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        fmt::print(stderr, "\r{}: {} rows, {:.1f} s\033[K", phase, rows, seconds);
        if (phase == "done") fmt::print(stderr, "\n");
      };
    }
    ReaderSource source(*reader);
    auto stats = (*store)->ImportProfiles(source, options);
    if (!stats.ok()) {
      if (terminal) fmt::print(stderr, "\n");
      fmt::print(stderr, "{}\n", std::string(stats.status().message()));
      return kExitFailure;
    }
    fmt::print("imported {} profile{} ({} row{}) from {} into {}\n", stats->profiles,
               stats->profiles == 1 ? "" : "s", stats->rows, stats->rows == 1 ? "" : "s",
               file_ == "-" ? kStdinName : file_, db_);
    return kExitOk;
  }

  int Get() {
    storage::StoreOptions options;
    options.read_only = true;  // may run beside a writer (e.g. a long decide)
    options.block_cache_bytes = size_t{8} << 20;
    auto store = storage::Store::Open(db_, options);
    if (!store.ok()) {
      fmt::print(stderr, "bukong profiles get: {}\n", std::string(store.status().message()));
      return kExitFailure;
    }
    auto profile = (*store)->GetProfile(id_);
    if (!profile.ok()) {
      fmt::print(stderr, "bukong profiles get: {}\n", std::string(profile.status().message()));
      return kExitFailure;
    }
    if (!profile->has_value()) {
      fmt::print(stderr, "bukong profiles get: no profile for enterprise {}\n", JsonString(id_));
      return kExitFailure;
    }
    fmt::print("{}\n", ProfileJson(**profile));
    return kExitOk;
  }

  CLI::App* import_ = nullptr;
  CLI::App* get_ = nullptr;
  std::string db_;
  std::string file_;
  std::string id_;
};

BUKONG_REGISTER_COMMAND(ProfilesCommand);

}  // namespace
}  // namespace bukong::cli
