// Generated enterprise profiles (SPEC §3 CSV) and their ids.
//
// Profile i depends only on (seed, i) and the grade table, so any one can be produced alone:
// the declaration generator regenerates enterprise ids instead of reading the CSV.
#ifndef BUKONG_GEN_PROFILES_H_
#define BUKONG_GEN_PROFILES_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/profile.h"
#include "gen/random.h"

namespace bukong::gen {

// A grade and the fraction of enterprises that get it. Grades are listed most trusted
// first, as in rule files; hit rates and flags grow towards the end of the list.
struct GradeShare {
  std::string name;
  double share = 0;  // fraction of enterprises, > 0; the list is normalised to sum 1
};

// advanced 0.5%, certified 3%, general 95%, dishonest 1.5%.
std::vector<GradeShare> DefaultGradeShares();

// Parses "advanced:0.5,certified:3,general:95,dishonest:1.5" (percentages, most trusted
// first; they need not sum to 100, they are normalised). Names must be identifiers.
absl::StatusOr<std::vector<GradeShare>> ParseGradeShares(std::string_view text);

// An 18-character id shaped like a unified social credit code (GB 32100-2015): `91`, a
// 6-digit region code, `MA`, 7 characters of the code alphabet, and the GB 32100 check
// character. Distinct indexes give distinct ids under one seed.
std::string EnterpriseId(uint64_t seed, uint64_t index);

// True when `id` has a valid GB 32100 check character (used by tests).
bool HasValidCreditCodeCheck(std::string_view id);

struct ProfileOptions {
  uint64_t seed = 1;
  uint64_t count = 1000;
  std::vector<GradeShare> grades = DefaultGradeShares();
};

class ProfileGenerator {
 public:
  explicit ProfileGenerator(ProfileOptions options);

  // Profile number `index` (0-based).
  Profile At(uint64_t index) const;

  // The CSV header and `count` rows.
  // `progress`, when set, is called after each item with the number written so far.
  void WriteCsv(std::ostream& out, const std::function<void(uint64_t done)>& progress = {}) const;
  // One CSV row (with its newline) for `profile`.
  static void AppendCsvRow(const Profile& profile, std::string* out);

  const ProfileOptions& options() const { return options_; }

 private:
  ProfileOptions options_;
  WeightedPicker grade_picker_;
  std::vector<double> hit_rate_;   // per grade
  std::vector<double> flag_rate_;  // per grade
  WeightedPicker flag_picker_;
};

}  // namespace bukong::gen

#endif  // BUKONG_GEN_PROFILES_H_
