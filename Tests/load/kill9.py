#!/usr/bin/env python3
"""kill -9 in the middle of a load: every write the server acknowledged is there after a restart,
and nothing half-written is.

Usage: kill9.py SERVER_BINARY [ROUNDS]

Each round: a server on a fresh data directory; 8 client threads create services (and start every
other one) as fast as it answers; after 1.0-2.5 s the server gets SIGKILL; a new server on the same
directory must list every service whose create was answered 201, each one whole (its image, its
target count), no container of a service that is not there, and every acknowledged start recorded.
"""
import base64, http.client, json, os, random, shutil, signal, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
auth = "Basic " + base64.b64encode(b"load:loadkey").decode()
failures = []


def start(data):
    p = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--data-dir", data, "--user", "load:loadkey",
                          "--nodes", "2", "--delay", "5", "--quota", "service=100000", "--quota", "container=100000"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if "listening on http://127.0.0.1:" in line:
            port = int(line.split("127.0.0.1:")[1].split()[0].rstrip("/)"))
            threading.Thread(target=lambda: p.stdout.read(), daemon=True).start()
            return p, port
    raise SystemExit("kill9: the server did not start")


def call(conn, method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Authorization": auth, "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


for rnd in range(1, rounds + 1):
    data = tempfile.mkdtemp(prefix="dc-kill9-")
    server, port = start(data)
    acked, started, lock, stop = [], [], threading.Lock(), threading.Event()

    def writer(w):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                status, body = call(conn, "POST", "/api/app/v1/service/",
                                    {"image": "busybox", "name": "r%d-w%d-%d" % (rnd, w, i), "target_num_containers": 2})
                if status != 201:
                    continue
                uuid = json.loads(body)["uuid"]
                with lock:
                    acked.append(uuid)
                if i % 2 == 0:
                    status, _ = call(conn, "POST", "/api/app/v1/service/%s/start/" % uuid)
                    if status == 202:
                        with lock:
                            started.append(uuid)
            except Exception:
                return  # the server is gone

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(8)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(1.0, 2.5))
    server.send_signal(signal.SIGKILL)
    killed_at = len(acked)
    server.wait()
    stop.set()
    for t in threads:
        t.join(15)
    server, port = start(data)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    services, offset = {}, 0
    while True:
        status, body = call(conn, "GET", "/api/app/v1/service/?limit=1000&offset=%d" % offset)
        page = json.loads(body)["objects"]
        services.update({s["uuid"]: s for s in page})
        if len(page) < 1000:
            break
        offset += 1000
    lost = [u for u in acked if u not in services]
    broken = [u for u, s in services.items() if s.get("image_name") != "busybox:latest" or s.get("target_num_containers") != 2]
    not_started = [u for u in started if u in services and services[u].get("state") == "Not running"]
    status, body = call(conn, "GET", "/api/app/v1/container/?limit=1000")
    orphans = [c["name"] for c in json.loads(body)["objects"] if c["service"].rstrip("/").split("/")[-1] not in services]
    print("kill9 round %d: %d creates acknowledged (%d starts) before SIGKILL, %d services after restart; "
          "lost %d, half-written %d, acknowledged starts not recorded %d, orphan containers %d"
          % (rnd, len(acked), len(started), len(services), len(lost), len(broken), len(not_started), len(orphans)))
    if len(acked) < 20:
        failures.append("round %d: the load did not run (%d creates)" % (rnd, len(acked)))
    for what, items in (("lost", lost), ("half-written", broken), ("start lost", not_started), ("orphan", orphans)):
        if items:
            failures.append("round %d: %s: %s" % (rnd, what, items[:5]))
    server.send_signal(signal.SIGTERM)
    server.wait()
    shutil.rmtree(data, ignore_errors=True)

for f in failures:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
