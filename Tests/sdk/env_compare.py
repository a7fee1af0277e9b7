"""Compares one run of docker-cloud 1.0.9 with one run of ours on the same command line, each from the
same server state, for env_side_by_side.sh. Each directory holds out, err, rc and reqs.jsonl (the
requests record_proxy.py saw: method, path with query, body).
Usage: env_compare.py ORIGINAL_DIR OURS_DIR [--sync] [--crash | --crash-any] [--rc ORIGINAL:OURS] [--no-write]

--no-write also asserts that neither run sent anything but GETs (nothing left to change).
Equal means: the same exit code (or the pair --rc names, for a deliberate difference), the same
stdout and stderr, and the same requests in the same order with the same bodies. Only these
differences are allowed, each one justified:
- the query of a GET: parameters in any order (1.0.9 under Python 2 ordered them by hash), our
  paging's limit/offset (README: every list is paged) left out;
- a JSON body compared as JSON (Python 2 wrote object keys in hash order); arrays keep their order;
- --sync: both poll the action until it ends, 1.0.9 every 4 s writing the states on stdout, ours
  every 50 ms writing them on stderr (README: stdout stays the uuids): repeated GETs of the same
  action count once, the state lines are left out, and action uuids (new in each run) are
  compared as ACTION;
- an API error: 1.0.9 wrote `Status 404 (GET URL). Response: BODY`, ours writes every API error as
  `MESSAGE (HTTP 404 from GET URL)` with the server's message; 1.0.9's line is rewritten to that
  form before comparing (status, method and URL must agree);
- --crash: 1.0.9 crashed with a traceback (exit 1) before any request; ours must exit the same way
  with one line, the exception's message (--crash-any: any one line, where 1.0.9's message was
  Python's own text, such as IOError's).
"""
import json
import os
import re
import sys
from urllib.parse import parse_qsl

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
STATES = r"(Pending|In progress|Success|Failed|Canceling|Canceled)"
STATUS_LINE = re.compile(r"^Status (\d+) \((\w+) (\S+)\)\. Response: (.*)$")


def read(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
        return f.read()


def requests(directory, sync):
    result = []
    for line in read(directory, "reqs.jsonl").splitlines():
        r = json.loads(line)
        path, _, query = r["path"].partition("?")
        if sync and path.startswith("/api/audit/v1/"):
            path = UUID.sub("ACTION", path)
        pairs = parse_qsl(query, keep_blank_values=True)
        if r["method"] == "GET":
            pairs = sorted(p for p in pairs if p[0] not in ("limit", "offset"))
        body = json.loads(r["body"]) if r["body"].strip() else None
        entry = [r["method"], path, pairs, body]
        if sync and result and entry == result[-1] and r["method"] == "GET" and "/action/" in path:
            continue
        result.append(entry)
    return result


def original_stderr(text):
    lines = []
    for line in text.splitlines():
        m = STATUS_LINE.match(line)
        if m:
            status, method, url, body = m.groups()
            try:
                answer = json.loads(body)
                message = answer.get("error") or answer.get("detail") or body
            except (ValueError, AttributeError):
                message = body
            line = "%s (HTTP %s from %s %s)" % (message, status, method, url)
        lines.append(line)
    return lines


def main():
    a, b = sys.argv[1], sys.argv[2]
    flags = sys.argv[3:]
    sync = "--sync" in flags
    crash = "--crash" in flags or "--crash-any" in flags
    want_rc = None
    if "--rc" in flags:
        want_rc = flags[flags.index("--rc") + 1].split(":")
    problems = []
    ra, rb = read(a, "rc").strip(), read(b, "rc").strip()
    if want_rc is not None:
        if [ra, rb] != want_rc:
            problems.append("exit codes %s (1.0.9) and %s (ours), wanted %s and %s" % (ra, rb, want_rc[0], want_rc[1]))
    elif ra != rb:
        problems.append("exit codes differ: %s (1.0.9) vs %s (ours)" % (ra, rb))
    out_a, out_b = read(a, "out").splitlines(), read(b, "out").splitlines()
    err_a, err_b = original_stderr(read(a, "err")), read(b, "err").splitlines()
    if sync:
        out_a = [l for l in out_a if not re.match("^" + STATES + r"\.*$", l)]
        err_b = [l for l in err_b if not re.match("^" + STATES + "$", l)]
    if out_a != out_b:
        problems.append("stdout differs:\n  1.0.9: %r\n  ours:  %r" % (out_a, out_b))
    if crash:
        if ra != "1" or not any(l.startswith("Traceback (most recent call last)") for l in err_a):
            problems.append("1.0.9 did not crash as expected (exit %s): %r" % (ra, err_a[-3:]))
        elif len(err_b) != 1:
            problems.append("ours must say one line, said %r" % err_b)
        elif "--crash" in flags and err_a[-1].split(": ", 1)[-1] != err_b[0]:
            problems.append("messages differ:\n  1.0.9: %r\n  ours:  %r" % (err_a[-1], err_b[0]))
    elif err_a != err_b:
        problems.append("stderr differs:\n  1.0.9: %r\n  ours:  %r" % (err_a, err_b))
    qa, qb = requests(a, sync), requests(b, sync)
    if qa != qb:
        problems.append("requests differ:\n  1.0.9: %s\n  ours:  %s" % (
            "\n         ".join(json.dumps(q) for q in qa) or "(none)",
            "\n         ".join(json.dumps(q) for q in qb) or "(none)"))
    if "--no-write" in flags:
        for who, q in (("1.0.9", qa), ("ours", qb)):
            writes = [e for e in q if e[0] != "GET"]
            if writes:
                problems.append("%s wrote although nothing was left to change: %s" % (who, json.dumps(writes)))
    for p in problems:
        print("    " + p)
    sys.exit(1 if problems else 0)


main()
