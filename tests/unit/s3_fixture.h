// The S3 unit-test fixture shared by tests/unit/test_s3_*.cc: one S3Service over an ephemeral
// (or file) Database and a temporary BlobStore, with helpers to call operations as the codec
// would (model-shaped Values, bodies streamed through a BodyReader).
#pragma once

#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/scheduler.h"
#include "services/s3/rules.h"
#include "services/s3/s3_service.h"
#include "storage/blob_store.h"
#include "storage/database.h"

using namespace nimbus;

namespace {

using nimbus::testing::TempDir;

class NoScheduler : public Scheduler {
 public:
  TaskId schedule_at(EpochMillis, std::function<void()>) override { return 0; }
  void cancel(TaskId) override {}
};

class NoWaits : public WaitHub {
 public:
  uint64_t generation(std::string_view) override { return 0; }
  void wait(std::string, uint64_t, EpochMillis, std::function<void(bool)>) override {}
  void notify(std::string_view) override {}
};

Account account(const std::string& id, const std::string& key) {
  Account a;
  a.id = id;
  a.display_name = "owner-" + id;
  a.access_key = key;
  return a;
}
const Account kAlice = account("000000000000", "AKIAIOSFODNN7EXAMPLE");
const Account kBob = account("111111111111", "AKIAI44QH8DHBEXAMPLE");
Account anonymous() {
  Account a;
  a.anonymous = true;
  return a;
}

// Inputs naming a bucket, and a bucket and key.
Value bk(const std::string& bucket) { return Value::map().set("Bucket", bucket); }
Value bkey(const std::string& bucket, const std::string& key) {
  return Value::map().set("Bucket", bucket).set("Key", key);
}

// Hands out its bytes in small pieces, as a network body arrives.
class TrickleReader : public BodyReader {
 public:
  TrickleReader(std::string data, size_t piece) : data_(std::move(data)), piece_(piece) {}
  size_t read(char* buffer, size_t size) override {
    size_t n = std::min({size, piece_, data_.size() - offset_});
    std::copy_n(data_.data() + offset_, n, buffer);
    offset_ += n;
    return n;
  }
  std::optional<uint64_t> announced_length() const override { return data_.size(); }

 private:
  std::string data_;
  size_t piece_;
  size_t offset_ = 0;
};

std::string drain(BodySource& source) {
  std::string out;
  char buffer[7000];
  for (;;) {
    size_t n = source.read(buffer, sizeof buffer);
    if (n == 0) return out;
    out.append(buffer, n);
  }
}

// GetObject's bytes: streamed from blobs, or in the output's Body (a small, inline object).
std::string body_of(Result& r) {
  if (r.stream) return drain(*r.stream);
  const Value* body = r.output.find("Body");
  return body && body->is_string() ? body->as_string() : std::string();
}

// One S3Service over its own storage. `file_db` keeps the database in the temp dir so a second
// fixture can reopen it.
struct S3Fixture {
  TempDir dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  ManualClock clock{1'700'000'000'000};
  NoScheduler scheduler;
  NoWaits waits;
  ServiceSettings settings;
  std::unique_ptr<ServiceEnv> env;
  std::unique_ptr<S3Service> service;
  size_t body_piece = 100'000;  // bytes a streamed request body hands out per read

  explicit S3Fixture(bool file_db = false) { open(file_db); }

  void open(bool file_db) {
    service.reset();
    env.reset();
    blobs.reset();
    db.reset();
    DatabaseOptions options;
    options.ephemeral = !file_db;
    options.path = dir.path + "/nimbus.db";
    db = std::make_unique<Database>(options);
    blobs = std::make_unique<BlobStore>(dir.path + "/blobs", false);
    env = std::make_unique<ServiceEnv>(ServiceEnv{*db, *blobs, clock, scheduler, waits, settings});
    service = std::make_unique<S3Service>(*env);
  }

  // Calls an operation. body: streamed through a BodyReader when set. headers: extra request
  // headers (x-amz-trailer); trailers: the aws-chunked trailing headers.
  Result call(const std::string& operation, Value input, const Account& who = kAlice,
              std::optional<std::string> body = std::nullopt, std::string region = "us-east-1",
              Headers headers = {}, const Headers* trailers = nullptr) {
    const Operation* op = service->model().operation(operation);
    REQUIRE(op != nullptr);
    HttpRequest http;
    http.method = op->http_method;
    http.headers = std::move(headers);
    CallContext context{http, *op, who, region, "request-id", ""};
    std::unique_ptr<TrickleReader> reader;
    if (body) {
      reader = std::make_unique<TrickleReader>(*body, body_piece);
      context.body = reader.get();
    }
    context.trailers = trailers;
    return complete(service->call(context, input));
  }

  ApiError error_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const ApiError& e) {
      return e;
    }
    FAIL("expected an ApiError");
    return ApiError();
  }

  void create_bucket(const std::string& name, const Account& who = kAlice) {
    call("CreateBucket", Value::map().set("Bucket", name), who);
  }
  Result put(const std::string& bucket, const std::string& key, const std::string& body,
             Value extra = Value::map()) {
    extra.set("Bucket", bucket).set("Key", key);
    return call("PutObject", extra, kAlice, body);
  }
  std::string get_body(const std::string& bucket, const std::string& key) {
    Result r = call("GetObject", Value::map().set("Bucket", bucket).set("Key", key));
    return body_of(r);
  }
  size_t blob_count() {
    size_t n = 0;
    for (auto& entry : std::filesystem::recursive_directory_iterator(blobs->dir()))
      if (entry.is_regular_file() && entry.path().extension() != ".part") ++n;
    return n;
  }
};

[[maybe_unused]] std::string detail(const ApiError& e, const std::string& name) {
  for (const auto& [k, v] : e.details)
    if (k == name) return v;
  return "<absent>";
}

// A body one byte over the inline limit: stored in a blob file.
[[maybe_unused]] std::string too_big_to_inline(char fill) {
  return std::string(s3::kMaxInlineBodyBytes + 1, fill);
}

[[maybe_unused]] std::string md5_etag(const std::string& data) { return "\"" + hex_encode(md5(data)) + "\""; }

}  // namespace

