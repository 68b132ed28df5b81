#!/usr/bin/env python3
"""Runs nimbus-bench against nimbus and each available peer, interleaved, and writes the results
(JSON in bench/.cache/, then bench/RESULTS.md and bench/results.svg through report.py).

Started by bench/compare.sh (which installs the peers); standard library only. Every server
listens on 127.0.0.1 only, each on its own free port, each with its own temporary directory.
Server and load generator are pinned to different cores (taskset) when there are two or more,
except during the streamed 1 GiB transfers, which every server and the load generator run on all
cores (see LARGE_TRANSFER_OPS).

Measured per server: requests/s, latency and bytes/s per operation (median over rounds), server
CPU time per request (utime+stime of the server process from /proc/<pid>/stat over each run's
measured window, read by nimbus-bench --server-pid), start-up time to the first answered
request, RSS idle and under load (VmRSS / VmHWM).
"""
import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache")
CLK_TCK = os.sysconf("SC_CLK_TCK")
KIB, MIB, GIB = 1024, 1024 * 1024, 1024 * 1024 * 1024

NIMBUS_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

# (label, operation, extra nimbus-bench arguments). The label is the row of the table.
ALL_OPS = [
    ("s3-put 1 KiB", "s3-put", ["--size", str(KIB)]),
    ("s3-get 1 KiB", "s3-get", ["--size", str(KIB)]),
    ("s3-head", "s3-head", ["--size", str(KIB)]),
    ("s3-put 1 MiB", "s3-put", ["--size", str(MIB), "--key-space", "64"]),
    ("s3-get 1 MiB", "s3-get", ["--size", str(MIB)]),
    ("s3-list 100 keys", "s3-list", ["--seed-items", "100"]),
    ("s3-multipart 16 MiB", "s3-multipart", ["--size", str(16 * MIB), "--key-space", "8",
                                             "--connections", "4"]),
    # One streamed 1 GiB unit on one connection (the GET's setup uploads its object first).
    ("s3-put 1 GiB stream", "s3-put-stream", ["--size", str(GIB), "--requests", "1",
                                              "--connections", "1", "--warmup", "0"]),
    ("s3-get 1 GiB stream", "s3-get-stream", ["--size", str(GIB), "--requests", "1",
                                              "--connections", "1", "--warmup", "0"]),
    ("sqs-send 1 KiB", "sqs-send", ["--size", str(KIB)]),
    ("sqs-send-batch 10×1 KiB", "sqs-send-batch", ["--size", str(KIB)]),
    ("sqs-receive-delete", "sqs-receive-delete", ["--size", str(KIB)]),
    ("sqs-longpoll-latency", "sqs-longpoll-latency", ["--size", "256", "--connections", "4"]),
    # Publish, then receive + delete in every subscribed queue (mostly SQS's cost).
    ("sns-publish → received in 1 SQS", "sns-publish", ["--size", "256", "--subscribers", "1",
                                                         "--connections", "4"]),
    ("sns-publish → received in 2 SQS", "sns-publish", ["--size", "256", "--subscribers", "2",
                                                         "--connections", "4"]),
    ("sns-publish → received in 10 SQS", "sns-publish", ["--size", "256", "--subscribers", "10",
                                                          "--connections", "4"]),
    # Publish alone; the deliveries are counted after the run.
    ("sns-publish-only, 1 SQS", "sns-publish-only", ["--size", "256", "--subscribers", "1",
                                                     "--connections", "4"]),
    ("sns-publish-only, 10 SQS", "sns-publish-only", ["--size", "256", "--subscribers", "10",
                                                      "--connections", "4"]),
    ("sdb-put", "sdb-put", ["--size", "256"]),
    ("sdb-get", "sdb-get", ["--size", "256"]),
    ("sdb-select 100 items", "sdb-select", ["--size", "64"]),
    # SimpleDB Select latency against the domain size: 10 matching items out of N.
    ("sdb-select 10 of 1,000 items", "sdb-select-selective", ["--size", "64", "--seed-items",
                                                              "1000"]),
    ("sdb-select 10 of 10,000 items", "sdb-select-selective", ["--size", "64", "--seed-items",
                                                               "10000"]),
    ("sdb-select 10 of 100,000 items", "sdb-select-selective", ["--size", "64", "--seed-items",
                                                                "100000"]),
    ("ddb-put 1 KiB", "ddb-put", ["--size", str(KIB)]),
    ("ddb-get", "ddb-get", ["--size", str(KIB)]),
    ("ddb-query 100 items", "ddb-query", ["--size", "128"]),
    ("ddb-batch-write 25", "ddb-batch-write", ["--size", "256"]),
]
# Run in the first round only (each is long), with the server's RSS sampled during the run, and
# with server and load generator free to use every core: a streamed PUT hashes its body twice
# (SHA-256 of the signed payload, MD5 for the ETag; nimbus runs MD5 on a second thread), which on
# one core caps any server near 500 MB/s before a byte is stored. Every server gets the same.
LARGE_TRANSFER_OPS = {"s3-put 1 GiB stream", "s3-get 1 GiB stream"}
# nimbus only (no peer has a Select), in the first round only (the seeding is long).
SELECT_SCALING_OPS = {l for l, o, _ in ALL_OPS if o == "sdb-select-selective"}
# The nginx ceiling: static files at the same path s3-get asks for.
NGINX_OPS = {"s3-get 1 KiB", "s3-get 1 MiB"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answered(port, path="/"):
    """True once anything answers an HTTP request on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def proc_cpu_seconds(pid):
    """utime+stime of the process and its reaped children, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime 15, cutime 16, cstime 17.
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def proc_memory(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) * 1024
    return out


class Server:
    """One server process under test."""

    def __init__(self, name, kind, argv_for, health_path="/", keys=NIMBUS_KEYS, ops=None,
                 cpu_list=None, cwd=None, note=""):
        self.name, self.kind = name, kind
        self.argv_for = argv_for          # (port, workdir) -> argv
        self.health_path = health_path
        self.keys = keys
        self.ops = ops                    # labels this server is asked to run (None: all)
        self.cpu_list = cpu_list
        self.cwd = cwd
        self.note = note
        self.process = None
        self.workdir = None
        self.log = None
        self.port = None

    def start(self):
        self.workdir = tempfile.mkdtemp(prefix="nimbus-bench-%s-" % self.name)
        self.port = free_port()
        argv = self.argv_for(self.port, self.workdir)
        if self.cpu_list:
            argv = ["taskset", "-c", self.cpu_list] + argv
        self.log = open(os.path.join(self.workdir, "server.log"), "wb")
        t0 = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=self.cwd or self.workdir,
                                        env=server_environment())
        deadline = t0 + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("%s exited with %d: %s" % (self.name, self.process.returncode,
                                                                self.output()[-800:]))
            if answered(self.port, self.health_path):
                return time.monotonic() - t0
            time.sleep(0.001)
        raise RuntimeError("%s did not answer within 60 s" % self.name)

    def set_cpus(self, cpu_list):
        """Moves every thread of the running server onto cpu_list (taskset -a -p)."""
        subprocess.run(["taskset", "-a", "-p", "-c", cpu_list, str(self.pid)],
                       stdout=subprocess.DEVNULL, check=True)

    def output(self):
        try:
            with open(os.path.join(self.workdir, "server.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()
            self.log = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        self.process = None

    @property
    def pid(self):
        return self.process.pid


def server_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
    # Peers must never reach out: no proxies for anything.
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(k, None)
    return env


def nginx_binary():
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                     else None)


def nginx_argv(port, workdir):
    root = os.path.join(workdir, "root")
    os.makedirs(os.path.join(root, "nimbus-bench"), exist_ok=True)
    for size in (KIB, MIB):
        with open(os.path.join(root, "nimbus-bench", "get-%d" % size), "wb") as f:
            f.write(b"x" * size)
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""# written by bench/compare.py: one process, loopback only, static files
daemon off;
master_process off;
worker_processes 1;
pid %(w)s/nginx.pid;
error_log %(w)s/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path %(w)s/tmp-body;
  proxy_temp_path %(w)s/tmp-proxy;
  fastcgi_temp_path %(w)s/tmp-fastcgi;
  uwsgi_temp_path %(w)s/tmp-uwsgi;
  scgi_temp_path %(w)s/tmp-scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:%(p)d;
    root %(r)s;
  }
}
""" % {"w": workdir, "p": port, "r": root})
    return [nginx_binary(), "-c", conf, "-p", workdir]


def make_servers(args, server_cpus):
    build = args.build_dir
    nimbus = os.path.join(build, "nimbus")
    creds = os.path.join(REPO, "conf", "credentials")

    def nimbus_argv(extra):
        return lambda port, w: [nimbus, "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--tls-port", "0", "--data-dir", os.path.join(w, "data"),
                                "--credentials", creds, "--log-level", "warn"] + extra

    servers = [
        Server("nimbus", "nimbus", nimbus_argv([]), "/_nimbus/health", cpu_list=server_cpus,
               note="default durability (normal: acknowledged writes survive kill -9)"),
        Server("nimbus-ephemeral", "nimbus", nimbus_argv(["--ephemeral"]), "/_nimbus/health",
               cpu_list=server_cpus, note="--ephemeral: private temp dirs, database in /dev/shm"),
    ]
    skip = set(args.skip)
    if shutil.which("moto_server") and "moto" not in skip:
        servers.append(Server("moto", "moto", lambda port, w: [
            shutil.which("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            cpu_list=server_cpus, note="moto_server (Python, in memory)"))
    bin_dir = os.path.join(CACHE, "node_modules", ".bin")
    node = shutil.which("node")
    if node and os.path.exists(os.path.join(bin_dir, "s3rver")) and "s3rver" not in skip:
        servers.append(Server("s3rver", "s3rver", lambda port, w: [
            node, os.path.join(bin_dir, "s3rver"), "-d", os.path.join(w, "data"),
            "-a", "127.0.0.1", "-p", str(port), "--silent"],
            keys=("S3RVER", "S3RVER"), ops={l for l, o, _ in ALL_OPS if o.startswith("s3-")},
            cpu_list=server_cpus, note="s3rver (Node.js, files on disk)"))
    if node and os.path.exists(os.path.join(bin_dir, "dynalite")) and "dynalite" not in skip:
        servers.append(Server("dynalite", "dynalite", lambda port, w: [
            node, os.path.join(bin_dir, "dynalite"), "--host", "127.0.0.1", "--port", str(port),
            "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
            ops={l for l, o, _ in ALL_OPS if o.startswith("ddb-")},
            cpu_list=server_cpus, note="dynalite (Node.js, LevelDB in memory)"))
    if nginx_binary() and "nginx" not in skip:
        servers.append(Server("nginx", "nginx", nginx_argv, ops=NGINX_OPS, cpu_list=server_cpus,
                              note="nginx, one worker, static files (the HTTP ceiling)"))
    return servers


class RssSampler:
    """Samples a process's VmRSS every 20 ms in a thread: the peak during one run (VmHWM is the
    whole life's peak), to show whether memory stays flat during a large transfer."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.before = proc_memory(pid).get("VmRSS", 0)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, proc_memory(self.pid).get("VmRSS", 0))
            except OSError:
                return
            self.stop.wait(0.02)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return {"mem_rss_before": self.before, "mem_rss_peak_during": self.peak}


