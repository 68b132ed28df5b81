// The query-family codecs: query (SNS, SimpleDB, SQS for boto 2) and ec2. codec_for("query") and
// codec_for("ec2") return these instances; the shared walking code is in query_common.h.
//
// Thread-safety: stateless; the instances are shared.
#pragma once

#include "protocol/codec.h"

namespace nimbus {

const Codec& query_codec();
const Codec& ec2_codec();

// The Query protocol's JSON rendering, which a client asks for with the parameter
// ContentType=JSON (boto 2's SNS does on every call and json.loads the body):
//   {"PublishResponse": {"PublishResult": {...}, "ResponseMetadata": {"RequestId": "..."}}}
// and errors {"Error": {"Type": ..., "Code": ..., "Message": ...}, "RequestId": "..."}.
// Members keep their model names, lists are arrays, maps objects, absent members null.
// The dispatcher calls these instead of query_codec().encode/encode_error when
// wants_json_response(request) is true.
bool wants_json_response(const HttpRequest& request);
HttpResponse encode_query_json(const ServiceModel& model, const Operation& operation,
                               const Value& output, const ResponseMeta& meta);
HttpResponse encode_query_json_error(const ServiceModel& model, const ApiError& error,
                                     const ResponseMeta& meta);

}  // namespace nimbus
