// libFuzzer target: any bytes as a list file (`bukong lists import`, SPEC §7.1), through
// ingest::ReadList. The first byte picks the list's type (its value modulo 4: 0 enterprise,
// 1 country, 2 port, 3 hs; the seeds start with the digit), the rest is the file.
// Promises checked (ingest/list_reader.h):
//   - reading a string never fails (a non-OK status is only for I/O);
//   - a list exactly when there is no error (all or nothing);
//   - every error is `fuzz:LINE: error: MESSAGE`, LINE inside the file, in file order;
//   - the entries are distinct, sorted bytewise, non-empty, trimmed, without `#`, each
//     accepted again by CheckListEntry unchanged (country: two capitals; hs: 2-10 digits);
//   - the digest is ListDigest(entries), 64 lower-case hex digits;
//   - the entries written back one a line, in reverse order with a comment after each, read
//     back to the same entries and the same digest (order, comments and repeats do not count).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "ingest/list_reader.h"

namespace {

using bukong::ingest::ListContent;
using bukong::ingest::ListReadResult;
using bukong::ingest::ListType;

ListReadResult Read(const std::string& text, ListType type) {
  std::istringstream in(text);
  auto r = bukong::ingest::ReadList(&in, "fuzz", type);
  if (!r.ok()) std::abort();  // a string stream cannot fail to read
  return *std::move(r);
}

// "fuzz:LINE: error: " with 1 <= LINE <= lines; returns LINE, or 0 when malformed.
uint64_t ErrorLine(std::string_view error, uint64_t lines) {
  constexpr std::string_view kPrefix = "fuzz:";
  if (!error.starts_with(kPrefix)) return 0;
  error.remove_prefix(kPrefix.size());
  uint64_t line = 0;
  size_t i = 0;
  for (; i < error.size() && i < 20 && error[i] >= '0' && error[i] <= '9'; ++i) {
    line = line * 10 + static_cast<uint64_t>(error[i] - '0');
  }
  error.remove_prefix(i);
  constexpr std::string_view kError = ": error: ";
  if (!error.starts_with(kError) || error.size() == kError.size()) return 0;
  return line >= 1 && line <= lines ? line : 0;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto type = static_cast<ListType>(data[0] % 4);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const uint64_t physical_lines = 1 + std::count(text.begin(), text.end(), '\n');

  const ListReadResult r = Read(text, type);
  if (r.ok() != r.errors.empty()) std::abort();
  uint64_t previous = 0;
  for (const std::string& e : r.errors) {
    const uint64_t line = ErrorLine(e, physical_lines);
    if (line == 0 || line < previous) std::abort();
    previous = line;
  }
  if (!r.ok()) return 0;

  const ListContent& list = *r.list;
  if (list.type != type || list.lines > physical_lines) std::abort();
  if (list.entries.size() + list.repeated > list.lines) std::abort();
  if (list.digest.size() != 64 || !IsLowerHex(list.digest)) std::abort();
  if (list.digest != bukong::ingest::ListDigest(list.entries)) std::abort();
  for (size_t i = 0; i < list.entries.size(); ++i) {
    const std::string& e = list.entries[i];
    if (i > 0 && !(list.entries[i - 1] < e)) std::abort();  // sorted and distinct
    if (e.empty() || e.find('#') != std::string::npos || e.find('\n') != std::string::npos) {
      std::abort();
    }
    if (e.front() == ' ' || e.front() == '\t' || e.back() == ' ' || e.back() == '\t') std::abort();
    const auto again = bukong::ingest::CheckListEntry(type, e);
    if (!again.error.empty() || again.entry != e) std::abort();
    if (type == ListType::kCountry && e.size() != 2) std::abort();
    if (type == ListType::kHs &&
        (!std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
         e.size() % 2 != 0 || e.size() > 10)) {
      std::abort();
    }
  }

  // Written back in another order, with comments and a repeat: the same list.
  std::string back = "# written back\n";
  for (auto it = list.entries.rbegin(); it != list.entries.rend(); ++it) {
    back += "  " + *it + "\t# entry\n";
  }
  if (!list.entries.empty()) back += list.entries.front() + "\n";
  const ListReadResult again = Read(back, type);
  if (!again.ok() || again.list->entries != list.entries || again.list->digest != list.digest) {
    std::abort();
  }
  return 0;
}
