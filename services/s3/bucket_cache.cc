// BucketCache (services/s3/bucket_cache.h): a mutex-guarded map of committed bucket rows with a
// generation counter that keeps a lookup racing an invalidation from caching a stale row.
#include "services/s3/bucket_cache.h"

namespace nimbus::s3 {

std::optional<BucketRecord> BucketCache::find(Connection& reader, std::string_view name) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = buckets_.find(name);
    if (it != buckets_.end()) return it->second;
    generation = generation_;
  }
  std::optional<BucketRecord> found = s3::find_bucket(reader, name);
  if (found) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (generation == generation_) {
      if (buckets_.size() >= kMaxEntries) buckets_.clear();
      buckets_.emplace(std::string(name), *found);
    }
  }
  return found;
}

void BucketCache::invalidate(std::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  if (auto it = buckets_.find(name); it != buckets_.end()) buckets_.erase(it);
}

void BucketCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  buckets_.clear();
}

}  // namespace nimbus::s3
