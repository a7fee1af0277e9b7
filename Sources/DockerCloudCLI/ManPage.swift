import Foundation

/// Manual pages in roff (`man` macros), generated from the command table and nothing else that
/// changes: docker-cloud(1) for the program (global options, the top-level commands in full,
/// output formats, environment, files, exit status, examples) and one page per noun
/// (docker-cloud-service(1), ...) with every verb, nested ones included, and every visible option.
/// Hidden options and `__` commands are left out. The output depends only on the table and the
/// strings passed in (no clock), so a flag added to the table appears after one regeneration.
enum ManPage {
    /// Every page, the program's first, then one per noun in table order.
    /// `date` is the .TH date field; the version when not given, so output stays reproducible.
    static func pages(root: Command, version: String, date: String? = nil) -> [(name: String, text: String)] {
        let header = Header(date: date ?? version, source: date == nil ? root.name : "\(root.name) \(version)")
        var out = [(name: "\(root.name).1", text: programPage(root, header))]
        for noun in visibleSubcommands(root) where isNoun(noun) {
            out.append((name: "\(root.name)-\(noun.name).1", text: nounPage(noun, root: root, header)))
        }
        return out
    }

    /// An example of docker-cloud(1): what it does, an optional environment prefix, the arguments
    /// after the program name (the tests parse them with the table), and an optional shell tail.
    struct Example {
        var what: String
        var environment: String?
        var arguments: [String]
        var tail: String?

        init(_ what: String, environment: String? = nil, _ arguments: [String], tail: String? = nil) {
            self.what = what; self.environment = environment; self.arguments = arguments; self.tail = tail
        }
    }

    static let examples: [Example] = [
        Example("Run two nginx containers publishing port 80, waiting until they run:",
                ["run", "-n", "web", "-t", "2", "-p", "80:80", "--sync", "nginx"]),
        Example("List the running services of a stack:", ["service", "ps", "--stack", "shop", "--status", "Running"]),
        Example("Names of the services as JSON, for jq:", ["service", "ps", "--format", "json"], tail: "| jq -r '.[].name'"),
        Example("Custom columns from a template:", ["container", "ps", "--format", "{{.name}}\\t{{.state}}"]),
        Example("Scale a service to four containers, giving up after five minutes:",
                ["service", "scale", "web", "4", "--sync", "--timeout", "300"]),
        Example("Add an environment variable to a service and redeploy it:",
                ["service", "env", "add", "-e", "LOG_LEVEL=debug", "--redeploy", "web"]),
        Example("Follow the last 50 lines of a service's logs:", ["service", "logs", "-f", "-t", "50", "web"]),
        Example("Create and start the stack of the Stackfile found from the working directory upwards:",
                ["up", "-n", "shop"]),
        Example("Open a shell in a container:", ["exec", "web-1", "sh"]),
        Example("List the stacks of an organisation the user belongs to:", environment: "DOCKERCLOUD_NAMESPACE=acme", ["stack", "ls"]),
    ]

    // MARK: - The pages

    struct Header {
        var date: String
        var source: String
    }

