"""A recording HTTP proxy on loopback, put between a CLI and docker-cloud-server: every request is
forwarded unchanged and appended to LOG as one JSON line {"method", "path", "body"} (path with its
query string, body as text) before its answer goes back, so LOG is the exact sequence a CLI sent.
LOG is reopened for every request: truncating it between runs starts a new recording.
Usage: record_proxy.py UPSTREAM_PORT LOG   (prints its own port on stdout, then serves)"""
import http.client
import http.server
import json
import sys
import threading

upstream_port, log_path = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock, open(log_path, "a") as log:
            log.write(json.dumps({"method": self.command, "path": self.path,
                                  "body": body.decode("utf-8", "replace")}) + "\n")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response_only(answer.status, answer.reason)
            for k, v in answer.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = relay


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
