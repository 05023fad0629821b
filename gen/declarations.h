// Generated declarations (SPEC §3 JSON Lines, every field, keys in SPEC order).
//
// Declaration i depends only on (seed, i) and the options, and dates rise with i over the
// year, like a port's daily stream. Enterprises are Zipf-distributed over the profile ids
// of the same seed (EnterpriseId), plus a share of enterprises without a profile.
#ifndef BUKONG_GEN_DECLARATIONS_H_
#define BUKONG_GEN_DECLARATIONS_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "gen/random.h"

namespace bukong::gen {

struct DeclarationOptions {
  uint64_t seed = 1;
  uint64_t count = 1000;
  // Number of profiles generated with the same seed (enterprises are drawn among them).
  uint64_t profiles = 1000;
  // Share of declarations from enterprises that have no profile.
  double unknown_share = 0.005;
  // Zipf exponent of enterprise activity (a few enterprises file most declarations).
  double zipf_exponent = 0.8;
  int year = 2021;
};

class DeclarationGenerator {
 public:
  explicit DeclarationGenerator(DeclarationOptions options);

  // Appends declaration `index` (0-based) as one JSON line with its newline.
  void AppendJsonLine(uint64_t index, std::string* out) const;

  // All `count` declarations.
  // `progress`, when set, is called after each item with the number written so far.
  void WriteJsonLines(std::ostream& out,
                      const std::function<void(uint64_t done)>& progress = {}) const;

  const DeclarationOptions& options() const { return options_; }

 private:
  DeclarationOptions options_;
  ZipfSampler zipf_;
  WeightedPicker direction_picker_;
  WeightedPicker mode_picker_;
  WeightedPicker import_origin_picker_;
  WeightedPicker export_destination_picker_;
  WeightedPicker hub_picker_;
  std::vector<WeightedPicker> port_pickers_;  // per mode, over the ports of that mode
  std::vector<std::vector<size_t>> ports_of_mode_;
  int days_in_year_;
};

}  // namespace bukong::gen

#endif  // BUKONG_GEN_DECLARATIONS_H_
