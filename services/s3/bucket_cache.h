// BucketCache: the committed s3_buckets rows by name, so the read paths (GetObject, HeadObject,
// PutObject's early check, listings) skip one SQLite query per request. Only BucketRecord's
// columns are cached (not the config JSON: tags are read where they are used).
//
// Correctness: an entry is filled only from a Database::read() connection, which sees committed
// state. Every write job that may change a bucket row invalidates the name after the job returns
// or throws (S3Service::write_bucket); invalidation also bumps a generation, so a lookup that read
// the row before the change committed and finishes after the invalidation does not remember its
// stale copy. Write jobs never use the cache: they must see their own batch's uncommitted changes
// (a bucket another job of the batch just deleted).
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "services/s3/schema.h"
#include "storage/database.h"

namespace nimbus::s3 {

class BucketCache {
 public:
  // The bucket as committed: remembered, or read with `reader` and remembered. `reader` must be
  // the connection of a Database::read() job.
  std::optional<BucketRecord> find(Connection& reader, std::string_view name);
  // Forgets the bucket; lookups in flight do not remember what they read.
  void invalidate(std::string_view name);
  // Forgets every bucket (/_nimbus/reset).
  void clear();

 private:
  // Entries above this are dropped all at once (buckets are few; this only bounds memory).
  static constexpr size_t kMaxEntries = 4096;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::mutex mutex_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, BucketRecord, Hash, std::equal_to<>> buckets_;
};

}  // namespace nimbus::s3