    static func programPage(_ root: Command, _ header: Header) -> String {
        let program = root.name
        var w = Writer()
        w.title(program, header)
        w.macro("SH", "NAME")
        w.text(escape(program) + " \\- command\\-line client for the Docker Cloud API")

        w.macro("SH", "SYNOPSIS")
        let commands = visibleSubcommands(root)
        w.synopsis([program], (["\\%[" + plain("B", "-h") + "]"] + optionUsage(visibleOptions(root))).joined(separator: " "))
        for leaf in commands where !isNoun(leaf) { w.synopsis([program, leaf.name], synopsisArguments(leaf)) }
        if commands.contains(where: isNoun) {
            w.synopsis([program], italic("noun") + " " + italic("verb") + " \\%[" + plain("I", "options") + "] \\%[" + plain("I", "arguments") + "]")
        }
        w.macro("YS")

        w.macro("SH", "DESCRIPTION")
        w.text(bold(program) + " manages applications and infrastructure on Docker Cloud, or on any server that speaks the same API: stacks, services and their containers, nodes and node clusters, external repositories, tags, triggers, and the actions that record every operation.")
        w.text("It is a drop\\-in replacement for the Python docker\\-cloud 1.0.9 client: the same commands, options, defaults, output and exit status.")
        w.macro("PP")
        let leaves = commands.filter { !isNoun($0) }.map { bold($0.name) }
        w.text("Most commands are a noun followed by a verb, as in " + bold("\(program) service ps") + "; a few frequent ones stand alone: " + list(leaves) + ".")
        w.text("A noun without a verb lists its verbs, and " + bold("-h") + " or " + bold("--help") + " after any command prints its usage.")
        w.text("Objects are named by UUID, by a unique prefix of their UUID, or by name; services and containers also by " + italic("name.stack") + ".")
        w.text("Credentials are read only when a command sends a request (see " + escape("ENVIRONMENT") + ").")
        w.macro("PP")
        w.text("Commands that start an asynchronous action (start, stop, redeploy, terminate, scale, ...) print the UUIDs of the objects they act on and return at once.")
        w.text("With " + bold("--sync") + " they wait until the action has finished, reporting its progress on standard error only, so standard output stays what scripts read; " + bold("--timeout") + " " + italic("SECONDS") + " bounds the wait.")
        w.text("An action that fails or times out makes the exit status non\\-zero.")

        w.macro("SH", "COMMANDS")
        w.text("The commands of " + bold(program) + ", in the order " + bold("\(program) --help") + " lists them.")
        w.text("Each noun has its own manual page; the other commands are described below.")
        for c in commands {
            w.macro("TP")
            w.text(bold(c.name))
            var body = escape(sentence(c.summary))
            if !c.aliases.isEmpty { body += " Also answers to " + list(c.aliases.map(bold)) + "." }
            if isNoun(c) {
                let verbs = leafPaths(c, path: []).map { bold($0.path.joined(separator: " ")) }
                body += " Verbs: " + list(verbs) + "."
                body += " See " + reference("\(program)-\(c.name)") + "."
            } else {
                body += " See " + escape("\(program) \(c.name)") + " below."
            }
            w.text(body)
        }
        for c in commands where !isNoun(c) {
            commandSection(&w, c, words: [program, c.name])
        }

        w.macro("SH", "GLOBAL OPTIONS")
        w.text("Options of " + bold(program) + " itself, given before any command.")
        w.macro("TP")
        w.text(bold("-h") + ", " + bold("--help"))
        w.text("Print the usage of " + bold(program) + " and exit. After a command, print that command's usage instead.")
        for o in visibleOptions(root) { optionEntry(&w, o) }

        w.macro("SH", "OUTPUT FORMATS")
        var formatted: [String] = []
        walk(root, path: []) { c, words in
            if visibleOptions(c).contains(where: { $0.long == "format" }) { formatted.append(bold(words.joined(separator: " "))) }
        }
        w.text("List and inspect commands print a table by default.")
        if !formatted.isEmpty {
            w.text("With " + bold("--format") + " " + italic("FORMAT") + " (or " + bold("-o") + " " + italic("FORMAT") + ") they print one of the following instead. The commands that accept it: " + list(formatted) + ".")
        }
        w.macro("TP")
        w.text(bold("table"))
        w.text("The table docker\\-cloud 1.0.9 printed, byte for byte (the default). With " + bold("-q") + " or " + bold("--quiet") + ", where offered, only the identifiers, one per line.")
        w.macro("TP")
        w.text(bold("json"))
        w.text("The API's objects as one JSON array (an inspect command prints one element per identifier), indented by two spaces with keys sorted, ready for " + bold("jq") + "(1).")
        w.macro("TP")
        w.text(italic("template"))
        w.text("Any other value is a template printed once per object, each followed by a newline: " + bold("{{.name}}") + " is replaced by the object's attribute " + italic("name") + ", " + bold("{{.a.b}}") + " reaches into nested objects, and the two characters " + bold("\\t") + " and " + bold("\\n") + " stand for a tab and a newline. A missing attribute prints as nothing.")

        w.macro("SH", "ENVIRONMENT")
        let environment: [(String, String)] = [
            ("DOCKERCLOUD_REST_HOST", "The base URL of the REST API (default: " + bold("https://cloud.docker.com/") + "). A path prefix is kept: with " + bold("http://host/prefix/") + " requests go to " + bold("http://host/prefix/api/") + "..."),
            ("DOCKERCLOUD_STREAM_HOST", "The base URL of the stream API, which carries logs, events and exec (default: " + bold("wss://ws.cloud.docker.com/") + ")."),
            ("DOCKERCLOUD_NAMESPACE", "The namespace to work in, such as an organisation the user belongs to, instead of the user's own."),
            ("DOCKERCLOUD_AUTH", "Sent verbatim as the HTTP Authorization header (such as " + bold("Basic") + " " + italic("base64") + " or " + bold("ApiKey") + " " + italic("user:apikey") + "). It takes precedence over every other source of credentials."),
            ("DOCKERCLOUD_USER", "The user name, used together with " + bold("DOCKERCLOUD_APIKEY") + " or " + bold("DOCKERCLOUD_PASS") + "."),
            ("DOCKERCLOUD_APIKEY", "The API key of " + bold("DOCKERCLOUD_USER") + "."),
            ("DOCKERCLOUD_PASS", "The password of " + bold("DOCKERCLOUD_USER") + ", used when " + bold("DOCKERCLOUD_APIKEY") + " is not set."),
            ("DOCKER_CONFIG", "The directory of the Docker config file, " + italic("config.json") + " (default: " + italic("~/.docker") + ")."),
            ("HOME", "The home directory, where " + italic(".docker/config.json") + " is looked for when " + bold("DOCKER_CONFIG") + " is not set."),
            ("NO_COLOR", "When set, to any value, log output is never coloured. Otherwise the sources of log lines are coloured only on a terminal whose " + bold("TERM") + " is not " + bold("dumb") + "."),
        ]
        for (name, text) in environment {
            w.macro("TP")
            w.text(bold(name))
            w.text(text)
        }
        w.macro("TP")
        w.text(list(["http_proxy", "https_proxy", "no_proxy"].map(bold), conjunction: ","))
        w.text("The proxies for HTTP and HTTPS connections, streams included, and the hosts to reach without one, as libcurl understands them. TLS certificates are always verified.")
        w.macro("SS", "Credentials")
        w.text("The first of these sources that is set provides the credentials:")
        let sources = [
            bold("DOCKERCLOUD_AUTH") + ";",
            bold("DOCKERCLOUD_USER") + " with " + bold("DOCKERCLOUD_APIKEY") + ";",
            bold("DOCKERCLOUD_USER") + " with " + bold("DOCKERCLOUD_PASS") + ";",
            "the Docker config file (see " + escape("FILES") + "): what its " + bold("credsStore") + " helper, " + bold("docker-credential-") + plain("I", "NAME") + ", returns for " + bold("https://index.docker.io/v1/") + ", else the " + bold("auths") + " entry for that address, as " + bold("docker login") + " or " + bold("\(program) login") + " write it.",
        ]
        for (k, s) in sources.enumerated() {
            w.macro("IP", "\(k + 1).", "4")
            w.text(s)
        }
        w.macro("PP")
        w.text("Nothing is read until a request needs it, so " + bold("--help") + " and " + bold("--version") + " always work.")

        w.macro("SH", "FILES")
        w.macro("TP")
        w.text(italic("$DOCKER_CONFIG/config.json") + ", " + italic("~/.docker/config.json"))
        w.text("The Docker config file, the first when " + bold("DOCKER_CONFIG") + " is set: credentials in " + bold("auths") + " or through " + bold("credsStore") + ". " + bold("\(program) login") + " stores its credentials in " + bold("auths") + ", keeps the rest of the file, and leaves it readable by its owner only (mode 0600).")
        w.macro("TP")
        w.text(italic(StackfileLoader.fileNames.first ?? "docker-cloud.yml") + ", ...")
        w.text("The Stackfile of " + list(["up", "stack create", "stack up", "stack update"].map { bold("\(program) \($0)") }) + " when no " + bold("-f") + " is given: the first of " + list(StackfileLoader.fileNames.map(italic)) + ", in this order, found in the working directory, else in its parent, and so on up to " + italic("/") + ".")
        w.text("If the " + italic(".override") + " variant of its name, such as " + italic("docker-cloud.override.yml") + ", lies beside it, it is loaded after it, its services replacing those of the same name.")
        w.text("Several " + bold("-f") + " options load several files in the same way. Values may use " + bold("${VAR}") + ", " + bold("${VAR:-default}") + " and " + bold("${VAR:?message}") + " from the environment.")

        w.macro("SH", "EXIT STATUS")
        let statuses: [(String, String)] = [
            ("0", "Success."),
            ("2", "A usage error: an unknown command or option, a missing or invalid argument. Also \\(lqNot Authorized\\(rq, when the server refuses the credentials for a stream: " + list(["event", "exec", "logs"].map(bold)) + "."),
            ("3", "An error answer of the API, an object not found, an action that failed or timed out with " + bold("--sync") + ", an unreadable Stackfile, a network failure, and any other handled error. Commands given several identifiers act on every one and exit with 3 at the end if any of them failed."),
            ("exec", "The exit status of the command run in the container, for " + bold("\(program) exec") + " and " + bold("\(program) container exec") + "."),
        ]
        for (tag, text) in statuses {
            w.macro("TP")
            w.text(bold(tag))
            w.text(text)
        }

        w.macro("SH", "EXAMPLES")
        for e in examples {
            w.macro("PP")
            w.text(escape(e.what))
            w.macro("RS", "4")
            w.macro("EX")
            w.text(escape(shellLine(e, program: program)))
            w.macro("EE")
            w.macro("RE")
        }

        w.macro("SH", "SEE ALSO")
        let nouns = commands.filter(isNoun).map { reference("\(program)-\($0.name)") }
        w.seeAlso(nouns + [reference("docker")])
        return w.output
    }

