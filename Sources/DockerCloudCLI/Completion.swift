import DockerCloudAPI
import DockerCloudKit
import Foundation

/// Shell completion, generated from the command table: `docker-cloud completion bash|zsh` prints
/// the script (the checked-in `completions/` files are exactly that output), and the scripts call
/// the hidden `docker-cloud __complete KIND` for names that live on the server.
enum ShellCompletion {
    /// Every visible command with its path from the root (the root itself first, path []).
    static func commands(_ root: Command) -> [(path: [String], command: Command)] {
        var out: [(path: [String], command: Command)] = []
        func walk(_ c: Command, _ path: [String]) {
            out.append((path, c))
            for s in c.visibleSubcommands { walk(s, path + [s.name]) }
        }
        walk(root, [])
        return out
    }

    static func visibleOptions(_ c: Command) -> [Option] { c.options.filter { !$0.hidden } }

    /// How a value is completed, as the scripts spell it: `choices:A B`, `file`, `live:service`, or ``.
    static func valueSpec(_ completion: Completion, choices: [String]) -> String {
        switch completion {
        case .none: return ""
        case .file: return "file"
        case .choices: return "choices:" + choices.joined(separator: "|")
        default: return "live:" + completion.rawValue
        }
    }

    // MARK: bash

    static func bash(_ root: Command) -> String {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var verbs = "", flags = "", valueFlags = "", values = "", positionals = "", aliases = ""
        for (path, c) in commands(root) {
            // Keys are command paths from the program name ("docker-cloud service run"): bash has no empty keys.
            let full = (["docker-cloud"] + path).joined(separator: " ")
            let key = q(full)
            if !c.visibleSubcommands.isEmpty {
                verbs += "  [\(key)]=\(q(c.visibleSubcommands.flatMap { [$0.name] + $0.aliases }.joined(separator: " ")))\n"
                for s in c.visibleSubcommands {
                    for a in s.aliases { aliases += "  [\(q(full + " " + a))]=\(q(s.name))\n" }
                }
            }
            var names = ["-h", "--help"], taking: [String] = []
            for o in visibleOptions(c) {
                var forms = ["--\(o.long)"]
                if let s = o.short { forms.insert("-\(s)", at: 0) }
                names += forms
                if o.kind != .flag {
                    taking += forms
                    let spec = valueSpec(o.completion, choices: o.choices)
                    if !spec.isEmpty { for f in forms { values += "  [\(q(full + " " + f))]=\(q(spec))\n" } }
                }
            }
            flags += "  [\(key)]=\(q(names.joined(separator: " ")))\n"
            if !taking.isEmpty { valueFlags += "  [\(key)]=\(q(taking.joined(separator: " ")))\n" }
            let specs = c.positionals.map { valueSpec($0.completion, choices: $0.choices) + ($0.arity == .oneOrMore || $0.arity == .zeroOrMore || $0.arity == .remainder ? "+" : "") }
            if specs.contains(where: { $0 != "" && $0 != "+" }) { positionals += "  [\(key)]=\(q(specs.map { $0.isEmpty ? "-" : $0 }.joined(separator: ",")))\n" }
        }
        return """
        # bash completion for docker-cloud. Generated from the command table by
        # `docker-cloud completion bash`; do not edit (regenerate with `make completions`).
        # Load it with: source <(docker-cloud completion bash), or install it as
        # /usr/share/bash-completion/completions/docker-cloud.

        declare -gA _docker_cloud_verbs=(
        \(verbs))
        declare -gA _docker_cloud_aliases=(
        \(aliases))
        declare -gA _docker_cloud_flags=(
        \(flags))
        declare -gA _docker_cloud_value_flags=(
        \(valueFlags))
        declare -gA _docker_cloud_values=(
        \(values))
        declare -gA _docker_cloud_positionals=(
        \(positionals))
        # Completes one value: fixed choices, file names, or names from the server (quietly, quickly).
        _docker_cloud_value() {
          local spec=$1 cur=$2 context=$3
          case "$spec" in
            choices:*)
              # One choice per line (some have blanks: "Partly running"), each quoted for the command line.
              local IFS=$'\n' choice
              for choice in $(compgen -W "$(tr '|' '\n' <<< "${spec#choices:}")" -- "$cur"); do COMPREPLY+=("$(printf '%q' "$choice")"); done ;;
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

        """
    }

    // MARK: zsh

