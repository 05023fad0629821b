#include "dsl/ir.h"

namespace bukong::ir {

const char* FieldName(Field f) {
  switch (f) {
    case Field::kDirection:
      return "direction";
    case Field::kHs:
      return "hs";
    case Field::kOrigin:
      return "origin";
    case Field::kTradeCountry:
      return "trade_country";
    case Field::kPort:
      return "port";
    case Field::kMode:
      return "mode";
    case Field::kValue:
      return "value";
    case Field::kWeight:
      return "weight";
    case Field::kTwoStep:
      return "two_step";
    case Field::kDate:
      return "date";
    case Field::kGrade:
      return "grade";
    case Field::kFlags:
      return "enterprise.flags";
    case Field::kAgeDays:
      return "enterprise.age_days";
    case Field::kInspections:
      return "enterprise.inspections";
    case Field::kHits:
      return "enterprise.hits";
    case Field::kHitRate:
      return "enterprise.hit_rate";
  }
  return "?";
}

}  // namespace bukong::ir
