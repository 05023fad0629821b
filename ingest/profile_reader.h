// Streaming reader of enterprise profile files (SPEC §3, §6): CSV with exactly the header
// `id,grade,registered,flags,inspections,hits`, or JSON Lines with the same keys.
//
//   absl::StatusOr<std::unique_ptr<ProfileReader>> reader = ProfileReader::Open("profiles.csv");
//   if (!reader.ok()) return reader.status();             // cannot open: names the file
//   ProfileRow row;
//   while (true) {
//     ReadResult r = (*reader)->Next(&row);
//     if (r == ReadResult::kEnd) break;
//     if (r == ReadResult::kError) { std::cerr << (*reader)->FormatError(row) << "\n"; continue; }
//     Use(row.profile);
//   }
//
// The reader holds one buffer chunk (1 MiB) plus the longest record, whatever the file size.
// A bad row is an error value, not a failed status: the reader moves on to the next record,
// so a caller can report every bad row of a file (or stop at the first). Errors that end
// the input (a wrong header, an unterminated quote, a read error) come once, then kEnd.
//
// Accepted (see docs/formats.md for every message):
//   CSV    RFC 4180: fields separated by ',', records by LF or CRLF; a field may be quoted
//          ("..." with "" for a quote) and then hold commas, quotes and line breaks — line
//          numbers count physical lines, a row's number is the line where it starts. Fields
//          are not trimmed. Empty lines are skipped. `flags` is `a;b;c` (empty = none). No
//          field may hold a control character (U+0000-U+001F) but a line break inside a
//          quoted field: JSON strings cannot hold them raw either.
//   JSONL  one object a line with exactly the six keys; `flags` an array of strings;
//          counters JSON integers. Blank lines are skipped. Repeated or unknown keys are
//          errors.
// Both: an optional UTF-8 byte-order mark at the start of the file is skipped; id
// non-empty; grade [A-Za-z_][A-Za-z0-9_]*; registered YYYY-MM-DD; flags non-empty names
// without ';' (stored sorted, duplicates dropped); inspections, hits integers in [0, 2^64)
// without leading zeros, with hits <= inspections; every field valid UTF-8. A record longer
// than InputBuffer::kDefaultMaxRecord (64 MiB) ends the input with an error.
//
// Not thread-safe; use one reader per thread.
#ifndef BUKONG_INGEST_PROFILE_READER_H_
#define BUKONG_INGEST_PROFILE_READER_H_

#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/profile.h"
#include "ingest/line_source.h"

namespace bukong::ingest {

enum class ProfileFormat { kCsv, kJsonLines };

// The format a file name implies: `.csv` → CSV; `.jsonl`, `.ndjson`, `.json` → JSON Lines
// (case-insensitive); anything else → nullopt (then the content decides).
std::optional<ProfileFormat> ProfileFormatFromName(std::string_view file_name);

// The format of content whose first bytes are `head`: JSON Lines when the first byte that
// is not white space (after an optional UTF-8 byte-order mark) is `{`, else CSV.
ProfileFormat SniffProfileFormat(std::string_view head);

// The exact CSV header.
inline constexpr std::string_view kProfileCsvHeader = "id,grade,registered,flags,inspections,hits";

// One row read: the profile, or an error message. `line` is the physical line (from 1)
// where the record starts.
struct ProfileRow {
  Profile profile;  // valid after kRow (buffers are reused between rows)
  uint64_t line = 0;
  std::string error;  // after kError: the MESSAGE of `FILE:LINE: error: MESSAGE`
};

enum class ReadResult { kRow, kError, kEnd };

class ProfileReader {
 public:
  // Opens a file; its format comes from the name, else from its first bytes. Fails with
  // NotFound / PermissionDenied-like statuses when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<ProfileReader>> Open(const std::string& path);

  // Reads from a stream that must outlive the reader. `name` is used in messages
  // ("<stdin>" for standard input). Without `format`, the content decides. `chunk`: bytes
  // read at a time (tests and fuzzers pass small ones to cross buffer boundaries often).
  static std::unique_ptr<ProfileReader> FromStream(std::istream* in, std::string name,
                                                   std::optional<ProfileFormat> format,
                                                   size_t chunk = InputBuffer::kDefaultChunk);

  virtual ~ProfileReader() = default;

  // Reads the next record into *row. Returns kRow (row->profile filled), kError
  // (row->error set; the bad record is skipped) or kEnd.
  virtual ReadResult Next(ProfileRow* row) = 0;

  // The format being read (known after the first Next()).
  virtual ProfileFormat format() const = 0;

  const std::string& name() const { return name_; }

  // `NAME:LINE: error: MESSAGE` for a row returned with kError.
  std::string FormatError(const ProfileRow& row) const;

 protected:
  explicit ProfileReader(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_PROFILE_READER_H_
