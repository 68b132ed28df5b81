// nimbus-bench's HTTP/1.1 client over a blocking loopback socket (see http_client.h).
#include "bench/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nimbus::bench {

namespace {
constexpr size_t kReadChunk = 256 * 1024;
constexpr size_t kDiscardChunk = 1024 * 1024;  // recv size when a body is counted, not kept

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}
}  // namespace

HttpClient::HttpClient(int port) : port_(port) {}

HttpClient::~HttpClient() { close_(); }

void HttpClient::close_() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  pos_ = 0;
  must_close_ = false;
}

void HttpClient::connect_() {
  close_();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, always
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close_();
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port_) + ": " +
                             std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool HttpClient::send_all(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
    bytes_sent_ += static_cast<uint64_t>(n);
  }
  return true;
}

bool HttpClient::fill() {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > kReadChunk) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  size_t old = buffer_.size();
  buffer_.resize(old + kReadChunk);
  ssize_t n;
  do {
    n = ::recv(fd_, buffer_.data() + old, kReadChunk, 0);
  } while (n < 0 && errno == EINTR);
  buffer_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
  if (n <= 0) return false;
  bytes_received_ += static_cast<uint64_t>(n);
  return true;
}

std::string HttpClient::read_line() {
  for (;;) {
    size_t eol = buffer_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buffer_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      return line;
    }
    if (!fill()) throw std::runtime_error("connection closed in the middle of a response");
  }
}

bool HttpClient::read_response(bool head, bool discard_body, ClientResponse& response) {
  response.headers.clear();
  response.body.clear();
  response.body_bytes = 0;
  if (pos_ == buffer_.size() && !fill()) return false;
  std::string status_line = read_line();
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0)
    throw std::runtime_error("malformed status line: " + status_line.substr(0, 80));
  response.status = std::atoi(status_line.c_str() + 9);
  bool http10 = status_line.compare(0, 8, "HTTP/1.0") == 0;
  long long content_length = -1;
  bool chunked = false;
  bool close = http10;
  for (;;) {
    std::string line = read_line();
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    std::string value = line.substr(v);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    std::string lname = lower(name);
    if (lname == "content-length") content_length = std::atoll(value.c_str());
    else if (lname == "transfer-encoding" && lower(value).find("chunked") != std::string::npos)
      chunked = true;
    else if (lname == "connection") {
      std::string lv = lower(value);
      if (lv.find("close") != std::string::npos) close = true;
      if (lv.find("keep-alive") != std::string::npos) close = false;
    }
    response.headers.push_back({std::move(name), std::move(value)});
  }
  must_close_ = close;
  const bool no_body = head || response.status == 204 || response.status == 304 ||
                       (response.status >= 100 && response.status < 200);
  if (no_body) return true;
  auto take = [&](size_t want) {
    size_t have = buffer_.size() - pos_;
    size_t n = want < have ? want : have;
    if (!discard_body) response.body.append(buffer_, pos_, n);
    response.body_bytes += n;
    pos_ += n;
    want -= n;
    if (want == 0) return;
    // Large bodies: receive straight into the body (or a scratch buffer when discarding).
    size_t at = response.body.size();
    if (discard_body) scratch_.resize(kDiscardChunk);
    else response.body.resize(at + want);
    while (want > 0) {
      char* into = discard_body ? scratch_.data() : response.body.data() + at;
      size_t room = discard_body ? std::min(want, scratch_.size()) : want;
      ssize_t r = ::recv(fd_, into, room, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw std::runtime_error("connection closed in the middle of a body");
      bytes_received_ += static_cast<uint64_t>(r);
      response.body_bytes += static_cast<uint64_t>(r);
      if (!discard_body) at += static_cast<size_t>(r);
      want -= static_cast<size_t>(r);
    }
  };
  if (chunked) {
    for (;;) {
      std::string size_line = read_line();
      size_t chunk = std::stoul(size_line, nullptr, 16);
      if (chunk == 0) {
        while (!read_line().empty()) {
        }  // trailers
        break;
      }
      take(chunk);
      read_line();  // the CRLF after the chunk
    }
  } else if (content_length >= 0) {
    if (!discard_body) response.body.reserve(static_cast<size_t>(content_length));
    take(static_cast<size_t>(content_length));
  } else {
    // Delimited by close.
    for (;;) {
      if (!discard_body) response.body.append(buffer_, pos_, std::string::npos);
      response.body_bytes += buffer_.size() - pos_;
      pos_ = buffer_.size();
      if (!fill()) break;
    }
    must_close_ = true;
  }
  return true;
}

bool HttpClient::send_repeated(const RepeatedBody& body) {
  if (body.block.empty()) return body.length == 0;
  for (uint64_t sent = 0; sent < body.length;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(body.block.size(), body.length - sent));
    if (!send_all(body.block.data(), n)) return false;
    sent += n;
  }
  return true;
}

void HttpClient::exchange(const HttpRequest& request, ClientResponse& response,
                          const RepeatedBody* upload, bool discard_body) {
  std::string head;
  head.reserve(512);
  head.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  bool has_length = false;
  for (const Header& h : request.headers) {
    head.append(h.name).append(": ").append(h.value).append("\r\n");
    if (iequals(h.name, "Content-Length")) has_length = true;
  }
  const uint64_t body_length = upload ? upload->length : request.body.size();
  if (!has_length && (body_length > 0 || request.method == "PUT" || request.method == "POST"))
    head.append("Content-Length: ").append(std::to_string(body_length)).append("\r\n");
  head.append("\r\n");
  const bool head_method = request.method == "HEAD";

  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (fd_ < 0) connect_();
    bool sent;
    if (upload) {
      sent = send_all(head.data(), head.size()) && send_repeated(*upload);
    } else if (request.body.empty()) {
      sent = send_all(head.data(), head.size());
    } else if (request.body.size() <= 16 * 1024) {
      std::string all = head + request.body;
      sent = send_all(all.data(), all.size());
    } else {
      sent = send_all(head.data(), head.size()) &&
             send_all(request.body.data(), request.body.size());
    }
    bool got;
    try {
      got = sent && read_response(head_method, discard_body, response);
    } catch (...) {
      close_();
      throw;
    }
    if (got) {
      if (must_close_) close_();
      return;
    }
    close_();
    if (!reused) throw std::runtime_error("the server closed the connection without answering");
  }
  throw std::runtime_error("the server closed the connection without answering");
}

}  // namespace nimbus::bench
