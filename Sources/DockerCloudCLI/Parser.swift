import Foundation

/// A parsed command line: the command to run and what was given to it.
public struct Invocation: Sendable {
    /// Canonical names from the root: `["service", "ps"]` (aliases resolved).
    public var path: [String]
    public var command: Command
    /// Option values by `dest`: flags hold "true"/"false", appends every value in order.
    public var options: [String: [String]] = [:]
    /// Positional values by name.
    public var positionals: [String: [String]] = [:]

    public func flag(_ dest: String) -> Bool? { options[dest]?.last.map { $0 == "true" } }
    public func value(_ dest: String) -> String? { options[dest]?.last }
    public func values(_ dest: String) -> [String] { options[dest] ?? [] }
    public func positional(_ name: String) -> [String] { positionals[name] ?? [] }
}

public enum ParseOutcome: Sendable {
    case run(Invocation)
    /// `-h`/`--help` anywhere, or a noun without a verb: print this command's help, exit 0.
    case help(path: [String], command: Command)
    case version
}

/// A command line that does not fit the table, reported as 1.0.9's argparse (Python 2.7) did:
/// the usage of the command at `path` on stderr, then `PROG: error: MESSAGE`, exit 2.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public var path: [String]
    public var message: String
    public init(path: [String], message: String) { self.path = path; self.message = message }
    public var description: String { "docker-cloud\(path.isEmpty ? "" : " " + path.joined(separator: " ")): error: \(message)" }
}

/// The hand-rolled parser. It accepts what argparse accepted: `--opt value`, `--opt=value`,
/// unambiguous prefixes of long options, `-oVALUE`, `-o VALUE`, clustered short switches (`-qa`),
/// repeated options, `--` to end options, and `-h` anywhere.
public struct Parser: Sendable {
    public let root: Command

    public init(root: Command) { self.root = root }

    public func parse(_ args: [String]) throws -> ParseOutcome {
        var command = root
        var path: [String] = []
        var ancestors: [Command] = []
        var invocation = Invocation(path: [], command: root)
        var words: [String] = []
        var optionsEnded = false
        var i = 0

        func fail(_ message: String) -> UsageError { UsageError(path: path, message: message) }

        /// Index in `command.positionals` of a remainder positional, and how many words precede it.
        func remainderStart() -> Int? {
            guard let r = command.positionals.firstIndex(where: { $0.arity == .remainder }) else { return nil }
            return command.positionals[..<r].reduce(0) { $0 + ($1.arity == .one ? 1 : 0) }
        }

        func record(_ option: Option, _ value: String) throws {
            if option.integer, Int(value) == nil {
                throw fail("argument \(display(option)): invalid int value: '\(value)'")
            }
            if !option.choices.isEmpty, !option.choices.contains(value) {
                throw fail("argument \(display(option)): invalid choice: '\(value)' (choose from \(option.choices.map { "'\($0)'" }.joined(separator: ", ")))")
            }
            if option.kind == .append { invocation.options[option.dest, default: []].append(value) }
            else { invocation.options[option.dest] = [value] }
        }

        while i < args.count {
            let arg = args[i]
            i += 1
            if let start = remainderStart(), words.count >= start, command.subcommands.isEmpty,
               !(words.count == start && !optionsEnded && (arg == "-h" || arg == "--help")) {
                words.append(arg)
                continue
            }
            if !optionsEnded && arg == "--" { optionsEnded = true; continue }
            if !optionsEnded && arg.hasPrefix("-") && arg != "-" && !isNegativeNumber(arg, for: command) {
                if arg == "-h" || arg == "--help" { return .help(path: path, command: command) }
                let scope = [command] + ancestors.reversed()
                if arg.hasPrefix("--") {
                    let body = String(arg.dropFirst(2))
                    let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? body
                    let inline = body.contains("=") ? String(body[body.index(after: body.firstIndex(of: "=")!)...]) : nil
                    if let option = try lookupLong(name, in: scope, path: path) {
                        if option.long == "version" && option.kind == .flag && path.isEmpty { return .version }
                        switch option.kind {
                        case .flag:
                            if let inline { throw fail("argument \(display(option)): ignored explicit argument '\(inline)'") }
                            invocation.options[option.dest] = [String(!option.storesFalse)]
                        case .value, .append:
                            if let inline { try record(option, inline) }
                            else {
                                guard i < args.count else { throw fail("argument \(display(option)): expected one argument") }
                                try record(option, args[i]); i += 1
                            }
                        }
                        continue
                    }
                } else {
                    var letters = Array(arg.dropFirst())
                    while !letters.isEmpty {
                        let letter = letters.removeFirst()
                        guard let option = scope.lazy.compactMap({ $0.options.first { $0.short == letter } }).first else {
                            throw UsageError(path: [], message: "unrecognized arguments: \(arg)")
                        }
                        if option.long == "version" && option.kind == .flag && path.isEmpty { return .version }
                        if option.kind == .flag { invocation.options[option.dest] = [String(!option.storesFalse)]; continue }
                        if !letters.isEmpty { try record(option, String(letters)); letters = [] }
                        else {
                            guard i < args.count else { throw fail("argument \(display(option)): expected one argument") }
                            try record(option, args[i]); i += 1
                        }
                    }
                    continue
                }
            }
            // A word: a verb while the command has them, else a positional.
            if !command.subcommands.isEmpty && words.isEmpty {
                guard let sub = command.subcommand(named: arg) else {
                    // argparse's subparsers: the choices sorted, under the dest 1.0.9 gave each level.
                    let names = command.visibleSubcommands.filter { !$0.addition || command.addition }.map(\.name).sorted()
                    let dest = path.isEmpty ? "cmd" : path == ["service", "env"] ? "envsubcmd" : "subcmd"
                    throw fail("argument \(dest): invalid choice: '\(arg)' (choose from \(names.map { "'\($0)'" }.joined(separator: ", ")))")
                }
                ancestors.append(command)
                command = sub
                path.append(sub.name)
                continue
            }
            words.append(arg)
        }

        if !command.subcommands.isEmpty { return .help(path: path, command: command) }
        // As docker-cloud 1.0.9 did: a verb given nothing at all, though it needs an argument,
        // prints its help (exit 0) rather than an error.
        if words.isEmpty && invocation.options.isEmpty && !path.isEmpty && args.allSatisfy({ !$0.hasPrefix("-") })
            && command.positionals.contains(where: { [.one, .oneOrMore].contains($0.arity) }) {
            return .help(path: path, command: command)
        }
        invocation.path = path
        invocation.command = command
        try assign(words, to: command, into: &invocation, path: path)
        let missing = command.options.filter { $0.required && invocation.options[$0.dest] == nil }
        if let first = missing.first { throw fail("argument \(display(first)) is required") }
        return .run(invocation)
    }

