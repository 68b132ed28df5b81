// nimbus-bench: a load generator for nimbus and any AWS-compatible peer on 127.0.0.1. Runs one
// operation over N keep-alive connections (one thread each) for a duration or a request count,
// after a warm-up, and prints requests, errors, requests/s, latency percentiles and bytes/s
// (text, or JSON with --json). Exit status: 0 valid run, 1 errors (the run is invalid),
// 2 bad usage, 3 the server does not support the operation.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <latch>
#include <mutex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "bench/bench.h"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace nimbus::bench {

const std::vector<std::string>& operation_names() {
  static const std::vector<std::string> names = {
      "s3-put",       "s3-get",       "s3-head",      "s3-list",
      "s3-multipart", "sqs-send",     "sqs-send-batch", "sqs-receive-delete",
      "sqs-longpoll-latency", "sns-publish", "sns-publish-only", "sdb-put",
      "sdb-get",      "sdb-select",   "sdb-select-selective",   "ddb-put",      "ddb-get",
      "ddb-query",    "ddb-batch-write", "s3-put-stream", "s3-get-stream"};
  return names;
}

namespace {

struct WorkerStats {
  std::vector<double> latencies;  // seconds
  uint64_t units = 0, http_requests = 0, errors = 0, bytes = 0;
  int unsupported = 0;
  std::string first_error;
  Clock::time_point finished;
};

// Parses http://127.0.0.1:PORT or http://localhost:PORT; anything else is refused, since the
// bench must never send traffic off the machine.
int parse_endpoint(const std::string& endpoint) {
  std::string rest = endpoint;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    throw std::runtime_error("only http:// endpoints are supported: " + endpoint);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (host != "127.0.0.1" && host != "localhost")
    throw std::runtime_error("nimbus-bench only talks to 127.0.0.1 (got " + host + ")");
  if (colon == std::string::npos) return 80;
  int port = std::atoi(rest.c_str() + colon + 1);
  if (port <= 0 || port > 65535) throw std::runtime_error("bad port in " + endpoint);
  return port;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  if (i > 0) --i;
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// utime+stime (and reaped children's) of process `pid` in seconds, from /proc; < 0 when unreadable.
double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 17 && fields >> field; ++i)  // field 3 is the state; 14-17 the times
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::unique_ptr<Operation> make_operation(const Options& o) {
  if (auto op = make_s3_operation(o.operation, o)) return op;
  if (auto op = make_messaging_operation(o.operation, o)) return op;
  if (auto op = make_database_operation(o.operation, o)) return op;
  return nullptr;
}

void print_json_error(const Options& o, const std::string& status, const std::string& error) {
  std::cout << "{\"operation\":" << json_string(o.operation) << ",\"status\":" << json_string(status)
            << ",\"valid\":false,\"error\":" << json_string(error) << "}\n";
}

int run(const Options& o) {
  std::unique_ptr<Operation> op = make_operation(o);
  if (!op) {
    std::cerr << "unknown operation " << o.operation << "\n";
    return 2;
  }
  std::atomic<uint64_t> sequence{0};
  try {
    Session setup(o, sequence);
    op->setup(setup);
  } catch (const SetupError& e) {
    bool unsupported = looks_unsupported(e.status, e.what());
    std::string status = unsupported ? "unsupported" : "setup-failed";
    if (o.json) print_json_error(o, status, e.what());
    else std::cout << o.operation << ": " << status << ": " << e.what() << "\n";
    return unsupported ? 3 : 1;
  } catch (const std::exception& e) {
    if (o.json) print_json_error(o, "setup-failed", e.what());
    else std::cout << o.operation << ": setup failed: " << e.what() << "\n";
    return 1;
  }

  const int n = o.connections;
  std::vector<WorkerStats> stats(n);
  std::atomic<int64_t> remaining{static_cast<int64_t>(o.requests)};
  std::atomic<bool> stop{false};
  // measured: every worker is past its last unit; checked: the server's CPU has been read, so
  // the workers' finish() may run.
  std::latch prepared(n + 1), go(1), measured(n), checked(1);
  Clock::time_point measure_start, measure_end;
  std::mutex prepare_error_mutex;
  std::string prepare_error;
  int prepare_status = 0;

  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      WorkerStats& st = stats[w];
      Session session(o, sequence);
      try {
        op->prepare(session, w);
      } catch (const std::exception& e) {
        std::lock_guard lock(prepare_error_mutex);
        if (prepare_error.empty()) {
          prepare_error = e.what();
          if (auto* se = dynamic_cast<const SetupError*>(&e)) prepare_status = se->status;
        }
        stop = true;
      }
      prepared.count_down();
      go.wait();
      if (o.requests == 0) st.latencies.reserve(1 << 16);
      else st.latencies.reserve(o.requests / n + 16);
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = Clock::now();
        bool measuring = t0 >= measure_start;
        if (o.requests == 0 && t0 >= measure_end) break;
        if (measuring && o.requests > 0 && remaining.fetch_sub(1) <= 0) break;
        UnitResult r;
        try {
          r = op->run(session, w);
        } catch (const std::exception& e) {
          r.ok = false;
          r.status = 0;
          r.error = e.what();
        }
        auto t1 = Clock::now();
        if (!measuring) continue;
        ++st.units;
        st.http_requests += r.http_requests;
        st.bytes += r.bytes;
        double latency = r.latency >= 0 ? r.latency : std::chrono::duration<double>(t1 - t0).count();
        st.latencies.push_back(latency);
        if (!r.ok) {
          ++st.errors;
          if (looks_unsupported(r.status, r.error)) ++st.unsupported;
          if (st.first_error.empty()) st.first_error = r.error;
        }
      }
      st.finished = Clock::now();
      measured.count_down();
      checked.wait();
      if (stop.load()) return;  // a worker's prepare() failed: nothing to check
      std::string problem;
      try {
        problem = op->finish(session, w);
      } catch (const std::exception& e) {
        problem = e.what();
      }
      if (!problem.empty()) {
        ++st.errors;
        st.first_error = problem + (st.first_error.empty() ? "" : "; then: " + st.first_error);
      }
    });
  }
  prepared.arrive_and_wait();
  auto now = Clock::now();
  measure_start = now + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(o.warmup));
  measure_end = measure_start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.duration));
  go.count_down();
  // The server's CPU over the measured window only: no setup, warm-up or finish().
  double cpu_start = -1, cpu_end = -1;
  if (o.server_pid > 0) {
    std::this_thread::sleep_until(measure_start);
    cpu_start = process_cpu_seconds(o.server_pid);
  }
  measured.wait();
  if (o.server_pid > 0) cpu_end = process_cpu_seconds(o.server_pid);
  checked.count_down();
  for (auto& t : threads) t.join();

  if (!prepare_error.empty()) {
    bool unsupported = looks_unsupported(prepare_status, prepare_error);
    std::string status = unsupported ? "unsupported" : "setup-failed";
    if (o.json) print_json_error(o, status, prepare_error);
    else std::cout << o.operation << ": " << status << ": " << prepare_error << "\n";
    return unsupported ? 3 : 1;
  }

  WorkerStats total;
  Clock::time_point last_finish = measure_start;
  for (auto& st : stats) {
    total.units += st.units;
    total.http_requests += st.http_requests;
    total.errors += st.errors;
    total.bytes += st.bytes;
    total.unsupported += st.unsupported;
    if (total.first_error.empty()) total.first_error = st.first_error;
    total.latencies.insert(total.latencies.end(), st.latencies.begin(), st.latencies.end());
    last_finish = std::max(last_finish, st.finished);
  }
  std::sort(total.latencies.begin(), total.latencies.end());
  // Units that straddle the end still count (their latency is real), so the elapsed time runs
  // to the last worker's finish.
  double elapsed = std::chrono::duration<double>(last_finish - measure_start).count();
  if (elapsed <= 0) elapsed = 1e-9;
  const double rps = total.units / elapsed;
  const double bps = total.bytes / elapsed;
  const double p50 = percentile(total.latencies, 50) * 1e3;
  const double p90 = percentile(total.latencies, 90) * 1e3;
  const double p99 = percentile(total.latencies, 99) * 1e3;
  const double max = total.latencies.empty() ? 0 : total.latencies.back() * 1e3;
  double mean = 0;
  for (double l : total.latencies) mean += l;
  mean = total.latencies.empty() ? 0 : mean / total.latencies.size() * 1e3;
  const bool valid = total.errors == 0 && total.units > 0;
  const bool unsupported = total.errors > 0 && total.unsupported == static_cast<int>(total.errors);
  std::string status = valid ? "ok" : unsupported ? "unsupported" : "invalid";

  if (o.json) {
    std::cout << "{\"operation\":" << json_string(o.operation) << ",\"status\":" << json_string(status)
              << ",\"valid\":" << (valid ? "true" : "false") << ",\"size\":" << o.size
              << ",\"connections\":" << o.connections << ",\"elapsed_s\":" << fmt("%.3f", elapsed)
              << ",\"requests\":" << total.units << ",\"http_requests\":" << total.http_requests
              << ",\"errors\":" << total.errors << ",\"requests_per_s\":" << fmt(rps < 10 ? "%.4f" : "%.1f", rps)
              << ",\"bytes_per_s\":" << fmt("%.0f", bps) << ",\"latency_ms\":{\"p50\":"
              << fmt("%.3f", p50) << ",\"p90\":" << fmt("%.3f", p90) << ",\"p99\":"
              << fmt("%.3f", p99) << ",\"max\":" << fmt("%.3f", max) << ",\"mean\":"
              << fmt("%.3f", mean) << "}";
    if (cpu_start >= 0 && cpu_end >= 0)
      std::cout << ",\"server_cpu_s\":" << fmt("%.3f", cpu_end - cpu_start);
    if (!total.first_error.empty()) std::cout << ",\"first_error\":" << json_string(total.first_error);
    std::cout << "}\n";
  } else {
    std::cout << o.operation << "  size " << o.size << "  connections " << o.connections << "  "
              << fmt("%.2f", elapsed) << " s\n"
              << "  requests     " << total.units << " (" << total.http_requests
              << " HTTP requests)\n"
              << "  errors       " << total.errors << "\n"
              << "  requests/s   " << fmt("%.1f", rps) << "\n"
              << "  latency ms   p50 " << fmt("%.3f", p50) << "  p90 " << fmt("%.3f", p90)
              << "  p99 " << fmt("%.3f", p99) << "  max " << fmt("%.3f", max) << "\n"
              << "  bytes/s      " << fmt("%.1f", bps / 1e6) << " MB/s\n";
    if (cpu_start >= 0 && cpu_end >= 0 && total.http_requests > 0)
      std::cout << "  server CPU   " << fmt("%.3f", cpu_end - cpu_start) << " s, "
                << fmt("%.1f", (cpu_end - cpu_start) / total.http_requests * 1e6)
                << " µs per HTTP request\n";
    if (!valid) {
      std::cout << "  INVALID RUN"
                << (unsupported ? " (the server does not support this operation)" : "")
                << (total.units == 0 ? ": no request completed" : "") << "\n";
      if (!total.first_error.empty()) std::cout << "  first error: " << total.first_error << "\n";
    }
  }
  return valid ? 0 : unsupported ? 3 : 1;
}

}  // namespace
}  // namespace nimbus::bench

