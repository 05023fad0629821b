#include "gen/catalog.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "core/hs2022.h"

namespace bukong::gen {
namespace {

// Share of declarations per chapter, in percent, for the chapters China trades most
// (customs statistics put machinery and electronics far ahead). The rest of the 100% is
// spread evenly over every other chapter.
constexpr std::array<std::pair<std::string_view, double>, 13> kHeavyChapters = {{
    {"85", 19.0},
    {"84", 16.0},
    {"39", 6.0},
    {"90", 4.0},
    {"87", 4.0},
    {"61", 3.5},
    {"62", 3.5},
    {"94", 3.5},
    {"72", 3.0},
    {"03", 2.5},
    {"29", 2.5},
    {"02", 2.0},
    {"28", 2.0},
}};

double HeavyTotal() {
  double total = 0;
  for (const auto& [chapter, weight] : kHeavyChapters) total += weight;
  return total;
}

// National digits (positions 7-10) in the shapes China's tariff uses most.
constexpr std::array<std::string_view, 8> kEighth = {"00", "10", "90", "20",
                                                     "11", "19", "91", "99"};
constexpr std::array<std::string_view, 3> kTenth = {"00", "10", "90"};

}  // namespace

const HsCatalog& HsCatalog::Get() {
  static const HsCatalog* catalog = new HsCatalog();
  return *catalog;
}

double HsCatalog::ChapterWeight(std::string_view chapter) {
  for (const auto& [name, weight] : kHeavyChapters) {
    if (name == chapter) return weight;
  }
  return -1;  // not a heavy chapter: the caller spreads the remainder
}

HsCatalog::HsCatalog() {
  // Subheadings per chapter.
  std::map<std::string_view, std::vector<std::string_view>> by_chapter;
  for (const HsEntry& entry : Hs2022()) {
    if (entry.level() == 6) by_chapter[entry.code.substr(0, 2)].push_back(entry.code);
  }
  size_t light_chapters = 0;
  for (const auto& [chapter, subs] : by_chapter) {
    if (ChapterWeight(chapter) < 0) ++light_chapters;
  }
  const double light_weight =
      light_chapters == 0 ? 0 : (100.0 - HeavyTotal()) / static_cast<double>(light_chapters);

  for (auto& [chapter, subs] : by_chapter) {
    double chapter_weight = ChapterWeight(chapter);
    if (chapter_weight < 0) chapter_weight = light_weight;
    // Trade concentrates on a few subheadings of each chapter: weight 1/(rank+1)^0.7 with a
    // rank fixed by a hash of the code.
    std::vector<std::pair<uint64_t, std::string_view>> ranked;
    for (std::string_view code : subs) ranked.emplace_back(StableHash(code), code);
    std::sort(ranked.begin(), ranked.end());
    std::vector<double> weights;
    double total = 0;
    for (size_t rank = 0; rank < ranked.size(); ++rank) {
      weights.push_back(1.0 / std::pow(static_cast<double>(rank + 1), 0.7));
      total += weights.back();
    }
    for (size_t rank = 0; rank < ranked.size(); ++rank) {
      std::string_view code = ranked[rank].second;
      double share = chapter_weight / 100.0 * weights[rank] / total;
      // One to three national lines per subheading, sharing its weight equally.
      uint64_t h = StableHash(code) >> 8;
      size_t count = 1 + h % 3;
      std::vector<std::string> codes;
      for (size_t i = 0; i < count; ++i) {
        uint64_t hi = StableHash(std::string(code) + static_cast<char>('a' + i));
        std::string line = std::string(code) + std::string(kEighth[hi % kEighth.size()]) +
                           std::string(kTenth[(hi >> 8) % kTenth.size()]);
        if (std::find(codes.begin(), codes.end(), line) == codes.end()) codes.push_back(line);
      }
      for (std::string& line : codes) {
        lines_.push_back({std::move(line), share / static_cast<double>(codes.size())});
      }
    }
  }
  std::sort(lines_.begin(), lines_.end(),
            [](const TariffLine& a, const TariffLine& b) { return a.code < b.code; });
  std::vector<double> weights;
  weights.reserve(lines_.size());
  for (const TariffLine& line : lines_) weights.push_back(line.share);
  picker_ = WeightedPicker(weights);
}

double HsCatalog::ShareOfRange(std::string_view low, std::string_view high) const {
  // Lines are sorted, so the matching ones form one run.
  size_t n = low.size();
  auto first = std::lower_bound(lines_.begin(), lines_.end(), low,
                                [n](const TariffLine& line, std::string_view key) {
                                  return std::string_view(line.code).substr(0, n) < key;
                                });
  double share = 0;
  for (auto it = first; it != lines_.end(); ++it) {
    if (std::string_view(it->code).substr(0, n) > high) break;
    share += it->share;
  }
  return share;
}

}  // namespace bukong::gen
