// Generated list files (SPEC §7.1) for the lists that v2 generated rulesets declare
// (gen/rules.h, RulesetOptions::v2): a watchlist of enterprises, sanctioned countries,
// sensitive ports and dual-use HS codes, shaped so that generated traffic hits them.
//
// The text depends only on the options. The enterprise list holds about 1% of the
// enterprises of the profiles generated with the same seed (drawn uniformly, so frequent
// and rare declarers alike) and, when `enterprises` asks for more, ids of enterprises
// without a profile (EnterpriseId of indexes past `profiles`): a 1,000,000-entry list for
// the binding benchmark. Files are in the list file format (ingest/list_reader.h): a
// comment line, then one entry a line.
#ifndef BUKONG_GEN_LISTS_H_
#define BUKONG_GEN_LISTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bukong::gen {

// The lists a v2 generated ruleset declares, in declaration order: name and type.
struct GeneratedListSpec {
  std::string_view name;
  std::string_view type;  // enterprise, country, port, hs
};
inline constexpr GeneratedListSpec kGeneratedLists[] = {
    {"watched_enterprises", "enterprise"},
    {"sanctioned", "country"},
    {"sensitive_ports", "port"},
    {"dual_use", "hs"},
};

struct ListGenOptions {
  uint64_t seed = 1;
  uint64_t profiles = 1000;  // profiles generated with the same seed
  // Entries of the enterprise list; 0 = about 1% of `profiles` (at least 1).
  uint64_t enterprises = 0;
};

struct GeneratedList {
  std::string name;
  std::string type;
  std::string file_name;  // NAME.txt
  std::string text;       // the list file
};

// The four lists of kGeneratedLists, in that order.
std::vector<GeneratedList> GenerateLists(const ListGenOptions& options);

}  // namespace bukong::gen

#endif  // BUKONG_GEN_LISTS_H_
