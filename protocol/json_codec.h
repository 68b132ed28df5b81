// The json codec (awsJson 1.0/1.1: DynamoDB, DynamoDB Streams, SQS from boto3 and the newer
// SDKs). codec_for("json") returns this instance.
//
// Thread-safety: stateless; the instance is shared.
#pragma once

#include "protocol/codec.h"

namespace nimbus {

const Codec& json_codec();

}  // namespace nimbus
