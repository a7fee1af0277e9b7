#!/usr/bin/env bash
# `service env add|update|rm|set` and `repository rm`, side by side: docker-cloud 1.0.9 and ours run
# the same command lines, each from the same server state (reset before every run), through a
# recording proxy (record_proxy.py). env_compare.py then asserts the same exit codes, stdout,
# stderr and requests (method, path, body, order), with only the differences it lists and justifies.
# Usage: env_side_by_side.sh PATH/TO/docker-cloud-server PATH/TO/docker-cloud-ref
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$(readlink -f "$1") dc=$(readlink -f "$2")
ours=$(dirname "$server")/docker-cloud
[ -x "$ours" ] || { echo "env side by side: no $ours"; exit 1; }
work=$(mktemp -d)
pid="" proxy=""
trap 'kill $pid $proxy 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$server" --listen 127.0.0.1:0 --in-memory --user ci:cikey --nodes 3 --delay 10 >"$work/server.out" 2>"$work/server.err" &
pid=$!
for _ in $(seq 100); do grep -q DOCKERCLOUD_APIKEY "$work/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/server.out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "env side by side: the server did not start"; cat "$work/server.err"; exit 1; }
python3 "$here/record_proxy.py" "$port" "$work/reqs.jsonl" >"$work/proxy.port" &
proxy=$!
for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
direct=http://127.0.0.1:$port
# Both CLIs talk to the proxy; the fixtures and resets below go to the server directly, unrecorded.
export DOCKERCLOUD_REST_HOST=http://127.0.0.1:$(cat "$work/proxy.port")/ DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:$port/
export DOCKERCLOUD_USER=ci DOCKERCLOUD_APIKEY=cikey HOME=$work NO_COLOR=1
unset DOCKERCLOUD_NAMESPACE DOCKERCLOUD_AUTH DOCKERCLOUD_PASS DOCKER_CONFIG
api() { curl -sf -u ci:cikey -H 'Content-Type: application/json' "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"][0][sys.argv[1]])' "$1"; }

cd "$work"
# web links pg, so it has link and platform variables (origin "tutum") beside its user ones.
cat > docker-cloud.yml <<'YAML'
web:
  image: busybox
  command: sleep 600
  links: ["pg:database"]
  environment: ["MODE=prod", "LEVEL=info"]
pg:
  image: postgres
  command: sleep 600
  expose: ["5432"]
YAML
printf 'twin:\n  image: busybox\n' > twin.yml
DOCKERCLOUD_REST_HOST=$direct/ "$ours" stack up -n shop --sync >/dev/null 2>&1
DOCKERCLOUD_REST_HOST=$direct/ "$ours" service run -n hello -e A=1 --sync busybox >/dev/null 2>&1
DOCKERCLOUD_REST_HOST=$direct/ "$ours" stack create -n left -f twin.yml >/dev/null 2>&1
DOCKERCLOUD_REST_HOST=$direct/ "$ours" stack create -n right -f twin.yml >/dev/null 2>&1
web=$(api "$direct/api/app/v1/service/?name=web" | field resource_uri)
pg=$(api "$direct/api/app/v1/service/?name=pg" | field resource_uri)
hello=$(api "$direct/api/app/v1/service/?name=hello" | field resource_uri)
hello_uuid=$(api "$direct/api/app/v1/service/?name=hello" | field uuid)
left=$(api "$direct/api/app/v1/service/?name=twin&stack__name=left" | field resource_uri)
right=$(api "$direct/api/app/v1/service/?name=twin&stack__name=right" | field resource_uri)
[ -n "$web" ] && [ -n "$pg" ] && [ -n "$hello" ] && [ -n "$left" ] && [ -n "$right" ] || { echo "env side by side: fixtures missing"; cat "$work/server.err"; exit 1; }
printf '# comment\n\nFROM_FILE=f\n  NEW=file  \n' > vars.env

# Until no action is pending or running (a --redeploy of the previous run), so that every run
# starts from a settled state.
settle() {
  for _ in $(seq 400); do
    api "$direct/api/audit/v1/action/?limit=20" | python3 -c '
import json, sys
sys.exit(any(o["state"] in ("Pending", "In progress", "Canceling") for o in json.load(sys.stdin)["objects"]))' && return
    sleep 0.05
  done
}
# The state every run starts from: web MODE=prod LEVEL=info, pg none, hello A=1, twins none; the
# repositories registry.example.com/x/y and quay.io/a/b registered.
reset() {
  settle
  api -X PATCH -d '{"container_envvars": [{"key": "MODE", "value": "prod"}, {"key": "LEVEL", "value": "info"}]}' "$direct$web" >/dev/null
  for s in "$pg" "$left" "$right"; do api -X PATCH -d '{"container_envvars": []}' "$direct$s" >/dev/null; done
  api -X PATCH -d '{"container_envvars": [{"key": "A", "value": "1"}]}' "$direct$hello" >/dev/null
  for r in registry.example.com/x/y quay.io/a/b; do
    api "$direct/api/repo/v1/repository/$r/" >/dev/null ||
      api -X POST -d "{\"name\": \"$r\", \"username\": \"u\", \"password\": \"p\"}" "$direct/api/repo/v1/repository/" >/dev/null
  done
  settle
}
# run_one PROGRAM DIR ARGS...: one run from the reset state, its stdout, stderr, exit code and requests in DIR.
run_one() {
  local program=$1 dir=$2; shift 2
  mkdir -p "$dir"
  reset
  : > "$work/reqs.jsonl"
  timeout 120 "$program" "$@" >"$dir/out" 2>"$dir/err" </dev/null
  echo $? > "$dir/rc"
  cp "$work/reqs.jsonl" "$dir/reqs.jsonl"
}
passed=0 failed=0 n=0
# same [COMPARE_FLAGS...] -- ARGS...: the original and ours on ARGS, compared by env_compare.py.
same() {
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  n=$((n + 1))
  local dir=$work/case$n
  run_one "$dc" "$dir/original" "$@"
  run_one "$ours" "$dir/ours" "$@"
  if python3 "$here/env_compare.py" "$dir/original" "$dir/ours" "${flags[@]}" >"$dir/diff"; then
    passed=$((passed + 1)); echo "ok   env side by side: $* (exit $(cat "$dir/ours/rc"))"
  else
    failed=$((failed + 1)); echo "FAIL env side by side: $*"; cat "$dir/diff"
  fi
}

