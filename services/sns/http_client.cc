// http_post: SNS's outgoing HTTP client on Boost.Asio synchronous sockets (plain TCP or
// OpenSSL without peer verification; why is in http_client.h). Deliveries run on scheduler threads, never on the
// request path, so blocking here never delays a Publish.
#include "services/sns/http_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <istream>

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

void set_timeouts(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

template <class Stream>
int post_and_read_status(Stream& stream, const std::string& request) {
  net::write(stream, net::buffer(request));
  net::streambuf response;
  net::read_until(stream, response, "\r\n");
  std::istream in(&response);
  std::string version;
  int status = 0;
  in >> version >> status;
  if (version.rfind("HTTP/", 0) != 0) return 0;
  // Drain the rest so the peer sees an orderly close; errors here don't matter.
  boost::system::error_code ignored;
  net::read(stream, response, net::transfer_at_least(1), ignored);
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
  try {
    net::io_context io;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(u.host, u.port);
    if (!u.tls) {
      tcp::socket socket(io);
      net::connect(socket, endpoints);
      set_timeouts(socket, timeout_seconds);
      result.status = post_and_read_status(socket, request);
    } else {
      net::ssl::context ctx(net::ssl::context::tls_client);
      ctx.set_verify_mode(net::ssl::verify_none);
      net::ssl::stream<tcp::socket> stream(io, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
      net::connect(stream.lowest_layer(), endpoints);
      set_timeouts(stream.next_layer(), timeout_seconds);
      stream.handshake(net::ssl::stream_base::client);
      result.status = post_and_read_status(stream, request);
    }
    if (result.status == 0) result.error = "the endpoint did not answer with HTTP";
  } catch (const std::exception& e) {
    result.status = 0;
    result.error = e.what();
  }
  return result;
}

}  // namespace nimbus::sns
