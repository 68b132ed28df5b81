// ApiError: the one error value every stage throws. It carries the HTTP status, the AWS error
// code and a message a person can act on; each codec turns it into its service's error shape in
// exactly one place. Services add their own named factories next to their code
// (services/s3/errors.h, ...); the factories here are shared by all services.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/http.h"
#include "common/value.h"

namespace nimbus {

struct ApiError : std::exception {
  int http_status = 400;
  std::string code;       // "NoSuchBucket", "ValidationException", ...
  std::string message;    // human-readable, actionable
  bool sender_fault = true;  // Sender vs Receiver (query <Type>, x-amzn-query-error suffix)
  // Extra elements some error shapes carry (S3 <BucketName>, <Key>, ...), in order.
  std::vector<std::pair<std::string, std::string>> details;
  // Extra response headers (e.g. x-amz-delete-marker on an S3 404).
  Headers headers;
  // For services whose JSON errors name a namespace-qualified type
  // ("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"), set by the service;
  // the json codec falls back to `code` when empty.
  std::string json_type;
  // For SQS's JSON protocol: the legacy Query code sent in x-amzn-query-error
  // ("AWS.SimpleQueueService.NonExistentQueue"); empty means use `code`.
  std::string query_code;
  // Extra top-level members of a JSON error body (DynamoDB's CancellationReasons, Item, ...):
  // a Map whose members the json codec writes after __type and message, each by the model's
  // error shape member of that name when there is one (so blobs are base64), else as-is.
  // Null (the default) adds nothing; other codecs ignore it.
  Value extra_json;

  ApiError() = default;
  ApiError(int status, std::string c, std::string m, bool sender = true)
      : http_status(status), code(std::move(c)), message(std::move(m)), sender_fault(sender) {}

  ApiError& with(std::string name, std::string value) {
    details.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const char* what() const noexcept override { return message.c_str(); }
};

namespace errors {
// Shared, protocol-neutral errors. Service-specific codes live with the service.
inline ApiError internal(std::string message) {
  return ApiError(500, "InternalError", std::move(message), false);
}
inline ApiError not_implemented(const std::string& operation) {
  return ApiError(501, "NotImplemented",
                  "The operation " + operation + " is not implemented by nimbus yet.", false);
}
inline ApiError incomplete_body(std::string message) {
  return ApiError(400, "IncompleteBody", std::move(message));
}
}  // namespace errors

}  // namespace nimbus
