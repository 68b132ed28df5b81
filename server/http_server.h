// HttpServer: the HTTP/1.1 front door on Boost.Beast, plain and TLS, and the only code that
// includes Beast. It reads request headers asynchronously (idle connections cost no thread),
// asks the RequestHandler what to do with the body (buffer it, stream it, or refuse the request
// before reading it, which is how Expect: 100-continue is answered only after authentication),
// runs the handler on a handler thread, and writes the response, streaming large bodies.
// Keep-alive, chunked bodies, header limits, idle/slow-client timeouts and graceful shutdown live
// here. Malformed HTTP gets a 400 and a closed connection.
//
// Thread-safety: listen() and shutdown() from the main thread; the rest runs on the Runtime.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/http.h"
#include "server/runtime.h"

namespace nimbus {

class RequestHandler {
 public:
  using Respond = std::function<void(HttpResponse)>;
  virtual ~RequestHandler() = default;

  struct BodyPlan {
    bool buffer = true;                    // read the whole body before handle()
    size_t max_buffered = 16 * 1024 * 1024;  // larger bodies get 413
  };
  // On a network thread, once the headers are in and before any body byte is read. Return a
  // response to refuse the request without reading its body (the connection then closes), or
  // nullopt and fill the plan. Must be quick: no I/O.
  virtual std::optional<HttpResponse> on_headers(const HttpRequest& request, BodyPlan& plan) = 0;
  // On a handler thread. body is non-null when the body is streamed. Call respond exactly once,
  // from any thread; request stays valid until then.
  virtual void handle(HttpRequest& request, BodyReader* body, Respond respond) = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 4566;              // 0: any free port
  int tls_port = 0;             // 0: no HTTPS
  std::string tls_cert_pem;     // required when tls_port != 0
  std::string tls_key_pem;
  int idle_timeout_seconds = 60;
  size_t header_limit = 64 * 1024;
};

class HttpServer {
 public:
  HttpServer(Runtime& runtime, RequestHandler& handler, HttpServerOptions options);
  ~HttpServer();
  // Binds and starts accepting. Throws std::runtime_error("cannot listen on host:port: reason").
  void listen();
  int port() const;      // the bound ports (useful with port 0)
  int tls_port() const;
  // Stops accepting and waits until in-flight requests finish or `grace` passes.
  void shutdown(std::chrono::milliseconds grace);
  // Requests being handled or answered right now.
  int in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nimbus
