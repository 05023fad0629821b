// Progress of long runs on a terminal (SPEC §4): one line on stderr, rewritten in place a
// few times a second, erased at the end. Silent when stderr is not a terminal, so pipes,
// files and tests see only the command's real messages.
#ifndef BUKONG_CLI_SUPPORT_PROGRESS_H_
#define BUKONG_CLI_SUPPORT_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace bukong::cli {

class Progress {
 public:
  // `what` names the things counted ("declarations", "records").
  explicit Progress(std::string what);
  ~Progress();  // erases the line

  // Reports `done` things so far. Cheap enough to call per item: the clock is read only
  // every 1024 calls.
  void Update(uint64_t done) {
    if (!enabled_ || (++calls_ & 1023) != 0) return;
    Report(done);
  }
  // Reports `done` at most four times a second (reads the clock at every call).
  void Report(uint64_t done) {
    if (enabled_) Show(done);
  }
  void Done();  // erases the line (also done by the destructor)
  bool enabled() const { return enabled_; }

 private:
  void Show(uint64_t done);

  std::string what_;
  bool enabled_;
  bool shown_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_PROGRESS_H_
