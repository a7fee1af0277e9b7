# bash completion for docker-cloud. Generated from the command table by
# `docker-cloud completion bash`; do not edit (regenerate with `make completions`).
# Load it with: source <(docker-cloud completion bash), or install it as
# /usr/share/bash-completion/completions/docker-cloud.

declare -gA _docker_cloud_verbs=(
  ['docker-cloud']='action container event exec login node nodecluster repository run service stack tag trigger up version completion'
  ['docker-cloud action']='cancel inspect logs ls list ps retry'
  ['docker-cloud container']='exec inspect logs redeploy ps ls list start stop terminate attach cp diff export kill pause rename restart stats top unpause update wait'
  ['docker-cloud node']='byo inspect ls list ps rm upgrade'
  ['docker-cloud nodecluster']='az create inspect ls list ps nodetype provider region rm scale'
  ['docker-cloud repository']='ls list ps inspect register rm update'
  ['docker-cloud service']='create env inspect logs ps ls list redeploy run scale set start stop terminate'
  ['docker-cloud service env']='add ls list ps rm set update'
  ['docker-cloud stack']='create export inspect ls list ps redeploy start stop terminate up update'
  ['docker-cloud tag']='add ls list ps rm set'
  ['docker-cloud trigger']='create ls list ps rm call'
)
declare -gA _docker_cloud_aliases=(
  ['docker-cloud action list']='ls'
  ['docker-cloud action ps']='ls'
  ['docker-cloud container ls']='ps'
  ['docker-cloud container list']='ps'
  ['docker-cloud node list']='ls'
  ['docker-cloud node ps']='ls'
  ['docker-cloud nodecluster list']='ls'
  ['docker-cloud nodecluster ps']='ls'
  ['docker-cloud repository list']='ls'
  ['docker-cloud repository ps']='ls'
  ['docker-cloud service ls']='ps'
  ['docker-cloud service list']='ps'
  ['docker-cloud service env list']='ls'
  ['docker-cloud service env ps']='ls'
  ['docker-cloud stack list']='ls'
  ['docker-cloud stack ps']='ls'
  ['docker-cloud tag list']='ls'
  ['docker-cloud tag ps']='ls'
  ['docker-cloud trigger list']='ls'
  ['docker-cloud trigger ps']='ls'
)
declare -gA _docker_cloud_flags=(
  ['docker-cloud']='-h --help -v --version'
  ['docker-cloud action']='-h --help'
  ['docker-cloud action cancel']='-h --help'
  ['docker-cloud action inspect']='-h --help -o --format'
  ['docker-cloud action logs']='-h --help -f --follow -t --tail'
  ['docker-cloud action ls']='-h --help -q --quiet -l --last -o --format'
  ['docker-cloud action retry']='-h --help'
  ['docker-cloud container']='-h --help'
  ['docker-cloud container exec']='-h --help'
  ['docker-cloud container inspect']='-h --help -o --format'
  ['docker-cloud container logs']='-h --help -f --follow -t --tail'
  ['docker-cloud container redeploy']='-h --help --not-reuse-volumes --sync --timeout'
  ['docker-cloud container ps']='-h --help -q --quiet -s --status --service --no-trunc -o --format'
  ['docker-cloud container start']='-h --help --sync --timeout'
  ['docker-cloud container stop']='-h --help --sync --timeout'
  ['docker-cloud container terminate']='-h --help --sync --timeout'
  ['docker-cloud container attach']='-h --help --no-stdin'
  ['docker-cloud container cp']='-h --help'
  ['docker-cloud container diff']='-h --help -o --format'
  ['docker-cloud container export']='-h --help -o --output'
  ['docker-cloud container kill']='-h --help -s --signal'
  ['docker-cloud container pause']='-h --help'
  ['docker-cloud container rename']='-h --help'
  ['docker-cloud container restart']='-h --help --sync --timeout'
  ['docker-cloud container stats']='-h --help --no-stream -o --format'
  ['docker-cloud container top']='-h --help -o --format'
  ['docker-cloud container unpause']='-h --help'
  ['docker-cloud container update']='-h --help --cpushares --memory --memory-swap --cpuset'
  ['docker-cloud container wait']='-h --help'
  ['docker-cloud event']='-h --help'
  ['docker-cloud exec']='-h --help'
  ['docker-cloud login']='-h --help'
  ['docker-cloud node']='-h --help'
  ['docker-cloud node byo']='-h --help --nodecluster'
  ['docker-cloud node inspect']='-h --help -o --format'
  ['docker-cloud node ls']='-h --help -q --quiet -o --format'
  ['docker-cloud node rm']='-h --help --sync --timeout'
  ['docker-cloud node upgrade']='-h --help --sync --timeout'
  ['docker-cloud nodecluster']='-h --help'
  ['docker-cloud nodecluster az']='-h --help -q --quiet -o --format'
  ['docker-cloud nodecluster create']='-h --help -t --target-num-nodes --sync --timeout --disk --tag --aws-vpc-id --aws-vpc-subnet --aws-vpc-security-group --aws-iam-instance-profile-name'
  ['docker-cloud nodecluster inspect']='-h --help -o --format'
  ['docker-cloud nodecluster ls']='-h --help -q --quiet -o --format'
  ['docker-cloud nodecluster nodetype']='-h --help -p --provider -r --region -o --format'
  ['docker-cloud nodecluster provider']='-h --help -q --quiet -o --format'
  ['docker-cloud nodecluster region']='-h --help -p --provider -o --format'
  ['docker-cloud nodecluster rm']='-h --help --sync --timeout'
  ['docker-cloud nodecluster scale']='-h --help --sync --timeout'
  ['docker-cloud repository']='-h --help'
  ['docker-cloud repository ls']='-h --help -q --quiet -o --format'
  ['docker-cloud repository inspect']='-h --help -o --format'
  ['docker-cloud repository register']='-h --help -u --username -p --password --password-stdin'
  ['docker-cloud repository rm']='-h --help'
  ['docker-cloud repository update']='-h --help -u --username -p --password --password-stdin'
  ['docker-cloud run']='-h --help -n --name --cpushares --memory --privileged --no-privileged -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autoredeploy --no-autoredeploy --autorestart --role --sequential --no-sequential -v --volume --volumes-from --deployment-strategy --reschedule --no-reschedule --sync --timeout --net --pid'
  ['docker-cloud service']='-h --help'
  ['docker-cloud service create']='-h --help -n --name --cpushares --memory --privileged --no-privileged -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autoredeploy --no-autoredeploy --autorestart --role --sequential --no-sequential -v --volume --volumes-from --deployment-strategy --reschedule --no-reschedule --sync --timeout --net --pid'
  ['docker-cloud service env']='-h --help'
  ['docker-cloud service env add']='-h --help -e --env --env-file --sync --timeout --redeploy'
  ['docker-cloud service env ls']='-h --help -q --quiet --user --image --dockercloud -o --format'
  ['docker-cloud service env rm']='-h --help -n --name --sync --timeout --redeploy'
  ['docker-cloud service env set']='-h --help -e --env --env-file --sync --timeout --redeploy'
  ['docker-cloud service env update']='-h --help -e --env --env-file --sync --timeout --redeploy'
  ['docker-cloud service inspect']='-h --help -o --format'
  ['docker-cloud service logs']='-h --help -f --follow -t --tail'
  ['docker-cloud service ps']='-h --help -q --quiet -s --status --stack -o --format'
  ['docker-cloud service redeploy']='-h --help --not-reuse-volumes --sync --timeout'
  ['docker-cloud service run']='-h --help -n --name --cpushares --memory --privileged --no-privileged -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autoredeploy --no-autoredeploy --autorestart --role --sequential --no-sequential -v --volume --volumes-from --deployment-strategy --reschedule --no-reschedule --sync --timeout --net --pid'
  ['docker-cloud service scale']='-h --help --sync --timeout'
  ['docker-cloud service set']='-h --help --image --cpushares --memory --privileged --no-privileged -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autoredeploy --no-autoredeploy --autorestart --role --sequential --no-sequential --redeploy -v --volume --volumes-from --deployment-strategy --reschedule --no-reschedule --sync --timeout --net --pid'
  ['docker-cloud service start']='-h --help --sync --timeout'
  ['docker-cloud service stop']='-h --help --sync --timeout'
  ['docker-cloud service terminate']='-h --help --sync --timeout'
  ['docker-cloud stack']='-h --help'
  ['docker-cloud stack create']='-h --help -n --name -f --file --sync --timeout'
  ['docker-cloud stack export']='-h --help -f --file'
  ['docker-cloud stack inspect']='-h --help -o --format'
  ['docker-cloud stack ls']='-h --help -q --quiet -o --format'
  ['docker-cloud stack redeploy']='-h --help --not-reuse-volumes --sync --timeout'
  ['docker-cloud stack start']='-h --help --sync --timeout'
  ['docker-cloud stack stop']='-h --help --sync --timeout'
  ['docker-cloud stack terminate']='-h --help --sync --timeout'
  ['docker-cloud stack up']='-h --help -n --name -f --file --sync --timeout'
  ['docker-cloud stack update']='-h --help -f --file --sync --timeout'
  ['docker-cloud tag']='-h --help'
  ['docker-cloud tag add']='-h --help -t --tag'
  ['docker-cloud tag ls']='-h --help -q --quiet -o --format'
  ['docker-cloud tag rm']='-h --help -t --tag'
  ['docker-cloud tag set']='-h --help -t --tag'
  ['docker-cloud trigger']='-h --help'
  ['docker-cloud trigger create']='-h --help -n --name -o --operation'
  ['docker-cloud trigger ls']='-h --help -q --quiet -o --format'
  ['docker-cloud trigger rm']='-h --help'
  ['docker-cloud trigger call']='-h --help'
  ['docker-cloud up']='-h --help -n --name -f --file --sync --timeout'
  ['docker-cloud version']='-h --help'
  ['docker-cloud completion']='-h --help'
)
declare -gA _docker_cloud_value_flags=(
  ['docker-cloud action inspect']='-o --format'
  ['docker-cloud action logs']='-t --tail'
  ['docker-cloud action ls']='-l --last -o --format'
  ['docker-cloud container inspect']='-o --format'
  ['docker-cloud container logs']='-t --tail'
  ['docker-cloud container redeploy']='--timeout'
  ['docker-cloud container ps']='-s --status --service -o --format'
  ['docker-cloud container start']='--timeout'
  ['docker-cloud container stop']='--timeout'
  ['docker-cloud container terminate']='--timeout'
  ['docker-cloud container diff']='-o --format'
  ['docker-cloud container export']='-o --output'
  ['docker-cloud container kill']='-s --signal'
  ['docker-cloud container restart']='--timeout'
  ['docker-cloud container stats']='-o --format'
  ['docker-cloud container top']='-o --format'
  ['docker-cloud container update']='--cpushares --memory --memory-swap --cpuset'
  ['docker-cloud node byo']='--nodecluster'
  ['docker-cloud node inspect']='-o --format'
  ['docker-cloud node ls']='-o --format'
  ['docker-cloud node rm']='--timeout'
  ['docker-cloud node upgrade']='--timeout'
  ['docker-cloud nodecluster az']='-o --format'
  ['docker-cloud nodecluster create']='-t --target-num-nodes --timeout --disk --tag --aws-vpc-id --aws-vpc-subnet --aws-vpc-security-group --aws-iam-instance-profile-name'
  ['docker-cloud nodecluster inspect']='-o --format'
  ['docker-cloud nodecluster ls']='-o --format'
  ['docker-cloud nodecluster nodetype']='-p --provider -r --region -o --format'
  ['docker-cloud nodecluster provider']='-o --format'
  ['docker-cloud nodecluster region']='-p --provider -o --format'
  ['docker-cloud nodecluster rm']='--timeout'
  ['docker-cloud nodecluster scale']='--timeout'
  ['docker-cloud repository ls']='-o --format'
  ['docker-cloud repository inspect']='-o --format'
  ['docker-cloud repository register']='-u --username -p --password'
  ['docker-cloud repository update']='-u --username -p --password'
  ['docker-cloud run']='-n --name --cpushares --memory -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autorestart --role -v --volume --volumes-from --deployment-strategy --timeout --net --pid'
  ['docker-cloud service create']='-n --name --cpushares --memory -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autorestart --role -v --volume --volumes-from --deployment-strategy --timeout --net --pid'
  ['docker-cloud service env add']='-e --env --env-file --timeout'
  ['docker-cloud service env ls']='-o --format'
  ['docker-cloud service env rm']='-n --name --timeout'
  ['docker-cloud service env set']='-e --env --env-file --timeout'
  ['docker-cloud service env update']='-e --env --env-file --timeout'
  ['docker-cloud service inspect']='-o --format'
  ['docker-cloud service logs']='-t --tail'
  ['docker-cloud service ps']='-s --status --stack -o --format'
  ['docker-cloud service redeploy']='--timeout'
  ['docker-cloud service run']='-n --name --cpushares --memory -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autorestart --role -v --volume --volumes-from --deployment-strategy --timeout --net --pid'
  ['docker-cloud service scale']='--timeout'
  ['docker-cloud service set']='--image --cpushares --memory -t --target-num-containers -r --run-command --entrypoint -p --publish --expose -e --env --env-file --tag --link-service --autodestroy --autorestart --role -v --volume --volumes-from --deployment-strategy --timeout --net --pid'
  ['docker-cloud service start']='--timeout'
  ['docker-cloud service stop']='--timeout'
  ['docker-cloud service terminate']='--timeout'
  ['docker-cloud stack create']='-n --name -f --file --timeout'
  ['docker-cloud stack export']='-f --file'
  ['docker-cloud stack inspect']='-o --format'
  ['docker-cloud stack ls']='-o --format'
  ['docker-cloud stack redeploy']='--timeout'
  ['docker-cloud stack start']='--timeout'
  ['docker-cloud stack stop']='--timeout'
  ['docker-cloud stack terminate']='--timeout'
  ['docker-cloud stack up']='-n --name -f --file --timeout'
  ['docker-cloud stack update']='-f --file --timeout'
  ['docker-cloud tag add']='-t --tag'
  ['docker-cloud tag ls']='-o --format'
  ['docker-cloud tag rm']='-t --tag'
  ['docker-cloud tag set']='-t --tag'
  ['docker-cloud trigger create']='-n --name -o --operation'
  ['docker-cloud trigger ls']='-o --format'
  ['docker-cloud up']='-n --name -f --file --timeout'
)
declare -gA _docker_cloud_values=(
  ['docker-cloud container ps -s']='choices:Init|Stopped|Starting|Running|Stopping|Terminating|Terminated'
  ['docker-cloud container ps --status']='choices:Init|Stopped|Starting|Running|Stopping|Terminating|Terminated'
  ['docker-cloud container ps --service']='live:service'
  ['docker-cloud container export -o']='file'
  ['docker-cloud container export --output']='file'
  ['docker-cloud node byo --nodecluster']='live:nodecluster'
  ['docker-cloud run --env-file']='file'
  ['docker-cloud run --link-service']='live:service'
  ['docker-cloud run --autodestroy']='choices:OFF|ON_FAILURE|ALWAYS'
  ['docker-cloud run --autorestart']='choices:OFF|ON_FAILURE|ALWAYS'
  ['docker-cloud run --volumes-from']='live:service'
  ['docker-cloud run --deployment-strategy']='choices:EMPTIEST_NODE|HIGH_AVAILABILITY|EVERY_NODE'
  ['docker-cloud service create --env-file']='file'
  ['docker-cloud service create --link-service']='live:service'
  ['docker-cloud service create --autodestroy']='choices:OFF|ON_SUCCESS|ALWAYS'
  ['docker-cloud service create --autorestart']='choices:OFF|ON_FAILURE|ALWAYS'
  ['docker-cloud service create --volumes-from']='live:service'
  ['docker-cloud service create --deployment-strategy']='choices:EMPTIEST_NODE|HIGH_AVAILABILITY|EVERY_NODE'
  ['docker-cloud service env add --env-file']='file'
  ['docker-cloud service env set --env-file']='file'
  ['docker-cloud service env update --env-file']='file'
  ['docker-cloud service ps -s']='choices:Init|Stopped|Starting|Running|Stopping|Terminating|Terminated|Scaling|Partly running|Not running|Redeploying'
  ['docker-cloud service ps --status']='choices:Init|Stopped|Starting|Running|Stopping|Terminating|Terminated|Scaling|Partly running|Not running|Redeploying'
  ['docker-cloud service ps --stack']='live:stack'
  ['docker-cloud service run --env-file']='file'
  ['docker-cloud service run --link-service']='live:service'
  ['docker-cloud service run --autodestroy']='choices:OFF|ON_SUCCESS|ALWAYS'
  ['docker-cloud service run --autorestart']='choices:OFF|ON_FAILURE|ALWAYS'
  ['docker-cloud service run --volumes-from']='live:service'
  ['docker-cloud service run --deployment-strategy']='choices:EMPTIEST_NODE|HIGH_AVAILABILITY|EVERY_NODE'
  ['docker-cloud service set --env-file']='file'
  ['docker-cloud service set --link-service']='live:service'
  ['docker-cloud service set --autodestroy']='choices:OFF|ON_SUCCESS|ALWAYS'
  ['docker-cloud service set --autorestart']='choices:OFF|ON_FAILURE|ALWAYS'
  ['docker-cloud service set --volumes-from']='live:service'
  ['docker-cloud service set --deployment-strategy']='choices:EMPTIEST_NODE|HIGH_AVAILABILITY|EVERY_NODE'
  ['docker-cloud stack create -f']='file'
  ['docker-cloud stack create --file']='file'
  ['docker-cloud stack export -f']='file'
  ['docker-cloud stack export --file']='file'
  ['docker-cloud stack up -f']='file'
  ['docker-cloud stack up --file']='file'
  ['docker-cloud stack update -f']='file'
  ['docker-cloud stack update --file']='file'
  ['docker-cloud up -f']='file'
  ['docker-cloud up --file']='file'
)
declare -gA _docker_cloud_positionals=(
  ['docker-cloud action cancel']='live:action+'
  ['docker-cloud action inspect']='live:action+'
  ['docker-cloud action logs']='live:action+'
  ['docker-cloud action retry']='live:action+'
  ['docker-cloud container exec']='live:container,+'
  ['docker-cloud container inspect']='live:container+'
  ['docker-cloud container logs']='live:container+'
  ['docker-cloud container redeploy']='live:container+'
  ['docker-cloud container start']='live:container+'
  ['docker-cloud container stop']='live:container+'
  ['docker-cloud container terminate']='live:container+'
  ['docker-cloud container attach']='live:container'
  ['docker-cloud container cp']='file,file'
  ['docker-cloud container diff']='live:container'
  ['docker-cloud container export']='live:container'
  ['docker-cloud container kill']='live:container+'
  ['docker-cloud container pause']='live:container+'
  ['docker-cloud container rename']='live:container,-'
  ['docker-cloud container restart']='live:container+'
  ['docker-cloud container stats']='live:container+'
  ['docker-cloud container top']='live:container,+'
  ['docker-cloud container unpause']='live:container+'
  ['docker-cloud container update']='live:container+'
  ['docker-cloud container wait']='live:container+'
  ['docker-cloud exec']='live:container,+'
  ['docker-cloud node inspect']='live:node+'
  ['docker-cloud node rm']='live:node+'
  ['docker-cloud node upgrade']='live:node+'
  ['docker-cloud nodecluster inspect']='live:nodecluster+'
  ['docker-cloud nodecluster rm']='live:nodecluster+'
  ['docker-cloud nodecluster scale']='live:nodecluster+,-'
  ['docker-cloud repository inspect']='live:repository+'
  ['docker-cloud repository rm']='live:repository+'
  ['docker-cloud repository update']='live:repository+'
  ['docker-cloud service env add']='live:service+'
  ['docker-cloud service env ls']='live:service'
  ['docker-cloud service env rm']='live:service+'
  ['docker-cloud service env set']='live:service+'
  ['docker-cloud service env update']='live:service+'
  ['docker-cloud service inspect']='live:service+'
  ['docker-cloud service logs']='live:service+'
  ['docker-cloud service redeploy']='live:service+'
  ['docker-cloud service scale']='live:service+,-'
  ['docker-cloud service set']='live:service+'
  ['docker-cloud service start']='live:service+'
  ['docker-cloud service stop']='live:service+'
  ['docker-cloud service terminate']='live:service+'
  ['docker-cloud stack export']='live:stack'
  ['docker-cloud stack inspect']='live:stack+'
  ['docker-cloud stack redeploy']='live:stack+'
  ['docker-cloud stack start']='live:stack+'
  ['docker-cloud stack stop']='live:stack+'
  ['docker-cloud stack terminate']='live:stack+'
  ['docker-cloud stack update']='live:stack'
  ['docker-cloud trigger create']='live:service'
  ['docker-cloud trigger ls']='live:service'
  ['docker-cloud trigger rm']='live:service,live:trigger+'
  ['docker-cloud completion']='choices:bash|zsh'
)
# Completes one value: fixed choices, file names, or names from the server (quietly, quickly).
_docker_cloud_value() {
  local spec=$1 cur=$2 context=$3
  case "$spec" in
    choices:*)
      # One choice per line (some have blanks: "Partly running"), each quoted for the command line.
      local IFS=$'
