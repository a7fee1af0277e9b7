#!/usr/bin/env bash
# Runs sdk_test.py with the unmodified python-dockercloud SDK, and cli_test.sh and env_side_by_side.sh with the original CLI, installed from PyPI by the shared
# reference installer (Python 2.7 when available, else Python 3 with the reference's patches).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
server=${1:?usage: run.sh PATH/TO/docker-cloud-server}
ref=${REFERENCE_DIR:-$root/.build/reference}
bash "$root/../shared/reference/original/install.sh" "$ref" >/dev/null
launcher=$(readlink -f "$ref/docker-cloud-ref")
line=$(grep "exec '" "$launcher")
python=$(sed -E "s/.*exec '([^']+)'.*/\1/" <<<"$line")
pythonpath=$(sed -nE "s/^PYTHONPATH='([^']+)'.*/\1/p" <<<"$line")
PYTHONPATH="$pythonpath" "$python" "$here/sdk_test.py" "$server"
status=0
bash "$here/cli_test.sh" "$server" "$launcher" || status=1
# service env add|update|rm|set and repository rm, request for request against the original.
bash "$here/env_side_by_side.sh" "$server" "$launcher" || status=1
exit $status
