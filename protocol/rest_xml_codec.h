// The rest-xml codec (S3): request method, path, query string, headers and XML body in; status,
// headers and XML (or raw payload) out; errors as <Error><Code/><Message/>...<RequestId/></Error>.
// protocol/codec.cc returns it from codec_for("rest-xml").
//
// Bodies: decode() reads HttpRequest::body only for non-streaming payloads (XML configurations,
// PutBucketPolicy's JSON); a streaming payload (PutObject/UploadPart Body) is left for the
// service to read from CallContext::body. The server must therefore buffer every other body.
//
// Thread-safety: stateless; the instance is shared by every worker thread.
#pragma once

#include <string>
#include <string_view>

#include "protocol/codec.h"

namespace nimbus {

// The shared rest-xml codec instance.
const Codec& rest_xml_codec();

// The root element of an S3 response body for an operation whose output has body members and no
// payload member ("ListAllMyBucketsResult" for ListBuckets, ...). Exposed for tests and for
// services that write a body themselves (e.g. an error inside a 200 CompleteMultipartUpload).
std::string s3_root_element(const Operation& operation);

}  // namespace nimbus
