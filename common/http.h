// HTTP request/response values shared by every stage after the socket. The server (the only
// code that includes Beast) fills an HttpRequest and writes an HttpResponse; auth, codecs and
// services see only these types.
//
// Bodies: a request body is either buffered whole in HttpRequest::body, or streamed through a
// BodyReader (large S3 uploads). A response body is either HttpResponse::body or a BodySource
// that the server pulls from while writing (large S3 downloads).
//
// Thread-safety: plain values; a BodyReader/BodySource is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive ASCII comparison, as HTTP header names need.
bool iequals(std::string_view a, std::string_view b);
// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 5.6.3).
std::string_view trim_ows(std::string_view s);
// First header with that name (case-insensitive), or nullptr.
const std::string* find_header(const Headers& headers, std::string_view name);

// Pull interface for a request body being received. read() blocks until at least one byte is
// available or the body ended; returns 0 at the end. Throws ApiError (e.g. IncompleteBody) when
// the client stops sending early or the connection breaks.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual size_t read(char* buffer, size_t size) = 0;
  // The length the client announced (Content-Length), if any.
  virtual std::optional<uint64_t> announced_length() const = 0;
  // When the rest of the body is already in memory: hands it over without a copy (valid while
  // the reader lives) and consumes it, so read() then returns 0. Otherwise nullopt, and the
  // body is read with read().
  virtual std::optional<std::string_view> take_buffered() { return std::nullopt; }
};

// Reads a BodyReader to its end into a string; throws ApiError when more than max_bytes arrive.
std::string read_all(BodyReader& reader, size_t max_bytes);

// A BodyReader over bytes already in memory.
class StringBodyReader : public BodyReader {
 public:
  explicit StringBodyReader(std::string_view data) : data_(data) {}
  size_t read(char* buffer, size_t size) override;
  std::optional<uint64_t> announced_length() const override { return data_.size(); }
  std::optional<std::string_view> take_buffered() override;

 private:
  std::string_view data_;
  size_t offset_ = 0;
};

// Pull interface for a response body being sent: read() fills up to size bytes and returns how
// many, 0 at the end. The server calls it from its network thread, so it must not block long
// (reading a local file is fine).
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual size_t read(char* buffer, size_t size) = 0;
};

struct HttpRequest {
  std::string method;       // "GET", "PUT", ...
  std::string target;       // the request-target exactly as sent: path plus "?query"
  std::string path;         // the path part of target, still percent-encoded
  std::string query;        // the part after '?', still percent-encoded ("" when none)
  Headers headers;          // in arrival order, names as sent
  std::string body;         // the whole body when buffered (see body_buffered)
  bool body_buffered = true;  // false: the body is streamed through a BodyReader instead
  std::string remote_address;
  bool secure = false;      // arrived over TLS

  const std::string* header(std::string_view name) const { return find_header(headers, name); }
  std::string header_or(std::string_view name, std::string_view fallback = "") const {
    const std::string* v = header(name);
    return v ? *v : std::string(fallback);
  }
  // The Host header without a port, lower-cased.
  std::string host_name() const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is streamed from here instead of `body`; stream_length is sent as
  // Content-Length.
  std::unique_ptr<BodySource> stream;
  uint64_t stream_length = 0;
  // Ask the server to close the connection after this response.
  bool close_connection = false;

  // Replaces any header of that name.
  void set_header(std::string_view name, std::string_view value);
  void add_header(std::string_view name, std::string_view value) {
    headers.push_back({std::string(name), std::string(value)});
  }
  const std::string* header(std::string_view name) const { return find_header(headers, name); }
};

}  // namespace nimbus
