// A synthetic, seeded targeting workload built directly as IR (no parser involved), shaped
// like real targeting: rules keyed on HS headings/subheadings of the chapters China trades
// most, with origin lists, value thresholds, flags, counters, some `fixed`, `valid` windows
// and a few holds; declarations with 10-digit codes weighted the same way, skewed origins,
// log-normal values; 10,000 profiles over the four grades (0.5/3/95/1.5%), 1% unknown.
#ifndef BUKONG_BENCH_ENGINE_WORKLOAD_H_
#define BUKONG_BENCH_ENGINE_WORKLOAD_H_

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/dates.h"
#include "core/profile.h"
#include "dsl/ir.h"
#include "core/declaration.h"

namespace bukong::benchwork {

class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed) {}

  ir::Ruleset Rules(int count) {
    ir::Ruleset rs;
    rs.name = "bench";
    rs.version = count;
    rs.source_sha256 = std::string(64, '0');
    auto grade = [](const char* name, ir::Ppm factor, std::optional<ir::Ppm> floor) {
      ir::Grade g;
      g.name = name;
      g.factor = factor;
      g.floor = floor;
      return g;
    };
    rs.grades = {grade("advanced", 200'000, {}), grade("certified", 500'000, {}),
                 grade("general", 1'000'000, {}), grade("dishonest", 1'000'000, 800'000)};
    rs.unknown_grade = 2;
    rs.baseline.rate = 30'000;
    rs.baseline.port_share = 500'000;
    rs.baseline.nii_share = 600'000;
    for (int i = 0; i < count; ++i) {
      ir::Rule r;
      r.name = "rule_" + std::to_string(i);
      std::vector<ir::Condition> parts;
      parts.push_back(HsCondition(count));
      if (Chance(0.7)) parts.push_back(Symbols(ir::Field::kDirection, {Chance(0.8) ? "import" : "export"}));
      if (Chance(0.3)) parts.push_back(Symbols(ir::Field::kOrigin, Origins(1 + Int(0, 4))));
      if (Chance(0.3)) parts.push_back(Number(ir::Field::kValue, ir::CompareOp::kGt, Int(5, 500) * 1000));
      if (Chance(0.1)) parts.push_back(Flag(kFlags[Int(0, 3)]));
      if (Chance(0.05)) parts.push_back(Number(ir::Field::kHits, ir::CompareOp::kGe, 2));
      if (Chance(0.05)) parts.push_back(Number(ir::Field::kAgeDays, ir::CompareOp::kLt, 180));
      if (Chance(0.05)) parts.push_back(Symbols(ir::Field::kMode, {"air", "post"}));
      ir::Condition when;
      when.kind = ir::Condition::Kind::kAnd;
      when.children = std::move(parts);
      r.when = std::move(when);
      if (Chance(0.2)) {
        r.valid_from = *ParseIsoDate("2021-01-01") + Int(0, 200);
        r.valid_to = *r.valid_from + Int(30, 300);
      }
      if (Chance(0.01)) {
        r.then.hold = true;
        r.then.hold_reason = "referred to anti-smuggling";
      } else {
        r.then.rate = Int(1, 60) * 5'000;
        r.then.port_share = Chance(0.5) ? ir::kMillion : 600'000;
        r.then.nii_share = Chance(0.5) ? 0 : 700'000;
        r.then.fixed = Chance(0.1);
      }
      rs.rules.push_back(std::move(r));
    }
    return rs;
  }

  Declaration MakeDeclaration(uint64_t n) {
    Declaration d;
    d.id = "D" + std::to_string(1'000'000 + n);
    d.date = *ParseIsoDate("2021-01-01") + Int(0, 364);
    d.direction = Chance(0.6) ? Direction::kImport : (Chance(0.95) ? Direction::kExport
                                                                    : Direction::kTransit);
    d.hs = TenDigitCode();
    d.origin = Origins(1)[0];
    d.trade_country = Chance(0.8) ? d.origin : "HK";
    d.port = kPorts[Int(0, 7)];
    d.mode = Chance(0.7) ? TransportMode::kSea : static_cast<TransportMode>(Int(1, 4));
    const double value = std::exp(std::normal_distribution<double>(10.5, 1.5)(rng_));
    d.value = {static_cast<__int128>(value * 100) * (ir::Decimal::kScale / 100) * 2};
    d.weight = {static_cast<__int128>(Int(1, 30'000)) * ir::Decimal::kScale * 2};
    d.two_step = Chance(0.1);
    d.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight |
                kHasTwoStep;
    return d;
  }

  std::vector<Profile> Profiles(int count) {
    std::vector<Profile> out;
    for (int i = 0; i < count; ++i) {
      Profile p;
      p.id = "E" + std::to_string(i);
      const double u = Uniform();
      p.grade = u < 0.005 ? "advanced" : u < 0.035 ? "certified" : u < 0.985 ? "general"
                                                                             : "dishonest";
      p.registered = *ParseIsoDate("2005-01-01") + Int(0, 6000);
      if (Chance(0.05)) p.flags.push_back(kFlags[Int(0, 3)]);
      p.inspections = static_cast<uint64_t>(Int(0, 30));
      p.hits = static_cast<uint64_t>(Int(0, static_cast<int>(p.inspections) / 4));
      out.push_back(std::move(p));
    }
    return out;
  }

  // Zipf-ish choice of an enterprise; -1 (no profile) 1% of the time.
  int Enterprise(int profiles) {
    if (Chance(0.01)) return -1;
    const double u = Uniform();
    return static_cast<int>(std::pow(u, 3.0) * profiles) % profiles;
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  std::string Chapter() {
    static const std::vector<std::pair<const char*, double>> kChapters = {
        {"84", 16}, {"85", 18}, {"39", 7}, {"61", 4}, {"62", 4}, {"94", 4}, {"90", 4},
        {"87", 4},  {"72", 3},  {"03", 2}, {"02", 2}, {"28", 2}, {"29", 3}, {"73", 3},
        {"40", 2},  {"95", 2},  {"44", 1}, {"48", 2}, {"76", 1}, {"38", 2}};
    double total = 0;
    for (auto& c : kChapters) total += c.second;
    double u = Uniform() * total;
    for (auto& c : kChapters) {
      if ((u -= c.second) < 0) return c.first;
    }
    return "84";
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Int(0, 9)));
    return s;
  }
  // 50 headings per chapter, 10 subheadings per heading: rules and declarations draw codes
  // from the same distribution, so a bigger ruleset is a more specific one.
  std::string Heading() { return Chapter() + std::to_string(10 + Int(0, 49)); }
  std::string Subheading() { return Heading() + std::to_string(10 + Int(0, 9)); }
  std::string TenDigitCode() { return Subheading() + Digits(4); }

  // Codes of a rule: about ten chapter-wide rules whatever the size, else 30% headings,
  // 50% subheadings, 20% 8-digit lines.
  ir::Condition HsCondition(int rules) {
    ir::Condition c;
    c.kind = ir::Condition::Kind::kHsIn;
    c.field = ir::Field::kHs;
    const int n = 1 + Int(0, 2);
    const double chapter_share = std::min(0.05, 10.0 / rules);
    for (int i = 0; i < n; ++i) {
      const double u = Uniform();
      std::string code = u < chapter_share ? Chapter()
                         : u < 0.3 ? Heading()
                         : u < 0.8 ? Subheading()
                                   : Subheading() + Digits(2);
      if (Chance(0.1) && code.size() == 4) {
        std::string high = code;
        high[3] = static_cast<char>(std::min('9', static_cast<char>(high[3] + 3)));
        c.hs_ranges.push_back({code, high});
      } else {
        c.hs_ranges.push_back({code, code});
      }
    }
    return c;
  }

  std::vector<std::string> Origins(int n) {
    static const std::vector<const char*> kOrigins = {"US", "JP", "KR", "DE", "AU", "VN",
                                                      "MY", "BR", "RU", "TH", "ID", "KP",
                                                      "IR", "NO", "FR", "IT"};
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      const double u = Uniform();
      out.push_back(kOrigins[static_cast<size_t>(u * u * kOrigins.size())]);
    }
    return out;
  }

  static ir::Condition Symbols(ir::Field f, std::vector<std::string> symbols) {
    ir::Condition c;
    c.kind = ir::Condition::Kind::kSymbolIn;
    c.field = f;
    c.symbols = std::move(symbols);
    return c;
  }
  static ir::Condition Number(ir::Field f, ir::CompareOp op, int64_t v) {
    ir::Condition c;
    c.kind = ir::Condition::Kind::kCompareNumber;
    c.field = f;
    c.op = op;
    c.number.scaled = static_cast<__int128>(v) * ir::Decimal::kScale;
    return c;
  }
  static ir::Condition Flag(std::string flag) {
    ir::Condition c;
    c.kind = ir::Condition::Kind::kFlagHas;
    c.field = ir::Field::kFlags;
    c.flag = std::move(flag);
    return c;
  }

  inline static const char* kFlags[] = {"smuggling_watch", "price_undervaluation",
                                        "cold_chain_history", "origin_fraud"};
  inline static const char* kPorts[] = {"2248", "3100", "5316", "4218",
                                        "0202", "5141", "2244", "0110"};
  std::mt19937_64 rng_;
};

}  // namespace bukong::benchwork

#endif  // BUKONG_BENCH_ENGINE_WORKLOAD_H_
