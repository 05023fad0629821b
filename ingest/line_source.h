// Buffered, streaming reading of large inputs: a byte window over a std::istream that is
// refilled in big chunks (InputBuffer), and physical lines on top of it (LineReader), so
// readers never hold more than one chunk plus the longest record in memory.
//
// Both skip a UTF-8 byte-order mark (EF BB BF) at the very start of the input, so that every
// reader (declarations, outcomes, profiles) accepts files saved by editors that write one.
#ifndef BUKONG_INGEST_LINE_SOURCE_H_
#define BUKONG_INGEST_LINE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace bukong::ingest {

// A window of unread bytes over a stream (after a leading byte-order mark, if any). Not
// thread-safe. The stream must outlive it.
class InputBuffer {
 public:
  static constexpr size_t kDefaultChunk = size_t{1} << 20;
  // Longest record (line) accepted: real records are a few hundred bytes, so a longer one
  // is a broken file (say, a quote never closed), reported rather than read into memory
  // whole.
  static constexpr size_t kDefaultMaxRecord = size_t{64} << 20;

  // `prefix`: bytes already taken from the stream (e.g. to sniff its format), read first.
  explicit InputBuffer(std::istream* in, size_t chunk = kDefaultChunk, std::string_view prefix = {},
                       size_t max_record = kDefaultMaxRecord);

  // The unread bytes. Valid until the next Fill() or Consume().
  std::string_view unread() const { return {buffer_.data() + begin_, end_ - begin_}; }
  // Marks the first n unread bytes as read.
  void Consume(size_t n) { begin_ += n; }
  // Appends more bytes from the stream to unread(), moving or growing the window as needed
  // (a record longer than a chunk makes the buffer grow). Returns false when nothing could
  // be added: end of input, a read error, or unread() already holding max_record bytes
  // (ResourceExhausted; see status()).
  bool Fill();
  // OK, or what stopped Fill() (DataLoss for a read error, ResourceExhausted for a record
  // longer than max_record).
  const absl::Status& status() const { return status_; }

 private:
  std::istream* in_;
  size_t chunk_;
  size_t max_record_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool bom_checked_ = false;
  void SkipByteOrderMark();
  absl::Status status_;
};

// Physical lines of a stream, numbered from 1. A line ends at '\n' (not included) or at the
// end of input; one '\r' before the '\n' is dropped too, so CRLF files read like LF files.
// Not thread-safe.
//
// Line limit: a line longer than `max_line` bytes (its line break not counted) ends the
// input with ResourceExhausted ("FILE:LINE: error: a line longer than N bytes ..."), read no
// further than the limit, so a broken or hostile file cannot make the reader hold it whole.
// The default, kDefaultMaxLine (1 MiB), is thousands of times a real declaration or outcome
// line (a few hundred bytes); a program that must accept longer lines passes its own limit
// (`bukong decide --max-line-bytes` does):
//   LineReader reader(&in, InputBuffer::kDefaultChunk, {}, /*max_line=*/64 << 20);
class LineReader {
 public:
  static constexpr size_t kDefaultMaxLine = size_t{1} << 20;

  explicit LineReader(std::istream* in, size_t chunk = InputBuffer::kDefaultChunk,
                      std::string_view prefix = {}, size_t max_line = kDefaultMaxLine)
      : input_(in, chunk, prefix, max_line + 2), max_line_(max_line) {}

  // The next line and its number. Returns false at the end of input, on a read error or
  // on a line longer than max_line (then status() is not OK and says which). The view is
  // valid until the next call.
  bool Next(std::string_view* line, uint64_t* line_number);
  // OK, or what stopped Next(): DataLoss (read error), ResourceExhausted (line too long).
  const absl::Status& status() const { return status_; }
  // Number of the last line returned (0 before the first).
  uint64_t line_number() const { return line_number_; }

 private:
  bool TooLong();

  InputBuffer input_;
  size_t max_line_;  // bytes, the line break not counted
  absl::Status status_;
  size_t pending_consume_ = 0;
  uint64_t line_number_ = 0;
};

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_LINE_SOURCE_H_
