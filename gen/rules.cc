#include "gen/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/dates.h"
#include "gen/catalog.h"
#include "gen/lists.h"
#include "gen/random.h"
#include "gen/tables.h"

namespace bukong::gen {
namespace {

constexpr uint64_t kRulesStream = 4;

// ---------------------------------------------------------------------------------------
// The traffic model, as probabilities (mirrors gen/declarations.cc and gen/profiles.cc).

constexpr double kImport = 0.60, kExport = 0.37, kTransit = 0.03;

template <size_t N>
double TableTotal(const std::array<tables::Weighted, N>& table) {
  double total = 0;
  for (const auto& [name, weight] : table) total += weight;
  return total;
}

template <size_t N>
double ShareIn(const std::array<tables::Weighted, N>& table, std::string_view name) {
  for (const auto& [n, weight] : table) {
    if (n == name) return weight / TableTotal(table);
  }
  return 0;
}

// P(X > threshold) for log X ~ Normal(mu, sigma).
double LogNormalAbove(double threshold, double mu, double sigma) {
  return 0.5 * std::erfc((std::log(threshold) - mu) / (sigma * std::sqrt(2.0)));
}

double PortShare(std::string_view code) {
  for (const auto& port : tables::kPorts) {
    if (port.code != code) continue;
    double mode_total = 0;
    for (const auto& other : tables::kPorts) {
      if (other.mode == port.mode) mode_total += other.weight;
    }
    return ShareIn(tables::kModes, port.mode) * port.weight / mode_total;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Text helpers.

// `2.44%`: at most 4 decimals, no trailing zeros.
std::string Percent(double percent) {
  std::string text = fmt::format("{:.4f}", percent);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}

// `value` with at most `decimals` decimals and at least one: 0.2, 0.35, 1.0.
std::string Trimmed(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  while (text.back() == '0' && text[text.size() - 2] != '.') text.pop_back();
  return text;
}

// 100000 -> 100_000.
std::string Grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += '_';
    out += digits[i];
  }
  return out;
}

// An HS code as officers write it: 85, 8517, 8517.62, 8517.62.10, 8517.62.10.00.
std::string HsText(std::string_view digits) {
  std::string out(digits.substr(0, std::min<size_t>(4, digits.size())));
  for (size_t i = 4; i < digits.size(); i += 2) {
    out += '.';
    out += digits.substr(i, 2);
  }
  return out;
}

// One condition and the probability that a generated declaration satisfies it.
struct Term {
  std::string text;
  double p = 1;
  std::string_view description = {};  // what an officer would call such a rule
};

// Groups of conditions that are not independent of each other: a rule takes at most one
// term from each group, so that multiplying probabilities stays a fair estimate.
enum Group { kTrade, kAmount, kTransport, kEnterprise, kCalendar, kGroupCount };

// ---------------------------------------------------------------------------------------
// HS scopes: every prefix (2, 4, 6, 8, 10 digits) of the catalog's tariff lines with its
// share of traffic.

struct ScopeItem {
  std::string code;
  double share;
};

class ScopeIndex {
 public:
  ScopeIndex() {
    std::map<std::string, double> shares;
    for (const TariffLine& line : HsCatalog::Get().lines()) {
      for (size_t len = 2; len <= 10; len += 2) shares[line.code.substr(0, len)] += line.share;
    }
    for (const auto& [code, share] : shares) {
      by_share_.push_back({code, share});
      by_level_[code.size()].push_back({code, share});  // map order: sorted by code
    }
    std::sort(by_share_.begin(), by_share_.end(), [](const ScopeItem& a, const ScopeItem& b) {
      return a.share != b.share ? a.share < b.share : a.code < b.code;
    });
  }

