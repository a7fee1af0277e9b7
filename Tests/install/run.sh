#!/usr/bin/env bash
# make install-files / uninstall into a scratch DESTDIR with PREFIX=/usr: every file lands where bash,
# zsh and man look, the installed binary runs and is stripped, and uninstall leaves nothing behind.
# Usage: run.sh BIN_DIR
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:?usage: run.sh BIN_DIR}" && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
passed=0 failed=0
check() { local desc=$1; shift; if "$@"; then passed=$((passed + 1)); echo "ok   $desc"; else failed=$((failed + 1)); echo "FAIL $desc"; fi; }
make -s -C "$root" install-files BIN_DIR="$bin" DESTDIR="$dest" PREFIX=/usr >/dev/null || { echo "FAIL make install-files"; exit 1; }
check "docker-cloud in /usr/bin, runs"           test "$("$dest/usr/bin/docker-cloud" --version)" = "docker-cloud 1.0.9"
check "docker-cloud-server in /usr/bin"          test -x "$dest/usr/bin/docker-cloud-server"
check "binaries stripped"                        bash -c "! readelf -S '$dest/usr/bin/docker-cloud' | grep -q '\.symtab'"
check "bash completion"                          cmp -s "$dest/usr/share/bash-completion/completions/docker-cloud" "$root/completions/docker-cloud.bash"
check "zsh completion (vendor-completions for /usr)" cmp -s "$dest/usr/share/zsh/vendor-completions/_docker-cloud" "$root/completions/_docker-cloud"
for page in "$root"/man/*.1; do
  check "man page $(basename "$page")"           cmp -s "$dest/usr/share/man/man1/$(basename "$page")" "$page"
done
make -s -C "$root" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
check "uninstall leaves nothing behind"          test -d "$dest" -a -z "$(find "$dest" -mindepth 1 | head -1)"
# PREFIX=/usr/local puts zsh's completion in site-functions.
make -s -C "$root" install-files BIN_DIR="$bin" DESTDIR="$dest" >/dev/null
check "zsh completion (site-functions for /usr/local)" test -f "$dest/usr/local/share/zsh/site-functions/_docker-cloud"
make -s -C "$root" uninstall DESTDIR="$dest" >/dev/null
check "uninstall (/usr/local) leaves nothing behind" test -d "$dest" -a -z "$(find "$dest" -mindepth 1 | head -1)"
echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
