#include "ingest/list_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "core/sha256.h"
#include "ingest/input_error.h"
#include "ingest/internal/text_checks.h"
#include "ingest/line_source.h"

namespace bukong::ingest {

namespace {

constexpr std::string_view kTypeNames[] = {"enterprise", "country", "port", "hs"};
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string_view TrimSpacesAndTabs(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsCountry(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

}  // namespace

std::string_view ListTypeName(ListType type) { return kTypeNames[static_cast<int>(type)]; }

std::optional<ListType> ListTypeFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<ListType>(i);
  }
  return std::nullopt;
}

ListEntryCheck CheckListEntry(ListType type, std::string_view text) {
  ListEntryCheck out;
  switch (type) {
    case ListType::kEnterprise:
    case ListType::kPort:
      // Any text, but one line of it: a control character (a carriage return left by CR-only
      // or doubled CRLF line endings, a tab inside) would make an entry that no declaration
      // names and that prints blank, so it is an error rather than a silent non-match.
      if (std::any_of(text.begin(), text.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte < 0x20 || byte == 0x7F;
          })) {
        out.error = fmt::format("{} contains a control character: {} list entry is one line "
                                "of text (is the file in CR-only line endings?)",
                                QuoteForMessage(text),
                                type == ListType::kPort ? "a port" : "an enterprise");
      } else {
        out.entry = std::string(text);
      }
      break;
    case ListType::kCountry:
      if (!IsCountry(text)) {
        out.error = fmt::format("{} is not a country: a country list entry is two ASCII "
                                "capital letters (ISO 3166 alpha-2, e.g. KP)",
                                QuoteForMessage(text));
      } else {
        out.entry = std::string(text);
      }
      break;
    case ListType::kHs: {
      std::string digits;
      bool only_digits_and_dots = true;
      for (char c : text) {
        if (c >= '0' && c <= '9') {
          digits += c;
        } else if (c != '.') {
          only_digits_and_dots = false;
        }
      }
      const size_t n = digits.size();
      if (!only_digits_and_dots || !(n == 2 || n == 4 || n == 6 || n == 8 || n == 10)) {
        out.error = fmt::format("{} is not an HS code: an hs list entry is digits and dots with "
                                "2, 4, 6, 8 or 10 digits",
                                QuoteForMessage(text));
      } else {
        out.entry = std::move(digits);
      }
      break;
    }
  }
  return out;
}

std::string ListDigest(const std::vector<std::string>& entries) {
  Sha256Hasher hasher;
  for (const auto& e : entries) {
    hasher.Update(e);
    hasher.Update("\n");
  }
  return ToHex(hasher.Finish());
}

absl::StatusOr<ListReadResult> ReadList(std::istream* in, std::string_view name, ListType type) {
  ListReadResult result;
  ListContent content;
  content.type = type;
  LineReader reader(in);
  std::string_view line;
  uint64_t number = 0;
  while (reader.Next(&line, &number)) {
    if (number == 1 && line.starts_with(kByteOrderMark)) line.remove_prefix(kByteOrderMark.size());
    if (!internal::IsValidUtf8(line)) {
      result.errors.push_back(FormatInputError(name, number, "the line is not valid UTF-8"));
      continue;
    }
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = TrimSpacesAndTabs(line);
    if (line.empty()) continue;
    ListEntryCheck checked = CheckListEntry(type, line);
    if (!checked.error.empty()) {
      result.errors.push_back(FormatInputError(name, number, checked.error));
      continue;
    }
    // Once a bad entry was found nothing will be imported: keep only counting lines.
    if (result.errors.empty()) content.entries.push_back(std::move(checked.entry));
  }
  if (!reader.status().ok()) {
    return absl::DataLossError(
        FormatInputError(name, reader.line_number() + 1, std::string(reader.status().message())));
  }
  content.lines = reader.line_number();
  if (!result.errors.empty()) return result;
  std::sort(content.entries.begin(), content.entries.end());
  const auto last = std::unique(content.entries.begin(), content.entries.end());
  content.repeated = static_cast<uint64_t>(content.entries.end() - last);
  content.entries.erase(last, content.entries.end());
  content.entries.shrink_to_fit();
  content.digest = ListDigest(content.entries);
  result.list = std::move(content);
  return result;
}

absl::StatusOr<ListReadResult> ReadListFile(const std::string& path, ListType type) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(FormatInputError(path, 0, "cannot open the file"));
  return ReadList(&in, path, type);
}

}  // namespace bukong::ingest
