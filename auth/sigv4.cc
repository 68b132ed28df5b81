// AWS Signature Version 4: parsing of the Authorization header and credential scope, the
// canonical request (path, query, headers), string to sign, signing key (with a per-thread
// cache) and signature, plus sign_request/presign_request for tests and the load generator.
// The Authenticator (auth/authenticator.cc) builds verification on these.
#include "auth/sigv4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"

namespace nimbus::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

constexpr std::array<bool, 256> make_unreserved() {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['-'] = t['_'] = t['.'] = t['~'] = true;
  return t;
}
constexpr std::array<bool, 256> kUnreserved = make_unreserved();

// botocore's remove_dot_segments: drops empty and '.' segments, '..' pops one, keeps a leading
// slash and (when anything remains) a trailing one.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(pos, slash - pos);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
      } else {
        out.push_back(seg);
      }
    }
    pos = slash + 1;
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) result.push_back('/');
    result.append(out[i]);
  }
  if (path.back() == '/' && !out.empty()) result.push_back('/');
  return result;
}

void append_hex_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

}  // namespace

std::optional<Credential> parse_credential(std::string_view text) {
  Credential c;
  std::string* parts[] = {&c.access_key, &c.date, &c.region, &c.service, &c.terminator};
  size_t pos = 0;
  for (size_t i = 0; i < 5; ++i) {
    size_t slash = i < 4 ? text.find('/', pos) : text.size();
    if (slash == std::string_view::npos || slash == pos) return std::nullopt;
    parts[i]->assign(text.substr(pos, slash - pos));
    pos = slash + 1;
  }
  if (c.terminator.find('/') != std::string::npos) return std::nullopt;
  return c;
}

