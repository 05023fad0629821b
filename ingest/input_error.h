// How every input reader reports a bad record: `FILE:LINE: error: MESSAGE` (SPEC §4, §6).
#ifndef BUKONG_INGEST_INPUT_ERROR_H_
#define BUKONG_INGEST_INPUT_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bukong::ingest {

// "FILE:LINE: error: MESSAGE". LINE counts physical lines from 1. A line of 0 (an error
// about the input as a whole, e.g. it cannot be opened) prints as "FILE: error: MESSAGE".
// Use "<stdin>" as the file name for standard input.
std::string FormatInputError(std::string_view file, uint64_t line, std::string_view message);

// Quotes a piece of user input for a message: 'text', cut to at most `max_bytes` bytes (at
// a UTF-8 boundary, with "..." appended) so one huge field cannot flood a terminal. The
// text must already be valid UTF-8; control characters are shown as \n, \t, \r, \xNN.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 60);

}  // namespace bukong::ingest

#endif  // BUKONG_INGEST_INPUT_ERROR_H_
