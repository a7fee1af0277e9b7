import DockerCloudAPI
import Foundation
import Yams
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Stackfiles: `stack create/up/update` and `up` read them (StackfileLoader), `stack export` writes one (StackfileYAML).
//
// Yams types are always written module-qualified (Yams.Node, Yams.Resolver, …): this module and DockerCloudAPI have
// their own Node, Resolver, Parser and Tag.

/// Loads stackfiles the way docker-cloud 1.0.9 did (`yaml.load`, compose-v1 interpolation, a later file replacing whole
/// services, `environment` injection from the local environment), with these deliberate differences:
/// * `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}` and `${VAR+alt}` work as in
///   compose (1.0.9 rejected them as bad interpolation);
/// * the compose v2/v3 layout (`version:` + `services:`) is understood (1.0.9 failed on it); the top-level `networks`,
///   `volumes`, `configs`, `secrets` (or anything else) are ignored with a warning;
/// * `a:b` plain scalars such as `22:22` or `1:30` stay strings (PyYAML read them as YAML 1.1 base-60 integers, 1342
///   and 90, which broke port lists); timestamps, `.inf` and `.nan` stay strings too (PyYAML made datetimes and
///   infinite floats that could not be sent as JSON);
/// * errors are one line: an empty file, a top level that is not a mapping, a service that is not a mapping and YAML
///   syntax errors name what is wrong instead of showing a Python exception text;
/// * duplicate keys in a mapping are an error (Yams rejects them; PyYAML kept the last one);
/// * in an `environment` mapping only null or empty values are filled in from the local environment (1.0.9 also
///   replaced `0` and `false`).
/// Everything else resolves as PyYAML did (YAML 1.1): `yes/no/on/off/true/false` are booleans, `0x1f`, `0755` (octal)
/// and `1_000` integers, `1.5` and `1.0e+3` floats (`1e3`, with no dot, is a string), `~`/`null`/empty is null.
struct StackfileLoader {
    var environment: [String: String]
    var warn: (String) -> Void

    init(environment: [String: String], warn: @escaping (String) -> Void) {
        self.environment = environment
        self.warn = warn
    }

    /// The names looked for, in order of preference.
    static let fileNames = ["docker-cloud.yml", "docker-cloud.yaml", "tutum.yml", "tutum.yaml", "docker-compose.yml", "docker-compose.yaml"]

    /// The files to load when no -f was given: search `directory`, then each parent up to `/`, for the first existing name of
    /// `fileNames`; if the `.override` variant (docker-cloud.override.yml etc.) exists beside it, it follows. Empty when
    /// nothing is found. The paths are absolute (like 1.0.9's `os.path.join(os.path.abspath(dir), name)`).
    static func discover(from directory: String) -> [String] {
        let fm = FileManager.default
        var dir = absolutePath(directory)
        while true {
            for name in fileNames {
                let path = joinPath(dir, name)
                if fm.fileExists(atPath: path) {
                    let override = joinPath(dir, name.replacingOccurrences(of: ".", with: ".override."))
                    return fm.fileExists(atPath: override) ? [path, override] : [path]
                }
            }
            if dir == "/" { return [] }
            dir = parentPath(dir)
        }
    }

    /// Loads `files` in order and returns the services (each a JSON object with "name": <key> added), in file order, a later
    /// file replacing a whole service entry of the same name (no deep merge) at the position of the first occurrence.
    func load(files: [String]) throws -> [JSONValue] {
        var order: [String] = []
        var services: [String: [String: JSONValue]] = [:]
        for file in files {
            for (name, service) in try loadFile(file) {
                if services[name] == nil { order.append(name) }
                services[name] = service
            }
        }
        return order.map { name in
            var service = services[name] ?? [:]
            service["name"] = .string(name)
            injectEnvironment(into: &service)
            return .object(service)
        }
    }

    // MARK: - One file

