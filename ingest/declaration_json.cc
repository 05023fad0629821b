#include "ingest/declaration_json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "core/dates.h"
#include "core/strings.h"
#include "ingest/input_error.h"
#include "ingest/internal/json_support.h"

namespace bukong::ingest {
namespace {

namespace od = simdjson::ondemand;
using ir::Field;

// The keys a declaration may carry, in SPEC §3 order.
enum Key : int {
  kId,
  kEnterprise,
  kDate,
  kDirection,
  kHs,
  kOrigin,
  kTradeCountry,
  kPort,
  kMode,
  kValue,
  kWeight,
  kTwoStep,
  kKeyCount
};
constexpr std::array<std::string_view, kKeyCount> kKeyNames = {
    "id",   "enterprise", "date",  "direction", "hs",      "origin", "trade_country",
    "port", "mode",       "value", "weight",    "two_step"};
// Key → the field the ruleset may read (id and enterprise are read by every decision).
constexpr std::array<int, kKeyCount> kKeyField = {-1,
                                                  -1,
                                                  static_cast<int>(Field::kDate),
                                                  static_cast<int>(Field::kDirection),
                                                  static_cast<int>(Field::kHs),
                                                  static_cast<int>(Field::kOrigin),
                                                  static_cast<int>(Field::kTradeCountry),
                                                  static_cast<int>(Field::kPort),
                                                  static_cast<int>(Field::kMode),
                                                  static_cast<int>(Field::kValue),
                                                  static_cast<int>(Field::kWeight),
                                                  static_cast<int>(Field::kTwoStep)};
constexpr uint32_t kAlwaysRequired =
    (1u << kId) | (1u << kEnterprise) | (1u << kDate) | (1u << kDirection) | (1u << kHs);
constexpr std::array<uint32_t, kKeyCount> kPresentBit = {
    0,        0,        0,         0,          0,          kHasOrigin, kHasTradeCountry,
    kHasPort, kHasMode, kHasValue, kHasWeight, kHasTwoStep};

int KeyIndex(std::string_view key) {
  // Dispatch on length first: one string comparison per key in the common case.
  switch (key.size()) {
    case 2:
      if (key == "id") return kId;
      if (key == "hs") return kHs;
      return -1;
    case 4:
      if (key == "date") return kDate;
      if (key == "port") return kPort;
      if (key == "mode") return kMode;
      return -1;
    case 5:
      return key == "value" ? kValue : -1;
    case 6:
      if (key == "origin") return kOrigin;
      if (key == "weight") return kWeight;
      return -1;
    case 8:
      return key == "two_step" ? kTwoStep : -1;
    case 9:
      return key == "direction" ? kDirection : -1;
    case 10:
      return key == "enterprise" ? kEnterprise : -1;
    case 13:
      return key == "trade_country" ? kTradeCountry : -1;
    default:
      return -1;
  }
}

absl::Status FieldError(Key key, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("field '{}': {}", kKeyNames[key], what));
}

absl::Status JsonError(simdjson::error_code error) {
  return absl::InvalidArgumentError(internal::JsonErrorMessage(error));
}

bool IsCountry(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

// Parses `text` as an HS code into digits-only *out.
absl::Status ParseHs(std::string_view text, std::string* out) {
  out->clear();
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      out->push_back(c);
    } else if (c != '.') {
      return FieldError(kHs, fmt::format("{} is not an HS code (digits and dots)",
                                         QuoteForMessage(text)));
    }
  }
  if (out->size() < 6 || out->size() > 10) {
    return FieldError(kHs, fmt::format("{} has {} digits, expected 6 to 10", QuoteForMessage(text),
                                       out->size()));
  }
  return absl::OkStatus();
}

}  // namespace

FieldsRead AllDeclarationFields() {
  FieldsRead all{};
  for (int f = 0; f < ir::kFieldCount; ++f) {
    all[f] = ir::IsDeclarationField(static_cast<Field>(f));
  }
  return all;
}

