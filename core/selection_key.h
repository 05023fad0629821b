// The selection key of SPEC §2.5 and §6: 16 secret bytes keying the SipHash draws. Shared
// by engine/ (the draws) and storage/ (the key file and the key id in audit records).
#ifndef BUKONG_CORE_SELECTION_KEY_H_
#define BUKONG_CORE_SELECTION_KEY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bukong {

// The selection key (SPEC §2.5, §6): 16 raw bytes. Never printed; only its Id() is.
class SelectionKey {
 public:
  static constexpr size_t kSize = 16;

  explicit SelectionKey(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Parses 32 hex digits (either case); white space around them is ignored, anything else
  // (other lengths, non-hex characters, white space inside) is kInvalidArgument.
  static absl::StatusOr<SelectionKey> FromHex(std::string_view text);

  // 16 bytes from libsodium's randombytes_buf (a CSPRNG).
  static SelectionKey Generate();

  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

  // The key's id: lower-case hex of the first 8 bytes of SHA-256 over the 16 raw bytes.
  std::string Id() const;

  // 32 lower-case hex digits: for writing a key file. Handle with care.
  std::string ToHex() const;

  friend bool operator==(const SelectionKey&, const SelectionKey&) = default;

 private:
  std::array<uint8_t, kSize> bytes_;
};

}  // namespace bukong

#endif  // BUKONG_CORE_SELECTION_KEY_H_