# Several variables are given in an order Python 2's dict keeps (1.0.9 sent them in hash order;
# ours, like 1.0.9 under Python 3, in the order given): NEW MODE, NOPE LEVEL, FROM_FILE NEW, A MODE.
# service env add
same -- service env add web.shop -e NEW=1
same -- service env add web.shop -e NEW=1 -e MODE=x
same --no-write -- service env add web.shop -e MODE=x
same --no-write -- service env add web.shop -e DATABASE_PORT=x
same --no-write -- service env add web.shop -e DOCKERCLOUD_SERVICE_HOSTNAME=x
same -- service env add web.shop -e NEW=1 -e NEW=2
same -- service env add hello web.shop -e NEW=1
same --no-write -- service env add hello web.shop -e A=2
same -- service env add web.shop hello -e A=2
same -- service env add nosuch web.shop -e NEW=1
same -- service env add "$hello_uuid" -e NEW=1
same -- service env add "${hello_uuid:0:8}" -e NEW=1
same --no-write -- service env add 00000000-0000-4000-8000-000000000000 -e NEW=1
same --no-write -- service env add twin -e NEW=1
same -- service env add twin.left -e NEW=1
same -- service env add hello -e NEW=1 --redeploy
same --sync -- service env add hello -e NEW=1 --sync
same --sync -- service env add hello -e NEW=1 --redeploy --sync
same -- service env add web.shop --env-file vars.env -e NEW=cli
same --no-write -- service env add web.shop
same --crash --no-write -- service env add web.shop -e NOEQUALS
same --crash-any --no-write -- service env add web.shop --env-file nosuch.env
# service env update
same -- service env update web.shop -e LEVEL=debug
same -- service env update web.shop -e NOPE=1 -e LEVEL=debug
same --no-write -- service env update web.shop -e NOPE=1
same -- service env update web.shop -e DOCKERCLOUD_SERVICE_FQDN=x
same -- service env update web.shop -e LEVEL=info
same -- service env update hello -e A=1
same -- service env update hello web.shop -e A=5
same -- service env update web.shop hello -e A=5 -e MODE=dev
same -- service env update nosuch hello -e A=5
same -- service env update hello -e A=2 --redeploy
same --sync -- service env update hello -e A=2 --sync
same --no-write -- service env update hello
same --crash --no-write -- service env update hello -e NOEQUALS
# service env set
same -- service env set hello -e NOPE=1 -e LEVEL=2
same -- service env set hello -e A=1
same -- service env set hello pg.shop -e NEW=1
same -- service env set nosuch hello -e NEW=1
same -- service env set hello --env-file vars.env
same -- service env set hello -e NEW=1 --redeploy
same --sync -- service env set hello -e NEW=1 --redeploy --sync
same --no-write -- service env set hello
same --crash --no-write -- service env set hello -e NOEQUALS
# service env rm
same -- service env rm web.shop -n LEVEL
same --no-write -- service env rm web.shop -n NOPE
same --no-write -- service env rm web.shop -n DOCKERCLOUD_SERVICE_HOSTNAME
same --no-write -- service env rm web.shop -n DATABASE_PORT
# The one exit status that differs on purpose: a rejected name is exit 3 for rm as for add and
# update (issue 9); 1.0.9 ignored it when another name was removed. Requests and messages are its.
same --rc 0:3 -- service env rm web.shop -n LEVEL -n NOPE
same -- service env rm web.shop -n LEVEL -n LEVEL
same -- service env rm web.shop -n LEVEL -n MODE
same -- service env rm hello web.shop -n A
same -- service env rm web.shop hello -n A
same -- service env rm nosuch hello -n A
same -- service env rm hello -n A --redeploy
same --sync -- service env rm hello -n A --sync
same --no-write -- service env rm hello
# repository rm
same -- repository rm registry.example.com/x/y
same --no-write -- repository rm nosuch.io/x
same -- repository rm nosuch.io/x registry.example.com/x/y quay.io/a/b
same -- repository rm registry.example.com/x/y registry.example.com/x/y
echo "env side by side: $passed passed, $failed failed"
[ "$failed" = 0 ]
