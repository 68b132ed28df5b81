// Tests for the S3 operations beyond the first slice (services/s3/listing.cc, object_ops.cc,
// bucket_config.cc, multipart.cc, acl.cc): each case cites the S3 API reference page
// (https://docs.aws.amazon.com/AmazonS3/latest/API/<page>) whose behaviour it checks.
#include "s3_fixture.h"
#include "services/s3/schema.h"

namespace {

std::vector<std::string> keys_of(const Value& out) {
  std::vector<std::string> keys;
  if (const Value* c = out.find("Contents"))
    for (const Value& o : c->as_list()) keys.push_back(o.string_or("Key", ""));
  return keys;
}
std::vector<std::string> prefixes_of(const Value& out) {
  std::vector<std::string> p;
  if (const Value* c = out.find("CommonPrefixes"))
    for (const Value& o : c->as_list()) p.push_back(o.string_or("Prefix", ""));
  return p;
}

}  // namespace

// API_ListObjectsV2: prefix, delimiter rolls keys into CommonPrefixes, KeyCount counts both,
// continuation tokens page through, start-after skips.
TEST_CASE("s3: ListObjectsV2 pages with prefix, delimiter, continuation-token and start-after") {
  S3Fixture f;
  f.create_bucket("lst");
  for (const char* k : {"a.txt", "dir/one", "dir/two", "dir/sub/x", "e/1", "z"}) f.put("lst", k, "x");
  Result r = f.call("ListObjectsV2", bk("lst").set("Delimiter", "/"));
  CHECK(keys_of(r.output) == std::vector<std::string>{"a.txt", "z"});
  CHECK(prefixes_of(r.output) == std::vector<std::string>{"dir/", "e/"});
  CHECK(r.output.get_int("KeyCount") == 4);
  CHECK(r.output.get_bool("IsTruncated") == false);

  r = f.call("ListObjectsV2", bk("lst").set("Prefix", "dir/").set("Delimiter", "/"));
  CHECK(keys_of(r.output) == std::vector<std::string>{"dir/one", "dir/two"});
  CHECK(prefixes_of(r.output) == std::vector<std::string>{"dir/sub/"});

  std::vector<std::string> all;
  std::optional<std::string> token;
  int pages = 0;
  do {
    Value in = bk("lst").set("MaxKeys", int64_t{2});
    if (token) in.set("ContinuationToken", *token);
    r = f.call("ListObjectsV2", in);
    for (auto& k : keys_of(r.output)) all.push_back(k);
    token = r.output.get_string("NextContinuationToken");
    ++pages;
  } while (r.output.get_bool("IsTruncated").value_or(false));
  CHECK(pages == 3);
  CHECK(all == std::vector<std::string>{"a.txt", "dir/one", "dir/sub/x", "dir/two", "e/1", "z"});

  r = f.call("ListObjectsV2", bk("lst").set("StartAfter", "dir/two"));
  CHECK(keys_of(r.output) == std::vector<std::string>{"e/1", "z"});
  CHECK(r.output.find("Contents")->as_list()[0].find("Owner") == nullptr);  // fetch-owner off
  r = f.call("ListObjectsV2", bk("lst").set("FetchOwner", true).set("MaxKeys", int64_t{1}));
  CHECK(r.output.find("Contents")->as_list()[0].find("Owner") != nullptr);

  ApiError e = f.error_of(
      [&] { f.call("ListObjectsV2", bk("lst").set("ContinuationToken", "!!not-a-token")); });
  CHECK(e.code == "InvalidArgument");
}

// API_ListObjects: marker, NextMarker only with a delimiter, a common prefix as marker is not
// listed again; EncodingType=url encodes keys.
TEST_CASE("s3: ListObjects V1 resumes from a marker, including a common prefix") {
  S3Fixture f;
  f.create_bucket("lv1");
  for (const char* k : {"a/1", "a/2", "b", "c/1", "d"}) f.put("lv1", k, "x");
  Result r = f.call("ListObjects", bk("lv1").set("Delimiter", "/").set("MaxKeys", int64_t{2}));
  CHECK(prefixes_of(r.output) == std::vector<std::string>{"a/"});
  CHECK(keys_of(r.output) == std::vector<std::string>{"b"});
  CHECK(r.output.get_bool("IsTruncated") == true);
  CHECK(r.output.string_or("NextMarker", "") == "b");
  r = f.call("ListObjects", bk("lv1").set("Delimiter", "/").set("Marker", "a/"));
  CHECK(keys_of(r.output) == std::vector<std::string>{"b", "d"});
  CHECK(prefixes_of(r.output) == std::vector<std::string>{"c/"});
  r = f.call("ListObjects", bk("lv1").set("MaxKeys", int64_t{1}));
  CHECK(r.output.find("NextMarker") == nullptr);

  f.put("lv1", "sp ace+plus%", "x");
  r = f.call("ListObjects", bk("lv1").set("Prefix", "sp").set("EncodingType", "url"));
  CHECK(keys_of(r.output) == std::vector<std::string>{"sp%20ace%2Bplus%25"});
  CHECK(f.error_of([&] { f.call("ListObjects", bk("lv1").set("MaxKeys", int64_t{-1})); }).code ==
        "InvalidArgument");
}

