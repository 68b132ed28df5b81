// AWS Signature Version 2, in its two forms:
//  - query/form signing (SimpleDB, SQS and EC2 from boto 2): SignatureVersion=2,
//    SignatureMethod=HmacSHA1|HmacSHA256; string to sign
//    "METHOD\nhost[:port]\npath\n<sorted, RFC 3986-encoded params without Signature>".
//  - S3's REST signing: "Authorization: AWS key:signature" and presigned
//    AWSAccessKeyId/Signature/Expires; string to sign
//    "METHOD\nContent-MD5\nContent-Type\nDate-or-Expires\n<x-amz-* headers><resource>".
#pragma once

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/http.h"

namespace nimbus::sigv2 {

// Query/form form. params are the decoded parameters (from the query string for GET, the form
// body for POST); host is the Host header as sent (with its port).
std::string query_string_to_sign(std::string_view method, std::string_view host,
                                 std::string_view path, const QueryParams& params);
// S3 REST form. expires_or_date is the Date header (or "" when x-amz-date is used), or the
// Expires parameter for presigned URLs. path is the raw request path; the sub-resources S3
// signs (acl, uploads, versionId, response-* overrides, ...; the union of botocore's and
// boto 2's lists) are taken from query, sorted by name, values decoded. For a virtual-host
// request pass the bucket the Host named: the resource becomes "/<bucket><path>".
// Presigned URLs may carry content-md5, content-type and x-amz-* as query parameters (botocore
// moves them there); those take the place of the headers of the same name.
std::string s3_string_to_sign(const HttpRequest& request, std::string_view expires_or_date,
                              bool presigned, std::string_view virtual_host_bucket = {});
// The canonicalized resource alone (path, or /bucket + path, plus sorted sub-resources).
std::string s3_canonical_resource(std::string_view path, std::string_view query,
                                  std::string_view virtual_host_bucket = {});
// base64(HMAC(secret, string_to_sign)) with SHA-1 or SHA-256.
std::string signature(std::string_view secret, std::string_view string_to_sign, bool sha256);

}  // namespace nimbus::sigv2
