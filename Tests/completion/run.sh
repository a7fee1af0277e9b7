#!/usr/bin/env bash
# Completion in real shells: bash (with bash-completion) and zsh, through partial command lines,
# against a real docker-cloud-server for the names that live on it.
# Usage: run.sh BIN_DIR   (holding docker-cloud and docker-cloud-server)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd) root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:?usage: run.sh BIN_DIR}" && pwd)
command -v zsh >/dev/null && [ -f /usr/share/bash-completion/bash_completion ] || { echo "completion tests need zsh and bash-completion (make deps)"; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$bin/docker-cloud-server" --listen 127.0.0.1:0 --in-memory --user comp:compkey --nodes 2 --delay 0 >"$work/out" 2>&1 &
for _ in $(seq 100); do grep -q DOCKERCLOUD_APIKEY "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2)
export DOCKERCLOUD_REST_HOST=http://127.0.0.1:$port/ DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:$port/
export DOCKERCLOUD_USER=comp DOCKERCLOUD_APIKEY=compkey HOME=$work PATH="$bin:$PATH"
dc=$bin/docker-cloud
$dc service run -n web -t 2 --sync busybox >/dev/null 2>&1 && $dc service run -n worker --sync busybox >/dev/null 2>&1 &&
  $dc trigger create -n deploy-hook web >/dev/null && $dc trigger create -n scale-hook -o SCALEUP web >/dev/null || { echo "setup failed"; exit 1; }
mkdir -p "$work/files" && touch "$work/files/stack.yml" "$work/files/stage.env"
passed=0 failed=0
# offers SHELL 'LINE' CANDIDATE...: the shell offers exactly these candidates (in any order).
offers() {
  local shell=$1 line=$2; shift 2
  local got want
  if [ "$shell" = bash ]; then got=$(cd "$work/files" && bash "$here/bash_complete.sh" "$root/completions/docker-cloud.bash" "$line")
  else got=$(cd "$work/files" && zsh "$here/zsh_complete.zsh" "$root/completions" "$line"); fi
  got=$(sed 's/\\ / /g' <<<"$got" | grep -v '^$' | sort -u)
  want=$(printf '%s\n' "$@" | grep -v '^$' | sort -u)
  if [ "$got" = "$want" ]; then passed=$((passed + 1)); echo "ok   $shell: $line<TAB>"
  else failed=$((failed + 1)); echo "FAIL $shell: $line<TAB>"; diff <(echo "$want") <(echo "$got") | head -10; fi
}
for shell in bash zsh; do
  offers $shell "docker-cloud ser" service
  offers $shell "docker-cloud s" service stack
  offers $shell "docker-cloud service " create env inspect logs ps ls list redeploy run scale set start stop terminate
  offers $shell "docker-cloud service env " add ls list ps rm set update
  offers $shell "docker-cloud service run --auto" --autodestroy --autoredeploy --autorestart
  offers $shell "docker-cloud service ps --status " Init Stopped Starting Running Stopping Terminating Terminated Scaling "Partly running" "Not running" Redeploying
  offers $shell "docker-cloud run --autodestroy " OFF ON_FAILURE ALWAYS
  offers $shell "docker-cloud service create --autodestroy=" OFF ON_SUCCESS ALWAYS
  offers $shell "docker-cloud service run --deployment-strategy " EMPTIEST_NODE HIGH_AVAILABILITY EVERY_NODE
  offers $shell "docker-cloud container logs " web-1 web-2 worker-1
  offers $shell "docker-cloud service logs w" web worker
  offers $shell "docker-cloud service scale --sync " web worker
  offers $shell "docker-cloud trigger rm web " deploy-hook scale-hook
  offers $shell "docker-cloud stack up -f sta" stack.yml stage.env
  offers $shell "docker-cloud stack up -f stac" stack.yml
  offers $shell "docker-cloud service set --env-file " stack.yml stage.env
  offers $shell "docker-cloud completion " bash zsh
  offers $shell "docker-cloud service env ls --" --dockercloud --format --help --image --quiet --user
done
# Live names: nothing at all without credentials or when the server does not answer, and quickly.
check() { if "$@"; then passed=$((passed + 1)); echo "ok   $desc"; else failed=$((failed + 1)); echo "FAIL $desc"; fi; }
desc="__complete without credentials prints nothing"
check test -z "$(env -u DOCKERCLOUD_USER -u DOCKERCLOUD_APIKEY $dc __complete service 2>&1)"
desc="__complete against a dead server prints nothing, within 3 s"
start=$(date +%s%N); out=$(DOCKERCLOUD_REST_HOST=http://10.255.255.1:9/ $dc __complete service 2>&1); took=$(( ($(date +%s%N) - start) / 1000000 ))
check test -z "$out" -a "$took" -lt 3000
desc="__complete service lists the live services"
check test "$($dc __complete service)" = $'web\nworker'
echo "completion: $passed passed, $failed failed"
[ "$failed" = 0 ]
