import Foundation

// The shapes of the ONE command table (CommandTable.swift). Parsing, `--help` at every level,
// the shell completions and the man pages are all derived from it; adding a flag changes one
// entry there and nothing else.

/// How an option takes its value.
public enum OptionKind: Sendable, Equatable {
    /// A boolean switch (`--sync`): sets its dest true, or false with `storesFalse` (`--no-privileged`).
    case flag
    /// One value (`--name NAME`); the last occurrence wins.
    case value
    /// A value per occurrence, kept in order (`-e A=1 -e B=2`).
    case append
}

/// What a shell should offer for a value.
public enum Completion: String, Sendable {
    case none, file, choices
    case service, stack, container, node, nodecluster, trigger, action, repository

    /// The kinds whose names come from the server (`docker-cloud __complete KIND`).
    public static let liveKinds: [Completion] = [.service, .stack, .container, .node, .nodecluster, .trigger, .action, .repository]
}

/// The API attribute a service-definition option sets (`--cpushares` sets `cpu_shares`), and how:
/// the request bodies of `service create/run/set` are built from these, and from nothing else.
public struct APIAttribute: Sendable, Equatable {
    public var name: String
    public var encoding: APIEncoding
    /// Sent on every create even when not given, as 1.0.9 sent it: false, or an empty list.
    public var sentOnCreate: Bool

    /// The value, unless empty.
    public static func string(_ name: String) -> APIAttribute { APIAttribute(name: name, encoding: .string, sentOnCreate: false) }
    /// The value as a number; on a change 0 is left out (1.0.9 skipped falsy values: `set -t 0` changes nothing).
    public static func integer(_ name: String) -> APIAttribute { APIAttribute(name: name, encoding: .integer, sentOnCreate: false) }
    /// The switch's value (`--x` true, its `--no-x` false: the same dest).
    public static func boolean(_ name: String) -> APIAttribute { APIAttribute(name: name, encoding: .boolean, sentOnCreate: true) }
    /// A switch sent only when given (an attribute the original never sent, which other servers may not know).
    public static func booleanWhenGiven(_ name: String) -> APIAttribute { APIAttribute(name: name, encoding: .boolean, sentOnCreate: false) }
    /// Items of a list, converted by ServiceInput; several options may feed one list.
    public static func list(_ name: String, _ converter: ListConverter, sentOnCreate: Bool = true) -> APIAttribute {
        APIAttribute(name: name, encoding: .list(converter), sentOnCreate: sentOnCreate)
    }
}

public enum APIEncoding: Sendable, Equatable {
    case string, integer, boolean
    case list(ListConverter)
}

/// How an option's values become items of a list attribute (ServiceInput.append). Where several
/// options feed one list, their items come in the order of these cases: env files before `-e`,
/// published ports before exposed ones, volumes before `--volumes-from`.
public enum ListConverter: Int, Sendable, Comparable {
    /// `--env-file FILE`: its `KEY=VALUE` lines; a repeated key keeps its place and takes the last value.
    case environmentFiles
    /// `-e KEY=VALUE`, merged as the files' lines are.
    case environment
    /// `-p [host:]container[/protocol]`
    case publishedPorts
    /// `--expose PORT`, unless that port is published.
    case exposedPorts
    /// `--link-service name[.stack]:alias`
    case links
    /// `-v [host:]/container[:ro]`
    case volumes
    /// `--volumes-from SERVICE`, by resource URI.
    case volumesFrom
    /// `{"name": TAG}` per value.
    case tagNames
    /// The values as strings.
    case strings

    public static func < (a: ListConverter, b: ListConverter) -> Bool { a.rawValue < b.rawValue }
}

public struct Option: Sendable {
    /// Long name without dashes: `target-num-containers`.
    public var long: String
    public var short: Character?
    /// Placeholder in help: `TARGET_NUM_CONTAINERS`.
    public var metavar: String?
    public var kind: OptionKind
    public var choices: [String]
    /// The value used when the option is absent (nil: none), as shown in help.
    public var defaultValue: String?
    public var help: String
    /// Where the parsed value goes: `target_num_containers`.
    public var dest: String
    public var completion: Completion
    /// Flags only: the switch sets its dest false (argparse's store_false), as `--no-privileged`
    /// does to the dest of `--privileged`. See `negation(help:addition:)`.
    public var storesFalse: Bool
    /// Accepted but not listed in help or completions (`--debug`).
    public var hidden: Bool
    /// The value must parse as an integer.
    public var integer: Bool
    /// The command line must give it (argparse's required=True): usage shows it without brackets.
    public var required: Bool
    /// Beyond docker-cloud 1.0.9 on a command 1.0.9 had: `--help` shows it on lines of its own only,
    /// so every line 1.0.9 printed stays byte for byte (see HelpRenderer).
    public var addition: Bool
    /// The API attribute it sets in a service's definition (nil: none).
    public var attribute: APIAttribute?