// Listing with a prefix and a delimiter reads index ranges: every key under a common prefix is
// skipped by one seek, so the rows read do not grow with the keys under the prefixes.
TEST_CASE("s3: a delimiter listing seeks past common prefixes instead of reading their keys") {
  S3Fixture f;
  f.create_bucket("big");
  f.db->write([&](Connection& c) {
    for (int d = 0; d < 5; ++d)
      for (int i = 0; i < 4000; ++i) {
        s3::ObjectRecord o;
        o.bucket = "big";
        o.key = "logs/" + std::to_string(d) + "/" + std::to_string(100000 + i);
        o.etag = "\"e\"";
        o.owner_id = kAlice.id;
        s3::insert_object(c, o);
      }
  });
  s3::ListPage page = f.db->read(
      [&](Connection& c) { return s3::list_objects(c, "big", "logs/", "/", "", 1000); });
  REQUIRE(page.entries.size() == 5);
  CHECK(page.entries[0].common_prefix == "logs/0/");
  CHECK(page.entries[4].common_prefix == "logs/4/");
  CHECK(page.rows_examined <= 5);
  Result r = f.call("ListObjectsV2", bk("big").set("Prefix", "logs/3/").set("MaxKeys",
                                                                              int64_t{3}));
  CHECK(keys_of(r.output) ==
        std::vector<std::string>{"logs/3/100000", "logs/3/100001", "logs/3/100002"});
}

// API_DeleteObjects: deletes each key (missing keys count as deleted), Quiet reports nothing,
// more than 1000 keys is MalformedXML.
// ListMultipartUploads reads the (bucket, key, initiated) index the same way: uploads of one key
// in initiation order (not id order), common prefixes skipped by one seek each, and resuming
// after an upload of a key lists the later uploads of that key.
TEST_CASE("s3: ListMultipartUploads walks the upload index by key, then initiation time") {
  S3Fixture f;
  f.create_bucket("uploads");
  f.db->write([&](Connection& c) {
    for (int d = 0; d < 3; ++d)
      for (int i = 0; i < 2000; ++i) {
        s3::UploadRecord u;
        u.upload_id = "id-" + std::to_string(d) + "-" + std::to_string(i);
        u.bucket = "uploads";
        u.key = "tmp/" + std::to_string(d) + "/" + std::to_string(i);
        u.initiated_ms = 1000;
        u.object.owner_id = kAlice.id;
        s3::insert_upload(c, u);
      }
    // Three uploads of "k", initiated in the opposite order of their ids.
    for (int i = 0; i < 3; ++i) {
      s3::UploadRecord u;
      u.upload_id = std::string("z") + static_cast<char>('c' - i);
      u.bucket = "uploads";
      u.key = "k";
      u.initiated_ms = 5000 + i;
      u.object.owner_id = kAlice.id;
      s3::insert_upload(c, u);
    }
  });
  s3::UploadPage page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "", "/", "", "", 1000); });
  REQUIRE(page.entries.size() == 4);
  CHECK(page.entries[0].upload->upload_id == "zc");
  CHECK(page.entries[1].upload->upload_id == "zb");
  CHECK(page.entries[2].upload->upload_id == "za");
  CHECK(page.entries[3].common_prefix == "tmp/");
  CHECK(page.rows_examined <= 4);
  page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "tmp/", "/", "", "", 1000); });
  REQUIRE(page.entries.size() == 3);
  CHECK(page.entries[2].common_prefix == "tmp/2/");
  CHECK(page.rows_examined <= 3);
  // After ("k", "zc") come zb and za; after ("k", "za") nothing of k; after "k" nothing of k.
  page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "", "/", "k", "zc", 2); });
  REQUIRE(page.entries.size() == 2);
  CHECK(page.entries[0].upload->upload_id == "zb");
  CHECK(page.entries[1].upload->upload_id == "za");
  CHECK(page.truncated);
  page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "", "/", "k", "za", 10); });
  REQUIRE(page.entries.size() == 1);
  CHECK(page.entries[0].common_prefix == "tmp/");
  CHECK_FALSE(page.truncated);
  // Resuming after a common prefix skips every key under it.
  page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "tmp/", "/", "tmp/0/", "", 10); });
  REQUIRE(page.entries.size() == 2);
  CHECK(page.entries[0].common_prefix == "tmp/1/");
  // Two uploads started in the same millisecond keep the order they were created in.
  f.db->write([&](Connection& c) {
    for (const char* id : {"y2", "y1"}) {
      s3::UploadRecord u;
      u.upload_id = id;
      u.bucket = "uploads";
      u.key = "same";
      u.initiated_ms = 7000;
      u.object.owner_id = kAlice.id;
      s3::insert_upload(c, u);
    }
  });
  page = f.db->read(
      [&](Connection& c) { return s3::list_uploads(c, "uploads", "same", "", "", "", 10); });
  REQUIRE(page.entries.size() == 2);
  CHECK(page.entries[0].upload->upload_id == "y2");
  CHECK(page.entries[1].upload->initiated_ms == 7001);
}

