// Command-line, environment and config-file parsing for `nimbus serve` (Boost.ProgramOptions).
// Every option `--some-name` is also read from NIMBUS_SOME_NAME and from `some-name = value` in
// the config file.
#include "server/config.h"

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/log.h"
#include "common/threads.h"

namespace po = boost::program_options;

namespace nimbus {
namespace {

po::options_description make_options(Config& c, std::string& auth, std::string& durability) {
  po::options_description d("Options for `nimbus serve` (each also NIMBUS_<NAME> in the environment)");
  d.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("host", po::value(&c.host)->default_value(c.host), "address to listen on")
    ("port", po::value(&c.port)->default_value(c.port), "HTTP port")
    ("tls-port", po::value(&c.tls_port)->default_value(c.tls_port), "HTTPS port (0 disables HTTPS)")
    ("tls-cert", po::value(&c.tls_cert), "PEM certificate for HTTPS (default: self-signed, kept in the data dir)")
    ("tls-key", po::value(&c.tls_key), "PEM private key for --tls-cert")
    ("data-dir", po::value(&c.data_dir)->default_value(c.data_dir), "where state is kept (created on first start)")
    ("ephemeral", po::value<bool>(&c.ephemeral)->default_value(false)->implicit_value(true), "keep all state in memory; nothing survives exit")
    ("config", po::value(&c.config_file), "config file (default: conf/nimbus.conf when present)")
    ("credentials", po::value(&c.credentials_file), "credentials file (default: conf/credentials when present, else the built-in development keys)")
    ("auth", po::value(&auth)->default_value("verify"), "verify: check every signature; off: accept any key")
    ("default-account", po::value(&c.default_account)->default_value(c.default_account), "with --auth off: the account for keys that are not 12-digit account ids")
    ("region", po::value(&c.services.default_region)->default_value(c.services.default_region), "region used when a request names none")
    ("s3-base-domain", po::value(&c.services.s3_base_domain)->default_value(c.services.s3_base_domain), "virtual-host S3: <bucket>.<domain> and <bucket>.s3.<domain>")
    ("sdb-max-domains", po::value(&c.services.sdb_max_domains)->default_value(c.services.sdb_max_domains), "SimpleDB domains per account")
    ("sdb-max-domain-bytes", po::value(&c.services.sdb_max_domain_bytes)->default_value(c.services.sdb_max_domain_bytes), "SimpleDB bytes of names and values per domain (NumberDomainBytesExceeded past it)")
    ("sdb-max-domain-attributes", po::value(&c.services.sdb_max_domain_attributes)->default_value(c.services.sdb_max_domain_attributes), "SimpleDB attribute name/value pairs per domain (NumberDomainAttributesExceeded past it)")
    ("threads", po::value(&c.threads)->default_value(0), "network threads (0: one per CPU this process may use)")
    ("handler-threads", po::value(&c.handler_threads)->default_value(0), "request handler threads (0: 16 per network thread, at least 32)")
    ("durability", po::value(&durability)->default_value("normal"), "off | normal (survives kill -9) | full (fsync every commit)")
    ("enable-reset", po::value<bool>(&c.enable_reset)->default_value(false)->implicit_value(true), "allow POST /_nimbus/reset to wipe all state")
    ("idle-timeout", po::value(&c.idle_timeout_seconds)->default_value(c.idle_timeout_seconds), "seconds before an idle or stalled connection is closed")
    ("log-level", po::value(&c.log_level)->default_value(c.log_level), "error | warn | info (one access-log line per request) | debug");
  return d;
}

std::string env_name_to_option(const po::options_description& d, const std::string& env) {
  static const std::string prefix = "NIMBUS_";
  if (env.rfind(prefix, 0) != 0) return "";
  std::string name = env.substr(prefix.size());
  for (auto& ch : name) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
  if (name == "help" || name == "version") return "";
  return d.find_nothrow(name, false) ? name : "";
}

}  // namespace

Command parse_command_line(int argc, char** argv) {
  Command command;
  Config& c = command.config;
  std::string auth, durability;
  po::options_description options = make_options(c, auth, durability);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "serve") args.erase(args.begin());
  else if (!args.empty() && args[0].size() && args[0][0] != '-')
    throw std::runtime_error("unknown command '" + args[0] + "' (try: nimbus serve, nimbus --help)");

