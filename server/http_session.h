// The HTTP/1.1 connection state machine, as a template over the stream type (plain TCP or TLS):
// reads headers, asks the RequestHandler for the body plan, buffers or streams the body, runs
// the handler on a handler thread, writes (and streams) the response, keeps the connection alive.
// Included only by http_session_plain.cc and http_session_tls.cc.
#pragma once

#include <array>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>

#include "common/error.h"
#include "common/log.h"
#include "common/threads.h"
#include "common/time.h"
#include "server/http_internal.h"

namespace nimbus::http_internal {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t kResponseChunk = 256 * 1024;
constexpr size_t kBufferedReadChunk = 64 * 1024;
// Beast reads the socket into buffer_ in pieces of at most its free capacity (and at most
// 64 KiB), so a large body needs a roomy buffer_ or it arrives a few hundred bytes per syscall.
constexpr size_t kBodyReadBuffer = 64 * 1024;
// Beyond this, buffer_ is shrunk after a request so idle connections stay small.
constexpr size_t kIdleBufferLimit = 16 * 1024;
// What buffer_ holds between requests: Beast reads at most the free capacity (at least 512
// bytes), so with this much room a typical request (headers and a small body) comes in one
// recv() instead of one per 512 bytes.
constexpr size_t kRequestReadBuffer = 8 * 1024;

inline bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::operation_aborted ||
         ec == beast::error::timeout || ec == net::ssl::error::stream_truncated ||
         ec == net::error::broken_pipe;
}

inline HttpResponse plain_error(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = message + "\n";
  r.set_header("Content-Type", "text/plain; charset=utf-8");
  r.close_connection = true;
  return r;
}

