// Authenticator: decides which signature form a request carries (SigV4 header or presigned
// query, SigV2 S3 header or presigned query, SigV2 query/form), verifies it against the
// credentials with clock-skew and expiry checks, and returns the caller's account and how the
// body is protected. With --auth off it only maps the access key to an account.
// Entry point: Authenticator::authenticate.
#include "auth/authenticator.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"

namespace nimbus {
namespace {

constexpr EpochMillis kMaxSkewMs = 15 * 60 * 1000;
constexpr int64_t kMaxPresignSeconds = 604800;

const char* const kSignatureMismatchMessage =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

[[noreturn]] void fail(AuthFailure f, const std::string& message,
                       const std::string& access_key = {}) {
  AuthError e(f, message);
  e.access_key = access_key;
  throw e;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_account_id(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool is_form(const HttpRequest& request) {
  const std::string* ct = request.header("Content-Type");
  return request.method == "POST" && ct && starts_with_ci(*ct, "application/x-www-form-urlencoded");
}

// The request time of a SigV4 request: X-Amz-Date, or Date when X-Amz-Date is absent. Returns
// the text as it goes into the string to sign and the parsed time.
std::pair<std::string, EpochMillis> v4_request_date(const HttpRequest& request) {
  const std::string* d = request.header("X-Amz-Date");
  if (!d) d = request.header("Date");
  if (!d)
    fail(AuthFailure::Malformed, "AWS authentication requires a valid Date or x-amz-date header");
  std::optional<EpochMillis> t = parse_amz_date(*d);
  if (!t) t = parse_http_date(*d);
  if (!t) t = parse_iso8601(*d);
  if (!t) fail(AuthFailure::Malformed, "Invalid date in the X-Amz-Date header: " + *d);
  return {*d, *t};
}

void check_skew(EpochMillis request_time, EpochMillis now, const std::string& access_key) {
  if (request_time - now > kMaxSkewMs || now - request_time > kMaxSkewMs)
    fail(AuthFailure::TimeTooSkewed,
         "The difference between the request time and the current time is too large.", access_key);
}

void check_scope_date(const sigv4::Credential& c, std::string_view amz_date) {
  if (amz_date.size() >= 8 && parse_amz_date(amz_date) && amz_date.substr(0, 8) != c.date)
    fail(AuthFailure::Malformed,
         "Invalid credential date \"" + c.date + "\". This date is not the same as X-Amz-Date: \"" +
             std::string(amz_date.substr(0, 8)) + "\".",
         c.access_key);
  if (c.terminator != "aws4_request")
    fail(AuthFailure::Malformed,
         "Invalid credential scope terminator \"" + c.terminator + "\"; expected aws4_request.",
         c.access_key);
}

// What the canonical request's last line is and what that means for the body.
struct Payload {
  std::string hash;  // literal for the canonical request
  PayloadMode mode = PayloadMode::Verified;
  bool compare_with_body = false;  // a hex hash to check against the buffered body
  bool deferred = false;           // the signature covers a body that is not here yet
};

Payload classify_payload(const HttpRequest& request, const AuthOptions& options, bool presigned) {
  Payload p;
  const std::string* h = request.header("X-Amz-Content-SHA256");
  if (!h) {
    if (options.s3) {
      if (presigned) {
        p.hash = "UNSIGNED-PAYLOAD";
        p.mode = PayloadMode::Unsigned;
        return p;
      }
      fail(AuthFailure::Malformed,
           "Missing required header for this request: x-amz-content-sha256");
    }
    // Other services sign the body itself: without it only key, date and scope are checked
    // now, and the caller authenticates again once the body is buffered.
    p.mode = PayloadMode::Verified;
    if (options.body_available)
      p.hash = sha256_hex(request.body);
    else
      p.deferred = true;
    return p;
  }
  p.hash = *h;
  if (*h == "UNSIGNED-PAYLOAD") {
    p.mode = PayloadMode::Unsigned;
  } else if (*h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    p.mode = PayloadMode::StreamingSigned;
  } else if (*h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    p.mode = PayloadMode::StreamingSignedTrailer;
  } else if (*h == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    p.mode = PayloadMode::StreamingUnsignedTrailer;
  } else if (is_sha256_hex(*h)) {
    if (options.body_available) {
      p.mode = PayloadMode::Verified;
      p.compare_with_body = true;
    } else {
      p.mode = PayloadMode::Sha256;
    }
  } else {
    fail(AuthFailure::Malformed,
         "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
         "valid sha256 value.");
  }
  return p;
}

void apply_payload(const HttpRequest& request, const Payload& p, AuthResult& result) {
  result.payload = p.mode;
  if (p.compare_with_body) {
    if (!iequals(p.hash, sha256_hex(request.body)))
      fail(AuthFailure::ContentSha256Mismatch,
           "The provided 'x-amz-content-sha256' header does not match what was computed.",
           result.account.access_key);
  } else if (p.mode == PayloadMode::Sha256) {
    result.expected_sha256_hex = lower(p.hash);
  }
}

// Every signature form's parsed parts that the verification needs.
struct V4Parts {
  sigv4::Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;
  EpochMillis time = 0;
  int64_t expires = 0;  // presigned only
};

V4Parts parse_v4_header(const HttpRequest& request, const std::string& authorization) {
  auto parsed = sigv4::parse_authorization(authorization);
  if (!parsed)
    fail(AuthFailure::Malformed,
         "The authorization header is malformed; it must be 'AWS4-HMAC-SHA256 Credential=..., "
         "SignedHeaders=..., Signature=...'.");
  V4Parts v;
  v.credential = std::move(parsed->credential);
  v.signed_headers = std::move(parsed->signed_headers);
  v.signature = std::move(parsed->signature);
  auto [date, time] = v4_request_date(request);
  v.amz_date = std::move(date);
  v.time = time;
  return v;
}

V4Parts parse_v4_query(const QueryParams& params) {
  auto get = [&](std::string_view name) {
    auto v = query_param(params, name);
    if (!v || v->empty())
      fail(AuthFailure::Malformed,
           "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, "
           "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; " +
               std::string(name) + " is missing.");
    return *v;
  };
  if (get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
    fail(AuthFailure::Malformed, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  V4Parts v;
  auto credential = sigv4::parse_credential(get("X-Amz-Credential"));
  if (!credential)
    fail(AuthFailure::Malformed,
         "Error parsing the X-Amz-Credential parameter; the credential is "
         "malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
         "aws4_request\".");
  v.credential = std::move(*credential);
  std::string headers = get("X-Amz-SignedHeaders");
  size_t pos = 0;
  while (pos <= headers.size()) {
    size_t semi = headers.find(';', pos);
    if (semi == std::string::npos) semi = headers.size();
    if (semi > pos) v.signed_headers.push_back(lower(headers.substr(pos, semi - pos)));
    pos = semi + 1;
  }
  v.signature = get("X-Amz-Signature");
  v.amz_date = get("X-Amz-Date");
  auto t = parse_amz_date(v.amz_date);
  if (!t)
    fail(AuthFailure::Malformed,
         "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  v.time = *t;
  auto expires = parse_int(get("X-Amz-Expires"));
  if (!expires || *expires < 1 || *expires > kMaxPresignSeconds)
    fail(AuthFailure::Malformed,
         "X-Amz-Expires must be a number of seconds from 1 to 604800 (seven days).");
  v.expires = *expires;
  return v;
}

}  // namespace

Authenticator::Authenticator(const Credentials& credentials, const Clock& clock, bool enabled,
                             std::string default_account)
    : credentials_(credentials),
      clock_(clock),
      enabled_(enabled),
      default_account_(std::move(default_account)) {}

AuthResult Authenticator::authenticate(const HttpRequest& request,
                                       const AuthOptions& options) const {
  // ---- which form? ----
  const std::string* authorization = request.header("Authorization");
  QueryParams query = parse_query(request.query, true);
  SignatureKind kind = SignatureKind::Anonymous;
  QueryParams form;  // SigV2 query/form parameters (query, plus the body for form POSTs)
  if (authorization && !authorization->empty()) {
    if (starts_with_ci(*authorization, "AWS4-HMAC-SHA256"))
      kind = SignatureKind::V4Header;
    else if (options.s3 && starts_with_ci(*authorization, "AWS "))
      kind = SignatureKind::V2S3Header;
    else
      fail(AuthFailure::Malformed,
           "Unsupported Authorization header; use AWS4-HMAC-SHA256" +
               std::string(options.s3 ? " or AWS <AccessKeyId>:<Signature>." : "."));
  } else if (query_param(query, "X-Amz-Algorithm") || query_param(query, "X-Amz-Credential") ||
             query_param(query, "X-Amz-Signature")) {
    kind = SignatureKind::V4Query;
  } else if (options.s3 && query_param(query, "AWSAccessKeyId") &&
             !query_param(query, "SignatureVersion")) {
    kind = SignatureKind::V2S3Query;
  } else {
    form = query;
    if (is_form(request)) {
      QueryParams body = parse_query(request.body, true);
      form.insert(form.end(), std::make_move_iterator(body.begin()),
                  std::make_move_iterator(body.end()));
    }
    if (auto version = query_param(form, "SignatureVersion")) {
      if (*version != "2")
        fail(AuthFailure::Malformed,
             "SignatureVersion " + *version + " is not supported; use 2 or Signature Version 4.");
      kind = SignatureKind::V2Query;
    }
  }

  AuthResult result;
  result.kind = kind;
  if (kind == SignatureKind::Anonymous) {
    result.account.anonymous = true;
    return result;
  }

  // ---- parse the form's parts ----
  V4Parts v4;
  std::string access_key;
  if (kind == SignatureKind::V4Header || kind == SignatureKind::V4Query) {
    if (!enabled_) {
      // Best effort: the key is all --auth off needs.
      try {
        v4 = kind == SignatureKind::V4Header ? parse_v4_header(request, *authorization)
                                             : parse_v4_query(query);
      } catch (const AuthError&) {
        if (kind == SignatureKind::V4Query)
          if (auto c = query_param(query, "X-Amz-Credential"))
            v4.credential.access_key = c->substr(0, c->find('/'));
      }
    } else {
      v4 = kind == SignatureKind::V4Header ? parse_v4_header(request, *authorization)
                                           : parse_v4_query(query);
    }
    access_key = v4.credential.access_key;
    result.scope_region = v4.credential.region;
    result.scope_service = v4.credential.service;
  } else if (kind == SignatureKind::V2S3Header) {
    std::string_view rest = std::string_view(*authorization).substr(4);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size())
      fail(AuthFailure::Malformed,
           "The Authorization header must be 'AWS <AccessKeyId>:<Signature>'.");
    access_key = rest.substr(0, colon);
  } else if (kind == SignatureKind::V2S3Query) {
    access_key = *query_param(query, "AWSAccessKeyId");
  } else {
    access_key = query_param(form, "AWSAccessKeyId").value_or("");
    if (access_key.empty() && enabled_)
      fail(AuthFailure::Malformed, "The request must contain the parameter AWSAccessKeyId.");
  }
  result.account.access_key = access_key;

  // ---- --auth off: map the key, check nothing ----
  if (!enabled_) {
    result.account.id = is_account_id(access_key) ? access_key : default_account_;
    if (const CredentialEntry* e = credentials_.find(access_key);
        e && e->account_id == result.account.id)
      result.account.display_name = e->display_name;
    result.payload = PayloadMode::Unsigned;
    if (kind == SignatureKind::V4Header || kind == SignatureKind::V4Query) {
      // Streamed bodies still need their framing decoded; chunk signatures go unchecked
      // (no signing key).
      if (const std::string* h = request.header("X-Amz-Content-SHA256")) {
        if (*h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
          result.payload = PayloadMode::StreamingSigned;
        else if (*h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
          result.payload = PayloadMode::StreamingSignedTrailer;
        else if (*h == "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
          result.payload = PayloadMode::StreamingUnsignedTrailer;
      }
    }
    return result;
  }

  const CredentialEntry* entry = credentials_.find(access_key);
  if (!entry)
    fail(AuthFailure::InvalidAccessKey,
         "The AWS Access Key Id you provided does not exist in our records.", access_key);
  result.account.id = entry->account_id;
  result.account.display_name = entry->display_name;
  const EpochMillis now = clock_.now_ms();

  // ---- SigV4 ----
  if (kind == SignatureKind::V4Header || kind == SignatureKind::V4Query) {
    check_scope_date(v4.credential, v4.amz_date);
    if (kind == SignatureKind::V4Header) {
      check_skew(v4.time, now, access_key);
    } else {
      if (v4.time - now > kMaxSkewMs) check_skew(v4.time, now, access_key);
      if (now > v4.time + v4.expires * 1000)
        fail(AuthFailure::Expired, "Request has expired", access_key);
    }
    Payload payload = classify_payload(request, options, kind == SignatureKind::V4Query);
    if (payload.deferred) return result;
    const bool normalize = !options.s3 && options.normalize_path;
    std::string creq =
        sigv4::canonical_request(request, v4.signed_headers, payload.hash, normalize);
    const std::string scope = v4.credential.scope();
    std::string sts = sigv4::string_to_sign(v4.amz_date, scope, creq);
    std::string key = sigv4::cached_signing_key(entry->secret_key, v4.credential.date,
                                                v4.credential.region, v4.credential.service);
    std::string expected = sigv4::signature_hex(key, sts);
    if (!constant_time_equal(expected, lower(v4.signature))) {
      AuthError e(AuthFailure::SignatureMismatch, kSignatureMismatchMessage);
      e.access_key = access_key;
      e.string_to_sign = std::move(sts);
      e.canonical_request = std::move(creq);
      throw e;
    }
    apply_payload(request, payload, result);
    if (payload.mode == PayloadMode::StreamingSigned ||
        payload.mode == PayloadMode::StreamingSignedTrailer ||
        payload.mode == PayloadMode::StreamingUnsignedTrailer) {
      result.signing_key = std::move(key);
      result.seed_signature = std::move(expected);
      result.amz_date = v4.amz_date;
      result.scope = scope;
    }
    return result;
  }

  // ---- SigV2 ----
  std::string provided, sts;
  bool sha256 = false;
  if (kind == SignatureKind::V2S3Header) {
    provided = authorization->substr(authorization->rfind(':') + 1);
    const std::string* amz_date = request.header("X-Amz-Date");
    const std::string* date = request.header("Date");
    const std::string* when = amz_date ? amz_date : date;
    if (!when)
      fail(AuthFailure::Malformed, "AWS authentication requires a valid Date or x-amz-date header",
           access_key);
    std::optional<EpochMillis> t = parse_http_date(*when);
    if (!t) t = parse_iso8601(*when);
    if (!t) t = parse_amz_date(*when);
    if (!t)
      fail(AuthFailure::Malformed, "AWS authentication requires a valid Date or x-amz-date header",
           access_key);
    check_skew(*t, now, access_key);
    sts = sigv2::s3_string_to_sign(request, amz_date ? "" : *date, false,
                                   options.virtual_host_bucket);
  } else if (kind == SignatureKind::V2S3Query) {
    provided = query_param(query, "Signature").value_or("");
    std::string expires = query_param(query, "Expires").value_or("");
    auto e = parse_int(expires);
    if (provided.empty() || !e)
      fail(AuthFailure::Malformed,
           "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
           "parameters",
           access_key);
    if (now > *e * 1000) fail(AuthFailure::Expired, "Request has expired", access_key);
    sts = sigv2::s3_string_to_sign(request, expires, true, options.virtual_host_bucket);
  } else {
    provided = query_param(form, "Signature").value_or("");
    std::string method = query_param(form, "SignatureMethod").value_or("");
    if (method == "HmacSHA256")
      sha256 = true;
    else if (method != "HmacSHA1")
      fail(AuthFailure::Malformed, "SignatureMethod must be HmacSHA1 or HmacSHA256.", access_key);
    if (provided.empty())
      fail(AuthFailure::Malformed, "The request must contain the parameter Signature.", access_key);
    if (auto ts = query_param(form, "Timestamp")) {
      auto t = parse_iso8601(*ts);
      if (!t) fail(AuthFailure::Malformed, "Invalid Timestamp: " + *ts, access_key);
      check_skew(*t, now, access_key);
    } else if (auto ex = query_param(form, "Expires")) {
      auto t = parse_iso8601(*ex);
      if (!t) fail(AuthFailure::Malformed, "Invalid Expires: " + *ex, access_key);
      if (now > *t) fail(AuthFailure::Expired, "Request has expired", access_key);
    } else {
      fail(AuthFailure::Malformed,
           "The request must contain either a Timestamp or an Expires "
           "parameter.",
           access_key);
    }
    sts =
        sigv2::query_string_to_sign(request.method, request.header_or("Host"), request.path, form);
  }
  std::string expected = sigv2::signature(entry->secret_key, sts, sha256);
  if (!constant_time_equal(expected, provided)) {
    AuthError e(AuthFailure::SignatureMismatch, kSignatureMismatchMessage);
    e.access_key = access_key;
    e.string_to_sign = std::move(sts);
    throw e;
  }
  result.payload = PayloadMode::Unsigned;
  return result;
}

}  // namespace nimbus
