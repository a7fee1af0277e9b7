#!/usr/bin/env bash
# make bench: from a host frozen (dockerd SIGSTOP) to its HIGH_AVAILABILITY service whole again on
# the other hosts, with the server's default grace period (--reschedule-after 30), over ROUNDS
# freezes of three loopback hosts joined with node byo (Tests/byo/run.sh does the work). The peer,
# measured in the same rounds: the raw Engine API's create + start of the same image on a host
# that answers, the floor of any replacement.
# Usage: failover_bench.sh BIN_DIR [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
BYO_BENCH=$figures BYO_GRACE=${BYO_GRACE:-30} BYO_ROUNDS=${2:-3} bash "$here/../Tests/byo/run.sh" "$1" | grep -E '^(PASS|FAIL|byo tests skipped|[0-9]+ passed)' || true
python3 - "$figures" <<'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[1:]) for line in open(sys.argv[1]) if line.startswith("round ")]
if not rows:
    print("failover: no figures (no engine here, or the run failed)"); sys.exit(0)
med = lambda k: statistics.median(float(r[k]) for r in rows)
grace = med("grace")
print("failover, %d frozen hosts (3 loopback hosts, HIGH_AVAILABILITY service of 3, grace %.0f s):" % (len(rows), grace))
print("  frozen -> node Unreachable   median %5.1f s   (stated bound 12 s)" % med("unreachable"))
print("  frozen -> service whole      median %5.1f s" % med("whole"))
moving = [float(r["whole"]) - float(r["unreachable"]) - float(r["grace"]) for r in rows]
print("  replacement after the grace  median %5.2f s   vs raw Engine API create+start %5.2f s (ratio %.1f)"
      % (statistics.median(moving), med("raw_start"), statistics.median(moving) / max(med("raw_start"), 0.001)))
PY