    /// The services of one file, in file order, interpolated.
    private func loadFile(_ path: String) throws -> [(String, [String: JSONValue])] {
        let text = try Self.readText(path)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text, Self.resolver)
        } catch {
            throw Self.badFormat(path, Self.describeYAMLError(error))
        }
        guard let root, !Self.isNull(root) else { throw Self.badFormat(path, "the file is empty") }
        guard case .mapping(let top) = root else {
            throw Self.badFormat(path, "the top level must be a mapping of service names to services, not \(Self.kind(of: root))")
        }
        var entries = try Self.pairs(of: top, path: path)
        if Self.isComposeV2(entries) {
            let ignored = entries.map(\.0).filter { $0 != "version" && $0 != "services" && !$0.hasPrefix("x-") }
            if !ignored.isEmpty {
                let names = ignored.map { "\"\($0)\"" }.joined(separator: ", ")
                warn("WARNING:dockercloudcli.stackfile:Ignoring the top-level \(names) section\(ignored.count == 1 ? "" : "s") of \(path): Docker Cloud stacks do not support \(ignored.count == 1 ? "it" : "them").")
            }
            switch entries.first(where: { $0.0 == "services" })?.1 {
            case nil: entries = []
            case .some(let node) where Self.isNull(node): entries = []
            case .some(.mapping(let services)): entries = try Self.pairs(of: services, path: path)
            case .some(let node):
                throw Self.badFormat(path, "\"services\" must be a mapping of service names to services, not \(Self.kind(of: node))")
            }
        }
        if entries.isEmpty { throw CommandError(description: "Bad format of the stack file: \(path)") }

        var warned = Set<String>()  // one warning per unset variable and file, as 1.0.9 did
        var result: [(String, [String: JSONValue])] = []
        for (name, node) in entries {
            var service: [String: JSONValue] = [:]
            switch node {
            case .mapping(let mapping):
                for (key, valueNode) in try Self.pairs(of: mapping, path: path) {
                    service[key] = try Self.json(from: valueNode, path: path) { string in
                        do {
                            return try interpolate(string, warned: &warned)
                        } catch InterpolationFailure.invalid {
                            throw Self.badFormat(path, "Invalid interpolation format for \"\(key)\" option in service \"\(name)\": \"\(string)\"")
                        } catch InterpolationFailure.missing(let message) {
                            throw Self.badFormat(path, "Missing mandatory value for \"\(key)\" option in service \"\(name)\": \(message)")
                        }
                    }
                }
            case let other where Self.isNull(other):
                break  // `web:` with nothing under it: 1.0.9 took it as an empty service
            default:
                throw Self.badFormat(path, "service \"\(name)\" must be a mapping of options, not \(Self.kind(of: node))")
            }
            result.append((name, service))
        }
        return result
    }

    /// Compose v2/v3: a scalar `version:`, or (for the version-less compose spec) a `services:` mapping whose entries are
    /// all mappings. A compose-v1 service called "services" would have scalar options such as `image:`.
    private static func isComposeV2(_ entries: [(String, Yams.Node)]) -> Bool {
        if let version = entries.first(where: { $0.0 == "version" })?.1, case .scalar = version { return true }
        guard let services = entries.first(where: { $0.0 == "services" })?.1, case .mapping(let mapping) = services else { return false }
        return mapping.allSatisfy { entry in
            if case .mapping = entry.value { return true }
            return isNull(entry.value)
        }
    }

    private static func badFormat(_ path: String, _ reason: String) -> CommandError {
        CommandError(description: "Bad format of the stack file(\(path)): \(reason)")
    }

    // MARK: - Reading

    /// The file's text; the errors read like Python's `open()` ones (`[Errno 2] No such file or directory: 'x.yml'`).
    private static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandError(description: "[Errno 2] No such file or directory: \(pythonRepr(path))")
        }
        if isDirectory.boolValue { throw CommandError(description: "[Errno 21] Is a directory: \(pythonRepr(path))") }
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            throw CommandError(description: "[Errno \(code)] \(String(cString: strerror(code))): \(pythonRepr(path))")
        }
        close(fd)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError(description: "[Errno 5] Input/output error: \(pythonRepr(path))")
        }
        if let text = String(data: data, encoding: .utf8) { return text }
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]), let text = String(data: data, encoding: .utf16) {
            return text
        }
        throw badFormat(path, "the file is not UTF-8 text")
    }

    /// `repr()` of a Python string, as in its OSError messages.
    private static func pythonRepr(_ s: String) -> String {
        if s.contains("'") && !s.contains("\"") { return "\"\(s.replacingOccurrences(of: "\\", with: "\\\\"))\"" }
        return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// A Yams error as one line: "<context> at line L, column C: <problem> at line L, column C".
    private static func describeYAMLError(_ error: Error) -> String {
        guard let error = error as? Yams.YamlError else { return oneLine(String(describing: error)) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var text = ""
            if let context, !context.text.isEmpty {
                text = "\(context.text) at line \(context.mark.line), column \(context.mark.column): "
            }
            return oneLine(text + "\(problem) at line \(mark.line), column \(mark.column)")
        case .reader(let problem, let offset, _, _):
            return oneLine(offset.map { "\(problem) at character \($0 + 1)" } ?? problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return oneLine("found duplicate key\(duplicates.count == 1 ? "" : "s") \(keys) at line \(context.mark.line), column \(context.mark.column)")
        default:
            return oneLine(String(describing: error))
        }
    }

    private static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    // MARK: - YAML → JSON

    /// PyYAML's YAML 1.1 implicit types, minus base-60 numbers, timestamps and .inf/.nan (see the type's comment).
    private static let resolver: Yams.Resolver = {
        // swiftlint:disable:next force_try
        try! Yams.Resolver.basic
            .appending(.null, "^(?:~|null|Null|NULL|)$")
            .appending(.bool, "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
            .appending(.int, "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
            .appending(.float, "^(?:[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?)$")
            .appending(.merge, "^<<$")
    }()

    private static func isNull(_ node: Yams.Node) -> Bool {
        if case .scalar = node { return node.tag.rawValue == Yams.Tag.Name.null.rawValue }
        return false
    }

    private static func kind(of node: Yams.Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch node.tag.rawValue {
            case Yams.Tag.Name.null.rawValue: return "null"
            case Yams.Tag.Name.bool.rawValue: return "a boolean"
            case Yams.Tag.Name.int.rawValue, Yams.Tag.Name.float.rawValue: return "a number"
            default: return "a string"
            }
        }
    }

    /// A mapping's entries in order, `<<` merge keys applied as PyYAML does (explicit keys win over merged ones, an
    /// earlier merged mapping over a later one); a repeated key keeps its first position and its last value.
    private static func pairs(of mapping: Yams.Node.Mapping, path: String) throws -> [(String, Yams.Node)] {
        var merged: [(String, Yams.Node)] = []
        var own: [(String, Yams.Node)] = []
        for (keyNode, value) in mapping {
            if case .scalar(let key) = keyNode, keyNode.tag.rawValue == Yams.Tag.Name.merge.rawValue {
                let sources: [Yams.Node]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let sequence): sources = Array(sequence)
                default: sources = []
                }
                guard !sources.isEmpty, sources.allSatisfy({ if case .mapping = $0 { return true } else { return false } }) else {
                    throw badFormat(path, "expected a mapping or a list of mappings for merging at line \(key.mark?.line ?? 0), column \(key.mark?.column ?? 0)")
                }
                for source in sources.reversed() {
                    if case .mapping(let sourceMapping) = source { merged += try pairs(of: sourceMapping, path: path) }
                }
                continue
            }
            guard case .scalar(let key) = keyNode else {
                let mark = keyNode.mark
                throw badFormat(path, "found a mapping key that is not a scalar at line \(mark?.line ?? 0), column \(mark?.column ?? 0)")
            }
            own.append((key.string, value))
        }
        var result: [(String, Yams.Node)] = []
        var position: [String: Int] = [:]
        for (key, value) in merged + own {
            if let index = position[key] {
                result[index].1 = value
            } else {
                position[key] = result.count
                result.append((key, value))
            }
        }
        return result
    }

    /// The JSON value of a node; `string` is applied to every string scalar (interpolation), never to keys.
    private static func json(from node: Yams.Node, path: String, string: (String) throws -> String) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            switch node.tag.rawValue {
            case Yams.Tag.Name.null.rawValue:
                return .null
            case Yams.Tag.Name.bool.rawValue:
                switch text.lowercased() {
                case "yes", "true", "on": return .bool(true)
                case "no", "false", "off": return .bool(false)
                default: return .string(try string(text))
                }
            case Yams.Tag.Name.int.rawValue:
                if let value = parseInt(text) { return .number(value) }
                return .string(try string(text))
            case Yams.Tag.Name.float.rawValue:
                if let value = Double(text.replacingOccurrences(of: "_", with: "")), value.isFinite { return .number(value) }
                return .string(try string(text))
            default:
                return .string(try string(text))
            }
        case .sequence(let sequence):
            return .array(try sequence.map { try json(from: $0, path: path, string: string) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in try pairs(of: mapping, path: path) {
                object[key] = try json(from: value, path: path, string: string)
            }
            return .object(object)
        case .alias:
            throw badFormat(path, "unsupported alias at line \(node.mark?.line ?? 0), column \(node.mark?.column ?? 0)")
        }
    }

    /// A YAML 1.1 integer: `0b1010`, `0x1F`, `017` (octal), `1_000`, with an optional sign.
    private static func parseInt(_ text: String) -> Double? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0b") {
            radix = 2; digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0x") {
            radix = 16; digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.hasPrefix("0") {
            radix = 8; digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        let magnitude: Double
        if let value = UInt64(digits, radix: radix) {
            magnitude = Double(value)
        } else if radix == 10, let value = Double(digits) {
            magnitude = value
        } else {
            return nil
        }
        return negative ? -magnitude : magnitude
    }

    // MARK: - Interpolation

    private enum InterpolationFailure: Error {
        case invalid
        case missing(String)
    }

    /// Compose-v1 interpolation (Python's `string.Template`: `$VAR`, `${VAR}`, `$$`; any other `$` is an error), plus the
    /// compose forms `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, whose
    /// argument may itself hold `${…}` and is interpolated only when used. A plain reference to an unset variable gives ""
    /// and a warning (once per variable and file).
    private func interpolate(_ text: String, warned: inout Set<String>) throws -> String {
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            guard c == "$" else { out.append(c); i += 1; continue }
            guard i + 1 < chars.count else { throw InterpolationFailure.invalid }
            let next = chars[i + 1]
            if next == "$" {
                out.append("$"); i += 2
            } else if isNameStart(next) {
                var end = i + 1
                while end < chars.count, isNameChar(chars[end]) { end += 1 }
                out.append(contentsOf: lookup(String(String.UnicodeScalarView(chars[(i + 1)..<end])), warned: &warned).unicodeScalars)
                i = end
            } else if next == "{" {
                var end = i + 2
                guard end < chars.count, isNameStart(chars[end]) else { throw InterpolationFailure.invalid }
                while end < chars.count, isNameChar(chars[end]) { end += 1 }
                let name = String(String.UnicodeScalarView(chars[(i + 2)..<end]))
                guard end < chars.count else { throw InterpolationFailure.invalid }
                if chars[end] == "}" {
                    out.append(contentsOf: lookup(name, warned: &warned).unicodeScalars)
                    i = end + 1
                    continue
                }
                // An operator: ":-", "-", ":?", "?", ":+" or "+".
                var colon = false
                if chars[end] == ":" { colon = true; end += 1 }
                guard end < chars.count, ["-", "?", "+"].contains(chars[end]) else { throw InterpolationFailure.invalid }
                let op = chars[end]
                // The argument runs to the matching "}", over nested "${…}" and "$$".
                let argumentStart = end + 1
                var j = argumentStart
                var depth = 0
                var closed = false
                while j < chars.count {
                    if chars[j] == "$", j + 1 < chars.count, chars[j + 1] == "$" || chars[j + 1] == "{" {
                        if chars[j + 1] == "{" { depth += 1 }
                        j += 2
                        continue
                    }
                    if chars[j] == "}" {
                        if depth == 0 { closed = true; break }
                        depth -= 1
                    }
                    j += 1
                }
                guard closed else { throw InterpolationFailure.invalid }
                let argument = String(String.UnicodeScalarView(chars[argumentStart..<j]))
                let value = environment[name]
                let present = colon ? !(value ?? "").isEmpty : value != nil
                switch op {
                case "-":
                    let replacement = present ? (value ?? "") : try interpolate(argument, warned: &warned)
                    out.append(contentsOf: replacement.unicodeScalars)
                case "?":
                    guard present else {
                        let message = try interpolate(argument, warned: &warned)
                        throw InterpolationFailure.missing(message.isEmpty ? "required variable \(name) is missing a value" : message)
                    }
                    out.append(contentsOf: (value ?? "").unicodeScalars)
                default:  // "+"
                    if present { out.append(contentsOf: try interpolate(argument, warned: &warned).unicodeScalars) }
                }
                i = j + 1
            } else {
                throw InterpolationFailure.invalid
            }
        }
        return String(out)
    }

    private func lookup(_ name: String, warned: inout Set<String>) -> String {
        if let value = environment[name] { return value }
        if warned.insert(name).inserted {
            warn("WARNING:dockercloudcli.interpolation:The \(name) variable is not set. Defaulting to a blank string.")
        }
        return ""
    }

    // MARK: - Environment injection

    /// `environment: [KEY]` becomes `KEY=<value>`, and `environment: {KEY: }` gets the value, when KEY is set (non-empty)
    /// in the local environment.
    private func injectEnvironment(into service: inout [String: JSONValue]) {
        switch service["environment"] {
        case .array(let items)?:
            service["environment"] = .array(items.map { item in
                if case .string(let key) = item, !key.contains("="), let value = environment[key], !value.isEmpty {
                    return .string("\(key)=\(value)")
                }
                return item
            })
        case .object(var variables)?:
            for (key, value) in variables where value == .null || value == .string("") {
                if let local = environment[key], !local.isEmpty { variables[key] = .string(local) }
            }
            service["environment"] = .object(variables)
        default:
            break
        }
    }

    // MARK: - Paths

    /// `os.path.abspath`: made absolute against the working directory, with ".", ".." and repeated "/" removed.
    private static func absolutePath(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    private static func joinPath(_ directory: String, _ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }
}

