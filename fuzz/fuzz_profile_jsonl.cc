// libFuzzer target: any bytes as a profile JSON Lines file (`bukong profiles import`), with
// the same promises as fuzz_profile_csv (see fuzz/profile_fuzz.h).
#include "fuzz/profile_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bukong::fuzz::ReadProfiles(data, size, bukong::ingest::ProfileFormat::kJsonLines);
  return 0;
}
