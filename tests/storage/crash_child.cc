// Helper of crash_test: appends audit records to the database in argv[1] forever, in
// batches of random size, and after each AppendAudit returns writes the last durable
// sequence number as a line on standard output (a pipe to the test). The record with
// sequence number s is always SampleRecord(s), so the test can check content too.
// With a third argument STOP it stops once the head reaches STOP and leaves with _exit(0),
// without closing the store: like a crash, its records stay in the write-ahead log
// (corruption_test damages that log).
#include <unistd.h>

#include <cstdio>
#include <random>

#include "storage/store.h"
#include "tests/storage/test_support.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: storage_crash_child DB SEED [STOP]\n");
    return 2;
  }
  auto store = bukong::storage::Store::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(std::stoull(argv[2]));
  uint64_t next = (*store)->Head().seq + 1;
  const uint64_t stop = argc == 4 ? std::stoull(argv[3]) : UINT64_MAX;
  for (;;) {
    if (next > stop) ::_exit(0);
    const uint64_t n = 1 + rng() % 300;
    std::vector<bukong::storage::AuditRecord> batch;
    for (uint64_t i = 0; i < n; ++i)
      batch.push_back(bukong::storage::testing::SampleRecord(next + i));
    auto range = (*store)->AppendAudit(batch);
    if (!range.ok()) {
      std::fprintf(stderr, "%s\n", range.status().ToString().c_str());
      return 1;
    }
    next = range->last + 1;
    const std::string line = std::to_string(range->last) + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      return 1;
  }
}
