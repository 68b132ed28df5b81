// SQS's error codes: one named factory per AWS error. `code` is the JSON protocol's name (the json
// codec writes __type com.amazonaws.sqs#<code>, matching the botocore model's error shapes);
// `query_code` is the legacy Query code that the Query protocol's <Code> and the JSON protocol's
// x-amzn-query-error header carry (botocore maps it back, so boto3 users see e.g.
// AWS.SimpleQueueService.NonExistentQueue). Statuses and wording follow the SQS API reference.
#pragma once

#include <string>

#include "common/error.h"

namespace nimbus::sqs_errors {

inline ApiError make(int status, std::string code, std::string query_code, std::string message) {
  ApiError e(status, std::move(code), std::move(message));
  e.query_code = std::move(query_code);
  return e;
}

inline ApiError queue_does_not_exist() {
  return make(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
              "The specified queue does not exist.");
}
inline ApiError queue_name_exists(const std::string& attribute) {
  return make(400, "QueueNameExists", "QueueAlreadyExists",
              "A queue already exists with the same name and a different value for attribute " +
                  attribute);
}
inline ApiError invalid_parameter_value(std::string message) {
  return make(400, "InvalidParameterValue", "InvalidParameterValue", std::move(message));
}
inline ApiError missing_parameter(const std::string& name) {
  return make(400, "MissingParameter", "MissingParameter",
              "The request must contain the parameter " + name + ".");
}
inline ApiError invalid_attribute_name(const std::string& name) {
  return make(400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute " + name + ".");
}
inline ApiError invalid_attribute_value(const std::string& name, const std::string& reason = "") {
  return make(400, "InvalidAttributeValue", "InvalidAttributeValue",
              "Invalid value for the parameter " + name + "." +
                  (reason.empty() ? "" : " Reason: " + reason));
}
inline ApiError receipt_handle_is_invalid(const std::string& handle) {
  return make(400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
              "The input receipt handle \"" + handle + "\" is not a valid receipt handle.");
}
// ChangeMessageVisibility with a handle whose message was deleted or received again since.
inline ApiError receipt_handle_expired(const std::string& handle) {
  return invalid_parameter_value("Value " + handle +
                                 " for parameter ReceiptHandle is invalid. Reason: Message does "
                                 "not exist or is not available for visibility timeout change.");
}
inline ApiError message_not_inflight() {
  return make(400, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
              "The message referred to isn't in flight.");
}
inline ApiError invalid_message_contents() {
  return make(400, "InvalidMessageContents", "InvalidMessageContents",
              "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
              "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
}
inline ApiError purge_in_progress(const std::string& queue) {
  return make(403, "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
              "Only one PurgeQueue operation on " + queue + " is allowed every 60 seconds.");
}
inline ApiError empty_batch() {
  return make(400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
              "There should be at least one entry in the request.");
}
inline ApiError too_many_entries(size_t n) {
  return make(400, "TooManyEntriesInBatchRequest",
              "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
              "Maximum number of entries per request are 10. You have sent " + std::to_string(n) +
                  ".");
}
inline ApiError batch_ids_not_distinct(const std::string& id) {
  return make(400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
              "Id " + id + " repeated.");
}
inline ApiError invalid_batch_entry_id() {
  return make(400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
              "A batch entry id can only contain alphanumeric characters, hyphens and "
              "underscores. It can be at most 80 letters long.");
}
inline ApiError batch_request_too_long(size_t bytes, size_t limit) {
  return make(400, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
              "Batch requests cannot be longer than " + std::to_string(limit) +
                  " bytes. You have sent " + std::to_string(bytes) + " bytes.");
}
inline ApiError unsupported_operation(std::string message) {
  return make(400, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
              std::move(message));
}
inline ApiError over_limit(std::string message) {
  return make(403, "OverLimit", "OverLimit", std::move(message));
}
inline ApiError access_denied() {
  return make(403, "AccessDeniedException", "AccessDenied",
              "Access to the resource The specified queue does not exist or you do not have "
              "access to it. is denied.");
}
inline ApiError resource_not_found(std::string message) {
  return make(404, "ResourceNotFoundException", "ResourceNotFoundException", std::move(message));
}

}  // namespace nimbus::sqs_errors