// MARK: - Export

/// `stack export`: the stackfile JSON the server returns, as block-style YAML with sorted keys, byte for byte what PyYAML
/// 3.13's `safe_dump(data, default_flow_style=False, allow_unicode=True)` printed for the types that occur (maps, lists,
/// strings, numbers, booleans, null). Yams' emitter (libyaml) decides quoting with its own resolver, so this is a small
/// emitter of its own, following PyYAML's rules: plain style unless the text would read back as another type or holds
/// indicators (`: `, ` #`, a leading `-`, `*`, `&`, …), else single quotes, else (control characters, characters outside
/// the BMP, spaces around line breaks) double quotes with escapes; long scalars are folded at 80 columns; empty maps and
/// lists are written `{}` and `[]`; a document that is a single plain scalar ends with `...`.
/// A JSON number with an integral value is written as an integer (`512`, not `512.0`): JSONValue cannot tell `1.0` from
/// `1`. Other numbers are written as Python's `repr()` would (`0.5`, `1.0e-05`).
enum StackfileYAML {
    static func dump(_ value: JSONValue) throws -> String {
        var emitter = PyYAMLBlockEmitter()
        emitter.document(value)
        return emitter.output
    }
}

/// The part of PyYAML's Emitter state machine that block-style, tag-free, anchor-free documents go through.
private struct PyYAMLBlockEmitter {
    private(set) var output = ""
    private var column = 0
    private var whitespace = true   // the last character written is a space or a line break
    private var indention = true    // only indentation (and "-", "?", ":") has been written on this line
    private var openEnded = false
    private var indent: Int?
    private var indents: [Int?] = []
    private let bestIndent = 2
    private let bestWidth = 80