TEST_CASE("s3: DeleteObjects deletes many keys, Quiet hides successes, over 1000 is MalformedXML") {
  S3Fixture f;
  f.create_bucket("del");
  f.put("del", "a", too_big_to_inline('1'));  // blobs, so that their removal shows
  f.put("del", "b", too_big_to_inline('2'));
  CHECK(f.blob_count() == 2);
  auto request = [](std::vector<std::string> keys, bool quiet) {
    ValueList objects;
    for (auto& k : keys) objects.push_back(Value::map().set("Key", k));
    return Value::map().set("Objects", Value(std::move(objects))).set("Quiet", quiet);
  };
  Result r = f.call("DeleteObjects", bk("del").set("Delete", request({"a", "nope"}, false)));
  CHECK(r.output.find("Deleted")->size() == 2);
  CHECK(f.error_of([&] { f.get_body("del", "a"); }).code == "NoSuchKey");
  r = f.call("DeleteObjects", bk("del").set("Delete", request({"b"}, true)));
  CHECK(r.output.find("Deleted") == nullptr);
  CHECK(f.blob_count() == 0);
  std::vector<std::string> many(1001, "k");
  CHECK(f.error_of([&] { f.call("DeleteObjects", bk("del").set("Delete", request(many, false))); })
            .code == "MalformedXML");
}

// API_CopyObject: COPY keeps metadata, REPLACE takes the request's; a copy onto itself needs a
// change; x-amz-copy-source-if-* conditions give 412; a versionId source copies that version.
TEST_CASE("s3: CopyObject copies metadata or replaces it, and refuses a no-op self copy") {
  S3Fixture f;
  f.create_bucket("cpy");
  f.put("cpy", "src", "payload",
        Value::map().set("ContentType", "text/x-a").set("Metadata", Value::map().set("m", "1")));
  Result r = f.call("CopyObject", bkey("cpy", "dst").set("CopySource", "cpy/src"));
  CHECK(r.output.find("CopyObjectResult")->string_or("ETag", "") == md5_etag("payload"));
  CHECK(f.get_body("cpy", "dst") == "payload");
  Result head = f.call("HeadObject", bkey("cpy", "dst"));
  CHECK(head.output.string_or("ContentType", "") == "text/x-a");
  CHECK(head.output.find("Metadata")->string_or("m", "") == "1");

  f.call("CopyObject", bkey("cpy", "dst2")
                           .set("CopySource", "/cpy/src")
                           .set("MetadataDirective", "REPLACE")
                           .set("ContentType", "text/x-b"));
  head = f.call("HeadObject", bkey("cpy", "dst2"));
  CHECK(head.output.string_or("ContentType", "") == "text/x-b");
  CHECK(head.output.find("Metadata") == nullptr);

  ApiError e = f.error_of([&] { f.call("CopyObject", bkey("cpy", "src").set("CopySource", "cpy/src")); });
  CHECK(e.code == "InvalidRequest");
  f.call("CopyObject", bkey("cpy", "src")
                           .set("CopySource", "cpy/src")
                           .set("MetadataDirective", "REPLACE")
                           .set("Metadata", Value::map().set("m", "2")));
  CHECK(f.get_body("cpy", "src") == "payload");
  // A copy onto itself of a blob-backed object shares the blob: it survives the replacement.
  f.put("cpy", "big", too_big_to_inline('s'));
  size_t blobs = f.blob_count();
  f.call("CopyObject", bkey("cpy", "big")
                           .set("CopySource", "cpy/big")
                           .set("MetadataDirective", "REPLACE")
                           .set("Metadata", Value::map().set("m", "3")));
  CHECK(f.get_body("cpy", "big") == too_big_to_inline('s'));
  CHECK(f.blob_count() == blobs);
  CHECK(f.call("HeadObject", bkey("cpy", "src")).output.find("Metadata")->string_or("m", "") == "2");

  e = f.error_of([&] {
    f.call("CopyObject",
           bkey("cpy", "x").set("CopySource", "cpy/src").set("CopySourceIfMatch", "\"nope\""));
  });
  CHECK(e.http_status == 412);
  CHECK(f.call("CopyObject", bkey("cpy", "x")
                                 .set("CopySource", "cpy/src")
                                 .set("CopySourceIfNoneMatch", "\"nope\""))
            .output.has("CopyObjectResult"));
  CHECK(f.error_of([&] { f.call("CopyObject", bkey("cpy", "y").set("CopySource", "cpy/missing")); })
            .code == "NoSuchKey");

  f.call("PutBucketVersioning",
         bk("cpy").set("VersioningConfiguration", Value::map().set("Status", "Enabled")));
  std::string v1 = *f.put("cpy", "ver", "first").output.get_string("VersionId");
  f.put("cpy", "ver", "second");
  r = f.call("CopyObject", bkey("cpy", "old").set("CopySource", "cpy/ver?versionId=" + v1));
  CHECK(r.output.string_or("CopySourceVersionId", "") == v1);
  CHECK(f.get_body("cpy", "old") == "first");
}

