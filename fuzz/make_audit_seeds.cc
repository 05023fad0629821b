// Writes the seed corpus of fuzz_audit (fuzz/corpus/audit/): one encoded value of each kind
// the store reads back, prefixed by the byte that makes fuzz_audit pick its decoder. The
// seeds are committed; run this again only when an encoding changes:
//   c++ -std=c++20 -I. fuzz/make_audit_seeds.cc build/storage/libbukong_storage.a \
//       build/core/libbukong_core.a -lrocksdb -lcrypto -lfmt -labsl_status \
//       -labsl_statusor ... (and the Abseil libraries those two need) -o /tmp/make_audit_seeds
//   /tmp/make_audit_seeds fuzz/corpus/audit
#include <fstream>
#include <string>

#include "core/dates.h"
#include "core/sha256.h"
#include "storage/internal/encoding.h"

namespace si = bukong::storage::internal;

static void Write(const std::string& dir, const std::string& name, char kind,
                  const std::string& value) {
  std::ofstream(dir + "/" + name, std::ios::binary) << kind << value;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  bukong::Profile p;
  p.id = "91330200MA2AAAAA1X";
  p.grade = "general";
  p.registered = *bukong::ParseIsoDate("2015-03-01");
  p.flags = {"cold_chain", "冷链"};
  p.inspections = 12;
  p.hits = 3;
  bukong::storage::AuditRecord r;
  r.declaration_id = "D0001";
  r.enterprise = p.id;
  r.declaration =
      R"({"id":"D0001","enterprise":"91330200MA2AAAAA1X","date":"2021-05-04","direction":"import","hs":"0303.89.90"})";
  r.profile = p;
  r.ruleset_sha256 = std::string(64, 'a');
  r.key_id = "0123456789abcdef";
  r.decision = R"({"id":"D0001","outcome":"release"})";
  Write(dir, "audit_body_with_profile", 0, si::EncodeAuditBody(r));
  r.profile.reset();
  r.declaration = "{\"id\":\"X\",\"enterprise\":\"E\"}";
  r.declaration_id = "X";
  r.enterprise = "E";
  Write(dir, "audit_body_without_profile", 0, si::EncodeAuditBody(r));
  // Format 3 (schema version 4): a record made under a ruleset that declares lists keeps the
  // full digest of each bound version, in declaration order.
  r.lists = {{"sanctioned", bukong::Sha256Hex("IR\nKP\nSY\n")},
             {"watched_enterprises", bukong::Sha256Hex("91330200MA2AAAAA1X\n")}};
  r.decision = R"({"id":"X","outcome":"release","lists":{"sanctioned":")" +
               r.lists[0].digest.substr(0, 16) + R"(","watched_enterprises":")" +
               r.lists[1].digest.substr(0, 16) + R"("}})";
  Write(dir, "audit_body_with_lists", 0, si::EncodeAuditBody(r));
  r.profile = p;
  r.lists.resize(1);
  Write(dir, "audit_body_with_profile_and_one_list", 0, si::EncodeAuditBody(r));
  Write(dir, "profile", 1, si::EncodeProfileValue(p));
  bukong::storage::Outcome o;
  o.declaration_id = "D1";
  o.result = bukong::storage::OutcomeResult::kHit;
  o.enterprise = "E1";
  o.audit_seq = 42;
  Write(dir, "outcome", 2, si::EncodeOutcomeValue(o));
  Write(dir, "ruleset", 3,
        si::EncodeRulesetValue("zhejiang", 3, "ruleset \"zhejiang\" version 3\nbaseline 1%\n"));
  std::string ref;
  si::PutBigEndian64(ref, 7);
  ref += "E1";
  Write(dir, "decision_ref", 4, ref);
  Write(dir, "by_id_entry", 5, si::EncodeByIdKey(std::string("D\0001", 3), 7));
  return 0;
}