    mutating func document(_ value: JSONValue) {
        node(value, root: true, mapping: false, simpleKey: false)
        writeIndent()
        if openEnded {
            writeIndicator("...", needWhitespace: true)
            writeIndent()
        }
    }

    // MARK: Nodes

    private mutating func node(_ value: JSONValue, root: Bool, mapping: Bool, simpleKey: Bool) {
        switch value {
        case .array(let items) where items.isEmpty:
            emptyFlowCollection("[", "]")
        case .object(let members) where members.isEmpty:
            emptyFlowCollection("{", "}")
        case .array(let items):
            // A sequence directly under a mapping key is not indented ("ports:\n- 80:80").
            increaseIndent(flow: false, indentless: mapping && !indention)
            for item in items {
                writeIndent()
                writeIndicator("-", needWhitespace: true, indention: true)
                node(item, root: false, mapping: false, simpleKey: false)
            }
            indent = indents.popLast() ?? nil
        case .object(let members):
            increaseIndent(flow: false)
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for key in keys {
                writeIndent()
                let analysis = ScalarAnalysis(key)
                // PyYAML counts the prepared tag ("!!str", 5 characters) in the 128-character limit of a simple key.
                if analysis.length + 5 < 128 && !analysis.empty && !analysis.multiline {
                    node(.string(key), root: false, mapping: true, simpleKey: true)
                    writeIndicator(":", needWhitespace: false)
                } else {
                    writeIndicator("?", needWhitespace: true, indention: true)
                    node(.string(key), root: false, mapping: true, simpleKey: false)
                    writeIndent()
                    writeIndicator(":", needWhitespace: true, indention: true)
                }
                node(members[key] ?? .null, root: false, mapping: true, simpleKey: false)
            }
            indent = indents.popLast() ?? nil
        case .string(let text):
            scalar(text, implicitPlain: !Self.resolvesToOtherType(text), root: root, simpleKey: simpleKey)
        case .number(let number):
            scalar(Self.formatNumber(number), implicitPlain: true, root: root, simpleKey: simpleKey)
        case .bool(let flag):
            scalar(flag ? "true" : "false", implicitPlain: true, root: root, simpleKey: simpleKey)
        case .null:
            scalar("null", implicitPlain: true, root: root, simpleKey: simpleKey)
        }
    }

