# The end-to-end cases, in order (later cases see what earlier ones created). Sourced by run.sh:
# `run NAME [--stdin TEXT] [--env K=V] ARGS...` compares a transcript with golden/NAME.txt.
# Every leaf command of the command table appears at least once (EndToEndCoverageTests checks that).

# --- usage, help, version: no server needed
run version-flag --version
run version version
run help-top
run help-service service
run help-service-run service run --help
run usage-unknown-command servce ps
run usage-unknown-flag service ps --stauts Running
run usage-bad-choice service ps --status Bogus
run usage-bad-int service scale web many
run completion-unknown-shell completion fish

# --- no server, a server that is not the API, a secret in the URL: one line, exit 3
run unreachable --env DOCKERCLOUD_REST_HOST=http://user:topsecret@127.0.0.1:1/ service ps
run bad-answer-html --env DOCKERCLOUD_REST_HOST=$fake service ps
# DOCKERCLOUD_TIMEOUT bounds each request: a server that never answers cannot make it hang.
run timeout-silent --env DOCKERCLOUD_REST_HOST=$silent --env DOCKERCLOUD_TIMEOUT=1 service ps
run bad-answer-shape --env DOCKERCLOUD_REST_HOST=$fake stack ls
run bad-answer-404 --env DOCKERCLOUD_REST_HOST=$fake container inspect web

# --- catalogs
run provider-ls nodecluster provider
run region-ls nodecluster region -p local
run nodetype-ls nodecluster nodetype -p local
run az-ls nodecluster az
run provider-json nodecluster provider --format json

# --- nodes and node clusters (two simulated nodes come with the server)
run node-ls-quiet-count node ls --format '{{.state}}'
run nodecluster-create nodecluster create -t 1 --sync --tag edge edge digitalocean lon1 1gb
run nodecluster-ls nodecluster ls
run nodecluster-inspect nodecluster inspect edge --format '{{.name}} {{.state}} {{.target_num_nodes}}'
run nodecluster-scale nodecluster scale edge 2 --sync
run node-inspect-bad node inspect nosuchnode
run node-byo node byo
run node-upgrade-bad node upgrade 00000000-0000-4000-8000-000000000000

# --- services
run service-run service run -n web -t 2 -p 80 --expose 9000 -e MODE=prod --sync busybox
run service-create service create -n pg --autorestart ALWAYS --sync postgres
run service-create-bad-env service create -n bad -e NOEQUALS busybox
run service-create-bad-port service create -n bad -p 80:x busybox
run service-create-bad-link service create -n bad --link-service 'a b' busybox
run service-create-bad-volume service create -n bad -v a:b:c:d busybox
run service-ps service ps
run service-ps-quiet-format service ps --format '{{.name}}\t{{.state}}\t{{.target_num_containers}}'
run service-ps-status service ps --status Stopped
run service-inspect service inspect web --format '{{.name}} {{.image_name}} {{.target_num_containers}}'
run service-inspect-missing service inspect nosuch
run service-start service start pg --sync
run service-set service set web --autorestart ON_FAILURE --no-autoredeploy
run service-set-redeploy service set web -t 2 --redeploy --sync
run service-scale service scale web 3 --sync
run service-stop service stop web --sync
run service-start-again service start web --sync
run service-redeploy service redeploy pg --sync
run service-env-ls service env ls web --user
run service-env-add service env add web -e LEVEL=debug -e MODE=again
run service-env-update service env update web -e LEVEL=info
run service-env-update-unknown service env update web -e NOPE=1
run service-env-set service env set pg -e A=1 -e B=2
run service-env-rm service env rm web -n LEVEL -n PATH
# Nothing left to change: said, exit 3, nothing written (and, as 1.0.9, the services after it untouched).
run service-env-add-nothing service env add web pg -e MODE=again
run service-env-rm-platform service env rm web -n DOCKERCLOUD_SERVICE_HOSTNAME
run service-env-add-bad service env add web -e NOEQUALS
run service-env-ls-quiet service env ls web -q --user
run service-logs service logs pg
run run-top run -n top -t 1 --sync busybox

# --- containers
run container-ps container ps --service web
run container-ps-quiet-count container ps --status Running --format '{{.state}}'
run container-inspect container inspect web-1 --format '{{.name}} {{.state}}'
run container-stop container stop web-1 --sync
run container-start container start web-1 --sync
run container-redeploy container redeploy web-2 --sync
run container-logs container logs pg-1 --tail 2
# logs and exec whose first stream connection cannot be made: the reason, and a non-zero exit.
run logs-stream-refused --env DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:1/ container logs pg-1
run logs-stream-not-tls --env DOCKERCLOUD_STREAM_HOST=wss://${fake#http://} service logs pg
run exec-stream-refused --env DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:1/ exec web-2 true
run container-exec container exec web-1 echo hello from the container
script=$'echo piped\nexit 3\n'
run exec-stdin --stdin "$script" exec web-2

