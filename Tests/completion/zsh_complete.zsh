#!/usr/bin/env zsh
# Prints the candidates real zsh offers for a partial command line, one per line.
# Usage: zsh_complete.zsh COMPLETIONS_DIR 'docker-cloud ser'
# An interactive zsh runs in a pseudo-terminal (zpty) with compinit and our _docker-cloud in $fpath;
# compadd is wrapped so that every candidate the completion system adds is also printed, marked.
zmodload zsh/zpty || exit 2
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "PS1=''; PROMPT_EOL_MARK=''; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd() { local -a __hits; builtin compadd -O __hits "$@"; (( ${#__hits} )) && print -r -- ${(j::)${(@)__hits/#/$'"'"'\n<hit>'"'"'}} >&2; builtin compadd "$@"; }'
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; zstyle ':completion:*' accept-exact false"
zpty -w -n z "$line"$'\t'
out=""
integer quiet=0
while (( quiet < 15 )); do
  if zpty -r -t z chunk; then out+=$chunk; quiet=0; else sleep 0.1; quiet+=1; fi
done
zpty -d z
print -rl -- ${${(M)${(f)out}:#<hit>*}#<hit>} | tr -d '\r' | sort -u