// API_GetObject "Conditional requests": If-Match false → 412 (wins over If-Unmodified-Since),
// If-None-Match matching → 304 (wins over If-Modified-Since).
TEST_CASE("s3: GetObject conditionals answer 304 and 412 with RFC 7232 precedence") {
  S3Fixture f;
  f.create_bucket("cond");
  f.put("cond", "k", "body");
  std::string etag = md5_etag("body");
  double now = 1'700'000'000.0, past = now - 3600, future = now + 3600;
  auto get = [&](Value extra) {
    extra.set("Bucket", "cond").set("Key", "k");
    return f.call("GetObject", extra);
  };
  CHECK(get(Value::map().set("IfMatch", etag)).status == 0);
  CHECK(f.error_of([&] { get(Value::map().set("IfMatch", "\"x\"")); }).http_status == 412);
  CHECK(get(Value::map().set("IfNoneMatch", etag)).status == 304);
  CHECK(get(Value::map().set("IfNoneMatch", "\"x\"")).status == 0);
  CHECK(get(Value::map().set("IfModifiedSince", Value::timestamp(future))).status == 304);
  CHECK(get(Value::map().set("IfModifiedSince", Value::timestamp(past))).status == 0);
  CHECK(f.error_of([&] { get(Value::map().set("IfUnmodifiedSince", Value::timestamp(past))); })
            .http_status == 412);
  // If-Match true + If-Unmodified-Since false → 200; If-None-Match false + IMS false → 200.
  CHECK(get(Value::map().set("IfMatch", etag).set("IfUnmodifiedSince", Value::timestamp(past)))
            .status == 0);
  CHECK(get(Value::map()
                .set("IfNoneMatch", "\"x\"")
                .set("IfModifiedSince", Value::timestamp(future)))
            .status == 0);
}

// API_PutObjectTagging / API_GetObjectTagging / API_GetBucketTagging (NoSuchTagSet),
// API_GetBucketLocation.
TEST_CASE("s3: object and bucket tagging round-trip; location is empty for us-east-1") {
  S3Fixture f;
  f.create_bucket("tag");
  f.put("tag", "k", "x", Value::map().set("Tagging", "a=1&b=2"));
  Result r = f.call("GetObjectTagging", bkey("tag", "k"));
  CHECK(r.output.find("TagSet")->size() == 2);
  ValueList set{Value::map().set("Key", "c").set("Value", "3")};
  f.call("PutObjectTagging",
         bkey("tag", "k").set("Tagging", Value::map().set("TagSet", Value(set))));
  r = f.call("GetObjectTagging", bkey("tag", "k"));
  REQUIRE(r.output.find("TagSet")->size() == 1);
  CHECK(r.output.find("TagSet")->as_list()[0].string_or("Key", "") == "c");
  f.call("DeleteObjectTagging", bkey("tag", "k"));
  CHECK(f.call("GetObjectTagging", bkey("tag", "k")).output.find("TagSet")->size() == 0);

  CHECK(f.error_of([&] { f.call("GetBucketTagging", bk("tag")); }).code == "NoSuchTagSet");
  f.call("PutBucketTagging", bk("tag").set("Tagging", Value::map().set("TagSet", Value(set))));
  CHECK(f.call("GetBucketTagging", bk("tag")).output.find("TagSet")->size() == 1);
  f.call("DeleteBucketTagging", bk("tag"));
  CHECK(f.error_of([&] { f.call("GetBucketTagging", bk("tag")); }).code == "NoSuchTagSet");
  CHECK(f.call("GetBucketLocation", bk("tag")).output.find("LocationConstraint") == nullptr);
}

