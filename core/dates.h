// Calendar dates as day numbers. Every date bukong handles (declaration dates, `valid`
// windows, profile registration) is a proleptic Gregorian civil date; internally it is the
// number of days since 1970-01-01, so date arithmetic (enterprise.age_days) is subtraction.
#ifndef BUKONG_CORE_DATES_H_
#define BUKONG_CORE_DATES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bukong {

// Days since 1970-01-01 (negative before).
using DayNumber = int32_t;

// Parses exactly `YYYY-MM-DD` (four-digit year 0001..9999, real month and day, leap years
// honoured). Returns nullopt for anything else: other lengths, signs, spaces, 2021-02-29.
std::optional<DayNumber> ParseIsoDate(std::string_view text);

// Day number of a valid civil date.
DayNumber DaysFromCivil(int year, unsigned month, unsigned day);

// `YYYY-MM-DD` for a day number.
std::string FormatIsoDate(DayNumber day);

}  // namespace bukong

#endif  // BUKONG_CORE_DATES_H_
