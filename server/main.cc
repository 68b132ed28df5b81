// nimbus: the server binary. Parses the command line, opens storage, builds the services, starts
// the HTTP(S) listeners, and on SIGINT/SIGTERM finishes in-flight requests and closes the database
// cleanly. `nimbus --help` lists every option.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "auth/authenticator.h"
#include "auth/credentials.h"
#include "common/log.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/http_server.h"
#include "server/runtime.h"
#include "server/tls.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace {

// Used when no credentials file is given and conf/credentials does not exist: the same pairs as
// the shipped conf/credentials (documented development keys, not secrets).
constexpr const char* kBuiltinCredentials =
    "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY 000000000000 nimbus-dev\n"
    "test test 000000000000 nimbus-dev\n"
    "AKIAI44QH8DHBEXAMPLE je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY 111111111111 nimbus-second\n";

// Lets the process hold many idle connections: raise the open-file limit to its hard maximum.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int serve(const nimbus::Config& config) {
  using namespace nimbus;
  log::Level level;
  log::parse_level(config.log_level, level);
  log::set_level(level);
  raise_open_file_limit();
  auto started = std::chrono::steady_clock::now();

  // SIGINT/SIGTERM are taken by sigwait() in the main thread; block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Credentials credentials;
  if (!config.credentials_file.empty()) {
    credentials = Credentials::load_file(config.credentials_file);
  } else if (std::filesystem::exists("conf/credentials")) {
    credentials = Credentials::load_file("conf/credentials");
  } else {
    credentials = Credentials::parse(kBuiltinCredentials, "built-in development credentials");
  }

  std::string blob_dir;
  std::filesystem::path ephemeral_dir;
  DatabaseOptions db_options;
  db_options.durability = config.durability;
  db_options.ephemeral = config.ephemeral;
  if (config.ephemeral) {
    char pattern[] = "/tmp/nimbus-ephemeral-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("cannot create a temporary directory");
    ephemeral_dir = pattern;
    blob_dir = (ephemeral_dir / "blobs").string();
  } else {
    std::filesystem::create_directories(config.data_dir);
    db_options.path = (std::filesystem::path(config.data_dir) / "nimbus.db").string();
    blob_dir = (std::filesystem::path(config.data_dir) / "blobs").string();
  }

  HttpServerOptions http;
  http.host = config.host;
  http.port = config.port;
  http.tls_port = config.tls_port;
  http.idle_timeout_seconds = config.idle_timeout_seconds;
  if (config.tls_port != 0) {
    TlsMaterial tls;
    if (!config.tls_cert.empty()) tls = load_certificate(config.tls_cert, config.tls_key);
    else if (config.ephemeral) tls = generate_self_signed_certificate();
    else tls = load_or_create_certificate((std::filesystem::path(config.data_dir) / "tls").string());
    http.tls_cert_pem = tls.cert_pem;
    http.tls_key_pem = tls.key_pem;
  }

  SystemClock clock;
  auto db = std::make_unique<Database>(db_options);
  auto blobs = std::make_unique<BlobStore>(blob_dir, config.durability == Durability::Full);
  auto runtime = std::make_unique<Runtime>(config.threads, config.handler_threads);
  ServiceEnv env{*db, *blobs, clock, runtime->scheduler(), runtime->waits(), config.services};
  Authenticator authenticator(credentials, clock, config.auth, config.default_account);
  DispatcherSettings settings;
  settings.enable_reset = config.enable_reset;
  settings.default_region = config.services.default_region;
  settings.s3_base_domain = config.services.s3_base_domain;
  settings.ephemeral = config.ephemeral;
  settings.data_dir = config.data_dir;
  settings.run_on_handler = [rt = runtime.get()](std::function<void()> task) {
    rt->post(std::move(task));
  };
  auto dispatcher = std::make_unique<Dispatcher>(authenticator, make_services(env), *db, *blobs,
                                                 runtime->waits(), clock, settings);
  auto server = std::make_unique<HttpServer>(*runtime, *dispatcher, http);
  server->listen();
  runtime->start();

  auto ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::string where = config.ephemeral ? std::string("in memory (--ephemeral)")
                                       : "in " + config.data_dir;
  char ready[64];
  std::snprintf(ready, sizeof ready, "%.1f", ready_ms);
  log::info(std::string("nimbus ") + NIMBUS_VERSION + " listening on http://" + config.host + ":" +
            std::to_string(server->port()) +
            (server->tls_port() ? " and https://" + config.host + ":" + std::to_string(server->tls_port()) : "") +
            ", state " + where + ", auth " + (config.auth ? "verify" : "OFF") + ", ready in " +
            ready + " ms");
  if (!config.auth) log::warn("--auth off: signatures are not checked");

  int received = 0;
  sigwait(&signals, &received);
  log::info(std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") +
            ", finishing in-flight requests");
  server->shutdown(std::chrono::seconds(5));
  // Queued asynchronous writes finish their requests through the handler pool: let them, then
  // stop the threads, then drain again for any queued meanwhile (their requests go unanswered;
  // the jobs use the services and the dispatcher, so they must run before those go).
  db->drain();
  runtime->join();
  db->drain();
  server.reset();
  dispatcher.reset();
  runtime.reset();
  blobs.reset();
  db.reset();
  if (!ephemeral_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(ephemeral_dir, ignored);
  }
  log::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  nimbus::Command command;
  try {
    command = nimbus::parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nimbus: " << e.what() << "\n";
    return 2;
  }
  if (command.kind == nimbus::Command::Kind::Help) {
    std::cout << command.help_text;
    return 0;
  }
  if (command.kind == nimbus::Command::Kind::Version) {
    std::cout << "nimbus " << NIMBUS_VERSION << "\n";
    return 0;
  }
  try {
    return serve(command.config);
  } catch (const std::exception& e) {
    std::cerr << "nimbus: " << e.what() << "\n";
    return 1;
  }
}
