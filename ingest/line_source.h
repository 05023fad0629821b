// Buffered, streaming reading of large inputs: a byte window over a std::istream that is
// refilled in big chunks (InputBuffer), and physical lines on top of it (LineReader), so
// readers never hold more than one chunk plus the longest record in memory.
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

// A window of unread bytes over a stream. Not thread-safe. The stream must outlive it.
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
  absl::Status status_;
};

// Physical lines of a stream, numbered from 1. A line ends at '\n' (not included) or at the
// end of input; one '\r' before the '\n' is dropped too, so CRLF files read like LF files.
// Not thread-safe.
class LineReader {
 public:
  explicit LineReader(std::istream* in, size_t chunk = InputBuffer::kDefaultChunk,
                      std::string_view prefix = {},
                      size_t max_line = InputBuffer::kDefaultMaxRecord)
      : input_(in, chunk, prefix, max_line) {}

  // The next line and its number. Returns false at the end of input, on a read error or
  // on a line longer than max_line (then status() is not OK and says which). The view is
  // valid until the next call.
  bool Next(std::string_view* line, uint64_t* line_number);
  const absl::Status& status() const { return input_.status(); }
  // Number of the last line returned (0 before the first).
  uint64_t line_number() const { return line_number_; }

 private:
  InputBuffer input_;
  size_t pending_consume_ = 0;
  uint64_t line_number_ = 0;
};

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_LINE_SOURCE_H_
