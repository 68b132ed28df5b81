// Header lookup, body draining and response header helpers for the shared HTTP values.
#include "common/http.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/error.h"

namespace nimbus {

namespace {
// ASCII only (header names are tokens), so no locale lookup per byte as std::tolower does.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

const std::string* find_header(const Headers& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h.value;
  return nullptr;
}

std::string read_all(BodyReader& reader, size_t max_bytes) {
  std::string out;
  if (auto n = reader.announced_length(); n && *n <= max_bytes) out.reserve(*n);
  char buffer[64 * 1024];
  for (;;) {
    size_t n = reader.read(buffer, sizeof buffer);
    if (n == 0) break;
    if (out.size() + n > max_bytes)
      throw ApiError(413, "RequestEntityTooLarge",
                     "The request body is larger than the " + std::to_string(max_bytes) +
                         " bytes this operation accepts.");
    out.append(buffer, n);
  }
  return out;
}

size_t StringBodyReader::read(char* buffer, size_t size) {
  size_t n = std::min(size, data_.size() - offset_);
  std::memcpy(buffer, data_.data() + offset_, n);
  offset_ += n;
  return n;
}

std::optional<std::string_view> StringBodyReader::take_buffered() {
  std::string_view rest = data_.substr(offset_);
  offset_ = data_.size();
  return rest;
}

std::string HttpRequest::host_name() const {
  std::string host = header_or("Host");
  // Bracketed IPv6 literal: keep the brackets' content, drop the port.
  if (!host.empty() && host[0] == '[') {
    auto end = host.find(']');
    host = end == std::string::npos ? host : host.substr(0, end + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return host;
}

void HttpResponse::set_header(std::string_view name, std::string_view value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const Header& h) { return iequals(h.name, name); }),
                headers.end());
  add_header(name, value);
}

}  // namespace nimbus