    static func zsh(_ root: Command) -> String {
        /// Text inside a single-quoted _arguments spec: quotes closed and reopened; brackets and colons escaped.
        func spec(_ s: String) -> String {
            bracketed(s).replacingOccurrences(of: ":", with: "\\:")
        }
        /// A description inside `[...]`: only quotes and brackets need escaping there.
        func bracketed(_ s: String) -> String {
            s.replacingOccurrences(of: "'", with: "'\\''").replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "]", with: "\\]")
        }
        func action(_ completion: Completion, _ choices: [String]) -> String {
            switch completion {
            case .none: return ""
            case .file: return "_files"
            case .choices: return "(" + choices.map { spec($0).replacingOccurrences(of: " ", with: "\\ ") }.joined(separator: " ") + ")"
            default: return "_docker-cloud_live \(completion.rawValue)"
            }
        }
        func function(_ path: [String]) -> String { (["_docker-cloud"] + path).joined(separator: "_") }
        var out = """
        #compdef docker-cloud
        # zsh completion for docker-cloud. Generated from the command table by
        # `docker-cloud completion zsh`; do not edit (regenerate with `make completions`).
        # Install it as _docker-cloud in a directory of $fpath (e.g. /usr/share/zsh/vendor-completions),
        # or load it with: source <(docker-cloud completion zsh)

        # Names from the server (quietly, quickly); a trigger's service is the verb's first argument.
        # The kind is the last argument (_arguments puts its compadd options before it).
        _docker-cloud_live() {
          local kind=${argv[-1]}
          local -a names
          names=(${(f)"$(timeout 3 docker-cloud __complete $kind ${line[1]} 2>/dev/null)"})
          _describe -t $kind $kind names
        }


        """
        for (path, c) in commands(root) {
            out += "\(function(path))() {\n"
            var args = ["'(- *)'{-h,--help}'[show this help message and exit]'"]
            for o in visibleOptions(c) {
                let forms = (o.short.map { ["-\($0)"] } ?? []) + ["--\(o.long)"]
                // A value follows a short form directly or apart (-t+), a long one after = or apart (--x=).
                let named = forms.map { $0 + (o.kind == .flag ? "" : ($0.hasPrefix("--") ? "=" : "+")) }
                var body = "[\(bracketed(o.help))]"
                if o.kind != .flag { body += ":\(spec(o.metavar ?? o.long)):\(action(o.completion, o.choices))" }
                if forms.count == 1 {
                    args.append("'" + (o.kind == .append ? "*" : "") + named[0] + body + "'")
                } else {
                    let exclusive = o.kind == .append ? "'*'" : "'(\(forms.joined(separator: " ")))'"
                    args.append(exclusive + "{" + named.joined(separator: ",") + "}'" + body + "'")
                }
            }
            if !c.visibleSubcommands.isEmpty {
                args.append("'1: :->verbs'")
                args.append("'*:: :->args'")
                out += "  local curcontext=$curcontext state line\n  typeset -A opt_args\n"
                out += "  _arguments -C -s \\\n    " + args.joined(separator: " \\\n    ") + "\n"
                out += "  case $state in\n    verbs)\n      local -a verbs\n      verbs=(\n"
                for s in c.visibleSubcommands {
                    for name in [s.name] + s.aliases { out += "        '\(spec(name)):\(spec(s.summary))'\n" }
                }
                out += "      )\n      _describe -t commands 'docker-cloud\(path.isEmpty ? "" : " " + path.joined(separator: " ")) command' verbs ;;\n"
                out += "    args)\n      case $line[1] in\n"
                for s in c.visibleSubcommands {
                    out += "        \(([s.name] + s.aliases).joined(separator: "|"))) \(function(path + [s.name])) ;;\n"
                }
                out += "      esac ;;\n  esac\n}\n\n"
            } else {
                for (k, p) in c.positionals.enumerated() {
                    let act = action(p.completion, p.choices)
                    let desc = spec(p.help)
                    switch p.arity {
                    case .one: args.append("'\(k + 1):\(desc):\(act)'")
                    case .optional: args.append("'::\(desc):\(act)'")
                    case .oneOrMore, .zeroOrMore: args.append("'*:\(desc):\(act)'")
                    case .remainder: args.append("'*::\(desc):_normal'")
                    }
                }
                out += "  _arguments -s \\\n    " + args.joined(separator: " \\\n    ") + "\n}\n\n"
            }
        }
        out += "_docker-cloud \"$@\"\n"
        return out
    }

    // MARK: entry points

    /// `docker-cloud completion bash|zsh`
    static func print(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        Output.out(inv.positional("shell").first == "zsh" ? zsh(commandTable) : bash(commandTable))
        return 0
    }

    /// `docker-cloud __complete KIND [SERVICE]`: names, one per line; nothing at all on any error,
    /// without credentials, or when the server takes more than two seconds.
    static func names(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        guard let credentials = ctx.credentials, let kind = inv.positional("kind").first.flatMap(Completion.init(rawValue:)) else { return 0 }
        let api = APIClient(config: ctx.config, transports: 1, timeout: 2) { credentials }
        api.attempts = 1
        func list(_ endpoint: Endpoint, _ filters: [(String, String)] = []) -> [JSONValue] {
            (try? api.get(ListPage<JSONValue>.self, api.path(endpoint), query: filters + [("limit", "1000")]).objects) ?? []
        }
        func text(_ o: JSONValue, _ key: String) -> String { o[key]?.stringValue ?? "" }
        let live = { (o: JSONValue) in text(o, "state") != "Terminated" }
        var names: [String] = []
        switch kind {
        case .service, .stack, .container, .nodecluster: names = list(Endpoint(rawValue: kind.rawValue)!).filter(live).map { text($0, "name") }
        case .node: names = list(.node).filter(live).map { String(text($0, "uuid").prefix(8)) }
        case .action: names = list(.action).map { String(text($0, "uuid").prefix(8)) }
        case .repository: names = list(.repository).map { text($0, "name") }
        case .trigger:
            guard let service = inv.positional("context").first,
                  let uri = (try? Resolver(api: api).resolve(.service, service, kind: "service"))?["resource_uri"]?.stringValue,
                  let triggers = try? api.get(ListPage<JSONValue>.self, uri + "trigger/") else { return 0 }
            names = triggers.objects.map { text($0, "name") }
        default: return 0
        }
        Output.out(Array(Set(names.filter { !$0.isEmpty })).sorted().map { $0 + "\n" }.joined())
        return 0
    }
}
