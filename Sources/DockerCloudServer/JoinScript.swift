/// The script a host runs to become a node (`curl -Ls URL/api/infra/v1/token/join.sh | sudo -H
/// sh -s TOKEN`), written for POSIX sh with openssl and curl. It makes the host's key (which never
/// leaves it) and a certificate request, has the server sign the engine's certificate with the
/// token, writes the engine's TLS settings to daemon.json, (re)starts dockerd listening on the
/// host's address with `--tlsverify` (so the engine accepts only clients our CA signed: this
/// server), and registers the host. Every path can be put under `--prefix DIR`, so that tests
/// (and trials) run a private dockerd in a scratch directory.
enum JoinScript {
    static func text(serverURL: String) -> String {
        #"""
        #!/bin/sh
        # Joins this host to docker-cloud-server at \#(serverURL) as a node.
        #   sh -s TOKEN [--address IP] [--port N] [--name NAME] [--prefix DIR] [--dockerd-flags "FLAGS"] [--cacert FILE]
        # --prefix DIR puts daemon.json, the TLS files, the data and exec roots, the pidfile and the
        # unix socket under DIR and starts a dockerd of its own there (for trials and tests);
        # without it the host's dockerd is configured in /etc/docker and restarted.
        set -eu
        SERVER='\#(serverURL)'
        fail() { echo "docker-cloud join: $*" >&2; exit 1; }
        [ $# -ge 1 ] || fail "usage: sh -s TOKEN [--address IP] [--port N] [--name NAME] [--prefix DIR] [--dockerd-flags FLAGS] [--cacert FILE]"
        TOKEN=$1; shift
        case $TOKEN in *[!0-9a-f]*|'') fail "the token is the hexadecimal word docker-cloud node byo printed";; esac
        ADDRESS=''; PORT=2376; NAME=$(hostname 2>/dev/null || echo host); PREFIX=''; DOCKERD_FLAGS=''; CACERT=''
        while [ $# -gt 0 ]; do
          case $1 in
            --address) ADDRESS=${2:?--address needs an IP address}; shift 2;;
            --port) PORT=${2:?--port needs a number}; shift 2;;
            --name) NAME=${2:?--name needs a name}; shift 2;;
            --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2;;
            --dockerd-flags) DOCKERD_FLAGS=${2?--dockerd-flags needs flags}; shift 2;;
            --cacert) CACERT=${2:?--cacert needs a file}; shift 2;;
            *) fail "unknown option $1";;
          esac
        done
        case $PORT in *[!0-9]*|'') fail "--port: expected a number, got '$PORT'";; esac
        for tool in openssl curl awk; do command -v $tool >/dev/null 2>&1 || fail "$tool is needed (apt-get install $tool)"; done
        command -v dockerd >/dev/null 2>&1 || fail "dockerd is needed: install Docker first (apt-get install docker.io)"
        if [ -n "$PREFIX" ]; then
          mkdir -p "$PREFIX" && PREFIX=$(cd "$PREFIX" && pwd)
        fi
        ETC=$PREFIX/etc/docker
        TLS=$ETC/docker-cloud
        if [ -n "$PREFIX" ]; then SOCK=$PREFIX/run/docker.sock; else SOCK=/var/run/docker.sock; fi
        umask 077
        mkdir -p "$TLS"
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/docker-cloud-join.XXXXXX")
        trap 'rm -rf "$WORK"' EXIT INT TERM

        # The server's answers: JSON objects of strings. Field $2 of the answer in $1, with \n and \" decoded.
        field() {
          awk -v key="$2" 'BEGIN { RS = "\001" } {
            i = index($0, "\"" key "\":\""); if (i == 0) exit 1
            s = substr($0, i + length(key) + 4); out = ""
            while (length(s) > 0) {
              c = substr(s, 1, 1)
              if (c == "\\") { n = substr(s, 2, 1); if (n == "n") out = out "\n"; else out = out n; s = substr(s, 3) }
              else if (c == "\"") break
              else { out = out c; s = substr(s, 2) }
            }
            printf "%s", out }' "$1"
        }
        # POST of the JSON in file $2 to $SERVER$1; the answer in $WORK/answer. The token travels in
        # the file, not on a command line.
        post() {
          path=$1; body=$2
          if [ -n "$CACERT" ]; then set -- --cacert "$CACERT"; else set --; fi
          code=$(curl -sS -o "$WORK/answer" -w '%{http_code}' --max-time 90 -H 'Content-Type: application/json' \
                   --data-binary "@$body" "$@" "$SERVER$path") || fail "cannot reach $SERVER"
          case $code in
            2*) ;;
            *) fail "$(field "$WORK/answer" error 2>/dev/null || cat "$WORK/answer") (HTTP $code)";;
          esac
        }

        echo "Making this host's key and certificate request"
        openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/key.pem" 2>/dev/null || fail "openssl could not make a key"
        openssl req -new -key "$WORK/key.pem" -subj "/CN=docker-cloud-node" -out "$WORK/req.pem" 2>/dev/null || fail "openssl could not make a certificate request"
        CSR=$(awk '{ printf "%s\\n", $0 }' "$WORK/req.pem")
        {
          printf '{"token":"%s","csr":"%s","port":%s' "$TOKEN" "$CSR" "$PORT"
          if [ -n "$ADDRESS" ]; then printf ',"address":"%s"' "$ADDRESS"; fi
          printf '}'
        } >"$WORK/sign.json"
        echo "Having the engine's certificate signed by $SERVER"
        post /api/infra/v1/token/sign/ "$WORK/sign.json"
        field "$WORK/answer" certificate >"$WORK/cert.pem"
        field "$WORK/answer" ca >"$WORK/ca.pem"
        ADDRESS=$(field "$WORK/answer" address)
        grep -q 'BEGIN CERTIFICATE' "$WORK/cert.pem" || fail "the server's answer holds no certificate"
        mv "$WORK/key.pem" "$TLS/key.pem"; mv "$WORK/cert.pem" "$TLS/cert.pem"; mv "$WORK/ca.pem" "$TLS/ca.pem"

        CONF=$ETC/daemon.json
        if [ -z "$PREFIX" ] && [ -f "$CONF" ] && ! grep -q docker-cloud "$CONF"; then
          cp "$CONF" "$CONF.before-docker-cloud"
          echo "Kept the previous $CONF as $CONF.before-docker-cloud"
        fi
        {
          printf '{\n  "tlsverify": true,\n  "tlscacert": "%s",\n  "tlscert": "%s",\n  "tlskey": "%s",\n' "$TLS/ca.pem" "$TLS/cert.pem" "$TLS/key.pem"
          printf '  "hosts": ["unix://%s", "tcp://%s:%s"]' "$SOCK" "$ADDRESS" "$PORT"
          if [ -n "$PREFIX" ]; then
            printf ',\n  "data-root": "%s",\n  "exec-root": "%s",\n  "pidfile": "%s"' "$PREFIX/var/lib/docker" "$PREFIX/run/docker" "$PREFIX/run/docker.pid"
          fi
          printf '\n}\n'
        } >"$WORK/daemon.json"
        mv "$WORK/daemon.json" "$CONF"
        echo "Wrote $CONF: the engine listens on tcp://$ADDRESS:$PORT and accepts only this server's certificate"

        pidfile=/var/run/docker.pid
        [ -z "$PREFIX" ] || pidfile=$PREFIX/run/docker.pid
        if [ -z "$PREFIX" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
          # The packaged unit passes -H fd://, which clashes with "hosts" in daemon.json.
          mkdir -p /etc/systemd/system/docker.service.d
          printf '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd %s\n' "$DOCKERD_FLAGS" >/etc/systemd/system/docker.service.d/docker-cloud.conf
          systemctl daemon-reload && systemctl restart docker || fail "systemctl restart docker failed (journalctl -u docker)"
        else
          old=''
          [ -f "$pidfile" ] && old=$(cat "$pidfile")
          if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
            echo "Stopping the running dockerd ($old)"
            kill -TERM "$old"
            i=0; while kill -0 "$old" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
          fi
          rm -f "$pidfile"
          mkdir -p "$(dirname "$SOCK")" "$PREFIX/var/log"
          log=$PREFIX/var/log/dockerd.log
          # shellcheck disable=SC2086 # the flags are words
          if command -v setsid >/dev/null 2>&1; then
            setsid dockerd --config-file "$CONF" $DOCKERD_FLAGS >"$log" 2>&1 </dev/null &
          else
            nohup dockerd --config-file "$CONF" $DOCKERD_FLAGS >"$log" 2>&1 </dev/null &
          fi
          echo "Started dockerd (log: $log)"
        fi
        i=0
        until curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; do
          i=$((i + 1)); [ $i -lt 600 ] || fail "dockerd did not answer on $SOCK within 60 s"
          sleep 0.1
        done

        echo "Registering this host"
        printf '{"token":"%s","name":"%s"}' "$TOKEN" "$(printf '%s' "$NAME" | tr -cd 'A-Za-z0-9._-')" >"$WORK/register.json"
        post /api/infra/v1/token/register/ "$WORK/register.json"
        echo "This host is node $(field "$WORK/answer" uuid) ($(field "$WORK/answer" external_fqdn)): it shows in docker-cloud node ls"
        """#
    }
}
