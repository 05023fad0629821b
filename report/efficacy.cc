#include "report/efficacy.h"

#include <algorithm>
#include <tuple>

namespace bukong::report {

std::string_view EfficacyByText(EfficacyBy by) {
  switch (by) {
    case EfficacyBy::kRule:
      return "rule";
    case EfficacyBy::kPort:
      return "port";
    case EfficacyBy::kChapter:
      return "chapter";
    case EfficacyBy::kGrade:
      return "grade";
  }
  return "?";
}

EfficacyRow& EfficacyAccumulator::Row(std::string_view key) {
  auto it = rows_.find(key);
  if (it == rows_.end()) {
    it = rows_.emplace(std::string(key), EfficacyRow{}).first;
    it->second.key = std::string(key);
  }
  return it->second;
}

namespace {

void CountFlagged(EfficacyRow& row, const RuleObservation& o) {
  ++row.won;
  if (o.outcome == Outcome::kHold) {
    ++row.holds;
  } else {
    ++row.inspected;
  }
  if (o.hit.has_value()) {
    ++row.known;
    row.hits += *o.hit;
  }
}

}  // namespace

void EfficacyAccumulator::Add(const RuleObservation& o) {
  const bool flagged = o.outcome != Outcome::kRelease;
  const bool by_baseline = o.winner == "baseline";
  if (flagged && by_baseline && o.outcome == Outcome::kInspect) CountFlagged(random_, o);
  if (o.sampled.has_value()) {
    any_sample_ = true;
    if (*o.sampled) CountFlagged(sample_, o);  // sampled: inspected or held
  }
  if (!flagged && o.hit.has_value()) {
    ++outcomes_unflagged_;
    hits_unflagged_ += *o.hit;
  }
  if (by_ != EfficacyBy::kRule) {
    EfficacyRow& row = Row(o.group);
    ++row.declarations;
    if (flagged) CountFlagged(row, o);
    return;
  }
  if (o.matched != nullptr) {
    for (const std::string& name : *o.matched) ++Row(name).declarations;
  }
  if (by_baseline) {
    // The baseline "matches" every declaration; count those it decided.
    EfficacyRow& row = Row("baseline");
    ++row.declarations;
    if (flagged) CountFlagged(row, o);
  } else if (flagged) {
    CountFlagged(Row(o.winner), o);
  }
}

EfficacyReport EfficacyAccumulator::Finish() const {
  EfficacyReport report;
  report.by = by_;
  const EfficacyRow& random = any_sample_ ? sample_ : random_;
  report.random = random;
  report.random_is_sample = any_sample_;
  if (any_sample_) {
    report.random.key = "random sample (§7.3)";
    report.random_label =
        "the declarations of the random compliance sample (SPEC §7.3), drawn whatever the\n"
        "risk, so their hit rate is unbiased";
  } else {
    report.random.key = "baseline (random checks)";
    report.random_label =
        "inspections won by the baseline (its random checks; the ruleset has no `sample`)";
  }
  report.random.hit_rate = Wilson(random.hits, random.known);
  report.outcomes_unflagged = outcomes_unflagged_;
  report.hits_unflagged = hits_unflagged_;
  for (const auto& [key, row] : rows_) {
    EfficacyRow r = row;
    r.hit_rate = Wilson(r.hits, r.known);
    r.lift = KatzRatio(r.hits, r.known, random.hits, random.known);
    report.rows.push_back(std::move(r));
  }
  std::sort(report.rows.begin(), report.rows.end(), [](const EfficacyRow& a, const EfficacyRow& b) {
    auto key = [](const EfficacyRow& r) {
      return std::make_tuple(!r.hit_rate.has_value(), r.hit_rate ? r.hit_rate->ci.high : 0.0,
                             -static_cast<int64_t>(r.inspected + r.holds));
    };
    if (key(a) != key(b)) return key(a) < key(b);
    return a.key < b.key;
  });
  return report;
}

}  // namespace bukong::report
