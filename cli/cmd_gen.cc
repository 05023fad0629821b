// `bukong gen`: deterministic, realistic traffic for tests, benchmarks and demos.
//
//   bukong gen profiles     --seed 7 --count 100000 [-o profiles.csv]
//   bukong gen declarations --seed 7 --count 1000000 --profiles 100000 [-o decl.jsonl]
//   bukong gen rules        --seed 7 --count 200 [-o generated.rules]
//   bukong gen all --out DIR --seed 7 --profiles 100000 --declarations 1000000 --rules 200
//   bukong gen rules --v2 ...            also lists, unit_value, sample, require (SPEC §7)
//   bukong gen lists --out DIR --seed 7 --profiles 100000 [--enterprises 1000000]
//
// The same arguments always give the same bytes. Declarations draw their enterprises from
// the profiles of the same seed, so use one seed (and the same --profiles) for a data set.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/support_progress.h"
#include "gen/declarations.h"
#include "gen/lists.h"
#include "gen/profiles.h"
#include "gen/rules.h"

namespace bukong::cli {
namespace {

constexpr char kGradesHelp[] =
    "Grades and the percentage of enterprises in each, most trusted first "
    "(default advanced:0.5,certified:3,general:95,dishonest:1.5)";

// Writes through `write` to `path`, or to standard output when path is empty or "-".
template <typename Writer>
int WriteOutput(const std::string& path, Writer write) {
  if (path.empty() || path == "-") {
    std::ios::sync_with_stdio(false);
    write(std::cout);
    std::cout.flush();
    if (!std::cout) {
      fmt::print(stderr, "bukong gen: error writing standard output\n");
      return kExitFailure;
    }
    return kExitOk;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    fmt::print(stderr, "{}: error: cannot create: {}\n", path, std::strerror(errno));
    return kExitFailure;
  }
  write(out);
  out.close();
  if (!out) {
    fmt::print(stderr, "{}: error: write failed\n", path);
    return kExitFailure;
  }
  return kExitOk;
}

constexpr char kV2Help[] =
    "Also the v2 constructs of SPEC §7: lists (see `gen lists`), unit_value, sample, require";

class GenCommand : public Command {
 public:
  int Order() const override { return 90; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* gen = app.add_subcommand(
        "gen", "Generate realistic test traffic: profiles, declarations, rulesets (seeded)");
    gen->require_subcommand(1);
    gen->footer(
        "The same arguments always give byte-identical output. Use one --seed (and the same\n"
        "profile count) for profiles and declarations so that enterprises match.");

    profiles_ = gen->add_subcommand("profiles", "Enterprise profiles as CSV (SPEC §3)");
    profiles_->add_option("--seed", seed_, "Random seed")->capture_default_str();
    profiles_->add_option("--count", profile_count_, "Number of profiles")->capture_default_str();
    profiles_->add_option("--grades", grades_text_, kGradesHelp);
    profiles_->add_option("-o,--output", output_, "Output file (default: standard output)");

    declarations_ = gen->add_subcommand("declarations", "Declarations as JSON Lines (SPEC §3)");
    declarations_->add_option("--seed", seed_, "Random seed")->capture_default_str();
    declarations_->add_option("--count", declaration_count_, "Number of declarations")
        ->capture_default_str();
    declarations_
        ->add_option("--profiles", profile_count_,
                     "Number of profiles generated with the same seed")
        ->capture_default_str();
    declarations_
        ->add_option("--unknown-share", unknown_share_,
                     "Share of declarations from enterprises without a profile")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    declarations_->add_option("-o,--output", output_, "Output file (default: standard output)");

    rules_ = gen->add_subcommand("rules", "A ruleset in the rule language (SPEC §1)");
    rules_->add_option("--seed", seed_, "Random seed")->capture_default_str();
    rules_->add_option("--count", rule_count_, "Number of rules")->capture_default_str();
    rules_->add_option("--grades", grades_text_, kGradesHelp);
    rules_->add_flag("--v2", v2_, kV2Help);
    rules_->add_option("-o,--output", output_, "Output file (default: standard output)");

    lists_ = gen->add_subcommand(
        "lists", "The list files a --v2 ruleset declares (SPEC §7.1), into a folder");
    lists_->add_option("--out", out_dir_, "Output folder (created if missing)")->required();
    lists_->add_option("--seed", seed_, "Random seed")->capture_default_str();
    lists_
        ->add_option("--profiles", profile_count_,
                     "Number of profiles generated with the same seed")
        ->capture_default_str();
    lists_->add_option("--enterprises", enterprise_count_,
                       "Entries of the enterprise list (default: 1% of the profiles)");

    all_ = gen->add_subcommand(
        "all", "All three into a folder: profiles.csv, declarations.jsonl, generated.rules");
    all_->add_option("--out", out_dir_, "Output folder (created if missing)")->required();
    all_->add_option("--seed", seed_, "Random seed")->capture_default_str();
    all_->add_option("--profiles", profile_count_, "Number of profiles")->capture_default_str();
    all_->add_option("--declarations", declaration_count_, "Number of declarations")
        ->capture_default_str();
    all_->add_option("--rules", rule_count_, "Number of rules")->capture_default_str();
    all_->add_option("--unknown-share", unknown_share_,
                     "Share of declarations from enterprises without a profile")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    all_->add_option("--grades", grades_text_, kGradesHelp);
    all_->add_flag("--v2", v2_, "A v2 ruleset (SPEC §7) and its list files (NAME.txt) too");
    return gen;
  }