  // A random item whose share lies within a factor 1.6 of `target` (the nearest ones when
  // none does).
  const ScopeItem& Near(double target, Random& rng) const {
    auto lo = std::lower_bound(by_share_.begin(), by_share_.end(), target / 1.6,
                               [](const ScopeItem& a, double v) { return a.share < v; });
    auto hi = std::upper_bound(by_share_.begin(), by_share_.end(), target * 1.6,
                               [](double v, const ScopeItem& a) { return v < a.share; });
    if (lo >= hi) {
      // Nothing that close: take one of the few nearest on either side.
      size_t at = static_cast<size_t>(lo - by_share_.begin());
      size_t from = at >= 3 ? at - 3 : 0;
      size_t to = std::min(by_share_.size(), at + 3);
      return by_share_[from + rng.Uniform(to - from)];
    }
    return *(lo + static_cast<std::ptrdiff_t>(rng.Uniform(static_cast<uint64_t>(hi - lo))));
  }

  // The codes of the same length and chapter that follow `code`, in order.
  std::vector<ScopeItem> SiblingsAfter(const std::string& code, size_t max) const {
    std::vector<ScopeItem> out;
    const auto& level = by_level_.at(code.size());
    auto it = std::lower_bound(level.begin(), level.end(), code,
                               [](const ScopeItem& a, const std::string& c) { return a.code < c; });
    for (++it; it != level.end() && out.size() < max; ++it) {
      if (it->code.substr(0, 2) != code.substr(0, 2)) break;
      out.push_back(*it);
    }
    return out;
  }

  double Largest() const { return by_share_.back().share; }

