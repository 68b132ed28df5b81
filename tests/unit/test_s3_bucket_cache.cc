// Tests for the cache of committed bucket rows (services/s3/bucket_cache.h): it answers from
// memory, and every change of a bucket the cached read paths use (create, re-create, delete,
// ACL, reset) is seen by the very next request.
#include "s3_fixture.h"
#include "services/s3/bucket_cache.h"
#include "services/s3/schema.h"

TEST_CASE("s3 bucket cache: remembers a committed row until invalidated, forgets all on clear") {
  S3Fixture f;
  f.create_bucket("one");
  f.create_bucket("two");
  s3::BucketCache cache;
  auto acl_of = [&](const std::string& name) {
    return f.db->read([&](Connection& c) {
      std::optional<s3::BucketRecord> b = cache.find(c, name);
      return b ? b->acl : std::string("<none>");
    });
  };
  CHECK(acl_of("one") == "private");
  CHECK(acl_of("two") == "private");
  CHECK(acl_of("missing") == "<none>");
  // Changed behind the cache's back: still the remembered row.
  f.db->write([](Connection& c) {
    c.exec("UPDATE s3_buckets SET acl = 'public-read'");
    c.exec("INSERT INTO s3_buckets(name, owner_id, region, created_ms) "
           "VALUES ('missing', '000000000000', 'us-east-1', 0)");
  });
  CHECK(acl_of("one") == "private");
  CHECK(acl_of("missing") == "private");  // absent buckets are not remembered
  cache.invalidate("one");
  CHECK(acl_of("one") == "public-read");
  CHECK(acl_of("two") == "private");
  cache.clear();
  CHECK(acl_of("two") == "public-read");
}

TEST_CASE("s3 bucket cache: ACL and re-creation changes apply to the next request") {
  S3Fixture f;
  f.create_bucket("shared");
  f.put("shared", "k", "v", Value::map().set("ACL", "public-read"));
  auto anonymous_list = [&] { return f.call("ListObjectsV2", bk("shared"), anonymous()); };
  CHECK(f.error_of(anonymous_list).code == "AccessDenied");
  f.call("PutBucketAcl", bk("shared").set("ACL", "public-read"));
  CHECK_NOTHROW(anonymous_list());
  // Re-creating your own us-east-1 bucket resets its ACL.
  f.create_bucket("shared");
  CHECK(f.error_of(anonymous_list).code == "AccessDenied");
}

TEST_CASE("s3 bucket cache: a deleted bucket is gone, and another owner's new one is theirs") {
  S3Fixture f;
  f.create_bucket("moving");
  CHECK_NOTHROW(f.call("HeadBucket", bk("moving")));
  f.put("moving", "k", "v");
  CHECK(f.get_body("moving", "k") == "v");
  f.call("DeleteObject", bkey("moving", "k"));
  f.call("DeleteBucket", bk("moving"));
  CHECK(f.error_of([&] { f.call("HeadBucket", bk("moving")); }).code == "NoSuchBucket");
  CHECK(f.error_of([&] { f.get_body("moving", "k"); }).code == "NoSuchBucket");
  f.create_bucket("moving", kBob);
  CHECK(f.error_of([&] { f.call("HeadBucket", bk("moving")); }).code == "AccessDenied");
  CHECK_NOTHROW(f.call("HeadBucket", bk("moving"), kBob));
  CHECK(f.error_of([&] {
          f.call("PutObject", bkey("moving", "k"), kAlice, std::string("v"));
        }).code == "AccessDenied");
}

TEST_CASE("s3 bucket cache: a reset applies to the next request") {
  S3Fixture f;
  f.create_bucket("versions");
  f.put("versions", "k", "one");
  CHECK_NOTHROW(f.call("HeadBucket", bk("versions")));  // the bucket row is cached now
  CHECK(f.get_body("versions", "k") == "one");
  // /_nimbus/reset: the database is wiped, then every service's reset() runs.
  f.db->wipe();
  f.service->reset();
  CHECK(f.error_of([&] { f.call("HeadBucket", bk("versions")); }).code == "NoSuchBucket");
  CHECK(f.error_of([&] { f.get_body("versions", "k"); }).code == "NoSuchBucket");
}