  int Run() override {
    std::vector<gen::GradeShare> grades = gen::DefaultGradeShares();
    if (!grades_text_.empty()) {
      auto parsed = gen::ParseGradeShares(grades_text_);
      if (!parsed.ok()) {
        fmt::print(stderr, "bukong gen: --grades: {}\n", std::string(parsed.status().message()));
        return kExitUsage;
      }
      grades = *parsed;
    }
    if (profiles_->parsed()) return Profiles(output_, grades);
    if (declarations_->parsed()) return Declarations(output_);
    if (rules_->parsed()) return Rules(output_, grades);
    if (lists_->parsed() || all_->parsed()) {
      std::error_code error;
      std::filesystem::create_directories(out_dir_, error);
      if (error) {
        fmt::print(stderr, "{}: error: cannot create folder: {}\n", out_dir_, error.message());
        return kExitFailure;
      }
    }
    if (lists_->parsed()) return Lists();
    if (all_->parsed()) {
      auto path = [&](const char* name) {
        return (std::filesystem::path(out_dir_) / name).string();
      };
      if (int rc = Profiles(path("profiles.csv"), grades); rc != kExitOk) return rc;
      if (int rc = Declarations(path("declarations.jsonl")); rc != kExitOk) return rc;
      if (int rc = Rules(path("generated.rules"), grades); rc != kExitOk) return rc;
      if (v2_) {
        if (int rc = Lists(); rc != kExitOk) return rc;
      }
      fmt::print(stderr,
                 "wrote {}/profiles.csv ({} profiles), declarations.jsonl ({}), "
                 "generated.rules ({} rules)\n",
                 out_dir_, profile_count_, declaration_count_, rule_count_);
      return kExitOk;
    }
    return kExitUsage;
  }

 private:
  int Profiles(const std::string& path, const std::vector<gen::GradeShare>& grades) {
    gen::ProfileGenerator generator({.seed = seed_, .count = profile_count_, .grades = grades});
    Progress progress("profiles");
    return WriteOutput(path, [&](std::ostream& out) {
      generator.WriteCsv(out, [&](uint64_t done) { progress.Update(done); });
    });
  }
  int Declarations(const std::string& path) {
    gen::DeclarationGenerator generator({.seed = seed_,
                                         .count = declaration_count_,
                                         .profiles = profile_count_,
                                         .unknown_share = unknown_share_});
    Progress progress("declarations");
    return WriteOutput(path, [&](std::ostream& out) {
      generator.WriteJsonLines(out, [&](uint64_t done) { progress.Update(done); });
    });
  }
  int Rules(const std::string& path, const std::vector<gen::GradeShare>& grades) {
    std::string text =
        gen::GenerateRuleset({.seed = seed_, .rules = rule_count_, .grades = grades, .v2 = v2_});
    return WriteOutput(path, [&](std::ostream& out) { out << text; });
  }
  int Lists() {
    for (const gen::GeneratedList& list : gen::GenerateLists(
             {.seed = seed_, .profiles = profile_count_, .enterprises = enterprise_count_})) {
      const std::string path = (std::filesystem::path(out_dir_) / list.file_name).string();
      if (int rc = WriteOutput(path, [&](std::ostream& out) { out << list.text; }); rc != kExitOk)
        return rc;
    }
    if (lists_->parsed()) {
      fmt::print(stderr, "wrote into {}:", out_dir_);
      for (const auto& spec : gen::kGeneratedLists) fmt::print(stderr, " {}.txt", spec.name);
      fmt::print(stderr, "\n");
    }
    return kExitOk;
  }

  CLI::App* profiles_ = nullptr;
  CLI::App* declarations_ = nullptr;
  CLI::App* rules_ = nullptr;
  CLI::App* all_ = nullptr;
  CLI::App* lists_ = nullptr;
  bool v2_ = false;
  uint64_t enterprise_count_ = 0;
  uint64_t seed_ = 1;
  uint64_t profile_count_ = 1000;
  uint64_t declaration_count_ = 10000;
  uint64_t rule_count_ = 200;
  double unknown_share_ = 0.005;
  std::string grades_text_;
  std::string output_;
  std::string out_dir_;
};

BUKONG_REGISTER_COMMAND(GenCommand);

}  // namespace
}  // namespace bukong::cli