    static func nounPage(_ noun: Command, root: Command, _ header: Header) -> String {
        let program = root.name
        let words = [program, noun.name]
        var w = Writer()
        w.title("\(program)-\(noun.name)", header)
        w.macro("SH", "NAME")
        w.text(escape("\(program)-\(noun.name)") + " \\- " + escape(noun.summary))

        w.macro("SH", "SYNOPSIS")
        for leaf in leafPaths(noun, path: words) { w.synopsis(leaf.path, synopsisArguments(leaf.command)) }
        w.macro("YS")

        w.macro("SH", "DESCRIPTION")
        w.text(escape(sentence(noun.about)))
        if !noun.aliases.isEmpty {
            w.text(bold(words.joined(separator: " ")) + " also answers to " + list(noun.aliases.map { bold("\(program) \($0)") }) + ".")
        }
        w.macro("PP")
        w.text("Its verbs are described under " + escape("COMMANDS") + ". " + bold(words.joined(separator: " ")) + " alone lists them, and " + bold("-h") + " or " + bold("--help") + " after any of them prints its usage.")
        w.text("The API's address, the credentials, the output formats and the exit status are described in " + reference(program) + ".")
        if !visibleOptions(noun).isEmpty {
            w.macro("SH", "OPTIONS")
            for o in visibleOptions(noun) { optionEntry(&w, o) }
        }

        w.macro("SH", "COMMANDS")
        func describe(_ c: Command, _ words: [String]) {
            for sub in visibleSubcommands(c) {
                if isNoun(sub) {
                    groupSection(&w, sub, words: words + [sub.name])
                    describe(sub, words + [sub.name])
                } else {
                    commandSection(&w, sub, words: words + [sub.name])
                }
            }
        }
        describe(noun, words)

        w.macro("SH", "SEE ALSO")
        w.seeAlso([reference(program)])
        return w.output
    }

