// SNS's error codes: one named factory per AWS error, with the HTTP status and the message text
// real SNS returns (API reference "Common errors" and each action's Errors section). Every SNS
// error nimbus raises is built here, so the wording lives in one place.
#pragma once

#include <string>

#include "common/error.h"

namespace nimbus::sns_errors {

inline ApiError not_found(std::string message = "Topic does not exist") {
  return ApiError(404, "NotFound", std::move(message));
}
inline ApiError subscription_not_found() {
  return ApiError(404, "NotFound", "Subscription does not exist");
}
inline ApiError resource_not_found() {
  return ApiError(404, "ResourceNotFound", "Resource does not exist");
}
// InvalidParameter with AWS's "Invalid parameter: " prefix added to `what`.
inline ApiError invalid_parameter(const std::string& what) {
  return ApiError(400, "InvalidParameter", "Invalid parameter: " + what);
}
// InvalidParameter whose message is given whole (a few AWS messages have no prefix).
inline ApiError invalid_parameter_raw(std::string message) {
  return ApiError(400, "InvalidParameter", std::move(message));
}
inline ApiError invalid_parameter_value(std::string message) {
  return ApiError(400, "InvalidParameterValue", std::move(message));
}
inline ApiError filter_policy(const std::string& what) {
  return invalid_parameter("FilterPolicy: " + what);
}
inline ApiError authorization(std::string message) {
  return ApiError(403, "AuthorizationError", std::move(message));
}
inline ApiError tag_limit_exceeded() {
  return ApiError(400, "TagLimitExceeded",
                  "Could not complete request: tag quota of per resource exceeded");
}
inline ApiError too_many_entries() {
  return ApiError(400, "TooManyEntriesInBatchRequest",
                  "The batch request contains more entries than permissible.");
}
inline ApiError empty_batch() {
  return ApiError(400, "EmptyBatchRequest", "The batch request doesn't contain any entries.");
}
inline ApiError batch_ids_not_distinct() {
  return ApiError(400, "BatchEntryIdsNotDistinct",
                  "Two or more batch entries in the request have the same Id.");
}
inline ApiError invalid_batch_entry_id() {
  return ApiError(400, "InvalidBatchEntryId",
                  "The Id of a batch entry in a batch request doesn't abide by the specification.");
}
inline ApiError batch_too_long() {
  return ApiError(400, "BatchRequestTooLong",
                  "The length of all the messages put together is more than the limit.");
}

}  // namespace nimbus::sns_errors
