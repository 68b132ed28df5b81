// nimbus-bench's S3 operations: PUT, GET, HEAD of one size, a ListObjectsV2 page, a multipart
// upload of a large object (create, parts, complete as one measured unit), and the streamed PUT
// and GET of an object too large to hold (s3-put-stream, s3-get-stream: sent from one 1 MiB
// block repeated, signed with its precomputed SHA-256; the download is counted, not kept).
#include <algorithm>
#include <memory>

#include "bench/bench.h"

namespace nimbus::bench {

namespace {

class S3Base : public Operation {
 public:
  explicit S3Base(const Options& o) : options_(o), bucket_path_("/" + uri_encode(o.name)) {}
  void setup(Session& s) override {
    // 409 BucketAlreadyOwnedByYou when a previous run made it.
    expect_ok(s.s3("PUT", bucket_path_, ""), "CreateBucket " + options_.name, {409});
    if (s.last().status == 409 &&
        s.last().body.find("BucketAlreadyOwnedByYou") == std::string::npos &&
        s.last().body.find("BucketAlreadyExists") == std::string::npos)
      throw SetupError(409, "CreateBucket: " + s.last().body.substr(0, 300));
  }

 protected:
  std::string object_path(std::string_view key) const {
    return bucket_path_ + "/" + uri_encode(key, false);
  }
  const Options& options_;
  std::string bucket_path_;
};

class S3Put : public S3Base {
 public:
  using S3Base::S3Base;
  void prepare(Session& s, int worker) override { body_ = make_body(options_.size, 0); }
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next();
    uint64_t k = options_.key_space ? n % options_.key_space : n;
    // Distinct bytes per request: the sequence number leads the body.
    std::string prefix = std::to_string(n) + "-";
    std::string body = body_;
    body.replace(0, std::min(prefix.size(), body.size()), prefix.substr(0, body.size()));
    const auto& r =
        s.s3("PUT", object_path("k-" + run_id() + "-" + std::to_string(k)), "", std::move(body));
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = options_.size;
    return u;
  }

 private:
  std::string body_;
};

// GET or HEAD of one object of --size bytes (the object "get-<size>", written by setup unless
// --no-setup says it already exists, e.g. as a static file behind nginx).
class S3Read : public S3Base {
 public:
  S3Read(const Options& o, bool head) : S3Base(o), head_(head) {
    path_ = object_path("get-" + std::to_string(o.size));
  }
  void setup(Session& s) override {
    if (options_.no_setup) return;
    S3Base::setup(s);
    expect_ok(s.s3("PUT", path_, "", make_body(options_.size, 0)), "PutObject (seed)");
  }
  UnitResult run(Session& s, int worker) override {
    const auto& r = s.s3(head_ ? "HEAD" : "GET", path_, "");
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    if (!head_) {
      if (r.body.size() != options_.size) {
        u.ok = false;
        u.status = r.status;
        u.error = "GET returned " + std::to_string(r.body.size()) + " bytes, expected " +
                  std::to_string(options_.size);
      }
      u.bytes = r.body.size();
    }
    return u;
  }

 private:
  bool head_;
  std::string path_;
};

// One ListObjectsV2 page of --seed-items keys (1 KiB objects under "list/").
class S3List : public S3Base {
 public:
  using S3Base::S3Base;
  void setup(Session& s) override {
    S3Base::setup(s);
    for (int i = 0; i < options_.seed_items; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "list/%05d", i);
      expect_ok(s.s3("PUT", object_path(key), "", make_body(1024, i)), "PutObject (seed)");
    }
  }
  UnitResult run(Session& s, int worker) override {
    const auto& r = s.s3("GET", bucket_path_,
                         "list-type=2&max-keys=" + std::to_string(options_.seed_items) +
                             "&prefix=list%2F");
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    if (r.body.find("<Key>list/") == std::string::npos) {
      u.ok = false;
      u.status = r.status;
      u.error = "ListObjectsV2 page without the seeded keys: " + r.body.substr(0, 200);
    }
    return u;
  }
};