def run_bench(args, server, op, extra, bench_cpus, duration, warmup, sample_rss=False):
    argv = [os.path.join(args.build_dir, "nimbus-bench"),
            "--endpoint", "http://127.0.0.1:%d" % server.port, "--operation", op,
            "--access-key", server.keys[0], "--secret-key", server.keys[1], "--json",
            "--server-pid", str(server.pid)] + extra
    for option, value in (("--connections", args.connections), ("--duration", duration),
                          ("--warmup", warmup)):
        if option not in extra:
            argv += [option, str(value)]
    if server.kind == "nginx":
        argv.append("--no-setup")
    if bench_cpus:
        argv = ["taskset", "-c", bench_cpus] + argv
    cpu0 = proc_cpu_seconds(server.pid)
    sampler = RssSampler(server.pid) if sample_rss else None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + warmup + 120)
        out = done.stdout.strip().splitlines()
        result = json.loads(out[-1]) if out else {"status": "setup-failed",
                                                  "error": done.stderr[-300:]}
    except subprocess.TimeoutExpired:
        result = {"status": "setup-failed", "error": "nimbus-bench timed out"}
    except ValueError:
        result = {"status": "setup-failed", "error": "unreadable output: " + done.stdout[-300:]}
    cpu1 = proc_cpu_seconds(server.pid)
    if sampler:
        result.update(sampler.finish())
    # nimbus-bench's own figure covers the measured window only (no setup, warm-up or end-of-run
    # checks); the whole run's is kept for comparison with older results.
    result["server_cpu_s_whole_run"] = cpu1 - cpu0
    result.setdefault("server_cpu_s", cpu1 - cpu0)
    if result.get("http_requests"):
        result["cpu_us_per_request"] = result["server_cpu_s"] / result["http_requests"] * 1e6
    result.update({("mem_" + k): v for k, v in proc_memory(server.pid).items()})
    return result


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_bytes": mem, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "python": platform.python_version()}


