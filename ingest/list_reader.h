// Reader of list files (SPEC §7.1): the entries of a watchlist that officers import with
// `bukong lists import`, kept apart from the rule file.
//
//   absl::StatusOr<ListReadResult> r = ReadListFile("sanctioned.txt", ListType::kCountry);
//   if (!r.ok()) return r.status();                      // the file could not be read
//   for (const auto& e : r->errors) std::cerr << e << "\n";  // every bad entry, FILE:LINE
//   if (!r->ok()) return 1;                              // all or nothing: nothing imported
//   Use(r->list->entries, r->list->digest);
//
// The format: UTF-8 text, one entry a line (LF or CRLF); `#` starts a comment to the end of
// the line; spaces and tabs around an entry are trimmed; blank lines (after removing the
// comment) are skipped; an optional UTF-8 byte-order mark before the first line is skipped.
// Entry syntax by type:
//   enterprise, port   any non-empty text on one line (without `#`, which starts a
//                      comment, and without control characters: a CR left inside by CR-only
//                      line endings or a tab inside is an error, not part of the entry)
//   country            two ASCII capital letters
//   hs                 digits and dots with 2, 4, 6, 8 or 10 digits once the dots are
//                      removed; stored without the dots (`0302.11` → `030211`)
// A line that is not valid UTF-8 is an error. Repeated entries count once. An empty list
// (no entries at all) is valid.
//
// The version of a list is its digest: lower-case hex SHA-256 over the distinct entries,
// sorted bytewise, each followed by "\n" (ListDigest). Two files with the same entries in
// any order, with any comments, have the same digest.
//
// Memory: the entries of the file (a 1,000,000-entry enterprise list of 18-byte ids is about
// 60 MB while sorted). Thread-safe: the functions share no state.
#ifndef BUKONG_INGEST_LIST_READER_H_
#define BUKONG_INGEST_LIST_READER_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace bukong::ingest {

// The four list types of SPEC §7.1, in the order the spec names them.
enum class ListType { kEnterprise, kCountry, kPort, kHs };

// "enterprise", "country", "port", "hs".
std::string_view ListTypeName(ListType type);
// The inverse of ListTypeName; nullopt for any other text.
std::optional<ListType> ListTypeFromName(std::string_view name);

// A list's content as read from a file.
struct ListContent {
  ListType type = ListType::kEnterprise;
  std::vector<std::string> entries;  // distinct, sorted bytewise; hs entries without dots
  std::string digest;                // ListDigest(entries): 64 lower-case hex digits
  uint64_t lines = 0;                // physical lines read
  uint64_t repeated = 0;             // entries dropped because they were already listed
};

struct ListReadResult {
  // Set when the file has no bad entry; empty otherwise (nothing may be imported then).
  std::optional<ListContent> list;
  // Every bad entry, in file order, each `FILE:LINE: error: MESSAGE` (ingest/input_error.h).
  std::vector<std::string> errors;
  bool ok() const { return list.has_value(); }
};

// Reads the list file at `path`. A non-OK status only when the file cannot be opened or read
// (NotFound, DataLoss for a read error or a line longer than 64 MiB); bad entries are values
// in the result.
absl::StatusOr<ListReadResult> ReadListFile(const std::string& path, ListType type);

// The same over a stream that `name` names in messages ("<stdin>" for standard input).
absl::StatusOr<ListReadResult> ReadList(std::istream* in, std::string_view name, ListType type);

// Checks one entry (already trimmed, comment removed, non-empty) and returns it in its stored
// form (hs: without dots), or the MESSAGE of the error.
struct ListEntryCheck {
  std::string entry;
  std::string error;  // empty when the entry is good
};
ListEntryCheck CheckListEntry(ListType type, std::string_view text);

// Lower-case hex SHA-256 over `entries` (which must be distinct and sorted bytewise), each
// followed by "\n". The digest of the empty list is SHA-256 of nothing.
std::string ListDigest(const std::vector<std::string>& entries);

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_LIST_READER_H_