std::optional<AuthorizationHeader> parse_authorization(std::string_view value) {
  size_t i = 0;
  while (i < value.size() && is_space(value[i])) ++i;
  if (value.substr(i, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  i += kAlgorithm.size();
  if (i < value.size() && !is_space(value[i]) && value[i] != ',') return std::nullopt;
  AuthorizationHeader out;
  bool have_credential = false, have_headers = false, have_signature = false;
  while (i < value.size()) {
    while (i < value.size() && (is_space(value[i]) || value[i] == ',')) ++i;
    size_t start = i;
    while (i < value.size() && !is_space(value[i]) && value[i] != ',') ++i;
    std::string_view token = value.substr(start, i - start);
    if (token.empty()) break;
    size_t eq = token.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = token.substr(0, eq), v = token.substr(eq + 1);
    if (key == "Credential") {
      auto c = parse_credential(v);
      if (!c) return std::nullopt;
      out.credential = std::move(*c);
      have_credential = true;
    } else if (key == "SignedHeaders") {
      size_t p = 0;
      while (p <= v.size()) {
        size_t semi = v.find(';', p);
        if (semi == std::string_view::npos) semi = v.size();
        if (semi > p) out.signed_headers.push_back(lower(v.substr(p, semi - p)));
        p = semi + 1;
      }
      have_headers = !out.signed_headers.empty();
    } else if (key == "Signature") {
      out.signature.assign(v);
      have_signature = !v.empty();
    }
    // Unknown parts are ignored, as AWS does.
  }
  if (!have_credential || !have_headers || !have_signature) return std::nullopt;
  return out;
}

std::string canonical_path(std::string_view raw_path, bool normalize) {
  if (normalize) return uri_encode(remove_dot_segments(raw_path), /*encode_slash=*/false);
  if (raw_path.empty()) return "/";
  std::string out;
  out.reserve(raw_path.size() + 8);
  for (size_t i = 0; i < raw_path.size(); ++i) {
    auto c = static_cast<unsigned char>(raw_path[i]);
    if (kUnreserved[c] || c == '/') {
      out.push_back(static_cast<char>(c));
    } else if (c == '%' && i + 2 < raw_path.size() && is_hex(raw_path[i + 1]) &&
               is_hex(raw_path[i + 2])) {
      out.append(raw_path.substr(i, 3));
      i += 2;
    } else {
      append_hex_escape(out, c);
    }
  }
  return out;
}

std::string canonical_query(std::string_view raw_query) {
  if (raw_query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view part = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = uri_decode(part.substr(0, eq));
    if (key == "X-Amz-Signature") continue;
    std::string value = eq == std::string_view::npos ? "" : uri_decode(part.substr(eq + 1));
    pairs.emplace_back(uri_encode(key), uri_encode(value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(k).push_back('=');
    out.append(v);
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::string canonical_request(const HttpRequest& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, bool normalize_path) {
  std::string out;
  out.reserve(256 + request.path.size() + request.query.size());
  out.append(request.method).push_back('\n');
  out.append(canonical_path(request.path, normalize_path)).push_back('\n');
  out.append(canonical_query(request.query)).push_back('\n');
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (const Header& h : request.headers) {
      if (!iequals(h.name, name)) continue;
      if (!first) out.push_back(',');
      out.append(canonical_header_value(h.value));
      first = false;
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 68);
  out.append(kAlgorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(sha256_hex(canonical_request));
  return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature_hex(std::string_view signing_key, std::string_view string_to_sign) {
  return hex_encode(hmac_sha256(signing_key, string_to_sign));
}

std::string cached_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service) {
  // Per-thread, so lookups never contend; a handful of keys per day in practice. Cleared when
  // it grows past kMax (dates roll over, scopes from odd clients).
  constexpr size_t kMax = 256;
  thread_local std::unordered_map<std::string, std::string> cache;
  std::string id;
  id.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  id.append(secret).push_back('\0');
  id.append(date).push_back('\0');
  id.append(region).push_back('\0');
  id.append(service);
  if (auto it = cache.find(id); it != cache.end()) return it->second;
  if (cache.size() >= kMax) cache.clear();
  std::string key = signing_key(secret, date, region, service);
  cache.emplace(std::move(id), key);
  return key;
}

namespace {

// Lower-case, sorted, unique names of every header present except Authorization.
std::vector<std::string> all_header_names(const HttpRequest& request) {
  std::vector<std::string> names;
  names.reserve(request.headers.size());
  for (const Header& h : request.headers) {
    std::string n = lower(h.name);
    if (n != "authorization") names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(';');
    out.append(names[i]);
  }
  return out;
}

void remove_header(HttpRequest& request, std::string_view name) {
  auto& h = request.headers;
  h.erase(
      std::remove_if(h.begin(), h.end(), [&](const Header& x) { return iequals(x.name, name); }),
      h.end());
}

std::string amz_date_or_now(const SignOptions& options) {
  return options.amz_date.empty() ? format_amz_date(SystemClock().now_ms()) : options.amz_date;
}

}  // namespace

void sign_request(HttpRequest& request, const SignOptions& options) {
  const std::string amz_date = amz_date_or_now(options);
  const std::string payload =
      options.payload_hash.empty() ? sha256_hex(request.body) : options.payload_hash;
  remove_header(request, "Authorization");
  remove_header(request, "X-Amz-Date");
  request.headers.push_back({"X-Amz-Date", amz_date});
  if (options.add_content_sha256_header) {
    remove_header(request, "X-Amz-Content-SHA256");
    request.headers.push_back({"X-Amz-Content-SHA256", payload});
  }
  if (!options.session_token.empty()) {
    remove_header(request, "X-Amz-Security-Token");
    request.headers.push_back({"X-Amz-Security-Token", options.session_token});
  }
  const std::vector<std::string> names = all_header_names(request);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + options.region + "/" + options.service + "/aws4_request";
  const std::string creq = canonical_request(request, names, payload, options.normalize_path);
  const std::string key =
      cached_signing_key(options.secret_key, date, options.region, options.service);
  const std::string sig = signature_hex(key, string_to_sign(amz_date, scope, creq));
  request.headers.push_back(
      {"Authorization", std::string(kAlgorithm) + " Credential=" + options.access_key + "/" +
                            scope + ", SignedHeaders=" + join_names(names) + ", Signature=" + sig});
}

void presign_request(HttpRequest& request, const SignOptions& options, int expires_seconds) {
  const std::string amz_date = amz_date_or_now(options);
  std::string payload = options.payload_hash;
  if (payload.empty())
    payload = options.service == "s3" ? "UNSIGNED-PAYLOAD" : sha256_hex(request.body);
  remove_header(request, "Authorization");
  const std::vector<std::string> names = all_header_names(request);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + options.region + "/" + options.service + "/aws4_request";

  std::string query = request.query;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!query.empty()) query.push_back('&');
    query.append(k).push_back('=');
    query.append(uri_encode(v));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", options.access_key + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-SignedHeaders", join_names(names));
  add("X-Amz-Expires", std::to_string(expires_seconds));
  if (!options.session_token.empty()) add("X-Amz-Security-Token", options.session_token);
  request.query = query;

  const std::string creq = canonical_request(request, names, payload, options.normalize_path);
  const std::string key =
      cached_signing_key(options.secret_key, date, options.region, options.service);
  add("X-Amz-Signature", signature_hex(key, string_to_sign(amz_date, scope, creq)));
  request.query = std::move(query);
  request.target = request.path + "?" + request.query;
}

}  // namespace nimbus::sigv4
