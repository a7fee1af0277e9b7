import Foundation

/// `--help` of any command, rendered from the table exactly as docker-cloud 1.0.9's argparse
/// (Python 2.7's HelpFormatter) rendered it: its usage wrapping, its help column (24, or less when
/// every name is short), textwrap's line breaks, `optional arguments:` and the `Docker Cloud ...
/// commands:` group.
///
/// What we added beyond 1.0.9 (`Option.addition`, `Command.addition`, aliases) is shown on lines of
/// its own: its usage parts after 1.0.9's usage, its entries beside 1.0.9's without moving their
/// column, added verbs outside the `{...}` list. So every line 1.0.9 printed stays byte for byte,
/// and `render(..., additions: false)` is 1.0.9's text (HelpReferenceTests holds both).
public enum HelpRenderer {
    /// argparse's HelpFormatter(max_help_position=24).
    static let maxHelpPosition = 24

    /// argparse's width: $COLUMNS (80 when unset or not a number) minus 2.
    public static var defaultWidth: Int {
        (ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) } ?? 80) - 2
    }

    /// One argparse action in a section: its invocation (`-t TAIL, --tail TAIL`) and help.
    struct Entry {
        var invocation: String
        /// nil: the invocation alone on its line (the `{a,b}` line of a command list).
        var help: String?
        var indent: Int
        var addition: Bool
    }

    /// The help of `command` (at `path` from the root). `additions: false` leaves out everything
    /// beyond 1.0.9, giving 1.0.9's own text.
    public static func render(_ command: Command, path: [String], width: Int = defaultWidth, additions: Bool = true) -> String {
        // An added command has nothing of 1.0.9 to keep apart: it is laid out as argparse would.
        let separate = !command.addition
        let keep = { (addition: Bool) in !separate || !addition || additions }
        let isExtra = { (addition: Bool) in separate && addition }
        let program = (["docker-cloud"] + path).joined(separator: " ")
        let options = command.options.filter { !$0.hidden && keep($0.addition) }
        let verbs = command.visibleSubcommands.filter { keep($0.addition) }

        let positionalEntries = command.positionals.map { Entry(invocation: metavar($0), help: $0.help, indent: 2, addition: false) }
        var optionEntries = [Entry(invocation: "-h, --help", help: "show this help message and exit", indent: 2, addition: false)]
        optionEntries += options.map { Entry(invocation: invocation($0), help: $0.help, indent: 2, addition: isExtra($0.addition)) }
        var commandEntries: [Entry] = []
        var usagePositionals = command.positionals.map(usagePart)
        if !verbs.isEmpty {
            // argparse's subparsers action: `{a,b,...}` of 1.0.9's verbs, then one line per verb.
            let choices = "{" + verbs.filter { !isExtra($0.addition) }.map(\.name).joined(separator: ",") + "}"
            usagePositionals.append(choices + " ...")
            commandEntries.append(Entry(invocation: choices, help: nil, indent: 2, addition: false))
            for verb in verbs {
                commandEntries.append(Entry(invocation: verb.name, help: verb.summary, indent: 4, addition: isExtra(verb.addition)))
                if !verb.aliases.isEmpty && (additions || !separate) {
                    commandEntries.append(Entry(invocation: verb.aliases.joined(separator: ", "), help: "Same as \(verb.name)", indent: 4, addition: separate))
                }
            }
        }

        // argparse measures every name before laying out any; what we added is not measured, so
        // 1.0.9's entries keep their column.
        let measured = (positionalEntries + optionEntries + commandEntries).filter { !$0.addition }
        let longest = measured.map { $0.invocation.count + 2 }.max() ?? 0
        let helpPosition = min(longest + 2, maxHelpPosition)

        let originalUsage = ["[-h]"] + options.filter { !isExtra($0.addition) }.map(usagePart)
        let addedUsage = options.filter { isExtra($0.addition) }.map(usagePart)
        var out = "usage: " + usage(program: program, optionals: originalUsage, positionals: usagePositionals, added: addedUsage, width: width) + "\n\n"
        let description = command.description ?? command.summary
        if !description.isEmpty {
            out += wrap(description, width).joined(separator: "\n") + "\n\n"
        }
        let title = command.commandsTitle ?? "Docker Cloud \(path.isEmpty ? "CLI" : path.joined(separator: " ")) commands"
        for (heading, entries) in [("positional arguments", positionalEntries), ("optional arguments", optionEntries), (title, commandEntries)] where !entries.isEmpty {
            out += "\n" + heading + ":\n" + entries.flatMap { format($0, helpPosition: helpPosition, width: width) }.map { $0 + "\n" }.joined() + "\n"
        }
        // argparse's last step: runs of blank lines become one, no blank line at either end.
        while out.contains("\n\n\n") { out = out.replacingOccurrences(of: "\n\n\n", with: "\n\n") }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "\n")) + "\n"
    }

    // MARK: - Names, as argparse formats them

    /// A value's placeholder: `{a,b}` for choices, else the metavar (argparse: dest.upper()).
    static func metavar(_ o: Option) -> String {
        o.choices.isEmpty ? (o.metavar ?? "VALUE") : "{" + o.choices.joined(separator: ",") + "}"
    }

    static func metavar(_ p: Positional) -> String {
        p.choices.isEmpty ? p.name : "{" + p.choices.joined(separator: ",") + "}"
    }

    /// `-t TAIL, --tail TAIL`, `-q, --quiet`: every form, short first.
    static func invocation(_ o: Option) -> String {
        let forms = (o.short.map { ["-\($0)"] } ?? []) + ["--\(o.long)"]
        return forms.map { o.kind == .flag ? $0 : "\($0) \(metavar(o))" }.joined(separator: ", ")
    }

    /// An option in usage: its first form, in brackets unless required.
    static func usagePart(_ o: Option) -> String {
        let first = o.short.map { "-\($0)" } ?? "--\(o.long)"
        let part = o.kind == .flag ? first : "\(first) \(metavar(o))"
        return o.required ? part : "[\(part)]"
    }

    static func usagePart(_ p: Positional) -> String {
        let m = metavar(p)
        switch p.arity {
        case .one: return m
        case .optional: return "[\(m)]"
        case .oneOrMore: return "\(m) [\(m) ...]"
        case .zeroOrMore: return "[\(m) [\(m) ...]]"
        case .remainder: return "..."
        }
    }

    // MARK: - Usage (argparse's _format_usage)

    static let usageSplitter = try! NSRegularExpression(pattern: #"\(.*?\)+|\[.*?\]+|\S+"#)
    static let usageCleanups: [(NSRegularExpression, String)] = [
        (#"([\[(]) "#, "$1"), (#" ([\])])"#, "$1"), (#"[\[(] *[\])]"#, ""), (#"\(([^|]*)\)"#, "$1"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    /// argparse's _format_actions_usage: the parts joined, then its clean-ups of brackets.
    static func actionsUsage(_ parts: [String]) -> String {
        var text = parts.joined(separator: " ")
        for (pattern, template) in usageCleanups {
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(location: 0, length: (text as NSString).length), withTemplate: template)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    static func usageParts(_ text: String) -> [String] {
        let ns = text as NSString
        return usageSplitter.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    /// Everything after `usage: `. 1.0.9's parts are wrapped exactly as argparse wrapped them;
    /// `added` parts follow on lines of their own, at the same indent.
    static func usage(program: String, optionals: [String], positionals: [String], added: [String], width: Int) -> String {
        let prefix = "usage: ", textWidth = width
        let optUsage = actionsUsage(optionals), posUsage = actionsUsage(positionals)
        let whole = [program, actionsUsage(optionals + positionals)].filter { !$0.isEmpty }.joined(separator: " ")

        func lines(_ parts: [String], indent: String, prefix: String? = nil) -> [String] {
            var lines: [String] = [], line: [String] = []
            var length = (prefix ?? indent).count - 1
            for part in parts {
                if length + 1 + part.count > textWidth && !line.isEmpty {
                    lines.append(indent + line.joined(separator: " "))
                    line = []
                    length = indent.count - 1
                }
                line.append(part)
                length += part.count + 1
            }
            if !line.isEmpty { lines.append(indent + line.joined(separator: " ")) }
            if prefix != nil, !lines.isEmpty { lines[0] = String(lines[0].dropFirst(indent.count)) }
            return lines
        }

        // A short program name is followed by its arguments; a long one stands on its own line.
        let short = Double(prefix.count + program.count) <= 0.75 * Double(textWidth)
        let indent = String(repeating: " ", count: short ? prefix.count + program.count + 1 : prefix.count)
        var text = whole
        if prefix.count + whole.count > textWidth {
            let optParts = usageParts(optUsage), posParts = usageParts(posUsage)
            var wrapped: [String]
            if short {
                if !optParts.isEmpty {
                    wrapped = lines([program] + optParts, indent: indent, prefix: prefix) + lines(posParts, indent: indent)
                } else if !posParts.isEmpty {
                    wrapped = lines([program] + posParts, indent: indent, prefix: prefix)
                } else {
                    wrapped = [program]
                }
            } else {
                wrapped = lines(optParts + posParts, indent: indent)
                if wrapped.count > 1 { wrapped = lines(optParts, indent: indent) + lines(posParts, indent: indent) }
                wrapped = [program] + wrapped
            }
            text = wrapped.joined(separator: "\n")
        }
        if !added.isEmpty {
            text += "\n" + lines(usageParts(actionsUsage(added)), indent: indent).joined(separator: "\n")
        }
        return text
    }

    // MARK: - Entries (argparse's _format_action) and text (textwrap)

    static func format(_ e: Entry, helpPosition: Int, width: Int) -> [String] {
        let lead = String(repeating: " ", count: e.indent)
        guard let help = e.help, !help.isEmpty else { return [lead + e.invocation] }
        let actionWidth = helpPosition - e.indent - 2
        let gutter = String(repeating: " ", count: helpPosition)
        let text = wrap(help, max(width - helpPosition, 11))
        var out: [String]
        if e.invocation.count <= actionWidth {
            out = [lead + e.invocation + String(repeating: " ", count: actionWidth - e.invocation.count) + "  " + (text.first ?? "")]
        } else {
            out = [lead + e.invocation, gutter + (text.first ?? "")]
        }
        return out + text.dropFirst().map { gutter + $0 }
    }

    /// Python 2.7's textwrap word separators (break_on_hyphens): blanks, `role-` of `role-generated`, `--`.
    static let wordSeparator = try! NSRegularExpression(pattern: #"(\s+|[^\s\w]*\w+[^0-9\W]-(?=\w+[^0-9\W])|(?<=[\w!"'&.,?])-{2,}(?=\w))"#)

    /// argparse's _split_lines: blanks collapsed, then textwrap.wrap(text, width).
    static func wrap(_ text: String, _ width: Int) -> [String] {
        let normalized = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let ns = normalized as NSString
        var chunks: [String] = []
        var at = 0
        for m in wordSeparator.matches(in: normalized, range: NSRange(location: 0, length: ns.length)) {
            if m.range.location > at { chunks.append(ns.substring(with: NSRange(location: at, length: m.range.location - at))) }
            chunks.append(ns.substring(with: m.range))
            at = m.range.location + m.range.length
        }
        if at < ns.length { chunks.append(ns.substring(from: at)) }

        // textwrap's _wrap_chunks, with `pending` as its reversed chunk list.
        var pending = Array(chunks.reversed())
        var lines: [String] = []
        let blank = { (s: String) in s.allSatisfy { $0 == " " } }
        while !pending.isEmpty {
            if blank(pending.last!) && !lines.isEmpty { pending.removeLast() }
            var line: [String] = [], length = 0
            while let chunk = pending.last, length + chunk.count <= width {
                line.append(chunk)
                length += chunk.count
                pending.removeLast()
            }
            // A word longer than a line is cut at the line's end.
            if let chunk = pending.last, chunk.count > width {
                let room = width < 1 ? 1 : width - length
                line.append(String(chunk.prefix(room)))
                pending[pending.count - 1] = String(chunk.dropFirst(room))
            }
            if let last = line.last, blank(last) { line.removeLast() }
            if !line.isEmpty { lines.append(line.joined()) }
        }
        return lines
    }
}
