#!/usr/bin/env bash
# docker-cloud against a server made only of the API documents' example objects (example_server.py),
# verbatim and with each attribute removed or null in turn; beside the original docker-cloud 1.0.9
# when the reference installer can provide it (otherwise only ours is checked, and it says so).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:?usage: run.sh BUILD_DIR}
ref=${REFERENCE_DIR:-$root/.build/reference}
original=()
if bash "$root/../shared/reference/original/install.sh" "$ref" >/dev/null 2>&1; then
  original=(--original "$(readlink -f "$ref/docker-cloud-ref")")
else
  echo "examples: the original docker-cloud 1.0.9 could not be installed: comparing with it is left out" >&2
fi
exec python3 "$here/check.py" --ours "$bin/docker-cloud" "${original[@]}"