absl::Status ExactDecimalFromJsonNumber(std::string_view t, ExactDecimal* out) {
  const size_t n = t.size();
  auto is_digit = [&](size_t i) { return i < n && t[i] >= '0' && t[i] <= '9'; };
  auto syntax = [&] {
    return absl::InvalidArgumentError(fmt::format("invalid number {}", QuoteForMessage(t)));
  };
  size_t i = 0;
  bool negative = false;
  if (i < n && t[i] == '-') {
    negative = true;
    ++i;
  }
  const size_t int_begin = i;
  if (i < n && t[i] == '0') {
    ++i;
  } else if (is_digit(i)) {
    while (is_digit(i)) ++i;
  } else {
    return syntax();
  }
  const size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < n && t[i] == '.') {
    ++i;
    frac_begin = i;
    while (is_digit(i)) ++i;
    if (i == frac_begin) return syntax();
    frac_end = i;
  }
  int64_t exponent = 0;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < n && (t[i] == '+' || t[i] == '-')) exponent_negative = t[i++] == '-';
    size_t exponent_begin = i;
    while (is_digit(i)) {
      // Beyond a billion the answer no longer changes (out of range, or below 10^-18).
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (t[i] - '0');
      ++i;
    }
    if (i == exponent_begin) return syntax();
    if (exponent_negative) exponent = -exponent;
  }
  if (i != n) return syntax();

  // The digits of the mantissa, integer part then fraction, as one sequence.
  const int64_t int_len = static_cast<int64_t>(int_end - int_begin);
  const int64_t total = int_len + static_cast<int64_t>(frac_end - frac_begin);
  auto digit = [&](int64_t k) -> int {
    if (k >= total) return 0;
    return k < int_len ? t[int_begin + k] - '0' : t[frac_begin + (k - int_len)] - '0';
  };
  int64_t first = 0;
  while (first < total && digit(first) == 0) ++first;
  if (first == total) {  // zero, whatever its sign or exponent
    *out = ExactDecimal{0};
    return absl::OkStatus();
  }
  // value = 0.D * 10^point, where D = the digits from `first` on; so 10^(point-1) <= value.
  const int64_t point = int_len + exponent - first;
  auto out_of_range = [&] {
    return absl::OutOfRangeError(fmt::format("{} is out of range (magnitude at most {})",
                                             QuoteForMessage(t), kMaxDecimalMagnitudeText));
  };
  if (point > 20) return out_of_range();
  // trunc(value * 10^18) is formed by the first point+18 digits of D (at most 38 of them,
  // so below 10^38 < 2^127); any non-zero digit after them makes the result odd.
  const int64_t keep = point + 18;
  __int128 scaled = 0;
  bool remainder = false;
  if (keep <= 0) {
    remainder = true;
  } else {
    for (int64_t k = 0; k < keep; ++k) scaled = scaled * 10 + digit(first + k);
    for (int64_t k = first + keep; k < total && !remainder; ++k) remainder = digit(k) != 0;
  }
  const __int128 limit = ir::Decimal::kScale * static_cast<__int128>(10'000'000'000'000'000'000ULL);
  if (scaled > limit || (scaled == limit && remainder)) return out_of_range();
  __int128 twice = scaled * 2 + (remainder ? 1 : 0);
  out->twice_scaled = negative ? -twice : twice;
  return absl::OkStatus();
}

struct DeclarationParser::Impl {
  explicit Impl(const FieldsRead& fields_read) {
    required = kAlwaysRequired;
    for (int k = 0; k < kKeyCount; ++k) {
      if (kKeyField[k] >= 0 && fields_read[kKeyField[k]]) required |= 1u << k;
    }
  }

