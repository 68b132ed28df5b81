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
  std::string body;         // empty when the exchange discarded the body
  uint64_t body_bytes = 0;  // the body's length as received (kept when discarded)
  const std::string* header(std::string_view name) const { return find_header(headers, name); }
};

// A request body too large to hold: `block` repeated (the last copy cut short) to `length`
// bytes, sent straight from the block.
struct RepeatedBody {
  std::string_view block;
  uint64_t length = 0;
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
  // upload: send that body instead of request.body. discard_body: count the response body's
  // bytes (body_bytes) through a fixed buffer instead of keeping them, for huge downloads.
  void exchange(const HttpRequest& request, ClientResponse& response,
                const RepeatedBody* upload = nullptr, bool discard_body = false);

  // Bytes sent and received on this client so far (headers included).
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  void connect_();
  void close_();
  bool send_all(const char* data, size_t size);
  // Reads the response; returns false when the connection was closed before any byte arrived.
  bool read_response(bool head, bool discard_body, ClientResponse& response);
  bool send_repeated(const RepeatedBody& body);
  bool fill();  // reads more bytes into buffer_; false at EOF
  std::string read_line();

  int port_;
  int fd_ = -1;
  std::string scratch_;  // where discarded response bodies land
  std::string buffer_;   // received, not yet consumed bytes are buffer_[pos_, end)
  size_t pos_ = 0;
  bool must_close_ = false;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace nimbus::bench