// Multipart upload of a --size object in --part-size parts.
class S3Multipart : public S3Base {
 public:
  using S3Base::S3Base;
  void prepare(Session& s, int worker) override {
    part_ = make_body(std::min(options_.part_size, options_.size), worker);
  }
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next();
    uint64_t k = options_.key_space ? n % options_.key_space : n;
    std::string path = object_path("mp-" + run_id() + "-" + std::to_string(k));
    UnitResult u;
    u.http_requests = 0;
    const auto& created = s.s3("POST", path, "uploads=");
    ++u.http_requests;
    if (!ok_status(created.status)) return failed(created);
    std::string upload_id = xml_text(created.body, "UploadId");
    if (upload_id.empty()) {
      UnitResult f = failed(created);
      f.error = "CreateMultipartUpload answered no UploadId: " + created.body.substr(0, 200);
      return f;
    }
    std::string complete = "<CompleteMultipartUpload>";
    size_t sent = 0;
    for (int part = 1; sent < options_.size; ++part) {
      size_t len = std::min(options_.part_size, options_.size - sent);
      std::string body = part_.substr(0, len);
      std::string mark = std::to_string(n) + "-" + std::to_string(part) + "-";
      body.replace(0, std::min(mark.size(), len), mark.substr(0, len));
      const auto& r = s.s3("PUT", path,
                           "partNumber=" + std::to_string(part) + "&uploadId=" +
                               uri_encode(upload_id),
                           std::move(body));
      ++u.http_requests;
      if (!ok_status(r.status)) return failed(r);
      const std::string* etag = r.header("ETag");
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                  (etag ? *etag : std::string()) + "</ETag></Part>";
      sent += len;
    }
    complete += "</CompleteMultipartUpload>";
    const auto& done = s.s3("POST", path, "uploadId=" + uri_encode(upload_id), complete,
                            {{"Content-Type", "application/xml"}});
    ++u.http_requests;
    // CompleteMultipartUpload may answer 200 with an <Error> body.
    if (!ok_status(done.status) || done.body.find("<Error>") != std::string::npos)
      return failed(done);
    u.bytes = options_.size;
    return u;
  }

 private:
  std::string part_;
};

// PUT (or GET) of one --size object streamed from (or into) a fixed 1 MiB buffer, so the client's
// memory stays flat whatever the size. Every PUT sends the same bytes under a new key and a new
// signature (the payload's SHA-256 is computed once); GET reads "stream-<size>", which setup
// writes the same way unless --no-setup.
class S3Stream : public S3Base {
 public:
  S3Stream(const Options& o, bool put)
      : S3Base(o), put_(put), block_(make_body(std::min<size_t>(o.size, kBlock), 0)) {
    body_ = {block_, o.size};
    path_ = object_path("stream-" + std::to_string(o.size));
  }
  // The payload's SHA-256 is computed here, outside the measured time.
  void setup(Session& s) override {
    if (!put_ && options_.no_setup) return;
    S3Base::setup(s);
    sha256_ = sha256_hex_of(body_);
    if (!put_) expect_ok(s.s3_large("PUT", path_, &body_, sha256_), "PutObject (seed)");
  }
  UnitResult run(Session& s, int worker) override {
    std::string path = path_;
    if (put_) {
      uint64_t n = s.next();
      uint64_t k = options_.key_space ? n % options_.key_space : n;
      path = object_path("stream-" + run_id() + "-" + std::to_string(k));
    }
    const auto& r = put_ ? s.s3_large("PUT", path, &body_, sha256_)
                         : s.s3_large("GET", path, nullptr, {});
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = put_ ? options_.size : r.body_bytes;
    if (!put_ && r.body_bytes != options_.size) {
      u.ok = false;
      u.status = r.status;
      u.error = "GET returned " + std::to_string(r.body_bytes) + " bytes, expected " +
                std::to_string(options_.size);
    }
    return u;
  }

 private:
  static constexpr size_t kBlock = 1024 * 1024;
  bool put_;
  std::string block_;
  RepeatedBody body_;
  std::string path_;
  std::string sha256_;
};

}  // namespace

std::unique_ptr<Operation> make_s3_operation(const std::string& name, const Options& o) {
  if (name == "s3-put") return std::make_unique<S3Put>(o);
  if (name == "s3-get") return std::make_unique<S3Read>(o, false);
  if (name == "s3-head") return std::make_unique<S3Read>(o, true);
  if (name == "s3-list") return std::make_unique<S3List>(o);
  if (name == "s3-multipart") return std::make_unique<S3Multipart>(o);
  if (name == "s3-put-stream") return std::make_unique<S3Stream>(o, true);
  if (name == "s3-get-stream") return std::make_unique<S3Stream>(o, false);
  return nullptr;
}

}  // namespace nimbus::bench
