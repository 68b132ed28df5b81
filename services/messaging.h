// Cross-service messaging: how SNS (and later S3 event notifications) hand a message to an SQS
// queue in the same server without going through HTTP. SqsService implements QueueDirectory;
// services/registry.cc gives it to the services that deliver to queues.
//
// Thread-safety: send_message may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/value.h"

namespace nimbus {

struct QueueMessageInput {
  std::string body;
  // SQS MessageAttributes as the SQS model shapes them:
  // {"name": {"DataType": "String", "StringValue": "..."} or {"DataType": "Binary", "BinaryValue": bytes}}
  Value message_attributes;
  std::string message_group_id;          // FIFO queues
  std::string message_deduplication_id;  // FIFO queues
  std::string sender_id;                 // shown as the SenderId attribute
};

class QueueDirectory {
 public:
  virtual ~QueueDirectory() = default;
  // Sends like SendMessage to the queue named by its ARN (arn:aws:sqs:<region>:<account>:<name>),
  // with the queue owner's permissions, and wakes its long polls. Returns the new MessageId.
  // Throws ApiError (QueueDoesNotExist, InvalidParameterValue, ...) when the message cannot go in.
  virtual std::string send_message(std::string_view queue_arn, const QueueMessageInput& message) = 0;
};

}  // namespace nimbus
