import DockerCloudAPI
import Foundation

/// The Stack YAML form of a service (what `docker-cloud stack create/up/update` send, key for key,
/// as the YAML parser produced them) and its translation to the API's service fields. `stack
/// export` goes the other way (AppAPI.exportStack). API field names are accepted as they are, and
/// win over a stackfile key that means the same thing.
enum Stackfile {
    /// Stackfile keys that are not API fields, with the API field they become.
    static let translated: [String: String] = [
        "command": "run_command", "environment": "container_envvars", "ports": "container_ports",
        "expose": "container_ports", "links": "linked_to_service", "external_links": "linked_to_service",
        "volumes": "bindings", "volumes_from": "bindings", "restart": "autorestart", "mem_limit": "memory",
        "memswap_limit": "memory_swap",
    ]

    /// Keys of docker-compose that Docker Cloud never supported, with what to do instead.
    static let unsupported: [String: String] = [
        "build": "build the image elsewhere and give its name in 'image'",
        "env_file": "list the variables under 'environment' (the docker-cloud CLI reads env files itself)",
        "extends": "repeat the service's settings", "container_name": "use the service name",
        "network_mode": "use 'net'", "depends_on": "use 'links'",
    ]

    /// Converts one service entry of a stack body into API fields; `path` prefixes error fields.
    static func apiFields(_ fields: [String: JSONValue], path: String) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        func field(_ key: String) -> String { path + key }
        func bad(_ key: String, _ message: String) -> APIError { .badRequest("\(field(key)): \(message)", field: field(key)) }
        func strings(_ key: String, _ value: JSONValue) throws -> [String] {
            if let s = value.stringValue { return [s] }
            guard let a = value.arrayValue else { throw bad(key, "expected a list, got \(value.typeName)") }
            return try a.map { e in
                if let s = e.stringValue { return s }
                if let i = e.intValue { return String(i) }
                throw bad(key, "expected a list of strings, got a \(e.typeName) in it")
            }
        }
        func scalarText(_ v: JSONValue) -> String? {
            switch v {
            case .string(let s): return s
            case .number: return v.intValue.map(String.init) ?? "\(v)"
            case .bool(let b): return b ? "true" : "false"
            case .null: return ""
            default: return nil
            }
        }

