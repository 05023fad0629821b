// Officers' rule tests (`bukong test`): the test-file format, read into cases. The format is
// documented in docs/rule-tests.md; in short:
//
//   key 000102030405060708090a0b0c0d0e0f     # optional: a fixed test key
//   list sanctioned KP, SY                    # the entries of each list the rules declare
//   defaults                                  # optional: what every case starts from
//     date 2024-06-01
//   case "Norwegian salmon is checked at the port"
//     hs 0302.14
//     origin NO
//     expect rule cold_chain_port_check
//     expect rate 10%
//
// Reading checks everything it can without the rule file (field names, values, the shape
// of expectations); names of rules and grades are checked against the ruleset by
// ResolveAgainst. Errors are `FILE:LINE: error: MESSAGE`, with "did you mean" for typos.
#ifndef BUKONG_CLI_SUPPORT_RULETEST_H_
#define BUKONG_CLI_SUPPORT_RULETEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/profile.h"
#include "core/selection_key.h"
#include "dsl/ir.h"
#include "core/declaration.h"

namespace bukong::cli {

struct Expectation {
  enum class Kind : uint8_t { kOutcome, kRule, kRate, kMatched, kAt, kNii };
  Kind kind = Kind::kRule;
  uint32_t line = 0;
  std::string text;                  // kOutcome: hold/inspect/release; kRule: a name or baseline
  int64_t ppm = 0;                   // kRate, kAt (port share), kNii (nii share)
  std::vector<std::string> names;    // kMatched (empty: nothing matches)
};

struct TestCase {
  std::string name;
  uint32_t line = 0;
  Declaration declaration;
  std::optional<Profile> profile;  // nullopt: no profile (the unknown-enterprise grade)
  bool grade_given = false;        // false: the ruleset's reference grade is filled in
  int64_t age_days = 3650;         // the profile's registration is `date - age_days`
  std::vector<Expectation> expectations;
};

// `list NAME ENTRY, ENTRY, ...` (SPEC §7.1): the entries the cases see for a list the rule
// file declares, in list-file syntax (hs entries with or without dots).
struct TestList {
  std::string name;
  uint32_t line = 0;
  std::vector<std::string> entries;  // as written; checked against the list's type by
                                     // ResolveAgainst, which stores them in `stored`
  std::vector<std::string> stored;   // distinct, sorted bytewise, in stored form (hs: digits)
};

struct TestFile {
  std::string path;
  std::optional<SelectionKey> key;
  std::vector<TestList> lists;
  std::vector<TestCase> cases;
};

// Reads one test file. On errors returns nullopt after appending each error to *errors.
std::optional<TestFile> ReadTestFile(const std::string& path, const std::string& text,
                                     std::vector<std::string>* errors);

// Checks the names a test file uses against the ruleset (rules, grades, lists) and fills in
// the default grade; checks each list's entries against its declared type, and that every
// list the ruleset declares is given. Appends errors (with "did you mean") to *errors;
// returns false if any.
bool ResolveAgainst(const ir::Ruleset& ruleset, TestFile* file, std::vector<std::string>* errors);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_RULETEST_H_
