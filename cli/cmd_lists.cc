// `bukong lists import --db DIR NAME FILE [--type TYPE]` and `bukong lists show --db DIR
// [NAME]` (SPEC §7.1).
//
// import: reads a list file (ingest/list_reader.h: one entry a line, `#` comments, entries
// checked against the list's type), all or nothing: every bad entry is reported as
// `FILE:LINE: error: MESSAGE` and then nothing is written (exit 1). A list's type is given
// with --type on its first import and kept; a later import may repeat it (it must match) or
// leave it out. Content equal to the current version changes nothing.
// show: every list (name, type, version, entries, imported at), or one list with the
// history of its versions; exit 1 when the named list does not exist.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "ingest/list_reader.h"
#include "storage/lists.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

// The first 16 hex digits of a digest: how decisions name a version (SPEC §7.1).
std::string_view ShortVersion(std::string_view digest) { return digest.substr(0, 16); }

std::string FormatUtc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return std::to_string(unix_seconds);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

class ListsCommand : public Command {
 public:
  int Order() const override { return 35; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "lists", "Import and show lists (watchlists that rules name with `in LIST`)");
    sub->require_subcommand(1);
    import_ = sub->add_subcommand(
        "import", "Make a file's entries the current version of a list, all or nothing");
    import_->add_option("--db", db_, "Database folder")->required();
    import_->add_option("name", name_, "List name, as the rule file declares it")->required();
    import_->add_option("file", file_, "List file, one entry a line (`-` for standard input)")
        ->required();
    import_->add_option("--type", type_,
                        "enterprise, country, port or hs; required on a list's first import")
        ->check(CLI::IsMember({"enterprise", "country", "port", "hs"}));
    show_ = sub->add_subcommand("show", "Show every list, or one list and its versions");
    show_->add_option("--db", db_, "Database folder")->required();
    show_->add_option("name", name_, "List name (all lists when omitted)");
    return sub;
  }

  int Run() override { return import_->parsed() ? Import() : Show(); }

 private:
  int Import() {
    auto store = storage::Store::Open(db_);
    if (!store.ok()) {
      fmt::print(stderr, "bukong lists import: {}\n", Message(store.status()));
      return kExitFailure;
    }
    auto current = storage::GetList(**store, name_);
    if (!current.ok()) {
      fmt::print(stderr, "bukong lists import: {}\n", Message(current.status()));
      return kExitFailure;
    }
    std::string type = type_;
    if (type.empty()) {
      if (!current->has_value()) {
        fmt::print(stderr,
                   "bukong lists import: '{}' is a new list: give its type with --type "
                   "enterprise|country|port|hs\n",
                   name_);
        return kExitUsage;
      }
      type = (*current)->type;
    } else if (current->has_value() && (*current)->type != type) {
      fmt::print(stderr, "bukong lists import: list '{}' is a list of {}, not of {}\n", name_,
                 (*current)->type, type);
      return kExitFailure;
    }
    const std::optional<ingest::ListType> list_type = ingest::ListTypeFromName(type);
    if (!list_type) {
      fmt::print(stderr, "bukong lists import: list '{}' has unknown type '{}'\n", name_, type);
      return kExitFailure;
    }

    const std::string shown_name = file_ == "-" ? kStdinName : file_;
    absl::StatusOr<ingest::ListReadResult> read =
        file_ == "-" ? ingest::ReadList(&std::cin, kStdinName, *list_type)
                     : ingest::ReadListFile(file_, *list_type);
    if (!read.ok()) {
      fmt::print(stderr, "{}\n", Message(read.status()));
      return kExitFailure;
    }
    if (!read->ok()) {
      for (const std::string& e : read->errors) fmt::print(stderr, "{}\n", e);
      fmt::print(stderr, "{}: error: {} bad entr{}; nothing was imported\n", shown_name,
                 read->errors.size(), read->errors.size() == 1 ? "y" : "ies");
      return kExitFailure;
    }

    storage::ListImport in;
    in.name = name_;
    in.type = type;
    in.entries = std::move(read->list->entries);
    in.digest = read->list->digest;
    in.imported_at_unix = static_cast<int64_t>(std::time(nullptr));
    auto result = storage::ImportList(**store, in);
    if (!result.ok()) {
      fmt::print(stderr, "bukong lists import: {}\n", Message(result.status()));
      return kExitFailure;
    }
    const storage::ListInfo& l = result->list;
    if (!result->changed) {
      fmt::print("list {} unchanged: {} is already its current version ({} entr{})\n", name_,
                 ShortVersion(l.digest), l.entries, l.entries == 1 ? "y" : "ies");
      return kExitOk;
    }
    fmt::print("imported list {} of {}: {} entr{} from {}, version {} (", name_, l.type,
               l.entries, l.entries == 1 ? "y" : "ies", shown_name, ShortVersion(l.digest));
    if (current->has_value()) {
      fmt::print("was {})\n", ShortVersion((*current)->digest));
    } else {
      fmt::print("new list)\n");
    }
    return kExitOk;
  }

  int Show() {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "lists show");
    if (!store) return kExitFailure;
    if (name_.empty()) {
      auto all = storage::ListLists(*store);
      if (!all.ok()) {
        fmt::print(stderr, "bukong lists show: {}\n", Message(all.status()));
        return kExitFailure;
      }
      if (all->empty()) {
        fmt::print("no lists in {}\n", db_);
        return kExitOk;
      }
      size_t width = 4;
      for (const auto& l : *all) width = std::max(width, l.name.size());
      fmt::print("{:<{}}  {:<10}  {:<16}  {:>9}  {}\n", "NAME", width, "TYPE", "VERSION",
                 "ENTRIES", "IMPORTED AT");
      for (const auto& l : *all) {
        fmt::print("{:<{}}  {:<10}  {:<16}  {:>9}  {}\n", l.name, width, l.type,
                   ShortVersion(l.digest), l.entries, FormatUtc(l.imported_at_unix));
      }
      return kExitOk;
    }
    auto list = storage::GetList(*store, name_);
    if (!list.ok()) {
      fmt::print(stderr, "bukong lists show: {}\n", Message(list.status()));
      return kExitFailure;
    }
    if (!list->has_value()) {
      fmt::print(stderr, "bukong lists show: no list '{}' in {}\n", name_, db_);
      return kExitFailure;
    }
    const storage::ListInfo& l = **list;
    fmt::print("list {} of {}\n", l.name, l.type);
    fmt::print("version      {}\n", l.digest);
    fmt::print("entries      {}\n", l.entries);
    fmt::print("imported at  {}\n", FormatUtc(l.imported_at_unix));
    auto history = storage::ListHistory(*store, name_);
    if (!history.ok()) {
      fmt::print(stderr, "bukong lists show: {}\n", Message(history.status()));
      return kExitFailure;
    }
    fmt::print("versions, oldest first:\n");
    for (size_t i = 0; i < history->size(); ++i) {
      const auto& v = (*history)[i];
      fmt::print("  {:>3}  {}  {:>9} entr{}  imported {}\n", i + 1, ShortVersion(v.digest),
                 v.entries, v.entries == 1 ? "y  " : "ies", FormatUtc(v.imported_at_unix));
    }
    return kExitOk;
  }

  CLI::App* import_ = nullptr;
  CLI::App* show_ = nullptr;
  std::string db_;
  std::string name_;
  std::string file_;
  std::string type_;
};

BUKONG_REGISTER_COMMAND(ListsCommand);

}  // namespace
}  // namespace bukong::cli
