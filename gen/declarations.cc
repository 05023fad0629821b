#include "gen/declarations.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/dates.h"
#include "gen/catalog.h"
#include "gen/profiles.h"
#include "gen/tables.h"
#include "gen/write_buffered.h"

namespace bukong::gen {
namespace {

constexpr uint64_t kDeclarationStream = 3;
constexpr uint64_t kUnknownEnterprises = 1'000'000;  // pool of ids without a profile

template <size_t N>
WeightedPicker PickerOf(const std::array<tables::Weighted, N>& table) {
  std::vector<double> weights;
  for (const auto& [name, weight] : table) weights.push_back(weight);
  return WeightedPicker(weights);
}

}  // namespace

DeclarationGenerator::DeclarationGenerator(DeclarationOptions options)
    : options_(options),
      zipf_(std::max<uint64_t>(options.profiles, 1), options.zipf_exponent),
      direction_picker_(PickerOf(tables::kDirections)),
      mode_picker_(PickerOf(tables::kModes)),
      import_origin_picker_(PickerOf(tables::kImportOrigins)),
      export_destination_picker_(PickerOf(tables::kExportDestinations)),
      hub_picker_(PickerOf(tables::kHubs)) {
  for (const auto& [mode, weight] : tables::kModes) {
    std::vector<size_t> ports;
    std::vector<double> weights;
    for (size_t p = 0; p < tables::kPorts.size(); ++p) {
      if (tables::kPorts[p].mode == mode) {
        ports.push_back(p);
        weights.push_back(tables::kPorts[p].weight);
      }
    }
    ports_of_mode_.push_back(ports);
    port_pickers_.emplace_back(weights);
  }
  days_in_year_ = DaysFromCivil(options_.year + 1, 1, 1) - DaysFromCivil(options_.year, 1, 1);
  (void)HsCatalog::Get();  // build the catalog now, not inside the first line
}

void DeclarationGenerator::AppendJsonLine(uint64_t index, std::string* out) const {
  Random rng(DeriveSeed(options_.seed, kDeclarationStream, index));
  auto back = std::back_inserter(*out);

  size_t direction = direction_picker_.Pick(rng);
  std::string_view direction_name = tables::kDirections[direction].first;
  size_t mode = mode_picker_.Pick(rng);
  const tables::Port& port = tables::kPorts[ports_of_mode_[mode][port_pickers_[mode].Pick(rng)]];

  // Dates rise through the year with the sequence number.
  uint64_t count = std::max<uint64_t>(options_.count, 1);
  auto day_of_year = static_cast<DayNumber>(
      static_cast<unsigned __int128>(std::min(index, count - 1)) * days_in_year_ / count);
  DayNumber date = DaysFromCivil(options_.year, 1, 1) + day_of_year;

  std::string enterprise;
  if (options_.profiles == 0 || rng.Bernoulli(options_.unknown_share)) {
    enterprise = EnterpriseId(options_.seed, options_.profiles + rng.Uniform(kUnknownEnterprises));
  } else {
    enterprise = EnterpriseId(options_.seed, zipf_.Sample(rng) - 1);
  }

  const TariffLine& line = HsCatalog::Get().Draw(rng);
  std::string_view code = line.code;

  std::string_view origin;
  std::string_view trade_country;
  if (direction_name == "export") {
    origin = "CN";
    trade_country = tables::kExportDestinations[export_destination_picker_.Pick(rng)].first;
  } else {
    origin = tables::kImportOrigins[import_origin_picker_.Pick(rng)].first;
    if (direction_name == "transit") {
      trade_country = tables::kExportDestinations[export_destination_picker_.Pick(rng)].first;
    } else if (rng.Bernoulli(0.2)) {
      trade_country = tables::kHubs[hub_picker_.Pick(rng)].first;
    } else {
      trade_country = origin;
    }
  }

  double value = std::max(1.0, rng.LogNormal(tables::kValueMu, tables::kValueSigma));
  double price = rng.LogNormal(tables::kPriceMu, tables::kPriceSigma);
  double weight = std::max(0.1, value / price);
  bool two_step = rng.Bernoulli(direction_name == "import" ? 0.30 : 0.05);

  // Declaration numbers: customs code, year, 1 import / 0 export / 2 transit, sequence.
  char direction_digit = direction_name == "import" ? '1' : direction_name == "export" ? '0' : '2';
  fmt::format_to(back,
                 "{{\"id\":\"{}{}{}{:09d}\",\"enterprise\":\"{}\",\"date\":\"{}\","
                 "\"direction\":\"{}\",\"hs\":\"{}.{}.{}.{}\",\"origin\":\"{}\","
                 "\"trade_country\":\"{}\",\"port\":\"{}\",\"mode\":\"{}\",\"value\":{:.2f},"
                 "\"weight\":{:.1f},\"two_step\":{}}}\n",
                 port.code, options_.year, direction_digit, index + 1, enterprise,
                 FormatIsoDate(date), direction_name, code.substr(0, 4), code.substr(4, 2),
                 code.substr(6, 2), code.substr(8, 2), origin, trade_country, port.code, port.mode,
                 value, weight, two_step ? "true" : "false");
}

void DeclarationGenerator::WriteJsonLines(std::ostream& out,
                                          const std::function<void(uint64_t)>& progress) const {
  WriteBuffered(
      out, options_.count, "", [&](uint64_t i, std::string* buffer) { AppendJsonLine(i, buffer); },
      progress);
}

}  // namespace bukong::gen
