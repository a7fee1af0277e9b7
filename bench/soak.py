#!/usr/bin/env python3
"""Soak: many clients creating, listing and streaming against one server for a bounded time.

Usage: soak.py SERVER_BINARY [--seconds 60] [--writers 16] [--readers 8] [--subscribers 16]

Writers create a service and start it; readers list services and containers (pages of 100);
subscribers hold an events websocket each. Reports requests per second, p50/p99 latency per kind,
errors (any answer >= 500 or a dropped connection), events received, and the server's peak
resident memory (VmHWM). Exit status 1 on any error.
"""
import argparse, base64, http.client, json, os, socket, statistics, subprocess, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("server")
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--writers", type=int, default=16)
ap.add_argument("--readers", type=int, default=8)
ap.add_argument("--subscribers", type=int, default=16)
args = ap.parse_args()

data = "/tmp/dc-soak-%d" % os.getpid()
proc = subprocess.Popen([args.server, "--listen", "127.0.0.1:0", "--data-dir", data, "--user", "soak:soakkey",
                         "--nodes", "4", "--delay", "5", "--quota", "service=100000", "--quota", "container=100000"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = None
for line in proc.stdout:
    if "listening on http://127.0.0.1:" in line:
        port = int(line.split("127.0.0.1:")[1].split()[0])
        break
threading.Thread(target=proc.stdout.read, daemon=True).start()
auth = "Basic " + base64.b64encode(b"soak:soakkey").decode()
deadline = time.time() + args.seconds
lock = threading.Lock()
latencies = {"create": [], "start": [], "list": [], "ping": []}
errors = []
events = [0]


def call(conn, method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Authorization": auth, "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def timed(kind, conn, method, path, body=None):
    t = time.perf_counter()
    status, payload = call(conn, method, path, body)
    ms = (time.perf_counter() - t) * 1000
    with lock:
        latencies[kind].append(ms)
        if status >= 500:
            errors.append("%s %s: %d" % (method, path, status))
    return status, payload


def writer(w):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    try:
        while time.time() < deadline:
            i += 1
            status, body = timed("create", conn, "POST", "/api/app/v1/service/", {"image": "busybox", "name": "s%d-%d" % (w, i),
                                                                                    "run_command": "echo hello; sleep 3600"})
            if status == 201:
                timed("start", conn, "POST", "/api/app/v1/service/%s/start/" % json.loads(body)["uuid"])
    except Exception as e:
        with lock:
            errors.append("writer %d: %r" % (w, e))


def reader(r):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.time() < deadline:
            timed("list", conn, "GET", "/api/app/v1/service/?limit=100")
            timed("list", conn, "GET", "/api/app/v1/container/?limit=100")
    except Exception as e:
        with lock:
            errors.append("reader %d: %r" % (r, e))


def pinger():
    """The peer, measured under the same load: GET /_ping, the cheapest request the server answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.time() < deadline:
            timed("ping", conn, "GET", "/_ping")
            time.sleep(0.01)
    except Exception as e:
        with lock:
            errors.append("pinger: %r" % (e,))


def subscriber(s):
    """A bare websocket client: the handshake, then server frames (never masked) counted."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(("GET /api/audit/v1/events/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: %s\r\n\r\n" % (port, key, auth)).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(4096)
        head, buf = buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.split(b"\r\n")[0].decode())
        sock.settimeout(1)
        while time.time() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise RuntimeError("the server closed the stream")
            buf += chunk
            while len(buf) >= 2:
                n, off = buf[1] & 0x7F, 2
                if n == 126:
                    if len(buf) < 4: break
                    n, off = int.from_bytes(buf[2:4], "big"), 4
                elif n == 127:
                    if len(buf) < 10: break
                    n, off = int.from_bytes(buf[2:10], "big"), 10
                if len(buf) < off + n:
                    break
                if buf[0] & 0x0F == 1:
                    with lock:
                        events[0] += 1
                elif buf[0] & 0x0F == 9:  # ping: answer with a masked pong
                    payload = buf[off:off + n]
                    sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                buf = buf[off + n:]
        sock.close()
    except Exception as e:
        with lock:
            errors.append("subscriber %d: %r" % (s, e))


threads = [threading.Thread(target=subscriber, args=(i,)) for i in range(args.subscribers)]
threads += [threading.Thread(target=writer, args=(i,)) for i in range(args.writers)]
threads += [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
threads += [threading.Thread(target=pinger)]
start = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - start
peak = "?"
with open("/proc/%d/status" % proc.pid) as f:
    for line in f:
        if line.startswith("VmHWM:"):
            peak = "%.0f MB" % (int(line.split()[1]) / 1024)
with open("/proc/%d/stat" % proc.pid) as f:
    fields = f.read().rsplit(")", 1)[1].split()
server_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
client_cpu = sum(os.times()[:2])
proc.terminate()
proc.wait()
subprocess.run(["rm", "-rf", data])
total = sum(len(v) for v in latencies.values())


def pct(v, p):
    return sorted(v)[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


print("soak: %.0f s, %d writers, %d readers, %d event subscribers: %d requests = %.0f/s, %d events received, peak RSS %s, %d errors"
      % (elapsed, args.writers, args.readers, args.subscribers, total, total / elapsed, events[0], peak, len(errors)))
print("soak: CPU used, server %.1f s (%.2f cores), this load generator %.1f s (%.2f cores): where the time went"
      % (server_cpu, server_cpu / elapsed, client_cpu, client_cpu / elapsed))
for kind, v in latencies.items():
    if v:
        ratio = "" if kind == "ping" or not latencies["ping"] else ", p50 %.0fx the ping's" % (statistics.median(v) / statistics.median(latencies["ping"]))
        print("soak: %-6s %6d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms%s" % (kind, len(v), statistics.median(v), pct(v, 0.99), max(v), ratio))
for e in errors[:10]:
    print("soak ERROR " + e)
raise SystemExit(1 if errors else 0)
