// http_post: SNS's outgoing HTTP client on Boost.Asio (plain TCP or OpenSSL without peer
// verification; why is in http_client.h), each step bounded by one deadline. Deliveries run on
// scheduler (handler-pool) threads, never on the request path; the exchange is a BlockingScope,
// so a slow endpoint never holds up the pool's requests.
#include "services/sns/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <istream>

#include "common/threads.h"

namespace nimbus::sns {
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool parse_url(const std::string& url, ParsedUrl& out) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (out.target.empty() || out.target[0] != '/') out.target = "/" + out.target;
  if (auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return false;
  if (authority[0] == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    out.host = authority.substr(1, close - 1);
    std::string tail = authority.substr(close + 1);
    out.port = tail.size() > 1 && tail[0] == ':' ? tail.substr(1) : "";
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  for (char c : out.port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !out.host.empty();
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxResponseBytes = 64 * 1024;  // read of a response at most; the rest is dropped

// Runs the exchange's asynchronous steps one at a time on a private io_context, each bounded by
// the same deadline. Asio's synchronous calls cannot be used: with SO_RCVTIMEO set they see
// EAGAIN and then poll without a timeout, so an endpoint that never answers would hold the
// thread forever.
class Exchange {
 public:
  Exchange(net::io_context& io, tcp::socket& socket, Clock::time_point deadline)
      : io_(io), socket_(socket), deadline_(deadline) {}

  // Starts one step (`start` is given the completion handler) and waits for it. On the deadline
  // the socket is closed, which completes the step with an error. Throws on any error.
  template <class Start>
  void step(Start start, const char* what) {
    boost::system::error_code ec = run(start, deadline_);
    if (ec == net::error::timed_out)
      throw std::runtime_error(std::string("timed out while ") + what);
    if (ec) throw boost::system::system_error(ec, what);
  }

  // The same, waiting `at_most` (and never past the deadline); the step's error, if any.
  template <class Start>
  boost::system::error_code try_step(Start start, Clock::duration at_most) {
    return run(start, std::min(deadline_, Clock::now() + at_most));
  }

 private:
  template <class Start>
  boost::system::error_code run(Start& start, Clock::time_point until) {
    bool done = false;
    boost::system::error_code ec;
    start([&](const boost::system::error_code& e, auto&&...) {
      ec = e;
      done = true;
    });
    io_.restart();
    io_.run_until(until);
    if (done) return ec;
    boost::system::error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();  // lets the aborted step finish
    return net::error::timed_out;
  }

  net::io_context& io_;
  tcp::socket& socket_;
  Clock::time_point deadline_;
};

template <class Stream>
int post_and_read_status(Exchange& exchange, Stream& stream, const std::string& request) {
  exchange.step([&](auto handler) { net::async_write(stream, net::buffer(request), handler); },
                "sending the request");
  net::streambuf response(kMaxResponseBytes);  // the status line, and a bounded drain
  exchange.step([&](auto handler) { net::async_read_until(stream, response, "\r\n", handler); },
                "waiting for the response");
  std::istream in(&response);
  std::string version;
  int status = 0;
  in >> version >> status;
  if (version.rfind("HTTP/", 0) != 0) return 0;
  // Drain the rest briefly so the peer sees an orderly close; how that ends does not matter.
  exchange.try_step(
      [&](auto handler) { net::async_read(stream, response, net::transfer_all(), handler); },
      std::chrono::milliseconds(200));
  return status;
}

}  // namespace

HttpPostResult http_post(const std::string& url, const Headers& headers, const std::string& body,
                         int timeout_seconds) {
  HttpPostResult result;
  ParsedUrl u;
  if (!parse_url(url, u)) {
    result.error = "not an http(s) URL";
    return result;
  }
  std::string host_header = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.port != (u.tls ? "443" : "80")) host_header += ":" + u.port;
  std::string request = "POST " + u.target + " HTTP/1.1\r\nHost: " + host_header +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n";
  for (const Header& h : headers) request += h.name + ": " + h.value + "\r\n";
  request += "\r\n";
  request += body;
  BlockingScope waiting;  // on a handler-pool thread: the pool runs requests meanwhile
  try {
    // The deadline counts the name lookup too, although that one step (getaddrinfo) cannot be
    // interrupted; endpoints are IP literals or local names almost always.
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
    net::io_context io;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(u.host, u.port);
    auto connect = [&endpoints](tcp::socket& socket) {
      return [&endpoints, &socket](auto handler) {
        net::async_connect(socket, endpoints, handler);
      };
    };
    if (!u.tls) {
      tcp::socket socket(io);
      Exchange exchange(io, socket, deadline);
      exchange.step(connect(socket), "connecting");
      result.status = post_and_read_status(exchange, socket, request);
    } else {
      net::ssl::context ctx(net::ssl::context::tls_client);
      ctx.set_verify_mode(net::ssl::verify_none);
      net::ssl::stream<tcp::socket> stream(io, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
      Exchange exchange(io, stream.next_layer(), deadline);
      exchange.step(connect(stream.next_layer()), "connecting");
      exchange.step(
          [&](auto handler) { stream.async_handshake(net::ssl::stream_base::client, handler); },
          "the TLS handshake");
      result.status = post_and_read_status(exchange, stream, request);
    }
    if (result.status == 0) result.error = "the endpoint did not answer with HTTP";
  } catch (const std::exception& e) {
    result.status = 0;
    result.error = e.what();
  }
  return result;
}

}  // namespace nimbus::sns