    private mutating func emptyFlowCollection(_ open: String, _ close: String) {
        writeIndicator(open, needWhitespace: true, whitespace: true)
        increaseIndent(flow: true)
        indent = indents.popLast() ?? nil
        writeIndicator(close, needWhitespace: false)
    }

    private mutating func increaseIndent(flow: Bool, indentless: Bool = false) {
        indents.append(indent)
        if let current = indent {
            if !indentless { indent = current + bestIndent }
        } else {
            indent = flow ? bestIndent : 0
        }
    }

    // MARK: Scalars

    /// `implicitPlain`: the text, written plain, reads back as the same type (PyYAML's `implicit[0]`).
    private mutating func scalar(_ text: String, implicitPlain: Bool, root: Bool, simpleKey: Bool) {
        increaseIndent(flow: true)
        let analysis = ScalarAnalysis(text)
        let chars = analysis.chars
        if implicitPlain && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain {
            writePlain(chars, split: !simpleKey, root: root)
        } else if analysis.allowSingleQuoted && !(simpleKey && analysis.multiline) {
            writeSingleQuoted(chars, split: !simpleKey)
        } else {
            writeDoubleQuoted(chars, split: !simpleKey)
        }
        indent = indents.popLast() ?? nil
    }

    private static func isBreak(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        return c == "\n" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
    }