// The Date header's value, formatted once per second per network thread.
inline const std::string& http_date_now() {
  thread_local EpochMillis second = -1;
  thread_local std::string text;
  EpochMillis now = SystemClock().now_ms() / 1000;
  if (now != second) {
    second = now;
    text = format_http_date(now * 1000);
  }
  return text;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<Shared> shared, tcp::socket&& socket)
      : shared_(std::move(shared)), stream_(make_stream(std::move(socket), *shared_)) {}

  void start() {
    boost::system::error_code ec;
    auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(timeout());
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->close();
                                self->read_header();
                              });
    } else {
      read_header();
    }
  }

  // Called from a handler thread through SocketBodyReader: reads up to size body bytes.
  std::pair<beast::error_code, size_t> read_body_blocking(char* buffer, size_t size) {
    std::promise<std::pair<beast::error_code, size_t>> promise;
    auto future = promise.get_future();
    net::post(stream_.get_executor(), [this, buffer, size, &promise] {
      if (parser_->is_done()) return promise.set_value({{}, 0});
      parser_->get().body().data = buffer;
      parser_->get().body().size = size;
      parser_->get().body().more = true;
      beast::get_lowest_layer(stream_).expires_after(timeout());
      http::async_read(stream_, buffer_, *parser_,
                       [this, size, &promise](beast::error_code ec, size_t) {
                         if (ec == http::error::need_buffer) ec = {};
                         size_t got = size - parser_->get().body().size;
                         promise.set_value({ec, got});
                       });
    });
    BlockingScope waiting;  // lets the handler pool run another task meanwhile
    return future.get();
  }

 private:
  class SocketBodyReader : public BodyReader {
   public:
    SocketBodyReader(Session& session, std::optional<uint64_t> length)
        : session_(session), length_(length) {}
    size_t read(char* buffer, size_t size) override {
      if (done_ || size == 0) return 0;
      auto [ec, got] = session_.read_body_blocking(buffer, size);
      if (ec == beast::error::timeout)
        throw ApiError(400, "RequestTimeout",
                       "Your socket connection to the server was not read from or written to "
                       "within the timeout period. Idle connections will be closed.");
      if (ec)
        throw errors::incomplete_body("The request body ended before the announced length (" +
                                      ec.message() + ").");
      if (got == 0) done_ = true;
      return got;
    }
    std::optional<uint64_t> announced_length() const override { return length_; }

   private:
    Session& session_;
    std::optional<uint64_t> length_;
    bool done_ = false;
  };

  static Stream make_stream(tcp::socket&& socket, Shared& shared) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *shared.ssl);
    } else {
      return Stream(std::move(socket));
    }
  }

  std::chrono::seconds timeout() const {
    return std::chrono::seconds(shared_->options.idle_timeout_seconds);
  }

  void read_header() {
    if (shared_->stopping) return close();
    if (buffer_.capacity() < kRequestReadBuffer) buffer_.reserve(kRequestReadBuffer);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.header_limit));
    parser_->body_limit(boost::none);
    beast::get_lowest_layer(stream_).expires_after(timeout());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec && is_disconnect(ec)) return close();
    if (ec) {
      begin_request();
      keep_alive_ = false;
      return write_response(plain_error(ec == http::error::header_limit ? 431 : 400,
                                        "Bad request: " + ec.message()));
    }
    auto& message = parser_->get();
    request_ = std::make_unique<HttpRequest>();
    request_->method = std::string(message.method_string());
    request_->target = std::string(message.target());
    auto q = request_->target.find('?');
    request_->path = request_->target.substr(0, q);
    request_->query = q == std::string::npos ? "" : request_->target.substr(q + 1);
    request_->headers.reserve(16);
    for (const auto& field : message)
      request_->headers.push_back({std::string(field.name_string()), std::string(field.value())});
    request_->remote_address = remote_;
    request_->secure = kTls;
    keep_alive_ = message.keep_alive();
    begin_request();

    RequestHandler::BodyPlan plan;
    std::optional<HttpResponse> early;
    try {
      early = shared_->handler.on_headers(*request_, plan);
    } catch (const std::exception& e) {
      log::error(std::string("on_headers: ") + e.what());
      early = plain_error(500, "Internal error");
    }
    if (early) {
      if (!parser_->is_done()) early->close_connection = true;
      return write_response(std::move(*early));
    }
    bool expect_continue = iequals(message[http::field::expect], "100-continue");
    if (expect_continue && !parser_->is_done()) {
      auto continue_response = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, 11);
      http::async_write(stream_, *continue_response,
                        [self = this->shared_from_this(), continue_response, plan](
                            beast::error_code ec, size_t) {
                          if (ec) return self->abandon();
                          self->continue_body(plan);
                        });
      return;
    }
    continue_body(plan);
  }

  void continue_body(const RequestHandler::BodyPlan& plan) {
    if (parser_->is_done()) return dispatch(nullptr);
    {
      auto remaining = parser_->content_length_remaining();
      if (!remaining || *remaining > kIdleBufferLimit)
        buffer_.reserve(std::max(buffer_.size() + kBodyReadBuffer, buffer_.capacity()));
    }
    if (plan.buffer) {
      max_buffered_ = plan.max_buffered;
      if (auto length = parser_->content_length()) {
        if (*length > max_buffered_) return too_large();
        request_->body.reserve(static_cast<size_t>(*length));
      }
      return read_buffered_body();
    }
    request_->body_buffered = false;
    std::optional<uint64_t> length;
    if (auto l = parser_->content_length()) length = *l;
    body_reader_ = std::make_unique<SocketBodyReader>(*this, length);
    dispatch(body_reader_.get());
  }

  void read_buffered_body() {
    size_t old = request_->body.size();
    size_t chunk = kBufferedReadChunk;
    if (auto length = parser_->content_length_remaining(); length && *length > 0)
      chunk = static_cast<size_t>(std::min<uint64_t>(*length, 1 << 20));
    request_->body.resize(old + chunk);
    auto& body = parser_->get().body();
    body.data = request_->body.data() + old;
    body.size = chunk;
    body.more = true;
    beast::get_lowest_layer(stream_).expires_after(timeout());
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this(), old, chunk](beast::error_code ec, size_t) {
                       if (ec == http::error::need_buffer) ec = {};
                       size_t got = chunk - self->parser_->get().body().size;
                       self->request_->body.resize(old + got);
                       if (ec && is_disconnect(ec)) return self->abandon();
                       if (ec) {
                         self->keep_alive_ = false;
                         return self->write_response(plain_error(400, "Bad request: " + ec.message()));
                       }
                       if (self->request_->body.size() > self->max_buffered_) return self->too_large();
                       if (self->parser_->is_done()) return self->dispatch(nullptr);
                       self->read_buffered_body();
                     });
  }

  void too_large() {
    keep_alive_ = false;
    write_response(plain_error(413, "Request body too large: at most " +
                                        std::to_string(max_buffered_) + " bytes are accepted here."));
  }

  void dispatch(BodyReader* body) {
    auto self = this->shared_from_this();
    shared_->runtime.post([self, body] {
      auto respond = [self](HttpResponse response) {
        auto holder = std::make_shared<HttpResponse>(std::move(response));
        net::post(self->stream_.get_executor(),
                  [self, holder] { self->write_response(std::move(*holder)); });
      };
      try {
        self->shared_->handler.handle(*self->request_, body, respond);
      } catch (const std::exception& e) {
        log::error(std::string("handler: ") + e.what());
        respond(plain_error(500, "Internal error"));
      }
    });
  }

  void begin_request() {
    ++shared_->in_flight;
    in_request_ = true;
  }

  void end_request() {
    if (!in_request_) return;
    in_request_ = false;
    --shared_->in_flight;
  }

  void write_response(HttpResponse response) {
    current_ = std::move(response);
    bool head = request_ && request_->method == "HEAD";
    bool keep = keep_alive_ && !current_.close_connection && !shared_->stopping &&
                parser_ && parser_->is_done();
    if (!current_.stream && !needs_field_merging(current_.headers))
      return write_buffered_response(head, keep);
    res_.emplace();
    res_->version(11);
    res_->result(static_cast<unsigned>(current_.status));
    for (const auto& h : current_.headers) res_->insert(h.name, h.value);
    res_->set(http::field::server, "nimbus");
    res_->set(http::field::date, http_date_now());
    res_->keep_alive(keep);
    keep_alive_ = keep;
    bool no_body_status = current_.status == 204 || current_.status == 304 || current_.status < 200;
    if (!no_body_status && !(head && current_.header("Content-Length")))
      res_->content_length(current_.stream ? current_.stream_length : current_.body.size());
    auto& body = res_->body();
    if (head || no_body_status || (!current_.stream && current_.body.empty())) {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
      serializer_.emplace(*res_);
      if (head) {
        http::async_write_header(stream_, *serializer_,
                                 [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                   self->after_write(ec);
                                 });
        return;
      }
    } else if (!current_.stream) {
      body.data = current_.body.data();
      body.size = current_.body.size();
      body.more = false;
      serializer_.emplace(*res_);
    } else {
      remaining_ = current_.stream_length;
      chunk_.resize(kResponseChunk);
      serializer_.emplace(*res_);
      return write_stream_chunk();
    }
    beast::get_lowest_layer(stream_).expires_after(timeout());
    http::async_write(stream_, *serializer_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->after_write(ec);
                      });
  }

  // Header fields whose Beast handling (merging Connection tokens, replacing Server/Date,
  // chunking for Transfer-Encoding) write_buffered_response() does not reproduce.
  static bool needs_field_merging(const Headers& headers) {
    for (const auto& h : headers)
      if (iequals(h.name, "Connection") || iequals(h.name, "Server") || iequals(h.name, "Date") ||
          iequals(h.name, "Transfer-Encoding"))
        return true;
    return false;
  }

  // A response whose body is in memory: formats the header block itself, byte for byte as
  // Beast's serializer would (status line with Beast's reason phrase, the service's fields in
  // order with values trimmed of spaces and tabs, then Server, Date, Connection: close,
  // Content-Length), and writes header and body in one gathered write, without building a
  // Beast message (one allocation per field) or walking its serializer.
  void write_buffered_response(bool head, bool keep) {
    keep_alive_ = keep;
    const int status = current_.status;
    bool no_body_status = status == 204 || status == 304 || status < 200;
    bool service_length = current_.header("Content-Length") != nullptr;
    bool set_length = !no_body_status && !(head && service_length);
    std::string& out = header_text_;
    out.clear();
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
    out.append(reason.data(), reason.size());
    out += "\r\n";
    for (const auto& h : current_.headers) {
      if (set_length && iequals(h.name, "Content-Length")) continue;  // replaced below
      std::string_view value = trim_ows(h.value);
      out += h.name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    out += "Server: nimbus\r\nDate: ";
    out += http_date_now();
    out += "\r\n";
    if (!keep) out += "Connection: close\r\n";
    if (set_length) {
      out += "Content-Length: ";
      out += std::to_string(current_.body.size());
      out += "\r\n";
    }
    out += "\r\n";
    std::array<net::const_buffer, 2> buffers{net::buffer(out), net::const_buffer()};
    if (!head && !no_body_status) buffers[1] = net::buffer(current_.body);
    beast::get_lowest_layer(stream_).expires_after(timeout());
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->after_write(ec);
                     });
  }

  void write_stream_chunk() {
    size_t n = 0;
    try {
      if (remaining_ > 0)
        n = current_.stream->read(chunk_.data(), std::min<uint64_t>(chunk_.size(), remaining_));
    } catch (const std::exception& e) {
      log::error(std::string("response body: ") + e.what());
      return abandon();
    }
    if (n == 0 && remaining_ > 0) {
      log::error("response body ended " + std::to_string(remaining_) + " bytes early");
      return abandon();
    }
    remaining_ -= n;
    auto& body = res_->body();
    body.data = n ? chunk_.data() : nullptr;
    body.size = n;
    body.more = remaining_ > 0;
    beast::get_lowest_layer(stream_).expires_after(timeout());
    http::async_write(stream_, *serializer_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec == http::error::need_buffer) ec = {};
                        if (ec) return self->abandon();
                        if (self->serializer_->is_done()) return self->after_write(ec);
                        self->write_stream_chunk();
                      });
  }

  void after_write(beast::error_code ec) {
    current_ = HttpResponse();
    body_reader_.reset();
    end_request();
    if (ec || !keep_alive_) return close();
    if (buffer_.capacity() > kIdleBufferLimit) buffer_.shrink_to_fit();
    read_header();
  }

  // The connection cannot go on (client gone, or a response could not be completed).
  void abandon() {
    keep_alive_ = false;
    end_request();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  void close() {
    end_request();
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.close();
    }
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::string remote_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::unique_ptr<HttpRequest> request_;
  std::unique_ptr<SocketBodyReader> body_reader_;
  size_t max_buffered_ = 0;
  bool keep_alive_ = true;
  bool in_request_ = false;
  HttpResponse current_;
  std::string header_text_;  // write_buffered_response()'s header block, reused
  std::optional<http::response<http::buffer_body>> res_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;
  std::vector<char> chunk_;
  uint64_t remaining_ = 0;
};

}  // namespace nimbus::http_internal
