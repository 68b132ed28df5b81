// Router: decides which service and which wire protocol a request is for, in the order
// docs/architecture.md fixes: X-Amz-Target prefix, SigV4 credential scope, Action+Version,
// host name, else S3 path style. It never trusts the scope alone: boto 2 pointed at 127.0.0.1
// signs for service "127", so an unknown scope falls through to the later rules.
//
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>

#include "common/http.h"

namespace nimbus {

struct Route {
  std::string service;   // "s3", "sqs", "sns", "sdb", "dynamodb", "dynamodbstreams", "ec2"
  std::string protocol;  // codec: "rest-xml", "query", "json", "ec2"
  std::string bucket_from_host;  // S3 virtual-host style: the bucket named by the Host header
  bool admin = false;    // /_nimbus/...
  // The request is a form POST whose service is named only in its body: read the body, then
  // route again.
  bool needs_body = false;
  std::string rule;      // which rule decided (for logs and tests)
};

class Router {
 public:
  explicit Router(std::string s3_base_domain = "localhost");
  // body_available: request.body holds the whole body (form POSTs can be routed by it).
  Route route(const HttpRequest& request, bool body_available) const;

 private:
  std::string bucket_from_host(const std::string& host) const;
  std::string base_domain_;
};

}  // namespace nimbus
