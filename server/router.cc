// Router implementation: the five routing rules of docs/architecture.md, in order.
#include "server/router.h"

#include <array>

#include "common/encoding.h"
#include "protocol/model.h"

namespace nimbus {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Which protocol a service speaks when the router chose it without X-Amz-Target.
std::string default_protocol(std::string_view service) {
  if (service == "s3") return "rest-xml";
  if (service == "dynamodb" || service == "dynamodbstreams") return "json";
  if (service == "ec2") return "ec2";
  return "query";  // sqs (boto 2), sns, sdb
}

bool known_scope_service(std::string_view s) {
  static constexpr std::array<std::string_view, 6> names{"s3", "sqs", "sns", "sdb", "dynamodb",
                                                         "ec2"};
  for (auto n : names)
    if (n == s) return true;
  return false;
}

// The service in "Credential=AKID/20261122/us-east-1/<service>/aws4_request".
std::string scope_service(const HttpRequest& request) {
  std::string credential;
  if (const std::string* auth = request.header("Authorization")) {
    auto pos = auth->find("Credential=");
    if (pos != std::string::npos) {
      auto end = auth->find_first_of(", ", pos);
      credential = auth->substr(pos + 11, end == std::string::npos ? std::string::npos : end - pos - 11);
    }
  } else if (request.query.find("X-Amz-Credential=") != std::string::npos) {
    credential = query_param(parse_query(request.query), "X-Amz-Credential").value_or("");
  }
  // access-key/date/region/service/aws4_request: the service is the 4th field.
  size_t start = 0;
  for (int field = 0; field < 3; ++field) {
    start = credential.find('/', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  auto end = credential.find('/', start);
  return credential.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string service_for_version(std::string_view version) {
  if (version == "2012-11-05" || version == "2011-10-01" || version == "2009-02-01") return "sqs";
  if (version == "2010-03-31") return "sns";
  if (version == "2009-04-15" || version == "2007-11-07") return "sdb";
  // EC2 API versions are dates from 2006 to today; everything else of that form.
  if (version.size() == 10 && version[4] == '-' && version[7] == '-') return "ec2";
  return "";
}

bool is_form(const HttpRequest& request) {
  const std::string* type = request.header("Content-Type");
  return type && type->find("application/x-www-form-urlencoded") != std::string::npos;
}

}  // namespace

Router::Router(std::string s3_base_domain) : base_domain_(std::move(s3_base_domain)) {}

std::string Router::bucket_from_host(const std::string& host) const {
  // <bucket>.s3.<base> or <bucket>.<base>; the bare base, s3.<base> and IP addresses name none.
  for (const std::string& suffix : {".s3." + base_domain_, "." + base_domain_}) {
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string bucket = host.substr(0, host.size() - suffix.size());
      if (bucket == "s3") return "";
      return bucket;
    }
  }
  return "";
}

Route Router::route(const HttpRequest& request, bool body_available) const {
  Route r;
  if (starts_with(request.path, "/_nimbus/") || request.path == "/_nimbus") {
    r.admin = true;
    r.rule = "admin";
    return r;
  }
  const std::string host = request.host_name();

  // 1. X-Amz-Target.
  if (const std::string* target = request.header("X-Amz-Target")) {
    if (starts_with(*target, "DynamoDBStreams_20120810.")) r.service = "dynamodbstreams";
    else if (starts_with(*target, "DynamoDB_20120810.")) r.service = "dynamodb";
    else if (starts_with(*target, "AmazonSQS.")) r.service = "sqs";
    if (!r.service.empty()) {
      r.protocol = "json";
      r.rule = "target";
      return r;
    }
  }

  // 2. SigV4 credential scope, when it names a service we know.
  std::string scoped = scope_service(request);
  if (known_scope_service(scoped)) {
    r.service = scoped;
    r.protocol = default_protocol(scoped);
    r.rule = "scope";
    if (scoped == "s3") r.bucket_from_host = bucket_from_host(host);
    return r;
  }

  // 3. Action + Version in the query string or the form body (the query string's first).
  bool form = request.method == "POST" && is_form(request);
  if (form && !body_available) {
    r.needs_body = true;
    r.rule = "needs-body";
    return r;
  }
  auto param = [&](std::string_view key) {
    std::optional<std::string> v = find_query_param(request.query, key);
    if (!v && form) v = find_query_param(request.body, key);
    return v;
  };
  std::optional<std::string> action = param("Action");
  if (action) {
    std::string service = service_for_version(param("Version").value_or(""));
    if (!service.empty()) {
      r.service = service;
      r.protocol = default_protocol(service);
      r.rule = "action";
      return r;
    }
  }

  // 4. Host name.
  if (starts_with(host, "sqs.") || starts_with(host, "queue.")) r.service = "sqs";
  else if (starts_with(host, "sdb.")) r.service = "sdb";
  else if (starts_with(host, "sns.")) r.service = "sns";
  else if (starts_with(host, "dynamodb.")) r.service = "dynamodb";
  else if (starts_with(host, "ec2.")) r.service = "ec2";
  if (!r.service.empty()) {
    r.protocol = default_protocol(r.service);
    r.rule = "host";
    return r;
  }
  if (std::string bucket = bucket_from_host(host); !bucket.empty()) {
    r.service = "s3";
    r.protocol = "rest-xml";
    r.bucket_from_host = bucket;
    r.rule = "virtual-host";
    return r;
  }

  // An Action without a known Version: the query service whose model has that operation.
  if (action) {
    for (const char* service : {"sqs", "sns", "sdb"}) {
      if (builtin_model(service).operation(*action)) {
        r.service = service;
        r.protocol = "query";
        r.rule = "action";
        return r;
      }
    }
  }

  // 5. S3, path style.
  r.service = "s3";
  r.protocol = "rest-xml";
  r.rule = "path";
  return r;
}

}  // namespace nimbus
