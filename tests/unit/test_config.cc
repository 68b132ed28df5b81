// Config: command-line parsing, NIMBUS_* environment variables, precedence, and the one-line
// errors for bad options.
#include <doctest/doctest.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "common/threads.h"
#include "server/config.h"

namespace {

nimbus::Command parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string program = "nimbus";
  argv.push_back(program.data());
  for (auto& a : args) argv.push_back(a.data());
  return nimbus::parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("serve defaults match the documented ones") {
  auto c = parse({"serve"}).config;
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 4566);
  CHECK(c.tls_port == 4567);
  CHECK(c.data_dir == "./data");
  CHECK_FALSE(c.ephemeral);
  CHECK(c.auth);
  CHECK(c.durability == nimbus::Durability::Normal);
  CHECK(c.threads >= 1);
}

TEST_CASE("the default network threads are the CPUs the process may use, not the machine's") {
  auto c = parse({"serve"}).config;
  CHECK(c.threads == static_cast<int>(nimbus::available_cpus()));
  CHECK(c.handler_threads == std::max(32, 16 * c.threads));
  cpu_set_t saved, one;
  REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &saved)) {
      CPU_SET(cpu, &one);
      break;
    }
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  auto pinned = parse({"serve"}).config;
  sched_setaffinity(0, sizeof saved, &saved);
  CHECK(pinned.threads == 1);
  CHECK(pinned.handler_threads == 32);
}

TEST_CASE("options are read from the command line") {
  auto c = parse({"serve", "--port", "5000", "--ephemeral", "--auth", "off", "--durability", "full",
                  "--data-dir", "/tmp/x"})
               .config;
  CHECK(c.port == 5000);
  CHECK(c.ephemeral);
  CHECK_FALSE(c.auth);
  CHECK(c.durability == nimbus::Durability::Full);
  CHECK(c.data_dir == "/tmp/x");
}

TEST_CASE("NIMBUS_* environment variables set options, and the command line wins") {
  setenv("NIMBUS_PORT", "6000", 1);
  setenv("NIMBUS_LOG_LEVEL", "debug", 1);
  CHECK(parse({"serve"}).config.port == 6000);
  CHECK(parse({"serve"}).config.log_level == "debug");
  CHECK(parse({"serve", "--port", "7000"}).config.port == 7000);
  unsetenv("NIMBUS_PORT");
  unsetenv("NIMBUS_LOG_LEVEL");
}

TEST_CASE("the last occurrence of an option wins") {
  CHECK(parse({"serve", "--port", "1000", "--port", "2000"}).config.port == 2000);
}

TEST_CASE("help and version are commands of their own") {
  CHECK(parse({"--help"}).kind == nimbus::Command::Kind::Help);
  CHECK(parse({"--version"}).kind == nimbus::Command::Kind::Version);
  CHECK(parse({"--help"}).help_text.find("--data-dir") != std::string::npos);
}

TEST_CASE("bad options give one-line errors") {
  CHECK_THROWS_WITH(parse({"serve", "--no-such-option"}), doctest::Contains("no-such-option"));
  CHECK_THROWS_WITH(parse({"serve", "--auth", "maybe"}), doctest::Contains("--auth"));
  CHECK_THROWS_WITH(parse({"serve", "--durability", "weird"}), doctest::Contains("--durability"));
  CHECK_THROWS_WITH(parse({"serve", "--port", "70000"}), doctest::Contains("--port"));
  CHECK_THROWS_WITH(parse({"launch"}), doctest::Contains("unknown command"));
  CHECK_THROWS_WITH(parse({"serve", "--config", "/nonexistent/nimbus.conf"}),
                    doctest::Contains("cannot read config file"));
  CHECK_THROWS_WITH(parse({"serve", "--default-account", "123"}), doctest::Contains("12-digit"));
  CHECK_THROWS_WITH(parse({"serve", "--sdb-max-domain-bytes", "0"}),
                    doctest::Contains("--sdb-max-domain"));
}

TEST_CASE("SimpleDB's per-domain limits default to AWS's and can be set") {
  auto d = parse({"serve"}).config.services;
  CHECK(d.sdb_max_domain_bytes == int64_t{10} * 1024 * 1024 * 1024);
  CHECK(d.sdb_max_domain_attributes == 1000000000);
  auto c = parse({"serve", "--sdb-max-domain-bytes", "20000000000", "--sdb-max-domain-attributes",
                  "12"})
               .config.services;
  CHECK(c.sdb_max_domain_bytes == 20000000000);
  CHECK(c.sdb_max_domain_attributes == 12);
}