  po::variables_map vm;
  try {
    // The last occurrence of an option wins (`--port 1 --port 2` listens on 2).
    po::parsed_options parsed = po::command_line_parser(args).options(options).run();
    std::vector<po::option> last;
    for (auto it = parsed.options.rbegin(); it != parsed.options.rend(); ++it) {
      bool seen = false;
      for (const auto& o : last) seen = seen || o.string_key == it->string_key;
      if (!seen) last.insert(last.begin(), *it);
    }
    parsed.options = last;
    po::store(parsed, vm);
    po::store(po::parse_environment(options,
                                    [&](const std::string& e) { return env_name_to_option(options, e); }),
              vm);
    std::string file = vm.count("config") ? vm["config"].as<std::string>() : "";
    bool explicit_file = !file.empty();
    if (!explicit_file && std::filesystem::exists("conf/nimbus.conf")) file = "conf/nimbus.conf";
    if (!file.empty()) {
      std::ifstream in(file);
      if (!in) {
        if (explicit_file) throw std::runtime_error("cannot read config file " + file);
      } else {
        po::store(po::parse_config_file(in, options, false), vm);
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(e.what());
  }

  std::ostringstream help;
  help << "nimbus " << NIMBUS_VERSION << ": a local S3, SQS, SNS, SimpleDB and DynamoDB emulator\n\n"
       << "Usage: nimbus serve [options]\n       nimbus --help | --version\n\n" << options;
  command.help_text = help.str();
  if (vm.count("help")) {
    command.kind = Command::Kind::Help;
    return command;
  }
  if (vm.count("version")) {
    command.kind = Command::Kind::Version;
    return command;
  }

  if (auth == "verify") c.auth = true;
  else if (auth == "off") c.auth = false;
  else throw std::runtime_error("--auth must be 'verify' or 'off', not '" + auth + "'");
  if (durability == "off") c.durability = Durability::Off;
  else if (durability == "normal") c.durability = Durability::Normal;
  else if (durability == "full") c.durability = Durability::Full;
  else throw std::runtime_error("--durability must be off, normal or full, not '" + durability + "'");
  log::Level level;
  if (!log::parse_level(c.log_level, level))
    throw std::runtime_error("--log-level must be error, warn, info or debug, not '" + c.log_level + "'");
  if (c.port < 0 || c.port > 65535) throw std::runtime_error("--port must be 0-65535");
  if (c.tls_port < 0 || c.tls_port > 65535) throw std::runtime_error("--tls-port must be 0-65535");
  if (c.tls_cert.empty() != c.tls_key.empty())
    throw std::runtime_error("--tls-cert and --tls-key go together");
  if (c.default_account.size() != 12 ||
      c.default_account.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("--default-account must be a 12-digit account id");
  if (c.threads < 0 || c.handler_threads < 0) throw std::runtime_error("thread counts must be >= 0");
  // One network thread per usable CPU: a second one on the same CPU only adds a thread wake-up
  // per response. Handler threads mostly wait (group commit, fsync), so there are many.
  if (c.threads == 0) c.threads = static_cast<int>(available_cpus());
  if (c.handler_threads == 0) c.handler_threads = std::max(32, 16 * c.threads);
  if (c.idle_timeout_seconds <= 0) throw std::runtime_error("--idle-timeout must be > 0");
  if (c.services.sdb_max_domains <= 0 || c.services.sdb_max_domain_bytes <= 0 ||
      c.services.sdb_max_domain_attributes <= 0)
    throw std::runtime_error("--sdb-max-domains and --sdb-max-domain-* must be > 0");
  return command;
}

}  // namespace nimbus
