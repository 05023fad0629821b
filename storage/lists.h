// Lists and their versions (SPEC §7.1) in the bukong database: watchlists whose entries
// officers import with `bukong lists import`, apart from the rule file.
//
//   ListImport in{.name = "sanctioned", .type = "country", .entries = sorted_distinct,
//                 .digest = ListDigest(sorted_distinct), .imported_at_unix = time(nullptr)};
//   BUKONG_ASSIGN_OR_RETURN(ListImportResult r, ImportList(*store, in));   // durable
//   BUKONG_ASSIGN_OR_RETURN(std::optional<ListInfo> cur, GetList(*store, "sanctioned"));
//   BUKONG_RETURN_IF_ERROR(ScanListVersion(*store, cur->digest,
//                                          [&](std::string_view e) { set.insert(e); }));
//
// A list has a name (an identifier), a type fixed at its first import (the text
// "enterprise", "country", "port" or "hs"; this module does not interpret it) and a current
// version. A version is identified by its digest (lower-case hex SHA-256 of its entries,
// computed by ingest::ListDigest); its entries are stored once per digest, and every
// version ever imported stays in the database, so a decision made under an older version
// can be re-decided with it. Layout and encodings: docs/storage.md ("Lists").
//
// Lists live in the `lists` column family, new in schema version 3; a writable open of an
// older database adds it. A read-only open of a version-1 or -2 database has no lists:
// GetList answers nullopt, ListLists nothing, GetListVersion nullopt.
//
// Thread-safety: like Store (ImportList is serialised with the store's other writes;
// readers see a list's old or new version, never a mix).
#ifndef BUKONG_STORAGE_LISTS_H_
#define BUKONG_STORAGE_LISTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace bukong::storage {

// What an import stores. `entries` must be distinct and sorted bytewise and `digest` their
// digest (64 lower-case hex digits): the caller (ingest::ReadListFile) has checked them
// against the type; ImportList checks only the order and the digest's shape.
struct ListImport {
  std::string name;
  std::string type;
  std::vector<std::string> entries;
  std::string digest;
  int64_t imported_at_unix = 0;  // seconds since 1970-01-01 UTC, shown by `lists show`
};

// A list's current version.
struct ListInfo {
  std::string name;
  std::string type;
  std::string digest;          // lower-case hex SHA-256, 64 digits
  uint64_t entries = 0;        // number of entries of the current version
  int64_t imported_at_unix = 0;  // when the current version was imported
  uint64_t versions = 0;       // how many imports changed the list (1 after the first)
  friend bool operator==(const ListInfo&, const ListInfo&) = default;
};

// One version in a list's history, oldest first.
struct ListVersionInfo {
  std::string digest;
  uint64_t entries = 0;
  int64_t imported_at_unix = 0;
};

struct ListImportResult {
  // False when the content equals the current version: nothing was written.
  bool changed = false;
  ListInfo list;  // the list after the import
};

// Imports one version of a list in one synced write: the entries (unless this digest is
// already stored), the list's current version and its history. All or nothing.
// InvalidArgument for a name that is not an identifier, an empty type, a malformed digest
// or unsorted entries; FailedPrecondition when the list exists with another type (the
// message names both) or the store is read-only.
absl::StatusOr<ListImportResult> ImportList(Store& store, const ListImport& in);

// The current version of `name`, or nullopt when the database holds no such list.
absl::StatusOr<std::optional<ListInfo>> GetList(const Store& store, std::string_view name);

// Every list, by name (bytewise).
absl::StatusOr<std::vector<ListInfo>> ListLists(const Store& store);

// The versions of `name`, oldest first (empty when there is no such list).
absl::StatusOr<std::vector<ListVersionInfo>> ListHistory(const Store& store,
                                                         std::string_view name);

// Whether the entries of version `digest` are stored, and how many there are.
absl::StatusOr<std::optional<uint64_t>> GetListVersion(const Store& store,
                                                       std::string_view digest);

// Calls `visit` for every entry of version `digest`, in sorted order. NotFound (naming the
// digest) when that version is not stored; DataLoss when its entries do not decode or their
// count or digest disagree with the version's record.
absl::Status ScanListVersion(const Store& store, std::string_view digest,
                             const std::function<void(std::string_view entry)>& visit);

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_LISTS_H_
