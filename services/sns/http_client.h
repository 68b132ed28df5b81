// A small blocking HTTP/1.1 client for SNS deliveries to http:// and https:// endpoints: one
// POST per connection ("Connection: close"), the request written by hand, the response's status
// line read back. One timeout bounds the whole exchange (connect, TLS handshake, send, receive).
//
// https:// sends SNI (as AWS does) but does not verify the endpoint's certificate, by decision:
// AWS delivers only to endpoints whose certificate chains to a CA on its own list, which exists
// to protect deliveries across the internet; nimbus delivers to endpoints on the developer's
// machine or network, almost always test receivers with self-signed certificates, where a
// check would only make users install a CA before anything arrives. No option either: the
// system's CA store is not AWS's list, so a "strict" mode would not tell whether AWS would
// accept an endpoint.
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