// API_CompleteMultipartUpload: parts become the object's segments; ETag is md5 of the part
// md5s plus -N; InvalidPartOrder, InvalidPart, EntityTooSmall; ?partNumber serves one part.
TEST_CASE("s3: multipart upload completes from its parts without copying bytes") {
  S3Fixture f;
  f.create_bucket("mpu");
  std::string id = *f.call("CreateMultipartUpload", bkey("mpu", "big")
                                                        .set("ContentType", "text/x-mp"))
                        .output.get_string("UploadId");
  auto upload = [&](int64_t n, const std::string& body) {
    return *f.call("UploadPart", bkey("mpu", "big").set("UploadId", id).set("PartNumber", n),
                   kAlice, body)
                .output.get_string("ETag");
  };
  std::string p1 = std::string(5 << 20, 'a'), p2 = std::string(5 << 20, 'b'), p3 = "tail";
  std::string e1 = upload(1, p1), e2 = upload(2, p2), e3 = upload(3, p3);
  CHECK(f.blob_count() == 3);
  auto complete = [&](std::vector<std::pair<int64_t, std::string>> parts) {
    ValueList list;
    for (auto& [n, e] : parts) list.push_back(Value::map().set("PartNumber", n).set("ETag", e));
    return f.call("CompleteMultipartUpload",
                  bkey("mpu", "big").set("UploadId", id).set(
                      "MultipartUpload", Value::map().set("Parts", Value(std::move(list)))));
  };
  CHECK(f.error_of([&] { complete({{2, e2}, {1, e1}}); }).code == "InvalidPartOrder");
  CHECK(f.error_of([&] { complete({{1, e1}, {2, "\"bad\""}}); }).code == "InvalidPart");
  CHECK(f.error_of([&] { complete({{3, e3}, {4, e3}}); }).code == "InvalidPart");

  Result parts = f.call("ListParts", bkey("mpu", "big").set("UploadId", id));
  CHECK(parts.output.find("Parts")->size() == 3);
  CHECK(f.call("ListMultipartUploads", bk("mpu")).output.find("Uploads")->size() == 1);

  Result done = complete({{1, e1}, {2, e2}, {3, e3}});
  std::string md5s = md5(p1) + md5(p2) + md5(p3);
  CHECK(done.output.string_or("ETag", "") == "\"" + hex_encode(md5(md5s)) + "-3\"");
  CHECK(f.blob_count() == 3);  // the parts' blobs are the object's
  CHECK(f.get_body("mpu", "big") == p1 + p2 + p3);
  Result head = f.call("HeadObject", bkey("mpu", "big"));
  CHECK(head.output.string_or("ContentType", "") == "text/x-mp");
  Result part2 = f.call("GetObject", bkey("mpu", "big").set("PartNumber", int64_t{2}));
  CHECK(part2.status == 206);
  CHECK(part2.output.get_int("PartsCount") == 3);
  CHECK(drain(*part2.stream) == p2);
  CHECK(f.error_of([&] { complete({{1, e1}}); }).code == "NoSuchUpload");
  CHECK(f.call("ListMultipartUploads", bk("mpu")).output.find("Uploads") == nullptr);
}

TEST_CASE("s3: a small non-last part is EntityTooSmall; Abort frees the parts' blobs") {
  S3Fixture f;
  f.create_bucket("mp2");
  std::string id =
      *f.call("CreateMultipartUpload", bkey("mp2", "k")).output.get_string("UploadId");
  std::string e1 = *f.call("UploadPart", bkey("mp2", "k").set("UploadId", id).set("PartNumber", int64_t{1}), kAlice, std::string("small")).output.get_string("ETag");
  std::string e2 = *f.call("UploadPart", bkey("mp2", "k").set("UploadId", id).set("PartNumber", int64_t{2}), kAlice, std::string("tail")).output.get_string("ETag");
  ValueList list{Value::map().set("PartNumber", int64_t{1}).set("ETag", e1),
                 Value::map().set("PartNumber", int64_t{2}).set("ETag", e2)};
  ApiError e = f.error_of([&] {
    f.call("CompleteMultipartUpload",
           bkey("mp2", "k").set("UploadId", id).set("MultipartUpload",
                                                    Value::map().set("Parts", Value(list))));
  });
  CHECK(e.code == "EntityTooSmall");
  CHECK(f.error_of([&] {
          f.call("UploadPart", bkey("mp2", "k").set("UploadId", id).set("PartNumber", int64_t{0}),
                 kAlice, std::string("x"));
        }).code == "InvalidArgument");
  CHECK(f.blob_count() == 2);
  f.call("AbortMultipartUpload", bkey("mp2", "k").set("UploadId", id));
  CHECK(f.blob_count() == 0);
  CHECK(f.error_of([&] { f.call("AbortMultipartUpload", bkey("mp2", "k").set("UploadId", id)); })
            .code == "NoSuchUpload");
}