    // MARK: - Sections

    /// A verb (or a top-level command): usage, description, aliases, arguments, options.
    static func commandSection(_ w: inout Writer, _ c: Command, words: [String]) {
        w.macro("SS", escape(words.joined(separator: " ")))
        w.synopsis(words, usageArguments(c))
        w.macro("YS")
        w.macro("PP")
        w.text(escape(sentence(c.about)))
        if let note = notes[words.dropFirst().joined(separator: " ")] { w.text(note) }
        if !c.aliases.isEmpty {
            let names = c.aliases.map { bold((words.dropLast() + [$0]).joined(separator: " ")) }
            w.text("Also answers to " + list(names) + ".")
        }
        if !c.positionals.isEmpty {
            w.macro("PP")
            w.macro("B", "Arguments:")
            for p in c.positionals {
                w.macro("TP")
                w.text(positionalUsage(p))
                w.text(positionalBody(p))
            }
        }
        let options = visibleOptions(c)
        if !options.isEmpty {
            w.macro("PP")
            w.macro("B", "Options:")
            for o in options { optionEntry(&w, o) }
        }
    }

    /// A noun nested in a noun (`service env`): what it is, its verbs, its own options.
    static func groupSection(_ w: inout Writer, _ c: Command, words: [String]) {
        w.macro("SS", escape(words.joined(separator: " ")))
        w.text(escape(sentence(c.about)))
        let verbs = leafPaths(c, path: []).map { bold($0.path.joined(separator: " ")) }
        w.text("Its verbs, described below: " + list(verbs) + ".")
        if !c.aliases.isEmpty {
            w.text("Also answers to " + list(c.aliases.map { bold((words.dropLast() + [$0]).joined(separator: " ")) }) + ".")
        }
        let options = visibleOptions(c)
        if !options.isEmpty {
            w.macro("PP")
            w.macro("B", "Options:")
            for o in options { optionEntry(&w, o) }
        }
    }

