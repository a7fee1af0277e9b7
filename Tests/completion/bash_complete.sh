#!/usr/bin/env bash
# Prints the candidates real bash (with bash-completion) offers for a partial command line.
# Usage: bash_complete.sh COMPLETION_SCRIPT 'docker-cloud ser'
# The line is split the way readline splits it (COMP_WORDBREAKS), then the completion function
# registered for docker-cloud runs as bash would run it on TAB.
script=$1 line=$2
exec bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion || exit 2
  source "$1" || exit 2
  line=$2
  COMP_LINE=$line COMP_POINT=${#line}
  # readline word splitting: blanks separate words; "=" and ":" are words of their own.
  words=() current=""
  for ((k = 0; k < ${#line}; k++)); do
    c=${line:k:1}
    if [[ $c == " " ]]; then [ -n "$current" ] && words+=("$current"); current=""
    elif [[ $c == "=" || $c == ":" ]]; then [ -n "$current" ] && words+=("$current"); words+=("$c"); current=""
    else current+=$c; fi
  done
  words+=("$current")
  COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
  spec=$(complete -p docker-cloud) || exit 2
  function=$(sed -E "s/.*-F ([^ ]+).*/\1/" <<< "$spec")
  "$function" docker-cloud "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf "%s\n" "${COMPREPLY[@]}" | sort -u
' bash "$script" "$line"