// API_UploadPartCopy: x-amz-copy-source-range copies a byte range into a part.
TEST_CASE("s3: UploadPartCopy copies a byte range of another object into a part") {
  S3Fixture f;
  f.create_bucket("upc");
  f.put("upc", "src", "0123456789");
  std::string id = *f.call("CreateMultipartUpload", bkey("upc", "dst")).output.get_string("UploadId");
  Result r = f.call("UploadPartCopy", bkey("upc", "dst")
                                          .set("UploadId", id)
                                          .set("PartNumber", int64_t{1})
                                          .set("CopySource", "upc/src")
                                          .set("CopySourceRange", "bytes=2-5"));
  std::string etag = r.output.find("CopyPartResult")->string_or("ETag", "");
  CHECK(etag == md5_etag("2345"));
  CHECK(f.error_of([&] {
          f.call("UploadPartCopy", bkey("upc", "dst")
                                       .set("UploadId", id)
                                       .set("PartNumber", int64_t{2})
                                       .set("CopySource", "upc/src")
                                       .set("CopySourceRange", "bytes=5-20"));
        }).code == "InvalidRequest");
  ValueList list{Value::map().set("PartNumber", int64_t{1}).set("ETag", etag)};
  f.call("CompleteMultipartUpload", bkey("upc", "dst").set("UploadId", id).set(
                                        "MultipartUpload", Value::map().set("Parts", Value(list))));
  CHECK(f.get_body("upc", "dst") == "2345");
}

// API_PutBucketVersioning, API_ListObjectVersions, DeleteMarker behaviour (API_DeleteObject,
// userguide/DeleteMarker.html): a delete marker hides the key (404 with x-amz-delete-marker),
// GET of the marker's version is 405, old versions stay readable, suspended writes "null".
TEST_CASE("s3: versioning keeps versions, adds delete markers and lists them") {
  S3Fixture f;
  f.create_bucket("ver");
  CHECK(f.call("GetBucketVersioning", bk("ver")).output.find("Status") == nullptr);
  f.call("PutBucketVersioning",
         bk("ver").set("VersioningConfiguration", Value::map().set("Status", "Enabled")));
  CHECK(f.call("GetBucketVersioning", bk("ver")).output.string_or("Status", "") == "Enabled");
  CHECK(f.error_of([&] {
          f.call("PutBucketVersioning",
                 bk("ver").set("VersioningConfiguration", Value::map().set("Status", "On")));
        }).code == "MalformedXML");
  std::string v1 = *f.put("ver", "k", "one").output.get_string("VersionId");
  std::string v2 = *f.put("ver", "k", "two").output.get_string("VersionId");
  CHECK(v1 != v2);
  Result del = f.call("DeleteObject", bkey("ver", "k"));
  CHECK(del.output.get_bool("DeleteMarker") == true);
  std::string marker = *del.output.get_string("VersionId");
  ApiError e = f.error_of([&] { f.get_body("ver", "k"); });
  CHECK(e.http_status == 404);
  CHECK(*find_header(e.headers, "x-amz-delete-marker") == "true");
  e = f.error_of([&] { f.call("GetObject", bkey("ver", "k").set("VersionId", marker)); });
  CHECK(e.http_status == 405);
  Result old = f.call("GetObject", bkey("ver", "k").set("VersionId", v1));
  CHECK(body_of(old) == "one");

  Result list = f.call("ListObjectVersions", bk("ver"));
  CHECK(list.output.find("Versions")->size() == 2);
  CHECK(list.output.find("DeleteMarkers")->size() == 1);
  CHECK(list.output.find("DeleteMarkers")->as_list()[0].get_bool("IsLatest") == true);
  Result page = f.call("ListObjectVersions", bk("ver").set("MaxKeys", int64_t{1}));
  CHECK(page.output.get_bool("IsTruncated") == true);
  Result next = f.call("ListObjectVersions",
                       bk("ver")
                           .set("KeyMarker", *page.output.get_string("NextKeyMarker"))
                           .set("VersionIdMarker", *page.output.get_string("NextVersionIdMarker")));
  CHECK(next.output.find("Versions")->size() == 2);
  CHECK(keys_of(f.call("ListObjectsV2", bk("ver")).output).empty());

  // Deleting the marker by version id brings "two" back.
  f.call("DeleteObject", bkey("ver", "k").set("VersionId", marker));
  CHECK(f.get_body("ver", "k") == "two");

  f.call("PutBucketVersioning",
         bk("ver").set("VersioningConfiguration", Value::map().set("Status", "Suspended")));
  CHECK(f.put("ver", "k", "three").output.string_or("VersionId", "") == "null");
  f.put("ver", "k", "four");
  Result all = f.call("ListObjectVersions", bk("ver"));
  CHECK(all.output.find("Versions")->size() == 3);  // v1, v2 and one "null"
  CHECK(f.get_body("ver", "k") == "four");
}

