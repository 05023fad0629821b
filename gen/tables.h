// Fixed tables behind generated traffic: regions, ports, trading partners, flags. Internal
// to gen/ (rules.cc, profiles.cc and declarations.cc share them, so rules talk about the
// values declarations carry).
#ifndef BUKONG_GEN_TABLES_H_
#define BUKONG_GEN_TABLES_H_

#include <array>
#include <string_view>
#include <utility>

namespace bukong::gen::tables {

using Weighted = std::pair<std::string_view, double>;

// Administrative division codes (GB/T 2260) of the big foreign-trade regions, weighted.
inline constexpr std::array<Weighted, 16> kRegions = {{
    {"440300", 14},
    {"310000", 13},
    {"330200", 9},
    {"320500", 8},
    {"440100", 7},
    {"330100", 6},
    {"370200", 5},
    {"120000", 5},
    {"110000", 5},
    {"350200", 4},
    {"441900", 4},
    {"210200", 3},
    {"320100", 3},
    {"500000", 2},
    {"510100", 2},
    {"330700", 3},
}};

// Customs port codes (4 digits) with their usual transport mode.
struct Port {
  std::string_view code;
  std::string_view mode;  // sea, air, rail, road, post
  double weight;
};
inline constexpr std::array<Port, 16> kPorts = {{
    {"2248", "sea", 14},
    {"3100", "sea", 12},
    {"5316", "sea", 10},
    {"4218", "sea", 7},
    {"0202", "sea", 6},
    {"5141", "sea", 6},
    {"3701", "sea", 4},
    {"0902", "sea", 3},
    {"2244", "air", 6},
    {"0110", "air", 4},
    {"5130", "air", 3},
    {"2233", "post", 3},
    {"5320", "road", 5},
    {"9701", "road", 2},
    {"0715", "rail", 3},
    {"8012", "rail", 2},
}};

// Where China's imports come from (weights ~ share of declarations, in %); KP and IR are
// rare but present, so sanction rules have something to catch.
inline constexpr std::array<Weighted, 28> kImportOrigins = {{
    {"US", 11},  {"JP", 10}, {"KR", 10},  {"DE", 7},   {"AU", 6},   {"VN", 5},   {"MY", 4},
    {"BR", 4},   {"RU", 4},  {"TH", 3},   {"ID", 3},   {"SG", 2.5}, {"FR", 2.5}, {"IT", 2},
    {"GB", 2},   {"CA", 2},  {"NL", 1.5}, {"CH", 1.5}, {"NZ", 1.5}, {"CL", 1.5}, {"SA", 1.5},
    {"IN", 1.5}, {"PH", 1},  {"NO", 1},   {"ZA", 1},   {"MX", 1},   {"IR", 0.1}, {"KP", 0.03},
}};

// Where exports go.
inline constexpr std::array<Weighted, 20> kExportDestinations = {{
    {"US", 17}, {"HK", 8}, {"JP", 7},   {"KR", 6},   {"VN", 5},   {"DE", 4},   {"NL", 3},
    {"IN", 3},  {"GB", 3}, {"SG", 2.5}, {"MY", 2.5}, {"AU", 2.5}, {"TH", 2.5}, {"RU", 2.5},
    {"MX", 2},  {"ID", 2}, {"AE", 2},   {"BR", 2},   {"PH", 1.5}, {"TR", 1.5},
}};

// Intermediary trade countries (goods consigned through a hub).
inline constexpr std::array<Weighted, 5> kHubs = {{
    {"HK", 5},
    {"SG", 3},
    {"NL", 2},
    {"AE", 2},
    {"MY", 1},
}};

// Enterprise risk flags (names risk officers use in rules).
inline constexpr std::array<Weighted, 6> kFlags = {{
    {"cold_chain_history", 3},
    {"price_undervaluation", 3},
    {"ip_infringement", 2},
    {"origin_fraud", 2},
    {"smuggling_watch", 1},
    {"licence_irregularity", 2},
}};

// Transport modes of declarations (share in %).
inline constexpr std::array<Weighted, 5> kModes = {{
    {"sea", 70},
    {"air", 15},
    {"road", 7},
    {"rail", 5},
    {"post", 3},
}};

// Directions (share in %).
inline constexpr std::array<Weighted, 3> kDirections = {{
    {"import", 60},
    {"export", 37},
    {"transit", 3},
}};

// Log-normal parameters of generated values (USD): median e^10.3 ≈ 30,000.
inline constexpr double kValueMu = 10.3;
inline constexpr double kValueSigma = 1.6;
// Price per kg (USD), log-normal; weight = value / price.
inline constexpr double kPriceMu = 2.3;
inline constexpr double kPriceSigma = 1.2;

}  // namespace bukong::gen::tables

#endif  // BUKONG_GEN_TABLES_H_