 private:
  std::vector<ScopeItem> by_share_;
  std::map<size_t, std::vector<ScopeItem>> by_level_;
};

// One alternative of an HS list: a code or a range.
struct HsItem {
  std::string low, high;
  std::string Text() const { return low == high ? HsText(low) : HsText(low) + ".." + HsText(high); }
  bool Overlaps(const HsItem& other) const {
    // Prefix ranges overlap when their ranges intersect on the shorter length.
    size_t n = std::min(low.size(), other.low.size());
    return !(high.substr(0, n) < other.low.substr(0, n) ||
             other.high.substr(0, n) < low.substr(0, n));
  }
};

// Thematic commodity sets, as a customs office would declare them.
struct Theme {
  std::string_view name;
  std::string_view items;  // comma-separated codes and ranges, digits only
};
constexpr std::array<Theme, 12> kThemes = {{
    {"cold_chain", "02,0302..0308,1601..1602"},
    {"ccc", "850440,8516,852872"},
    {"hazardous", "28,29,36"},
    {"weapons", "93"},
    {"semiconductors", "8541..8542"},
    {"telecom", "8517,8525..8529"},
    {"textiles_apparel", "61..63"},
    {"steel", "72,7301..7308"},
    {"medical", "9018..9022,3002..3006"},
    {"vehicles", "8702..8705,8708"},
    {"furniture_lighting", "9401..9405"},
    {"plastics", "3901..3926"},
}};

std::vector<HsItem> ParseItems(std::string_view items) {
  std::vector<HsItem> out;
  size_t start = 0;
  while (start <= items.size()) {
    size_t comma = items.find(',', start);
    std::string_view item = items.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t dots = item.find("..");
    if (dots == std::string_view::npos) {
      out.push_back({std::string(item), std::string(item)});
    } else {
      out.push_back({std::string(item.substr(0, dots)), std::string(item.substr(dots + 2))});
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

double ItemsShare(const std::vector<HsItem>& items) {
  double share = 0;
  for (const HsItem& item : items) share += HsCatalog::Get().ShareOfRange(item.low, item.high);
  return share;
}

std::string ItemsText(const std::vector<HsItem>& items) {
  std::string out;
  for (const HsItem& item : items) {
    if (!out.empty()) out += ", ";
    out += item.Text();
  }
  return out;
}

// A rate action with the rate between `low` and `high` percent, drawn from `rng` (the v2
// rules' own stream).
std::string RateActionFrom(Random& rng, int low, int high) {
  std::string out = fmt::format("rate {}%", low + static_cast<int>(rng.Uniform(high - low + 1)));
  if (rng.Bernoulli(0.4)) out += fmt::format(" at port {}%", 40 + 10 * rng.Uniform(6));
  if (rng.Bernoulli(0.4)) out += fmt::format(" method nii {}%", 20 + 20 * rng.Uniform(4));
  return out;
}

struct CommoditySet {
  std::string name;
  std::vector<HsItem> items;
  double share;
};

struct GradeSpec {
  std::string name;
  std::string label;
  std::string clauses;  // "factor 0.2", "floor 80%", ...
  double factor = 1;     // for v2's `require` lines
  bool floor80 = false;
};

class RulesetBuilder {
 public:
  RulesetBuilder(const RulesetOptions& options)
      : options_(options), rng_(DeriveSeed(options.seed, kRulesStream, 0)) {}

  std::string Build();

 private:
  // Grades ------------------------------------------------------------------------------
  void PlanGrades();

  // Terms -------------------------------------------------------------------------------
  Term TradeTerm();
  Term AmountTerm();
  Term TransportTerm();
  Term EnterpriseTerm();
  Term CalendarTerm();
  std::string Countries(size_t count, bool weighted_by_imports, double* share);

  // HS ------------------------------------------------------------------------------------
  // An HS condition whose share is about `target`; returns its probability.
  Term HsTerm(double target);
  std::vector<HsItem> PickItems(double target);
  std::string NewSetName(const std::vector<HsItem>& items);

  // Actions -------------------------------------------------------------------------------
  std::string RateAction(double low_percent, double high_percent);
  std::string Window(double* fraction);

  // SPEC §7 (v2) ------------------------------------------------------------------------
  std::string V2Requires() const;
  std::string V2Rules();

  const RulesetOptions& options_;
  Random rng_;
  ScopeIndex scopes_;
  std::vector<GradeSpec> grades_;
  size_t reference_ = 0;  // index of the reference grade
  std::vector<CommoditySet> sets_;
  std::set<std::string> set_names_;
  std::map<std::string, size_t> set_by_items_;  // items text -> index in sets_
  std::map<std::string, int> name_counts_;
};

void RulesetBuilder::PlanGrades() {
  const auto& in = options_.grades.empty() ? DefaultGradeShares() : options_.grades;
  reference_ = 0;
  for (size_t g = 1; g < in.size(); ++g) {
    if (in[g].share > in[reference_].share) reference_ = g;
  }
  static const std::map<std::string, std::string, std::less<>> kLabels = {
      {"advanced", "高级认证企业"},
      {"certified", "一般认证企业"},
      {"general", "一般信用企业"},
      {"dishonest", "失信企业"}};
  for (size_t g = 0; g < in.size(); ++g) {
    GradeSpec spec;
    spec.name = in[g].name;
    if (auto it = kLabels.find(spec.name); it != kLabels.end()) spec.label = it->second;
    if (g < reference_) {
      // 0.2 for the most trusted, rising to 0.5 just before the reference.
      double factor = reference_ == 1 ? 0.2
                                      : 0.2 + 0.3 * static_cast<double>(g) /
                                                  static_cast<double>(reference_ - 1);
      spec.clauses = "factor " + Trimmed(factor, 2);
      spec.factor = std::stod(Trimmed(factor, 2));
    } else if (g == reference_) {
      spec.clauses = "factor 1.0";
    } else if (g + 1 == in.size()) {
      spec.clauses = "floor 80%";
      spec.floor80 = true;
    } else {
      spec.clauses = "factor 1.5";
      spec.factor = 1.5;
    }
    grades_.push_back(spec);
  }
}

std::string RulesetBuilder::Countries(size_t count, bool weighted_by_imports, double* share) {
  // Distinct countries drawn by trade weight; `share`: their share of import origins.
  std::vector<std::string_view> names;
  std::vector<double> weights;
  for (const auto& [name, weight] : tables::kImportOrigins) {
    names.push_back(name);
    weights.push_back(weighted_by_imports ? weight : 1.0);
  }
  std::vector<std::string_view> chosen;
  *share = 0;
  while (chosen.size() < count && chosen.size() < names.size()) {
    size_t i = WeightedPicker(weights).Pick(rng_);
    chosen.push_back(names[i]);
    *share += ShareIn(tables::kImportOrigins, names[i]);
    weights[i] = 0;
  }
  std::string out = "[";
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (i > 0) out += ", ";
    out += chosen[i];
  }
  return out + "]";
}

Term RulesetBuilder::TradeTerm() {
  double share = 0;
  switch (rng_.Uniform(7)) {
    case 0:
      return {"direction = import", kImport, "进口商品随机布控"};
    case 1:
      return {"direction = export", kExport, "出口商品查验"};
    case 2:
      return {"direction != export", kImport + kTransit, "进境货物布控"};
    case 3: {
      std::string list = Countries(2 + rng_.Uniform(5), true, &share);
      return {"direction = import and origin in " + list, kImport * share, "原产地风险"};
    }
    case 4: {
      std::string list = Countries(2 + rng_.Uniform(3), true, &share);
      return {"origin not in " + list, 1 - (kImport + kTransit) * share,
              "Origin outside the usual partners"};
    }
    case 5: {
      // Consigned through a hub.
      double hub_share = 0;
      std::vector<std::string_view> hubs;
      for (const auto& [name, weight] : tables::kHubs) {
        if (rng_.Bernoulli(0.6)) {
          hubs.push_back(name);
          hub_share += weight / TableTotal(tables::kHubs);
        }
      }
      if (hubs.empty()) {
        hubs.push_back("HK");
        hub_share = ShareIn(tables::kHubs, "HK");
      }
      std::string list;
      for (std::string_view hub : hubs) {
        list += list.empty() ? "" : ", ";
        list += hub;
      }
      return {"direction = import and trade_country in [" + list + "]", kImport * 0.2 * hub_share,
              "转口贸易风险"};
    }
    default:
      return {"direction = import and two_step = true", kImport * 0.30, "两步申报验证"};
  }
}

Term RulesetBuilder::AmountTerm() {
  using tables::kValueMu, tables::kValueSigma;
  switch (rng_.Uniform(4)) {
    case 0:
    case 1: {
      static constexpr uint64_t kThresholds[] = {5'000,   10'000,  20'000,   50'000,
                                                 100'000, 250'000, 1'000'000};
      uint64_t v = kThresholds[rng_.Uniform(std::size(kThresholds))];
      return {"value > " + Grouped(v),
              LogNormalAbove(static_cast<double>(v), kValueMu, kValueSigma), "高货值风险"};
    }
    case 2: {
      static constexpr uint64_t kThresholds[] = {100, 200, 500, 1'000, 2'000};
      uint64_t v = kThresholds[rng_.Uniform(std::size(kThresholds))];
      return {"value < " + Grouped(v),
              1 - LogNormalAbove(static_cast<double>(v), kValueMu, kValueSigma),
              "价格瞒骗风险布控"};
    }
    default: {
      static constexpr uint64_t kThresholds[] = {1'000, 5'000, 20'000, 50'000};
      uint64_t w = kThresholds[rng_.Uniform(std::size(kThresholds))];
      double sigma =
          std::sqrt(kValueSigma * kValueSigma + tables::kPriceSigma * tables::kPriceSigma);
      return {"weight > " + Grouped(w),
              LogNormalAbove(static_cast<double>(w), kValueMu - tables::kPriceMu, sigma),
              "Declared weight check"};
    }
  }
}

Term RulesetBuilder::TransportTerm() {
  switch (rng_.Uniform(4)) {
    case 0:
      return {"mode = air", ShareIn(tables::kModes, "air"), "空运渠道风险"};
    case 1:
      return {"mode in [air, post]",
              ShareIn(tables::kModes, "air") + ShareIn(tables::kModes, "post"), "寄递渠道风险"};
    case 2:
      return {"mode != sea", 1 - ShareIn(tables::kModes, "sea"), "非海运渠道"};
    default: {
      const auto& a = tables::kPorts[rng_.Uniform(tables::kPorts.size())];
      const auto& b = tables::kPorts[rng_.Uniform(tables::kPorts.size())];
      if (a.code == b.code) {
        return {fmt::format("port = \"{}\"", a.code), PortShare(a.code), "口岸专项"};
      }
      return {fmt::format("port in [\"{}\", \"{}\"]", a.code, b.code),
              PortShare(a.code) + PortShare(b.code), "口岸专项"};
    }
  }
}

Term RulesetBuilder::EnterpriseTerm() {
  const std::string& least = grades_.back().name;
  const std::string& most = grades_.front().name;
  switch (rng_.Uniform(7)) {
    case 0: {
      const auto& [flag, weight] = tables::kFlags[rng_.Uniform(tables::kFlags.size())];
      return {fmt::format("enterprise.flags has \"{}\"", flag),
              0.0125 * weight / TableTotal(tables::kFlags), "企业风险标记"};
    }
    case 1:
      return {"grade = " + least, options_.grades.empty() ? 0.015 : options_.grades.back().share,
              "失信企业专项"};
    case 2:
      return {"grade != " + most,
              1 - (options_.grades.empty() ? 0.005 : options_.grades.front().share)};
    case 3: {
      uint64_t k = 1 + rng_.Uniform(3);
      return {fmt::format("enterprise.hits >= {}", k), 0.25 / static_cast<double>(k * k),
              "查获记录企业"};
    }
    case 4:
      return {"enterprise.hit_rate > 20%", 0.06, "高查获率企业"};
    case 5:
      return {"enterprise.inspections = 0", 0.35, "首次查验企业"};
    default: {
      uint64_t days = rng_.Bernoulli(0.5) ? 365 : 730;
      return {fmt::format("enterprise.age_days < {}", days), days == 365 ? 0.08 : 0.16,
              "新注册企业专项"};
    }
  }
}

Term RulesetBuilder::CalendarTerm() {
  DayNumber start = DaysFromCivil(2021, 1, 1);
  auto offset = static_cast<DayNumber>(60 + rng_.Uniform(240));
  double after = 1 - static_cast<double>(offset) / 365.0;
  if (rng_.Bernoulli(0.5)) {
    return {"date >= " + FormatIsoDate(start + offset), after, "阶段性专项行动"};
  }
  return {"date < " + FormatIsoDate(start + offset), 1 - after, "阶段性专项行动"};
}

std::vector<HsItem> RulesetBuilder::PickItems(double target) {
  std::vector<HsItem> items;
  double share = 0;
  size_t parts = rng_.Bernoulli(0.35) ? 2 + rng_.Uniform(3) : 1;
  for (int attempt = 0; attempt < 20 && items.size() < parts && share < target * 0.8; ++attempt) {
    double want = (target - share) / static_cast<double>(parts - items.size());
    const ScopeItem& item = scopes_.Near(want, rng_);
    HsItem candidate{item.code, item.code};
    double candidate_share = item.share;
    // Now and then a range of siblings instead of a single code.
    if (item.code.size() >= 4 && rng_.Bernoulli(0.2)) {
      auto siblings = scopes_.SiblingsAfter(item.code, 1 + rng_.Uniform(3));
      if (!siblings.empty()) {
        candidate.high = siblings.back().code;
        candidate_share = HsCatalog::Get().ShareOfRange(candidate.low, candidate.high);
      }
    }
    bool overlaps = false;
    for (const HsItem& other : items) overlaps = overlaps || other.Overlaps(candidate);
    if (overlaps) continue;
    items.push_back(candidate);
    share += candidate_share;
  }
  std::sort(items.begin(), items.end(),
            [](const HsItem& a, const HsItem& b) { return a.low < b.low; });
  return items;
}

std::string RulesetBuilder::NewSetName(const std::vector<HsItem>& items) {
  std::string base = "hs_" + items.front().low;
  if (items.size() > 1 || items.front().low != items.front().high) base += "_group";
  std::string name = base;
  for (int n = 2; set_names_.count(name); ++n) name = fmt::format("{}_{}", base, n);
  set_names_.insert(name);
  return name;
}

Term RulesetBuilder::HsTerm(double target) {
  // Reuse a declared set of about the right size now and then (sets are shared by rules).
  if (!sets_.empty() && rng_.Bernoulli(0.25)) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      const CommoditySet& set = sets_[rng_.Uniform(sets_.size())];
      if (set.share > target / 2 && set.share < target * 2) {
        return {"commodity in " + set.name, set.share, "重点商品布控"};
      }
    }
  }
  std::vector<HsItem> items = PickItems(target);
  double share = ItemsShare(items);
  if (rng_.Bernoulli(0.35)) return {"hs in [" + ItemsText(items) + "]", share, "重点商品布控"};
  // The same codes again: use the set already declared for them.
  std::string text = ItemsText(items);
  if (auto it = set_by_items_.find(text); it != set_by_items_.end()) {
    return {"commodity in " + sets_[it->second].name, share, "重点商品布控"};
  }
  CommoditySet set{NewSetName(items), items, share};
  set_by_items_[text] = sets_.size();
  sets_.push_back(set);
  return {"commodity in " + set.name, share, "重点商品布控"};
}

std::string RulesetBuilder::RateAction(double low, double high) {
  static constexpr double kRates[] = {0.5, 1, 2, 3, 4, 5, 8, 10, 15, 20, 30, 40, 50, 60, 80};
  std::vector<double> allowed;
  for (double r : kRates) {
    if (r >= low && r <= high) allowed.push_back(r);
  }
  double rate = allowed[rng_.Uniform(allowed.size())];
  if (rng_.Bernoulli(0.05)) rate += static_cast<double>(rng_.Between(1, 9999)) / 10000.0;
  std::string out = "rate " + Percent(std::min(rate, 100.0));
  switch (rng_.Uniform(6)) {
    case 0:
    case 1:
      break;  // default split: port 100%
    case 2:
      out += fmt::format(" at port {}%", 30 + 10 * rng_.Uniform(6));
      break;
    case 3: {
      uint64_t port = 20 + 5 * rng_.Uniform(12);
      out += fmt::format(" at port {}% destination {}%", port, 100 - port);
      break;
    }
    case 4:
      out += " at destination 100%";
      break;
    default: {
      uint64_t dest = 25 + 25 * rng_.Uniform(3);
      out += fmt::format(" at destination {}% port {}%", dest, 100 - dest);
      break;
    }
  }
  switch (rng_.Uniform(5)) {
    case 0:
      break;  // default method: manual
    case 1:
      out += " method nii";
      break;
    case 2:
    case 3:
      out += fmt::format(" method nii {}%", 10 * (1 + rng_.Uniform(9)));
      break;
    default:
      out += " method manual";
      break;
  }
  if (rng_.Bernoulli(0.06)) out += " fixed";
  return out;
}

std::string RulesetBuilder::Window(double* fraction) {
  DayNumber first = DaysFromCivil(2021, 1, 1);
  DayNumber last = DaysFromCivil(2021, 12, 31);
  DayNumber from = first + static_cast<DayNumber>(rng_.Uniform(300));
  static constexpr DayNumber kLengths[] = {30, 45, 60, 90, 120, 180};
  DayNumber to = std::min(last, from + kLengths[rng_.Uniform(std::size(kLengths))]);
  *fraction = static_cast<double>(to - from + 1) / 365.0;
  return FormatIsoDate(from) + ".." + FormatIsoDate(to);
}

std::string RulesetBuilder::Build() {
  PlanGrades();
  // The thematic sets come first; rules reuse them like the sets made for them.
  for (const Theme& theme : kThemes) {
    std::vector<HsItem> items = ParseItems(theme.items);
    double share = ItemsShare(items);
    set_names_.insert(std::string(theme.name));
    set_by_items_[ItemsText(items)] = sets_.size();
    sets_.push_back({std::string(theme.name), items, share});
  }
  const uint64_t n = options_.rules;
  std::string rules_text;

  // A few hold rules: referrals that stop the goods whatever the rates say.
  const uint64_t holds = n == 0 ? 0 : std::max<uint64_t>(1, n / 100);
  // The rate rules share the target; holds are rare events and barely count.
  const double per_rule = n > holds ? options_.target_matches / static_cast<double>(n - holds) : 0;
  double expected = 0;

  for (uint64_t i = 0; i < n; ++i) {
    bool hold = i % (n / holds) == (n / holds) / 2 && i / (n / holds) < holds;
    std::string name;
    std::string description;
    std::optional<std::string> window;
    std::vector<Term> terms;
    double p = 1;
    std::string action;

    if (hold) {
      size_t kind = rng_.Uniform(3);
      if (kind == 0) {
        terms.push_back({"enterprise.flags has \"smuggling_watch\"", 0.001, "缉私部门布控"});
        action = "hold \"referred to anti-smuggling\"";
      } else if (kind == 1) {
        terms.push_back(
            {"direction = import and origin in [KP, IR]", kImport * 0.0013, "联合国制裁"});
        action = "hold \"sanctions: origin to be verified\"";
      } else {
        terms.push_back({"commodity in weapons and grade != " + grades_.front().name,
                         HsCatalog::Get().ShareOfPrefix("93"), "枪支弹药"});
        action = "hold \"firearms and ammunition: licence to be verified\"";
      }
      // Large rulesets narrow their holds to a commodity too.
      if (n >= 1000 && kind != 2) terms.push_back(HsTerm(0.05));
      name = fmt::format("hold_{:05d}", i + 1);
    } else {
      // This rule's share of the target, spread so that rule sizes vary.
      double target = std::min(0.5, per_rule * rng_.LogNormal(-0.32, 0.8));
      bool used[kGroupCount] = {};
      size_t extra = rng_.Uniform(4);  // conditions besides the commodity
      for (size_t k = 0; k < extra; ++k) {
        auto group = static_cast<Group>(rng_.Uniform(kGroupCount));
        if (used[group]) continue;
        used[group] = true;
        Term term = group == kTrade        ? TradeTerm()
                    : group == kAmount     ? AmountTerm()
                    : group == kTransport  ? TransportTerm()
                    : group == kEnterprise ? EnterpriseTerm()
                                           : CalendarTerm();
        // A term that alone is rarer than the target would make the rule (almost) dead.
        if (term.p * 1.2 < target) continue;
        terms.push_back(term);
        p *= term.p;
      }
      // A `valid` window, but never with a date condition (the two could contradict).
      if (!used[kCalendar] && rng_.Bernoulli(0.1)) {
        double fraction = 1;
        window = Window(&fraction);
        if (fraction * p >= target)
          p *= fraction;
        else
          window.reset();
      }
      // The commodity narrows the rule to its target (none when the rest already does).
      if (p > target * 1.5 || terms.empty()) {
        double want = target / p;
        Term hs = want >= 0.6 ? Term{"", 1} : HsTerm(want);
        if (!hs.text.empty()) {
          terms.insert(terms.begin(), hs);
          p *= hs.p;
        }
      }
      if (terms.empty()) {
        terms.push_back(TradeTerm());
        p = terms.back().p;
      }
      // Sometimes an alternative: (A or B) keeps the estimate if B is much rarer.
      if (terms.size() >= 2 && rng_.Bernoulli(0.08)) {
        Term extra_term = TransportTerm();
        terms.back().text = "(" + terms.back().text + " or " + extra_term.text + ")";
        double before = terms.back().p;
        terms.back().p = 1 - (1 - before) * (1 - extra_term.p);
        p = p / before * terms.back().p;
      }
      // Sometimes a negation.
      if (rng_.Bernoulli(0.05)) {
        terms.push_back({"not (mode = post)", 1 - ShareIn(tables::kModes, "post")});
        p *= terms.back().p;
      }
      // Mostly modest rates; some severe ones; now and then a legally mandated check.
      bool mandated = rng_.Bernoulli(0.005);
      action = mandated ? "rate 100% method nii 50% fixed" : RateAction(0.5, 10);
      if (!mandated && rng_.Bernoulli(0.08)) action = RateAction(15, 50);
      name = fmt::format("r{:05d}", i + 1);
      expected += p;
    }
    // Half the rules carry a description, named after their most telling condition.
    if (rng_.Bernoulli(0.5)) {
      for (auto it = terms.rbegin(); it != terms.rend() && description.empty(); ++it) {
        description = it->description;
      }
    }
    rules_text += "rule " + name;
    if (!description.empty()) rules_text += fmt::format(" \"{}\"", description);
    rules_text += "\n";
    if (window) rules_text += "  valid " + *window + "\n";
    std::string condition;
    for (const Term& term : terms) {
      if (!condition.empty()) condition += " and ";
      condition += term.text;
    }
    rules_text += "  when " + condition + "\n  then " + action + "\n\n";
  }

  std::string out;
  out += fmt::format(
      "# Generated by `bukong gen rules --seed {} --count {}{}`: {} rules, about {:.1f} matching "
      "rules per generated declaration.\n",
      options_.seed, n, options_.v2 ? " --v2" : "", n, expected);
  if (options_.v2) {
    out += "# v2 (SPEC §7): lists (`bukong gen lists`), unit_value, sample, require; the v2_ "
           "rules come last.\n";
  }
  out += fmt::format("ruleset \"generated-{}-{}\" version 1\n\n", options_.seed, n);
  size_t width = 0;
  for (const GradeSpec& g : grades_) width = std::max(width, g.name.size());
  for (const GradeSpec& g : grades_) {
    out += fmt::format("grade {:<{}}", g.name, width);
    if (!g.label.empty()) out += fmt::format(" \"{}\"", g.label);
    out += " " + g.clauses + "\n";
  }
  out += "unknown enterprise grade " + grades_[reference_].name + "\n\n";
  if (options_.v2) out += V2Requires();
  out += "baseline 2.44% at port 70% destination 30% method nii 60%\n";
  if (options_.v2) out += "sample 0.5% at port 50% destination 50% method manual\n";
  out += "\n";
  for (const CommoditySet& set : sets_) {
    out += fmt::format("commodity {} = hs {}\n", set.name, ItemsText(set.items));
  }
  out += "\n";
  if (options_.v2) {
    for (const GeneratedListSpec& list : kGeneratedLists) {
      out += fmt::format("list {} of {}\n", list.name, list.type);
    }
    out += "\n";
  }
  out += rules_text;
  if (options_.v2) out += V2Rules();
  return out;
}

// The law's ratios for the generated grades (SPEC §7.4): each grade more trusted than the
// reference at most its factor of the reference's discretionary rate (exactly what the
// factors give, so `check` accepts it), and the floored grade at least 80% inspected.
std::string RulesetBuilder::V2Requires() const {
  std::string out;
  for (size_t g = 0; g < grades_.size(); ++g) {
    if (g < reference_) {
      out += fmt::format("require {} <= {} of {}\n", grades_[g].name,
                         Percent(grades_[g].factor * 100), grades_[reference_].name);
    } else if (grades_[g].floor80) {
      out += fmt::format("require {} >= 80%\n", grades_[g].name);
    }
  }
  return out.empty() ? out : out + "\n";
}

// Rules over the lists and unit_value, from a random stream of their own (the v1 rules
// above are unchanged). Their names start with `v2_`.
std::string RulesetBuilder::V2Rules() {
  Random rng(DeriveSeed(options_.seed, kRulesStream, 1));
  std::string out;
  out += "rule v2_watched \"重点关注企业\"\n  when enterprise in watched_enterprises\n"
         "  then rate 30%\n\n";
  out += "rule v2_sanctions \"制裁名单\"\n  when origin in sanctioned or trade_country in "
         "sanctioned\n  then hold \"sanctions: origin or trade country listed\"\n\n";
  out += "rule v2_dual_use \"两用物项出口管制\"\n  when direction = export and hs in dual_use\n"
         "  then rate 20% method manual\n\n";
  out += fmt::format(
      "rule v2_sensitive_port\n  when port in sensitive_ports and enterprise not in "
      "watched_enterprises\n  then {}\n\n",
      RateActionFrom(rng, 2, 8));
  out += "rule v2_overvalued_export\n  when direction = export and hs not in dual_use and "
         "unit_value > 2_000\n  then rate 3%\n\n";
  // Undervaluation: value per kg below a price floor, per commodity.
  static constexpr const char* kFloors[] = {"0.5", "1.2", "2", "3.75"};
  const uint64_t count = std::max<uint64_t>(2, options_.rules / 50);
  for (uint64_t i = 0; i < count; ++i) {
    const CommoditySet& set = sets_[rng.Uniform(sets_.size())];
    out += fmt::format(
        "rule v2_unit_value_{:03d} \"价格瞒骗\"\n  when commodity in {} and unit_value < {}\n"
        "  then {}\n\n",
        i + 1, set.name, kFloors[rng.Uniform(std::size(kFloors))], RateActionFrom(rng, 5, 30));
  }
  return out;
}

}  // namespace

std::string GenerateRuleset(const RulesetOptions& options) {
  RulesetBuilder builder(options);
  return builder.Build();
}

}  // namespace bukong::gen