// userguide/acl-overview.html: canned ACLs grant AllUsers / AuthenticatedUsers; anonymous and
// other accounts are refused unless granted.
TEST_CASE("s3: ACLs are enforced for anonymous callers and other accounts") {
  S3Fixture f;
  f.create_bucket("acl");
  f.put("acl", "private", "p");
  f.put("acl", "public", "q", Value::map().set("ACL", "public-read"));
  auto anon_get = [&](const std::string& key) {
    return f.call("GetObject", bkey("acl", key), anonymous());
  };
  Result public_get = anon_get("public");
  CHECK(body_of(public_get) == "q");
  CHECK(f.error_of([&] { anon_get("private"); }).code == "AccessDenied");
  CHECK(f.error_of([&] { f.call("ListObjectsV2", bk("acl"), anonymous()); }).code ==
        "AccessDenied");
  CHECK(f.error_of([&] { f.call("GetObject", bkey("acl", "private"), kBob); }).code ==
        "AccessDenied");
  CHECK(f.error_of([&] {
          f.call("PutObject", bkey("acl", "x"), anonymous(), std::string("no"));
        }).code == "AccessDenied");

  f.call("PutBucketAcl", bk("acl").set("ACL", "public-read"));
  CHECK(f.call("ListObjectsV2", bk("acl"), anonymous()).output.get_int("KeyCount") == 2);
  Result acl = f.call("GetBucketAcl", bk("acl"));
  CHECK(acl.output.find("Grants")->size() == 2);

  f.call("PutObjectAcl", bkey("acl", "private").set("GrantRead", "id=\"" +
                                                                    s3::canonical_user_id(kBob.id) +
                                                                    "\""));
  CHECK(f.call("GetObject", bkey("acl", "private"), kBob).output.has("Body"));
  CHECK(f.error_of([&] { anon_get("private"); }).code == "AccessDenied");
  CHECK(f.error_of([&] {
          f.call("PutObjectAcl", bkey("acl", "private").set("ACL", "private").set("GrantRead", "id=\"x\""));
        }).code == "InvalidRequest");
  f.call("PutObjectAcl", bkey("acl", "private").set("ACL", "authenticated-read"));
  CHECK(f.call("GetObject", bkey("acl", "private"), kBob).output.has("Body"));
  CHECK(f.error_of([&] { anon_get("private"); }).code == "AccessDenied");
  Result object_acl = f.call("GetObjectAcl", bkey("acl", "private"));
  CHECK(object_acl.output.find("Grants")->as_list()[1].find("Grantee")->string_or("URI", "") ==
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers");
}

// A deleted bucket takes its unfinished multipart uploads (and their parts' blobs) with it.
TEST_CASE("s3: DeleteBucket removes uploads in progress and their blobs") {
  S3Fixture f;
  f.create_bucket("gone");
  std::string id = *f.call("CreateMultipartUpload", bkey("gone", "k")).output.get_string("UploadId");
  f.call("UploadPart", bkey("gone", "k").set("UploadId", id).set("PartNumber", int64_t{1}), kAlice,
         std::string("part"));
  CHECK(f.blob_count() == 1);
  f.call("DeleteBucket", bk("gone"));
  CHECK(f.blob_count() == 0);
  f.create_bucket("gone");
  CHECK(f.call("ListMultipartUploads", bk("gone")).output.find("Uploads") == nullptr);
}

// API_CompleteMultipartUpload + API_GetObjectAttributes: with a SHA256 upload each CompletedPart
// must carry the part's checksum (a wrong one is InvalidPart, a missing one InvalidRequest); the
// object keeps its parts (number, size, checksum), listed by GetObjectAttributes after a reopen
// of the database, paged by PartNumberMarker/MaxParts.
TEST_CASE("s3: composite checksums are checked on Complete and parts are kept for attributes") {
  S3Fixture f(true);
  f.create_bucket("att");
  std::string id = *f.call("CreateMultipartUpload",
                           bkey("att", "o").set("ChecksumAlgorithm", "SHA256"))
                        .output.get_string("UploadId");
  std::string p1(5 << 20, 'x'), p2 = "end";
  auto upload = [&](int64_t n, const std::string& body) {
    Headers headers = {{"x-amz-checksum-sha256", base64_encode(sha256(body))}};
    Value in = bkey("att", "o").set("UploadId", id).set("PartNumber", n)
                   .set("ChecksumSHA256", base64_encode(sha256(body)));
    return *f.call("UploadPart", in, kAlice, body, "us-east-1", headers)
                .output.get_string("ETag");
  };
  std::string e1 = upload(1, p1), e2 = upload(2, p2);
  auto complete = [&](const std::string& c2) {
    ValueList list;
    list.push_back(Value::map().set("PartNumber", int64_t{1}).set("ETag", e1)
                       .set("ChecksumSHA256", base64_encode(sha256(p1))));
    Value second = Value::map().set("PartNumber", int64_t{2}).set("ETag", e2);
    if (!c2.empty()) second.set("ChecksumSHA256", c2);
    list.push_back(std::move(second));
    return f.call("CompleteMultipartUpload",
                  bkey("att", "o").set("UploadId", id).set(
                      "MultipartUpload", Value::map().set("Parts", Value(std::move(list)))));
  };
  CHECK(f.error_of([&] { complete(base64_encode(sha256("other"))); }).code == "InvalidPart");
  CHECK(f.error_of([&] { complete(""); }).code == "InvalidRequest");
  Result done = complete(base64_encode(sha256(p2)));
  std::string composite = base64_encode(sha256(sha256(p1) + sha256(p2)));
  CHECK(done.output.string_or("ChecksumSHA256", "") == composite + "-2");

  f.open(true);  // the parts come back from the database
  ValueList attrs;
  for (const char* a : {"ETag", "Checksum", "ObjectParts", "ObjectSize"}) attrs.push_back(Value(a));
  Result r = f.call("GetObjectAttributes", bkey("att", "o")
                                               .set("ObjectAttributes", Value(std::move(attrs)))
                                               .set("MaxParts", int64_t{1})
                                               .set("PartNumberMarker", int64_t{1}));
  CHECK(r.output.get_int("ObjectSize") == static_cast<int64_t>(p1.size() + p2.size()));
  CHECK(r.output.find("Checksum")->get_string("ChecksumSHA256") == composite);
  const Value* parts = r.output.find("ObjectParts");
  REQUIRE(parts != nullptr);
  CHECK(parts->get_int("TotalPartsCount") == 2);
  const Value* list = parts->find("Parts");
  REQUIRE(list != nullptr);
  REQUIRE(list->size() == 1);
  CHECK(list->as_list()[0].get_int("PartNumber") == 2);
  CHECK(list->as_list()[0].get_int("Size") == 3);
  CHECK(list->as_list()[0].get_string("ChecksumSHA256") == base64_encode(sha256(p2)));
}

// API_PutObject / acl-overview (WRITE on a bucket: create objects in it): a bucket whose ACL
// grants WRITE takes objects from others, small (written after the call returns) and large
// alike; a private one refuses them, and the refused write leaves nothing behind.
TEST_CASE("s3: PutObject into a bucket with a WRITE grant works for other accounts and anonymous") {
  S3Fixture f;
  f.create_bucket("shared");
  f.call("PutBucketAcl", bk("shared").set("ACL", "public-read-write"));
  std::string large(64 * 1024, 'L');
  CHECK_NOTHROW(f.call("PutObject", bkey("shared", "from-bob"), kBob, std::string("small")));
  CHECK_NOTHROW(f.call("PutObject", bkey("shared", "large-from-bob"), kBob, large));
  CHECK_NOTHROW(f.call("PutObject", bkey("shared", "from-anyone"), anonymous(), std::string("a")));
  CHECK(f.get_body("shared", "from-bob") == "small");
  CHECK(f.get_body("shared", "large-from-bob") == large);
  CHECK(f.get_body("shared", "from-anyone") == "a");

  f.create_bucket("private");
  size_t blobs_before = f.blob_count();
  CHECK(f.error_of([&] { f.call("PutObject", bkey("private", "k"), kBob, std::string("x")); })
            .code == "AccessDenied");
  CHECK(f.error_of([&] { f.call("PutObject", bkey("private", "big"), kBob, large); }).code ==
        "AccessDenied");
  CHECK(f.blob_count() == blobs_before);
  CHECK(f.error_of([&] { f.call("HeadObject", bkey("private", "k")); }).code == "NoSuchKey");
}