    static func optionEntry(_ w: inout Writer, _ o: Option) {
        w.macro("TP")
        w.text(optionTag(o))
        w.text(optionBody(o))
    }

    /// `\-t, \-\-target\-num\-containers \fITARGET_NUM_CONTAINERS\fR` in bold and italic.
    static func optionTag(_ o: Option) -> String {
        var names: [String] = []
        if let s = o.short { names.append(bold("-\(s)")) }
        var long = bold("--" + o.long)
        if o.kind != .flag { long += " " + italic(metavar(o)) }
        names.append(long)
        return names.joined(separator: ", ")
    }

    static func optionBody(_ o: Option) -> String {
        var parts = [escape(sentence(o.help))]
        if o.required { parts.append("Required.") }
        if o.kind == .append { parts.append("May be repeated; every occurrence adds a value.") }
        if o.integer && o.kind != .flag { parts.append(italic(metavar(o)) + " is an integer.") }
        if !o.choices.isEmpty { parts.append("Choices: " + list(o.choices.map(choice), conjunction: ",") + ".") }
        if let d = o.defaultValue { parts.append("Default: " + bold(d) + ".") }
        return parts.joined(separator: " ")
    }

    /// A positional as usage shows it: `\fIidentifier\fR\ ...`, `[\fIcommand\fR\ ...]`.
    static func positionalUsage(_ p: Positional) -> String {
        let name = plain("I", p.name)
        switch p.arity {
        case .one: return "\\%" + name
        case .optional: return "\\%[" + name + "]"
        case .oneOrMore: return "\\%" + name + "\\ ..."
        case .zeroOrMore, .remainder: return "\\%[" + name + "\\ ...]"
        }
    }

    static func positionalBody(_ p: Positional) -> String {
        var parts = [escape(sentence(p.help))]
        switch p.arity {
        case .one: break
        case .optional: parts.append("Optional.")
        case .oneOrMore: parts.append("One or more may be given.")
        case .zeroOrMore: parts.append("Any number may be given.")
        case .remainder: parts.append("Takes the rest of the command line as is, options included.")
        }
        if p.integer { parts.append("An integer.") }
        if !p.choices.isEmpty { parts.append("Choices: " + list(p.choices.map(choice), conjunction: ",") + ".") }
        return parts.joined(separator: " ")
    }

    /// Everything after the command's name in its full usage, as its `--help` shows it, with fonts:
    /// short forms preferred, `]...` after options that may be repeated.
    static func usageArguments(_ c: Command) -> String {
        (optionUsage(visibleOptions(c)) + c.positionals.map(positionalUsage)).joined(separator: " ")
    }

    /// One group per option, `[\fB\-n\fR\ \fINAME\fR]`, kept on one line unless it is too long
    /// to fit on a narrow line (`[--aws-iam-instance-profile-name AWS_IAM_...]`).
    static func optionUsage(_ options: [Option]) -> [String] {
        options.map { o in
            let flag = o.short.map { "-\($0)" } ?? "--" + o.long
            let name = plain("B", flag)
            switch o.kind {
            case .flag: return "\\%[" + name + "]"
            case .value, .append:
                let space = flag.count + metavar(o).count + 3 <= maxTiedGroup ? "\\ " : " "
                let group = name + space + plain("I", metavar(o))
                return (o.required ? "\\%" + group : "\\%[" + group + "]") + (o.kind == .append ? "..." : "")
            }
        }
    }

