#!/usr/bin/env bash
# Fuzzes the live server from its own OpenAPI document: schemathesis (every operation, positive
# and negative data; checks: no 5xx, statuses, content types, headers and answers as documented),
# then hostile.py (bad JSON, invalid UTF-8, deep nesting, huge numbers, unknown enums, big headers).
# The server must answer everything below 500 and still be running at the end.
#   Tests/fuzz/run.sh BIN_DIR VENV [quick|long]
set -uo pipefail
bin=$1 venv=$2 mode=${3:-quick}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dcfuzz.XXXX)
trap 'kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; rm -rf "$work"' EXIT
key=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf 'fuzz:%s\n' "$key" >"$work/users"
# Without the login throttle: the fuzzer sends bad and missing credentials on purpose, and after 20
# of them every answer would be a 429 (the throttle has its own tests).
"$bin/docker-cloud-server" --listen 127.0.0.1:0 --in-memory --users-file "$work/users" --nodes 2 --delay 5 --max-failed-logins 0 \
  >"$work/out" 2>"$work/err" &
srv=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "fuzz: the server did not start"; cat "$work/err"; exit 1; }
base=http://127.0.0.1:$port
if [ "$mode" = long ]; then examples=300; budget=(--max-time 1500); else examples=25; budget=(); fi
status=0
venv=$(cd "$venv" && pwd)
# From the scratch directory: schemathesis keeps its state (.schemathesis/) in the current one.
(cd "$work" && "$venv/bin/schemathesis" run "$base/api/openapi.json" --url "$base" -a "fuzz:$key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$examples" "${budget[@]}" --seed 20261202 --request-timeout 20 --workers 2 --no-color \
  --generation-database none --phases examples,coverage,fuzzing,stateful --suppress-health-check all \
  --output-sanitize true) >"$work/schemathesis.log" 2>&1 || status=1
if [ $status = 0 ]; then tail -25 "$work/schemathesis.log"; else sed -n '/FAILURES\|ERRORS/,$p' "$work/schemathesis.log" | head -200; fi
python3 "$here/hostile.py" "$base" "fuzz:$key" || status=1
if ! kill -0 "$srv" 2>/dev/null; then echo "FAIL the server is no longer running"; tail -20 "$work/err"; status=1; fi
if grep -q "internal error" "$work/err"; then echo "FAIL the server logged internal errors:"; grep "internal error" "$work/err" | head -10; status=1; fi
[ $status = 0 ] && echo "fuzz: passed (schemathesis $examples examples per operation, hostile inputs, server alive)"
exit $status
