#!/usr/bin/env bash
# The unmodified docker-cloud 1.0.9 CLI against a real docker-cloud-server: the commands a CI
# script uses, with their exit codes and the output it relies on.
# Usage: cli_test.sh PATH/TO/docker-cloud-server PATH/TO/docker-cloud-ref
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$(readlink -f "$1") dc=$(readlink -f "$2")
# Ours, beside the server binary: compared with the original command by command where it exists.
ours=$(dirname "$server")/docker-cloud
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
"$server" --listen 127.0.0.1:0 --in-memory --user ci:cikey --nodes 3 --delay 10 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q DOCKERCLOUD_APIKEY "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2)
export DOCKERCLOUD_REST_HOST=http://127.0.0.1:$port/ DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:$port/
export DOCKERCLOUD_USER=ci DOCKERCLOUD_APIKEY=cikey HOME=$work
passed=0 failed=0
# check NAME EXPECTED_RC GREP_PATTERN -- COMMAND...: runs the command, checks its exit code (a
# regex) and its stdout.
check() {
  local name=$1 rc=$2 pattern=$3; shift 4
  local out got
  out=$(timeout 60 "$@" 2>"$work/stderr"); got=$?
  if [[ "$got" =~ ^($rc)$ ]] && grep -qE -- "$pattern" <<<"$out"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name (exit $got, wanted $rc)"; echo "$out" | head -20; head -5 "$work/stderr"
  fi
}
cd "$work"
cat > docker-cloud.yml <<'YAML'
web:
  image: busybox
  command: sh -c 'echo web up; sleep 600'
  links: ["db:database"]
  ports: ["8080:80"]
  environment: ["MODE=prod"]
  target_num_containers: 2
db:
  image: postgres
  command: sleep 600
  expose: ["5432"]
YAML
# The original's tables may show a short uuid as a number (its tabulate quirk, reference §12.2), so
# checks of its tables match the uuid cell loosely; checks of ours stay strict.
uuid='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
check "service run --sync"          0 "^$uuid\$"                     -- "$dc" service run -n hello -t 2 --sync busybox
check "service ps"                  0 "hello +[^ ]+ +▶ Running +2 +busybox:latest" -- "$dc" service ps
# same COMMAND...: the original and ours print the same bytes and exit the same way.
# same_any_uuid COMMAND...: the same, long uuids aside (commands that act, run twice).
same() { compare "" "$@"; }
# same_json COMMAND...: the same JSON documents (1.0.9 under Python 2 orders keys by hash).
same_json() {
  local a b
  a=$(timeout 60 "$dc" "$@" 2>/dev/null); b=$(timeout 60 "$ours" "$@" 2>/dev/null)
  if python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else 1)' "$a" "$b" 2>/dev/null; then
    passed=$((passed + 1)); echo "ok   same json: $*"
  else failed=$((failed + 1)); echo "FAIL same json: $*"; diff <(echo "$a" | python3 -m json.tool --sort-keys) <(echo "$b" | python3 -m json.tool --sort-keys) | head -10; fi
}
same_any_uuid() { compare --any-uuid "$@"; }
# same_err COMMAND...: the same stdout, stderr and exit code (usage errors).
same_err() {
  local a b ra rb
  a=$(timeout 60 "$dc" "$@" 2>&1); ra=$?
  b=$(timeout 60 "$ours" "$@" 2>&1); rb=$?
  if [ "$a" = "$b" ] && [ "$ra" = "$rb" ]; then passed=$((passed + 1)); echo "ok   same usage error: $*"
  else failed=$((failed + 1)); echo "FAIL same usage error: $* (exit $ra vs $rb)"; diff <(echo "$a") <(echo "$b") | head -10; fi
}
compare() {
  local mode=$1 a b ra rb; shift
  a=$(timeout 60 "$dc" "$@" 2>/dev/null); ra=$?
  b=$(timeout 60 "$ours" "$@" 2>/dev/null); rb=$?
  if python3 "$here/same_output.py" "$a" "$b" $mode && [ "$ra" = "$rb" ]; then passed=$((passed + 1)); echo "ok   same: $*"
  else failed=$((failed + 1)); echo "FAIL same: $* (exit $ra vs $rb)"; diff <(echo "$a") <(echo "$b") | head -10; fi
}
check "service scale --sync"        0 "^$uuid\$"                     -- "$dc" service scale hello 3 --sync
check "container ps"                0 "hello-3 +[^ ]+ +▶ Running" -- "$dc" container ps
check "service inspect"             0 '"target_num_containers": 3'  -- "$dc" service inspect hello
check "stack up --sync"             0 "^$uuid\$"                     -- "$dc" stack up -n shop --sync
check "stack ls"                    0 "shop +[^ ]+ +▶ Running" -- "$dc" stack ls
if [ -x "$ours" ]; then
  same service ps
  same service ps -q
  same service ps --stack shop
  same service ps -s Running
  same service ps --stack nosuch
  same container ps
  same container ps -q
  same container ps --no-trunc
  same container ps --service hello -s Running
  same stack ls
  same node ls
  same service inspect nosuch
  same container stop nosuch
  check "ours: service stop --sync"   0 "^$uuid\$"                     -- "$ours" service stop --sync --timeout 30 hello
  check "ours: stopped"               0 "hello +[0-9a-f]{8} +◼ Stopped" -- "$ours" service ps
  check "ours: service start --sync"  0 "^$uuid\$"                     -- "$ours" service start --sync hello
  check "ours: inspect template"      0 "^hello Running 3\$"           -- "$ours" service inspect --format '{{.name}} {{.state}} {{.current_num_containers}}' hello
  check "ours: stop a stopped one"    3 "^\$"                          -- bash -c "'$ours' service stop --sync hello >/dev/null; '$ours' service stop hello"
  check "ours: service start again"   0 "^$uuid\$"                     -- "$ours" service start --sync hello
