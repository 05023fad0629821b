// An enterprise's credit profile, as stored (storage/) and as read by decisions (engine/).
#ifndef BUKONG_CORE_PROFILE_H_
#define BUKONG_CORE_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/dates.h"

namespace bukong {

struct Profile {
  std::string id;                  // enterprise id (unified social credit code), non-empty
  std::string grade;               // grade name; must be declared by the ruleset that decides
  DayNumber registered = 0;        // registration date
  std::vector<std::string> flags;  // sorted, without duplicates
  uint64_t inspections = 0;        // inspections with a recorded outcome
  uint64_t hits = 0;               // of which found something; hits <= inspections

  friend bool operator==(const Profile&, const Profile&) = default;
};

}  // namespace bukong

#endif  // BUKONG_CORE_PROFILE_H_
