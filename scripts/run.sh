#!/usr/bin/env bash
# `make run`: start a local docker-cloud-server with embedded defaults (unless DOCKERCLOUD_REST_HOST
# already names a server that answers), drive it with the CLI, printing each command, then keep the
# server running and print the exports to use it by hand. Ctrl-C stops the server. Its state lives
# in a fresh directory per run, so the demo's names never meet a previous run's objects.
# Usage: scripts/run.sh BIN_DIR ADDR
set -uo pipefail
bin=$(cd "${1:?usage: run.sh BIN_DIR ADDR}" && pwd) addr=${2:-127.0.0.1:8080}
dc="$bin/docker-cloud"
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid="" engine_dir=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$engine_dir" ] && bash "$here/Tests/engine/dockerd.sh" stop "$engine_dir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

image=busybox why=""
if [ -n "${DOCKERCLOUD_REST_HOST:-}" ] && curl -fsS -o /dev/null --max-time 3 "${DOCKERCLOUD_REST_HOST%/}/api/infra/v1/provider/" 2>/dev/null; then
  echo "# using the server configured in DOCKERCLOUD_REST_HOST ($DOCKERCLOUD_REST_HOST)"
  exports=""
else
  # Real containers when an engine answers: DOCKER_HOST, the system's socket, or a private dockerd
  # started here (as root); simulated nodes otherwise.
  engine="" image=busybox
  answers() { curl -fsS -o /dev/null --max-time 3 --unix-socket "$1" http://localhost/_ping 2>/dev/null; }
  if [ -n "${DOCKER_HOST:-}" ]; then
    engine=$DOCKER_HOST
  elif [ -S /var/run/docker.sock ] && answers /var/run/docker.sock; then
    engine=unix:///var/run/docker.sock
  elif why=$(bash "$here/Tests/engine/dockerd.sh" check); then
    engine_dir=$(mktemp -d /tmp/dk.run.XXXX)
    sock=$(bash "$here/Tests/engine/dockerd.sh" start "$engine_dir") || { echo "could not start dockerd" >&2; exit 1; }
    engine=unix://$sock image=local/busybox:latest
  fi
  if [ -n "$engine" ]; then
    echo "# real containers on the Docker engine at $engine${engine_dir:+ (a private dockerd started for this run)}"
    set -- --engine "$engine"
  else
    echo "# simulated nodes (no Docker engine: $why)"
    set -- --nodes 3
  fi
  "$bin/docker-cloud-server" --listen "$addr" "$@" --data-dir "$work/state" >"$work/server.out" 2>"$work/server.err" &
  pid=$!
  for _ in $(seq 100); do grep -q DOCKERCLOUD_APIKEY "$work/server.out" 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if ! grep -q DOCKERCLOUD_APIKEY "$work/server.out" 2>/dev/null; then
    echo "docker-cloud-server did not start on $addr:" >&2; cat "$work/server.err" >&2
    echo "(is something else listening there? try: make run RUN_ADDR=127.0.0.1:8081)" >&2
    exit 1
  fi
  head -1 "$work/server.out"
  exports=$(grep '^export ' "$work/server.out")
  eval "$exports"   # the API key is read from its 0600 file, never printed
fi

step() { printf '\n\033[1m$ docker-cloud %s\033[0m\n' "$*"; "$dc" "$@"; }
cd "$work"
cat > docker-cloud.yml <<YAML
web:
  image: $image
  command: sh -c 'echo web is up; sleep 3600'
  links: ["cache:redis"]
  ports: ["80"]
  target_num_containers: 2
cache:
  image: $image
  command: sh -c 'echo cache is up; sleep 3600'
YAML

step --version
step service run -n hello -t 2 -e GREETING=hi --sync --run-command 'sh -c "echo $GREETING from $HOSTNAME; sleep 3600"' "$image"
step service ps
step container ps --service hello
step service logs hello
step service scale hello 3 --sync
step service ps --format '{{.name}}\t{{.state}}\t{{.current_num_containers}}'
echo; echo "\$ cat docker-cloud.yml"; cat docker-cloud.yml
step stack up -n demo --sync
step stack ls
step service ps --stack demo
step stack export demo
step exec hello-1 echo hello from a container
step stack terminate demo --sync
step service terminate hello --sync
step action ls -l 5

if [ -n "$pid" ]; then
  printf '\nThe server keeps running (Ctrl-C stops it). To use it by hand from another shell:\n\n%s\n' "$exports"
  wait "$pid"
fi