fi
check "stack export"                0 "- db:database"               -- "$dc" stack export shop
check "service env ls (links)"      0 "tutum +DATABASE_PORT_5432_TCP_PORT +5432" -- "$dc" service env ls web.shop
check "service logs"                0 "web-1 \\| web up"            -- "$dc" service logs web.shop
if [ -x "$ours" ]; then
  same service logs web.shop
  same service logs web.shop -t 1
  same container logs web-1.shop
  same service env ls web.shop
  same service env ls web.shop -q --user --image
  same stack export shop
  same_json service inspect web.shop
  same_json stack inspect shop
  same_json container inspect web-1.shop
  same stack inspect nosuch
  same stack create -f nope.yml
  same_any_uuid service set hello --autorestart ALWAYS
  same_any_uuid service scale hello 3
  same_any_uuid service env set db.shop -e A=1 -e B=two=2
  # (the original crashes with a traceback here, exit 1; ours says why in one line, exit 1; more
  # in env_side_by_side.sh)
  check "ours: env add without ="     1 "^\$"                          -- "$ours" service env add db.shop -e NOEQUALS
  same service create -p 80:x busybox
  same service create --link-service 'a b' busybox
  same service create -v a:b:c:d busybox
  same service ps -s Bogus
fi
# Without a terminal the old CLI keeps writing after the command ends and, depending on timing,
# exits 3 on the closed socket ("Broken pipe"), as it did against Docker Cloud (samples/exec.rc).
check "exec"                        "0|3" "^hello-1\$"                  -- "$dc" exec hello-1 hostname
check "trigger create"              0 "^$uuid\$"                     -- "$dc" trigger create --name hook hello
check "trigger ls"                  0 "hook +REDEPLOY +http://127.0.0.1:$port/api/app/v1/ci/service/" -- "$dc" trigger ls hello
check "tag add / ls"                0 "hello +Service +blue"        -- bash -c "'$dc' tag add -t blue hello >/dev/null && '$dc' tag ls hello"
check "nodecluster create --sync"   0 "^$uuid\$"                     -- "$dc" nodecluster create edge digitalocean lon1 1gb --sync
check "nodecluster ls"              0 "edge +[^ ]+ +London 1 +1GB +.* Deployed +1 +1" -- "$dc" nodecluster ls
check "node ls"                     0 "▶ Deployed +edge"            -- "$dc" node ls
check "repository register"         0 "^registry.example.com/x/y\$" -- "$dc" repository register -u u -p secretpass registry.example.com/x/y
check "repository ls"               0 "registry.example.com/x/y +no" -- "$dc" repository ls
check "action ls"                   0 "Service Scale"               -- "$dc" action ls
if [ -x "$ours" ]; then
  same nodecluster ls
  same nodecluster provider
  same nodecluster provider -q
  same nodecluster region
  same nodecluster region -p aws
  same nodecluster nodetype -p digitalocean -r lon1
  same nodecluster az
  # Usage errors as argparse reported them: the usage, the error line, exit 2 (stderr compared too).
  same_err servic ps
  same_err service pss
  same_err service env xx
  same_err service ps --bogus
  same_err service ps -Z
  same_err service ps extra
  same_err service ps -s Bogus
  same_err service ps --status
  same_err service run -t many busybox
  same_err tag add web
  same_err tag add -t x
  same_err service scale web many
  same nodecluster inspect nosuch
  same node inspect nosuch
  same repository ls
  same repository ls -q
  same action ls
  same action ls -q -l 3
  same tag ls hello
  same tag ls hello nosuch
  same_any_uuid tag set -t blue -t green hello
  same trigger ls hello
  same trigger ls -q hello
  check "ours: node byo"             0 "sudo -H sh -s [0-9a-f]{32}\$" -- "$ours" node byo
fi
check "service stop --sync"         0 "^$uuid\$"                     -- "$dc" service stop hello --sync
check "stopped state"               0 "hello +[^ ]+ +◼ Stopped" -- "$dc" service ps
check "not found"                   3 "^\$"                          -- "$dc" service inspect nosuch
# A refused stream handshake must be a 401, which the old CLI turns into "Not Authorized", exit 2.
check "event with a wrong key"      2 "^\$"                          -- env DOCKERCLOUD_APIKEY=wrong "$dc" event
check "stack terminate --sync"      0 "^$uuid\$"                     -- "$dc" stack terminate shop --sync
check "service terminate --sync"    0 "^$uuid\$"                     -- "$dc" service terminate hello --sync
if grep -rq secretpass "$work/out" "$work/err"; then failed=$((failed + 1)); echo "FAIL a password reached the server's output"; fi
echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
