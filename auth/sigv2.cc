// AWS Signature Version 2: the query/form string to sign (SimpleDB, SQS, EC2 from boto 2 and
// botocore's SDB client) and S3's REST string to sign (Authorization: AWS key:sig, presigned
// AWSAccessKeyId/Signature/Expires), matching boto 2 (boto/utils.py canonical_string) and
// botocore (auth.py HmacV1Auth, HmacV1QueryAuth). The Authenticator verifies with these.
#include "auth/sigv2.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/hash.h"
#include "common/http.h"

namespace nimbus::sigv2 {
namespace {

// Sub-resources that are part of S3's canonicalized resource: botocore's QSAOfInterest and
// boto 2's qsa_of_interest, sorted (looked up with binary search).
constexpr std::string_view kSubResources[] = {
    "accelerate",
    "acl",
    "analytics",
    "billing",
    "compose",
    "cors",
    "defaultObjectAcl",
    "delete",
    "encryptionConfig",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "userProject",
    "versionId",
    "versioning",
    "versions",
    "website",
    "websiteConfig",
};

bool is_sub_resource(std::string_view key) {
  return std::binary_search(std::begin(kSubResources), std::end(kSubResources), key);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


}  // namespace

std::string query_string_to_sign(std::string_view method, std::string_view host,
                                 std::string_view path, const QueryParams& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params)
    if (p.first != "Signature") sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return *a < *b; });
  std::string out;
  out.append(method).push_back('\n');
  out.append(lower(host)).push_back('\n');
  out.append(path.empty() ? std::string_view("/") : path).push_back('\n');
  bool first = true;
  for (const auto* p : sorted) {
    if (!first) out.push_back('&');
    first = false;
    out.append(uri_encode(p->first)).push_back('=');
    out.append(uri_encode(p->second));
  }
  return out;
}

std::string s3_canonical_resource(std::string_view path, std::string_view query,
                                  std::string_view virtual_host_bucket) {
  std::string out;
  if (!virtual_host_bucket.empty()) out.append("/").append(virtual_host_bucket);
  out.append(path);
  if (out.empty()) out = "/";
  // (raw key, "key" or "key=decoded value"), stable-sorted by key as botocore and boto 2 do.
  std::vector<std::pair<std::string_view, std::string>> subs;
  split_query(query, [&](std::string_view key, std::optional<std::string_view> value) {
    if (!is_sub_resource(key)) return true;
    std::string item(key);
    if (value) item.append("=").append(uri_decode(*value));
    subs.emplace_back(key, std::move(item));
    return true;
  });
  std::stable_sort(subs.begin(), subs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < subs.size(); ++i) {
    out.push_back(i == 0 ? '?' : '&');
    out.append(subs[i].second);
  }
  return out;
}

std::string s3_string_to_sign(const HttpRequest& request, std::string_view expires_or_date,
                              bool presigned, std::string_view virtual_host_bucket) {
  // Signed headers: content-md5, content-type and every x-amz-*; duplicates comma-joined.
  std::string content_md5, content_type;
  std::map<std::string, std::string> amz;
  for (const Header& h : request.headers) {
    std::string name = lower(trim_ows(h.name));
    std::string_view value = trim_ows(h.value);
    if (name == "content-md5") {
      content_md5 = value;
    } else if (name == "content-type") {
      content_type = value;
    } else if (name.rfind("x-amz-", 0) == 0) {
      auto [it, inserted] = amz.try_emplace(std::move(name), value);
      if (!inserted) it->second.append(",").append(value);
    }
  }
  if (presigned) {
    std::map<std::string, std::string> from_query;
    for (auto& [k, v] : parse_query(request.query, true)) {
      std::string name = lower(k);
      if (name == "content-md5") {
        content_md5 = trim_ows(v);
      } else if (name == "content-type") {
        content_type = trim_ows(v);
      } else if (name.rfind("x-amz-", 0) == 0) {
        auto [it, inserted] = from_query.try_emplace(std::move(name), trim_ows(v));
        if (!inserted) it->second.append(",").append(trim_ows(v));
      }
    }
    for (auto& [k, v] : from_query) amz[k] = std::move(v);
  }
  std::string out;
  out.append(request.method).push_back('\n');
  out.append(content_md5).push_back('\n');
  out.append(content_type).push_back('\n');
  out.append(expires_or_date).push_back('\n');
  for (const auto& [name, value] : amz) out.append(name).append(":").append(value).push_back('\n');
  out.append(s3_canonical_resource(request.path, request.query, virtual_host_bucket));
  return out;
}

std::string signature(std::string_view secret, std::string_view string_to_sign, bool sha256) {
  return base64_encode(sha256 ? hmac_sha256(secret, string_to_sign)
                              : hmac_sha1(secret, string_to_sign));
}

}  // namespace nimbus::sigv2
