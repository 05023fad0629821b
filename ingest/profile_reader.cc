#include "ingest/profile_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/dates.h"
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

std::string FieldError(std::string_view field, std::string_view what) {
  return fmt::format("field '{}': {}", field, what);
}

// Checks id, grade and registered and stores them. Returns false with *error set.
bool FillScalars(std::string_view id, std::string_view grade, std::string_view registered,
                 Profile* out, std::string* error) {
  if (id.empty()) {
    *error = FieldError("id", "empty");
    return false;
  }
  if (!internal::IsValidUtf8(id)) {
    *error = FieldError("id", "invalid UTF-8");
    return false;
  }
  if (grade.empty()) {
    *error = FieldError("grade", "empty");
    return false;
  }
  if (!internal::IsIdentifier(grade)) {
    *error = FieldError("grade",
                        fmt::format("{} is not a grade name (letters, digits and _, not starting "
                                    "with a digit)",
                                    internal::IsValidUtf8(grade) ? QuoteForMessage(grade)
                                                                 : std::string("(invalid UTF-8)")));
    return false;
  }
  std::optional<DayNumber> day = ParseIsoDate(registered);
  if (!day) {
    *error = FieldError("registered", fmt::format("{} is not a date YYYY-MM-DD",
                                                  internal::IsValidUtf8(registered)
                                                      ? QuoteForMessage(registered)
                                                      : std::string("(invalid UTF-8)")));
    return false;
  }
  out->id.assign(id);
  out->grade.assign(grade);
  out->registered = *day;
  return true;
}

// Checks one flag name and appends it. Returns false with *error set.
bool AddFlag(std::string_view flag, size_t count, Profile* out, std::string* error) {
  if (flag.empty()) {
    *error = FieldError("flags", "empty flag name");
    return false;
  }
  if (!internal::IsValidUtf8(flag)) {
    *error = FieldError("flags", "invalid UTF-8");
    return false;
  }
  if (flag.find(';') != std::string_view::npos) {
    *error = FieldError("flags", fmt::format("flag {} contains ';'", QuoteForMessage(flag)));
    return false;
  }
  // Reuse the strings' buffers from the previous row.
  if (out->flags.size() <= count) out->flags.emplace_back();
  out->flags[count].assign(flag);
  return true;
}

void FinishFlags(size_t count, Profile* out) {
  out->flags.resize(count);
  if (count > 1) {
    std::sort(out->flags.begin(), out->flags.end());
    out->flags.erase(std::unique(out->flags.begin(), out->flags.end()), out->flags.end());
  }
}

bool CheckHits(Profile* out, std::string* error) {
  if (out->hits > out->inspections) {
    *error =
        FieldError("hits", fmt::format("{} exceeds inspections {}", out->hits, out->inspections));
    return false;
  }
  return true;
}

bool ParseCsvCounter(FieldIndex field, std::string_view text, uint64_t* out, std::string* error) {
  switch (internal::ParseCounter(text, out)) {
    case CounterError::kNone:
      return true;
    case CounterError::kNotInteger:
      *error =
          FieldError(kFieldNames[field],
                     fmt::format("expected a non-negative integer, found {}",
                                 internal::IsValidUtf8(text) ? QuoteForMessage(text)
                                                             : std::string("(invalid UTF-8)")));
      return false;
    case CounterError::kTooLarge:
      *error = FieldError(
          kFieldNames[field],
          fmt::format("{} is too large (at most 18446744073709551615)", QuoteForMessage(text)));
      return false;
  }
  return false;
}

std::unique_ptr<std::istream> OpenFile(const std::string& path, absl::Status* status) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    *status = absl::FailedPreconditionError(fmt::format("{}: is a directory", path));
    return nullptr;
  }
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    int err = errno;
    std::string message = fmt::format("{}: cannot open: {}", path, std::strerror(err));
    *status = err == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
    return nullptr;
  }
  return file;
}

// ---------------------------------------------------------------------------------------
// CSV

class CsvProfileReader final : public ProfileReader {
 public:
  CsvProfileReader(std::unique_ptr<std::istream> owned, std::istream* in, std::string name,
                   std::string_view prefix)
      : ProfileReader(std::move(name)),
        owned_(std::move(owned)),
        input_(in, InputBuffer::kDefaultChunk, prefix) {}

  ProfileFormat format() const override { return ProfileFormat::kCsv; }