    /// The longest `[-x VALUE]` group that is never split across lines.
    static let maxTiedGroup = 40

    /// A SYNOPSIS line's arguments: `[options]` when the command has any, then its positionals.
    static func synopsisArguments(_ c: Command) -> String {
        ((visibleOptions(c).isEmpty ? [] : ["\\%[" + plain("I", "options") + "]"]) + c.positionals.map(positionalUsage))
            .joined(separator: " ")
    }

    /// Behaviour worth a sentence beyond the table's description, by command path.
    static let notes: [String: String] = [
        "exec": "Standard input and output are connected to the command; on a terminal the session is interactive. The exit status is the command's own.",
        "container exec": "Standard input and output are connected to the command; on a terminal the session is interactive. The exit status is the command's own.",
        "container attach": "Prints the container's standard output and error as they come, and sends standard input to the container when it was created with stdin_open. For a container with a tty, on a terminal, the terminal is in raw mode: every key goes to the container (Ctrl\\-C too) and Ctrl\\-P Ctrl\\-Q detaches, leaving it running; otherwise Ctrl\\-C ends the attachment. When the container's process ends, the exit status is its exit code.",
        "container cp": "Behaves as docker cp: a file is copied to DEST_PATH, or into it when it is a directory; a directory is copied recursively, into DEST_PATH when it exists, else as DEST_PATH; SRC_PATH/. copies what the directory holds. Container paths are relative to the container's root. Modes and modification times are kept; files copied into the container belong to its root user. An archive is never unpacked outside the destination (absolute names and .. are refused). The server takes at most 8 MiB per request, so bigger copies go in several archives; a single file over that size cannot be copied into a container.",
        "container export": "The archive goes to standard output, which must not be a terminal, or to the file of \\-o (written under a temporary name and renamed once complete).",
        "container stats": "Columns as docker stats computes them: CPU % from the CPU time used between two readings, times the number of CPUs; memory without the page cache; sizes in binary units for memory, decimal units for network and block I/O. Without \\-\\-no\\-stream, the table is redrawn every second on a terminal and printed once per second otherwise; with \\-\\-format json it prints each sample as one JSON line. With \\-\\-no\\-stream, \\-\\-format json prints the engine's samples as one JSON array.",
        "container top": "Words after the container are options for ps (default: \\-ef); \\-\\-format json prints the server's titles and processes, a template is applied to each process with the column titles as keys (e.g. {{.PID}}).",
        "container update": "Applies to running containers at once, without a redeploy; a new memory limit alone leaves swap unlimited.",
        "event": "Prints every event of the namespace as the JSON object the server sent, one per line, until interrupted. A dropped connection is reopened with growing delays, reported on standard error.",
        "login": "Unlike docker\\-cloud 1.0.9, which only printed that hint, it asks for a user name and a password or API key, checks them against the API, and stores them in the Docker config file (see " + escape("FILES") + ").",
        "up": "The Stackfile is found as " + escape("FILES") + " describes; the stack's name defaults to the name of the working directory.",
        "stack up": "The Stackfile is found as " + escape("FILES") + " in " + reference("docker-cloud") + " describes; the stack's name defaults to the name of the working directory.",
        "stack create": "The Stackfile is found as " + escape("FILES") + " in " + reference("docker-cloud") + " describes; the stack's name defaults to the name of the working directory.",
        "stack update": "The stack's services become those of the Stackfile, found as " + escape("FILES") + " in " + reference("docker-cloud") + " describes.",
    ]

    // MARK: - The table

    static func visibleSubcommands(_ c: Command) -> [Command] { c.visibleSubcommands.filter { !$0.name.hasPrefix("__") } }
    static func visibleOptions(_ c: Command) -> [Option] { c.options.filter { !$0.hidden } }
    static func isNoun(_ c: Command) -> Bool { !visibleSubcommands(c).isEmpty }

    /// The visible commands without verbs under `c`, depth first in table order, with their paths.
    static func leafPaths(_ c: Command, path: [String]) -> [(path: [String], command: Command)] {
        visibleSubcommands(c).flatMap { sub -> [(path: [String], command: Command)] in
            isNoun(sub) ? leafPaths(sub, path: path + [sub.name]) : [(path: path + [sub.name], command: sub)]
        }
    }