    public init(_ long: String, short: Character? = nil, metavar: String? = nil, kind: OptionKind = .value,
                choices: [String] = [], defaultValue: String? = nil, help: String, dest: String? = nil,
                completion: Completion? = nil, storesFalse: Bool = false, hidden: Bool = false, integer: Bool = false,
                required: Bool = false, addition: Bool = false, sets attribute: APIAttribute? = nil) {
        self.long = long
        self.short = short
        self.metavar = kind == .flag ? nil : (metavar ?? String(long.uppercased().map { $0 == "-" ? "_" : $0 }))
        self.kind = kind
        self.choices = choices
        self.defaultValue = defaultValue
        self.help = help
        self.dest = dest ?? String(long.map { $0 == "-" ? "_" : $0 })  // not Foundation's: the table is built at every start
        self.completion = completion ?? (choices.isEmpty ? .none : .choices)
        self.storesFalse = storesFalse
        self.hidden = hidden
        self.integer = integer
        self.required = required
        self.addition = addition
        self.attribute = attribute
    }

    /// `--no-<long>` of a switch: the same dest (and attribute), set false.
    public func negation(help: String, addition: Bool = false) -> Option {
        Option("no-" + long, kind: .flag, help: help, dest: dest, completion: completion, storesFalse: true, addition: addition, sets: attribute)
    }

    /// This option, setting `attribute` in a service's definition.
    public func setting(_ attribute: APIAttribute) -> Option {
        var o = self
        o.attribute = attribute
        return o
    }
}

public enum Arity: Sendable, Equatable {
    case one, optional, oneOrMore, zeroOrMore
    /// Everything left on the command line, options included (`exec ID COMMAND...`).
    case remainder
}

public struct Positional: Sendable {
    public var name: String
    public var help: String
    public var arity: Arity
    public var completion: Completion
    public var integer: Bool
    /// Allowed values (none: any).
    public var choices: [String]

    public init(_ name: String, _ arity: Arity = .one, help: String, completion: Completion? = nil, integer: Bool = false, choices: [String] = []) {
        self.name = name; self.arity = arity; self.help = help; self.integer = integer; self.choices = choices
        self.completion = completion ?? (choices.isEmpty ? .none : .choices)
    }
}

public struct Command: Sendable {
    public var name: String
    /// Other names that run the same command (`ls` for `ps`, ...).
    public var aliases: [String]
    /// One line, for the parent's list of commands.
    public var summary: String
    /// The description at the top of this command's help: the summary when nil, none when ""
    /// (1.0.9's `nodecluster az`, `nodetype` and `region` had none).
    public var description: String?
    public var options: [Option]
    public var positionals: [Positional]
    public var subcommands: [Command]
    /// An entry point for programs (`__complete`): runs, but is left out of help, completions and man pages.
    public var hidden: Bool
    /// Beyond docker-cloud 1.0.9 (`version`, `container attach`, ...): in its parent's help it is an
    /// extra line of the list of commands only (see `Option.addition`).
    public var addition: Bool
    /// The heading of the list of verbs in help: "Docker Cloud <path> commands" when nil.
    public var commandsTitle: String?

    public init(_ name: String, aliases: [String] = [], summary: String, description: String? = nil,
                options: [Option] = [], positionals: [Positional] = [], subcommands: [Command] = [], hidden: Bool = false,
                addition: Bool = false, commandsTitle: String? = nil) {
        self.name = name; self.aliases = aliases; self.summary = summary; self.description = description
        self.options = options; self.positionals = positionals; self.subcommands = subcommands; self.hidden = hidden
        self.addition = addition; self.commandsTitle = commandsTitle
    }

    /// What the command does, in a sentence: its description, else its summary.
    public var about: String { description.flatMap { $0.isEmpty ? nil : $0 } ?? summary }

    public func subcommand(named name: String) -> Command? {
        subcommands.first { $0.name == name || $0.aliases.contains(name) }
    }

    /// The verbs people see (help, completions, man pages).
    public var visibleSubcommands: [Command] { subcommands.filter { !$0.hidden } }
}
