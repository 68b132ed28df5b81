// HttpServer: the listeners (plain and TLS) that accept connections and hand each to a session
// (http_session_plain.cc / http_session_tls.cc), and graceful shutdown.
#include "server/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <thread>

#include "common/log.h"
#include "server/http_internal.h"

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace nimbus {
using http_internal::Shared;
namespace {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<Shared> shared, bool tls)
      : shared_(std::move(shared)), tls_(tls), acceptor_(net::make_strand(shared_->runtime.io())),
        retry_timer_(acceptor_.get_executor()) {}

  void listen(const std::string& host, int port) {
    boost::system::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + host + ": not an IP address");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    auto fail = [&](const char*) {
      throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    acceptor_.bind(endpoint, ec);
    if (ec) fail("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail("listen");
    port_ = acceptor_.local_endpoint().port();
  }

  void start() { accept(); }
  int port() const { return port_; }

  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
  }

 private:
  void accept() {
    acceptor_.async_accept(
        net::make_strand(shared_->runtime.io()),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          if (!self->acceptor_.is_open()) return;
          if (ec) {
            // Out of descriptors or a transient failure: back off briefly instead of spinning.
            log::warn("accept: " + ec.message());
            self->retry_timer_.expires_after(std::chrono::milliseconds(50));
            self->retry_timer_.async_wait([self](boost::system::error_code) { self->accept(); });
            return;
          }
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          if (self->tls_)
            http_internal::start_tls_session(self->shared_, std::move(socket));
          else
            http_internal::start_plain_session(self->shared_, std::move(socket));
          self->accept();
        });
  }

  std::shared_ptr<Shared> shared_;
  bool tls_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  int port_ = 0;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<Listener> plain;
  std::shared_ptr<Listener> tls;
};

HttpServer::HttpServer(Runtime& runtime, RequestHandler& handler, HttpServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_shared<Shared>(runtime, handler, std::move(options));
}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
  auto& shared = impl_->shared;
  const auto& o = shared->options;
  impl_->plain = std::make_shared<Listener>(shared, false);
  impl_->plain->listen(o.host, o.port);
  if (o.tls_port != 0 || !o.tls_cert_pem.empty()) {
    shared->ssl = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    shared->ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                             net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                             net::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    shared->ssl->use_certificate_chain(net::buffer(o.tls_cert_pem), ec);
    if (!ec) shared->ssl->use_private_key(net::buffer(o.tls_key_pem), net::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot use the TLS certificate/key: " + ec.message());
    impl_->tls = std::make_shared<Listener>(shared, true);
    impl_->tls->listen(o.host, o.tls_port);
  }
  impl_->plain->start();
  if (impl_->tls) impl_->tls->start();
}

int HttpServer::port() const { return impl_->plain ? impl_->plain->port() : 0; }
int HttpServer::tls_port() const { return impl_->tls ? impl_->tls->port() : 0; }
int HttpServer::in_flight() const { return impl_->shared->in_flight.load(); }

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  impl_->shared->stopping = true;
  if (impl_->plain) impl_->plain->stop();
  if (impl_->tls) impl_->tls->stop();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->shared->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace nimbus