        for (key, value) in fields where translated[key] == nil {
            if let advice = unsupported[key] { throw bad(key, "not supported: \(advice)") }
            out[key] = value
        }
        if let v = fields["command"], out["run_command"] == nil {
            out["run_command"] = .string(try v.stringValue ?? strings("command", v).map(shellQuote).joined(separator: " "))
        }
        if let v = fields["entrypoint"], v.arrayValue != nil {
            out["entrypoint"] = .string(try strings("entrypoint", v).map(shellQuote).joined(separator: " "))
        }
        if let v = fields["environment"], out["container_envvars"] == nil {
            var env: [(String, String)] = []
            if let o = v.objectValue {
                for (k, e) in o.sorted(by: { $0.key < $1.key }) {
                    guard let text = scalarText(e) else { throw bad("environment", "the value of \(k) must be a string or a number") }
                    env.append((k, text))
                }
            } else {
                for item in try strings("environment", v) {
                    let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    env.append((parts[0], parts.count > 1 ? parts[1] : ""))
                }
            }
            out["container_envvars"] = .array(env.map { .object(["key": .string($0.0), "value": .string($0.1)]) })
        }
        if out["container_ports"] == nil, fields["ports"] != nil || fields["expose"] != nil {
            var ports: [JSONValue] = []
            var published = Set<String>()
            for spec in try fields["ports"].map({ try strings("ports", $0) }) ?? [] {
                let (proto, rest) = splitProtocol(spec)
                let parts = rest.split(separator: ":").map(String.init)
                guard let innerText = parts.last, let inner = Int(innerText), parts.count <= 3 else {
                    throw bad("ports", "'\(spec)' is not [[ip:]host_port:]container_port[/protocol]")
                }
                var port: [String: JSONValue] = ["protocol": .string(proto), "inner_port": .number(Double(inner)), "published": .bool(true)]
                if parts.count >= 2 {
                    guard let outer = Int(parts[parts.count - 2]) else { throw bad("ports", "'\(spec)': the host port must be a number") }
                    port["outer_port"] = .number(Double(outer))
                }
                published.insert("\(inner)/\(proto)")
                ports.append(.object(port))
            }
            for spec in try fields["expose"].map({ try strings("expose", $0) }) ?? [] {
                let (proto, rest) = splitProtocol(spec)
                guard let inner = Int(rest) else { throw bad("expose", "'\(spec)' is not a port number") }
                if published.contains("\(inner)/\(proto)") { continue }
                ports.append(.object(["protocol": .string(proto), "inner_port": .number(Double(inner)), "published": .bool(false)]))
            }
            out["container_ports"] = .array(ports)
        }
        if out["linked_to_service"] == nil, fields["links"] != nil || fields["external_links"] != nil {
            var links: [JSONValue] = []
            for key in ["links", "external_links"] {
                for spec in try fields[key].map({ try strings(key, $0) }) ?? [] {
                    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                    guard let target = parts.first, !target.isEmpty else { throw bad(key, "'\(spec)' is not service[:alias]") }
                    let alias = parts.count > 1 ? parts[1] : String(target.split(separator: ".")[0])
                    links.append(.object(["to_service": .string(target), "name": .string(alias)]))
                }
            }
            out["linked_to_service"] = .array(links)
        }
        if out["bindings"] == nil, fields["volumes"] != nil || fields["volumes_from"] != nil {
            var bindings: [JSONValue] = []
            for spec in try fields["volumes"].map({ try strings("volumes", $0) }) ?? [] {
                let parts = spec.split(separator: ":").map(String.init)
                var b: [String: JSONValue] = [:]
                switch parts.count {
                case 1: b["container_path"] = .string(parts[0])
                case 2, 3:
                    b["host_path"] = .string(parts[0])
                    b["container_path"] = .string(parts[1])
                    if parts.count == 3 {
                        guard ["ro", "rw"].contains(parts[2]) else { throw bad("volumes", "'\(spec)': the mode must be ro or rw") }
                        b["rewritable"] = .bool(parts[2] == "rw")
                    }
                default: throw bad("volumes", "'\(spec)' is not [host_path:]container_path[:ro|rw]")
                }
                bindings.append(.object(b))
            }
            for name in try fields["volumes_from"].map({ try strings("volumes_from", $0) }) ?? [] {
                bindings.append(.object(["volumes_from": .string(name.split(separator: ":")[0].description)]))
            }
            out["bindings"] = .array(bindings)
        }
        if let v = fields["restart"], out["autorestart"] == nil {
            let map = ["no": "OFF", "on-failure": "ON_FAILURE", "always": "ALWAYS", "unless-stopped": "ALWAYS"]
            guard let s = v.stringValue, let mode = map[s.split(separator: ":")[0].description] else {
                throw bad("restart", "expected one of no, on-failure, always")
            }
            out["autorestart"] = .string(mode)
        }
        for (key, api) in [("mem_limit", "memory"), ("memswap_limit", "memory_swap")] {
            guard let v = fields[key], out[api] == nil else { continue }
            guard let mb = megabytes(v) else { throw bad(key, "expected a size like 512m or 1g") }
            out[api] = .number(Double(mb))
        }
        if let labels = fields["labels"], labels.arrayValue != nil {
            var map: [String: JSONValue] = [:]
            for item in try strings("labels", labels) {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                map[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
            }
            out["labels"] = .object(map)
        }
        for key in ["dns", "dns_search"] {
            if let single = fields[key], single.stringValue != nil { out[key] = .array([single]) }
        }
        return out
    }

    static func splitProtocol(_ spec: String) -> (String, String) {
        if let slash = spec.lastIndex(of: "/") { return (String(spec[spec.index(after: slash)...]).lowercased(), String(spec[..<slash])) }
        return ("tcp", spec)
    }

    /// `512m`, `1g`, `1048576` (bytes) → MB.
    static func megabytes(_ v: JSONValue) -> Int? {
        if let i = v.intValue { return max(1, i / (1024 * 1024)) }
        guard let s = v.stringValue?.lowercased().trimmingCharacters(in: .whitespaces), let unit = s.last else { return nil }
        let number = Int(s.dropLast().trimmingCharacters(in: CharacterSet(charactersIn: "b")))
        switch unit {
        case "k": return number.map { max(1, $0 / 1024) }
        case "m": return number
        case "g": return number.flatMap { let (mb, overflow) = $0.multipliedReportingOverflow(by: 1024); return overflow ? nil : mb }
        case "b": return Int(s.dropLast()).map { max(1, $0 / (1024 * 1024)) }
        default: return Int(s).map { max(1, $0 / (1024 * 1024)) }
        }
    }

    static func shellQuote(_ s: String) -> String {
        s.isEmpty || s.contains(where: { " \t'\"$\\;&|<>".contains($0) }) ? "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" : s
    }
}
