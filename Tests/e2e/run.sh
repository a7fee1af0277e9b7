#!/usr/bin/env bash
# End-to-end: the real docker-cloud binary against a real docker-cloud-server, every command of
# cases.sh, each transcript (command, stdout, stderr, exit code) compared with golden/NAME.txt after
# normalize.py. UPDATE_GOLDEN=1 rewrites the golden files instead (review the diff before committing).
# Usage: run.sh BIN_DIR   (holding docker-cloud and docker-cloud-server)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: run.sh BIN_DIR}" && pwd)
work=$(mktemp -d)
pid=""
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$bin/docker-cloud-server" --listen 127.0.0.1:0 --in-memory --user e2e:e2ekey --org e2eorg:e2e --nodes 2 --delay 20 \
  >"$work/server.out" 2>"$work/server.err" &
pid=$!
for _ in $(seq 100); do grep -q DOCKERCLOUD_APIKEY "$work/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/server.out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "the server did not start"; cat "$work/server.err"; exit 1; }
# A server that is not the API (static files, HTML errors), for the bad-answer cases.
mkdir -p "$work/fake/api/app/v1/service" "$work/fake/api/app/v1/stack"
echo '<html>maintenance</html>' > "$work/fake/api/app/v1/service/index.html"
echo '{"meta": {"limit": 2}, "objects": [{"uuid": 5}]}' > "$work/fake/api/app/v1/stack/index.html"
fakeport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/fake" && exec python3 -m http.server "$fakeport" --bind 127.0.0.1 >/dev/null 2>&1) &
fake=http://127.0.0.1:$fakeport/
# A server that accepts connections and never answers, for the timeout cases.
silentport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$silentport" >/dev/null 2>&1 &
silent=http://127.0.0.1:$silentport/
export DOCKERCLOUD_REST_HOST=http://127.0.0.1:$port/ DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:$port/
export DOCKERCLOUD_USER=e2e DOCKERCLOUD_APIKEY=e2ekey HOME=$work/home NO_COLOR=1
unset DOCKERCLOUD_NAMESPACE DOCKERCLOUD_AUTH DOCKERCLOUD_PASS DOCKER_CONFIG COLUMNS  # COLUMNS: help is as wide as argparse's
mkdir -p "$HOME" "$work/cwd"
passed=0 failed=0 failures=()

# run NAME [--stdin TEXT] [--env K=V]... ARGS...: one docker-cloud run, its transcript checked against
# the golden file.
run() {
  local name=$1; shift
  local input="" env=()
  while true; do
    case "${1:-}" in
      --stdin) input=$2; shift 2 ;;
      --env) env+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  local raw="$work/$name.raw" got="$work/$name.txt" want="$here/golden/$name.txt"
  {
    printf '$'; [ ${#env[@]} -gt 0 ] && printf ' %q' "${env[@]}"; printf ' docker-cloud'; for a in "$@"; do printf ' %q' "$a"; done; printf '\n'
    printf '%s' "$input" | env "${env[@]}" timeout 20 "$bin/docker-cloud" "$@" >"$work/stdout" 2>"$work/stderr"
    echo "[exit $?]"
    cat "$work/stdout"; echo "[stderr]"; cat "$work/stderr"
  } >"$raw"
  E2E_WORK=$work python3 "$here/normalize.py" <"$raw" >"$got"
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$got" "$want"; passed=$((passed + 1)); return; fi
  if [ -f "$want" ] && cmp -s "$got" "$want"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"
    if [ -f "$want" ]; then diff -u "$want" "$got" | head -30; else echo "  (no golden file $want)"; sed 's/^/  /' "$got" | head -30; fi
  fi
}

cd "$work/cwd"
. "$here/cases.sh"
# Not transcripts: streams that run until stopped, and files written.
extra() { local desc=$1; shift; if "$@"; then passed=$((passed + 1)); echo "ok   $desc"; else failed=$((failed + 1)); failures+=("$desc"); echo "FAIL $desc"; fi; }
timeout 4 "$bin/docker-cloud" event >"$work/events" 2>"$work/events.err" &
sleep 1
"$bin/docker-cloud" service create -n evented busybox >/dev/null 2>&1
wait $!
extra "event prints the API's events as JSON lines" python3 -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(e.get("type") == "service" and e.get("action") == "create" for e in events) else 1)' "$work/events"
"$bin/docker-cloud" service run -n tty --sync busybox >/dev/null 2>&1
timeout 3 "$bin/docker-cloud" service logs -f tty >"$work/follow" 2>&1; code=$?
extra "service logs -f keeps following until stopped" test "$code" = 124 -a -s "$work/follow"
"$bin/docker-cloud" stack export shop -f "$work/exported.yml" >"$work/export.out" 2>&1
extra "stack export -f writes the file, prints nothing" bash -c "test ! -s '$work/export.out' && '$bin/docker-cloud' stack export shop | cmp -s - <(cat '$work/exported.yml'; echo)"

extra "a failed container export leaves no file behind" bash -c '! ls -A | grep -q -e "^fs.tar$" -e "^\.docker-cloud-"'

# Not a transcript: exec on a pseudo-terminal (raw mode, keystrokes, exit status).
if timeout 30 python3 "$here/pty_exec.py" "$bin/docker-cloud" tty-1; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=(pty-exec); fi
covered=$(grep -oE '^run [a-z0-9_-]+' "$here/cases.sh" | wc -l)
echo "e2e: $passed passed, $failed failed ($covered cases)"
[ "$failed" = 0 ] || { echo "failed: ${failures[*]}"; exit 1; }
