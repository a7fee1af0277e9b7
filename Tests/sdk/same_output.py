"""Compares the original's stdout (argv[1]) with ours (argv[2]), run one after the other against the
same server. Byte-exact layout is proven by the Swift TableTests against the original's recorded
outputs; here the two programs ran at slightly different moments, so the comparison is of the cells:
- "N seconds ago" may have moved on by the time the second program ran (and shifted a column);
- docker-cloud 1.0.9 (python-tabulate) takes a short uuid column for numbers when every short uuid
  looks like one (12345678, 7e000000) and rewrites it; we fixed that (reference §12.2)."""
import re
import sys

original, ours = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3 and sys.argv[3] == "--any-uuid":
    # Two runs of a command that acts on objects it names by uuid (the same ones, or twins).
    LONG = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    original, ours = LONG.sub("UUID", original), LONG.sub("UUID", ours)
if original == ours:
    sys.exit(0)
AGO = re.compile(r"\b\d+ (year|day|hour|minute|second|millisecond|microsecond)s? ago\b")


def numeric(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def rows(text):
    return [AGO.sub(lambda m: "#_" + m.group(1) + "_ago", line).split() for line in text.split("\n")]


uuids = set(re.findall(r"\b[0-9a-f]{8}\b", ours))
a, b = rows(original), rows(ours)
if len(a) != len(b):
    sys.exit(1)
for ta, tb in zip(a, b):
    if len(ta) != len(tb):
        sys.exit(1)
    for x, y in zip(ta, tb):
        if x != y and not (y in uuids and numeric(y) and numeric(x)):
            sys.exit(1)
sys.exit(0)
