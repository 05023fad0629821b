// Streaming generated items to a file or pipe: shared by the profile and declaration
// generators, which produce millions of short lines.
#ifndef BUKONG_GEN_WRITE_BUFFERED_H_
#define BUKONG_GEN_WRITE_BUFFERED_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace bukong::gen {

// Writes `header` and then items 0..count-1 to `out`, each appended to a buffer by
// `append_item(i, &buffer)`; the buffer goes out in pieces of about 64 KB, so memory stays
// flat however many items there are. `progress(done)`, if set, is called after each item.
template <typename AppendItem>
void WriteBuffered(std::ostream& out, uint64_t count, std::string header, AppendItem append_item,
                   const std::function<void(uint64_t)>& progress) {
  std::string buffer = std::move(header);
  for (uint64_t i = 0; i < count; ++i) {
    append_item(i, &buffer);
    if (progress) progress(i + 1);
    if (buffer.size() > (1u << 16)) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

}  // namespace bukong::gen

#endif  // BUKONG_GEN_WRITE_BUFFERED_H_
