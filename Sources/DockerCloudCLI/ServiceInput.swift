import DockerCloudAPI
import Foundation

/// The service-definition flags (`-e`, `--env-file`, `-p`, `--expose`, `--link-service`, `-v`) turned
/// into the API's JSON, with docker-cloud 1.0.9's validation messages. Nothing is sent when one fails.
enum ServiceInput {
    /// `--env-file` files first, then `-e`; a repeated key keeps its first position and takes the last value.
    static func environment(_ inv: Invocation) throws -> [(key: String, value: String)] {
        var pairs: [String] = []
        for file in inv.values("env_file") {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandError(description: "Cannot read the environment file '\(file)': \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
            }
            for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                pairs.append(trimmed)
            }
        }
        pairs += inv.values("env")
        var result: [(key: String, value: String)] = []
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw CommandError(description: "Environment variable '\(pair)' does not match with 'KEY=VALUE'. Example: ENVVAR=foo")
            }
            let key = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            if let i = result.firstIndex(where: { $0.key == key }) { result[i].value = value } else { result.append((key, value)) }
        }
        return result
    }

    static func envJSON(_ vars: [(key: String, value: String)]) -> JSONValue {
        .array(vars.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }

    /// `-p [host:]container[/proto]` then `--expose N` (dropped when already published). Ports are strings, as 1.0.9 sent them.
    static func ports(_ inv: Invocation) throws -> [JSONValue] {
        var ports: [JSONValue] = []
        var published: Set<String> = []
        for spec in inv.values("publish") {
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
            published.insert(String(parts.last!))
            ports.append(.object(port))
        }
        for value in inv.values("expose") {
            guard let n = Int(value), (0..<65535).contains(n) else {
                throw CommandError(description: "expose port \(value) is not a valid port number")
            }
            if published.contains(String(n)) { continue }
            ports.append(.object(["protocol": "tcp", "inner_port": .string(String(n)), "published": false]))
        }
        return ports
    }

    /// `--link-service name[.stack]:alias`, sent as typed (the server resolves the name).
    static func links(_ inv: Invocation) throws -> [JSONValue] {
        try inv.values("link_service").map { spec in
            let word = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } }
            let halves = spec.split(separator: ":", omittingEmptySubsequences: false)
            let target = halves.first?.split(separator: ".", omittingEmptySubsequences: false) ?? []
            guard halves.count == 2, word(halves[1]), (1...2).contains(target.count), target.allSatisfy(word) else {
                throw CommandError(description: "Link variable argument \(spec) does not match with (service_name[.stack_name]:alias). Example: mysql:db")
            }
            return .object(["to_service": .string(String(halves[0])), "name": .string(String(halves[1]))])
        }
    }

    /// `-v [host:]/container[:ro]`.
    static func volumes(_ inv: Invocation) throws -> [JSONValue] {
        try inv.values("volume").map { spec in
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1: return .object(["container_path": .string(parts[0])])
            case 2, 3:
                var binding: [String: JSONValue] = ["host_path": .string(parts[0]), "container_path": .string(parts[1])]
                if parts.count == 3, parts[2] == "ro" { binding["rewritable"] = false }
                return .object(binding)
            default:
                throw CommandError(description: "Bad volume argument \(spec). Format: \"[host_path:]/container_path[:permission]\"")
            }
        }
    }

    /// Every definition flag that was given, as API attributes. `forCreate` adds the attributes
    /// 1.0.9 always sent on create (false booleans, empty lists).
    static func attributes(_ inv: Invocation, forCreate: Bool, serviceURI: (String) throws -> String) throws -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        let ports = try ports(inv), env = try environment(inv), links = try links(inv), volumes = try volumes(inv)
        var bindings = volumes
        for service in inv.values("volumes_from") {
            let uri = try serviceURI(service)
            bindings.append(.object(["volumes_from": .string(uri)]))
        }
        if forCreate {
            body = ["privileged": false, "autoredeploy": false, "sequential_deployment": false,
                    "container_ports": [], "container_envvars": [], "linked_to_service": [], "tags": [], "bindings": []]
        }
        let ints = [("cpushares", "cpu_shares"), ("memory", "memory"), ("target_num_containers", "target_num_containers")]
        for (dest, key) in ints {
            // 1.0.9 skipped falsy values: `-t 0` on set changed nothing.
            if let v = inv.value(dest).flatMap(Int.init), v != 0 || forCreate { body[key] = .number(Double(v)) }
        }
        let strings = [("run_command", "run_command"), ("entrypoint", "entrypoint"), ("autodestroy", "autodestroy"),
                       ("autorestart", "autorestart"), ("deployment_strategy", "deployment_strategy"), ("net", "net"),
                       ("pid", "pid"), ("image", "image"), ("name", "name")]
        for (dest, key) in strings { if let v = inv.value(dest), !v.isEmpty { body[key] = .string(v) } }
        for (dest, key) in [("privileged", "privileged"), ("autoredeploy", "autoredeploy"), ("sequential", "sequential_deployment")] {
            if let v = inv.flag(dest) { body[key] = .bool(v) }
        }
        if !ports.isEmpty { body["container_ports"] = .array(ports) }
        if !env.isEmpty { body["container_envvars"] = envJSON(env) }
        if !links.isEmpty { body["linked_to_service"] = .array(links) }
        if !bindings.isEmpty { body["bindings"] = .array(bindings) }
        let tags = inv.values("tag")
        if !tags.isEmpty { body["tags"] = .array(tags.map { .object(["name": .string($0)]) }) }
        let roles = inv.values("role")
        if !roles.isEmpty { body["roles"] = .array(roles.map { .string($0) }) }
        return body
    }
}
