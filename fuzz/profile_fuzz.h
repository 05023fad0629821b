// Shared body of the two profile fuzz targets: read everything, check every row and error.
#ifndef BUKONG_FUZZ_PROFILE_FUZZ_H_
#define BUKONG_FUZZ_PROFILE_FUZZ_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "ingest/profile_reader.h"

namespace bukong::fuzz {

inline void ReadProfiles(const uint8_t* data, size_t size, ingest::ProfileFormat format) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const uint64_t lines = 1 + std::count(text.begin(), text.end(), '\n');
  std::istringstream in(text);
  auto reader = ingest::ProfileReader::FromStream(&in, "fuzz", format, /*chunk=*/64);
  ingest::ProfileRow row;
  uint64_t previous_line = 0;
  // Each call consumes input or ends it, so the loop is bounded by the size of the file.
  for (size_t calls = 0;; ++calls) {
    if (calls > size + 2) std::abort();  // the reader does not end
    ingest::ReadResult r = reader->Next(&row);
    if (r == ingest::ReadResult::kEnd) break;
    if (row.line < 1 || row.line > lines || row.line < previous_line) std::abort();
    previous_line = row.line;
    if (r == ingest::ReadResult::kError) {
      if (row.error.empty() || reader->FormatError(row).find("fuzz:") != 0) std::abort();
      continue;
    }
    const Profile& p = row.profile;
    if (p.id.empty() || p.grade.empty() || p.hits > p.inspections) std::abort();
    for (char c : p.id) {
      auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 && byte != '\n' && byte != '\r' && format == ingest::ProfileFormat::kCsv) {
        std::abort();
      }
    }
    if (!std::is_sorted(p.flags.begin(), p.flags.end()) ||
        std::adjacent_find(p.flags.begin(), p.flags.end()) != p.flags.end()) {
      std::abort();
    }
    for (const std::string& flag : p.flags) {
      if (flag.empty() || flag.find(';') != std::string::npos) std::abort();
    }
  }
  if (reader->Next(&row) != ingest::ReadResult::kEnd) std::abort();  // stays at the end
}

}  // namespace bukong::fuzz

#endif  // BUKONG_FUZZ_PROFILE_FUZZ_H_
