// Internal to server/: the state the HTTP listeners and sessions share, and the two session
// entry points. Kept apart from http_session.h so that only the two session files instantiate
// Beast's HTTP templates (one each, compiled in parallel).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "server/http_server.h"

namespace nimbus::http_internal {

struct Shared {
  Shared(Runtime& r, RequestHandler& h, HttpServerOptions o)
      : runtime(r), handler(h), options(std::move(o)) {}
  Runtime& runtime;
  RequestHandler& handler;
  HttpServerOptions options;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::unique_ptr<boost::asio::ssl::context> ssl;
};

// Start serving one accepted connection (plain HTTP or TLS).
void start_plain_session(std::shared_ptr<Shared> shared, boost::asio::ip::tcp::socket&& socket);
void start_tls_session(std::shared_ptr<Shared> shared, boost::asio::ip::tcp::socket&& socket);

}  // namespace nimbus::http_internal
