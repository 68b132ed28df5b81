// nimbus-bench's shared pieces: the options, a Session (one loopback connection plus the
// request signers every service needs), and the Operation interface each benchmarked
// operation implements.
//
// Contract:
//  - An Operation's setup() runs once on its own session before any worker starts (create the
//    bucket, queue, table, seed objects); it throws SetupError when the server refuses, which
//    the runner reports as "unsupported" when the answer says the operation does not exist.
//  - prepare() runs once per worker session (per-connection resources, e.g. a worker's queue).
//  - run() performs one measured unit (one request, or a short fixed sequence such as
//    receive+delete) and says whether it succeeded; it never throws for HTTP errors.
//  - finish() runs once per worker session after its last unit, unmeasured: it checks what the
//    units left behind (e.g. every delivery of a publish) and cleans up; a non-empty answer
//    (or a throw) makes the whole run invalid.
//  - Every request is signed afresh (SigV4, SigV2 for SimpleDB); sequence numbers come from a
//    run-wide counter so keys and bodies are distinct.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/http_client.h"
#include "common/encoding.h"
#include "common/http.h"

namespace nimbus::bench {

struct Options {
  int port = 4566;
  std::string operation;
  size_t size = 1024;
  int connections = 16;
  double duration = 10;        // seconds, when requests == 0
  uint64_t requests = 0;       // > 0: run exactly this many measured units
  double warmup = 1;           // seconds before measuring
  std::string access_key = "AKIAIOSFODNN7EXAMPLE";
  std::string secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  std::string region = "us-east-1";
  std::string name = "nimbus-bench";  // bucket / queue / table / domain / topic name
  int subscribers = 2;         // sns-publish(-only): SQS queues subscribed to the topic
  size_t part_size = 5 * 1024 * 1024;  // s3-multipart
  uint64_t key_space = 0;      // s3-put/ddb-put: 0 = a new key per request, else keys cycle
  int seed_items = 100;        // objects/items/messages seeded for list/get/query/select
  bool no_setup = false;       // s3-get/s3-head: the object already exists (e.g. nginx files)
  int server_pid = 0;          // > 0: report this process's CPU over the measured window
  bool json = false;
};

// The outcome of one measured unit.
struct UnitResult {
  bool ok = true;
  int status = 0;              // the failing HTTP status (0: transport error)
  std::string error;           // first bytes of the failing answer
  uint64_t bytes = 0;          // payload bytes moved (bodies sent + received)
  int http_requests = 1;
  double latency = -1;         // seconds; < 0: the unit's wall time is its latency
};

struct SetupError : std::runtime_error {
  SetupError(int status_, const std::string& what) : std::runtime_error(what), status(status_) {}
  int status;
};

// True when an error answer means "this server does not implement that" rather than a failure.
bool looks_unsupported(int status, std::string_view body);

class Session {
 public:
  Session(const Options& options, std::atomic<uint64_t>& sequence)
      : options_(options), client_(options.port), sequence_(sequence) {}

  HttpClient& client() { return client_; }
  const Options& options() const { return options_; }
  uint64_t next() { return sequence_.fetch_add(1, std::memory_order_relaxed); }
  std::string host() const { return "127.0.0.1:" + std::to_string(options_.port); }
  std::string user_agent() const;

  // S3 REST: path already percent-encoded, query already encoded ("" for none).
  const ClientResponse& s3(std::string_view method, std::string_view path, std::string_view query,
                           std::string body = {}, const Headers& extra = {});
  // S3 REST for objects too large to hold: upload (when set) is sent from its block and signed
  // with payload_sha256_hex (its precomputed SHA-256); the response body is only counted
  // (ClientResponse::body_bytes).
  const ClientResponse& s3_large(std::string_view method, std::string_view path,
                                 const RepeatedBody* upload, std::string_view payload_sha256_hex);
  // JSON protocol (SQS, DynamoDB): POST / with X-Amz-Target.
  const ClientResponse& json(std::string_view service, std::string_view target,
                             std::string body, std::string_view content_type);
  // Query protocol with SigV4 (SNS, SQS's Query form): form POST to /.
  const ClientResponse& query(std::string_view service, const QueryParams& params);
  // Query protocol with SigV2 (SimpleDB): form POST to /, HmacSHA256.
  const ClientResponse& query_v2(const QueryParams& params);

  const ClientResponse& last() const { return response_; }

 private:
  const ClientResponse& send(HttpRequest& request, std::string_view service, bool s3,
                             const RepeatedBody* upload = nullptr,
                             std::string_view payload_sha256_hex = {},
                             bool discard_body = false);

  const Options& options_;
  HttpClient client_;
  std::atomic<uint64_t>& sequence_;
  ClientResponse response_;
};

class Operation {
 public:
  virtual ~Operation() = default;
  virtual void setup(Session& session) {}
  virtual void prepare(Session& session, int worker) {}
  virtual UnitResult run(Session& session, int worker) = 0;
  virtual std::string finish(Session& session, int worker) { return {}; }
};

// Helpers for operations.
bool ok_status(int status);
UnitResult failed(const ClientResponse& response);
// Throws SetupError unless the response is 2xx (or its status is in also_ok).
void expect_ok(const ClientResponse& response, std::string_view what,
               std::vector<int> also_ok = {});
// A body of `size` printable bytes that starts with the decimal sequence number n.
std::string make_body(size_t size, uint64_t n);
// JSON string literal with quotes.
std::string json_string(std::string_view s);
// The text between the first <tag> and </tag>, "" when absent.
std::string xml_text(std::string_view xml, std::string_view tag);
// The string member `name` of a JSON object body (top level or one object deep via dotted
// path "A.B"), "" when absent.
std::string json_member(std::string_view body, std::string_view path);
// The hex SHA-256 of body (its block repeated to its length).
std::string sha256_hex_of(const RepeatedBody& body);
// A random hex id for this run, so keys from separate runs never collide.
const std::string& run_id();

// Factories: return nullptr when the name is not theirs.
std::unique_ptr<Operation> make_s3_operation(const std::string& name, const Options& options);
std::unique_ptr<Operation> make_messaging_operation(const std::string& name,
                                                    const Options& options);
std::unique_ptr<Operation> make_database_operation(const std::string& name,
                                                   const Options& options);
// Every operation name, for --help.
const std::vector<std::string>& operation_names();

}  // namespace nimbus::bench
