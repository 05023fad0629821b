#include "ingest/profile_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/dates.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "ingest/input_error.h"
#include "ingest/internal/json_support.h"
#include "ingest/internal/text_checks.h"
#include "ingest/line_source.h"

namespace bukong::ingest {
namespace {

namespace od = simdjson::ondemand;
using internal::CounterError;

constexpr int kFieldCount = 6;
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "id", "grade", "registered", "flags", "inspections", "hits"};
enum FieldIndex { kId, kGrade, kRegistered, kFlags, kInspections, kHits };

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

absl::Status JsonError(simdjson::error_code error) {
  return absl::InvalidArgumentError(internal::JsonErrorMessage(error));
}

absl::Status FieldError(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("field '{}': {}", field, what));
}

// The text of a field for a message: quoted and cut, or a note when it is not UTF-8.
std::string Shown(std::string_view text) {
  return internal::IsValidUtf8(text) ? QuoteForMessage(text) : std::string("(invalid UTF-8)");
}

// Checks id, grade and registered and stores them.
absl::Status FillScalars(std::string_view id, std::string_view grade,
                         std::string_view registered, Profile* out) {
  if (id.empty()) return FieldError("id", "empty");
  if (!internal::IsValidUtf8(id)) return FieldError("id", "invalid UTF-8");
  if (grade.empty()) return FieldError("grade", "empty");
  if (!internal::IsIdentifier(grade)) {
    return FieldError("grade", fmt::format("{} is not a grade name (letters, digits and _, not "
                                           "starting with a digit)",
                                           Shown(grade)));
  }
  std::optional<DayNumber> day = ParseIsoDate(registered);
  if (!day) {
    return FieldError("registered",
                      fmt::format("{} is not a date YYYY-MM-DD", Shown(registered)));
  }
  out->id.assign(id);
  out->grade.assign(grade);
  out->registered = *day;
  return absl::OkStatus();
}

// Checks one flag name and stores it as flag number `count`.
absl::Status AddFlag(std::string_view flag, size_t count, Profile* out) {
  if (flag.empty()) return FieldError("flags", "empty flag name");
  if (!internal::IsValidUtf8(flag)) return FieldError("flags", "invalid UTF-8");
  if (flag.find(';') != std::string_view::npos) {
    return FieldError("flags", fmt::format("flag {} contains ';'", QuoteForMessage(flag)));
  }
  // Reuse the strings' buffers from the previous row.
  if (out->flags.size() <= count) out->flags.emplace_back();
  out->flags[count].assign(flag);
  return absl::OkStatus();
}

void FinishFlags(size_t count, Profile* out) {
  out->flags.resize(count);
  if (count > 1) {
    std::sort(out->flags.begin(), out->flags.end());
    out->flags.erase(std::unique(out->flags.begin(), out->flags.end()), out->flags.end());
  }
}

absl::Status CheckHits(const Profile& profile) {
  if (profile.hits > profile.inspections) {
    return FieldError("hits",
                      fmt::format("{} exceeds inspections {}", profile.hits, profile.inspections));
  }
  return absl::OkStatus();
}

// The message for a counter that ParseCounter refused, alike for CSV and JSON Lines.
absl::Status CounterFieldError(FieldIndex field, CounterError error, std::string_view text) {
  switch (error) {
    case CounterError::kTooLarge:
      return FieldError(kFieldNames[field],
                        fmt::format("{} is too large (at most 18446744073709551615)",
                                    QuoteForMessage(text)));
    case CounterError::kLeadingZero:
      return FieldError(kFieldNames[field],
                        fmt::format("expected a non-negative integer without leading zeros, "
                                    "found {}",
                                    QuoteForMessage(text)));
    case CounterError::kNone:
    case CounterError::kNotInteger:
      break;
  }
  return FieldError(kFieldNames[field],
                    fmt::format("expected a non-negative integer, found {}", Shown(text)));
}

absl::Status ParseCsvCounter(FieldIndex field, std::string_view text, uint64_t* out) {
  CounterError error = internal::ParseCounter(text, out);
  if (error == CounterError::kNone) return absl::OkStatus();
  return CounterFieldError(field, error, text);
}

absl::StatusOr<std::unique_ptr<std::istream>> OpenFile(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    return absl::FailedPreconditionError(fmt::format("{}: is a directory", path));
  }
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    int err = errno;
    std::string message = fmt::format("{}: cannot open: {}", path, std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::FailedPreconditionError(message);
  }
  return file;
}

