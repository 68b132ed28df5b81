// A small blocking HTTP/1.1 client for SNS deliveries to http:// and https:// endpoints: one
// POST per connection ("Connection: close"), the request written by hand, the response's status
// line read back. https:// does not verify the peer's certificate (local endpoints use
// self-signed ones). Timeouts apply to connect, send and receive.
//
// Thread-safety: http_post may be called from any thread; it shares nothing.
#pragma once

#include <string>
#include <vector>

#include "common/http.h"

namespace nimbus::sns {

struct HttpPostResult {
  int status = 0;         // 0 when no response arrived (connection refused, timeout, bad URL)
  std::string error;      // why, when status is 0
};

HttpPostResult http_post(const std::string& url, const Headers& headers, const std::string& body,
                         int timeout_seconds = 15);

// Splits "http(s)://host[:port]/path?query"; false when the URL is not of that form.
struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path + query, "/" at least
};
bool parse_url(const std::string& url, ParsedUrl& out);

}  // namespace nimbus::sns
