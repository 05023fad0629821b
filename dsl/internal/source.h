// Source-text helpers of the compiler: UTF-8 validation, code points and display widths,
// byte offsets to line/column, and short excerpts of the text for messages.
// Internal to dsl/; no Boost.
#ifndef BUKONG_DSL_INTERNAL_SOURCE_H_
#define BUKONG_DSL_INTERNAL_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bukong::dsl::internal {

// Decodes the code point starting at text[i]. Returns its length in bytes (1..4), or 0 when
// the bytes there are not valid UTF-8 (truncated, overlong, surrogate, above U+10FFFF, or a
// stray continuation byte).
int DecodeUtf8(std::string_view text, size_t i, char32_t* code_point);

// Columns a code point takes in a terminal: 2 for East Asian Wide and Fullwidth characters
// (CJK ideographs, kana, Hangul, fullwidth forms, emoji), else 1.
int DisplayWidth(char32_t code_point);

struct EncodingProblem {
  uint32_t offset;
  std::string message;
};

// Invalid UTF-8 sequences and NUL bytes, in order, at most `limit` of them.
std::vector<EncodingProblem> FindEncodingProblems(std::string_view source, size_t limit);

// Converts byte offsets, visited in non-decreasing order, to 1-based line and column (the
// column counts code points; an invalid byte counts as one). Linear over the whole scan.
class LineColumnFinder {
 public:
  explicit LineColumnFinder(std::string_view source) : source_(source) {}
  void Find(uint32_t offset, uint32_t* line, uint32_t* column);

 private:
  std::string_view source_;
  size_t line_start_ = 0;  // byte offset where line_ starts
  uint32_t line_ = 1;
  size_t counted_to_ = 0;  // offset up to which column_ code points were counted
  uint32_t column_ = 1;
};

// The text, cut after `max_code_points` code points with "..." appended.
std::string Excerpt(std::string_view text, size_t max_code_points = 40);

// What the source holds at `offset`, for "found ..." in messages: "end of file",
// "end of line", "string \"...\"" or the token in single quotes ('then', '20%', '(').
std::string DescribeAt(std::string_view source, uint32_t offset);

// Offset of the first byte after blanks and `#` comments starting at `offset`.
uint32_t SkipBlanks(std::string_view source, uint32_t offset);

}  // namespace bukong::dsl::internal

#endif  // BUKONG_DSL_INTERNAL_SOURCE_H_