def version_of(server):
    try:
        if server.kind == "moto":
            import importlib.metadata
            return "moto " + importlib.metadata.version("moto")
        if server.kind in ("s3rver", "dynalite"):
            with open(os.path.join(CACHE, "node_modules", server.kind, "package.json")) as f:
                return "%s %s" % (server.kind, json.load(f)["version"])
        if server.kind == "nginx":
            out = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True)
            return out.stderr.strip().replace("nginx version: ", "")
    except Exception:  # a version string is decoration, never a reason to fail
        return server.kind
    return "nimbus"


PROFILES = [("s3-get 1 KiB", "s3-get", ["--size", str(KIB)]),
            ("s3-put 1 MiB", "s3-put", ["--size", str(MIB), "--key-space", "64"])]


def profile_nimbus(args, server, bench_cpus, seconds):
    """perf's flat profiles of nimbus under PROFILES' loads ({} when perf is missing)."""
    out = {}
    for label, op, extra in PROFILES:
        out[label] = profile_one(args, server, bench_cpus, seconds, op, extra)
        out[label]["command"] = " ".join([op] + extra)
    return out


def profile_one(args, server, bench_cpus, seconds, op, extra):
    perf = shutil.which("perf")
    if not perf:
        return {"error": "perf is not installed"}
    data = os.path.join(tempfile.mkdtemp(prefix="nimbus-perf-"), "perf.data")
    rec = subprocess.Popen([perf, "record", "-F", "999", "-g", "-o", data, "-p", str(server.pid),
                            "--", "sleep", str(seconds)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    run_bench(args, server, op, extra, bench_cpus, seconds - 0.5, 0)
    _, err = rec.communicate()
    if rec.returncode != 0 or not os.path.exists(data):
        return {"error": err.strip()[-300:]}
    flat = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children",
                           "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.8"],
                          capture_output=True, text=True).stdout
    lines = [l for l in flat.splitlines() if l.strip() and not l.startswith("#")]
    shutil.rmtree(os.path.dirname(data), ignore_errors=True)
    return {"top": lines[:30]}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one short round (~1-2 minutes)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    p.add_argument("--duration", type=float, help="seconds per run (default 2, quick 0.7)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per run (default 0.5, quick 0.2)")
    p.add_argument("--connections", type=int, default=16, help="nimbus-bench connections")
    p.add_argument("--ops", nargs="*", help="operation labels to run (default: all)")
    p.add_argument("--skip", nargs="*", default=[], help="peers to leave out (moto, s3rver, ...)")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--no-profile", action="store_true", help="skip the perf profile of nimbus")
    p.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (0.7 if args.quick else 2.0)
    warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 0.5)
    ops = [o for o in ALL_OPS if not args.ops or o[0] in args.ops or o[1] in args.ops]

    ncpu = len(os.sched_getaffinity(0))
    if ncpu >= 2 and shutil.which("taskset"):
        server_cpus, bench_cpus = "0", "1" if ncpu == 2 else "1-%d" % (ncpu - 1)
    else:
        server_cpus = bench_cpus = None
    all_cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))

    # SIGTERM unwinds like Ctrl-C, so the finally below stops every server this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers = make_servers(args, server_cpus)
    report = {"machine": machine(), "rounds": rounds, "duration_s": duration, "warmup_s": warmup,
              "connections": args.connections, "pinning": {"server": server_cpus,
                                                           "bench": bench_cpus,
                                                           "large_transfers": all_cpus},
              "servers": {}, "ops": [l for l, _, _ in ops], "runs": {}}
    started = time.monotonic()
    try:
        # Start-up time: several cold starts each, median; then the instance that serves the runs.
        for s in servers:
            times = []
            for _ in range(1 if args.quick else 3):
                times.append(s.start())
                s.stop()
            startup = s.start()
            times.append(startup)
            time.sleep(0.3)
            report["servers"][s.name] = {"kind": s.kind, "note": s.note, "version": version_of(s),
                                         "startup_s": statistics.median(times),
                                         "idle": proc_memory(s.pid)}
            print("%-17s started in %.1f ms, idle RSS %.1f MiB" % (
                s.name, statistics.median(times) * 1e3,
                report["servers"][s.name]["idle"].get("VmRSS", 0) / MIB), file=sys.stderr)

        unsupported = set()
        for r in range(rounds):
            for label, op, extra in ops:
                order = servers[r % len(servers):] + servers[:r % len(servers)]
                for s in order:
                    if s.ops is not None and label not in s.ops:
                        continue
                    if (s.name, label) in unsupported:
                        continue
                    large = label in LARGE_TRANSFER_OPS
                    if (large or label in SELECT_SCALING_OPS) and r > 0:
                        continue
                    if label in SELECT_SCALING_OPS and s.kind != "nimbus":
                        continue
                    if large and s.cpu_list:
                        s.set_cpus(all_cpus)
                        try:
                            res = run_bench(args, s, op, extra, None, duration, warmup, large)
                        finally:
                            s.set_cpus(s.cpu_list)
                    else:
                        res = run_bench(args, s, op, extra, bench_cpus, duration, warmup, large)
                    report["runs"].setdefault(s.name, {}).setdefault(label, []).append(res)
                    st = res.get("status")
                    # A peer whose every unit failed lacks the operation; one that completed
                    # no unit at all (starved on a busy machine) is only invalid this round.
                    if st in ("unsupported", "setup-failed") or (
                            st == "invalid" and s.kind != "nimbus" and res.get("requests")
                            and res.get("errors") == res.get("requests")):
                        unsupported.add((s.name, label))
                    print("round %d %-24s %-17s %-11s %10s req/s  p99 %s ms" % (
                        r + 1, label, s.name, st, res.get("requests_per_s", "-"),
                        res.get("latency_ms", {}).get("p99", "-")), file=sys.stderr)
        for s in servers:
            report["servers"][s.name]["after_load"] = proc_memory(s.pid)
        if not args.no_profile:
            nimbus = next(s for s in servers if s.name == "nimbus")
            report["profile"] = profile_nimbus(args, nimbus, bench_cpus, 4)
    finally:
        for s in servers:
            s.stop()
    report["wall_s"] = time.monotonic() - started
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, "results.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print("raw results: %s (%.0f s)" % (path, report["wall_s"]), file=sys.stderr)
    sys.path.insert(0, HERE)
    import report as report_module
    report_module.write(report, args.output, os.path.join(os.path.dirname(args.output),
                                                          "results.svg"))
    print("wrote %s" % args.output, file=sys.stderr)


if __name__ == "__main__":
    main()