    private mutating func writePlain(_ text: [Unicode.Scalar], split: Bool, root: Bool) {
        if root { openEnded = true }
        if text.isEmpty { return }
        if !whitespace { write(" ") }
        whitespace = false
        indention = false
        var spaces = false
        var breaks = false
        var start = 0
        var end = 0
        while end <= text.count {
            let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
            if spaces {
                if ch != " " {
                    if start + 1 == end && column > bestWidth && split {
                        writeIndent()
                        whitespace = false
                        indention = false
                    } else {
                        write(text[start..<end])
                    }
                    start = end
                }
            } else if breaks {
                if !Self.isBreak(ch) {
                    if text[start] == "\n" { writeLineBreak() }
                    for br in text[start..<end] { writeLineBreak(br == "\n" ? nil : br) }
                    writeIndent()
                    whitespace = false
                    indention = false
                    start = end
                }
            } else if ch == nil || ch == " " || Self.isBreak(ch) {
                write(text[start..<end])
                start = end
            }
            if let ch {
                spaces = ch == " "
                breaks = Self.isBreak(ch)
            }
            end += 1
        }
    }

    private mutating func writeSingleQuoted(_ text: [Unicode.Scalar], split: Bool) {
        writeIndicator("'", needWhitespace: true)
        var spaces = false
        var breaks = false
        var start = 0
        var end = 0
        while end <= text.count {
            let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
            if spaces {
                if ch != " " {
                    if start + 1 == end && column > bestWidth && split && start != 0 && end != text.count {
                        writeIndent()
                    } else {
                        write(text[start..<end])
                    }
                    start = end
                }
            } else if breaks {
                if !Self.isBreak(ch) {
                    if text[start] == "\n" { writeLineBreak() }
                    for br in text[start..<end] { writeLineBreak(br == "\n" ? nil : br) }
                    writeIndent()
                    start = end
                }
            } else if ch == nil || ch == " " || ch == "'" || Self.isBreak(ch) {
                if start < end {
                    write(text[start..<end])
                    start = end
                }
            }
            if ch == "'" {
                write("''")
                start = end + 1
            }
            if let ch {
                spaces = ch == " "
                breaks = Self.isBreak(ch)
            }
            end += 1
        }
        writeIndicator("'", needWhitespace: false)
    }

