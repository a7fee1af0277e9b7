"""Starts a docker-cloud-server on a free loopback port for the benchmarks, and the environment
that points docker-cloud at it (user bench, key benchkey)."""
import os
import subprocess
import threading


def start(server_bin, data_dir, home, extra):
    """Returns (process, port, cli_env); the port is read from the export lines it prints."""
    server = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--user", "bench:benchkey",
                               "--log-level", "error", "--quota", "service=100000", "--quota", "container=100000"] + extra, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    port = None
    for line in server.stdout:
        line = line.decode()
        if "listening on http://127.0.0.1:" in line:
            port = int(line.split("127.0.0.1:")[1].split()[0].strip("/"))
            break
    if not port:
        server.kill()
        raise SystemExit("benchmark: the server did not start")
    # Keep reading its output, so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    env = dict(os.environ, DOCKERCLOUD_REST_HOST="http://127.0.0.1:%d/" % port, DOCKERCLOUD_STREAM_HOST="ws://127.0.0.1:%d/" % port,
               DOCKERCLOUD_USER="bench", DOCKERCLOUD_APIKEY="benchkey", HOME=home, NO_COLOR="1")
    return server, port, env
