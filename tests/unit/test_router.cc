// Router: one test per routing rule of docs/architecture.md, in its order, plus the boto 2 case
// where the SigV4 scope names no real service.
#include <doctest/doctest.h>

#include "server/router.h"

using nimbus::HttpRequest;
using nimbus::Route;
using nimbus::Router;

namespace {

HttpRequest make(std::string method, std::string target, nimbus::Headers headers = {},
                 std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  r.headers = std::move(headers);
  if (!r.header("Host")) r.headers.push_back({"Host", "localhost:4566"});
  r.body = std::move(body);
  return r;
}

std::string sigv4(const std::string& service, const std::string& region = "us-east-1") {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/" + region + "/" + service +
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
}

}  // namespace

TEST_CASE("rule 1: X-Amz-Target picks DynamoDB, DynamoDB Streams and SQS JSON") {
  Router router;
  auto r = router.route(make("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.PutItem"},
                                           {"Authorization", sigv4("s3")}}),
                        true);
  CHECK(r.service == "dynamodb");
  CHECK(r.protocol == "json");
  CHECK(r.rule == "target");
  CHECK(router.route(make("POST", "/", {{"X-Amz-Target", "DynamoDBStreams_20120810.GetRecords"}}), true)
            .service == "dynamodbstreams");
  r = router.route(make("POST", "/", {{"X-Amz-Target", "AmazonSQS.SendMessage"}}), true);
  CHECK(r.service == "sqs");
  CHECK(r.protocol == "json");
}

TEST_CASE("rule 2: the SigV4 credential scope names the service") {
  Router router;
  auto r = router.route(make("POST", "/", {{"Authorization", sigv4("sns")}}), true);
  CHECK(r.service == "sns");
  CHECK(r.protocol == "query");
  CHECK(r.rule == "scope");
  r = router.route(make("GET", "/?X-Amz-Credential=AK%2F20261122%2Fus-east-1%2Fsqs%2Faws4_request"), true);
  CHECK(r.service == "sqs");
  r = router.route(make("GET", "/bucket/key", {{"Authorization", sigv4("s3")}}), true);
  CHECK(r.service == "s3");
  CHECK(r.protocol == "rest-xml");
}

TEST_CASE("rule 2 does not trust a scope derived from the host name (boto 2 at 127.0.0.1)") {
  Router router;
  // boto 2 pointed at 127.0.0.1 signs for service "127", region "0".
  auto r = router.route(make("POST", "/", {{"Authorization", sigv4("127", "0")},
                                           {"Content-Type", "application/x-www-form-urlencoded"}},
                             "Action=ListTopics&Version=2010-03-31"),
                        true);
  CHECK(r.service == "sns");
  CHECK(r.rule == "action");
  r = router.route(make("POST", "/", {{"Authorization", sigv4("localhost", "localhost")},
                                      {"Content-Type", "application/x-www-form-urlencoded"}},
                        "Action=ListTopics&Version=2010-03-31"),
                   true);
  CHECK(r.service == "sns");
}

TEST_CASE("rule 3: Action and Version from the query string or the form body") {
  Router router;
  CHECK(router.route(make("GET", "/?Action=ListDomains&Version=2009-04-15"), true).service == "sdb");
  CHECK(router.route(make("GET", "/000000000000/q?Action=ReceiveMessage&Version=2012-11-05"), true)
            .service == "sqs");
  CHECK(router.route(make("GET", "/?Action=DescribeInstances&Version=2016-11-15"), true).service ==
        "ec2");
  auto form = make("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                   "Action=Publish&Version=2010-03-31&Message=hi");
  auto early = router.route(form, false);
  CHECK(early.needs_body);
  auto r = router.route(form, true);
  CHECK(r.service == "sns");
  CHECK_FALSE(r.needs_body);
}

TEST_CASE("rule 3: an Action without a Version is found in the query services' models") {
  Router router;
  CHECK(router.route(make("GET", "/?Action=ListDomains"), true).service == "sdb");
  CHECK(router.route(make("GET", "/?Action=ListTopics"), true).service == "sns");
}

TEST_CASE("rule 4: host names route SQS, SimpleDB and virtual-host S3") {
  Router router;
  CHECK(router.route(make("POST", "/", {{"Host", "sqs.us-east-1.localhost:4566"}}), true).service ==
        "sqs");
  CHECK(router.route(make("POST", "/", {{"Host", "sdb.localhost"}}), true).service == "sdb");
  auto r = router.route(make("GET", "/key.txt", {{"Host", "photos.localhost:4566"}}), true);
  CHECK(r.service == "s3");
  CHECK(r.bucket_from_host == "photos");
  CHECK(r.rule == "virtual-host");
  r = router.route(make("GET", "/", {{"Host", "my.bucket.s3.localhost:4566"}}), true);
  CHECK(r.bucket_from_host == "my.bucket");
}

TEST_CASE("virtual-host bucket is found even when the scope already chose S3") {
  Router router;
  auto r = router.route(make("PUT", "/k", {{"Host", "b1.localhost:4566"}, {"Authorization", sigv4("s3")}}),
                        true);
  CHECK(r.service == "s3");
  CHECK(r.bucket_from_host == "b1");
}

TEST_CASE("a configurable base domain serves virtual hosts") {
  Router router("nimbus.test");
  CHECK(router.route(make("GET", "/", {{"Host", "b2.nimbus.test"}}), true).bucket_from_host == "b2");
  CHECK(router.route(make("GET", "/", {{"Host", "b2.localhost"}}), true).bucket_from_host.empty());
}

TEST_CASE("rule 5: anything else is S3, path style") {
  Router router;
  auto r = router.route(make("GET", "/bucket/key"), true);
  CHECK(r.service == "s3");
  CHECK(r.bucket_from_host.empty());
  CHECK(r.rule == "path");
  CHECK(router.route(make("GET", "/", {{"Host", "127.0.0.1:4566"}}), true).bucket_from_host.empty());
  CHECK(router.route(make("GET", "/", {{"Host", "s3.localhost"}}), true).bucket_from_host.empty());
}

TEST_CASE("admin paths are recognised before any service") {
  Router router;
  CHECK(router.route(make("GET", "/_nimbus/health", {{"X-Amz-Target", "AmazonSQS.ListQueues"}}), true)
            .admin);
  CHECK_FALSE(router.route(make("GET", "/_nimbusbucket/x"), true).admin);
}
