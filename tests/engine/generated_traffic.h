// Generated traffic for the engine's differential, property and round-trip tests: the
// profiles of gen::ProfileGenerator by id, and the declarations of gen::DeclarationGenerator
// as JSON lines parsed for a ruleset's fields, exactly as `bukong decide` would read them.
//
//   GeneratedTraffic traffic({.seed = 7, .count = 5000},
//                            {.seed = 7, .count = 30'000, .profiles = 5000}, fields_read);
//   for (uint64_t i = 0; i < traffic.size(); ++i) {
//     Declaration d;
//     ASSERT_TRUE(traffic.Parse(i, &d)) << traffic.line();
//     const Profile* p = traffic.ProfileOf(d);   // null: an unknown enterprise
//     ...
//   }
#ifndef BUKONG_TESTS_ENGINE_GENERATED_TRAFFIC_H_
#define BUKONG_TESTS_ENGINE_GENERATED_TRAFFIC_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "core/declaration.h"
#include "core/profile.h"
#include "dsl/ir.h"
#include "gen/declarations.h"
#include "gen/profiles.h"
#include "ingest/declaration_json.h"

namespace bukong::engine::test {

class GeneratedTraffic {
 public:
  GeneratedTraffic(const gen::ProfileOptions& profiles,
                   const gen::DeclarationOptions& declarations, const ir::FieldSet& fields)
      : declarations_(declarations), count_(declarations.count), parser_(fields) {
    gen::ProfileGenerator generator(profiles);
    for (uint64_t i = 0; i < profiles.count; ++i) {
      Profile p = generator.At(i);
      profiles_.emplace(p.id, std::move(p));
    }
  }

  uint64_t size() const { return count_; }

  // Declaration i as a JSON line (line(), without its newline), parsed into *d. False when
  // it does not parse (a generator or parser bug: the caller fails the test with line()).
  bool Parse(uint64_t i, Declaration* d) {
    line_.clear();
    declarations_.AppendJsonLine(i, &line_);
    while (!line_.empty() && line_.back() == '\n') line_.pop_back();
    return parser_.Parse(line_, d).ok();
  }
  const std::string& line() const { return line_; }

  // The profile of d's enterprise, or null when the generator made none (unknown enterprise).
  const Profile* ProfileOf(const Declaration& d) const {
    auto it = profiles_.find(d.enterprise);
    return it == profiles_.end() ? nullptr : &it->second;
  }

 private:
  absl::flat_hash_map<std::string, Profile> profiles_;
  gen::DeclarationGenerator declarations_;
  const uint64_t count_;
  ingest::DeclarationParser parser_;
  std::string line_;
};

}  // namespace bukong::engine::test

#endif  // BUKONG_TESTS_ENGINE_GENERATED_TRAFFIC_H_
