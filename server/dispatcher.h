// Dispatcher: the request path after the socket. For each request it routes (server/router),
// authenticates (auth/), decodes with the service's codec (protocol/), calls the service
// (services/), encodes the result or the error, handles long-poll deferrals, serves the admin
// endpoints under /_nimbus/, and writes one access-log line.
//
// Thread-safety: on_headers() runs on network threads, handle() on handler threads; both are
// safe to call concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "server/http_server.h"
#include "server/router.h"
#include "services/service.h"

namespace nimbus {

class Database;
class BlobStore;

struct DispatcherSettings {
  bool enable_reset = false;
  std::string default_region = "us-east-1";
  std::string s3_base_domain = "localhost";
  bool ephemeral = false;
  std::string data_dir;
  // Runs a task on a handler thread (Runtime::post). Required: the rest of an AsyncWrite runs
  // through it, never on the writer thread.
  std::function<void(std::function<void()>)> run_on_handler;
};

class Dispatcher : public RequestHandler {
 public:
  Dispatcher(const Authenticator& authenticator, std::vector<std::unique_ptr<Service>> services,
             Database& db, BlobStore& blobs, WaitHub& waits, const Clock& clock,
             DispatcherSettings settings);
  ~Dispatcher() override;

  std::optional<HttpResponse> on_headers(const HttpRequest& request, BodyPlan& plan) override;
  void handle(HttpRequest& request, BodyReader* body, Respond respond) override;

  Service* service(std::string_view name) const;

 private:
  struct Call;
  void run(std::shared_ptr<Call> call);
  void attempt(const std::shared_ptr<Call>& call);
  // Runs body; an exception from it finishes the call with the matching error response.
  template <class Body>
  void guarded(const std::shared_ptr<Call>& call, Body&& body);
  // Queues the service's write; when it has committed, finishes the call from a handler thread.
  void write_then_respond(const std::shared_ptr<Call>& call, AsyncWrite write);
  // Encodes a service's result and finishes the call with it.
  void respond_with(const std::shared_ptr<Call>& call, Result& result);
  void finish(const std::shared_ptr<Call>& call, HttpResponse response);
  HttpResponse admin(const HttpRequest& request);
  HttpResponse error_response(const Route& route, const ApiError& error, const HttpRequest& request,
                              const std::string& request_id) const;
  std::string region_of(const AuthResult& auth) const;

  const Authenticator& authenticator_;
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
  Router router_;
  Database& db_;
  BlobStore& blobs_;
  WaitHub& waits_;
  const Clock& clock_;
  DispatcherSettings settings_;
  EpochMillis started_ms_;
};

}  // namespace nimbus
