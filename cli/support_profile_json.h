// A profile as one JSON object in the import format (`profiles get`, `decisions get`).
#ifndef BUKONG_CLI_SUPPORT_PROFILE_JSON_H_
#define BUKONG_CLI_SUPPORT_PROFILE_JSON_H_

#include <string>

#include "core/profile.h"

namespace bukong::cli {

// {"id":..,"grade":..,"registered":"YYYY-MM-DD","flags":[..],"inspections":N,"hits":N}
std::string ProfileJson(const Profile& p);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_PROFILE_JSON_H_
