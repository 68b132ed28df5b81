// Cross-service messaging: how SNS (and later S3 event notifications) hand a message to an SQS
// queue in the same server without going through HTTP. SqsService implements QueueDirectory;
// services/registry.cc gives it to the services that deliver to queues.
//
// Thread-safety: send_messages and send_message may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
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

// One message for one queue, named by its ARN (arn:aws:sqs:<region>:<account>:<name>).
struct QueueSend {
  std::string queue_arn;
  QueueMessageInput message;
};

// What became of one QueueSend: its MessageId, or the error that kept it out.
struct QueueSendResult {
  std::string message_id;
  std::optional<ApiError> error;  // QueueDoesNotExist, InvalidParameterValue, ...
};

class QueueDirectory {
 public:
  virtual ~QueueDirectory() = default;
  // Sends each message like SendMessage to its queue, with the queue owner's permissions, and
  // wakes the queues' long polls. All the queues are looked up in one read and every message
  // that passes its queue's checks goes in with one write job (one commit), so a fan-out to N
  // queues costs one transaction. Result i is sends[i]'s; one failing message (a missing
  // queue, a body the queue refuses) does not keep the others out. Throws only when storage
  // fails, and then none went in.
  virtual std::vector<QueueSendResult> send_messages(const std::vector<QueueSend>& sends) = 0;

  // One message: returns its MessageId, throws its ApiError.
  std::string send_message(std::string_view queue_arn, const QueueMessageInput& message) {
    std::vector<QueueSendResult> r = send_messages({QueueSend{std::string(queue_arn), message}});
    if (r.at(0).error) throw *r[0].error;
    return r[0].message_id;
  }
};

}  // namespace nimbus
