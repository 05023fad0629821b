// The versions of the lists a ruleset declares (SPEC §7.1), bound to it when it is compiled.
//
//   auto v = std::make_shared<ListVersion>(digest);
//   storage::ScanListVersion(store, digest, [&](std::string_view e) { v->Add(e); });
//   ListBindings lists{{"watched", v}};
//   auto compiled = CompileRuleset(std::move(ir), std::move(lists));
//
// A compiled ruleset that declares lists holds one bound version per list, for as long as
// it lives: a decision is made with the versions of the ruleset it was made under, and prints
// them (`"lists":{"NAME":"first 16 hex digits",...}`). Binding again (new versions) means
// compiling again and swapping (Engine::Swap), exactly like a new rule file.
//
// Memory: entries are kept in one buffer with their end offsets, about the bytes of the
// entries plus 4 bytes each (a 1,000,000-entry list of 18-byte enterprise ids: ~22 MB); the
// compiled ruleset adds one hash-table slot per distinct enterprise or port entry.
// A ListVersion is immutable once shared; it is safe to read from many threads.
#ifndef BUKONG_ENGINE_LISTS_H_
#define BUKONG_ENGINE_LISTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bukong::engine {

class ListVersion {
 public:
  // `digest`: the version's lower-case hex SHA-256 (ingest::ListDigest), printed in decisions.
  explicit ListVersion(std::string digest) : digest_(std::move(digest)) {}

  // Adds one entry (hs entries as digits, without dots). Not thread-safe: fill it, then share.
  void Add(std::string_view entry) {
    bytes_.append(entry);
    ends_.push_back(static_cast<uint32_t>(bytes_.size()));
  }
  void Reserve(size_t entries, size_t bytes) {
    ends_.reserve(entries);
    bytes_.reserve(bytes);
  }

  const std::string& digest() const { return digest_; }
  size_t size() const { return ends_.size(); }
  std::string_view entry(size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(begin, ends_[i] - begin);
  }

 private:
  std::string digest_;
  std::string bytes_;
  std::vector<uint32_t> ends_;
};

// The bound version of each declared list, by list name.
using ListBindings = std::map<std::string, std::shared_ptr<const ListVersion>, std::less<>>;

}  // namespace bukong::engine

#endif  // BUKONG_ENGINE_LISTS_H_
