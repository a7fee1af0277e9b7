#!/usr/bin/env python3
"""CLI benchmarks for `make bench`: our docker-cloud against the original docker-cloud 1.0.9 (when
installed), both driving the same local docker-cloud-server in the same run, so ratios hold on a
shared, noisy machine. Reports median wall time and median peak memory (ru_maxrss of each child):
  - `docker-cloud --version`                 (targets: <= 10 ms, <= 15 MB, >= 20x faster than 1.0.9)
  - `service ps` / `container ps` at a tenth of the data and at the full size (10,000 services,
    30,000 containers by default)           (target: >= 10x faster; memory flat in the number of pages)
  - the same two beside curl fetching the very pages ours fetched (taken from ours' --debug lines),
    one after another over one kept-alive connection: the cost of the pages alone (target: ours
    within 1.5x of it)
Each run goes through bench/peak.c (a real fork, so a child's peak memory is its own: Python's
subprocess uses vfork, which would charge the benchmark's own memory to the child).
Usage: cli_bench.py --peak BIN --ours BIN --server BIN [--original LAUNCHER] [--services N]"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchserver  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--peak", required=True)
p.add_argument("--ours", required=True)
p.add_argument("--server", required=True)
p.add_argument("--original")
p.add_argument("--services", type=int, default=10000)
args = p.parse_args()
if args.original and not os.access(args.original, os.X_OK):
    args.original = None


def say(s=""):
    print(s, flush=True)


# --- a server of our own on loopback
work = tempfile.mkdtemp(prefix="cli-bench-")
server, port, env = benchserver.start(args.server, work + "/state", work, ["--nodes", "10", "--delay", "0"])
AUTH = {"Authorization": "Basic YmVuY2g6YmVuY2hrZXk=", "Content-Type": "application/json"}


def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=AUTH)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return json.loads(data) if data else None


def populate(first, last):
    """Services first..last-1 with three containers each, created and started over 4 connections."""
    def worker(indexes):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in indexes:
            s = call(conn, "POST", "/api/app/v1/service/", {"image": "busybox", "name": "svc%05d" % i, "target_num_containers": 3})
            call(conn, "POST", s["resource_uri"] + "start/")
    threads = [threading.Thread(target=worker, args=(range(first + k, last, 4),)) for k in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    deadline = time.time() + 900
    while time.time() < deadline:
        running = call(conn, "GET", "/api/app/v1/container/?state=Running&limit=1")["meta"]["total_count"]
        if running >= 3 * last:
            return
        time.sleep(1)
    raise RuntimeError("containers did not start in time")


def measure(argv, runs):
    """Median wall ms and median peak RSS MB of `runs` runs; fails on a non-zero exit."""
    walls, peaks = [], []
    for _ in range(runs):
        done = subprocess.run([args.peak] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        *errors, last = done.stderr.decode().strip().split("\n")
        ms, kb, status = last.split()
        if status != "0":
            raise RuntimeError("%s exited with %s: %s" % (" ".join(argv), status, "\n".join(errors)[:300]))
        walls.append(float(ms))
        peaks.append(int(kb) / 1024)
    return statistics.median(walls), statistics.median(peaks)


def pages_of(argv):
    """The URLs a docker-cloud command fetched, in order (from its --debug request lines)."""
    done = subprocess.run([args.ours, "--debug"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=True)
    return [l.split(" GET ", 1)[1].strip() for l in done.stderr.decode().splitlines() if l.startswith("DEBUG: request: GET ")]


def curl_argv(urls):
    """curl fetching `urls` one after another on one connection; the credentials from a netrc file
    (never on its command line)."""
    netrc = os.path.join(work, "netrc")
    if not os.path.exists(netrc):
        with open(os.open(netrc, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("machine 127.0.0.1 login bench password benchkey\n")
    argv = [CURL, "--silent", "--fail", "--netrc-file", netrc, "-H", "Accept: application/json"]
    for u in urls:
        argv += [u, "-o", "/dev/null"]
    return argv


def row(label, ours, original, target=None):
    line = "%-34s ours %9.1f ms %6.1f MB" % (label, ours[0], ours[1])
    if original:
        line += "   1.0.9 %9.1f ms %6.1f MB   %5.1fx faster" % (original[0], original[1], original[0] / ours[0])
    if target:
        line += "   (target %s)" % target
    say(line)


CURL = shutil.which("curl")

try:
    say("CLI benchmarks (median wall time, median peak RSS; the same server and machine for both)")
    if not CURL:
        say("(curl is not installed: the comparison with the pages' own cost is left out)")
    if not args.original:
        say("(docker-cloud 1.0.9 is not installed: run ../shared/reference/original/install.sh .build/reference for ratios)")
    ours_v = measure([args.ours, "--version"], 40)
    orig_v = measure([args.original, "--version"], 10) if args.original else None
    row("docker-cloud --version", ours_v, orig_v, "<= 10 ms, <= 15 MB, >= 20x")
    results = {}
    for size in (args.services // 10, args.services):
        started = time.time()
        populate(0 if size == args.services // 10 else args.services // 10, size)
        say("\n%d services, %d containers (populated in %.0f s)" % (size, 3 * size, time.time() - started))
        for cmd in (["service", "ps"], ["container", "ps"]):
            ours = measure([args.ours] + cmd, 5)
            orig = measure([args.original] + cmd, 1) if args.original else None
            results[(size, cmd[0])] = ours
            row("docker-cloud " + " ".join(cmd), ours, orig, ">= 10x")
            if CURL:
                urls = pages_of(cmd)
                peer = measure(curl_argv(urls), 5)
                say("%-34s curl %9.1f ms (the same %d pages)   ours/curl %.2fx   (target <= 1.5x)"
                    % ("  beside curl", peer[0], len(urls), ours[0] / peer[0]))
    small, big = args.services // 10, args.services
    for noun in ("service", "container"):
        a, b = results[(small, noun)], results[(big, noun)]
        say("%s ps memory: %.1f MB at %d objects, %.1f MB at %d (%.1fx the memory for 10x the rows and pages)"
            % (noun, a[1], small * (1 if noun == "service" else 3), b[1], big * (1 if noun == "service" else 3), b[1] / a[1]))
finally:
    server.terminate()
    server.wait()
    subprocess.run(["rm", "-rf", work])
