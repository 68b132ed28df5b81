#!/usr/bin/env python3
"""Turns bench/compare.py's raw results (bench/.cache/results.json) into bench/RESULTS.md and an
SVG bar chart (plain text SVG, no plotting library). Standard library only.

    python3 bench/report.py [results.json]      # rewrite RESULTS.md + results.svg from a run
"""
import html
import json
import math
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
COLORS = {"nimbus": "#1f77b4", "nimbus-ephemeral": "#6baed6", "moto": "#d62728",
          "s3rver": "#2ca02c", "dynalite": "#9467bd", "nginx": "#7f7f7f"}
LARGE_OPS = ["s3-get 1 MiB", "s3-put 1 MiB", "s3-put 1 GiB stream", "s3-get 1 GiB stream"]
STREAM_OPS = ["s3-put 1 GiB stream", "s3-get 1 GiB stream"]


def rss_during(report, server, label):
    """(RSS before, peak RSS during) of the first run of label that sampled them, or None."""
    for r in report["runs"].get(server, {}).get(label, []):
        if r.get("mem_rss_peak_during"):
            return r.get("mem_rss_before", 0), r["mem_rss_peak_during"]
    return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Cell:
    """The median figures of one (server, operation), or why there are none."""

    def __init__(self, runs):
        self.runs = runs or []
        valid = [r for r in self.runs if r.get("status") == "ok"]
        self.state = "ok" if valid and len(valid) == len(self.runs) else (
            "none" if not self.runs else "partial" if valid else self.runs[-1].get("status"))
        src = valid
        self.rps = median([r.get("requests_per_s") for r in src])
        self.p99 = median([r.get("latency_ms", {}).get("p99") for r in src])
        self.p50 = median([r.get("latency_ms", {}).get("p50") for r in src])
        self.bps = median([r.get("bytes_per_s") for r in src])
        self.cpu = median([r.get("cpu_us_per_request") for r in src])
        self.error = next((r.get("first_error") or r.get("error") for r in self.runs
                           if r.get("status") != "ok"), None)

    @property
    def ok(self):
        return self.rps is not None and self.state in ("ok", "partial")


def fmt_num(v, digits=0):
    if v is None:
        return "n/a"
    if v >= 100 or digits == 0:
        return "{:,.0f}".format(v).replace(",", " ")
    return "{:.{}f}".format(v, digits)


def fmt_rps(v):
    """Requests/s: whole numbers, with two decimals below 10 (a 1 GiB unit takes seconds)."""
    return fmt_num(v, 2 if v is not None and v < 10 else 0)


