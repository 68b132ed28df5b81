// Tests for S3Service (services/s3/): the first slice's operations called through Service::call
// with model-shaped Values, against an ephemeral (or file) Database and a temporary BlobStore.
// Each case names the S3 behaviour it proves; codes and statuses are those the S3 API reference
// lists for the case.
#include "s3_fixture.h"

TEST_CASE("s3: buckets are created, listed by name with the owner's canonical id, and deleted") {
  S3Fixture f;
  Result created = f.call("CreateBucket", Value::map().set("Bucket", "zeta"));
  CHECK(created.output.string_or("Location", "") == "/zeta");
  f.create_bucket("alpha");
  f.create_bucket("bobs-bucket", kBob);

  Result list = f.call("ListBuckets", Value::map());
  const Value* buckets = list.output.find("Buckets");
  REQUIRE(buckets != nullptr);
  REQUIRE(buckets->size() == 2);
  CHECK(buckets->as_list()[0].string_or("Name", "") == "alpha");
  CHECK(buckets->as_list()[1].string_or("Name", "") == "zeta");
  CHECK(buckets->as_list()[0].string_or("BucketRegion", "") == "us-east-1");
  CHECK(buckets->as_list()[0].find("CreationDate")->as_timestamp() == 1'700'000'000.0);
  std::string owner_id = list.output.find("Owner")->string_or("ID", "");
  CHECK(owner_id == sha256_hex("000000000000"));
  CHECK(owner_id.size() == 64);
  CHECK(list.output.find("Owner")->string_or("DisplayName", "") == "owner-000000000000");

  Result head = f.call("HeadBucket", Value::map().set("Bucket", "alpha"));
  CHECK(head.output.string_or("BucketRegion", "") == "us-east-1");

  f.call("DeleteBucket", Value::map().set("Bucket", "alpha"));
  ApiError gone = f.error_of([&] { f.call("HeadBucket", Value::map().set("Bucket", "alpha")); });
  CHECK(gone.http_status == 404);
  CHECK(gone.code == "NoSuchBucket");
  CHECK(detail(gone, "BucketName") == "alpha");
}

TEST_CASE("s3: ListBuckets pages with max-buckets and filters by prefix") {
  S3Fixture f;
  for (const char* name : {"b-one", "a-one", "b-two", "b-three"}) f.create_bucket(name);
  Result page = f.call("ListBuckets", Value::map().set("MaxBuckets", 2).set("Prefix", "b-"));
  REQUIRE(page.output.find("Buckets")->size() == 2);
  CHECK(page.output.find("Buckets")->as_list()[1].string_or("Name", "") == "b-three");
  std::string token = page.output.string_or("ContinuationToken", "");
  REQUIRE(!token.empty());
  Result rest =
      f.call("ListBuckets",
             Value::map().set("MaxBuckets", 2).set("Prefix", "b-").set("ContinuationToken", token));
  REQUIRE(rest.output.find("Buckets")->size() == 1);
  CHECK(rest.output.find("Buckets")->as_list()[0].string_or("Name", "") == "b-two");
  CHECK_FALSE(rest.output.has("ContinuationToken"));
  CHECK(f.error_of([&] { f.call("ListBuckets", Value::map().set("MaxBuckets", 0)); }).code ==
        "InvalidArgument");
}

TEST_CASE("s3: bucket names follow the general purpose naming rules") {
  for (const char* bad : {"ab", "Uppercase", "under_score", "-leading", "trailing-", "a..b",
                          "192.168.5.4", "xn--punycode", "sthree-x", "amzn-s3-demo-x", "x-s3alias",
                          "x--ol-s3", "x.mrap", "x--x-s3", "x--table-s3", "spa ce",
                          "a234567890123456789012345678901234567890123456789012345678901234"}) {
    CAPTURE(std::string(bad));
    CHECK_FALSE(s3::is_valid_bucket_name(bad));
  }
  for (const char* good : {"abc", "my.bucket-1", "1bucket", "a-b.c-d",
                           "a23456789012345678901234567890123456789012345678901234567890123"}) {
    CAPTURE(std::string(good));
    CHECK(s3::is_valid_bucket_name(good));
  }
  S3Fixture f;
  ApiError e = f.error_of([&] { f.create_bucket("Bad_Name"); });
  CHECK(e.http_status == 400);
  CHECK(e.code == "InvalidBucketName");
  CHECK(detail(e, "BucketName") == "Bad_Name");
}

TEST_CASE("s3: re-creating a bucket answers as AWS does for owner and for others") {
  S3Fixture f;
  f.create_bucket("shared-name");
  // us-east-1 keeps the legacy 200 for the owner.
  CHECK_NOTHROW(f.create_bucket("shared-name"));
  ApiError other = f.error_of([&] { f.create_bucket("shared-name", kBob); });
  CHECK(other.http_status == 409);
  CHECK(other.code == "BucketAlreadyExists");

  Value eu = Value::map();
  eu.set("Bucket", "eu-bucket");
  eu["CreateBucketConfiguration"].set("LocationConstraint", "eu-west-1");
  f.call("CreateBucket", eu, kAlice, std::nullopt, "eu-west-1");
  ApiError mine =
      f.error_of([&] { f.call("CreateBucket", eu, kAlice, std::nullopt, "eu-west-1"); });
  CHECK(mine.http_status == 409);
  CHECK(mine.code == "BucketAlreadyOwnedByYou");
  CHECK(f.call("HeadBucket", Value::map().set("Bucket", "eu-bucket"))
            .output.string_or("BucketRegion", "") == "eu-west-1");
}

TEST_CASE("s3: location constraints must name a region the endpoint serves") {
  S3Fixture f;
  auto create = [&](const std::string& name, std::optional<std::string> constraint,
                    const std::string& region) {
    Value input = Value::map().set("Bucket", name);
    if (constraint) input["CreateBucketConfiguration"].set("LocationConstraint", *constraint);
    f.call("CreateBucket", input, kAlice, std::nullopt, region);
  };
  ApiError unspecified = f.error_of([&] { create("lc-a", std::nullopt, "eu-west-1"); });
  CHECK(unspecified.code == "IllegalLocationConstraintException");
  CHECK(unspecified.http_status == 400);
  CHECK(f.error_of([&] { create("lc-b", "us-west-2", "eu-west-1"); }).code ==
        "IllegalLocationConstraintException");
  CHECK(f.error_of([&] { create("lc-c", "us-east-1", "us-east-1"); }).code ==
        "InvalidLocationConstraint");
  CHECK(f.error_of([&] { create("lc-d", "moon-1", "us-east-1"); }).code ==
        "InvalidLocationConstraint");
  // The global endpoint (us-east-1) creates buckets in any region; "EU" is eu-west-1.
  create("lc-e", "ap-south-1", "us-east-1");
  create("lc-f", "EU", "us-east-1");
  CHECK(f.call("HeadBucket", Value::map().set("Bucket", "lc-e"))
            .output.string_or("BucketRegion", "") == "ap-south-1");
  CHECK(f.call("HeadBucket", Value::map().set("Bucket", "lc-f"))
            .output.string_or("BucketRegion", "") == "eu-west-1");
}

TEST_CASE("s3: another account's bucket is 403 AccessDenied, a missing one 404 NoSuchBucket") {
  S3Fixture f;
  f.create_bucket("alices");
  f.put("alices", "k", "data");
  Value bucket = Value::map().set("Bucket", "alices");
  Value object = Value::map().set("Bucket", "alices").set("Key", "k");
  for (const char* op : {"HeadBucket", "DeleteBucket"}) {
    ApiError e = f.error_of([&] { f.call(op, bucket, kBob); });
    CHECK(e.http_status == 403);
    CHECK(e.code == "AccessDenied");
  }
  for (const char* op : {"GetObject", "HeadObject", "DeleteObject", "PutObject"}) {
    CAPTURE(op);
    ApiError e = f.error_of([&] { f.call(op, object, kBob); });
    CHECK(e.http_status == 403);
    CHECK(e.code == "AccessDenied");
  }
  CHECK(f.error_of([&] {
           f.call("HeadBucket", bucket.set("ExpectedBucketOwner", "111111111111"));
         }).code == "AccessDenied");
  Account anonymous;
  anonymous.anonymous = true;
  CHECK(f.error_of([&] { f.call("ListBuckets", Value::map(), anonymous); }).http_status == 403);

  Value missing = Value::map().set("Bucket", "nobody-has-this").set("Key", "k");
  for (const char* op :
       {"GetObject", "HeadObject", "DeleteObject", "PutObject", "HeadBucket", "DeleteBucket"}) {
    CAPTURE(op);
    ApiError e = f.error_of([&] { f.call(op, missing); });
    CHECK(e.http_status == 404);
    CHECK(e.code == "NoSuchBucket");
    CHECK(detail(e, "BucketName") == "nobody-has-this");
  }
  CHECK(f.get_body("alices", "k") == "data");
}

TEST_CASE("s3: PutObject stores bytes, headers and metadata that GetObject and HeadObject return") {
  S3Fixture f;
  f.create_bucket("objects");
  Value extra = Value::map();
  extra.set("ContentType", "text/plain").set("CacheControl", "max-age=60");
  extra.set("ContentDisposition", "attachment").set("ContentLanguage", "en");
  extra.set("Expires", "Thu, 01 Dec 2050 16:00:00 GMT").set("ContentEncoding", "identity");
  extra["Metadata"].set("Color", "blue").set("empty", "");
  Result put = f.put("objects", "dir/my file+x.txt", "hello world", extra);
  CHECK(put.output.string_or("ETag", "") == md5_etag("hello world"));
  CHECK(put.output.string_or("ETag", "") == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  // Without a client checksum S3 adds CRC64NVME (big-endian bytes, base64).
  uint64_t crc = crc64nvme("hello world");
  std::string crc_bytes;
  for (int shift = 56; shift >= 0; shift -= 8) crc_bytes.push_back(static_cast<char>(crc >> shift));
  CHECK(put.output.string_or("ChecksumCRC64NVME", "") == base64_encode(crc_bytes));
  CHECK(put.output.string_or("ChecksumType", "") == "FULL_OBJECT");
  CHECK(put.output.string_or("ServerSideEncryption", "") == "AES256");
  CHECK_FALSE(put.output.has("VersionId"));

  f.clock.advance(5000);
  Value key = Value::map().set("Bucket", "objects").set("Key", "dir/my file+x.txt");
  Result get = f.call("GetObject", key);
  CHECK(body_of(get) == "hello world");
  CHECK(get.status == 0);
  for (const Result* r : {&get}) {
    const Value& o = r->output;
    CHECK(o.get_int("ContentLength") == 11);
    CHECK(o.string_or("ETag", "") == md5_etag("hello world"));
    CHECK(o.string_or("ContentType", "") == "text/plain");
    CHECK(o.string_or("CacheControl", "") == "max-age=60");
    CHECK(o.string_or("ContentDisposition", "") == "attachment");
    CHECK(o.string_or("ContentLanguage", "") == "en");
    CHECK(o.string_or("ContentEncoding", "") == "identity");
    CHECK(o.string_or("Expires", "") == "Thu, 01 Dec 2050 16:00:00 GMT");
    CHECK(o.string_or("AcceptRanges", "") == "bytes");
    CHECK(o.find("LastModified")->as_timestamp() == 1'700'000'000.0);
    CHECK(o.find("Metadata")->string_or("color", "") == "blue");
    CHECK(o.find("Metadata")->string_or("empty", "x") == "");
    CHECK_FALSE(o.has("ChecksumCRC64NVME"));  // only with ChecksumMode=ENABLED
  }
  Result head = f.call("HeadObject", key);
  CHECK_FALSE(head.stream);
  CHECK(head.output.get_int("ContentLength") == 11);
  CHECK(head.output.find("Metadata")->string_or("color", "") == "blue");

  Result with_checksum = f.call("HeadObject", Value(key).set("ChecksumMode", "ENABLED"));
  CHECK(with_checksum.output.string_or("ChecksumCRC64NVME", "") ==
        put.output.string_or("ChecksumCRC64NVME", "?"));
}

TEST_CASE("s3: a body without Content-Type is binary/octet-stream and an absent body is empty") {
  S3Fixture f;
  f.create_bucket("defaults");
  f.put("defaults", "bin", std::string("\0\x01\x02", 3));
  Result head = f.call("HeadObject", Value::map().set("Bucket", "defaults").set("Key", "bin"));
  CHECK(head.output.string_or("ContentType", "") == "binary/octet-stream");
  CHECK(f.get_body("defaults", "bin") == std::string("\0\x01\x02", 3));

  Result empty = f.call("PutObject", Value::map().set("Bucket", "defaults").set("Key", "empty"));
  CHECK(empty.output.string_or("ETag", "") == "\"d41d8cd98f00b204e9800998ecf8427e\"");
  Result get = f.call("GetObject", Value::map().set("Bucket", "defaults").set("Key", "empty"));
  CHECK(get.output.get_int("ContentLength") == 0);
  CHECK(get.stream_length == 0);
  CHECK(f.get_body("defaults", "empty").empty());
}

TEST_CASE("s3: a multi-megabyte body streams through in chunks and reads back byte for byte") {
  S3Fixture f;
  f.create_bucket("big");
  std::string data;
  data.reserve(3 * 1024 * 1024 + 17);
  uint32_t x = 12345;
  while (data.size() < 3 * 1024 * 1024 + 17) {
    x = x * 1103515245 + 12345;
    data.push_back(static_cast<char>(x >> 24));
  }
  Result put = f.put("big", "blob.bin", data);
  CHECK(put.output.string_or("ETag", "") == md5_etag(data));
  CHECK(f.get_body("big", "blob.bin") == data);
  CHECK(f.blob_count() == 1);
}

TEST_CASE("s3: keys are opaque strings, never paths") {
  S3Fixture f;
  f.create_bucket("keys");
  const std::vector<std::string> keys = {
      "a b", "a+b", "ünïcødé/ключ", "a//b", "../../etc/passwd", "/leading", "trailing/", "%41"};
  for (size_t i = 0; i < keys.size(); ++i) f.put("keys", keys[i], "v" + std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i) {
    CAPTURE(keys[i]);
    CHECK(f.get_body("keys", keys[i]) == "v" + std::to_string(i));
  }
  CHECK(f.error_of([&] { f.get_body("keys", "a/b"); }).code == "NoSuchKey");
}

TEST_CASE("s3: overwriting a key replaces the object and removes the old blob") {
  S3Fixture f;
  f.create_bucket("over");
  f.put("over", "k", too_big_to_inline('1'));
  CHECK(f.blob_count() == 1);
  Result second = f.put("over", "k", too_big_to_inline('2'));
  CHECK(f.blob_count() == 1);
  CHECK(f.get_body("over", "k") == too_big_to_inline('2'));
  CHECK(f.call("HeadObject", Value::map().set("Bucket", "over").set("Key", "k"))
            .output.string_or("ETag", "") == md5_etag(too_big_to_inline('2')));
  // A small body replacing it lives in the row: the blob goes; and back again.
  f.put("over", "k", "second");
  CHECK(f.blob_count() == 0);
  CHECK(f.get_body("over", "k") == "second");
  f.put("over", "k", too_big_to_inline('3'));
  CHECK(f.blob_count() == 1);
  CHECK(f.get_body("over", "k") == too_big_to_inline('3'));
}

TEST_CASE("s3: small bodies are kept in the object's row, without a blob file") {
  S3Fixture f;
  f.create_bucket("small");
  std::string largest(s3::kMaxInlineBodyBytes, 'x');
  largest[7] = 'y';
  f.put("small", "one", "1");
  f.put("small", "largest", largest);
  CHECK(f.blob_count() == 0);
  Result get = f.call("GetObject", Value::map().set("Bucket", "small").set("Key", "largest"));
  CHECK_FALSE(get.stream);  // answered from memory
  CHECK(body_of(get) == largest);
  CHECK(get.output.get_int("ContentLength") == static_cast<int64_t>(largest.size()));
  CHECK(f.get_body("small", "one") == "1");
  // One byte more is a blob; a body arriving in small pieces moves to the blob as it outgrows
  // the limit, and reads back whole.
  f.body_piece = 1000;
  f.put("small", "bigger", largest + "z");
  CHECK(f.blob_count() == 1);
  CHECK(f.get_body("small", "bigger") == largest + "z");
  Result head = f.call("HeadObject", Value::map().set("Bucket", "small").set("Key", "one"));
  CHECK_FALSE(head.output.has("Body"));
  f.call("DeleteObject", Value::map().set("Bucket", "small").set("Key", "largest"));
  CHECK(f.error_of([&] { f.get_body("small", "largest"); }).code == "NoSuchKey");
}

TEST_CASE("s3: GetObject of a missing key is 404 NoSuchKey with the key") {
  S3Fixture f;
  f.create_bucket("nokey");
  for (const char* op : {"GetObject", "HeadObject"}) {
    ApiError e =
        f.error_of([&] { f.call(op, Value::map().set("Bucket", "nokey").set("Key", "x")); });
    CHECK(e.http_status == 404);
    CHECK(e.code == "NoSuchKey");
    CHECK(detail(e, "Key") == "x");
  }
}

TEST_CASE("s3: DeleteObject answers 204 whether or not the key exists, and frees the blob") {
  S3Fixture f;
  f.create_bucket("del");
  f.put("del", "k", too_big_to_inline('b'));
  CHECK(f.blob_count() == 1);
  Value key = Value::map().set("Bucket", "del").set("Key", "k");
  Result r = f.call("DeleteObject", key);
  CHECK(r.status == 0);  // the operation's default: 204
  CHECK(f.service->model().operation("DeleteObject")->response_code == 204);
  CHECK(f.blob_count() == 0);
  CHECK(f.error_of([&] { f.call("GetObject", key); }).code == "NoSuchKey");
  CHECK_NOTHROW(f.call("DeleteObject", key));
}

TEST_CASE("s3: DeleteBucket refuses a bucket that still holds objects") {
  S3Fixture f;
  f.create_bucket("full");
  f.put("full", "k", "x");
  ApiError e = f.error_of([&] { f.call("DeleteBucket", Value::map().set("Bucket", "full")); });
  CHECK(e.http_status == 409);
  CHECK(e.code == "BucketNotEmpty");
  CHECK(detail(e, "BucketName") == "full");
  f.call("DeleteObject", Value::map().set("Bucket", "full").set("Key", "k"));
  CHECK_NOTHROW(f.call("DeleteBucket", Value::map().set("Bucket", "full")));
}

TEST_CASE("s3: Content-MD5 is checked: malformed is InvalidDigest, mismatched is BadDigest") {
  S3Fixture f;
  f.create_bucket("md5");
  for (const std::string& payload : {std::string("payload"), too_big_to_inline('p')}) {
    CAPTURE(payload.size());
    std::string good = base64_encode(md5(payload));
    CHECK_NOTHROW(f.put("md5", "ok", payload, Value::map().set("ContentMD5", good)));
    ApiError malformed =
        f.error_of([&] { f.put("md5", "bad", payload, Value::map().set("ContentMD5", "nope")); });
    CHECK(malformed.http_status == 400);
    CHECK(malformed.code == "InvalidDigest");
    ApiError mismatch = f.error_of(
        [&] { f.put("md5", "bad", payload + "!", Value::map().set("ContentMD5", good)); });
    CHECK(mismatch.http_status == 400);
    CHECK(mismatch.code == "BadDigest");
    CHECK(detail(mismatch, "CalculatedDigest") == base64_encode(md5(payload + "!")));
    CHECK(f.error_of([&] { f.get_body("md5", "bad"); }).code == "NoSuchKey");
    CHECK(f.get_body("md5", "ok") == payload);
  }
  CHECK(f.blob_count() == 1);  // the big "ok"; the refused uploads left no file behind
}

TEST_CASE("s3: a streamed multi-MiB body gets the right ETag, Content-MD5 and checksum checks") {
  // Streamed bodies hash MD5 on a second thread when the process may use two CPUs; the digest,
  // the checks and the stored bytes must be exactly those of the single-threaded path.
  S3Fixture f;
  f.create_bucket("big");
  std::string data(5 * 1024 * 1024 + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 31 + i / 4099) % 256);
  Result ok = f.put("big", "k", data, Value::map().set("ContentMD5", base64_encode(md5(data))));
  CHECK(ok.output.string_or("ETag", "") == "\"" + hex_encode(md5(data)) + "\"");
  CHECK(f.get_body("big", "k") == data);

  std::string other = data;
  other[4 * 1024 * 1024] ^= 1;  // one bit, well after the first few buffers
  Value wrong_md5 = Value::map().set("ContentMD5", base64_encode(md5(data)));
  ApiError bad = f.error_of([&] { f.put("big", "bad", other, wrong_md5); });
  CHECK(bad.code == "BadDigest");
  CHECK(detail(bad, "CalculatedDigest") == base64_encode(md5(other)));
  uint32_t c = crc32(data);
  std::string crc{static_cast<char>(c >> 24), static_cast<char>(c >> 16),
                  static_cast<char>(c >> 8), static_cast<char>(c)};
  CHECK(f.error_of([&] {
           f.put("big", "bad", other, Value::map().set("ChecksumCRC32", base64_encode(crc)));
         }).code == "BadDigest");
  CHECK(f.error_of([&] { f.get_body("big", "bad"); }).code == "NoSuchKey");
  CHECK(f.blob_count() == 1);
}

TEST_CASE("s3: x-amz-checksum-* values are verified, stored and returned") {
  S3Fixture f;
  f.create_bucket("sums");
  auto crc32_b64 = [](const std::string& data) {
    uint32_t c = crc32(data);
    std::string raw{static_cast<char>(c >> 24), static_cast<char>(c >> 16),
                    static_cast<char>(c >> 8), static_cast<char>(c)};
    return base64_encode(raw);
  };
  Value ok =
      Value::map().set("ChecksumCRC32", crc32_b64("hello")).set("ChecksumAlgorithm", "CRC32");
  Result put = f.put("sums", "k", "hello", ok);
  CHECK(put.output.string_or("ChecksumCRC32", "") == crc32_b64("hello"));
  CHECK_FALSE(put.output.has("ChecksumCRC64NVME"));
  Result get =
      f.call("GetObject",
             Value::map().set("Bucket", "sums").set("Key", "k").set("ChecksumMode", "ENABLED"));
  CHECK(get.output.string_or("ChecksumCRC32", "") == crc32_b64("hello"));

  ApiError wrong = f.error_of(
      [&] { f.put("sums", "k2", "hellO", Value::map().set("ChecksumCRC32", crc32_b64("hello"))); });
  CHECK(wrong.http_status == 400);
  CHECK(wrong.code == "BadDigest");
  CHECK(wrong.message == "The CRC32 you specified did not match the calculated checksum.");
  ApiError sha = f.error_of([&] {
    f.put("sums", "k3", "abc", Value::map().set("ChecksumSHA256", base64_encode(sha256("abd"))));
  });
  CHECK(sha.code == "BadDigest");
  CHECK(f.put("sums", "k4", "abc", Value::map().set("ChecksumSHA256", base64_encode(sha256("abc"))))
            .output.string_or("ChecksumSHA256", "") == base64_encode(sha256("abc")));
  CHECK(f.error_of([&] {
           f.put("sums", "k5", "abc", Value::map().set("ChecksumCRC32", "!!"));
         }).code == "InvalidRequest");
  CHECK(f.error_of([&] {
           f.put("sums", "k6", "abc", Value::map().set("ChecksumAlgorithm", "CRC32"));
         }).code == "InvalidRequest");
}

TEST_CASE("s3: a trailing x-amz-checksum-crc32 (aws-chunked uploads) is verified") {
  S3Fixture f;
  f.create_bucket("trail");
  uint32_t c = crc32("hello\n");
  std::string raw{static_cast<char>(c >> 24), static_cast<char>(c >> 16), static_cast<char>(c >> 8),
                  static_cast<char>(c)};
  Headers request_headers = {{"x-amz-trailer", "x-amz-checksum-crc32"}};
  Headers good = {{"x-amz-checksum-crc32", base64_encode(raw)}};
  Value input = Value::map()
                    .set("Bucket", "trail")
                    .set("Key", "k")
                    .set("ChecksumAlgorithm", "CRC32")
                    .set("ContentEncoding", "aws-chunked");
  Result put = f.call("PutObject", input, kAlice, "hello\n", "us-east-1", request_headers, &good);
  CHECK(put.output.string_or("ChecksumCRC32", "") == base64_encode(raw));
  // aws-chunked is framing, not a stored Content-Encoding.
  CHECK_FALSE(f.call("HeadObject", Value::map().set("Bucket", "trail").set("Key", "k"))
                  .output.has("ContentEncoding"));
  Headers bad = {{"x-amz-checksum-crc32", base64_encode(std::string(4, 'x'))}};
  CHECK(f.error_of([&] {
           f.call("PutObject", input, kAlice, "hello\n", "us-east-1", request_headers, &bad);
         }).code == "BadDigest");
}

TEST_CASE("s3: metadata over 2 KiB and keys over 1024 bytes are refused") {
  S3Fixture f;
  f.create_bucket("limits");
  Value big = Value::map();
  big["Metadata"].set("k", std::string(2048, 'v'));  // 1 + 2048 bytes
  ApiError e = f.error_of([&] { f.put("limits", "k", "x", big); });
  CHECK(e.http_status == 400);
  CHECK(e.code == "MetadataTooLarge");
  Value fits = Value::map();
  fits["Metadata"].set("k", std::string(2047, 'v'));  // exactly 2 KiB
  CHECK_NOTHROW(f.put("limits", "k", "x", fits));

  CHECK_NOTHROW(f.put("limits", std::string(1024, 'k'), "x"));
  ApiError long_key = f.error_of([&] { f.put("limits", std::string(1025, 'k'), "x"); });
  CHECK(long_key.http_status == 400);
  CHECK(long_key.code == "KeyTooLongError");
}

TEST_CASE("s3: a single byte range answers 206 with Content-Range; unsatisfiable is 416") {
  S3Fixture f;
  f.create_bucket("ranges");
  f.put("ranges", "k", "0123456789");
  auto get = [&](const std::string& range, const std::string& key = "k") {
    return f.call("GetObject",
                  Value::map().set("Bucket", "ranges").set("Key", key).set("Range", range));
  };
  Result middle = get("bytes=2-5");
  CHECK(middle.status == 206);
  CHECK(middle.output.string_or("ContentRange", "") == "bytes 2-5/10");
  CHECK(middle.output.get_int("ContentLength") == 4);
  CHECK(body_of(middle) == "2345");
  Result suffix = get("bytes=-3");
  CHECK(body_of(suffix) == "789");
  CHECK(suffix.output.string_or("ContentRange", "") == "bytes 7-9/10");
  Result open_end = get("bytes=8-100");
  CHECK(body_of(open_end) == "89");
  Result several = get("bytes=0-1,4-5");  // S3 serves one range only: the whole object
  CHECK(several.status == 0);
  CHECK(body_of(several) == "0123456789");
  // The same from a blob.
  std::string big = too_big_to_inline('a') + "0123456789";
  f.put("ranges", "big", big);
  Result tail = get("bytes=-4", "big");
  CHECK(tail.status == 206);
  CHECK(tail.stream);
  CHECK(body_of(tail) == "6789");
  ApiError e = f.error_of([&] { get("bytes=10-20"); });
  CHECK(e.http_status == 416);
  CHECK(e.code == "InvalidRange");
  CHECK(detail(e, "ActualObjectSize") == "10");
}

TEST_CASE("s3: If-None-Match: * refuses to overwrite an existing key") {
  S3Fixture f;
  f.create_bucket("cond");
  Value once = Value::map().set("IfNoneMatch", "*");
  CHECK_NOTHROW(f.put("cond", "k", "first", once));
  ApiError e = f.error_of([&] { f.put("cond", "k", "second", once); });
  CHECK(e.http_status == 412);
  CHECK(e.code == "PreconditionFailed");
  CHECK(f.get_body("cond", "k") == "first");
  CHECK(f.blob_count() == 0);  // small bodies live in their rows
  // A large body is a blob before the write job refuses it: the refusal removes it.
  CHECK_NOTHROW(f.put("cond", "big", too_big_to_inline('1'), once));
  CHECK(f.blob_count() == 1);
  CHECK(f.error_of([&] { f.put("cond", "big", too_big_to_inline('2'), once); }).code ==
        "PreconditionFailed");
  CHECK(f.blob_count() == 1);
  CHECK(f.get_body("cond", "big") == too_big_to_inline('1'));
}

TEST_CASE("s3: GetObject racing an overwrite returns one whole version, never a broken body") {
  S3Fixture f;
  f.create_bucket("race");
  f.put("race", "k", std::string(200'000, 'a'));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 60; ++i)
      f.put("race", "k", std::string(200'000, static_cast<char>('b' + i % 20)));
    done = true;
  });
  int reads = 0;
  while (!done) {
    std::string body = f.get_body("race", "k");
    REQUIRE(body.size() == 200'000);
    REQUIRE(body.find_first_not_of(body[0]) == std::string::npos);
    ++reads;
  }
  writer.join();
  CHECK(reads > 0);
  CHECK(f.blob_count() == 1);
}

TEST_CASE("s3: operations outside the slice are 501 NotImplemented") {
  S3Fixture f;
  f.create_bucket("later");
  ApiError e = f.error_of([&] { f.call("GetBucketPolicy", Value::map().set("Bucket", "later")); });
  CHECK(e.http_status == 501);
  CHECK(e.code == "NotImplemented");
}

TEST_CASE("s3: signature failures map to S3's own error codes") {
  S3Fixture f;
  auto mapped = [&](AuthFailure failure) {
    AuthError error(failure, "details");
    error.access_key = "AKIDEXAMPLE";
    error.string_to_sign = "sts";
    error.canonical_request = "creq";
    return f.service->auth_error(error);
  };
  CHECK(mapped(AuthFailure::MissingAuthentication).code == "AccessDenied");
  ApiError invalid_key = mapped(AuthFailure::InvalidAccessKey);
  CHECK(invalid_key.http_status == 403);
  CHECK(invalid_key.code == "InvalidAccessKeyId");
  CHECK(invalid_key.message == "The AWS Access Key Id you provided does not exist in our records.");
  CHECK(detail(invalid_key, "AWSAccessKeyId") == "AKIDEXAMPLE");
  ApiError mismatch = mapped(AuthFailure::SignatureMismatch);
  CHECK(mismatch.http_status == 403);
  CHECK(mismatch.code == "SignatureDoesNotMatch");
  CHECK(detail(mismatch, "StringToSign") == "sts");
  CHECK(detail(mismatch, "CanonicalRequest") == "creq");
  CHECK(mapped(AuthFailure::Expired).message == "Request has expired");
  CHECK(mapped(AuthFailure::TimeTooSkewed).code == "RequestTimeTooSkewed");
  CHECK(mapped(AuthFailure::Malformed).http_status == 400);
  CHECK(mapped(AuthFailure::ContentSha256Mismatch).code == "XAmzContentSHA256Mismatch");
  CHECK(f.service->allows_anonymous());
}

TEST_CASE("s3: buckets and objects survive reopening the database") {
  S3Fixture f(true);
  f.create_bucket("durable");
  f.put("durable", "k", "still here", Value::map().set("ContentType", "text/x-test"));
  f.put("durable", "big", too_big_to_inline('d'));
  f.open(true);
  CHECK(f.get_body("durable", "k") == "still here");  // inline
  CHECK(f.get_body("durable", "big") == too_big_to_inline('d'));  // a blob
  CHECK(f.call("HeadObject", Value::map().set("Bucket", "durable").set("Key", "k"))
            .output.string_or("ContentType", "") == "text/x-test");
  CHECK(f.call("ListBuckets", Value::map()).output.find("Buckets")->size() == 1);
}

TEST_CASE("s3: objects stored as blob files before inline bodies existed still read and delete") {
  // A data directory of schema version 3 (no inline_body column; every body a blob file).
  S3Fixture f(true);
  f.create_bucket("old");
  f.put("old", "small", std::string(too_big_to_inline('s')));
  f.put("old", "empty", "");
  f.db->write([](Connection& c) {
    c.exec("ALTER TABLE s3_objects DROP COLUMN inline_body");
    c.exec("UPDATE nimbus_schema SET version = 3 WHERE component = 's3'");
  });
  // Make the first one small, as the old code stored small objects: one blob file.
  std::string blob = f.db->read([](Connection& c) {
    Statement& s = c.prepare("SELECT blob_id FROM s3_object_segments");
    REQUIRE(s.step());
    return s.column_text(0);
  });
  {
    std::unique_ptr<BlobStore::Writer> w = f.blobs->create();
    w->write("tiny");
    std::string id = w->commit();
    f.db->write([&](Connection& c) {
      c.prepare("UPDATE s3_object_segments SET blob_id = ?, length = 4").bind_all(id).run();
      c.prepare("UPDATE s3_objects SET size = 4 WHERE key = 'small'").run();
    });
    f.blobs->remove(blob);
  }
  f.open(true);  // migrates to the current schema
  CHECK(f.get_body("old", "small") == "tiny");
  Result range = f.call("GetObject", Value::map().set("Bucket", "old").set("Key", "small").set(
                                         "Range", "bytes=1-2"));
  CHECK(body_of(range) == "in");
  CHECK(f.get_body("old", "empty").empty());
  CHECK(f.blob_count() == 1);
  f.call("DeleteObject", Value::map().set("Bucket", "old").set("Key", "small"));
  CHECK(f.blob_count() == 0);
  f.put("old", "new", "inline now");
  CHECK(f.get_body("old", "new") == "inline now");
  CHECK(f.blob_count() == 0);
}
