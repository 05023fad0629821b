// `bukong audit salvage --db DIR`: the explicit, logged way past a database that lost
// acknowledged audit records (Store::Open refuses it, naming the lost records). It records
// the lost range in the database and in DIR/salvage.log, prints exactly what was lost, and
// lets the log continue after the last acknowledged record (numbers are never reused);
// `replay` names the lost range from then on (docs/storage.md, "Corruption is loud").
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/support_status.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

class AuditCommand : public Command {
 public:
  int Order() const override { return 95; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand("audit", "Tools for the audit log: salvage");
    sub->require_subcommand(1);
    salvage_ = sub->add_subcommand(
        "salvage",
        "Continue an audit log that lost acknowledged records to damage: record exactly what "
        "was lost (in the database and DIR/salvage.log) and number on after it");
    salvage_->add_option("--db", db_, "Database folder")->required();
    return sub;
  }

  int Run() override {
    if (salvage_->parsed()) return Salvage();
    return kExitUsage;
  }

 private:
  int Salvage() {
    auto report = storage::Store::Salvage(db_);
    if (!report.ok()) {
      fmt::print(stderr, "bukong audit salvage: {}: {}\n", db_, Message(report.status()));
      return kExitFailure;
    }
    fmt::print("{}\n", report->message);
    return kExitOk;
  }

  CLI::App* salvage_ = nullptr;
  std::string db_;
};

BUKONG_REGISTER_COMMAND(AuditCommand);

}  // namespace
}  // namespace bukong::cli
