// Random IR rulesets, declarations and profiles for the differential and property tests.
// Values are drawn from small pools on purpose, so that ties, boundaries (a value equal to a
// literal, a date on a window's edge, an HS code at a range's end) and collisions happen often.
#ifndef BUKONG_TESTS_ENGINE_RANDOM_IR_H_
#define BUKONG_TESTS_ENGINE_RANDOM_IR_H_

#include <random>
#include <string>
#include <vector>

#include "core/profile.h"
#include "dsl/ir.h"
#include "core/declaration.h"
#include "tests/engine/test_util.h"

namespace bukong::engine::test {

class RandomIr {
 public:
  explicit RandomIr(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  ir::Ruleset Ruleset(int max_rules) {
    grade_names_.clear();
    ir::Ruleset rs;
    rs.name = "random";
    rs.version = Int(1, 99);
    rs.source_sha256 = std::string(64, 'b');
    const int grades = Int(1, 5);
    for (int g = 0; g < grades; ++g) {
      ir::Grade grade;
      grade.name = "g" + std::to_string(g);
      grade.factor = Pick(std::vector<ir::Ppm>{0, 200'000, 499'999, 500'000, 1'000'000,
                                                1'000'000, 1'500'000, 3'333'333});
      if (Chance(0.3)) grade.floor = Rate();
      if (Chance(0.3)) grade.ceiling = Rate();
      if (grade.floor && grade.ceiling && *grade.floor > *grade.ceiling)
        std::swap(*grade.floor, *grade.ceiling);
      rs.grades.push_back(grade);
      grade_names_.push_back(grade.name);
    }
    rs.unknown_grade = static_cast<uint32_t>(Int(0, grades - 1));
    rs.baseline.rate = Chance(0.1) ? 0 : Rate();
    rs.baseline.port_share = Share();
    rs.baseline.nii_share = Share();
    const int rules = Int(0, max_rules);
    for (int i = 0; i < rules; ++i) {
      ir::Rule r;
      r.name = "r" + std::to_string(i);
      if (Chance(0.2)) {
        r.valid_from = Date();
        r.valid_to = *r.valid_from + Int(-2, 60);  // sometimes empty
      }
      // Often the shape real rules have (and the index keys on): a top-level conjunction
      // with an HS list and perhaps a direction.
      if (Chance(0.6)) {
        std::vector<ir::Condition> parts;
        if (Chance(0.8)) parts.push_back(HsList());
        if (Chance(0.4)) parts.push_back(Symbol(ir::Field::kDirection));
        if (Chance(0.2)) parts.push_back(Symbol(ir::Field::kGrade));
        parts.push_back(Condition(2));
        r.when = And(std::move(parts));
      } else {
        r.when = Condition(3);
      }
      if (Chance(0.06)) {
        r.then.hold = true;
        r.then.hold_reason = "reason " + std::to_string(i) + (Chance(0.3) ? " \"quoted\"" : "");
      } else {
        r.then.rate = Rate();
        r.then.port_share = Share();
        r.then.nii_share = Share();
        r.then.fixed = Chance(0.2);
      }
      rs.rules.push_back(std::move(r));
    }
    return rs;
  }

  Declaration MakeDecl(int n) {
    Declaration d;
    d.id = "R" + std::to_string(n) + (Chance(0.05) ? "-中文" : "");
    d.enterprise = "E" + std::to_string(Int(0, 20));
    d.date = Date() + Int(-1, 1);
    d.direction = static_cast<Direction>(Int(0, 2));
    d.hs = HsCode(Int(6, 10));
    d.origin = Pick(kCountries);
    d.trade_country = Pick(kCountries);
    d.port = Pick(std::vector<std::string>{"3100", "2200", "5100", "0100", "9999"});
    d.mode = static_cast<TransportMode>(Int(0, 4));
    d.value = Exact(Pick(kNumbers));
    d.weight = Exact(Pick(kNumbers));
    d.two_step = Chance(0.5);
    d.present = kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue | kHasWeight |
                kHasTwoStep;
    if (Chance(0.01)) d.present &= ~(1u << Int(0, 6));  // a missing field
    return d;
  }

  // Null (no profile) a fifth of the time.
  std::optional<Profile> MakeProfile(DayNumber date) {
    if (Chance(0.2)) return std::nullopt;
    Profile p;
    p.id = "E";
    p.grade = Chance(0.01) ? "ghost" : Pick(grade_names_);
    p.registered = date + Int(-400, 30);
    for (const char* flag : {"a", "b", "smuggling_watch"})
      if (Chance(0.3)) p.flags.push_back(flag);
    p.inspections = static_cast<uint64_t>(Int(0, 12));
    p.hits = static_cast<uint64_t>(Int(0, static_cast<int>(p.inspections)));
    if (Chance(0.01)) {
      p.inspections = ~uint64_t{0} - static_cast<uint64_t>(Int(0, 5));
      p.hits = p.inspections / static_cast<uint64_t>(Int(1, 7));
    }
    return p;
  }

  const std::vector<std::string>& grade_names() const { return grade_names_; }

 private:
  ir::Ppm Rate() {
    return Pick(std::vector<ir::Ppm>{0, 1, 3, 29'999, 30'000, 30'000, 50'000, 100'000, 150'000,
                                     500'000, 800'000, 1'000'000, Int(0, 1'000'000)});
  }
  ir::Ppm Share() { return Pick(std::vector<ir::Ppm>{0, 300'000, 500'000, 1'000'000, Int(0, 1'000'000)}); }
  DayNumber Date() { return Day("2021-01-01") + Int(0, 120); }

  std::string HsCode(int digits) {
    std::string s = Pick(kChapters);
    while (static_cast<int>(s.size()) < digits) s.push_back("01259"[Int(0, 4)]);
    return s;
  }

  ir::Condition HsList() {
    std::vector<std::pair<std::string, std::string>> ranges;
    const int n = Int(1, 3);
    for (int i = 0; i < n; ++i) {
      const int len = 2 * Int(1, 5);
      std::string a = HsCode(len), b = Chance(0.5) ? a : HsCode(len);
      if (a > b) std::swap(a, b);
      ranges.emplace_back(a, b);
    }
    return Hs(std::move(ranges), Chance(0.15));
  }

  ir::Condition Symbol(ir::Field f) {
    std::vector<std::string> pool;
    switch (f) {
      case ir::Field::kDirection: pool = {"import", "export", "transit"}; break;
      case ir::Field::kMode: pool = {"sea", "air", "rail", "road", "post"}; break;
      case ir::Field::kOrigin:
      case ir::Field::kTradeCountry: pool = kCountries; break;
      case ir::Field::kPort: pool = {"3100", "2200", "5100", "0100"}; break;
      default: pool = grade_names_; break;
    }
    std::vector<std::string> chosen;
    const int n = Int(1, 3);
    for (int i = 0; i < n; ++i) chosen.push_back(Pick(pool));
    return Symbols(f, std::move(chosen), Chance(0.3));
  }

  ir::Condition Condition(int depth) {
    const int kind = Int(depth > 0 ? 0 : 3, 12);
    switch (kind) {
      case 0: case 1: {
        std::vector<ir::Condition> children;
        const int n = Int(2, 3);
        for (int i = 0; i < n; ++i) children.push_back(Condition(depth - 1));
        return kind == 0 ? And(std::move(children)) : Or(std::move(children));
      }
      case 2: return Not(Condition(depth - 1));
      case 3: {
        const ir::Field fields[] = {ir::Field::kValue,       ir::Field::kWeight,
                                    ir::Field::kAgeDays,     ir::Field::kInspections,
                                    ir::Field::kHits,        ir::Field::kHitRate};
        const ir::Field f = fields[Int(0, 5)];
        return Number(f, static_cast<ir::CompareOp>(Int(0, 5)),
                      f == ir::Field::kHitRate ? Pick(kFractions) : Pick(kNumbers));
      }
      case 4: {
        ir::Condition c = DateIs(static_cast<ir::CompareOp>(Int(0, 5)), "2021-01-01");
        c.day = Date();
        return c;
      }
      case 5: return TwoStep(Chance(0.5) ? ir::CompareOp::kEq : ir::CompareOp::kNe, Chance(0.5));
      case 6: return HsList();
      case 7: return FlagHas(Pick(std::vector<std::string>{"a", "b", "smuggling_watch", "zz"}));
      case 8: return Symbol(ir::Field::kDirection);
      case 9: return Symbol(ir::Field::kMode);
      case 10: return Symbol(Chance(0.5) ? ir::Field::kOrigin : ir::Field::kTradeCountry);
      case 11: return Symbol(ir::Field::kPort);
      default: return Symbol(ir::Field::kGrade);
    }
  }

  inline static const std::vector<std::string> kChapters = {"01", "02", "03", "28", "29",
                                                            "84", "85", "99", "00"};
  inline static const std::vector<std::string> kCountries = {"CN", "US", "KP", "IR", "NO", "DE"};
  inline static const std::vector<std::string> kNumbers = {
      "0",   "100000", "100000.0", "100000.0000000000000000001", "99999.99", "-3", "0.2",
      "0.333333333333333333", "2", "180", "-0.5", "1", "5", "12"};

  // hits/inspections with inspections <= 12 meets these exactly, just above or just below.
  inline static const std::vector<std::string> kFractions = {
      "0", "0.2", "0.25", "0.333333333333333333", "0.333333333333333334", "0.5", "1",
      "0.666666666666666667", "0.083333333333333333"};

  std::mt19937_64 rng_;
  std::vector<std::string> grade_names_;
};

}  // namespace bukong::engine::test

#endif  // BUKONG_TESTS_ENGINE_RANDOM_IR_H_