  // Reads the value of key `key` into *out. `strict`: the field is required, so a wrong
  // value is an error; otherwise a wrong value is ignored. Returns OK and sets *stored
  // when the value was stored.
  absl::Status ReadField(Key key, od::value value, bool strict, Declaration* out, bool* stored) {
    *stored = false;
    od::json_type type;
    if (auto error = value.type().get(type)) return JsonError(error);
    od::json_type expected = key == kValue || key == kWeight ? od::json_type::number
                             : key == kTwoStep               ? od::json_type::boolean
                                                             : od::json_type::string;
    if (type != expected) {
      if (!strict) {
        if (auto error = internal::ValidateJsonValue(value)) return JsonError(error);
        return absl::OkStatus();
      }
      if (type == od::json_type::null) {
        return FieldError(key, kKeyField[key] >= 0 && !(kAlwaysRequired & (1u << key))
                                   ? "null, but the ruleset reads it"
                                   : "null");
      }
      return FieldError(key, fmt::format("expected {}, found {}", internal::JsonTypeName(expected),
                                         internal::JsonTypeName(type)));
    }
    absl::Status wrong;  // a well-formed value the field does not accept
    switch (expected) {
      case od::json_type::number: {
        std::string_view raw = internal::TrimJsonToken(value.raw_json_token());
        ExactDecimal number;
        absl::Status status = ExactDecimalFromJsonNumber(raw, &number);
        if (status.code() == absl::StatusCode::kInvalidArgument) {
          // Malformed JSON, read or not.
          return absl::InvalidArgumentError(fmt::format(
              "invalid JSON: field '{}': {}", kKeyNames[key], Message(status)));
        }
        if (!status.ok()) {
          wrong = FieldError(key, Message(status));
          break;
        }
        (key == kValue ? out->value : out->weight) = number;
        *stored = true;
        break;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto error = value.get_bool().get(b)) return JsonError(error);
        out->two_step = b;
        *stored = true;
        break;
      }
      default: {
        std::string_view s;
        if (auto error = value.get_string().get(s)) return JsonError(error);
        wrong = StoreString(key, s, out);
        *stored = wrong.ok();
        break;
      }
    }
    if (!wrong.ok() && strict) return wrong;
    return absl::OkStatus();
  }

  absl::Status StoreString(Key key, std::string_view s, Declaration* out) {
    switch (key) {
      case kId:
        if (s.empty()) return FieldError(key, "empty");
        out->id.assign(s);
        return absl::OkStatus();
      case kEnterprise:
        if (s.empty()) return FieldError(key, "empty");
        out->enterprise.assign(s);
        return absl::OkStatus();
      case kDate: {
        std::optional<DayNumber> day = ParseIsoDate(s);
        if (!day) {
          return FieldError(key, fmt::format("{} is not a date YYYY-MM-DD", QuoteForMessage(s)));
        }
        out->date = *day;
        return absl::OkStatus();
      }
      case kDirection:
        if (s == "import") {
          out->direction = Direction::kImport;
        } else if (s == "export") {
          out->direction = Direction::kExport;
        } else if (s == "transit") {
          out->direction = Direction::kTransit;
        } else {
          return FieldError(
              key, fmt::format("{} is not one of import, export, transit", QuoteForMessage(s)));
        }
        return absl::OkStatus();
      case kHs:
        return ParseHs(s, &out->hs);
      case kOrigin:
      case kTradeCountry:
        if (!IsCountry(s)) {
          return FieldError(key, fmt::format("{} is not a country code (two capital letters)",
                                             QuoteForMessage(s)));
        }
        (key == kOrigin ? out->origin : out->trade_country).assign(s);
        return absl::OkStatus();
      case kPort:
        out->port.assign(s);
        return absl::OkStatus();
      case kMode:
        if (s == "sea") {
          out->mode = TransportMode::kSea;
        } else if (s == "air") {
          out->mode = TransportMode::kAir;
        } else if (s == "rail") {
          out->mode = TransportMode::kRail;
        } else if (s == "road") {
          out->mode = TransportMode::kRoad;
        } else if (s == "post") {
          out->mode = TransportMode::kPost;
        } else {
          return FieldError(
              key, fmt::format("{} is not one of sea, air, rail, road, post", QuoteForMessage(s)));
        }
        return absl::OkStatus();
      default:
        return absl::InternalError("not a string field");
    }
  }

  absl::Status Parse(std::string_view line, Declaration* out) {
    od::document doc;
    if (auto error = padded.Iterate(parser, line).get(doc)) return JsonError(error);
    od::object object;
    if (auto error = doc.get_object().get(object)) {
      return absl::InvalidArgumentError(internal::ObjectErrorMessage(error, line));
    }
    std::string_view whole;
    if (auto error = object.raw_json().get(whole)) return JsonError(error);
    if (!internal::OnlyWhitespaceAfter(padded.text(), whole)) {
      return absl::InvalidArgumentError("unexpected text after the JSON object");
    }
    if (auto error = object.reset().error()) return JsonError(error);

    // Fields absent from this line must not keep the previous line's values.
    out->origin.clear();
    out->trade_country.clear();
    out->port.clear();
    out->mode = TransportMode::kSea;
    out->value = ExactDecimal{};
    out->weight = ExactDecimal{};
    out->two_step = false;
    out->present = 0;
    other_keys.clear();

    uint32_t seen = 0;
    for (auto field_result : object) {
      od::field field;
      if (auto error = std::move(field_result).get(field)) return JsonError(error);
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) return JsonError(error);
      int index = KeyIndex(key);
      od::value value = field.value();
      if (index < 0) {
        if (!other_keys.insert(key).second) {
          return absl::InvalidArgumentError(fmt::format("repeated key {}", QuoteForMessage(key)));
        }
        if (auto error = internal::ValidateJsonValue(value)) return JsonError(error);
        continue;
      }
      if (seen & (1u << index)) {
        return absl::InvalidArgumentError(fmt::format("repeated key '{}'", kKeyNames[index]));
      }
      seen |= 1u << index;
      bool stored = false;
      if (absl::Status status =
              ReadField(static_cast<Key>(index), value, (required >> index) & 1u, out, &stored);
          !status.ok()) {
        return status;
      }
      if (stored) out->present |= kPresentBit[index];
    }
    if (uint32_t missing = required & ~seen; missing != 0) {
      int k = __builtin_ctz(missing);
      return absl::InvalidArgumentError(
          (kAlwaysRequired >> k) & 1u
              ? fmt::format("missing field '{}'", kKeyNames[k])
              : fmt::format("missing field '{}' (the ruleset reads it)", kKeyNames[k]));
    }
    return absl::OkStatus();
  }

  uint32_t required = 0;
  od::parser parser;
  internal::PaddedLine padded;
  absl::flat_hash_set<std::string_view> other_keys;  // views into the parser's string buffer
};

DeclarationParser::DeclarationParser(const FieldsRead& fields_read)
    : impl_(std::make_unique<Impl>(fields_read)) {}
DeclarationParser::~DeclarationParser() = default;

absl::Status DeclarationParser::Parse(std::string_view line, Declaration* out) {
  return impl_->Parse(line, out);
}

}  // namespace bukong::ingest
