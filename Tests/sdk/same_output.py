"""Compares the original's stdout (argv[1]) with ours (argv[2]) byte for byte, with one exception:
docker-cloud 1.0.9 (python-tabulate) takes a short uuid column for numbers when every short uuid in
it looks like one (12345678, 7e000000), right-aligns it and may rewrite the values. We fixed that
(reference §12.2), so such tables may differ in the alignment and the uuid cells only."""
import re
import sys

original, ours = sys.argv[1], sys.argv[2]
if original == ours:
    sys.exit(0)


def numeric(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


uuids = set(re.findall(r"\b[0-9a-f]{8}\b", ours))
if not uuids or not any(numeric(u) for u in uuids):
    sys.exit(1)  # no quirk could explain a difference
a, b = original.split("\n"), ours.split("\n")
if len(a) != len(b):
    sys.exit(1)
for la, lb in zip(a, b):
    ta, tb = la.split(), lb.split()
    if len(ta) != len(tb):
        sys.exit(1)
    for x, y in zip(ta, tb):
        if x != y and not (y in uuids and numeric(y) and numeric(x)):
            sys.exit(1)
sys.exit(0)