    static func walk(_ c: Command, path: [String], _ body: (Command, [String]) -> Void) {
        for sub in visibleSubcommands(c) {
            body(sub, path + [sub.name])
            walk(sub, path: path + [sub.name], body)
        }
    }

    static func metavar(_ o: Option) -> String { o.metavar ?? "VALUE" }


    // MARK: - Roff

    /// Text made safe for roff: backslashes, hyphens (as minus signs, so they copy as typed),
    /// quotes and the characters roff would typeset differently; non-ASCII as `\[uXXXX]`.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            case "'": out += "\\(aq"
            case "`": out += "\\(ga"
            case "\"": out += "\\(dq"
            case "~": out += "\\(ti"
            case "^": out += "\\(ha"
            case "\n", "\t", "\r": out += " "
            default:
                if u.value < 0x20 || u.value == 0x7F { continue }
                if u.value > 0x7E {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\[u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// `s` in font `font` (B or I), then back to roman; for use inside a word.
    static func plain(_ font: String, _ s: String) -> String { "\\f" + font + escape(s) + "\\fR" }

    /// A name starting a word, in bold or italic; `\%` keeps it from being hyphenated.
    static func bold(_ s: String) -> String { "\\%" + plain("B", s) }
    static func italic(_ s: String) -> String { "\\%" + plain("I", s) }

    /// A value of a list of choices, kept on one line even when it holds a space.
    static func choice(_ s: String) -> String { bold(s).replacingOccurrences(of: " ", with: "\\ ") }

    /// `docker\-cloud\-service(1)` in the usual bold-name form.
    static func reference(_ page: String) -> String { bold(page) + "(1)" }

    static func sentence(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = t.last else { return "" }
        return ".!?".contains(last) ? t : t + "."
    }

    /// "a, b and c" (or "a, b, c" with conjunction ",").
    static func list(_ items: [String], conjunction: String = " and") -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + conjunction + " " + items.last!
    }

    /// An example as typed at a shell prompt: arguments quoted where the shell needs it.
    static func shellLine(_ e: Example, program: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,@%+")
        let words = e.arguments.map { a in
            !a.isEmpty && a.allSatisfy(safe.contains) ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return ([e.environment, program].compactMap { $0 } + words + [e.tail].compactMap { $0 }).joined(separator: " ")
    }

    /// Lines of roff: requests, and text lines that never start with a control character and
    /// never end in whitespace.
    struct Writer {
        private(set) var all: [String] = []

        init() {}

        var output: String { all.joined(separator: "\n") + "\n" }

        mutating func title(_ page: String, _ header: Header) {
            macro("TH", escape(page.uppercased()), "1", escape(header.date), escape(header.source), "Docker Cloud CLI")
        }

        /// `.NAME args`; an argument holding a space, or empty, is quoted (escape() removed `"`).
        mutating func macro(_ name: String, _ arguments: String...) {
            let args = arguments.map { $0.isEmpty || $0.contains(" ") ? "\"" + $0 + "\"" : $0 }
            all.append((["." + name] + args).joined(separator: " "))
        }

        /// One `.SY` line: the program, then the command's words in bold and its arguments with a
        /// hanging indent as wide as the program's name, never hyphenated; `.YS` after the last.
        mutating func synopsis(_ words: [String], _ arguments: String) {
            macro("SY", escape(words.first ?? ""))
            let verbs = words.dropFirst().joined(separator: " ")
            text((verbs.isEmpty ? "" : bold(verbs).replacingOccurrences(of: " ", with: "\\ ") + " ") + arguments)
        }

        /// The references of SEE ALSO, comma-separated, filled but not stretched to the margin.
        mutating func seeAlso(_ references: [String]) {
            macro("na")
            text(references.joined(separator: ",\n"))
            macro("ad")
        }

        mutating func text(_ s: String) {
            for piece in s.split(separator: "\n", omittingEmptySubsequences: true) {
                var line = Substring(piece)
                while let f = line.first, f == " " { line = line.dropFirst() }
                // Trailing spaces go, but not one escaped by a backslash (`\ `).
                while line.hasSuffix(" ") && !line.dropLast().hasSuffix("\\") { line = line.dropLast() }
                guard !line.isEmpty else { continue }
                all.append(line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line))
            }
        }
    }
}
