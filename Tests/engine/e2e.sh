#!/usr/bin/env bash
# End-to-end against real Docker engines: the real docker-cloud CLI, the real docker-cloud-server
# (`--engine unix://...`) and private dockerds started by dockerd.sh. Every case compares real
# values (engine containers and their labels, states in the API, log lines, exit codes) and prints
# PASS/FAIL NAME; the last line is "N passed, M failed". Exit 1 on any failure; exit 0 with
# "engine tests skipped: REASON" when no engine can run here.
# Usage: e2e.sh BIN_DIR   (holding docker-cloud and docker-cloud-server)
# ENGINE_E2E_KEEP=1 keeps the work directory (server logs) after the run.
set -uo pipefail
# Run under a child subreaper (python, prctl PR_SET_CHILD_SUBREAPER): the dockerds that dockerd.sh
# detaches become its children and are reaped when they die (a dockerd killed with -9 would
# otherwise stay a zombie of PID 1 for a while: listed by pgrep, and its pidfile blocks a restart).
if [ -z "${ENGINE_E2E_REAPER:-}" ] && command -v python3 >/dev/null; then
  export ENGINE_E2E_REAPER=$$
  exec python3 -c '
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execvp("bash", ["bash"] + sys.argv[1:])
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, lambda n, f: os.kill(child, n))
code = 1
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if pid == child:
        code = os.waitstatus_to_exitcode(status)
        break