' choice
      for choice in $(compgen -W "$(tr '|' '
' <<< "${spec#choices:}")" -- "$cur"); do COMPREPLY+=("$(printf '%q' "$choice")"); done ;;
    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    live:*)
      local names
      names=$(timeout 3 "${_docker_cloud_program:-docker-cloud}" __complete "${spec#live:}" $context 2>/dev/null)
      COMPREPLY=($(compgen -W "$names" -- "$cur")) ;;
  esac
}

_docker_cloud() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  _docker_cloud_program=${COMP_WORDS[0]}
  local path=docker-cloud i=1 word canonical positional=0 first=""
  # Walk the words before the cursor: verbs extend the path, options (and their values) are skipped.
  while [ $i -lt $COMP_CWORD ]; do
    word=${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      # readline makes "--opt=value" three words: skip "=" and the value; "--opt value" skips one.
      if [[ ${COMP_WORDS[i+1]} == "=" ]]; then i=$((i + 2))
      elif [[ $word != *=* && " ${_docker_cloud_value_flags[$path]} " == *" $word "* ]]; then i=$((i + 1)); fi
    elif [[ $word == "=" ]]; then i=$((i + 1))  # inside a value such as -e KEY=VALUE
    elif [ -n "${_docker_cloud_verbs[$path]+x}" ] && [[ " ${_docker_cloud_verbs[$path]} " == *" $word "* ]]; then
      canonical=${_docker_cloud_aliases["$path $word"]:-$word}
      path="$path $canonical"
    else
      positional=$((positional + 1)); [ -z "$first" ] && first=$word
    fi
    i=$((i + 1))
  done
  COMPREPLY=()
  # The value of an option: `--opt VALUE` or `--opt=VALUE` (one word, or three when "=" breaks words).
  if [[ $prev == "=" && ${COMP_WORDS[COMP_CWORD-2]} == --* ]] || [[ $cur == "=" && $prev == --* ]]; then
    local option=${COMP_WORDS[COMP_CWORD-2]} value=$cur
    [ "$cur" = "=" ] && option=$prev value=""
    local spec=${_docker_cloud_values["$path $option"]}
    [ -n "$spec" ] && _docker_cloud_value "$spec" "$value" "$first"
    return 0
  fi
  if [[ $cur == --*=* ]]; then
    local spec=${_docker_cloud_values["$path ${cur%%=*}"]}
    [ -n "$spec" ] && _docker_cloud_value "$spec" "${cur#*=}" "$first"
    return 0
  fi
  if [[ $prev == -* && " ${_docker_cloud_value_flags[$path]} " == *" $prev "* ]]; then
    local spec=${_docker_cloud_values["$path $prev"]}
    [ -n "$spec" ] && _docker_cloud_value "$spec" "$cur" "$first"
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_docker_cloud_flags[$path]}" -- "$cur"))
    return 0
  fi
  if [ -n "${_docker_cloud_verbs[$path]+x}" ]; then
    COMPREPLY=($(compgen -W "${_docker_cloud_verbs[$path]}" -- "$cur"))
    return 0
  fi
  # A positional: its kind by position (a trailing `+` repeats the last).
  local specs=${_docker_cloud_positionals[$path]} spec
  [ -z "$specs" ] && return 0
  IFS=, read -ra specs <<< "$specs"
  if [ $positional -lt ${#specs[@]} ]; then spec=${specs[positional]}; else spec=${specs[${#specs[@]}-1]}; [[ $spec == *+ ]] || return 0; fi
  spec=${spec%+}
  [ "$spec" = - ] && return 0
  _docker_cloud_value "$spec" "$cur" "$first"
}
complete -F _docker_cloud docker-cloud
