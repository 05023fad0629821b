#include "core/selection_key.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/sha256.h"

namespace bukong {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<SelectionKey> SelectionKey::FromHex(std::string_view text) {
  const absl::string_view hex = absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  // Characters first: "0x1122…" is better told as a bad character than as a bad length.
  for (size_t i = 0; i < hex.size(); ++i) {
    if (HexValue(hex[i]) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("a selection key is 32 hex digits; character ", i + 1,
                       " is not a hex digit"));
    }
  }
  if (hex.size() != 2 * kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a selection key is 32 hex digits; found ", hex.size()));
  }
  std::array<uint8_t, kSize> bytes{};
  for (size_t i = 0; i < hex.size(); ++i) {
    bytes[i / 2] = static_cast<uint8_t>(bytes[i / 2] << 4 | HexValue(hex[i]));
  }
  return SelectionKey(bytes);
}

SelectionKey SelectionKey::Generate() {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run without its RNG
  std::array<uint8_t, kSize> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return SelectionKey(bytes);
}

std::string SelectionKey::Id() const {
  const Sha256Digest digest =
      Sha256(std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()));
  return ::bukong::ToHex(std::string_view(reinterpret_cast<const char*>(digest.data()), 8));
}

std::string SelectionKey::ToHex() const {
  return ::bukong::ToHex(std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize));
}

}  // namespace bukong
