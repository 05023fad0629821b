// The one place rocksdb::Status becomes absl::Status. Internal to storage/.
#ifndef BUKONG_STORAGE_INTERNAL_ROCKS_STATUS_H_
#define BUKONG_STORAGE_INTERNAL_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <string_view>

#include "absl/status/status.h"

namespace bukong::storage::internal {

// Maps the RocksDB code to the nearest absl code; the message says what was being done
// (`context`, e.g. "writing audit records to db/") followed by RocksDB's own text.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view context);

}  // namespace bukong::storage::internal

#endif  // BUKONG_STORAGE_INTERNAL_ROCKS_STATUS_H_
