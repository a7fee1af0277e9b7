import Foundation

/// `--help` text of any command, rendered from the table in the layout argparse users know:
/// usage, description, positional arguments, options, commands.
public enum HelpRenderer {
    static let width = 80
    static let column = 24

    public static func render(_ command: Command, path: [String]) -> String {
        let program = (["docker-cloud"] + path).joined(separator: " ")
        var usageParts = ["[-h]"]
        for o in command.options where !o.hidden {
            let name = o.short.map { "-\($0)" } ?? "--\(o.long)"
            usageParts.append(o.kind == .flag ? "[\(name)]" : "[\(name) \(placeholder(o))]")
        }
        if !command.subcommands.isEmpty {
            usageParts.append("{" + command.visibleSubcommands.map(\.name).joined(separator: ",") + "}")
            usageParts.append("...")
        }
        for p in command.positionals {
            switch p.arity {
            case .one: usageParts.append(p.name)
            case .optional: usageParts.append("[\(p.name)]")
            case .oneOrMore: usageParts.append("\(p.name) [\(p.name) ...]")
            case .zeroOrMore: usageParts.append("[\(p.name) ...]")
            case .remainder: usageParts.append("...")
            }
        }
        var out = wrapUsage("usage: \(program) ", usageParts) + "\n\n"
        out += (command.description ?? command.summary) + "\n"
        if !command.positionals.isEmpty {
            out += "\npositional arguments:\n"
            for p in command.positionals { out += entry(p.name, p.help) }
        }
        out += "\noptions:\n"
        out += entry("-h, --help", "show this help message and exit")
        for o in command.options where !o.hidden {
            var names = (o.short.map { "-\($0)" + (o.kind == .flag ? "" : " \(placeholder(o))") + ", " } ?? "")
            names += "--\(o.long)" + (o.kind == .flag ? "" : " \(placeholder(o))")
            if o.negatable { names += ", --no-\(o.long)" }
            var help = o.help
            if let d = o.defaultValue, !help.contains("default") { help += " (default: \(d))" }
            out += entry(names, help)
        }
        if !command.subcommands.isEmpty {
            out += "\ncommands:\n"
            for s in command.visibleSubcommands {
                out += entry("  " + s.name + (s.aliases.isEmpty ? "" : " (\(s.aliases.joined(separator: ", ")))"), s.summary, indent: 2)
            }
        }
        return out
    }

    static func placeholder(_ o: Option) -> String {
        o.choices.isEmpty ? (o.metavar ?? "VALUE") : "{" + o.choices.joined(separator: ",") + "}"
    }

    /// One help entry: the name in a 24-column gutter, the text wrapped beside it.
    static func entry(_ name: String, _ help: String, indent: Int = 0) -> String {
        let lead = String(repeating: " ", count: 2) + name
        let lines = wrap(help, width - column)
        var out = ""
        if lead.count + 2 <= column {
            out += lead.padding(toLength: column, withPad: " ", startingAt: 0) + (lines.first ?? "") + "\n"
            for l in lines.dropFirst() { out += String(repeating: " ", count: column) + l + "\n" }
        } else {
            out += lead + "\n"
            for l in lines { out += String(repeating: " ", count: column) + l + "\n" }
        }
        return out
    }

    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    static func wrapUsage(_ head: String, _ parts: [String]) -> String {
        var out = head
        var lineLength = head.count
        let indent = String(repeating: " ", count: head.count)
        for (k, p) in parts.enumerated() {
            if k > 0 && lineLength + 1 + p.count > width { out += "\n" + indent; lineLength = indent.count }
            else if k > 0 { out += " "; lineLength += 1 }
            out += p
            lineLength += p.count
        }
        return out
    }
}
