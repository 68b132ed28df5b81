// nimbus-bench sessions: signing and sending one request per call for each wire protocol, and
// the small parsing helpers operations share (see bench.h).
#include <chrono>
#include <cstring>
#include <random>

#include <rapidjson/document.h>

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "bench/bench.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/time.h"

namespace nimbus::bench {

namespace {
std::string form_encode(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(uri_encode(k)).push_back('=');
    out.append(uri_encode(v));
  }
  return out;
}
}  // namespace

bool ok_status(int status) { return status >= 200 && status < 300; }

bool looks_unsupported(int status, std::string_view body) {
  if (status == 501 || status == 405) return true;
  for (std::string_view marker :
       {"NotImplemented", "not implemented", "not yet implemented", "InvalidAction",
        "UnknownOperation", "UnrecognizedClientException", "is not valid for this web service",
        "NotSupported"}) {
    if (body.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

UnitResult failed(const ClientResponse& response) {
  UnitResult r;
  r.ok = false;
  r.status = response.status;
  r.error = "HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 300);
  return r;
}

void expect_ok(const ClientResponse& response, std::string_view what, std::vector<int> also_ok) {
  if (ok_status(response.status)) return;
  for (int s : also_ok)
    if (s == response.status) return;
  throw SetupError(response.status, std::string(what) + ": HTTP " +
                                        std::to_string(response.status) + ": " +
                                        response.body.substr(0, 400));
}

std::string make_body(size_t size, uint64_t n) {
  std::string body(size, 'x');
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (size_t i = 0; i < size; ++i) body[i] = kAlphabet[(i * 7 + i / 61) % 62];
  std::string prefix = std::to_string(n) + "-";
  for (size_t i = 0; i < prefix.size() && i < size; ++i) body[i] = prefix[i];
  return body;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string xml_text(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t a = xml.find(open);
  if (a == std::string_view::npos) return {};
  a += open.size();
  size_t b = xml.find(close, a);
  if (b == std::string_view::npos) return {};
  std::string text(xml.substr(a, b - a));
  // The few entities AWS answers use in ids and ARNs.
  for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"&quot;", "\""},
                          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", "\""}}) {
    for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
      text.replace(p, from.size(), to);
  }
  return text;
}

std::string json_member(std::string_view body, std::string_view path) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  const rapidjson::Value* v = &doc;
  std::string_view rest = path;
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string part(rest.substr(0, dot));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (!v->IsObject()) return {};
    auto it = v->FindMember(part.c_str());
    if (it == v->MemberEnd()) return {};
    v = &it->value;
  }
  return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

// Like botocore's, it ends in "region/<region>" (moto_server routes SigV2 requests by it).
std::string Session::user_agent() const {
  return "nimbus-bench/" NIMBUS_VERSION " region/" + options_.region;
}

const std::string& run_id() {
  static const std::string id = random_hex(4);
  return id;
}

const ClientResponse& Session::send(HttpRequest& request, std::string_view service, bool s3,
                                    const RepeatedBody* upload,
                                    std::string_view payload_sha256_hex, bool discard_body) {
  sigv4::SignOptions sign;
  sign.payload_hash = std::string(payload_sha256_hex);
  sign.access_key = options_.access_key;
  sign.secret_key = options_.secret_key;
  sign.region = options_.region;
  sign.service = std::string(service);
  sign.normalize_path = !s3;
  sign.add_content_sha256_header = s3;
  sigv4::sign_request(request, sign);
  client_.exchange(request, response_, upload, discard_body);
  return response_;
}

std::string sha256_hex_of(const RepeatedBody& body) {
  Hasher hasher(Hasher::Algorithm::Sha256);
  for (uint64_t done = 0; done < body.length && !body.block.empty();) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(body.block.size(), body.length - done));
    hasher.update(body.block.substr(0, n));
    done += n;
  }
  return hex_encode(hasher.finish());
}

const ClientResponse& Session::s3_large(std::string_view method, std::string_view path,
                                        const RepeatedBody* upload,
                                        std::string_view payload_sha256_hex) {
  HttpRequest request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.target = request.path;
  request.headers.push_back({"Host", host()});
  request.headers.push_back({"User-Agent", user_agent()});
  return send(request, "s3", true, upload, payload_sha256_hex, true);
}

const ClientResponse& Session::s3(std::string_view method, std::string_view path,
                                  std::string_view query, std::string body, const Headers& extra) {
  HttpRequest request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.query = std::string(query);
  request.target = request.query.empty() ? request.path : request.path + "?" + request.query;
  request.headers.push_back({"Host", host()});
  request.headers.push_back({"User-Agent", user_agent()});
  for (const Header& h : extra) request.headers.push_back(h);
  request.body = std::move(body);
  return send(request, "s3", true);
}

const ClientResponse& Session::json(std::string_view service, std::string_view target,
                                    std::string body, std::string_view content_type) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.target = "/";
  request.headers.push_back({"Host", host()});
  request.headers.push_back({"User-Agent", user_agent()});
  request.headers.push_back({"Content-Type", std::string(content_type)});
  request.headers.push_back({"X-Amz-Target", std::string(target)});
  request.body = std::move(body);
  return send(request, service, false);
}

const ClientResponse& Session::query(std::string_view service, const QueryParams& params) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.target = "/";
  request.headers.push_back({"Host", host()});
  request.headers.push_back({"User-Agent", user_agent()});
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  request.body = form_encode(params);
  return send(request, service, false);
}

const ClientResponse& Session::query_v2(const QueryParams& input) {
  QueryParams params = input;
  params.emplace_back("AWSAccessKeyId", options_.access_key);
  params.emplace_back("SignatureVersion", "2");
  params.emplace_back("SignatureMethod", "HmacSHA256");
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  params.emplace_back("Timestamp", format_iso8601(now));
  const std::string h = host();
  params.emplace_back("Signature", sigv2::signature(options_.secret_key,
                                                    sigv2::query_string_to_sign("POST", h, "/",
                                                                                params),
                                                    true));
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.target = "/";
  request.headers.push_back({"Host", h});
  request.headers.push_back({"User-Agent", user_agent()});
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  request.body = form_encode(params);
  client_.exchange(request, response_);
  return response_;
}

}  // namespace nimbus::bench