  ReadResult Next(ProfileRow* row) override {
    while (true) {
      if (done_) return ReadResult::kEnd;
      std::string_view record;
      size_t consumed = 0;
      uint32_t newlines = 0;
      bool has_quote = false;
      if (!FindRecord(&record, &consumed, &newlines, &has_quote, row)) return ReadResult::kError;
      if (done_ && consumed == 0) {
        if (!header_done_) {
          row->line = next_line_;
          row->error = fmt::format("missing header '{}' (the file is empty)", kProfileCsvHeader);
          return ReadResult::kError;
        }
        return ReadResult::kEnd;
      }
      uint64_t line = next_line_;
      next_line_ += newlines;
      if (!header_done_ && line == 1 && record.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
        record.remove_prefix(kUtf8Bom.size());
      }
      if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
      if (record.empty()) {  // blank line
        input_.Consume(consumed);
        continue;
      }
      row->line = line;
      bool ok =
          header_done_ ? ParseRow(record, has_quote, row) : ParseHeader(record, has_quote, row);
      input_.Consume(consumed);
      if (!ok) return ReadResult::kError;
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
  // consumed == 0. Returns false (with row->error) for a quote left open at the end.
  bool FindRecord(std::string_view* record, size_t* consumed, uint32_t* newlines, bool* has_quote,
                  ProfileRow* row) {
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
              return true;
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
      if (!input_.status().ok()) {
        row->line = next_line_;
        row->error = std::string(input_.status().message());
        return false;
      }
      // End of input: what is left is the last record, if any.
      data = input_.unread();
      if (data.empty()) {
        *consumed = 0;
        return true;
      }
      if (in_quotes) {
        row->line = next_line_;
        row->error = "unterminated quoted field (a '\"' is never closed)";
        input_.Consume(data.size());
        return false;
      }
      done_ = false;  // deliver this last record; the next call finds nothing
      *record = data;
      *consumed = data.size();
      *newlines = breaks;
      *has_quote = quoted;
      return true;
    }
  }

  // Splits a record into fields_ (at most kFieldCount kept; *count gets the real number).
  // Returns false with *error for a malformed quoted field.
  bool Split(std::string_view record, bool has_quote, size_t* count, std::string* error) {
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
      return true;
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
          *error = FieldError(column, "unexpected text after the closing quote");
          return false;
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
          *error = FieldError(column,
                              "quote inside an unquoted field (quote the whole field and "
                              "double the quote: \"a\"\"b\")");
          return false;
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
    return true;
  }

  bool ParseHeader(std::string_view record, bool has_quote, ProfileRow* row) {
    size_t count = 0;
    bool ok = Split(record, has_quote, &count, &row->error);
    if (ok && count == kFieldCount) {
      for (int i = 0; i < kFieldCount && ok; ++i) ok = fields_[i] == kFieldNames[i];
    } else {
      ok = false;
    }
    if (!ok) {
      row->error = fmt::format("the header must be exactly '{}', found {}", kProfileCsvHeader,
                               internal::IsValidUtf8(record)
                                   ? QuoteForMessage(record, 120)
                                   : std::string("a line that is not valid UTF-8"));
      // Without the right header no row can be trusted.
      done_ = true;
    }
    return ok;
  }

  bool ParseRow(std::string_view record, bool has_quote, ProfileRow* row) {
    size_t count = 0;
    if (!Split(record, has_quote, &count, &row->error)) return false;
    if (count != kFieldCount) {
      row->error =
          fmt::format("expected {} fields ({}), found {}", kFieldCount, kProfileCsvHeader, count);
      return false;
    }
    Profile* out = &row->profile;
    if (!FillScalars(fields_[kId], fields_[kGrade], fields_[kRegistered], out, &row->error)) {
      return false;
    }
    size_t flags = 0;
    std::string_view list = fields_[kFlags];
    if (!list.empty()) {
      size_t start = 0;
      while (true) {
        size_t semi = list.find(';', start);
        std::string_view flag = list.substr(
            start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
        if (flag.empty()) {
          row->error = FieldError(
              "flags", fmt::format("empty flag name in {}", internal::IsValidUtf8(list)
                                                                ? QuoteForMessage(list)
                                                                : std::string("the list")));
          return false;
        }
        if (!AddFlag(flag, flags, out, &row->error)) return false;
        ++flags;
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
    }
    FinishFlags(flags, out);
    if (!ParseCsvCounter(kInspections, fields_[kInspections], &out->inspections, &row->error) ||
        !ParseCsvCounter(kHits, fields_[kHits], &out->hits, &row->error)) {
      return false;
    }
    return CheckHits(out, &row->error);
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
  std::optional<std::string> Parse(std::string_view line, Profile* out) {
    od::document doc;
    if (auto error = padded_.Iterate(parser_, line).get(doc)) {
      return internal::JsonErrorMessage(error);
    }
    od::object object;
    if (auto error = doc.get_object().get(object)) {
      return internal::ObjectErrorMessage(error, line);
    }
    std::string_view whole;
    if (auto error = object.raw_json().get(whole)) return internal::JsonErrorMessage(error);
    if (!internal::OnlyWhitespaceAfter(padded_.text(), whole)) {
      return std::string("unexpected text after the JSON object");
    }
    if (auto error = object.reset().error()) return internal::JsonErrorMessage(error);

    std::string error_text;
    std::string_view text[kFieldCount];
    uint32_t seen = 0;
    size_t flags = 0;
    for (auto field_result : object) {
      od::field field;
      if (auto error = std::move(field_result).get(field)) return internal::JsonErrorMessage(error);
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) return internal::JsonErrorMessage(error);
      int index = -1;
      for (int i = 0; i < kFieldCount; ++i) {
        if (key == kFieldNames[i]) index = i;
      }
      if (index < 0) {
        return fmt::format("unknown key {} (a profile has the keys {})", QuoteForMessage(key),
                           kProfileCsvHeader);
      }
      if (seen & (1u << index)) return fmt::format("repeated key '{}'", key);
      seen |= 1u << index;
      od::value value = field.value();
      od::json_type type;
      if (auto error = value.type().get(type)) return internal::JsonErrorMessage(error);
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
          if (auto error = value.get_string().get(s)) return internal::JsonErrorMessage(error);
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
          if (auto error = value.get_array().get(array)) return internal::JsonErrorMessage(error);
          for (auto element : array) {
            od::value item;
            if (auto error = std::move(element).get(item)) return internal::JsonErrorMessage(error);
            od::json_type item_type;
            if (auto error = item.type().get(item_type)) return internal::JsonErrorMessage(error);
            if (item_type != od::json_type::string) {
              return FieldError("flags", fmt::format("expected an array of strings, found {} "
                                                     "in it",
                                                     internal::JsonTypeName(item_type)));
            }
            std::string_view s;
            if (auto error = item.get_string().get(s)) return internal::JsonErrorMessage(error);
            if (!AddFlag(s, flags, out, &error_text)) return error_text;
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
          if (error == simdjson::NUMBER_OUT_OF_RANGE ||
              (error && internal::ParseCounter(raw, target) == CounterError::kTooLarge)) {
            return FieldError(kFieldNames[index],
                              fmt::format("{} is too large (at most 18446744073709551615)",
                                          QuoteForMessage(raw)));
          }
          if (error) {
            return FieldError(
                kFieldNames[index],
                fmt::format("expected a non-negative integer, found {}", QuoteForMessage(raw)));
          }
          break;
        }
      }
    }
    for (int i = 0; i < kFieldCount; ++i) {
      if (!(seen & (1u << i))) return fmt::format("missing field '{}'", kFieldNames[i]);
    }
    if (!FillScalars(text[kId], text[kGrade], text[kRegistered], out, &error_text)) {
      return error_text;
    }
    FinishFlags(flags, out);
    if (!CheckHits(out, &error_text)) return error_text;
    return std::nullopt;
  }

 private:
  od::parser parser_;
  internal::PaddedLine padded_;
  std::array<std::string, kFieldCount> strings_;
};

class JsonProfileReader final : public ProfileReader {
 public:
  JsonProfileReader(std::unique_ptr<std::istream> owned, std::istream* in, std::string name,
                    std::string_view prefix)
      : ProfileReader(std::move(name)),
        owned_(std::move(owned)),
        lines_(in, InputBuffer::kDefaultChunk, prefix) {}

  ProfileFormat format() const override { return ProfileFormat::kJsonLines; }

  ReadResult Next(ProfileRow* row) override {
    if (done_) return ReadResult::kEnd;
    std::string_view line;
    uint64_t number = 0;
    while (lines_.Next(&line, &number)) {
      if (number == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
        line.remove_prefix(kUtf8Bom.size());
      }
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      row->line = number;
      if (auto error = parser_.Parse(line, &row->profile)) {
        row->error = std::move(*error);
        return ReadResult::kError;
      }
      return ReadResult::kRow;
    }
    done_ = true;
    if (!lines_.status().ok()) {
      row->line = lines_.line_number() + 1;
      row->error = std::string(lines_.status().message());
      return ReadResult::kError;
    }
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
                                          std::string name, std::optional<ProfileFormat> format) {
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
    return std::make_unique<CsvProfileReader>(std::move(owned), in, std::move(name), head);
  }
  return std::make_unique<JsonProfileReader>(std::move(owned), in, std::move(name), head);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProfileReader>> ProfileReader::Open(const std::string& path) {
  absl::Status status;
  std::unique_ptr<std::istream> file = OpenFile(path, &status);
  if (!file) return status;
  std::istream* in = file.get();
  return MakeReader(std::move(file), in, path, ProfileFormatFromName(path));
}

std::unique_ptr<ProfileReader> ProfileReader::FromStream(std::istream* in, std::string name,
                                                         std::optional<ProfileFormat> format) {
  return MakeReader(nullptr, in, std::move(name), format);
}

std::string ProfileReader::FormatError(const ProfileRow& row) const {
  return FormatInputError(name_, row.line, row.error);
}

std::optional<std::string> ParseProfileJsonLine(std::string_view line, Profile* out) {
  ProfileJsonParser parser;
  return parser.Parse(line, out);
}

}  // namespace bukong::ingest
