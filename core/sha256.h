// SHA-256 through OpenSSL's libcrypto (it uses the CPU's SHA instructions).
#ifndef BUKONG_CORE_SHA256_H_
#define BUKONG_CORE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bukong {

using Sha256Digest = std::array<uint8_t, 32>;

// Digest of `data`.
Sha256Digest Sha256(std::string_view data);

// Incremental hashing, for records built from several pieces. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  // The digest of everything given to Update since construction or the last Reset.
  Sha256Digest Finish();
  // Starts a new digest, reusing the context (no allocation).
  void Reset();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL stays out of this header.
};

// Lower-case hex of any byte string.
std::string ToHex(std::string_view bytes);
inline std::string ToHex(const Sha256Digest& d) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Lower-case hex SHA-256 of `data`.
inline std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

}  // namespace bukong

#endif  // BUKONG_CORE_SHA256_H_
