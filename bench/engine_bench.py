#!/usr/bin/env python3
"""Real containers for `make bench`: our docker-cloud + docker-cloud-server driving a private dockerd,
beside the peers a user would pick instead, against the same daemon in the same run:
  - ten containers running:  `service run --sync -t 10`   vs Swarm `docker service create --replicas 10`
                             and ten parallel `docker run -d`
  - ten replaced:            `service redeploy --sync`     vs Swarm `service update --force --update-parallelism 0`
  - all gone:                `service terminate --sync`    vs Swarm `service rm`
  - one create+start:        the server's overhead over the same two raw Engine API calls
Each peer is timed from its command to the state reached on the engine (polled over the Engine API
every 20 ms), medians of --rounds runs. Swarm runs with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 and
--no-resolve-image, as ../shared/reference/peers.md found necessary offline, and with --init.
Usage: engine_bench.py --ours BIN --server BIN --dockerd-sh Tests/engine/dockerd.sh [--rounds N]"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchserver  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--ours", required=True)
p.add_argument("--server", required=True)
p.add_argument("--dockerd-sh", required=True)
p.add_argument("--rounds", type=int, default=3)
args = p.parse_args()
DOCKER = shutil.which("docker")
IMAGE = "local/busybox:latest"


def say(s=""):
    print(s, flush=True)


why = subprocess.run(["bash", args.dockerd_sh, "check"], capture_output=True, text=True)
if why.returncode != 0:
    say("engine benchmarks skipped: " + why.stdout.strip())
    sys.exit(0)

engine_dir = tempfile.mkdtemp(prefix="dk.b", dir="/tmp")
work = tempfile.mkdtemp(prefix="engine-bench-")
server = None
swarm = False


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.path)
        self.sock = s


def engine(method, path, body=None):
    c = UnixHTTP(sock)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data and r.getheader("Content-Type", "").startswith("application/json") else data)


def q(d):
    return urllib.parse.quote(json.dumps(d))


def running(label):
    _, cs = engine("GET", "/containers/json?filters=" + q({"label": [label], "status": ["running"]}))
    return cs


def every(label):
    _, cs = engine("GET", "/containers/json?all=1&filters=" + q({"label": [label]}))
    return cs


def wait_until(check, limit=120):
    deadline = time.time() + limit
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.02)
    raise SystemExit("benchmark: a state was not reached within %d s" % limit)


def timed(command, check, env=None):
    """Seconds from running `command` to `check()` holding on the engine (the command finished too)."""
    t0 = time.time()
    r = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("benchmark: %s failed: %s" % (" ".join(command[:4]), r.stderr.strip()[-300:]))
    wait_until(check)
    return time.time() - t0, r.stdout


def cleanup():
    if server and server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    if swarm:
        subprocess.run([DOCKER, "-H", "unix://" + sock, "swarm", "leave", "--force"], capture_output=True)
    subprocess.run(["bash", args.dockerd_sh, "stop", engine_dir], capture_output=True)
    # Swarm's gateway bridge outlives the daemon (peers.md).
    subprocess.run(["ip", "link", "del", "docker_gwbridge"], capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


try:
    env = dict(os.environ, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE="1")
    started = subprocess.run(["bash", args.dockerd_sh, "start", engine_dir], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit("benchmark: dockerd did not start: " + started.stderr[-500:])
    sock = started.stdout.strip().splitlines()[-1]
    dk = [DOCKER, "-H", "unix://" + sock] if DOCKER else None

    server, port, cli_env = benchserver.start(args.server, work + "/state", work, ["--engine", "unix://" + sock])
    dc = [args.ours]

    results = {}

    def record(key, seconds):
        results.setdefault(key, []).append(seconds)

    say("engine benchmarks: %d rounds against one private dockerd (%s)" % (args.rounds, sock))
    for r in range(args.rounds):
        name = "b%d" % r
        label = None

        def ours_running(n):
            return lambda: len(running(label)) == n

        t, out = timed(dc + ["service", "create", "-n", name, "-t", "10", "--run-command", "sleep 1000", IMAGE], lambda: True, cli_env)
        uuid = out.strip().splitlines()[-1]
        label = "io.dockercloud.service=" + uuid
        t, _ = timed(dc + ["service", "start", "--sync", uuid], ours_running(10), cli_env)
        record("ours: 10 running", t)
        before = {c["Id"] for c in running(label)}
        t, _ = timed(dc + ["service", "redeploy", "--sync", uuid],
                     lambda: len(running(label)) == 10 and not ({c["Id"] for c in running(label)} & before), cli_env)
        record("ours: 10 replaced", t)
        t, _ = timed(dc + ["service", "terminate", "--sync", uuid], lambda: not every(label), cli_env)
        record("ours: 10 gone", t)

        if dk:
            # Ten parallel `docker run -d`, the plain engine's answer.
            plain = "bench.plain=%d" % r
            runs = " & ".join("%s run -d --init --network none --label %s %s sleep 1000 >/dev/null" % (" ".join(dk), plain, IMAGE) for _ in range(10))
            t, _ = timed(["sh", "-c", runs + "; wait"], lambda: len(running(plain)) == 10)
            record("docker run -d x10 (parallel): 10 running", t)
            ids = [c["Id"] for c in every(plain)]
            subprocess.run(dk + ["rm", "-f"] + ids, capture_output=True)

    if dk:
        if subprocess.run(dk + ["swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377"], capture_output=True).returncode == 0:
            swarm = True
            for r in range(args.rounds):
                svc = "w%d" % r
                label = "com.docker.swarm.service.name=" + svc
                t, _ = timed(dk + ["service", "create", "-d", "--no-resolve-image", "--init", "--name", svc, "--replicas", "10", IMAGE, "sleep", "1000"],
                             lambda: len(running(label)) == 10)
                record("swarm: 10 running", t)
                before = {c["Id"] for c in running(label)}
                t, _ = timed(dk + ["service", "update", "-d", "--force", "--no-resolve-image", "--update-parallelism", "0", svc],
                             lambda: len(running(label)) == 10 and not ({c["Id"] for c in running(label)} & before))
                record("swarm: 10 replaced", t)
                t, _ = timed(dk + ["service", "rm", svc], lambda: not every(label))
                record("swarm: 10 gone", t)
        else:
            say("swarm could not be initialised on this daemon: swarm rows left out")

    # One container: raw Engine API create+start vs the same through the server's API.
    import base64
    auth = "Basic " + base64.b64encode(b"bench:benchkey").decode()

    def api(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Authorization": auth, "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data) if data else None

    for r in range(max(5, args.rounds)):
        lab = "bench.raw=%d" % r
        t0 = time.time()
        st, created = engine("POST", "/containers/create?name=raw%d" % r, {"Image": IMAGE, "Cmd": ["sleep", "1000"], "Labels": {"bench.raw": str(r)},
                                                                        "HostConfig": {"Init": True}})
        engine("POST", "/containers/%s/start" % created["Id"])
        record("raw Engine API: 1 create+start", time.time() - t0)
        engine("DELETE", "/containers/%s?force=1" % created["Id"])

        st, svc = api("POST", "/api/app/v1/bench/service/", {"name": "one%d" % r, "image": IMAGE, "run_command": "sleep 1000"})
        t0 = time.time()
        api("POST", "/api/app/v1/bench/service/%s/start/" % svc["uuid"])
        while True:
            _, s = api("GET", "/api/app/v1/bench/service/%s/" % svc["uuid"])
            if s["state"] == "Running":
                break
            time.sleep(0.005)
        record("server API: 1 container running", time.time() - t0)
        api("POST", "/api/app/v1/bench/service/%s/stop/" % svc["uuid"])
        api("DELETE", "/api/app/v1/bench/service/%s/" % svc["uuid"])

    def med(k):
        return statistics.median(results[k]) if k in results else None

    say()
    say("| what | ours | Swarm | ratio (Swarm / ours) | 10 x docker run -d |")
    say("|---|---|---|---|---|")
    for what in ["10 running", "10 replaced", "10 gone"]:
        o, s = med("ours: " + what), med("swarm: " + what)
        plain = med("docker run -d x10 (parallel): 10 running") if what == "10 running" else None
        say("| %s | %.2f s | %s | %s | %s |" % (what, o, "%.2f s" % s if s else "-", "%.2fx" % (s / o) if s else "-", "%.2f s" % plain if plain else ""))
    raw, ours = med("raw Engine API: 1 create+start"), med("server API: 1 container running")
    say()
    say("one container: raw Engine API create+start %.0f ms, through the server %.0f ms: overhead %+.0f%% (target within 10%%)"
        % (raw * 1000, ours * 1000, (ours / raw - 1) * 100))
    say("(medians; every run: %s)" % json.dumps({k: [round(x, 3) for x in v] for k, v in results.items()}))
finally:
    cleanup()
