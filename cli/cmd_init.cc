// `bukong init --db DIR [--key-file FILE]`: creates a new database (SPEC §4, §6). The
// selection key comes from FILE (32 hex digits, either case, surrounding white space
// ignored) or is drawn at random; it is kept in DIR/selection.key with mode 0600. Only the
// key id is ever printed. An existing database is refused and left unchanged (exit 1).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

class InitCommand : public Command {
 public:
  int Order() const override { return 20; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "init", "Create a new database with a random selection key or the key in --key-file");
    sub->add_option("--db", db_, "Database folder to create (new or empty)")->required();
    sub->add_option("--key-file", key_file_,
                    "File holding the 16-byte selection key as 32 hex digits (so several "
                    "machines decide alike); default: a new random key");
    return sub;
  }

  int Run() override {
    storage::InitOptions options;
    if (!key_file_.empty()) {
      std::error_code ec;
      if (std::filesystem::is_directory(key_file_, ec)) {
        fmt::print(stderr,
                   "{}: error: is a folder; --key-file wants a file holding the selection key "
                   "as 32 hex digits (for example the selection.key of another database)\n",
                   key_file_);
        return kExitFailure;
      }
      std::ifstream in(key_file_, std::ios::binary);
      if (!in) {
        fmt::print(stderr, "{}: error: cannot read the key file\n", key_file_);
        return kExitFailure;
      }
      std::ostringstream text;
      text << in.rdbuf();
      auto key = SelectionKey::FromHex(text.str());
      if (!key.ok()) {
        fmt::print(stderr, "{}: error: {}\n", key_file_, std::string(key.status().message()));
        return kExitFailure;
      }
      options.key = *key;
    }
    auto key_id = storage::InitStore(db_, options);
    if (!key_id.ok()) {
      fmt::print(stderr, "bukong init: {}\n", std::string(key_id.status().message()));
      return kExitFailure;
    }
    fmt::print("created database {} (selection key id {}, {})\n", db_, *key_id,
               key_file_.empty() ? "new random key" : "key from " + key_file_);
    return kExitOk;
  }

 private:
  std::string db_;
  std::string key_file_;
};

BUKONG_REGISTER_COMMAND(InitCommand);

}  // namespace
}  // namespace bukong::cli
