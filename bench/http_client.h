// A small blocking HTTP/1.1 keep-alive client for nimbus-bench: one connection to 127.0.0.1,
// used by one thread. It sends a signed nimbus::HttpRequest and reads the whole response
// (Content-Length, chunked, or until close), reconnecting when the server closed the
// connection. Deliberately not Beast: the bench must build fast and add little client cost.
//
// Contract: only loopback traffic. The constructor takes a port; the address is always
// 127.0.0.1. Errors (connection refused, reset, malformed response) throw std::runtime_error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/http.h"

namespace nimbus::bench {

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  const std::string* header(std::string_view name) const { return find_header(headers, name); }
};

class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends request (method, target, headers, body as they are; Content-Length is added when the
  // body is non-empty or the method is PUT/POST) and fills response. A request that fails on a
  // reused connection before any response byte is retried once on a fresh connection.
  void exchange(const HttpRequest& request, ClientResponse& response);

  // Bytes sent and received on this client so far (headers included).
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  void connect_();
  void close_();
  bool send_all(const char* data, size_t size);
  // Reads the response; returns false when the connection was closed before any byte arrived.
  bool read_response(bool head, ClientResponse& response);
  bool fill();  // reads more bytes into buffer_; false at EOF
  std::string read_line();

  int port_;
  int fd_ = -1;
  std::string buffer_;   // received, not yet consumed bytes are buffer_[pos_, end)
  size_t pos_ = 0;
  bool must_close_ = false;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace nimbus::bench
