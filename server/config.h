// Config: every setting of `nimbus serve`, read from the command line, then NIMBUS_* environment
// variables, then the config file (conf/nimbus.conf format: `key = value` lines), in that order
// of precedence. parse_command_line() turns argv into a Config or a one-line error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/service.h"
#include "storage/database.h"

namespace nimbus {

struct Config {
  std::string host = "127.0.0.1";
  int port = 4566;
  int tls_port = 4567;          // 0 disables HTTPS
  std::string tls_cert;         // PEM files; empty: a self-signed pair is generated
  std::string tls_key;
  std::string data_dir = "./data";
  bool ephemeral = false;
  std::string config_file;      // empty: conf/nimbus.conf when it exists
  std::string credentials_file; // empty: conf/credentials when it exists, else built-in defaults
  bool auth = true;             // --auth verify|off
  std::string default_account = "000000000000";
  int threads = 0;              // network threads; 0: one per core
  int handler_threads = 0;      // request handler threads; 0: 16 per network thread
  std::string log_level = "info";
  Durability durability = Durability::Normal;
  bool enable_reset = false;
  int idle_timeout_seconds = 60;
  ServiceSettings services;
};

// What the command line asked for.
struct Command {
  enum class Kind { Serve, Help, Version } kind = Kind::Serve;
  Config config;
  std::string help_text;
};

// Throws std::runtime_error with a one-line message for bad options, unknown commands, a
// missing explicit config file, or invalid values.
Command parse_command_line(int argc, char** argv);

}  // namespace nimbus
