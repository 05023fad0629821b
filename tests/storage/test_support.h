// Helpers shared by the storage tests: temporary folders and sample records.
#ifndef BUKONG_TESTS_STORAGE_TEST_SUPPORT_H_
#define BUKONG_TESTS_STORAGE_TEST_SUPPORT_H_

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/profile.h"
#include "storage/internal/encoding.h"
#include "storage/store.h"
#include "tests/testing/temp_dir.h"

namespace bukong::storage::testing {

using ::bukong::testing::TempDir;

inline Profile SampleProfile(std::string id, uint64_t n = 0) {
  Profile p;
  p.id = std::move(id);
  p.grade = n % 2 ? "advanced" : "general";
  p.registered = static_cast<DayNumber>(15000 + n % 5000);
  p.flags = {"cold_chain", "走私观察"};
  if (n % 3 == 0) p.flags.clear();
  p.inspections = 10 + n;
  p.hits = n % 10;
  return p;
}

inline AuditRecord SampleRecord(uint64_t n, const std::string& key_id = "0011223344556677") {
  AuditRecord r;
  r.declaration_id = fmt::format("D{:08}", n);
  r.enterprise = fmt::format("91330200MA2A{:06}", n % 1000);
  r.declaration = fmt::format(
      R"({{"id":"{}","enterprise":"{}","date":"2021-05-04","direction":"import","hs":"0303.89.90","origin":"NO","trade_country":"NO","port":"3100","mode":"sea","value":125000.0,"weight":20000,"two_step":false}})",
      r.declaration_id, r.enterprise);
  if (n % 4 != 0) r.profile = SampleProfile(r.enterprise, n);
  r.ruleset_sha256 = std::string(64, 'a');
  r.key_id = key_id;
  r.decision = fmt::format(
      R"({{"id":"{}","outcome":"inspect","site":"port","method":"manual","rate_ppm":100000,"grade":"general","rule":"cold_chain_port","matched":["cold_chain_port"],"ruleset":"zhejiang-aeo@3","ruleset_sha256":"{}"}})",
      r.declaration_id, r.ruleset_sha256);
  return r;
}

// A body of format 1 (schema version 1), byte by byte as docs/storage.md describes it,
// built without the store's encoder (which writes only format 2): old databases for tests.
inline std::string FormatOneAuditBody(const AuditRecord& r) {
  std::string b(1, '\x01');
  internal::PutLengthPrefixed(b, r.declaration_id);
  internal::PutLengthPrefixed(b, r.enterprise);
  internal::PutLengthPrefixed(b, r.ruleset_sha256);
  internal::PutLengthPrefixed(b, r.key_id);
  if (r.profile) {
    b.push_back('\x01');
    internal::PutLengthPrefixed(b, r.profile->id);
    internal::PutLengthPrefixed(b, internal::EncodeProfileValue(*r.profile));
  } else {
    b.push_back('\0');
  }
  internal::PutLengthPrefixed(b, r.declaration);
  internal::PutLengthPrefixed(b, r.decision);
  return b;
}

}  // namespace bukong::storage::testing

#endif  // BUKONG_TESTS_STORAGE_TEST_SUPPORT_H_