def cells(report):
    out = {}
    for server in report["servers"]:
        for label in report["ops"]:
            out[(server, label)] = Cell(report["runs"].get(server, {}).get(label))
    return out


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def write_svg(report, table, path):
    servers = [s for s in report["servers"]]
    ops = [l for l in report["ops"] if any(table[(s, l)].ok for s in servers)]
    bar_h, gap, left, width = 9, 10, 190, 560
    rows = sum(max(1, sum(1 for s in servers if table[(s, l)].ok)) for l in ops)
    height = 60 + rows * bar_h + len(ops) * gap + 40
    values = [table[(s, l)].rps for s in servers for l in ops if table[(s, l)].ok]
    lo = 10 ** math.floor(math.log10(max(min(values), 1))) if values else 1
    hi = 10 ** math.ceil(math.log10(max(values))) if values else 10
    span = math.log10(hi) - math.log10(lo) or 1

    def x(v):
        return left + (math.log10(max(v, lo)) - math.log10(lo)) / span * width

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="10">' % (left + width + 90, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="18" font-size="13" font-weight="bold">requests/s per operation '
           '(median of %d rounds, log scale; higher is better)</text>' % report["rounds"]]
    lx = 10
    for s in servers:
        out.append('<rect x="%d" y="28" width="10" height="10" fill="%s"/>' % (lx, COLORS.get(
            s, "#bcbd22")))
        out.append('<text x="%d" y="37">%s</text>' % (lx + 14, html.escape(s)))
        lx += 24 + 7 * len(s)
    y = 55
    decade = lo
    while decade <= hi:
        out.append('<line x1="%.1f" y1="48" x2="%.1f" y2="%d" stroke="#ddd"/>' % (
            x(decade), x(decade), height - 30))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (
            x(decade), height - 18, fmt_num(decade)))
        decade *= 10
    for label in ops:
        present = [s for s in servers if table[(s, label)].ok]
        group_h = max(1, len(present)) * bar_h
        out.append('<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>'
                   % (left - 6, y + group_h / 2, html.escape(label)))
        for s in present:
            c = table[(s, label)]
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: '
                       '%s req/s</title></rect>' % (left, y, x(c.rps) - left, bar_h - 1,
                                                    COLORS.get(s, "#bcbd22"), html.escape(s),
                                                    html.escape(label), fmt_num(c.rps)))
            out.append('<text x="%.1f" y="%d" fill="#333" font-size="8">%s</text>' % (
                x(c.rps) + 3, y + bar_h - 2, fmt_num(c.rps)))
            y += bar_h
        y += gap
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write(report, md_path, svg_path):
    table = cells(report)
    servers = list(report["servers"])
    peers = [s for s in servers if s != "nimbus"]
    m = report["machine"]
    L = []
    L.append("# nimbus benchmark results")
    L.append("")
    L.append("Written by `bench/compare.sh%s` (do not edit by hand; re-run it). Every request is "
             "signed with SigV4 (SigV2 for SimpleDB) by `nimbus-bench`, over %d keep-alive "
             "connections on 127.0.0.1, %.1f s per run after %.1f s of warm-up, servers run "
             "interleaved in %d round(s); figures are medians over rounds." % (
                 " --quick" if report["rounds"] == 1 else "", report["connections"],
                 report["duration_s"], report["warmup_s"], report["rounds"]))
    L.append("")
    L.append("**Machine:** %s CPUs (%s), %.1f GiB RAM, Linux %s, %s. Server pinned to CPU %s, "
             "load generator to CPU %s (the streamed 1 GiB transfers: both on CPUs %s). "
             "The machine is shared (other builds and tests run on it), so requests/s move "
             "from run to run; CPU time per request, taken from the kernel's accounting of the server process, is the steadier figure." % (
                 m["nproc"], m["cpu"], m["memory_bytes"] / 1024 ** 3, m["kernel"], m["date"],
                 report["pinning"]["server"] or "(not pinned)",
                 report["pinning"]["bench"] or "(not pinned)",
                 report["pinning"].get("large_transfers", "(pinned as the rest)")))
    L.append("")
    L.append("**Servers:** " + "; ".join("%s: %s (%s)" % (s, report["servers"][s]["note"],
                                                          report["servers"][s]["version"])
                                         for s in servers) + ".")
    L.append("")
    L.append("![requests/s per operation](results.svg)")
    L.append("")
    L.append("## Requests/s (×: how many times nimbus's requests/s)")
    L.append("")
    L.append("`n/a`: the server does not support the operation (or the test does not apply to "
             "it); `FAILED`: it answered errors, so the run is invalid.")
    L.append("")
    L.append("| operation | " + " | ".join(servers) + " |")
    L.append("|---|" + "---:|" * len(servers))
    for label in report["ops"]:
        row = [label]
        base = table[("nimbus", label)].rps
        for s in servers:
            c = table[(s, label)]
            if not c.ok:
                row.append("FAILED" if s.startswith("nimbus") and c.state in ("invalid",
                                                                              "setup-failed")
                           else "n/a")
                continue
            r = ratio(base, c.rps)
            row.append(fmt_rps(c.rps) + ("" if s == "nimbus" or r is None else " (×%s)" % fmt_num(r, 1)))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("## Latency p99 (ms) and server CPU time per HTTP request (µs)")
    L.append("")
    L.append("| operation | " + " | ".join(servers) + " |")
    L.append("|---|" + "---:|" * len(servers))
    for label in report["ops"]:
        row = [label]
        for s in servers:
            c = table[(s, label)]
            row.append("n/a" if not c.ok else "%s ms · %s µs" % (
                fmt_num(c.p99, 2), fmt_num(c.cpu, 1) if c.cpu is not None else "?"))
        L.append("| " + " | ".join(row) + " |")
    transfers = ["%s %s: %s MB/s" % (s, label, fmt_num(table[(s, label)].bps / 1e6, 1))
                 for label in LARGE_OPS for s in servers  # absent when --ops left them out
                 if (s, label) in table and table[(s, label)].ok]
    if transfers:
        L.append("")
        L.append("Bytes/s for the large transfers: " + "; ".join(transfers) + ".")
    L.append("")
    L.append("## Start-up and memory")
    L.append("")
    L.append("| server | start-up to first answer (ms) | RSS idle (MiB) | RSS after the runs "
             "(MiB) | peak RSS (MiB) |")
    L.append("|---|---:|---:|---:|---:|")
    for s in servers:
        info = report["servers"][s]
        after = info.get("after_load", {})
        L.append("| %s | %s | %s | %s | %s |" % (
            s, fmt_num(info["startup_s"] * 1e3, 1), fmt_num(info["idle"].get("VmRSS", 0) / MIB,
                                                            1),
            fmt_num(after.get("VmRSS", 0) / MIB, 1), fmt_num(after.get("VmHWM", 0) / MIB, 1)))
    during = ["%s %s: %s → %s MiB" % (s, label, fmt_num(m[0] / MIB, 1), fmt_num(m[1] / MIB, 1))
              for label in STREAM_OPS for s in servers
              for m in [rss_during(report, s, label)] if m and table[(s, label)].ok]
    if during:
        L.append("")
        L.append("RSS during the streamed 1 GiB transfers (before → peak while it ran, sampled "
                 "every 20 ms): " + "; ".join(during) + ".")
    L.append("")
    L.append("## Durability")
    L.append("")
    L.append("`nimbus` runs with the default durability (`--durability normal`: SQLite in WAL "
             "mode, every acknowledged write survives `kill -9`); `nimbus-ephemeral` runs with "
             "`--ephemeral` (state in private temporary directories, the database under /dev/shm; "
             "nothing survives exit). Ratios in the tables "
             "are against the default. Writes, default vs ephemeral:")
    L.append("")
    for label in report["ops"]:
        a, b = table[("nimbus", label)], table[("nimbus-ephemeral", label)]
        if a.ok and b.ok and any(w in label for w in ("put", "send", "batch", "publish",
                                                      "multipart", "delete")):
            L.append("- %s: %s req/s default, %s req/s ephemeral (%s×)" % (
                label, fmt_rps(a.rps), fmt_rps(b.rps), fmt_num(ratio(b.rps, a.rps), 2)))
    L.append("")
    L.extend(targets(report, table))
    prof = report.get("profile")
    for name, p in (prof or {}).items():
        L.append("## Where nimbus's time goes (%s)" % name)
        L.append("")
        if p.get("top"):
            L.append("`perf record -g` on the nimbus process (default durability) under "
                     "`nimbus-bench --operation %s`, flat profile (self time, symbols above "
                     "0.8%%):" % p["command"])
            L.append("")
            L.append("```")
            L.extend(re.sub(r"( -)+$", "", " ".join(l.split()))[:150] for l in p["top"])
            L.append("```")
        else:
            L.append("perf could not record: %s" % p.get("error"))
        L.append("")
    groups = {}  # the same error (request ids aside) on several cells is listed once
    for s in servers:
        for label in report["ops"]:
            c = table[(s, label)]
            if not c.ok and c.error:
                text = re.sub(r"<(RequestId|HostId|RequestID)>[^<]*</\1>", "", c.error)
                text = re.sub(r"(CreateQueue|CreateTable|CreateDomain) \S+:", r"\1:", text)
                text = re.sub(r"nimbus-bench-\S+", "", text)
                text = " ".join(text.split())[:170]
                groups.setdefault(text, []).append("%s %s" % (s, label))
    notes = ["- %s: %s" % ("; ".join(cells_), text) for text, cells_ in groups.items()]
    if notes:
        L.append("## Why cells are n/a or FAILED (first error of each)")
        L.append("")
        L.extend(notes)
        L.append("")
    with open(md_path, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
    write_svg(report, table, svg_path)


# Each issue's targets. Ratio targets apply to the request-bound operations the issue names;
# large transfers are bandwidth-bound and have the S3 issue's own MB/s target (30x moto's 1 MiB
# GET would be 15 GB/s, several times what nginx serves here).
S3_RATIO_OPS = ["s3-put 1 KiB", "s3-get 1 KiB", "s3-list 100 keys"]
S3_LARGE_OPS = ["s3-get 1 MiB", "s3-put 1 GiB stream", "s3-get 1 GiB stream"]
SQS_OPS = ["sqs-send 1 KiB", "sqs-send-batch 10×1 KiB", "sqs-receive-delete"]
SNS_OPS = ["sns-publish-only, 1 SQS", "sns-publish-only, 10 SQS"]
SDB_OPS = ["sdb-put", "sdb-get"]
SELECT_SCALING = ["sdb-select 10 of 1,000 items", "sdb-select 10 of 10,000 items",
                  "sdb-select 10 of 100,000 items"]
DDB_OPS = ["ddb-put 1 KiB", "ddb-get", "ddb-query 100 items", "ddb-batch-write 25"]


def targets(report, table):
    L = ["## Targets, issue by issue, and whether this run meets them", ""]
    servers = report["servers"]

    def line(ok, text):
        L.append("- %s %s" % ("**met**" if ok is True else "**MISSED**" if ok is False
                              else "**not measured**", text))

    def vs(peer, labels, factor):
        if peer not in servers:
            line(None, "nimbus ≥ %d× %s's requests/s (%s not available)" % (factor, peer, peer))
            return
        pairs = [(l, ratio(table[("nimbus", l)].rps, table[(peer, l)].rps)) for l in labels
                 if (peer, l) in table and table[(peer, l)].ok and table[("nimbus", l)].ok]
        if not pairs:
            line(None, "nimbus ≥ %d× %s's requests/s (no valid run of %s)" % (
                factor, peer, ", ".join(labels)))
            return
        line(all(r >= factor for _, r in pairs), "nimbus ≥ %d× %s's requests/s: " % (
            factor, peer) + ", ".join("%s ×%s" % (l, fmt_num(r, 1)) for l, r in pairs))

    ng = table.get(("nginx", "s3-get 1 KiB"))

    def vs_nginx(label):
        c = table.get(("nimbus", label))
        if not (ng and ng.ok and c and c.ok):
            return line(None, "%s ≥ 40%% of nginx's 1 KiB requests/s: no valid run" % label)
        share = c.rps / ng.rps
        line(share >= 0.4, "%s ≥ 40%% of nginx's 1 KiB requests/s: %s%% (%s vs %s)" % (
            label, fmt_num(share * 100, 0), fmt_num(c.rps), fmt_num(ng.rps)))

    L += ["### S3 (issue 3)", ""]
    vs_nginx("s3-get 1 KiB")
    c = table.get(("nimbus", "s3-get 1 KiB"))
    if ng and ng.ok and c and c.ok and c.cpu is not None and ng.cpu:
        line(c.cpu / ng.cpu <= 2.5, "s3-get 1 KiB server CPU per request ≤ 2.5× nginx's: %s× "
             "(%s µs vs %s µs)" % (fmt_num(c.cpu / ng.cpu, 1), fmt_num(c.cpu, 1),
                                   fmt_num(ng.cpu, 1)))
    vs("moto", S3_RATIO_OPS, 30)
    vs("s3rver", S3_RATIO_OPS, 10)
    for label in S3_LARGE_OPS:
        c = table.get(("nimbus", label))
        if c and c.ok:
            line(c.bps > 500e6, "%s above 500 MB/s: %s MB/s" % (label, fmt_num(c.bps / 1e6, 0)))
        else:
            line(None, "%s above 500 MB/s: no valid run" % label)
    for label in STREAM_OPS:
        m = rss_during(report, "nimbus", label)
        if m and table[("nimbus", label)].ok:
            line(m[1] - m[0] < 32 * MIB, "memory flat during %s: %s MiB before, peak %s MiB "
                 "while it ran (flat: < 32 MiB growth)" % (label, fmt_num(m[0] / MIB, 1),
                                                            fmt_num(m[1] / MIB, 1)))
        else:
            line(None, "memory flat during %s: no valid run" % label)

    L += ["", "### SQS (issue 4)", ""]
    vs("moto", SQS_OPS, 30)
    vs_nginx("sqs-send 1 KiB")
    c = table.get(("nimbus", "sqs-longpoll-latency"))
    if c and c.ok:
        line(c.p99 < 5, "long-poll wake-up latency under 5 ms (send → parked poll answered): "
             "p99 %s ms, median %s ms" % (fmt_num(c.p99, 2), fmt_num(c.p50, 2)))
    else:
        line(None, "long-poll wake-up latency under 5 ms: no valid run")

    L += ["", "### SNS (issue 5)", ""]
    vs("moto", SNS_OPS, 30)

    L += ["", "### SimpleDB (issue 6)", ""]
    vs("moto", SDB_OPS, 30)
    rows = [(l, table.get(("nimbus", l))) for l in SELECT_SCALING]
    rows = [(l, c) for l, c in rows if c and c.ok]
    if len(rows) == len(SELECT_SCALING):
        growth = (rows[-1][1].cpu / rows[0][1].cpu
                  if rows[0][1].cpu and rows[-1][1].cpu is not None else None)
        line(growth is not None and growth <= 2, "Select latency grows with the result, not the "
             "domain: server CPU per Select of 10 items %s (×%s from 1,000 to 100,000 items, "
             "100× the domain)" % (", ".join("%s µs (p50 %s ms) at %s" % (
                 fmt_num(c.cpu, 0), fmt_num(c.p50, 2), l.split(" of ")[1]) for l, c in rows),
                 fmt_num(growth, 2)))
    else:
        line(None, "Select latency against the domain size: no valid run")

    L += ["", "### DynamoDB (issue 7)", ""]
    vs("moto", DDB_OPS, 30)
    vs("dynalite", DDB_OPS, 3)
    vs_nginx("ddb-get")

    L += ["", "### Whole server (the brief)", ""]
    info = servers.get("nimbus", {})
    idle = info.get("idle", {}).get("VmRSS", 0)
    if info:
        line(info["startup_s"] < 0.05, "start-up under 50 ms: %s ms (process start to the first "
             "answered /_nimbus/health)" % fmt_num(info["startup_s"] * 1e3, 1))
        line(idle < 20 * MIB, "idle RSS under 20 MiB: %s MiB" % fmt_num(idle / MIB, 1))
    L.append("")
    return L


if __name__ == "__main__":
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, ".cache", "results.json")
    with open(src) as f:
        data = json.load(f)
    write(data, os.path.join(HERE, "RESULTS.md"), os.path.join(HERE, "results.svg"))
