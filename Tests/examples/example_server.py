#!/usr/bin/env python3
"""A Docker Cloud API server that answers ONLY with the example objects of the API documents.

It reads ../shared/seeds/000_* and 001_* (or SEEDS_DIR) at start, takes each resource's "Example"
object verbatim, and serves it as the only member of its collection and as the object behind its
own resource_uri. It knows nothing of our server: it is the contract as documented, so a client that
works here works with any server that answers like the documents.

Control (for the test driver, on the same port):
  POST /__mutate?kind=service&attr=public_dns&how=drop|null   the next answers lack that attribute
  POST /__mutate                                               back to the verbatim examples
Requests are logged to stderr only with --verbose. Listens on 127.0.0.1 only.
"""
import argparse
import copy
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# Section heading in the documents -> (subsystem, endpoint) of the collection it documents.
SECTIONS = {
    "Container": ("app", "container"),
    "Service": ("app", "service"),
    "Stack": ("app", "stack"),
    "Service triggers": ("app", "trigger"),
    "Node": ("infra", "node"),
    "Node Cluster": ("infra", "nodecluster"),
    "Provider": ("infra", "provider"),
    "Region": ("infra", "region"),
    "Availability Zone": ("infra", "az"),
    "Node Type": ("infra", "nodetype"),
    "Registry": ("repo", "registry"),
    "External Repository": ("repo", "repository"),
    "Action": ("audit", "action"),
}


def json_after(text, start):
    """The JSON object starting at the first '{' from start. The documents' JSON is as written by
    hand: one example (External Repository) has a trailing comma, which a lenient read forgives."""
    begin = text.index("{", start)
    depth, i, in_string, escaped = 0, begin, False, False
    while True:
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                break
        i += 1
    raw = text[begin:i + 1]
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", raw))


def load_examples(seeds_dir):
    """{endpoint: example object} from the documents: the object after '<Heading>' then 'Example'."""
    examples = {}
    for name in sorted(os.listdir(seeds_dir)):
        if not (name.startswith("000_") or name.startswith("001_")):
            continue
        text = open(os.path.join(seeds_dir, name), encoding="utf-8").read()
        lines = text.split("\n")
        offsets, pos = [], 0
        for line in lines:
            offsets.append(pos)
            pos += len(line) + 1
        for k, line in enumerate(lines):
            heading = line.strip().lstrip("#").strip()
            if heading not in SECTIONS or SECTIONS[heading][1] in examples:
                continue
            # Within a few lines: "Example" (plain-text document) or "> Example" (markdown one).
            for j in range(k + 1, min(k + 4, len(lines))):
                if lines[j].strip().lstrip(">").strip() == "Example":
                    examples[SECTIONS[heading][1]] = json_after(text, offsets[j])
                    break
    return examples


def strip_namespace(path):
    """/api/app/v1/NS/service/... -> /api/app/v1/service/... (the documents' URIs carry a namespace)."""
    parts = path.strip("/").split("/")
    if len(parts) >= 4 and parts[0] == "api":
        endpoints = {e for (_, e) in SECTIONS.values()}
        if parts[3] not in endpoints and len(parts) > 4 and parts[4] in endpoints:
            del parts[3]
    return "/" + "/".join(parts) + "/"


class State:
    def __init__(self, examples):
        self.examples = examples
        self.mutation = None  # (endpoint, attr, how)
        self.lock = threading.Lock()

    def objects(self, endpoint):
        with self.lock:
            obj = copy.deepcopy(self.examples.get(endpoint))
            mutation = self.mutation
        if obj is None:
            return []
        if mutation and mutation[0] == endpoint:
            _, attr, how = mutation
            if how == "drop":
                obj.pop(attr, None)
            else:
                obj[attr] = None
        return [obj]


def matches(obj, key, value):
    """The documents' filters that a lookup uses: equality on an attribute, and uuid__startswith."""
    if key in ("limit", "offset"):
        return True
    if key.endswith("__startswith"):
        return str(obj.get(key[: -len("__startswith")], "")).startswith(value)
    if "__" in key:
        return True  # across relations (stack__name): the one example is taken to match
    if key not in obj:
        return True
    current = obj[key]
    if isinstance(current, bool):
        return str(current).lower() == value.lower()
    return str(current if current is not None else "") == value


def make_handler(state, verbose):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes: without this, Nagle and delayed ACKs cost 40 ms each.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            if verbose:
                sys.stderr.write("example-server: " + (fmt % args) + "\n")

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if url.path == "/__mutate":
                q = dict(parse_qsl(url.query))
                with state.lock:
                    state.mutation = (q["kind"], q["attr"], q.get("how", "drop")) if "kind" in q else None
                return self.answer(200, {})
            self.answer(405, {"error": "This server answers only GET with the documents' examples"})

        def do_PATCH(self):
            self.do_POST()

        def do_DELETE(self):
            self.do_POST()

        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qsl(url.query)
            # "a//b" is "a/b", as for the web servers in front of the API (1.0.9 joins URIs with a slash too many).
            parts = [p for p in strip_namespace(url.path).split("/") if p]
            if len(parts) < 4 or parts[0] != "api":
                return self.answer(404, {"error": "Not found"})
            endpoint = parts[3]
            rest = parts[4:]
            if endpoint == "service" and len(rest) >= 2 and rest[1] == "trigger":
                # Triggers live under their service: /api/app/v1/service/<uuid>/trigger/[<uuid>/]
                endpoint, rest = "trigger", rest[2:]
            objects = state.objects(endpoint)
            if not objects and endpoint not in state.examples:
                return self.answer(404, {"error": "Not found"})
            if not rest:
                selected = [o for o in objects if all(matches(o, k, v) for k, v in query)]
                limit = int(dict(query).get("limit", "25"))
                offset = int(dict(query).get("offset", "0"))
                page = selected[offset:offset + limit]
                return self.answer(200, {"meta": {"limit": limit, "offset": offset, "next": None, "previous": None,
                                                  "total_count": len(selected)}, "objects": page})
            # One object: the example, when the path names it (its uuid, or its resource_uri's tail).
            wanted = "/".join(rest)
            for o in objects:
                uri = strip_namespace(o.get("resource_uri") or "")
                if o.get("uuid") == rest[0] or uri.rstrip("/").endswith("/" + wanted) or o.get("name") == wanted:
                    return self.answer(200, o)
            return self.answer(404, {"error": "Not found"})

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client closing its kept-alive connection is not an error worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default=os.environ.get("SEEDS_DIR", os.path.join(here, "..", "..", "..", "shared", "seeds")))
    p.add_argument("--port-file", required=True)
    p.add_argument("--dump", action="store_true", help="print the examples found and exit")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    examples = load_examples(args.seeds)
    if args.dump:
        print(json.dumps(examples, indent=2, sort_keys=True))
        return
    missing = sorted({e for (_, e) in SECTIONS.values()} - set(examples))
    if missing:
        sys.exit("example-server: the documents have no example for: " + ", ".join(missing))
    server = QuietServer(("127.0.0.1", 0), make_handler(State(examples), args.verbose))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
