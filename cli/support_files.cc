#include "cli/support_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace bukong::cli {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  auto fail = [&](int error) {
    return absl::NotFoundError(fmt::format("cannot read the {}: {}", what, std::strerror(error)));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return fail(error);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(EISDIR);
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return fail(error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

absl::Status ReplaceFileAtomically(const std::string& path, std::string_view text) {
  auto fail = [&](std::string_view step, int error) {
    return absl::InternalError(
        fmt::format("cannot write {}: {}: {}", path, step, std::strerror(error)));
  };
  struct stat st;
  mode_t mode = 0644;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  std::string temp = path + ".bukong-tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return fail("creating a temporary file beside it", errno);
  auto abandon = [&](std::string_view step) {
    int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(step, error);
  };
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("writing");
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return abandon("setting permissions");
  if (::fsync(fd) != 0) return abandon("flushing to disk");
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail("closing", error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail("renaming the temporary file over it", error);
  }
  return absl::OkStatus();
}

}  // namespace bukong::cli
