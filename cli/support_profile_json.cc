#include "cli/support_profile_json.h"

#include <fmt/format.h>

#include "core/dates.h"
#include "core/json.h"

namespace bukong::cli {

std::string ProfileJson(const Profile& p) {
  std::string out = "{\"id\":";
  AppendJsonString(out, p.id);
  out += ",\"grade\":";
  AppendJsonString(out, p.grade);
  out += fmt::format(",\"registered\":\"{}\",\"flags\":[", FormatIsoDate(p.registered));
  for (size_t i = 0; i < p.flags.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, p.flags[i]);
  }
  out += fmt::format("],\"inspections\":{},\"hits\":{}}}", p.inspections, p.hits);
  return out;
}

}  // namespace bukong::cli
