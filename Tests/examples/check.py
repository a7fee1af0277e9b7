#!/usr/bin/env python3
"""docker-cloud against a server that answers only with the API documents' example objects.

1. Every list, inspect and lookup command, with the examples verbatim: exit 0, and (when the
   original docker-cloud 1.0.9 is given) the same stdout, stderr and exit code as the original.
2. The same commands with each attribute of each example removed, then set to null, one at a
   time: still exit 0 (a command needs only what it uses), or, when the attribute is one the
   command cannot do without (the uuid or resource_uri it must follow), one clear line and exit 3;
   never "the server's answer is not what the API sends", never a crash.

usage: check.py --ours BIN [--original BIN] [--server example_server.py]
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

# command line, the endpoints whose objects it reads (a mutation of another one cannot change it),
# and the attributes it looks its identifier up by (a name lookup cannot find an object without one).
COMMANDS = [
    ("service ps", {"service", "stack"}, set()),
    ("service ps -q", {"service"}, set()),
    ("service ps --stack dockercloud-app", {"service", "stack"}, {"name"}),
    ("service inspect wordpress-stackable", {"service"}, {"name"}),
    ("service inspect 09cbcf8d", {"service"}, set()),
    ("service env ls wordpress-stackable", {"service"}, {"name"}),
    ("container ps", {"container", "service", "stack", "node"}, set()),
    ("container ps --no-trunc", {"container", "service", "stack", "node"}, set()),
    ("container ps -q", {"container"}, set()),
    ("container ps --service wordpress-stackable", {"container", "service", "stack", "node"}, {"name"}),
    ("container inspect wordpress-stackable", {"container"}, {"name"}),
    ("container inspect c1dd4e1e", {"container"}, set()),
    ("stack ls", {"stack"}, set()),
    ("stack ls -q", {"stack"}, set()),
    ("stack inspect dockercloud-app", {"stack"}, {"name"}),
    ("node ls", {"node", "nodecluster"}, set()),
    ("node ls -q", {"node"}, set()),
    ("node inspect fc1a5bb9", {"node"}, set()),
    ("nodecluster ls", {"nodecluster", "region", "nodetype"}, set()),
    ("nodecluster ls -q", {"nodecluster"}, set()),
    ("nodecluster inspect TestCluster", {"nodecluster"}, {"name"}),
    ("nodecluster provider", {"provider"}, set()),
    ("nodecluster region", {"region"}, set()),
    ("nodecluster nodetype", {"nodetype"}, set()),
    ("nodecluster az", {"az"}, set()),
    ("repository ls", {"repository"}, set()),
    ("repository ls -q", {"repository"}, set()),
    ("repository inspect my.registry.com/myrepo", {"repository"}, {"name"}),
    ("action ls", {"action"}, set()),
    ("action inspect 6246c558", {"action"}, set()),
    ("trigger ls wordpress-stackable", {"service", "trigger"}, {"name"}),
    ("tag ls wordpress-stackable", {"service", "nodecluster", "node"}, {"name"}),
    ("tag ls TestCluster", {"service", "nodecluster", "node"}, {"name"}),
]

# Attributes every command must follow to do its work at all (missing, it cannot name the object).
IDENTITY = {"uuid", "resource_uri"}


def start_server(server_py, workdir):
    port_file = os.path.join(workdir, "port")
    proc = subprocess.Popen([sys.executable, server_py, "--port-file", port_file])
    for _ in range(200):
        if os.path.exists(port_file):
            return proc, int(open(port_file).read())
        if proc.poll() is not None:
            sys.exit("example server did not start")
        time.sleep(0.02)
    proc.kill()
    sys.exit("example server did not start")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ours", required=True)
    p.add_argument("--original")
    p.add_argument("--server", default=os.path.join(HERE, "example_server.py"))
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="dc-examples-")
    server, port = start_server(args.server, work)
    base = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERCLOUD_")}
    env.update(HOME=work, DOCKERCLOUD_USER="user", DOCKERCLOUD_APIKEY="apikey", DOCKERCLOUD_REST_HOST=base,
               DOCKERCLOUD_STREAM_HOST="ws://127.0.0.1:%d" % port, NO_COLOR="1", TZ="UTC", LC_ALL="C.UTF-8")

    def mutate(query=""):
        urllib.request.urlopen(urllib.request.Request(base + "/__mutate" + query, data=b"", method="POST"), timeout=10).read()

    def run(binary, line):
        r = subprocess.run([binary] + line.split(), env=env, capture_output=True, timeout=60)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    failures = []
    try:
        examples = json.loads(subprocess.run([sys.executable, args.server, "--port-file", "-", "--dump"],
                                             capture_output=True, check=True).stdout)
        # 1. Verbatim.
        compared = 0
        for line, _, _ in COMMANDS:
            rc, out, err = run(args.ours, line)
            if rc != 0:
                failures.append("verbatim: docker-cloud %s: exit %d: %s" % (line, rc, err.strip()))
                continue
            if args.original:
                orc, oout, oerr = run(args.original, line)
                compared += 1
                if not same_as_original(line, (rc, out, err), (orc, oout, oerr)):
                    failures.append("verbatim: docker-cloud %s differs from 1.0.9:\n  ours (%d):\n%s%s\n  1.0.9 (%d):\n%s%s"
                                    % (line, rc, indent(out), indent(err), orc, indent(oout), indent(oerr)))
        print("examples: %d commands on the verbatim examples%s" % (len(COMMANDS),
              ", %d compared with 1.0.9" % compared if args.original else " (1.0.9 not given: not compared)"))

        # 2. One attribute removed, then null, at a time.
        runs = 0
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        for kind in sorted(examples):
            for attr in sorted(examples[kind]):
                for how in ("drop", "null"):
                    mutate("?kind=%s&attr=%s&how=%s" % (kind, attr, how))
                    lines = [(line, needs) for line, reads, needs in COMMANDS if kind in reads]
                    results = list(pool.map(lambda c: run(args.ours, c[0]), lines))
                    for (line, needs), (rc, out, err) in zip(lines, results):
                        runs += 1
                        what = "%s.%s %s: docker-cloud %s" % (kind, attr, "removed" if how == "drop" else "null", line)
                        if "not what the API sends" in err or "Fatal error" in err or rc not in (0, 3) or rc < 0:
                            failures.append("%s: exit %d: %s" % (what, rc, err.strip()))
                        elif rc == 3 and attr not in IDENTITY | needs:
                            failures.append("%s: exit 3 although it does not need %s: %s" % (what, attr, err.strip()))
                        elif rc == 3 and len(err.strip().splitlines()) != 1:
                            failures.append("%s: not one line on stderr: %r" % (what, err))
        mutate()
        print("examples: %d runs with one attribute removed or null" % runs)
    finally:
        server.kill()
        server.wait()

    for f in failures:
        print("FAIL " + f)
    print("examples: %d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


# 1.0.9 failing on the documents' own examples ('NoneType' object has no attribute '__getitem__',
# 'Service' object has no attribute 'calculated_envvars'): a Python error, which ours fixes.
PYTHON_CRASH = re.compile(r"object has no attribute|'NoneType' object|unsupported operand|is not subscriptable")


def table_cells(line):
    return [c for c in re.split(r"\s{2,}", line.strip()) if c]


def same_as_original(line, ours, original):
    """The same result, or one of the documented fixes (README: "Fixed from 1.0.9")."""
    if ours == original:
        return True
    rc, out, err = ours
    orc, oout, oerr = original
    # inspect: the same JSON; 1.0.9's key order is Python 2's dict order, ours is sorted.
    if " inspect " in " " + line + " " and rc == orc == 0 and err == oerr:
        try:
            return json.loads(out) == json.loads(oout)
        except ValueError:
            return False
    # Trigger URLs: 1.0.9 joined a REST host without a trailing slash to the path without one.
    if rc == orc == 0 and err == oerr and re.sub(r"(:\d+)api/", r"\1/api/", oout) == out:
        return True
    # 1.0.9 crashed where ours prints the table.
    if orc == 3 and rc == 0 and PYTHON_CRASH.search(oerr):
        return True
    # An empty table keeps all its headers (1.0.9 dropped those past the empty row's length).
    olines, lines = oout.split("\n"), out.split("\n")
    if rc == orc == 0 and err == oerr and len(olines) == len(lines) == 3 and olines[1:] == lines[1:] == ["", ""]:
        return table_cells(lines[0])[:len(table_cells(olines[0]))] == table_cells(olines[0])
    return False


def indent(text):
    return "".join("    | " + l + "\n" for l in text.splitlines())


if __name__ == "__main__":
    main()