// Sets a row's error from a reader's status.
ReadResult Fail(ProfileRow* row, uint64_t line, const absl::Status& status) {
  row->line = line;
  row->error = Message(status);
  return ReadResult::kError;
}

// ---------------------------------------------------------------------------------------
// CSV

class CsvProfileReader final : public ProfileReader {
 public:
  CsvProfileReader(std::unique_ptr<std::istream> owned, std::istream* in, std::string name,
                   std::string_view prefix, size_t chunk)
      : ProfileReader(std::move(name)), owned_(std::move(owned)), input_(in, chunk, prefix) {}

  ProfileFormat format() const override { return ProfileFormat::kCsv; }

  ReadResult Next(ProfileRow* row) override {
    while (true) {
      if (done_) return ReadResult::kEnd;
      std::string_view record;
      size_t consumed = 0;
      uint32_t newlines = 0;
      bool has_quote = false;
      if (absl::Status s = FindRecord(&record, &consumed, &newlines, &has_quote); !s.ok()) {
        return Fail(row, next_line_, s);
      }
      if (done_ && consumed == 0) {
        if (!header_done_) {
          return Fail(row, next_line_,
                      absl::InvalidArgumentError(fmt::format(
                          "missing header '{}' (the file is empty)", kProfileCsvHeader)));
        }
        return ReadResult::kEnd;
      }
      uint64_t line = next_line_;
      next_line_ += newlines;
      if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
      if (record.empty()) {  // blank line
        input_.Consume(consumed);
        continue;
      }
      row->line = line;
      absl::Status parsed = header_done_ ? ParseRow(record, has_quote, &row->profile)
                                         : ParseHeader(record, has_quote);
      input_.Consume(consumed);
      if (!parsed.ok()) return Fail(row, line, parsed);
      if (!header_done_) {
        header_done_ = true;
        continue;
      }
      return ReadResult::kRow;
    }
  }

 private:
  // Finds the next record in the input: its text without the terminating '\n', the bytes
  // to consume, and the number of line breaks consumed. At the end of input sets done_ with
  // consumed == 0. Fails for a quote left open at the end and for a read error (the error
  // is about the line next_line_).
  absl::Status FindRecord(std::string_view* record, size_t* consumed, uint32_t* newlines,
                          bool* has_quote) {
    while (true) {
      std::string_view data = input_.unread();
      const char* base = data.data();
      size_t n = data.size();
      size_t pos = 0;
      uint32_t breaks = 0;
      bool quoted = false;
      bool in_quotes = false;
      constexpr size_t kNone = static_cast<size_t>(-1);
      size_t last_close = kNone;
      while (true) {
        if (!in_quotes) {
          const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', n - pos));
          size_t end = nl ? static_cast<size_t>(nl - base) : n;
          const char* q = static_cast<const char*>(std::memchr(base + pos, '"', end - pos));
          if (q == nullptr) {
            if (nl != nullptr) {
              *record = data.substr(0, end);
              *consumed = end + 1;
              *newlines = breaks + 1;
              *has_quote = quoted;
              return absl::OkStatus();
            }
            pos = n;
            break;  // need more input
          }
          // A quote opens a quoted field only at the start of a field, or right after a
          // closing quote (a doubled quote inside a quoted field). A stray quote elsewhere is
          // left for Split() to report.
          size_t at = static_cast<size_t>(q - base);
          quoted = true;
          if (at == 0 || base[at - 1] == ',' || (last_close != kNone && at == last_close + 1)) {
            in_quotes = true;
          }
          pos = at + 1;
        } else {
          const char* q = static_cast<const char*>(std::memchr(base + pos, '"', n - pos));
          size_t end = q ? static_cast<size_t>(q - base) : n;
          breaks += static_cast<uint32_t>(std::count(base + pos, base + end, '\n'));
          if (q == nullptr) {
            pos = n;
            break;  // need more input
          }
          in_quotes = false;
          last_close = end;
          pos = end + 1;
        }
      }
      if (input_.Fill()) continue;  // rescan with more bytes
      done_ = true;
      if (!input_.status().ok()) return input_.status();
      // End of input: what is left is the last record, if any.
      data = input_.unread();
      if (data.empty()) {
        *consumed = 0;
        return absl::OkStatus();
      }
      if (in_quotes) {
        input_.Consume(data.size());
        return absl::InvalidArgumentError("unterminated quoted field (a '\"' is never closed)");
      }
      done_ = false;  // deliver this last record; the next call finds nothing
      *record = data;
      *consumed = data.size();
      *newlines = breaks;
      *has_quote = quoted;
      return absl::OkStatus();
    }
  }

