import DockerCloudAPI
import Foundation

/// A service's definition options turned into the API's JSON, as the command table says: each
/// option carries the attribute it sets (`Option.attribute`), so nothing here names a flag. Bad
/// values get docker-cloud 1.0.9's validation messages, and nothing is sent when one fails.
enum ServiceInput {
    /// The definition options that were given, as API attributes. `forCreate` adds what 1.0.9
    /// always sent on create (false switches, empty lists).
    static func attributes(_ inv: Invocation, forCreate: Bool, serviceURI: (String) throws -> String) throws -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        var lists: [(name: String, options: [Option])] = []
        for option in inv.command.options {
            guard let attribute = option.attribute else { continue }
            if forCreate && attribute.sentOnCreate && body[attribute.name] == nil { body[attribute.name] = attribute.encoding == .boolean ? false : [] }
            switch attribute.encoding {
            case .string:
                if let v = inv.value(option.dest), !v.isEmpty { body[attribute.name] = .string(v) }
            case .integer:
                if let v = inv.value(option.dest).flatMap(Int.init), v != 0 || forCreate { body[attribute.name] = .number(Double(v)) }
            case .boolean:
                // `--x` and `--no-x` share the dest: both read the last one given.
                if let v = inv.flag(option.dest) { body[attribute.name] = .bool(v) }
            case .list:
                if let k = lists.firstIndex(where: { $0.name == attribute.name }) { lists[k].options.append(option) }
                else { lists.append((attribute.name, [option])) }
            }
        }
        // Lists in the order the table first names them (so is the order of their error messages).
        for list in lists {
            let items = try items(of: list.options, inv, serviceURI: serviceURI)
            if !items.isEmpty { body[list.name] = .array(items) }
        }
        return body
    }

    /// The items the options give one list attribute, each option's in its converter's turn.
    static func items(of options: [Option], _ inv: Invocation, serviceURI: (String) throws -> String) throws -> [JSONValue] {
        var items: [JSONValue] = []
        let converters = options.compactMap { o -> (ListConverter, Option)? in
            guard case .list(let converter) = o.attribute?.encoding else { return nil }
            return (converter, o)
        }
        for (converter, option) in converters.sorted(by: { $0.0 < $1.0 }) {
            try append(converter, inv.values(option.dest), to: &items, serviceURI: serviceURI)
        }
        return items
    }

    /// The variables the command's container_envvars options give (`--env-file` files first, then
    /// `-e`): what `service env add|set|update` send.
    static func environment(_ inv: Invocation) throws -> [(key: String, value: String)] {
        let options = inv.command.options.filter { $0.attribute?.name == "container_envvars" }
        // Environment items never name a service, so no URI is ever asked for.
        return try items(of: options, inv, serviceURI: { $0 }).map { ($0["key"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") }
    }

    static func envJSON(_ vars: [(key: String, value: String)]) -> JSONValue {
        .array(vars.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }

    /// One converter's values added to a list.
    static func append(_ converter: ListConverter, _ values: [String], to items: inout [JSONValue], serviceURI: (String) throws -> String) throws {
        switch converter {
        case .environmentFiles:
            // Every file is read before any line is checked.
            var lines: [String] = []
            for file in values {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CommandError(description: "Cannot read the environment file '\(file)': \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
                }
                for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty && !trimmed.hasPrefix("#") { lines.append(trimmed) }
                }
            }
            try mergeVariables(lines, into: &items)
        case .environment:
            try mergeVariables(values, into: &items)
        case .publishedPorts:
            // Ports are strings, as 1.0.9 sent them.
            for spec in values {
                let bad = CommandError(description: "publish port \(spec) does not match with '[host_port:]container_port[/protocol]'. E.g: 80:80/tcp")
                var rest = Substring(spec)
                var proto = "tcp"
                if let slash = rest.firstIndex(of: "/") {
                    proto = String(rest[rest.index(after: slash)...])
                    guard proto == "tcp" || proto == "udp" else { throw bad }
                    rest = rest[..<slash]
                }
                let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
                let isPort = { (s: Substring) in (1...5).contains(s.count) && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber) }
                guard (1...2).contains(parts.count), parts.allSatisfy(isPort) else { throw bad }
                var port: [String: JSONValue] = ["protocol": .string(proto), "inner_port": .string(String(parts.last!)), "published": .bool(true)]
                if parts.count == 2 { port["outer_port"] = .string(String(parts[0])) }
                items.append(.object(port))
            }
        case .exposedPorts:
            for value in values {
                guard let n = Int(value), (0..<65535).contains(n) else {
                    throw CommandError(description: "expose port \(value) is not a valid port number")
                }
                // A published port is not exposed again.
                if items.contains(where: { $0["published"] == true && $0["inner_port"]?.stringValue == String(n) }) { continue }
                items.append(.object(["protocol": "tcp", "inner_port": .string(String(n)), "published": false]))
            }
        case .links:
            // Sent as typed (the server resolves the name).
            for spec in values {
                let word = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } }
                let halves = spec.split(separator: ":", omittingEmptySubsequences: false)
                let target = halves.first?.split(separator: ".", omittingEmptySubsequences: false) ?? []
                guard halves.count == 2, word(halves[1]), (1...2).contains(target.count), target.allSatisfy(word) else {
                    throw CommandError(description: "Link variable argument \(spec) does not match with (service_name[.stack_name]:alias). Example: mysql:db")
                }
                items.append(.object(["to_service": .string(String(halves[0])), "name": .string(String(halves[1]))]))
            }
        case .volumes:
            for spec in values {
                let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                switch parts.count {
                case 1: items.append(.object(["container_path": .string(parts[0])]))
                case 2, 3:
                    var binding: [String: JSONValue] = ["host_path": .string(parts[0]), "container_path": .string(parts[1])]
                    if parts.count == 3, parts[2] == "ro" { binding["rewritable"] = false }
                    items.append(.object(binding))
                default:
                    throw CommandError(description: "Bad volume argument \(spec). Format: \"[host_path:]/container_path[:permission]\"")
                }
            }
        case .volumesFrom:
            for service in values { items.append(.object(["volumes_from": .string(try serviceURI(service))])) }
        case .tagNames:
            items += values.map { .object(["name": .string($0)]) }
        case .strings:
            items += values.map { .string($0) }
        }
    }

    /// `KEY=VALUE` pairs into `{"key", "value"}` items: a repeated key keeps its first place and takes the last value.
    static func mergeVariables(_ pairs: [String], into items: inout [JSONValue]) throws {
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw CommandError(description: "Environment variable '\(pair)' does not match with 'KEY=VALUE'. Example: ENVVAR=foo")
            }
            let key = String(pair[..<eq]), value = JSONValue.string(String(pair[pair.index(after: eq)...]))
            if let i = items.firstIndex(where: { $0["key"]?.stringValue == key }) { items[i] = .object(["key": .string(key), "value": value]) }
            else { items.append(.object(["key": .string(key), "value": value])) }
        }
    }
}
