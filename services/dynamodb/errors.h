// DynamoDB's errors as AWS returns them: code, HTTP status and the JSON __type
// "com.amazonaws.dynamodb.v20120810#<Code>". Every service error is made here.
#pragma once

#include <string>

#include "common/error.h"

namespace nimbus::ddb_errors {

inline ApiError make(int status, const std::string& code, std::string message) {
  ApiError e(status, code, std::move(message));
  e.json_type = "com.amazonaws.dynamodb.v20120810#" + code;
  return e;
}
inline ApiError validation(std::string message) {
  return make(400, "ValidationException", std::move(message));
}
inline ApiError resource_not_found(std::string message = "Requested resource not found") {
  return make(400, "ResourceNotFoundException", std::move(message));
}
inline ApiError table_not_found(const std::string& table) {
  return resource_not_found("Requested resource not found: Table: " + table + " not found");
}
inline ApiError resource_in_use(std::string message) {
  return make(400, "ResourceInUseException", std::move(message));
}
inline ApiError conditional_check_failed() {
  return make(400, "ConditionalCheckFailedException", "The conditional request failed");
}
inline ApiError duplicate_item() {
  return make(400, "DuplicateItemException", "Duplicate primary key exists in table");
}
inline ApiError transaction_canceled(std::string reasons) {
  return make(400, "TransactionCanceledException",
              "Transaction cancelled, please refer cancellation reasons for specific reasons [" +
                  reasons + "]");
}
inline ApiError idempotent_parameter_mismatch() {
  return make(400, "IdempotentParameterMismatchException",
              "The request uses the same client token as a previous, but non-identical request.");
}
inline ApiError limit_exceeded(std::string message) {
  return make(400, "LimitExceededException", std::move(message));
}
inline ApiError expired_iterator(std::string message) {
  return make(400, "ExpiredIteratorException", std::move(message));
}

}  // namespace nimbus::ddb_errors
