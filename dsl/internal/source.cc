#include "dsl/internal/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace bukong::dsl::internal {

int DecodeUtf8(std::string_view text, size_t i, char32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  int length;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;  // continuation byte or 0xF8..0xFF
  }
  if (i + length > text.size()) return 0;
  for (int k = 1; k < length; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

int DisplayWidth(char32_t cp) {
  // East Asian Width W and F (Unicode 15), merged into ranges; enough for a caret.
  static constexpr char32_t kWide[][2] = {
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
      {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
      {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
      {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
      {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F300, 0x1F64F},
      {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
  };
  if (cp < 0x1100) return 1;
  auto it = std::upper_bound(std::begin(kWide), std::end(kWide), cp,
                             [](char32_t c, const char32_t(&range)[2]) { return c < range[0]; });
  if (it == std::begin(kWide)) return 1;
  --it;
  return cp <= (*it)[1] ? 2 : 1;
}

namespace {

// Whether the bytes that are not UTF-8 read as GBK / GB18030 double-byte characters (lead
// 0x81-0xFE, trail 0x40-0xFE except 0x7F) — Chinese text saved in the Windows code page.
bool LooksLikeGbk(std::string_view source, size_t* invalid) {
  size_t i = 0, pairs = 0, others = 0;
  *invalid = 0;
  while (i < source.size()) {
    unsigned char b = static_cast<unsigned char>(source[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    int length = DecodeUtf8(source, i, &cp);
    if (length > 0) {
      i += length;  // valid UTF-8 here; in GBK text such runs are rare and short
      continue;
    }
    ++*invalid;
    unsigned char next = i + 1 < source.size() ? static_cast<unsigned char>(source[i + 1]) : 0;
    if (b >= 0x81 && b <= 0xFE && next >= 0x40 && next <= 0xFE && next != 0x7F) {
      ++pairs;
      i += 2;
    } else {
      ++others;
      ++i;
    }
  }
  return pairs >= 2 && others * 10 <= pairs;
}

}  // namespace

std::vector<EncodingProblem> FindEncodingProblems(std::string_view source, size_t limit) {
  std::vector<EncodingProblem> problems;
  size_t invalid = 0;
  if (LooksLikeGbk(source, &invalid)) {
    // One error, not one per Chinese character.
    for (size_t i = 0; i < source.size();) {
      char32_t cp;
      unsigned char b = static_cast<unsigned char>(source[i]);
      int length = b < 0x80 ? 1 : DecodeUtf8(source, i, &cp);
      if (length > 0) {
        i += static_cast<size_t>(length);
        continue;
      }
      {
        problems.push_back(
            {static_cast<uint32_t>(i),
             fmt::format("the file is not UTF-8: it looks like GBK/GB18030 (byte 0x{:02x} here, "
                         "{} invalid bytes in all); save it as UTF-8 and check again",
                         b, invalid)});
        break;
      }
    }
    return problems;
  }
  size_t i = 0;
  while (i < source.size() && problems.size() < limit) {
    unsigned char b = static_cast<unsigned char>(source[i]);
    if (b == 0) {
      problems.push_back({static_cast<uint32_t>(i), "NUL byte in source"});
      ++i;
      continue;
    }
    if (b < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    int length = DecodeUtf8(source, i, &cp);
    if (length == 0) {
      problems.push_back(
          {static_cast<uint32_t>(i), fmt::format("invalid UTF-8 (byte 0x{:02x})", b)});
      ++i;
      continue;
    }
    i += length;
  }
  return problems;
}

void LineColumnFinder::Find(uint32_t offset, uint32_t* line, uint32_t* column) {
  size_t target = std::min<size_t>(offset, source_.size());
  if (target < counted_to_) {  // not expected; restart rather than be wrong
    line_start_ = 0, line_ = 1, counted_to_ = 0, column_ = 1;
  }
  // Move to the line holding target.
  for (;;) {
    size_t newline = source_.find('\n', counted_to_);
    if (newline == std::string_view::npos || newline >= target) break;
    line_start_ = newline + 1;
    ++line_;
    counted_to_ = line_start_;
    column_ = 1;
  }
  // Count code points from counted_to_ to target.
  size_t i = counted_to_;
  while (i < target) {
    char32_t cp;
    int length = DecodeUtf8(source_, i, &cp);
    i += length == 0 ? 1 : length;
    ++column_;
  }
  counted_to_ = std::max(i, target);
  *line = line_;
  *column = column_;
}

std::string Excerpt(std::string_view text, size_t max_code_points) {
  size_t i = 0;
  size_t count = 0;
  while (i < text.size() && count < max_code_points) {
    char32_t cp;
    int length = DecodeUtf8(text, i, &cp);
    i += length == 0 ? 1 : length;
    ++count;
  }
  if (i >= text.size()) return std::string(text);
  return std::string(text.substr(0, i)) + "...";
}

namespace {
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '%' || c == '-';
}
}  // namespace

std::string DescribeAt(std::string_view source, uint32_t offset) {
  if (offset >= source.size()) return "end of file";
  char c = source[offset];
  if (c == '\n' || c == '\r') return "end of line";
  if (c == '"') {
    size_t end = offset + 1;
    while (end < source.size() && source[end] != '"' && source[end] != '\n') {
      end += (source[end] == '\\' && end + 1 < source.size() && source[end + 1] != '\n') ? 2 : 1;
    }
    if (end < source.size() && source[end] == '"') ++end;
    return fmt::format("string {}", Excerpt(source.substr(offset, end - offset)));
  }
  size_t end = offset;
  if (IsWordChar(c)) {
    // A word, number or percentage; `..` ends it (0302..0308).
    while (end < source.size() && IsWordChar(source[end]) &&
           !(source[end] == '.' && end + 1 < source.size() && source[end + 1] == '.')) {
      ++end;
    }
    if (end == offset) end = offset + 2;  // the `..` itself
  } else if ((c == '!' || c == '<' || c == '>') && offset + 1 < source.size() &&
             source[offset + 1] == '=') {
    end = offset + 2;
  } else {
    // One character, or a run of non-ASCII letters (中国, ＣＮ) as one word.
    char32_t cp;
    int length = DecodeUtf8(source, offset, &cp);
    end = offset + (length == 0 ? 1 : length);
    while (length > 0 && cp >= 0x80 && end < source.size()) {
      char32_t next;
      int next_length = DecodeUtf8(source, end, &next);
      if (next_length == 0 || next < 0x80 || next == 0x3000) break;
      end += next_length;
    }
  }
  return fmt::format("'{}'", Excerpt(source.substr(offset, end - offset)));
}

uint32_t SkipBlanks(std::string_view source, uint32_t offset) {
  size_t i = offset;
  while (i < source.size()) {
    char c = source[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '#') {
      while (i < source.size() && source[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return static_cast<uint32_t>(i);
}

}  // namespace bukong::dsl::internal
