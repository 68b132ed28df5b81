// Dispatcher implementation: route → authenticate → decode → call → encode, long-poll
// deferrals, admin endpoints, and the access log.
#include "server/dispatcher.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <stdexcept>

#include "auth/aws_chunked.h"
#include "common/ids.h"
#include "common/log.h"
#include "protocol/codec.h"
#include "protocol/query_codec.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace nimbus {
namespace {

constexpr size_t kMaxBufferedBody = 16 * 1024 * 1024;  // DynamoDB's largest request is 16 MB
constexpr uint64_t kS3BufferThreshold = 1024 * 1024;   // smaller S3 bodies are read whole first

const ServiceModel* model_for(std::string_view service) {
  try {
    return &builtin_model(service);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Whether the operation's payload is a streamed blob the service reads itself (S3 PutObject).
bool streams_payload(const Operation& op) {
  if (!op.input || op.input->payload.empty()) return false;
  const Member* m = op.input->member(op.input->payload);
  return m && (m->streaming || (m->shape && m->shape->streaming));
}

// "us-east-1", "ap-southeast-2", "us-gov-west-1": letters and dashes, then a dash and digits.
// (boto 2 pointed at 127.0.0.1 signs for region "0", which is not one.) Runs per request, so no
// regex.
bool looks_like_region(std::string_view r) {
  auto dash = r.rfind('-');
  if (r.size() < 4 || dash == std::string_view::npos || dash + 1 == r.size()) return false;
  for (size_t i = 0; i < r.size(); ++i) {
    char c = r[i];
    bool ok = i > dash ? (c >= '0' && c <= '9') : ((c >= 'a' && c <= 'z') || c == '-');
    if (!ok) return false;
  }
  return r[0] != '-' && r.find('-') < dash;
}

std::string json_text(const std::function<void(rapidjson::Writer<rapidjson::StringBuffer>&)>& build) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  build(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("Content-Type", "application/json");
  return r;
}

}  // namespace

struct Dispatcher::Call {
  Call(HttpRequest& r, BodyReader* b, Respond done)
      : request(r), socket_body(b), respond(std::move(done)), request_id(uuid4()),
        started(std::chrono::steady_clock::now()) {}
  HttpRequest& request;
  BodyReader* socket_body;
  Respond respond;
  std::string request_id;
  std::chrono::steady_clock::time_point started;
  Route route;
  Service* service = nullptr;
  const Codec* codec = nullptr;
  const Operation* operation = nullptr;
  Value input;
  Account account;
  std::string region;
  std::unique_ptr<BodyReader> buffered_body;
  std::unique_ptr<AwsChunkedReader> chunked;
  std::unique_ptr<Sha256CheckingReader> sha_checked;
  BodyReader* body = nullptr;
  bool final_attempt = false;
};

Dispatcher::Dispatcher(const Authenticator& authenticator,
                       std::vector<std::unique_ptr<Service>> services, Database& db,
                       BlobStore& blobs, WaitHub& waits, const Clock& clock,
                       DispatcherSettings settings)
    : authenticator_(authenticator),
      router_(settings.s3_base_domain),
      db_(db),
      blobs_(blobs),
      waits_(waits),
      clock_(clock),
      settings_(std::move(settings)),
      started_ms_(clock.now_ms()) {
  if (!settings_.run_on_handler)
    throw std::logic_error("DispatcherSettings::run_on_handler is required");
  for (auto& s : services) {
    std::string name(s->name());
    services_[name] = std::move(s);
  }
}

Dispatcher::~Dispatcher() = default;

Service* Dispatcher::service(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : it->second.get();
}

std::string Dispatcher::region_of(const AuthResult& auth) const {
  return looks_like_region(auth.scope_region) ? auth.scope_region : settings_.default_region;
}

std::optional<HttpResponse> Dispatcher::on_headers(const HttpRequest& request, BodyPlan& plan) {
  Route route = router_.route(request, false);
  plan.buffer = true;
  plan.max_buffered = kMaxBufferedBody;
  if (route.admin || route.needs_body) return std::nullopt;
  // No body to refuse before reading (a GET, HEAD or DELETE): authenticate once, in run().
  const std::string* length = request.header("Content-Length");
  if (!request.header("Transfer-Encoding") && (!length || *length == "0")) return std::nullopt;
  bool expect_continue = iequals(request.header_or("Expect"), "100-continue");
  bool s3 = route.service == "s3";
  if (s3) {
    bool small = length && std::strtoull(length->c_str(), nullptr, 10) <= kS3BufferThreshold;
    plan.buffer = small;
    plan.max_buffered = kS3BufferThreshold;
  }
  // Refuse a bad signature before reading (or inviting, with 100-continue) a body.
  if (!expect_continue && !(s3 && !plan.buffer)) return std::nullopt;
  Service* svc = service(route.service);
  if (!svc) return std::nullopt;
  try {
    AuthOptions options;
    options.s3 = s3;
    options.body_available = false;
    options.virtual_host_bucket = route.bucket_from_host;
    authenticator_.authenticate(request, options);
  } catch (const AuthError& e) {
    HttpResponse r = error_response(route, svc->auth_error(e), request, uuid4());
    r.close_connection = true;
    return r;
  }
  return std::nullopt;
}

void Dispatcher::handle(HttpRequest& request, BodyReader* body, Respond respond) {
  auto call = std::make_shared<Call>(request, body, std::move(respond));
  run(call);
}

HttpResponse Dispatcher::error_response(const Route& route, const ApiError& error,
                                        const HttpRequest& request,
                                        const std::string& request_id) const {
  const ServiceModel* model = nullptr;
  if (Service* svc = service(route.service)) model = &svc->model();
  else model = model_for(route.service);
  if (!model || route.protocol.empty()) {
    HttpResponse r;
    r.status = error.http_status;
    r.body = error.code + ": " + error.message + "\n";
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    return r;
  }
  ResponseMeta meta;
  meta.request_id = request_id;
  meta.head_request = request.method == "HEAD";
  if (route.service == "sdb") meta.box_usage = "0.0000219907";
  if (route.protocol == "query" && wants_json_response(request))
    return encode_query_json_error(*model, error, meta);
  return codec_for(route.protocol).encode_error(*model, error, meta);
}

void Dispatcher::run(std::shared_ptr<Call> call) {
  HttpRequest& request = call->request;
  call->route = router_.route(request, request.body_buffered);
  const Route& route = call->route;
  if (route.admin) return finish(call, admin(request));

  call->service = service(route.service);
  if (!call->service) {
    return finish(call, error_response(route,
                                       ApiError(501, "NotImplemented",
                                                "nimbus does not implement the " + route.service +
                                                    " service yet."),
                                       request, call->request_id));
  }
  try {
    const ServiceModel& model = call->service->model();
    call->codec = &codec_for(route.protocol);
    bool s3 = route.service == "s3";
    AuthOptions options;
    options.s3 = s3;
    options.body_available = request.body_buffered;
    options.virtual_host_bucket = route.bucket_from_host;
    AuthResult auth = authenticator_.authenticate(request, options);
    if (auth.kind == SignatureKind::Anonymous && !call->service->allows_anonymous())
      throw call->service->auth_error(
          AuthError(AuthFailure::MissingAuthentication,
                    "Request is missing Authentication Token"));
    call->account = auth.account;
    call->region = region_of(auth);

    // The streamed payload, checked as it arrives.
    BodyReader* raw = call->socket_body;
    if (!raw && s3 && !request.body.empty()) {
      call->buffered_body = std::make_unique<StringBodyReader>(request.body);
      raw = call->buffered_body.get();
    }
    if (raw) {
      switch (auth.payload) {
        case PayloadMode::StreamingSigned:
        case PayloadMode::StreamingSignedTrailer:
        case PayloadMode::StreamingUnsignedTrailer: {
          std::optional<uint64_t> decoded_length;
          if (const std::string* d = request.header("X-Amz-Decoded-Content-Length"))
            decoded_length = std::strtoull(d->c_str(), nullptr, 10);
          call->chunked = std::make_unique<AwsChunkedReader>(*raw, auth, decoded_length);
          raw = call->chunked.get();
          break;
        }
        case PayloadMode::Sha256:
          call->sha_checked = std::make_unique<Sha256CheckingReader>(*raw, auth.expected_sha256_hex);
          raw = call->sha_checked.get();
          break;
        default:
          break;
      }
    }
    call->body = raw;

    DecodeHints hints;
    hints.bucket_from_host = route.bucket_from_host;
    DecodedRequest decoded = call->codec->decode(request, model, hints);
    if (call->socket_body && !streams_payload(*decoded.operation)) {
      // A streamed body that the codec must parse (an XML configuration sent without
      // Content-Length): read it whole, then decode again.
      request.body = read_all(*call->body, kMaxBufferedBody);
      request.body_buffered = true;
      call->body = nullptr;
      decoded = call->codec->decode(request, model, hints);
    }
    call->operation = decoded.operation;
    call->input = std::move(decoded.input);
  } catch (const AuthError& e) {
    return finish(call, error_response(route, call->service->auth_error(e), request,
                                       call->request_id));
  } catch (const ApiError& e) {
    return finish(call, error_response(route, e, request, call->request_id));
  } catch (const std::exception& e) {
    log::error("request " + call->request_id + ": " + e.what());
    return finish(call, error_response(route, errors::internal("We encountered an internal error. Please try again."),
                                       request, call->request_id));
  }

  attempt(call);
}

template <class Body>
void Dispatcher::guarded(const std::shared_ptr<Call>& call, Body&& body) {
  auto internal_error = [&](const std::string& why) {
    log::error("request " + call->request_id + " (" + call->operation->name + "): " + why);
    finish(call, error_response(call->route,
                                errors::internal("We encountered an internal error. Please try again."),
                                call->request, call->request_id));
  };
  try {
    body();
  } catch (const ApiError& e) {
    finish(call, error_response(call->route, e, call->request, call->request_id));
  } catch (const std::exception& e) {
    internal_error(e.what());
  } catch (...) {  // not a std::exception: still exactly one answer
    internal_error("unknown error");
  }
}

void Dispatcher::attempt(const std::shared_ptr<Call>& call) {
  guarded(call, [&] {
    CallContext ctx{call->request,     *call->operation, call->account,
                    call->region,      call->request_id, call->route.bucket_from_host,
                    call->body,        call->chunked ? &call->chunked->trailers() : nullptr,
                    call->final_attempt};
    Result result = call->service->call(ctx, call->input);
    if (result.defer && !call->final_attempt) {
      // Long poll: wait for a notify or the deadline without holding a thread, then try again.
      waits_.wait(result.defer->wait_key, result.defer->generation, result.defer->deadline_ms,
                  [this, call](bool timed_out) {
                    call->final_attempt = timed_out;
                    attempt(call);
                  });
      return;
    }
    if (result.write) return write_then_respond(call, std::move(*result.write));
    respond_with(call, result);
  });
}

void Dispatcher::write_then_respond(const std::shared_ptr<Call>& call, AsyncWrite write) {
  write.db->write_async(
      std::move(write.job),
      [this, call, then = std::move(write.then)](std::exception_ptr error) mutable {
        // On the writer thread: hand the rest to a handler thread.
        settings_.run_on_handler([this, call, then = std::move(then), error] {
          guarded(call, [&] {
            if (error) std::rethrow_exception(error);
            Result result;
            if (then) then(result);
            respond_with(call, result);
          });
        });
      });
}

void Dispatcher::respond_with(const std::shared_ptr<Call>& call, Result& result) {
  ResponseMeta meta;
  meta.request_id = call->request_id;
  meta.head_request = call->request.method == "HEAD";
  if (call->route.service == "sdb") meta.box_usage = "0.0000219907";
  HttpResponse response =
      call->route.protocol == "query" && wants_json_response(call->request)
          ? encode_query_json(call->service->model(), *call->operation, result.output, meta)
          : call->codec->encode(call->service->model(), *call->operation, result.output, meta);
  if (result.status) response.status = result.status;
  for (auto& h : result.headers) response.set_header(h.name, h.value);
  if (result.stream) {
    response.stream = std::move(result.stream);
    response.stream_length = result.stream_length;
  }
  finish(call, std::move(response));
}

void Dispatcher::finish(const std::shared_ptr<Call>& call, HttpResponse response) {
  if (log::enabled(log::Level::Info)) {
    auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             call->started);
    uint64_t bytes = response.stream ? response.stream_length : response.body.size();
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.2fms", elapsed.count());
    log::info((call->account.id.empty() ? std::string("-") : call->account.id) + " " +
              (call->route.admin ? std::string("admin") : call->route.service) + " " +
              (call->operation ? call->operation->name : std::string("-")) + " " +
              std::to_string(response.status) + " " + std::to_string(bytes) + "B " + ms + " " +
              call->request.method + " " + call->request.path);
  }
  Respond respond = std::move(call->respond);
  respond(std::move(response));
}

HttpResponse Dispatcher::admin(const HttpRequest& request) {
  if (request.path == "/_nimbus/health" && (request.method == "GET" || request.method == "HEAD")) {
    double uptime = static_cast<double>(clock_.now_ms() - started_ms_) / 1000.0;
    return json_response(200, json_text([&](auto& w) {
      w.StartObject();
      w.Key("status");
      w.String("ok");
      w.Key("version");
      w.String(NIMBUS_VERSION);
      w.Key("uptime_seconds");
      w.Double(uptime);
      w.Key("storage");
      w.String(settings_.ephemeral ? "memory" : "sqlite");
      if (!settings_.ephemeral) {
        w.Key("data_dir");
        w.String(settings_.data_dir.c_str());
      }
      w.Key("services");
      w.StartObject();
      for (const char* name : {"s3", "sqs", "sns", "sdb", "dynamodb", "dynamodbstreams"}) {
        w.Key(name);
        w.String(service(name) ? "running" : "not implemented");
      }
      w.EndObject();
      w.EndObject();
    }));
  }
  if (request.path == "/_nimbus/reset") {
    if (request.method != "POST")
      return json_response(405, R"({"error":"use POST /_nimbus/reset"})");
    if (!settings_.enable_reset)
      return json_response(403, R"({"error":"reset is disabled; start nimbus with --enable-reset (or NIMBUS_ENABLE_RESET=true) to allow it"})");
    db_.wipe();
    blobs_.wipe();
    for (auto& [name, svc] : services_) svc->reset();
    log::warn("all state was reset through /_nimbus/reset");
    return json_response(200, R"({"reset":true})");
  }
  // /_nimbus/<service>/...: the service's own admin endpoints.
  if (request.path.size() > 9) {
    std::string_view rest = std::string_view(request.path).substr(9);
    if (auto slash = rest.find('/'); slash != std::string_view::npos)
      if (Service* svc = service(rest.substr(0, slash)))
        if (std::optional<HttpResponse> r = svc->admin(request)) return std::move(*r);
  }
  return json_response(404, R"({"error":"no such admin endpoint; see /_nimbus/health and /_nimbus/reset"})");
}

}  // namespace nimbus
