#!/usr/bin/env bash
# A private Docker engine for tests: its own data root, exec root, pidfile and socket under DIR,
# no bridge and no iptables rules, and an image local/busybox:latest built offline from
# busybox-static. Nothing is shared with a system dockerd.
#
#   dockerd.sh check              exit 0 if an engine can run here; else print why, exit 1
#   dockerd.sh start DIR [FLAGS]  start one (extra dockerd flags allowed), print its socket path
#   dockerd.sh stop DIR           remove its containers, stop it by its pid, unmount, delete DIR
#                                 (also a host joined with the join script's --prefix DIR layout:
#                                 DIR/run/docker.pid and DIR/run/docker.sock)
#   dockerd.sh import DIR         import local/busybox:latest into the engine at DIR
#
# DIR must be short (unix socket paths are limited to 107 bytes): /tmp/dk.XXXX suits.
set -euo pipefail

why_not() {
  [ "$(id -u)" = 0 ] || { echo "not root: dockerd needs root"; return; }
  command -v dockerd >/dev/null || { echo "no dockerd (Debian package docker.io; 'make deps' installs it as root)"; return; }
  command -v containerd >/dev/null || { echo "no containerd"; return; }
  [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 || { echo "no /bin/busybox (Debian package busybox-static)"; return; }
  command -v curl >/dev/null || { echo "no curl"; return; }
}

# The socket of the engine in DIR: ours, or the join script's layout.
sock() { if [ -S "$1/run/docker.sock" ]; then echo "$1/run/docker.sock"; else echo "$1/docker.sock"; fi; }
api() { curl -sS --max-time 30 --unix-socket "$(sock "$1")" "${@:2}"; }

# Alive, and not a zombie that PID 1 has not reaped yet (a daemon killed with -9 by a test).
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

start() {
  local dir=$1; shift
  mkdir -p "$dir/root" "$dir/exec"
  # A pidfile left by a daemon that was killed: dockerd refuses to start while it exists.
  if [ -f "$dir/dockerd.pid" ] && ! alive "$(cat "$dir/dockerd.pid")"; then rm -f "$dir/dockerd.pid"; fi
  # setsid: the daemon outlives this script but not the test's cleanup, which stops it by pid.
  setsid dockerd --iptables=false --ip6tables=false --bridge=none \
    --data-root="$dir/root" --exec-root="$dir/exec" --pidfile="$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" "$@" >"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! >"$dir/launcher.pid"
  local i
  for i in $(seq 1 600); do
    api "$dir" -f http://localhost/_ping >/dev/null 2>&1 && break
    if ! alive "$(cat "$dir/launcher.pid")"; then
      echo "dockerd exited at start; its log:" >&2; tail -20 "$dir/dockerd.log" >&2; return 1
    fi
    sleep 0.05
  done
  api "$dir" -f http://localhost/_ping >/dev/null || { echo "dockerd did not answer within 30 s" >&2; return 1; }
  import_busybox "$dir"
  echo "$dir/docker.sock"
}

# local/busybox:latest: /bin/busybox and a link for each of its applets, imported over the API.
import_busybox() {
  local dir=$1 rootfs
  if api "$dir" -f http://localhost/v1.41/images/local/busybox:latest/json >/dev/null 2>&1; then return; fi
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | api "$dir" -f -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
    "http://localhost/v1.41/images/create?fromSrc=-&repo=local/busybox&tag=latest" >/dev/null
  rm -rf "$rootfs"
}

stop() {
  local dir=$1 pid=""
  [ -d "$dir" ] || return 0
  [ -f "$dir/dockerd.pid" ] && pid=$(cat "$dir/dockerd.pid")
  [ -n "$pid" ] || { [ -f "$dir/run/docker.pid" ] && pid=$(cat "$dir/run/docker.pid"); }
  [ -n "$pid" ] || { [ -f "$dir/launcher.pid" ] && pid=$(cat "$dir/launcher.pid"); }
  if alive "$pid"; then
    # A frozen daemon (a test's SIGSTOP) must be thawed to stop.
    kill -CONT "$pid" 2>/dev/null || true
    local ids
    ids=$(api "$dir" 'http://localhost/v1.41/containers/json?all=1' 2>/dev/null | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
    for id in $ids; do api "$dir" -X DELETE "http://localhost/v1.41/containers/$id?force=1&v=1" >/dev/null 2>&1 || true; done
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 300); do alive "$pid" || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Mounts the daemon left under DIR (overlay layers, netns, self-binds), deepest first.
  awk -v d="$dir" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$dir"
  # Created by any dockerd whatever its exec root; removed only when empty (another may be running).
  rmdir /run/docker/plugins /run/docker /run/containerd/s /run/containerd 2>/dev/null || true
  for c in /sys/fs/cgroup/*/docker; do [ -d "$c" ] && rmdir "$c" 2>/dev/null || true; done
}

case "${1:-}" in
  check) reason=$(why_not); [ -z "$reason" ] || { echo "$reason"; exit 1; } ;;
  start) [ $# -ge 2 ] || { echo "usage: $0 start DIR [FLAGS]" >&2; exit 2; }; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  import) [ $# -eq 2 ] || { echo "usage: $0 import DIR" >&2; exit 2; }; import_busybox "$2" ;;
  *) echo "usage: $0 check | start DIR [FLAGS] | stop DIR | import DIR" >&2; exit 2 ;;
esac