# --- the engine's container verbs: simulated nodes have no engine, so one clear 400 line, exit 3
# (Tests/engine/ runs them against a real dockerd); usage errors exit 2 before any request.
run help-container container
run help-container-cp container cp --help
run help-container-stats container stats --help
run help-container-top container top --help
run container-top container top web-1
run container-top-json container top -o json web-1 aux
run container-stats container stats --no-stream web-1
run container-stats-follow container stats web-1 web-2
run container-stats-missing container stats --no-stream nosuch web-1
run container-diff container diff web-1
run container-export container export web-1 -o fs.tar
run container-cp-from container cp web-1:/etc/hostname .
printf 'local file\n' > local.txt
run container-cp-to container cp local.txt web-1:/tmp/
run container-cp-stdin --stdin 'not a tar' container cp - web-1:/tmp
run container-cp-no-container container cp local.txt copy.txt
run container-cp-two-containers container cp web-1:/etc/hostname web-2:/tmp
run container-cp-empty-path container cp web-1: .
run container-cp-missing-local container cp nosuch.txt web-1:/tmp/
run container-kill container kill -s SIGHUP web-1
run container-kill-missing container kill web-1 nosuch
run container-pause container pause web-1
run container-unpause container unpause web-1 web-2
run container-wait container wait web-1
run container-rename container rename web-1 web-one
run container-rename-usage container rename web-1
run container-update container update web-1 --memory 64 --cpushares 512 --memory-swap -1 --cpuset 0
run container-update-nothing container update web-1
run container-update-bad-int container update web-1 --memory lots
run container-attach container attach --no-stdin web-1
run container-restart container restart web-1 --sync
run container-restart-missing container restart nosuch
run container-terminate container terminate top-1 --sync

# --- stacks
cat > docker-cloud.yml <<'YAML'
front:
  image: busybox
  command: sh -c 'echo front up; sleep 600'
  links: ["back:api"]
  ports: ["80"]
  environment: ["STAGE=${STAGE}"]
back:
  image: busybox
  command: sleep 600
YAML
export STAGE=e2e
run stack-create stack create -n shop --sync
run stack-up stack up -n shop2 --sync
run up up -n shop3 -f docker-cloud.yml --sync
run stack-ls stack ls
run stack-inspect stack inspect shop --format '{{.name}} {{.state}}'
run stack-start stack start shop --sync
run stack-export stack export shop
cat > update.yml <<'YAML'
version: "2"
services:
  front:
    image: busybox
    command: sleep 600
YAML
run stack-update stack update shop -f update.yml --sync
run stack-stop stack stop shop2 --sync
run stack-redeploy stack redeploy shop3 --sync
run stack-terminate stack terminate shop2 --sync
run stack-bad-file stack create -f nosuch.yml
printf 'web: [unclosed\n' > broken.yml
run stack-broken-file stack create -f broken.yml

# --- tags and triggers
run tag-add tag add -t green -t canary web
run tag-ls tag ls web edge nosuch
run tag-rm tag rm -t canary web
run tag-set tag set -t prod edge
run trigger-create trigger create -n hook -o REDEPLOY web
run trigger-ls trigger ls web
run trigger-call-bad trigger call /api/app/v1/service/00000000-0000-4000-8000-000000000000/trigger/00000000-0000-4000-8000-000000000000/call/
run trigger-rm trigger rm web hook

# --- repositories
run repository-register repository register -u bob -p secret quay.io/e2e/app
run repository-ls repository ls
run repository-inspect repository inspect quay.io/e2e/app
run repository-update repository update -p newsecret quay.io/e2e/app
run repository-update-stdin --stdin $'fromstdin\n' repository update --password-stdin quay.io/e2e/app
run repository-update-both --stdin $'x\n' repository update -p a --password-stdin quay.io/e2e/app
run repository-rm repository rm quay.io/e2e/app
run repository-rm-missing repository rm quay.io/e2e/app

# --- actions
run action-ls-count action ls -l 3 --format '{{.action}}'
run action-inspect-bad action inspect nosuchaction
run action-cancel-bad action cancel 00000000-0000-4000-8000-000000000000
run action-retry-bad action retry 00000000-0000-4000-8000-000000000000
run action-logs-bad action logs 00000000-0000-4000-8000-000000000000

# --- login (stores credentials for later commands) and errors
run login --stdin $'e2e\ne2ekey\n' login
run auth-bad --env DOCKERCLOUD_APIKEY=wrong service ps
run terminate-services service terminate web pg --sync
run nodecluster-rm nodecluster rm edge --sync
run node-rm-bad node rm nosuchnode
run event-unauthorized --env DOCKERCLOUD_APIKEY=wrong event
# A first connection that cannot be made ends `event` at once with the reason (no reconnecting).
run event-unreachable --env DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:1/ event

# --- an action by uuid (its uuid is captured, not compared)
last_action=$("$bin/docker-cloud" action ls -q -l 1)
run action-inspect action inspect "$last_action" --format '{{.action}} {{.state}}'
run action-logs action logs "$last_action"
