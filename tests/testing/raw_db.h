// Raw RocksDB access to a closed store's folder, every column family by name, so that tests
// can read and alter records behind the store's back (as an attacker or a disk fault would).
#ifndef BUKONG_TESTS_TESTING_RAW_DB_H_
#define BUKONG_TESTS_TESTING_RAW_DB_H_

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bukong::testing {

class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s =
        rocksdb::DB::Open(rocksdb::DBOptions(), dir, descriptors, &handles_, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(raw);
    for (size_t i = 0; i < handles_.size(); ++i) by_name_[names[i]] = handles_[i];
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::ColumnFamilyHandle* cf(const std::string& name) { return by_name_.at(name); }
  std::string Get(const std::string& cf_name, const std::string& key) {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), cf(cf_name), key, &value).ok());
    return value;
  }
  void Put(const std::string& cf_name, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put(rocksdb::WriteOptions(), cf(cf_name), key, value).ok());
  }
  void Delete(const std::string& cf_name, const std::string& key) {
    EXPECT_TRUE(db_->Delete(rocksdb::WriteOptions(), cf(cf_name), key).ok());
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

// Makes the closed database in `dir` what bukong of schema version `version` (1 to 3) left:
// no `by_id` column family (version 4), no `lists` below version 3, `schema_version` set
// (records and everything else unchanged).
inline void MakeSchemaVersion(const std::string& dir, int version) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, descriptors, &handles, &raw).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "by_id" || (names[i] == "lists" && version < 3)) {
      EXPECT_TRUE(raw->DropColumnFamily(handles[i]).ok());
    }
    if (names[i] == "meta") {
      EXPECT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[i], "schema_version",
                           std::to_string(version))
                      .ok());
    }
  }
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
}
inline void MakeSchemaVersionTwo(const std::string& dir) { MakeSchemaVersion(dir, 2); }

}  // namespace bukong::testing

#endif  // BUKONG_TESTS_TESTING_RAW_DB_H_
