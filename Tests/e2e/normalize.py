#!/usr/bin/env python3
"""Makes a transcript of docker-cloud runs comparable across runs: every uuid becomes a stable token
of the same width (uuid0001-..., its 8-character prefix uuid0001), the server's port becomes PORT,
--sync's intermediate states are dropped, and lines with moment-dependent dates ("12 seconds ago") get single two-space column gaps, since the
width of such a date moves the columns. Byte layout itself is proven by the table unit tests.
Usage: normalize.py < raw > normalized"""
import os
import re
import sys

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
AGO = re.compile(r"\b\d+ (year|day|hour|minute|second|millisecond|microsecond)s? ago\b")
TOKEN = re.compile(r"\b[0-9a-f]{32}(?:[0-9a-f]{8})?\b")

text = sys.stdin.read()
# --sync progress on stderr depends on timing (a fast action skips "In progress"): keep the outcome only.
text = re.sub(r"(?m)^(Pending|In progress)\n", "", text)
seen = {}


def token(u):
    if u not in seen:
        seen[u] = "uuid%04d" % (len(seen) + 1)
    return seen[u]


# Long uuids first (in order of appearance), then any 8-hex prefix of a known one.
text = UUID.sub(lambda m: token(m.group(0)) + "-0000-4000-8000-000000000000", text)
# Any other 8-hex word is a short uuid of an object whose long uuid this run did not print.
prefixes = {u[:8]: t for u, t in seen.items()}


def short(m):
    if m.group(0) not in prefixes:
        prefixes[m.group(0)] = "uuid%04d" % (len(prefixes) + 1 + len(seen))
    return prefixes[m.group(0)]


text = re.sub(r"\b[0-9a-f]{8}\b", short, text)
if os.environ.get("E2E_WORK"):
    text = text.replace(os.environ["E2E_WORK"], "$WORK")
text = TOKEN.sub("TOKEN", text)
text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
# libcurl's "Failed to connect ... after N ms" counts milliseconds, which a loaded machine changes.
text = re.sub(r"after \d+ ms: ", "after N ms: ", text)
# The TLS library names its version in its errors.
text = re.sub(r"OpenSSL/[0-9][0-9a-z.]*", "OpenSSL/VERSION", text)
out = []
block = []


def flush():
    # A table whose rows carry "ago" dates: normalise its column gaps as a whole.
    if any(AGO.search(l) for l in block):
        out.extend(re.sub(r" {2,}", "  ", AGO.sub("N ago", l)) for l in block)
    else:
        out.extend(block)
    block.clear()


for line in text.split("\n"):
    if line.startswith("$ ") or line.startswith("[") or line == "":
        flush()
        out.append(line)
    else:
        block.append(line)
flush()
sys.stdout.write("\n".join(out))
