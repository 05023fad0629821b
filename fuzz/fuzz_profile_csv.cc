// libFuzzer target: any bytes as a profile CSV file (`bukong profiles import`). Promises
// checked (ingest/profile_reader.h): the reader ends; every error has a message and a line
// inside the file; every row is valid — id non-empty UTF-8 without control characters but
// line breaks, flags sorted and unique, hits <= inspections.
#include "fuzz/profile_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bukong::fuzz::ReadProfiles(data, size, bukong::ingest::ProfileFormat::kCsv);
  return 0;
}