int main(int argc, char** argv) {
  using namespace nimbus::bench;
  Options o;
  std::string endpoint = "http://127.0.0.1:4566";
  std::string ops;
  for (const auto& n : operation_names()) ops += (ops.empty() ? "" : ", ") + n;
  po::options_description desc("nimbus-bench: load generator for nimbus and AWS-compatible peers "
                               "on 127.0.0.1\n\nOptions");
  desc.add_options()
    ("help,h", "this help")
    ("endpoint", po::value(&endpoint)->default_value(endpoint), "http://127.0.0.1:PORT")
    ("operation,o", po::value(&o.operation), ("one of: " + ops).c_str())
    ("size,s", po::value(&o.size)->default_value(o.size), "object / message / attribute bytes")
    ("connections,c", po::value(&o.connections)->default_value(o.connections),
     "concurrent keep-alive connections (one thread each, at most 256)")
    ("duration,d", po::value(&o.duration)->default_value(o.duration), "seconds to measure")
    ("requests,n", po::value(&o.requests)->default_value(0),
     "measure exactly this many units instead of a duration")
    ("warmup,w", po::value(&o.warmup)->default_value(o.warmup), "seconds of warm-up first")
    ("access-key", po::value(&o.access_key)->default_value(o.access_key), "access key id")
    ("secret-key", po::value(&o.secret_key)->default_value(o.secret_key), "secret access key")
    ("region", po::value(&o.region)->default_value(o.region), "signing region")
    ("name", po::value(&o.name)->default_value(o.name), "bucket/queue/topic/domain/table name")
    ("subscribers", po::value(&o.subscribers)->default_value(o.subscribers),
     "sns-publish, sns-publish-only: SQS queues subscribed to each topic")
    ("part-size", po::value(&o.part_size)->default_value(o.part_size), "s3-multipart part bytes")
    ("key-space", po::value(&o.key_space)->default_value(0),
     "s3-put/s3-multipart/ddb-put: cycle over this many keys (0: a new key every request)")
    ("seed-items", po::value(&o.seed_items)->default_value(o.seed_items),
     "objects/items seeded for s3-list, ddb-get/query, sdb-get/select")
    ("no-setup", po::bool_switch(&o.no_setup), "s3-get/s3-head: the object /<name>/get-<size> "
     "already exists (static files)")
    ("server-pid", po::value(&o.server_pid)->default_value(0),
     "also report this process's CPU seconds over the measured window (server_cpu_s)")
    ("json", po::bool_switch(&o.json), "one JSON object on stdout");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help") || o.operation.empty()) {
      std::cout << desc << "\nExit status: 0 valid run, 1 errors (invalid run), 2 usage, "
                           "3 operation not supported by the server.\n";
      return vm.count("help") ? 0 : 2;
    }
    o.port = parse_endpoint(endpoint);
    if (o.connections < 1 || o.connections > 256) throw std::runtime_error("--connections 1..256");
    if (o.duration <= 0 && o.requests == 0) throw std::runtime_error("--duration must be > 0");
    if (o.part_size == 0 || o.seed_items < 1 || o.subscribers < 1)
      throw std::runtime_error("--part-size, --seed-items and --subscribers must be positive");
  } catch (const std::exception& e) {
    std::cerr << "nimbus-bench: " << e.what() << "\n";
    return 2;
  }
  return run(o);
}