  // Splits a record into fields_ (at most kFieldCount kept; *count gets the real number).
  // Fails for a malformed quoted field.
  absl::Status Split(std::string_view record, bool has_quote, size_t* count) {
    size_t n = 0;
    if (!has_quote) {
      size_t start = 0;
      while (true) {
        size_t comma = record.find(',', start);
        std::string_view field = record.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (n < kFieldCount) fields_[n] = field;
        ++n;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      *count = n;
      return absl::OkStatus();
    }
    size_t pos = 0;
    while (true) {
      std::string column =
          n < kFieldCount ? std::string(kFieldNames[n]) : fmt::format("column {}", n + 1);
      if (pos < record.size() && record[pos] == '"') {
        std::string& text = scratch_[std::min<size_t>(n, kFieldCount)];
        text.clear();
        ++pos;
        while (true) {
          size_t q = record.find('"', pos);
          // FindRecord guarantees every quote is closed.
          text.append(record.substr(pos, q - pos));
          if (q + 1 < record.size() && record[q + 1] == '"') {
            text.push_back('"');
            pos = q + 2;
            continue;
          }
          pos = q + 1;
          break;
        }
        if (n < kFieldCount) fields_[n] = text;
        ++n;
        if (pos == record.size()) break;
        if (record[pos] != ',') {
          return FieldError(column, "unexpected text after the closing quote");
        }
        ++pos;
        if (pos == record.size()) {  // trailing comma: one more empty field
          if (n < kFieldCount) fields_[n] = std::string_view();
          ++n;
          break;
        }
      } else {
        size_t comma = record.find(',', pos);
        size_t end = comma == std::string_view::npos ? record.size() : comma;
        std::string_view field = record.substr(pos, end - pos);
        if (field.find('"') != std::string_view::npos) {
          return FieldError(column,
                            "quote inside an unquoted field (quote the whole field and "
                            "double the quote: \"a\"\"b\")");
        }
        if (n < kFieldCount) fields_[n] = field;
        ++n;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
        if (pos == record.size()) {
          if (n < kFieldCount) fields_[n] = std::string_view();
          ++n;
          break;
        }
      }
    }
    *count = n;
    return absl::OkStatus();
  }

  absl::Status ParseHeader(std::string_view record, bool has_quote) {
    size_t count = 0;
    bool ok = Split(record, has_quote, &count).ok() && count == kFieldCount;
    for (int i = 0; i < kFieldCount && ok; ++i) ok = fields_[i] == kFieldNames[i];
    if (ok) return absl::OkStatus();
    // Without the right header no row can be trusted.
    done_ = true;
    return absl::InvalidArgumentError(
        fmt::format("the header must be exactly '{}', found {}", kProfileCsvHeader,
                    internal::IsValidUtf8(record) ? QuoteForMessage(record, 120)
                                                  : std::string("a line that is not valid UTF-8")));
  }

  absl::Status ParseRow(std::string_view record, bool has_quote, Profile* out) {
    size_t count = 0;
    BUKONG_RETURN_IF_ERROR(Split(record, has_quote, &count));
    if (count != kFieldCount) {
      return absl::InvalidArgumentError(
          fmt::format("expected {} fields ({}), found {}", kFieldCount, kProfileCsvHeader, count));
    }
    // As strict as JSON Lines, which cannot hold these raw: a NUL or another control
    // character (a line break may sit inside a quoted field, as RFC 4180 allows).
    for (int i = 0; i < kFieldCount; ++i) {
      size_t at = internal::FindControlCharacter(fields_[i]);
      if (at != std::string_view::npos) {
        return FieldError(kFieldNames[i],
                          fmt::format("control character {} at byte {} (not allowed in a field)",
                                      QuoteForMessage(fields_[i].substr(at, 1)), at + 1));
      }
    }
    BUKONG_RETURN_IF_ERROR(
        FillScalars(fields_[kId], fields_[kGrade], fields_[kRegistered], out));
    size_t flags = 0;
    std::string_view list = fields_[kFlags];
    if (!list.empty()) {
      size_t start = 0;
      while (true) {
        size_t semi = list.find(';', start);
        std::string_view flag = list.substr(
            start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
        if (flag.empty()) {
          return FieldError("flags", fmt::format("empty flag name in {}",
                                                 internal::IsValidUtf8(list)
                                                     ? QuoteForMessage(list)
                                                     : std::string("the list")));
        }
        BUKONG_RETURN_IF_ERROR(AddFlag(flag, flags, out));
        ++flags;
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
    }
    FinishFlags(flags, out);
    BUKONG_RETURN_IF_ERROR(ParseCsvCounter(kInspections, fields_[kInspections], &out->inspections));
    BUKONG_RETURN_IF_ERROR(ParseCsvCounter(kHits, fields_[kHits], &out->hits));
    return CheckHits(*out);
  }

  std::unique_ptr<std::istream> owned_;
  InputBuffer input_;
  uint64_t next_line_ = 1;  // physical line number of the first unread byte
  bool header_done_ = false;
  bool done_ = false;
  std::array<std::string_view, kFieldCount> fields_;
  std::array<std::string, kFieldCount + 1> scratch_;  // unescaped quoted fields
};

// ---------------------------------------------------------------------------------------
// JSON Lines

class ProfileJsonParser {
 public:
  absl::Status Parse(std::string_view line, Profile* out) {
    od::document doc;
    if (auto error = padded_.Iterate(parser_, line).get(doc)) {
      return JsonError(error);
    }
    od::object object;
    if (auto error = doc.get_object().get(object)) {
      return absl::InvalidArgumentError(internal::ObjectErrorMessage(error, line));
    }
    std::string_view whole;
    if (auto error = object.raw_json().get(whole)) return JsonError(error);
    if (!internal::OnlyWhitespaceAfter(padded_.text(), whole)) {
      return absl::InvalidArgumentError("unexpected text after the JSON object");
    }
    if (auto error = object.reset().error()) return JsonError(error);

    std::string_view text[kFieldCount];
    uint32_t seen = 0;
    size_t flags = 0;
    for (auto field_result : object) {
      od::field field;
      if (auto error = std::move(field_result).get(field)) return JsonError(error);
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) return JsonError(error);
      int index = -1;
      for (int i = 0; i < kFieldCount; ++i) {
        if (key == kFieldNames[i]) index = i;
      }
      if (index < 0) {
        return absl::InvalidArgumentError(fmt::format("unknown key {} (a profile has the keys {})",
                                                      QuoteForMessage(key), kProfileCsvHeader));
      }
      if (seen & (1u << index)) {
        return absl::InvalidArgumentError(fmt::format("repeated key '{}'", key));
      }
      seen |= 1u << index;
      od::value value = field.value();
      od::json_type type;
      if (auto error = value.type().get(type)) return JsonError(error);
      switch (index) {
        case kId:
        case kGrade:
        case kRegistered: {
          if (type != od::json_type::string) {
            return FieldError(kFieldNames[index], fmt::format("expected a string, found {}",
                                                              internal::JsonTypeName(type)));
          }
          // Copy: the parser's string buffer is reused for later strings.
          std::string_view s;
          if (auto error = value.get_string().get(s)) return JsonError(error);
          strings_[index].assign(s);
          text[index] = strings_[index];
          break;
        }
        case kFlags: {
          if (type != od::json_type::array) {
            return FieldError("flags", fmt::format("expected an array of strings, found {}",
                                                   internal::JsonTypeName(type)));
          }
          od::array array;
          if (auto error = value.get_array().get(array)) return JsonError(error);
          for (auto element : array) {
            od::value item;
            if (auto error = std::move(element).get(item)) return JsonError(error);
            od::json_type item_type;
            if (auto error = item.type().get(item_type)) return JsonError(error);
            if (item_type != od::json_type::string) {
              return FieldError("flags", fmt::format("expected an array of strings, found {} "
                                                     "in it",
                                                     internal::JsonTypeName(item_type)));
            }
            std::string_view s;
            if (auto error = item.get_string().get(s)) return JsonError(error);
            BUKONG_RETURN_IF_ERROR(AddFlag(s, flags, out));
            ++flags;
          }
          break;
        }
        case kInspections:
        case kHits: {
          uint64_t* target = index == kHits ? &out->hits : &out->inspections;
          if (type != od::json_type::number) {
            return FieldError(kFieldNames[index],
                              fmt::format("expected a non-negative integer, found {}",
                                          internal::JsonTypeName(type)));
          }
          std::string_view raw = internal::TrimJsonToken(value.raw_json_token());
          simdjson::error_code error = value.get_uint64().get(*target);
          if (error == simdjson::NUMBER_OUT_OF_RANGE) {
            return CounterFieldError(static_cast<FieldIndex>(index), CounterError::kTooLarge, raw);
          }
          if (error) {
            return CounterFieldError(static_cast<FieldIndex>(index),
                                     internal::ParseCounter(raw, target), raw);
          }
          break;
        }
      }
    }
    for (int i = 0; i < kFieldCount; ++i) {
      if (!(seen & (1u << i))) {
        return absl::InvalidArgumentError(fmt::format("missing field '{}'", kFieldNames[i]));
      }
    }
    BUKONG_RETURN_IF_ERROR(FillScalars(text[kId], text[kGrade], text[kRegistered], out));
    FinishFlags(flags, out);
    return CheckHits(*out);
  }

 private:
  od::parser parser_;
  internal::PaddedLine padded_;
  std::array<std::string, kFieldCount> strings_;
};

class JsonProfileReader final : public ProfileReader {
 public:
  JsonProfileReader(std::unique_ptr<std::istream> owned, std::istream* in, std::string name,
                    std::string_view prefix, size_t chunk)
      : ProfileReader(std::move(name)),
        owned_(std::move(owned)),
        lines_(in, chunk, prefix, InputBuffer::kDefaultMaxRecord) {}

  ProfileFormat format() const override { return ProfileFormat::kJsonLines; }

  ReadResult Next(ProfileRow* row) override {
    if (done_) return ReadResult::kEnd;
    std::string_view line;
    uint64_t number = 0;
    while (lines_.Next(&line, &number)) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      row->line = number;
      if (absl::Status s = parser_.Parse(line, &row->profile); !s.ok()) {
        return Fail(row, number, s);
      }
      return ReadResult::kRow;
    }
    done_ = true;
    if (!lines_.status().ok()) return Fail(row, lines_.line_number() + 1, lines_.status());
    return ReadResult::kEnd;
  }

 private:
  std::unique_ptr<std::istream> owned_;
  LineReader lines_;
  ProfileJsonParser parser_;
  bool done_ = false;
};

bool EndsWithCaseless(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text = text.substr(text.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<ProfileFormat> ProfileFormatFromName(std::string_view file_name) {
  if (EndsWithCaseless(file_name, ".csv")) return ProfileFormat::kCsv;
  if (EndsWithCaseless(file_name, ".jsonl") || EndsWithCaseless(file_name, ".ndjson") ||
      EndsWithCaseless(file_name, ".json")) {
    return ProfileFormat::kJsonLines;
  }
  return std::nullopt;
}

ProfileFormat SniffProfileFormat(std::string_view head) {
  if (head.substr(0, kUtf8Bom.size()) == kUtf8Bom) head.remove_prefix(kUtf8Bom.size());
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '{') return ProfileFormat::kJsonLines;
  return ProfileFormat::kCsv;
}

namespace {

std::unique_ptr<ProfileReader> MakeReader(std::unique_ptr<std::istream> owned, std::istream* in,
                                          std::string name, std::optional<ProfileFormat> format,
                                          size_t chunk) {
  std::string head;
  if (!format) {
    // Sniff the first bytes; they are handed to the reader as a prefix, so this works on
    // pipes too (no seeking).
    head.resize(4096);
    in->read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in->gcount()));
    format = SniffProfileFormat(head);
  }
  if (*format == ProfileFormat::kCsv) {
    return std::make_unique<CsvProfileReader>(std::move(owned), in, std::move(name), head, chunk);
  }
  return std::make_unique<JsonProfileReader>(std::move(owned), in, std::move(name), head, chunk);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProfileReader>> ProfileReader::Open(const std::string& path) {
  BUKONG_ASSIGN_OR_RETURN(std::unique_ptr<std::istream> file, OpenFile(path));
  std::istream* in = file.get();
  return MakeReader(std::move(file), in, path, ProfileFormatFromName(path),
                    InputBuffer::kDefaultChunk);
}

std::unique_ptr<ProfileReader> ProfileReader::FromStream(std::istream* in, std::string name,
                                                         std::optional<ProfileFormat> format,
                                                         size_t chunk) {
  return MakeReader(nullptr, in, std::move(name), format, chunk);
}

std::string ProfileReader::FormatError(const ProfileRow& row) const {
  return FormatInputError(name_, row.line, row.error);
}

}  // namespace bukong::ingest