    private static let escapes: [Unicode.Scalar: String] = [
        "\0": "0", "\u{07}": "a", "\u{08}": "b", "\t": "t", "\n": "n", "\u{0B}": "v", "\u{0C}": "f", "\r": "r",
        "\u{1B}": "e", "\"": "\"", "\\": "\\", "\u{85}": "N", "\u{A0}": "_", "\u{2028}": "L", "\u{2029}": "P",
    ]

    private mutating func writeDoubleQuoted(_ text: [Unicode.Scalar], split: Bool) {
        writeIndicator("\"", needWhitespace: true)
        var start = 0
        var end = 0
        while end <= text.count {
            let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
            if let c = ch, !["\"", "\\", "\u{85}", "\u{2028}", "\u{2029}", "\u{FEFF}"].contains(c),
               (0x20...0x7E).contains(c.value) || (0xA0...0xD7FF).contains(c.value) || (0xE000...0xFFFD).contains(c.value) {
                // written as it is
            } else {
                if start < end {
                    write(text[start..<end])
                    start = end
                }
                if let c = ch {
                    let escaped: String
                    if let letter = Self.escapes[c] {
                        escaped = "\\" + letter
                    } else if c.value <= 0xFF {
                        escaped = "\\x" + Self.hex(c.value, width: 2)
                    } else if c.value <= 0xFFFF {
                        escaped = "\\u" + Self.hex(c.value, width: 4)
                    } else {
                        escaped = "\\U" + Self.hex(c.value, width: 8)
                    }
                    write(escaped)
                    start = end + 1
                }
            }
            if 0 < end && end < text.count - 1 && (ch == " " || start >= end) && column + (end - start) > bestWidth && split {
                if start < end {
                    write(text[start..<end])
                    start = end
                }
                write("\\")
                writeIndent()
                whitespace = false
                indention = false
                if text[start] == " " { write("\\") }
            }
            end += 1
        }
        writeIndicator("\"", needWhitespace: false)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: Writing

    private mutating func write(_ text: String) {
        output += text
        column += text.unicodeScalars.count
    }

    private mutating func write(_ chars: ArraySlice<Unicode.Scalar>) {
        output.unicodeScalars.append(contentsOf: chars)
        column += chars.count
    }

    private mutating func writeIndicator(_ indicator: String, needWhitespace: Bool, whitespace newWhitespace: Bool = false, indention newIndention: Bool = false) {
        write(whitespace || !needWhitespace ? indicator : " " + indicator)
        whitespace = newWhitespace
        indention = indention && newIndention
        openEnded = false
    }

    private mutating func writeIndent() {
        let target = indent ?? 0
        if !indention || column > target || (column == target && !whitespace) {
            writeLineBreak()
        }
        if column < target {
            whitespace = true
            write(String(repeating: " ", count: target - column))
        }
    }

    private mutating func writeLineBreak(_ character: Unicode.Scalar? = nil) {
        whitespace = true
        indention = true
        output.unicodeScalars.append(character ?? "\n")
        column = 0
    }

    // MARK: Types

    /// PyYAML 3.13's implicit resolvers (YAML 1.1), used on the way out: a string they would read as something else
    /// (`'yes'`, `'1.5'`, `'22:22'`, `'~'`, `'2017-01-01'`, …) must be quoted.
    private static let otherTypePatterns: [NSRegularExpression] = [
        "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        "^(?:[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$",
        "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        "^(?:<<)$",
        "^(?:~|null|Null|NULL|)$",
        "^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
        "^(?:=)$",
        "^(?:!|&|\\*)$",
    ].map {
        // swiftlint:disable:next force_try
        try! NSRegularExpression(pattern: $0)
    }

    private static func resolvesToOtherType(_ text: String) -> Bool {
        let range = NSRange(location: 0, length: text.utf16.count)
        return otherTypePatterns.contains { $0.firstMatch(in: text, options: [], range: range) != nil }
    }

    /// An integral value as an integer; anything else as Python's `repr(float)`, with PyYAML's ".0" before a bare "e".
    static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        if value == value.rounded(), abs(value) < 9.2e18 { return String(Int64(value)) }
        // The shortest round-trip digits (Swift's description gives them) and the decimal point's position.
        let description = "\(abs(value))".lowercased()
        let parts = description.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let integerLength = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        var digits = mantissa.replacingOccurrences(of: ".", with: "")
        var point = integerLength + exponent
        while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        var text: String
        if point <= -4 || point > 16 {
            let e = point - 1
            text = String(digits.prefix(1)) + (digits.count > 1 ? "." + digits.dropFirst() : ".0")
            text += "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        } else if point <= 0 {
            text = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            text = digits + String(repeating: "0", count: point - digits.count) + ".0"
        } else {
            text = digits.prefix(point) + "." + digits.dropFirst(point)
        }
        return value < 0 ? "-" + text : text
    }
}

/// PyYAML's Emitter.analyze_scalar (3.13, `allow_unicode=True`): which styles can carry the text.
private struct ScalarAnalysis {
    let chars: [Unicode.Scalar]
    var length: Int { chars.count }
    var empty = false
    var multiline = false
    var allowBlockPlain = true
    var allowSingleQuoted = true

    init(_ text: String) {
        chars = Array(text.unicodeScalars)
        if chars.isEmpty {
            empty = true
            return
        }
        func isSpaceOrBreak(_ c: Unicode.Scalar) -> Bool {
            c == "\0" || c == " " || c == "\t" || c == "\r" || c == "\n" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
        }
        func isBreak(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" }

        var blockIndicators = text.hasPrefix("---") || text.hasPrefix("...")
        var lineBreaks = false
        var specialCharacters = false
        var leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        var precededByWhitespace = true
        var followedByWhitespace = chars.count == 1 || isSpaceOrBreak(chars[1])
        var previousSpace = false, previousBreak = false

        for (index, ch) in chars.enumerated() {
            if index == 0 {
                if "#,[]{}&*!|>'\"%@`".unicodeScalars.contains(ch) { blockIndicators = true }
                if (ch == "?" || ch == ":") && followedByWhitespace { blockIndicators = true }
                if ch == "-" && followedByWhitespace { blockIndicators = true }
            } else {
                if ch == ":" && followedByWhitespace { blockIndicators = true }
                if ch == "#" && precededByWhitespace { blockIndicators = true }
            }
            if isBreak(ch) { lineBreaks = true }
            if !(ch == "\n" || (0x20...0x7E).contains(ch.value)) {
                let printable = ch == "\u{85}" || (0xA0...0xD7FF).contains(ch.value) || (0xE000...0xFFFD).contains(ch.value)
                if !printable || ch == "\u{FEFF}" { specialCharacters = true }
            }
            if ch == " " {
                if index == 0 { leadingSpace = true }
                if index == chars.count - 1 { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if isBreak(ch) {
                if index == 0 { leadingBreak = true }
                if index == chars.count - 1 { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = isSpaceOrBreak(ch)
            followedByWhitespace = index + 2 >= chars.count || isSpaceOrBreak(chars[index + 2])
        }

        if leadingSpace || leadingBreak || trailingSpace || trailingBreak { allowBlockPlain = false }
        if breakSpace { allowBlockPlain = false; allowSingleQuoted = false }
        if spaceBreak || specialCharacters { allowBlockPlain = false; allowSingleQuoted = false }
        if lineBreaks { allowBlockPlain = false }
        if blockIndicators { allowBlockPlain = false }
        multiline = lineBreaks
    }
}