while True:  # whatever else has ended by now
    try:
        if os.waitpid(-1, os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
sys.exit(code if code >= 0 else 128 - code)
' "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
bin_src=$(cd "${1:?usage: e2e.sh BIN_DIR}" && pwd)
dockerd_sh=$here/dockerd.sh

if ! reason=$("$dockerd_sh" check 2>&1); then
  echo "engine tests skipped: ${reason:-dockerd.sh check failed}"
  exit 0
fi
command -v docker >/dev/null || { echo "engine tests skipped: no docker CLI"; exit 0; }
command -v python3 >/dev/null || { echo "engine tests skipped: no python3"; exit 0; }

t_start=$(date +%s.%N)
work=$(mktemp -d /tmp/dke.XXXX)
# Copies of the binaries: one version throughout, whatever a concurrent build does to BIN_DIR.
bin=$work/bin
mkdir -p "$bin"
for i in $(seq 1 60); do
  cp "$bin_src/docker-cloud" "$bin_src/docker-cloud-server" "$bin/" 2>/dev/null &&
    "$bin/docker-cloud" --version >/dev/null 2>&1 && "$bin/docker-cloud-server" --version >/dev/null 2>&1 && break
  sleep 2
done
"$bin/docker-cloud-server" --version >/dev/null 2>&1 || { echo "no usable binaries in $bin_src"; rm -rf "$work"; exit 1; }
dk_dirs=()       # every dockerd.sh DIR we started (stopped in cleanup)
dockerd_pids=()  # every dockerd pid we started (checked gone after cleanup)
server_pids=()   # every server we started (stopped in cleanup)
passed=0 failed=0 failures=()
cleaned=""

ms_since() { python3 -c 'import sys,time; print(int((time.time()-float(sys.argv[1]))*1000))' "$1"; }
now() { date +%s.%N; }

stop_pid() { # PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace; returns once it is gone
  local pid=$1 grace=${2:-15} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 $((grace * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null
  return 0
}

cleanup() {
  [ -n "$cleaned" ] && return
  cleaned=1
  local p d
  # Our background commands (followers, CLIs), then the servers, then the daemons.
  for p in $(jobs -p); do
    case " ${server_pids[*]} " in *" $p "*) continue ;; esac
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${server_pids[@]}"; do stop_pid "$p" 10; done
  for d in "${dk_dirs[@]}"; do "$dockerd_sh" stop "$d" >/dev/null 2>&1; done
  # A dockerd killed with -9 can leave its containerd or shims (they name our DIR): end those by pid.
  for d in "${dk_dirs[@]}"; do
    for p in $(leftover_pids "$d"); do kill -KILL "$p" 2>/dev/null; done
  done
  wait 2>/dev/null
  if [ "${ENGINE_E2E_KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
leftover_pids() { # DIR: processes whose command line names DIR
  local d=$1 f pid
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" = $$ ] && continue
    { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "$d/" && echo "$pid"
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- verdicts
errs=()
want() { [ "$2" = "$3" ] || errs+=("$1: expected [$3], got [$2]"); } # want DESC GOT EXPECTED
ok() { local d=$1; shift; "$@" || errs+=("$d"); }                      # ok DESC COMMAND...
note() { notes+=("$*"); }
notes=()
verdict() { # NAME: PASS if no expectation failed; notes are printed either way
  local name=$1 l
  if [ ${#errs[@]} = 0 ]; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"
    for l in "${errs[@]}"; do echo "    - $l"; done
    if [ -n "${srv_log:-}" ] && [ -f "$srv_log" ]; then
      grep -E ' (warning|error|critical) ' "$srv_log" | tail -8 | sed 's/^/    log: /'
    fi
  fi
  for l in "${notes[@]}"; do echo "    ($l)"; done
  errs=(); notes=()
}

# --- the CLI, the engine, waiting
dc() { timeout 60 "$bin/docker-cloud" "$@"; }
E() { local sock=$1; shift; timeout 30 docker -H "unix://$sock" "$@"; }
E_quiet() { E "$@" 2>/dev/null; }
# eids SOCK [running] LABEL=VALUE...: sorted full ids of the engine containers with those labels
eids() {
  local sock=$1; shift; local f=()
  if [ "${1:-}" = running ]; then f+=(--filter status=running); shift; fi
  local l; for l in "$@"; do f+=(--filter "label=$l"); done
  E_quiet "$sock" ps -aq --no-trunc "${f[@]}" | sort
}
count() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi; }
wait_until() { # SECONDS COMMAND...: polls every 0.2 s; 1 on timeout
  local end; end=$(python3 -c 'import sys,time; print(time.time()+float(sys.argv[1]))' "$1"); shift
  while :; do
    "$@" && return 0
    python3 -c 'import sys,time; sys.exit(0 if time.time() < float(sys.argv[1]) else 1)' "$end" || return 1
    sleep 0.2
  done
}
api_states() { dc container ps --service "$1" --format '{{.name}} {{.state}}' | sort; } # SERVICE
all_states_are() { # SERVICE STATE N: exactly N containers of SERVICE (not Terminated), all in STATE
  local s; s=$(api_states "$1" | grep -v ' Terminated$')
  [ "$(count "$s")" = "$3" ] && ! printf '%s\n' "$s" | grep -qv " $2\$"
}
state_of() { dc container inspect "$1" --format '{{.state}}'; }
node_state() { dc node inspect "$1" --format '{{.state}}'; }
lines_of() { grep -o 'line[0-9]*' | sed 's/^line//'; } # the numbers of "lineN" output
maxnum() { sort -n | tail -1; }

# kill_at_first SOCK LABEL=VALUE PID [SECONDS [DELAY]]: polls the engine (in-process, every few ms)
# until a container with that label exists (at most SECONDS, default 3), waits DELAY seconds more,
# then sends SIGKILL to PID; prints the milliseconds from the start to the kill.
kill_at_first() {
  python3 - "$@" <<'EOF'
import json, os, socket, sys, time, urllib.parse
sock, label, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
query = urllib.parse.urlencode({"all": "1", "filters": json.dumps({"label": [label]})})
start = time.time()
while time.time() - start < limit:
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(1)
        s.connect(sock)
        s.sendall(("GET /v1.41/containers/json?%s HTTP/1.0\r\nHost: x\r\n\r\n" % query).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        if b'"Id"' in data:
            break
    except OSError:
        pass
    time.sleep(0.003)
time.sleep(delay)
os.kill(pid, 9)
print(int((time.time() - start) * 1000))
EOF
}

# --- daemons and servers
start_dockerd() { # VAR: starts a dockerd in a new DIR; sets VAR_dir, VAR_sock
  local var=$1 dir sock
  dir=$(mktemp -d /tmp/dk.XXXX)
  dk_dirs+=("$dir")
  sock=$("$dockerd_sh" start "$dir" 2>"$work/$var.start.err") || { echo "could not start a dockerd:"; cat "$work/$var.start.err"; exit 1; }
  dockerd_pids+=("$(cat "$dir/dockerd.pid")")
  printf -v "${var}_dir" %s "$dir"; printf -v "${var}_sock" %s "$sock"
}
srv_n=0
start_server() { # DATA_DIR ARGS...: starts a server, points the CLI at it; sets srv_pid, srv_log
  local data=$1; shift
  srv_n=$((srv_n + 1))
  local out=$work/server$srv_n.out
  srv_log=$data.log
  echo "=== start $(date +%T.%N) $*" >>"$srv_log"
  "$bin/docker-cloud-server" --listen 127.0.0.1:0 --data-dir "$data" --user e2e:e2ekey --log-level info "$@" \
    >"$out" 2>>"$srv_log" &
  srv_pid=$!
  server_pids+=("$srv_pid")
  local i
  for i in $(seq 1 150); do
    grep -q DOCKERCLOUD_APIKEY "$out" 2>/dev/null && break
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
  done
  local port; port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2)
  [ -n "$port" ] || { echo "the server did not start:"; tail -20 "$srv_log"; exit 1; }
  export DOCKERCLOUD_REST_HOST=http://127.0.0.1:$port/ DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:$port/
}

export DOCKERCLOUD_USER=e2e DOCKERCLOUD_APIKEY=e2ekey HOME=$work/home NO_COLOR=1
unset DOCKERCLOUD_NAMESPACE DOCKERCLOUD_AUTH DOCKERCLOUD_PASS DOCKER_CONFIG DOCKER_HOST DOCKER_CONTEXT
mkdir -p "$HOME"
cd "$work"
img=local/busybox:latest
printer="sh -c 'i=0; while true; do echo line\$i; i=\$((i+1)); sleep 0.2; done'"

start_dockerd dk1
echo "dockerd 1: $dk1_sock"
A=$work/a
start_server "$A" --engine "unix://$dk1_sock"

# === 1. service run --sync -t 2: two running engine containers with our labels
web=$(dc service run --sync -t 2 -n web --run-command "$printer" $img 2>"$work/run.err"); rc=$?
want "service run --sync exit code" "$rc" 0
ok "service run printed a uuid (got '$web')" grep -Eq '^[0-9a-f-]{36}$' <<<"$web"
web_ids=$(eids "$dk1_sock" running "io.dockercloud.service=$web")
want "running engine containers with io.dockercloud.service=$web" "$(count "$web_ids")" 2
want "container ps --service web" "$(api_states web | tr '\n' ' ')" "web-1 Running web-2 Running "
api_uuids=$(dc container ps --service web --format '{{.uuid}}' | sort)
node1=$(dc node ls --format '{{.uuid}}' | head -1)
got=""
for id in $web_ids; do
  got+=$(E "$dk1_sock" inspect -f '{{.Name}}|{{index .Config.Labels "io.dockercloud.name"}}|{{index .Config.Labels "io.dockercloud.namespace"}}|{{index .Config.Labels "io.dockercloud.node"}}|{{index .Config.Labels "io.dockercloud.container"}}|{{index .Config.Labels "io.dockercloud.server"}}' "$id")$'\n'
done
while IFS='|' read -r ename lname lns lnode lcont lsrv; do
  [ -n "$ename" ] || continue
  want "io.dockercloud.namespace of $ename" "$lns" e2e
  want "io.dockercloud.node of $ename" "$lnode" "$node1"
  ok "io.dockercloud.container of $ename ($lcont) is a uuid of container ps" grep -qx -- "$lcont" <<<"$api_uuids"
  want "engine name of $lname" "$ename" "/$lname.e2e.${lcont:0:8}"
  ok "io.dockercloud.server of $ename is set" test -n "$lsrv"
done <<<"$got"
sid=$(printf '%s\n' "$got" | head -1 | cut -d'|' -f6)
verdict "1 service run --sync -t 2: two running engine containers with our labels"

# === 2. logs: container logs -f and service logs come from the engine
before=$(dc container logs web-1 | lines_of | maxnum)
timeout 3 "$bin/docker-cloud" container logs -f web-1 >"$work/follow1" 2>&1; rc=$?
want "container logs -f keeps following until stopped (timeout's code)" "$rc" 124
ok "container logs -f lines look like 'web-1 | lineN' ($(head -c 200 "$work/follow1"))" grep -Eq '^web-1 \| line[0-9]+$' "$work/follow1"
after=$(lines_of <"$work/follow1" | maxnum)
ok "container logs -f shows new lines (before: line${before:-none}, followed up to line${after:-none})" test "${after:-0}" -ge "$(( ${before:-0} + 5 ))"
eng_first=$(E "$dk1_sock" logs "$(head -1 <<<"$web_ids")" 2>&1 | head -1)
ok "the engine's log has the same lines (engine: '$eng_first')" grep -qx 'line0' <<<"$eng_first"
timeout 3 "$bin/docker-cloud" service logs -f web >"$work/follow2" 2>&1
ok "service logs -f shows lines of web-1" grep -Eq '^web-1 \| line[0-9]+$' "$work/follow2"
ok "service logs -f shows lines of web-2" grep -Eq '^web-2 \| line[0-9]+$' "$work/follow2"
dc service logs web >"$work/slogs" 2>&1
ok "service logs (no -f) shows both containers' lines" bash -c "grep -q '^web-1 | line' '$work/slogs' && grep -q '^web-2 | line' '$work/slogs'"
verdict "2 container logs -f and service logs show what the engine containers print"

# === 3. exec without and with a terminal
out=$(dc exec web-1 sh -c 'echo hi; exit 3' </dev/null 2>"$work/exec.err"); rc=$?
want "exec sh -c 'echo hi; exit 3' </dev/null: output" "$out" hi
want "exec sh -c 'echo hi; exit 3' </dev/null: exit code" "$rc" 3
out=$(dc exec web-1 sh -c 'echo out; echo err >&2; [ -t 1 ] && echo tty || echo notty' </dev/null 2>"$work/exec.err")
want "exec without a terminal: stdout (no tty in the container)" "$out" "$(printf 'out\nnotty')"
want "exec without a terminal: stderr" "$(cat "$work/exec.err")" err
out=$(printf 'echo piped-$((2+3)); exit 5\n' | timeout 20 "$bin/docker-cloud" exec web-1 2>&1); rc=$?
want "exec with a script on a pipe (a shell reads it): output" "$out" piped-5
want "exec with a script on a pipe: exit code" "$rc" 5
verdict "3a exec without a terminal: output, stderr, a script on stdin, exit code"

out=$(printf 'hello\n' | timeout 10 "$bin/docker-cloud" exec web-1 cat 2>&1); rc=$?
want "printf 'hello\\n' | exec web-1 cat: output" "$out" hello
want "printf 'hello\\n' | exec web-1 cat: exit code (124: still waiting for end of input after 10 s)" "$rc" 0
out=$(printf 'abc' | timeout 10 "$bin/docker-cloud" exec web-1 sh -c 'head -c 4 | od -An -c' 2>&1)
want "the bytes the command reads from printf 'abc' | exec (od -c)" "$(echo $out)" "a b c"
verdict "3c exec without a terminal: stdin's end reaches the command (cat ends), nothing added"

out=$(dc exec web-1 sh -c 'x=1; echo "v=$x"' </dev/null 2>&1)
want "exec web-1 sh -c 'x=1; echo \"v=\$x\"' (as docker exec runs it)" "$out" v=1
out=$(dc exec web-1 echo 'a  b' '$HOME' </dev/null 2>&1)
want "exec web-1 echo 'a  b' '\$HOME'" "$out" 'a  b $HOME'
verdict "3d exec runs the command's words as given (no second shell expanding them)"

pty_out=$(timeout 30 python3 - "$bin/docker-cloud" web-1 <<'EOF' 2>&1
import fcntl, os, pty, re, select, struct, sys, termios, time
dc, container = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(dc, [dc, "exec", container])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 90, 0, 0))
out = b""
def pump(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end:
        if until is not None and re.search(until, out):
            return True
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return until is not None and bool(re.search(until, out))
pump(5, rb"[#$] ")                     # the shell's prompt
os.write(fd, b"stty size; test -t 0 && echo on-a-tty; echo pty-ok; exit 4\r")
pump(10, rb"\x00never")               # until the command ends and the pty closes
deadline = time.time() + 10
status = None
while time.time() < deadline:
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9); _, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
problems = []
if not re.search(rb"(^|\n)pty-ok\r*\n", out): problems.append("no pty-ok line")
if not re.search(rb"(^|\n)on-a-tty\r*\n", out): problems.append("stdin is not a terminal in the container")
if not re.search(rb"(^|\n)30 90\r*\n", out): problems.append("terminal size 30x90 not seen (stty size)")
if code != 4: problems.append("exit status %d, expected 4" % code)
print("; ".join(problems) if problems else "ok")
print("output: %r" % out[-300:])
EOF
)
want "exec on a terminal (python pty)" "$(head -1 <<<"$pty_out")" ok
[ "$(head -1 <<<"$pty_out")" = ok ] || note "$(tail -1 <<<"$pty_out")"
verdict "3b exec on a terminal: typed command runs on a tty, output back, exit status 4"

# === 3e. the engine's container operations through the CLI (top, stats, diff, cp, export, kill,
# pause/unpause, wait, rename, update), checked against what the engine itself says
ops=$(dc service run --sync -n ops -r "sh -c 'trap \"echo got-hup\" HUP; while true; do sleep 0.2; done'" $img 2>/dev/null)
oid=$(eids "$dk1_sock" running "io.dockercloud.service=$ops")
want "ops: one running engine container" "$(count "$oid")" 1
ok "container top lists the loop's sleep" sh -c "timeout 20 '$bin/docker-cloud' container top ops-1 | grep -q 'sleep 0.2'"
st=$(dc container stats --no-stream ops-1 2>&1)
ok "container stats --no-stream: a row with MEM USAGE / LIMIT (got: $(tail -1 <<<"$st"))" grep -Eq 'ops-1 .*[0-9.]+[KMG]?i?B / [0-9.]+[KMG]iB' <<<"$st"
printf 'from-the-host\n' >"$work/hostfile.txt"
dc container cp "$work/hostfile.txt" ops-1:/tmp/ >/dev/null 2>"$work/cp.err"
want "container cp HOST ops-1:/tmp/ exit code" "$?" 0
want "the file seen by the engine (docker exec cat)" "$(E "$dk1_sock" exec "$oid" cat /tmp/hostfile.txt 2>&1)" from-the-host
mkdir -p "$work/cpback"
dc container cp ops-1:/tmp/hostfile.txt "$work/cpback/" >/dev/null 2>&1
want "container cp ops-1:/tmp/hostfile.txt back" "$(cat "$work/cpback/hostfile.txt" 2>&1)" from-the-host
ok "container diff shows the added file (A /tmp/hostfile.txt)" sh -c "timeout 20 '$bin/docker-cloud' container diff ops-1 | grep -qx 'A /tmp/hostfile.txt'"
dc container export -o "$work/ops.tar" ops-1 >/dev/null 2>&1
ok "container export -o: a tar holding tmp/hostfile.txt" sh -c "tar tf '$work/ops.tar' | grep -qx 'tmp/hostfile.txt'"
dc container kill -s SIGHUP ops-1 >/dev/null 2>&1
got_hup() { dc container logs ops-1 2>/dev/null | grep -q got-hup; }
ok "container kill -s SIGHUP: the container's trap ran" wait_until 10 got_hup
dc container pause ops-1 >/dev/null 2>&1
want "container pause: the engine says paused" "$(E "$dk1_sock" inspect -f '{{.State.Status}}' "$oid")" paused
dc container unpause ops-1 >/dev/null 2>&1
want "container unpause: the engine says running" "$(E "$dk1_sock" inspect -f '{{.State.Status}}' "$oid")" running
dc container update --memory 64 ops-1 >/dev/null 2>&1
want "container update --memory 64: the engine's limit" "$(E "$dk1_sock" inspect -f '{{.HostConfig.Memory}}' "$oid")" $((64 << 20))
dc container rename ops-1 opsrenamed >/dev/null 2>&1
ok "container rename: the engine container's name follows" sh -c "timeout 20 docker -H 'unix://$dk1_sock' inspect -f '{{.Name}}' '$oid' | grep -q '^/opsrenamed\.'"
( sleep 1; E "$dk1_sock" kill -s TERM "$oid" >/dev/null 2>&1 ) &
want "container wait: the exit code after a SIGTERM" "$(dc container wait opsrenamed 2>&1)" 143
dc service terminate --sync ops >/dev/null 2>&1
verdict "3e container top/stats/cp/diff/export/kill/pause/unpause/update/rename/wait on a real engine"

# === 4. stop, start, redeploy, terminate follow the engine containers
cyc=$(dc service run --sync -t 2 -n cyc -r "sleep 3600" $img 2>/dev/null)
ids0=$(eids "$dk1_sock" running "io.dockercloud.service=$cyc")
want "cyc: running engine containers after run" "$(count "$ids0")" 2
dc service stop --sync cyc >/dev/null 2>"$work/stop.err"; rc=$?
want "service stop --sync exit code" "$rc" 0
st=$(for id in $ids0; do E "$dk1_sock" inspect -f '{{.State.Status}}' "$id" 2>&1; done | tr '\n' ' ')
want "engine states after stop" "$st" "exited exited "
want "API states after stop" "$(api_states cyc | tr '\n' ' ')" "cyc-1 Stopped cyc-2 Stopped "
dc service start --sync cyc >/dev/null 2>"$work/start.err"; rc=$?
want "service start --sync exit code" "$rc" 0
want "engine containers after start are the same ones, running" "$(eids "$dk1_sock" running "io.dockercloud.service=$cyc")" "$ids0"
want "API states after start" "$(api_states cyc | tr '\n' ' ')" "cyc-1 Running cyc-2 Running "
dc service redeploy --sync cyc >/dev/null 2>"$work/redeploy.err"; rc=$?
want "service redeploy --sync exit code" "$rc" 0
ids1=$(eids "$dk1_sock" running "io.dockercloud.service=$cyc")
want "running engine containers after redeploy" "$(count "$ids1")" 2
want "all engine containers of cyc after redeploy (no leftovers)" "$(eids "$dk1_sock" "io.dockercloud.service=$cyc")" "$ids1"
ok "redeploy made new engine containers (old: $(echo $ids0 | cut -c1-12)..., new: $(echo $ids1 | cut -c1-12)...)" \
  test -z "$(comm -12 <(printf '%s\n' "$ids0") <(printf '%s\n' "$ids1"))"
for id in $ids0; do ok "old engine container ${id:0:12} is gone" bash -c "! timeout 30 docker -H 'unix://$dk1_sock' inspect '$id' >/dev/null 2>&1"; done
want "API states after redeploy" "$(api_states cyc | grep -v Terminated | tr '\n' ' ')" "cyc-1 Running cyc-2 Running "
dc service terminate --sync cyc >/dev/null 2>"$work/term.err"; rc=$?
want "service terminate --sync exit code" "$rc" 0
want "engine containers with io.dockercloud.service=$cyc after terminate" "$(count "$(eids "$dk1_sock" "io.dockercloud.service=$cyc")")" 0
verdict "4 stop / start / redeploy / terminate: engine containers exited, same ones running, replaced, removed"

# === 5. server restart (SIGTERM) adopts the running containers
all_before=$(eids "$dk1_sock" "io.dockercloud.server=$sid")
web_before=$(eids "$dk1_sock" running "io.dockercloud.service=$web")
last_before=$(dc container logs web-1 | lines_of | maxnum)
t0=$(now)
stop_pid "$srv_pid" 20
note "server exited $(ms_since "$t0") ms after SIGTERM"
want "web's engine containers still run while the server is down" "$(eids "$dk1_sock" running "io.dockercloud.service=$web")" "$web_before"
start_server "$A" --engine "unix://$dk1_sock"
ok "web-1 and web-2 Running after the restart (within 20 s)" wait_until 20 all_states_are web Running 2
want "web's running engine containers after the restart (same ids)" "$(eids "$dk1_sock" running "io.dockercloud.service=$web")" "$web_before"
want "all engine containers of this server (count unchanged, no duplicates)" "$(count "$(eids "$dk1_sock" "io.dockercloud.server=$sid")")" "$(count "$all_before")"
timeout 3 "$bin/docker-cloud" container logs -f web-1 >"$work/follow3" 2>&1
last_after=$(lines_of <"$work/follow3" | maxnum)
ok "logs -f after the restart shows new lines (before: line$last_before, after: line${last_after:-none})" test "${last_after:-0}" -ge "$((last_before + 5))"
verdict "5 server restart: running containers adopted (same engine ids, Running, logs -f continues)"

# Stricter: nothing lost or doubled in web-1's log across the restart.
nums=$(dc container logs web-1 | lines_of)
gaps=$(awk 'NR>1 && $1!=p+1 {print "after line" p " comes line" $1} {p=$1}' <<<"$nums" | head -5 | tr '\n' ';')
ok "web-1's log has lines" test -n "$nums"
want "web-1's log (the API's last $(count "$nums") lines, line$(head -1 <<<"$nums")..line$(tail -1 <<<"$nums"), the restart after line$last_before) has consecutive numbers" "$gaps" ""
verdict "5b server restart: the container log stays continuous (no lost or repeated lines)"

# === 6. kill -9 during a deploy: no duplicate, no orphan
# Three rounds; each kills the server while `service run -t 4` (without --sync) is under way: as
# soon as the engine has the round's first container, then 0.05 s and 0.1 s after that.
for round in 1 2 3; do
  bname=burst$round
  dc service run -t 4 -n $bname -r "sleep 3600" $img >"$work/$bname.out" 2>&1 &
  cli=$!
  waited=$(kill_at_first "$dk1_sock" "io.dockercloud.name=$bname-1" "$srv_pid" 5 "$(( (round - 1) * 5 ))e-2")
  { wait "$srv_pid"; } 2>/dev/null
  wait "$cli"; cli_rc=$?
  [ "$cli_rc" = 0 ] || note "$bname: service run exited $cli_rc: $(tr '\n' ' ' <"$work/$bname.out")"
  note "$bname: killed $waited ms after service run started; engine then: $(E_quiet "$dk1_sock" ps -a --filter "label=io.dockercloud.namespace=e2e" --format '{{.Names}} {{.State}}' | grep "^$bname-" | sort | tr '\n' ' ')"
  start_server "$A" --engine "unix://$dk1_sock"
  burst=$(dc service inspect $bname --format '{{.uuid}}' 2>/dev/null)
  ok "$bname: the service exists after the restart (uuid '$burst')" grep -Eq '^[0-9a-f-]{36}$' <<<"$burst"
  burst_running() { [ "$(dc service inspect $bname --format '{{.state}}')" = Running ] && all_states_are $bname Running 4; }
  wait_until 15 burst_running || note "$bname: the server's node log: $(grep -hE 'ping|unreachable|deployed|did not answer' "$A.log" | tail -6 | tr '\n' ';')"
  burst_running || errs+=("$bname: service Running with 4 Running containers within 15 s; now: service $(dc service inspect $bname --format '{{.state}}' 2>&1), containers $(dc container ps --service $bname --format '{{.name}} {{.state}} ({{.exit_code_msg}})' | tr '\n' ';'), engine: $(E_quiet "$dk1_sock" ps -a --filter "label=io.dockercloud.service=$burst" --format '{{.Names}} {{.Status}}' | sort | tr '\n' ';')")
  sleep 0.5
  want "$bname: engine containers with its io.dockercloud.service" "$(count "$(eids "$dk1_sock" "io.dockercloud.service=$burst")")" 4
  want "$bname: running ones" "$(count "$(eids "$dk1_sock" running "io.dockercloud.service=$burst")")" 4
  live=$(dc container ps --format '{{.uuid}} {{.state}}' | awk '$2 != "Terminated" {print $1}' | sort)
  labels=$(for id in $(eids "$dk1_sock" "io.dockercloud.server=$sid"); do E "$dk1_sock" inspect -f '{{index .Config.Labels "io.dockercloud.container"}}' "$id"; done | sort)
  want "$bname: engine containers per API container (duplicates)" "$(uniq -d <<<"$labels" | tr '\n' ' ')" ""
  want "$bname: engine containers that are no live API container (orphans)" "$(comm -23 <(printf '%s\n' "$labels") <(printf '%s\n' "$live") | tr '\n' ' ')" ""
  dc service terminate --sync $bname >/dev/null 2>&1
done
verdict "6 kill -9 during a deploy of 4 (3 rounds): after the restart exactly 4 running engine containers, no duplicate, no orphan"

# === 7. autorestart ALWAYS: a container that exits keeps being restarted
boom=$(dc service run --autorestart ALWAYS -n boom -r "sh -c 'echo boom; exit 1'" $img 2>"$work/boom.err")
booms() { dc container logs boom-1 2>/dev/null | grep -c 'boom$'; }
t0=$(now)
booms_at_least() { [ "$(booms)" -ge "$1" ]; }
wait_until 15 booms_at_least 4 || errs+=("boom-1's log shows 4 'boom's within 15 s: got $(booms) (the engine's log: $(for id in $(eids "$dk1_sock" "io.dockercloud.service=$boom"); do E_quiet "$dk1_sock" logs "$id" 2>&1 | grep -c boom; done)); boom-1 is $(state_of boom-1) in the API, $(E_quiet "$dk1_sock" ps -a --filter "label=io.dockercloud.service=$boom" --format '{{.Status}}') on the engine")
note "$(booms) booms after $(ms_since "$t0") ms"
n1=$(booms)
wait_until 12 booms_at_least $((n1 + 1)) || { errs+=("more booms keep coming: still $n1 after 12 s more")
  note "boom: $(dc container ps --service boom --format '{{.name}} {{.state}} ({{.exit_code_msg}})' | tr '\n' ';') node log: $(grep -hE 'ping|unreachable|deployed|did not answer|boom' "$A.log" | tail -6 | tr '\n' ';')"; }
want "engine containers of boom (one, restarted in place)" "$(count "$(eids "$dk1_sock" "io.dockercloud.service=$boom")")" 1
st=$(state_of boom-1)
ok "boom-1's state is a live one (got $st)" grep -Eqx 'Running|Starting|Stopped' <<<"$st"
dc service terminate --sync boom >/dev/null 2>"$work/boomterm.err"; rc=$?
want "service terminate --sync boom exit code" "$rc" 0
want "engine containers of boom after terminate" "$(count "$(eids "$dk1_sock" "io.dockercloud.service=$boom")")" 0
want "boom-1 after terminate" "$(state_of boom-1)" Terminated
verdict "7 autorestart ALWAYS: restarted again and again (boom, boom, ...), then terminated"

# === 7b. a failing health check: with autorestart ON_FAILURE the container is stopped and started
# again (as a swarm replaces an unhealthy task), and says why
E "$dk1_sock" run -d --name hcbase $img sleep 1 >/dev/null 2>&1; sleep 1.5
E "$dk1_sock" commit --change 'HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD exit 1' hcbase local/unhealthy:latest >/dev/null 2>&1
E "$dk1_sock" rm -f hcbase >/dev/null 2>&1
sick=$(dc service run --sync -n sick --autorestart ON_FAILURE -r "sleep 3600" local/unhealthy:latest 2>/dev/null)
sid1=$(eids "$dk1_sock" running "io.dockercloud.service=$sick")
first=$(E "$dk1_sock" inspect -f '{{.State.StartedAt}}' "$sid1" 2>/dev/null)
restarted() { [ "$(E "$dk1_sock" inspect -f '{{.State.StartedAt}}' "$sid1" 2>/dev/null)" != "$first" ]; }
ok "the unhealthy container was started again within 15 s" wait_until 15 restarted
said_why() { dc container inspect sick-1 --format '{{.exit_code_msg}}' 2>/dev/null | grep -q 'health check failed'; }
ok "its exit says the health check failed" wait_until 10 said_why
want "engine containers of sick (restarted in place, never two)" "$(count "$(eids "$dk1_sock" "io.dockercloud.service=$sick")")" 1
dc service terminate --sync sick >/dev/null 2>&1
verdict "7b unhealthy with autorestart ON_FAILURE: stopped and started again, with the reason"

# === 8. an engine container removed behind our back
gone=$(dc service run --sync -n gone -r "sleep 3600" $img 2>/dev/null)
gid=$(eids "$dk1_sock" running "io.dockercloud.service=$gone")
want "gone: one running engine container" "$(count "$gid")" 1
E "$dk1_sock" rm -f "$gid" >/dev/null
t0=$(now)
not_running() { local s; s=$(state_of gone-1); [ -n "$s" ] && [ "$s" != Running ]; }
ok "gone-1 is no longer Running within 10 s" wait_until 10 not_running
note "gone-1 after $(ms_since "$t0") ms: $(dc container inspect gone-1 --format '{{.state}} exit {{.exit_code}}: {{.exit_code_msg}}')"
verdict "8 docker rm -f behind our back: the container is no longer Running"

# === 8b. a private registry's login reaches the engine's pull (a registry on loopback that
# records what it is sent; it never serves an image, so the start fails with the engine's reason)
regport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        with open(sys.argv[2], "a") as f: f.write("%s %s\n" % (self.path, auth))
        if not auth:
            self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="e2e"')
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0"); self.end_headers()
    do_HEAD = do_GET
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/registry.py" "$regport" "$work/registry.log" & regpid=$!
server_pids+=("$regpid")
wait_until 5 python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $regport), 1)" >/dev/null 2>&1
repo=127.0.0.1:$regport/team/app
dc repository register -u bob -p 's3cret-e2e' "$repo" >/dev/null 2>"$work/reg.err"
want "repository register exit code" "$?" 0
dc service run --sync -n privreg "$repo:v1" >/dev/null 2>"$work/privreg.err"; rc=$?
want "service run of an image the registry does not have: exit code" "$rc" 3
want "the pull carried the registered login (Basic bob:s3cret-e2e)" "$(grep -c "Basic $(printf 'bob:s3cret-e2e' | base64)" "$work/registry.log" 2>/dev/null)" "$(grep -c 'manifests' "$work/registry.log" 2>/dev/null)"
ok "the registry was asked for the image" grep -q '/v2/team/app/manifests/v1' "$work/registry.log"
act=$(dc action ls -q | head -1)
ok "the action's log says why (the engine's reason)" sh -c "timeout 20 '$bin/docker-cloud' action logs $act | grep -q 'could not start'"
ok "the password is in no log of the server" sh -c "! grep -q s3cret-e2e '$srv_log'"
kill "$regpid" 2>/dev/null
verdict "8b private registry: the registered login reaches the engine's pull; a failed pull fails the action with the reason"

# Server A is done: its containers go with it.
stop_pid "$srv_pid" 20
for id in $(eids "$dk1_sock" "io.dockercloud.server=$sid"); do E "$dk1_sock" rm -f "$id" >/dev/null 2>&1; done

# === 9. two daemons, two nodes
start_dockerd dk2
echo "dockerd 2: $dk2_sock"
B=$work/b
start_server "$B" --engine "unix://$dk1_sock" --engine "unix://$dk2_sock"
two_deployed() { [ "$(dc node ls --format '{{.state}}' | grep -c '^Deployed$')" = 2 ]; }
wait_until 15 two_deployed || errs+=("node ls shows two Deployed nodes within 15 s: $(dc node ls --format '{{.state}}' | tr '\n' ' ')")
every=$(dc service run --sync --deployment-strategy EVERY_NODE -n every -r "sleep 3600" $img 2>"$work/every.err"); rc=$?
want "service run EVERY_NODE exit code" "$rc" 0
e1=$(eids "$dk1_sock" running "io.dockercloud.service=$every"); e2=$(eids "$dk2_sock" running "io.dockercloud.service=$every")
want "EVERY_NODE: containers on dockerd 1" "$(count "$e1")" 1
want "EVERY_NODE: containers on dockerd 2" "$(count "$e2")" 1
want "EVERY_NODE: API" "$(api_states every | tr '\n' ' ')" "every-1 Running every-2 Running "
verdict "9a EVERY_NODE: one container on each daemon"
nodeof() { E "$1" inspect -f '{{index .Config.Labels "io.dockercloud.node"}}' "$2" 2>/dev/null; }
n1=$( [ -n "$e1" ] && nodeof "$dk1_sock" "$e1"); n2=$( [ -n "$e2" ] && nodeof "$dk2_sock" "$e2")
if [ -z "$n1" ] || [ -z "$n2" ]; then # fall back to the API's order
  n1=$(dc node ls --format '{{.uuid}}' | sed -n 1p); n2=$(dc node ls --format '{{.uuid}}' | sed -n 2p)
fi
ok "the two daemons are two different nodes ($n1, $n2)" test "$n1" != "$n2"

ha=$(dc service run --sync --deployment-strategy HIGH_AVAILABILITY -t 2 -n ha -r "sleep 3600" $img 2>"$work/ha.err"); rc=$?
want "service run HIGH_AVAILABILITY -t 2 exit code" "$rc" 0
want "HIGH_AVAILABILITY: containers on dockerd 1" "$(count "$(eids "$dk1_sock" running "io.dockercloud.service=$ha")")" 1
want "HIGH_AVAILABILITY: containers on dockerd 2" "$(count "$(eids "$dk2_sock" running "io.dockercloud.service=$ha")")" 1
verdict "9b HIGH_AVAILABILITY -t 2: one container per daemon"

dc tag add -t x "$n1" >"$work/tag.out" 2>&1; rc=$?
want "tag add -t x NODE exit code ($(head -c 200 "$work/tag.out"))" "$rc" 0
want "tag ls NODE" "$(dc node inspect "$n1" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(" ".join(t["name"] for t in d.get("tags",[])))' 2>&1)" x
tagged=$(dc service run --sync --tag x -t 2 -n tagged -r "sleep 3600" $img 2>"$work/tagged.err"); rc=$?
want "service run --tag x -t 2 exit code" "$rc" 0
want "--tag x: containers on the tagged node's dockerd (1)" "$(count "$(eids "$dk1_sock" running "io.dockercloud.service=$tagged")")" 2
want "--tag x: containers on the other dockerd (2)" "$(count "$(eids "$dk2_sock" "io.dockercloud.service=$tagged")")" 0
verdict "9c tags: a service with --tag x lands only on the node tagged x"
want "node ls" "$(dc node ls --format '{{.state}}' | tr '\n' ' ')" "Deployed Deployed "
verdict "9d node ls: two Deployed nodes"
att=$(dc service run --sync -n att --autorestart OFF -r "sh -c 'sleep 3; echo attached-bye'" $img 2>"$work/att.err"); rc=$?
want "service run att exit code ($(tr '\n' ' ' <"$work/att.err" | head -c 200))" "$rc" 0
t0=$(date +%s%N)
out=$(timeout 20 "$bin/docker-cloud" container attach --no-stdin att-1 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "container attach shows the process's output ($(head -c 200 <<<"$out"))" grep -q attached-bye <<<"$out"
ok "container attach ends with the process (after $ms ms, exit $rc), not when the client gives up" test "$rc" != 124 -a "$ms" -lt 15000
verdict "9e container attach ends when the container's process ends"
srvB_pid=$srv_pid srvB_log=$srv_log srvB_rest=$DOCKERCLOUD_REST_HOST srvB_stream=$DOCKERCLOUD_STREAM_HOST

# === 10. an old Engine API version: no Init
C=$work/c
start_server "$C" --engine-api-version 1.21 --engine "unix://$dk1_sock"
old=$(dc service run --sync -n old -r "$printer" $img 2>"$work/old.err"); rc=$?
want "service run --sync at API 1.21 exit code ($(tr '\n' ' ' <"$work/old.err" | head -c 200))" "$rc" 0
oid=$(eids "$dk1_sock" running "io.dockercloud.service=$old")
want "running engine containers of old" "$(count "$oid")" 1
init=$( [ -n "$oid" ] && E "$dk1_sock" inspect -f '{{json .HostConfig.Init}}' "$oid")
ok "HostConfig.Init of the engine container is false or absent (got ${init:-none})" grep -Eqx 'null|false' <<<"${init:-x}"
want "API state" "$(state_of old-1)" Running
verdict "10 --engine-api-version 1.21: the container runs, created without Init"
timeout 3 "$bin/docker-cloud" container logs -f old-1 >"$work/follow4" 2>&1
ok "logs -f at API 1.21 shows lines ($(head -c 100 "$work/follow4" | tr '\n' ' '))" grep -Eq '^old-1 \| line[0-9]+$' "$work/follow4"
out=$(dc exec old-1 sh -c 'echo old-exec; exit 2' </dev/null 2>&1); rc=$?
want "exec at API 1.21: output" "$out" old-exec
want "exec at API 1.21: exit code" "$rc" 2
verdict "10b --engine-api-version 1.21: logs and exec work"
stop_pid "$srv_pid" 20
for id in $(eids "$dk1_sock" "io.dockercloud.service=$old"); do E "$dk1_sock" rm -f "$id" >/dev/null 2>&1; done
srv_pid=$srvB_pid srv_log=$srvB_log
export DOCKERCLOUD_REST_HOST=$srvB_rest DOCKERCLOUD_STREAM_HOST=$srvB_stream

# === 11. faults: a frozen dockerd, a dockerd killed during a deploy
dk2_pid=$(cat "$dk2_dir/dockerd.pid")
kill -STOP "$dk2_pid"
t0=$(now)
unreachable() { [ "$(node_state "$n2")" = Unreachable ]; }
ok "the frozen daemon's node becomes Unreachable within 20 s" wait_until 20 unreachable
note "SIGSTOP: node $(node_state "$n2") after $(ms_since "$t0") ms; the other node: $(node_state "$n1")"
t1=$(now); out=$(dc container ps --format '{{.name}} {{.state}}' 2>&1); rc=$?
want "container ps answers while a daemon is frozen" "$rc" 0
note "container ps took $(ms_since "$t1") ms while frozen"
kill -CONT "$dk2_pid"
t0=$(now)
deployed() { [ "$(node_state "$n2")" = Deployed ]; }
ok "after SIGCONT the node is Deployed again within 20 s" wait_until 20 deployed
note "SIGCONT: node $(node_state "$n2") after $(ms_since "$t0") ms"
verdict "11a SIGSTOP a dockerd: its node becomes Unreachable, then Deployed after SIGCONT"

dc tag add -t y "$n2" >/dev/null 2>&1
t0=$(now)
timeout 120 "$bin/docker-cloud" service run --sync --timeout 90 --tag y -t 2 -n doomed -r "sleep 3600" $img \
  >"$work/doomed.out" 2>"$work/doomed.err" &
doomed_cli=$!
waited=$(kill_at_first "$dk2_sock" "io.dockercloud.name=doomed-1" "$dk2_pid" 15)
note "dockerd 2 killed -9 $(ms_since "$t0") ms after service run --sync started ($waited ms of polling for doomed-1)"
for i in $(seq 1 1200); do kill -0 "$doomed_cli" 2>/dev/null || break; sleep 0.1; done
wait "$doomed_cli"; rc=$?
note "service run --sync ended after $(ms_since "$t0") ms with exit code $rc; stderr: $(tr '\n' ' ' <"$work/doomed.err" | head -c 300)"
ok "service run --sync ended by itself (not by the 120 s timeout; code $rc)" test "$rc" != 124
doomed=$(dc service inspect doomed --format '{{.uuid}}' 2>/dev/null)
pending() { dc action ls --format '{{.state}}|{{.object}}' | grep "service/$doomed/" | grep -Eq '^(Pending|In progress)\|'; }
settled() { ! pending; }
ok "no action on doomed stays Pending/In progress (within 30 s)" wait_until 30 settled
acts=$(dc action ls --format '{{.action}}: {{.state}}|{{.object}}' | grep "service/$doomed/" | cut -d'|' -f1 | tr '\n' ';')
cst=$(dc container ps --service doomed --format '{{.name}} {{.state}} ({{.exit_code_msg}})' | tr '\n' ';')
note "actions: $acts containers: $cst"
stopped_with_reason() { [ -n "$cst" ] && ! dc container ps --service doomed --format '{{.state}}|{{.exit_code_msg}}' | grep -qv '^Stopped|..*'; }
if [ "$rc" = 0 ] && ! stopped_with_reason; then errs+=("the command exited 0 and doomed's containers are not all Stopped with a reason"); fi
verdict "11b kill -9 a dockerd during service run --sync: the action ends, the failure is reported"

t0=$(now)
ok "the killed daemon's node becomes Unreachable within 15 s" wait_until 15 unreachable
note "after kill -9: node $(node_state "$n2") after $(ms_since "$t0") ms; doomed: $(dc container ps --service doomed --format '{{.name}} {{.state}}' | tr '\n' ';')"
t0=$(now)
"$dockerd_sh" start "$dk2_dir" >/dev/null 2>"$work/dk2.restart.err" || { echo "could not restart dockerd 2:"; cat "$work/dk2.restart.err"; }
dockerd_pids+=("$(cat "$dk2_dir/dockerd.pid" 2>/dev/null)")
note "dockerd 2 restarted in $(ms_since "$t0") ms"
ok "its node is Deployed again within 25 s" wait_until 25 deployed
note "node $(node_state "$n2") $(ms_since "$t0") ms after the restart"
# Without --live-restore the restarted dockerd does not bring back our containers (restart policy no):
# the API must not keep calling them Running.
dead_on_dk2() {
  local name
  for name in every ha doomed; do
    dc container ps --service "$name" --format '{{.uuid}} {{.state}}' | while read -r u s; do
      [ "$s" = Running ] || continue
      # Running in the API: it must then run on its engine (on dockerd 1, or started again).
      if [ -z "$(eids "$dk1_sock" running "io.dockercloud.container=$u")$(eids "$dk2_sock" running "io.dockercloud.container=$u")" ]; then echo "$u"; fi
    done
  done
}
no_ghosts() { [ -z "$(dead_on_dk2)" ]; }
wait_until 25 no_ghosts || errs+=("containers Running in the API but not on their engine 25 s after the restart: $(dead_on_dk2 | tr '\n' ' ')")
note "every: $(api_states every | tr '\n' ';') ha: $(api_states ha | tr '\n' ';') doomed: $(api_states doomed | tr '\n' ';')"
verdict "11c dockerd killed -9, then restarted: node Unreachable, Deployed again, the API matches the engines"

# === cleanup: every server and dockerd we started is gone, no mounts or processes left
cleanup_started=$(now)
trap - EXIT
cleanup_keep=${ENGINE_E2E_KEEP:-}
ENGINE_E2E_KEEP=1 cleanup >/dev/null
for p in "${dockerd_pids[@]}"; do
  [ -n "$p" ] || continue
  if pgrep -x dockerd | grep -qx "$p"; then errs+=("dockerd $p still runs"); fi
done
for p in "${server_pids[@]}"; do kill -0 "$p" 2>/dev/null && errs+=("server $p still runs"); done
for d in "${dk_dirs[@]}"; do
  grep -q " $d" /proc/self/mountinfo && errs+=("mounts left under $d: $(grep -c " $d" /proc/self/mountinfo)")
  [ -e "$d" ] && errs+=("$d still exists")
  left=$(leftover_pids "$d" | tr '\n' ' '); [ -z "$left" ] || errs+=("processes naming $d left: $left")
done
note "cleanup took $(ms_since "$cleanup_started") ms"
verdict "12 cleanup: servers and dockerds stopped, no mounts or processes left"
if [ "$cleanup_keep" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi

echo "engine e2e took $(( $(ms_since "$t_start") / 1000 )) s"
[ ${#failures[@]} = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
