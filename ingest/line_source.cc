#include "ingest/line_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bukong::ingest {

InputBuffer::InputBuffer(std::istream* in, size_t chunk, std::string_view prefix, size_t max_record)
    : in_(in), chunk_(std::max<size_t>(chunk, 64)), max_record_(max_record) {
  buffer_.resize(std::max(chunk_, prefix.size() * 2));
  if (!prefix.empty()) std::memcpy(buffer_.data(), prefix.data(), prefix.size());
  end_ = prefix.size();
  SkipByteOrderMark();
}

void InputBuffer::SkipByteOrderMark() {
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::string_view bytes = unread();
  if (bytes.size() < kBom.size() && !eof_ && status_.ok() &&
      kBom.substr(0, bytes.size()) == bytes) {
    return;  // maybe a mark cut by the chunking: decide when more bytes are in
  }
  bom_checked_ = true;
  if (bytes.substr(0, kBom.size()) == kBom) begin_ += kBom.size();
}

bool InputBuffer::Fill() {
  if (eof_ || !status_.ok()) return false;
  size_t unread = end_ - begin_;
  if (begin_ > 0) {
    // Slide the unread tail to the front; it is at most one record, so this is cheap.
    std::memmove(buffer_.data(), buffer_.data() + begin_, unread);
    begin_ = 0;
    end_ = unread;
  }
  if (unread >= max_record_) {
    status_ = absl::ResourceExhaustedError(fmt::format(
        "a record longer than {} bytes (a quote never closed, or not a text file?)", max_record_));
    return false;
  }
  if (buffer_.size() - end_ < chunk_ / 2) {
    buffer_.resize(std::max(buffer_.size() * 2, chunk_));
  }
  in_->read(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
  auto got = static_cast<size_t>(in_->gcount());
  end_ += got;
  if (in_->bad()) {
    status_ = absl::DataLossError(fmt::format("read error: {}", std::strerror(errno)));
    return got > 0;
  }
  if (in_->eof()) eof_ = true;
  if (!bom_checked_) SkipByteOrderMark();
  return got > 0;
}

bool LineReader::Next(std::string_view* line, uint64_t* line_number) {
  if (!status_.ok()) return false;
  input_.Consume(pending_consume_);
  pending_consume_ = 0;
  size_t searched = 0;
  while (true) {
    std::string_view unread = input_.unread();
    const void* newline = std::memchr(unread.data() + searched, '\n', unread.size() - searched);
    if (newline != nullptr) {
      size_t length = static_cast<const char*>(newline) - unread.data();
      pending_consume_ = length + 1;
      if (length > 0 && unread[length - 1] == '\r') --length;
      if (length > max_line_) return TooLong();
      *line = unread.substr(0, length);
      *line_number = ++line_number_;
      return true;
    }
    // Skipping a byte-order mark may shift the first line's bytes: search it from the start.
    searched = line_number_ == 0 ? 0 : unread.size();
    if (!input_.Fill()) {
      unread = input_.unread();
      if (const absl::Status& s = input_.status(); !s.ok()) {
        if (s.code() == absl::StatusCode::kResourceExhausted) return TooLong();
        status_ = s;
        return false;
      }
      if (unread.empty()) return false;
      // Last line without a final newline.
      pending_consume_ = unread.size();
      size_t length = unread.size();
      if (unread[length - 1] == '\r') --length;
      if (length > max_line_) return TooLong();
      *line = unread.substr(0, length);
      *line_number = ++line_number_;
      return true;
    }
  }
}

bool LineReader::TooLong() {
  pending_consume_ = 0;
  status_ = absl::ResourceExhaustedError(
      fmt::format("a line longer than {} bytes, the limit (real records are a few hundred "
                  "bytes: is this a text file of one record a line?)",
                  max_line_));
  return false;
}

}  // namespace bukong::ingest
