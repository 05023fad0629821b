#include "gen/profiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/dates.h"
#include "gen/tables.h"
#include "gen/write_buffered.h"

namespace bukong::gen {
namespace {

// GB 32100-2015: the code alphabet (no I, O, S, V, Z) and the check weights 3^(i-1) mod 31.
constexpr std::string_view kCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kCheckWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
constexpr uint64_t kOrgSpace = 27'512'614'111ULL;  // 31^7

// Stream numbers for DeriveSeed (each kind of item draws from its own streams).
constexpr uint64_t kIdStream = 1;
constexpr uint64_t kProfileStream = 2;

int CodeValue(char c) {
  size_t pos = kCodeAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

char CheckCharacter(std::string_view body17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += CodeValue(body17[i]) * kCheckWeights[i];
  return kCodeAlphabet[(31 - sum % 31) % 31];
}

const WeightedPicker& RegionPicker() {
  static const WeightedPicker* picker = [] {
    std::vector<double> w;
    for (const auto& [code, weight] : tables::kRegions) w.push_back(weight);
    return new WeightedPicker(w);
  }();
  return *picker;
}

}  // namespace

std::vector<GradeShare> DefaultGradeShares() {
  return {{"advanced", 0.005}, {"certified", 0.03}, {"general", 0.95}, {"dishonest", 0.015}};
}

absl::StatusOr<std::vector<GradeShare>> ParseGradeShares(std::string_view text) {
  std::vector<GradeShare> grades;
  double total = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    size_t colon = item.find(':');
    std::string_view name = item.substr(0, colon);
    std::string number(colon == std::string_view::npos ? "" : item.substr(colon + 1));
    char* end = nullptr;
    double percent = number.empty() ? 0 : std::strtod(number.c_str(), &end);
    if (colon == std::string_view::npos || name.empty() || number.empty() ||
        end != number.c_str() + number.size() || !(percent > 0) || !std::isfinite(percent)) {
      return absl::InvalidArgumentError(
          fmt::format("bad grade share '{}': expected NAME:PERCENT, e.g. advanced:0.5", item));
    }
    bool identifier = std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_';
    for (char c : name) {
      identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    }
    if (!identifier) return absl::InvalidArgumentError(fmt::format("bad grade name '{}'", name));
    for (const GradeShare& g : grades) {
      if (g.name == name) {
        return absl::InvalidArgumentError(fmt::format("grade '{}' listed twice", name));
      }
    }
    grades.push_back({std::string(name), percent});
    total += percent;
  }
  if (grades.empty()) return absl::InvalidArgumentError("no grades given");
  for (GradeShare& g : grades) g.share /= total;
  return grades;
}

std::string EnterpriseId(uint64_t seed, uint64_t index) {
  Random rng(DeriveSeed(seed, kIdStream, index));
  std::string id = "91";
  id += tables::kRegions[RegionPicker().Pick(rng)].first;
  id += "MA";
  // An affine map modulo 31^7 with a multiplier prime to 31 is a bijection, so distinct
  // indexes get distinct organisation characters (and so distinct ids).
  uint64_t offset = DeriveSeed(seed, kIdStream, ~uint64_t{0}) % kOrgSpace;
  unsigned __int128 x =
      (static_cast<unsigned __int128>(index % kOrgSpace) * 7'368'787'219ULL + offset) % kOrgSpace;
  auto value = static_cast<uint64_t>(x);
  for (int i = 0; i < 7; ++i) {
    id += kCodeAlphabet[value % 31];
    value /= 31;
  }
  id += CheckCharacter(id);
  return id;
}

bool HasValidCreditCodeCheck(std::string_view id) {
  if (id.size() != 18) return false;
  for (char c : id) {
    if (CodeValue(c) < 0) return false;
  }
  return CheckCharacter(id.substr(0, 17)) == id[17];
}

ProfileGenerator::ProfileGenerator(ProfileOptions options) : options_(std::move(options)) {
  if (options_.grades.empty()) options_.grades = DefaultGradeShares();
  std::vector<double> shares;
  const size_t n = options_.grades.size();
  for (size_t g = 0; g < n; ++g) {
    shares.push_back(options_.grades[g].share);
    // Hit rates rise from 1% (most trusted) to 25% (least trusted), geometrically.
    double position = n == 1 ? 0.5 : static_cast<double>(g) / static_cast<double>(n - 1);
    hit_rate_.push_back(0.01 * std::pow(25.0, position));
    // Flags: rare for all but the least trusted grade.
    flag_rate_.push_back(g + 1 == n && n > 1 ? 0.30 : 0.006);
  }
  grade_picker_ = WeightedPicker(shares);
  std::vector<double> flag_weights;
  for (const auto& [name, weight] : tables::kFlags) flag_weights.push_back(weight);
  flag_picker_ = WeightedPicker(flag_weights);
}

Profile ProfileGenerator::At(uint64_t index) const {
  Random rng(DeriveSeed(options_.seed, kProfileStream, index));
  Profile p;
  p.id = EnterpriseId(options_.seed, index);
  size_t grade = grade_picker_.Pick(rng);
  p.grade = options_.grades[grade].name;

  // Registered 1995-01-01 .. 2021-06-30, skewed to recent years (density ~ 1/sqrt(age)).
  static const DayNumber kFirst = DaysFromCivil(1995, 1, 1);
  static const DayNumber kLast = DaysFromCivil(2021, 6, 30);
  double u = rng.UniformDouble();
  auto back = static_cast<DayNumber>(u * u * static_cast<double>(kLast - kFirst));
  p.registered = kLast - back;

  if (rng.Bernoulli(flag_rate_[grade])) {
    size_t count = rng.Bernoulli(0.2) ? 2 : 1;
    for (size_t i = 0; i < count; ++i) {
      std::string flag(tables::kFlags[flag_picker_.Pick(rng)].first);
      if (std::find(p.flags.begin(), p.flags.end(), flag) == p.flags.end()) p.flags.push_back(flag);
    }
    std::sort(p.flags.begin(), p.flags.end());
  }

  // 35% never inspected; otherwise a few inspections, with hits at the grade's rate.
  if (!rng.Bernoulli(0.35)) {
    double x = rng.LogNormal(1.0, 1.0);
    p.inspections = 1 + static_cast<uint64_t>(std::min(x, 400.0));
    for (uint64_t i = 0; i < p.inspections; ++i) {
      if (rng.Bernoulli(hit_rate_[grade])) ++p.hits;
    }
  }
  return p;
}

void ProfileGenerator::AppendCsvRow(const Profile& p, std::string* out) {
  // Ids, grades and flag names are plain ASCII without commas or quotes: no quoting needed.
  out->append(p.id);
  out->push_back(',');
  out->append(p.grade);
  out->push_back(',');
  out->append(FormatIsoDate(p.registered));
  out->push_back(',');
  for (size_t i = 0; i < p.flags.size(); ++i) {
    if (i > 0) out->push_back(';');
    out->append(p.flags[i]);
  }
  fmt::format_to(std::back_inserter(*out), ",{},{}\n", p.inspections, p.hits);
}

void ProfileGenerator::WriteCsv(std::ostream& out,
                                const std::function<void(uint64_t)>& progress) const {
  WriteBuffered(
      out, options_.count, "id,grade,registered,flags,inspections,hits\n",
      [&](uint64_t i, std::string* buffer) { AppendCsvRow(At(i), buffer); }, progress);
}

}  // namespace bukong::gen