    /// Distributes the words over the positionals, left to right, leaving enough for the ones after.
    func assign(_ words: [String], to command: Command, into invocation: inout Invocation, path: [String]) throws {
        var rest = words[...]
        let specs = command.positionals
        for (k, p) in specs.enumerated() {
            let reserved = specs[(k + 1)...].reduce(0) { $0 + ([.one, .oneOrMore].contains($1.arity) ? 1 : 0) }
            let available = max(0, rest.count - reserved)
            let take: Int
            switch p.arity {
            case .one: take = min(1, rest.count)
            case .optional: take = min(1, available)
            case .oneOrMore, .zeroOrMore, .remainder: take = p.arity == .remainder ? rest.count : available
            }
            let values = Array(rest.prefix(take))
            rest = rest.dropFirst(take)
            if (p.arity == .one && values.count < 1) || (p.arity == .oneOrMore && values.isEmpty) {
                throw UsageError(path: path, message: "too few arguments")
            }
            if p.integer, let bad = values.first(where: { Int($0) == nil }) {
                throw UsageError(path: path, message: "argument \(p.name): invalid int value: '\(bad)'")
            }
            if !p.choices.isEmpty, let bad = values.first(where: { !p.choices.contains($0) }) {
                throw UsageError(path: path, message: "argument \(p.name): invalid choice: '\(bad)' (choose from \(p.choices.map { "'\($0)'" }.joined(separator: ", ")))")
            }
            invocation.positionals[p.name] = values
        }
        if !rest.isEmpty {
            // argparse leaves extra words to the top-level parser, which reports them.
            throw UsageError(path: [], message: "unrecognized arguments: \(rest.joined(separator: " "))")
        }
    }

    /// A long option by exact name or unambiguous prefix.
    func lookupLong(_ name: String, in scope: [Command], path: [String]) throws -> Option? {
        for command in scope {
            if let exact = command.options.first(where: { $0.long == name }) { return exact }
        }
        let all = scope.flatMap(\.options).filter { !$0.hidden }
        let prefixed = all.filter { $0.long.hasPrefix(name) }
        if prefixed.count == 1 { return prefixed[0] }
        if prefixed.count > 1 {
            throw UsageError(path: path, message: "ambiguous option: --\(name) could match \(prefixed.map { "--\($0.long)" }.joined(separator: ", "))")
        }
        throw UsageError(path: [], message: "unrecognized arguments: --\(name)")
    }

    /// `-1` is a value, not an option, where no option of the command looks like a number.
    func isNegativeNumber(_ arg: String, for command: Command) -> Bool {
        Double(arg) != nil && !command.options.contains { $0.short.map { $0.isNumber } ?? false }
    }

    func display(_ option: Option) -> String {
        (option.short.map { "-\($0)/" } ?? "") + "--\(option.long)"
    }
}
