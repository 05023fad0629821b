// The commodity side of generated traffic: every HS 2022 subheading (core/hs2022.h) with
// the share of declarations it gets and the 4 national digits that make it a 10-digit
// Chinese tariff code. Seed-independent, so rulesets and declarations generated with
// different seeds still talk about the same codes.
#ifndef BUKONG_GEN_CATALOG_H_
#define BUKONG_GEN_CATALOG_H_

#include <string>
#include <string_view>
#include <vector>

#include "gen/random.h"

namespace bukong::gen {

struct TariffLine {
  std::string code;  // 10 digits: HS subheading + 4 national digits
  double share = 0;  // of all declarations
};

class HsCatalog {
 public:
  // Built once from the compiled-in HS 2022 nomenclature; thread-safe.
  static const HsCatalog& Get();

  // A tariff line drawn with the catalog's weights.
  const TariffLine& Draw(Random& rng) const { return lines_[picker_.Pick(rng)]; }

  const std::vector<TariffLine>& lines() const { return lines_; }

  // Share of declarations whose code starts with `prefix` (digits), or whose prefix of the
  // same length lies in [low, high].
  double ShareOfPrefix(std::string_view prefix) const { return ShareOfRange(prefix, prefix); }
  double ShareOfRange(std::string_view low, std::string_view high) const;

  // Share of declarations in HS chapter `chapter` (two digits), as configured.
  static double ChapterWeight(std::string_view chapter);

 private:
  HsCatalog();
  std::vector<TariffLine> lines_;  // sorted by code
  WeightedPicker picker_;
};

}  // namespace bukong::gen

#endif  // BUKONG_GEN_CATALOG_H_
