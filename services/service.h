// Service: the interface each AWS service implements (services/<name>/), and the context a call
// receives. A service sees typed input (a Value shaped by the model), the caller's account and
// region, and storage; it never sees HTTP framing, XML or JSON. Services are registered in
// services/registry.cc, one line each.
//
// Thread-safety: call() runs concurrently on worker threads; implementations synchronize through
// the Database (one writer, pooled readers) and their own locks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.h"
#include "common/error.h"
#include "common/http.h"
#include "common/time.h"
#include "common/value.h"
#include "protocol/model.h"

namespace nimbus {

class Database;
class BlobStore;
class Scheduler;
class WaitHub;
class QueueDirectory;

// Settings services read (from server/config).
struct ServiceSettings {
  std::string default_region = "us-east-1";
  std::string s3_base_domain = "localhost";  // virtual-host S3: <bucket>.<base> and <bucket>.s3.<base>
  int sdb_max_domains = 250;
  // SimpleDB's per-domain limits: bytes of item names, attribute names and values (10 GB), and
  // attribute name/value pairs (1 billion).
  int64_t sdb_max_domain_bytes = int64_t{10} * 1024 * 1024 * 1024;
  int64_t sdb_max_domain_attributes = 1000000000;
};

// What every service is built with. References outlive the services.
struct ServiceEnv {
  Database& db;
  BlobStore& blobs;
  const Clock& clock;
  Scheduler& scheduler;
  WaitHub& waits;
  const ServiceSettings& settings;
  // SQS, for services that deliver to queues (SNS); set by services/registry.cc once SQS exists.
  QueueDirectory* queues = nullptr;
};

struct CallContext {
  const HttpRequest& http;
  const Operation& operation;
  Account account;            // the caller (anonymous when unsigned)
  std::string region;         // the signed region when it is a real region, else the default
  std::string request_id;
  std::string bucket_from_host;  // S3 virtual-host style
  // Streaming payload (S3 PutObject/UploadPart): read the body here, already decoded from
  // aws-chunked framing and checked against its signature/hash as it streams. Null otherwise
  // (the payload is then in the input Value, or the request has none).
  BodyReader* body = nullptr;
  // Trailing headers of an aws-chunked body (x-amz-checksum-*); complete once body is drained.
  const Headers* trailers = nullptr;
  // Long polling: false while the dispatcher may still wait and call again (see Result::defer).
  bool final_attempt = true;
};

// Long polling: a service that has nothing to return yet sets Result::defer. The dispatcher then
// waits, without a thread, until WaitHub::notify(wait_key) or the deadline, and calls again
// (with final_attempt=true at the deadline). `generation` is WaitHub::generation(wait_key) read
// before the service looked at storage, so a notify in between is not missed.
struct Deferral {
  std::string wait_key;
  uint64_t generation = 0;
  EpochMillis deadline_ms = 0;
};

class Connection;
struct Result;

// A write that does not hold the handler thread while it waits for its group commit: instead of
// calling Database::write() and building the result, call() puts the write job and the rest of
// its work here and returns. The dispatcher queues `job` (Database::write_async), and once it has
// committed runs `then` on a handler thread to fill in the result; an ApiError thrown by either
// becomes the error response, exactly as if call() had thrown it. Both run after call() has
// returned: they may keep a copy of the CallContext and references to the input Value and to
// the request (both live until the call is answered), but nothing of call()'s frame. For the hot
// single-item writes (SQS SendMessage and DeleteMessage, DynamoDB PutItem, UpdateItem and
// DeleteItem, PutAttributes, small PutObject), where the thread hand-offs of a blocking write
// cost more than the write itself.
struct AsyncWrite {
  Database* db = nullptr;
  std::function<void(Connection&)> job;
  std::function<void(Result&)> then;  // may be empty: the result is then the default one
};

struct Result {
  Value output;                       // the output shape's members
  int status = 0;                     // 0: the operation's default status
  Headers headers;                    // extra response headers
  std::unique_ptr<BodySource> stream;  // streamed payload (S3 GetObject)
  uint64_t stream_length = 0;
  std::optional<Deferral> defer;
  std::optional<AsyncWrite> write;  // see AsyncWrite; output/status/headers then come from it
};

// Runs a result's AsyncWrite at once (Database::write, then `then`) and returns the finished
// result; a result without one is returned as it is. For callers that need the whole result
// before they go on: unit tests that call services directly, and an operation made of others
// (DynamoDB's PartiQL statements run PutItem and the like).
Result complete(Result result);

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;  // "s3", "sqs", "sns", "sdb", "dynamodb"
  virtual const ServiceModel& model() const = 0;
  // Runs one operation. Throws ApiError for anything the caller did wrong or that AWS refuses;
  // an operation in the model but not implemented throws errors::not_implemented().
  virtual Result call(CallContext& context, const Value& input) = 0;
  // The service's own error for a failed signature check (code and status as AWS returns them).
  virtual ApiError auth_error(const AuthError& error) const;
  // Whether unsigned requests reach call() (S3 decides per ACL); otherwise they are refused with
  // auth_error(MissingAuthentication).
  virtual bool allows_anonymous() const { return false; }
  // Called by /_nimbus/reset after the database and blobs are wiped: drop caches.
  virtual void reset() {}
  // The service's own admin endpoints, under /_nimbus/<name>/ (e.g. /_nimbus/sns/outbox): a
  // response, or nullopt for a path the service does not serve. Called on handler threads;
  // no authentication is checked.
  virtual std::optional<HttpResponse> admin(const HttpRequest& /*request*/) { return std::nullopt; }
};

// Builds every registered service (services/registry.cc).
std::vector<std::unique_ptr<Service>> make_services(ServiceEnv& env);

}  // namespace nimbus
