import DockerCloudAPI
import Foundation

/// Turns a service body (create, update, or one entry of a stack) into changes on a `Service`,
/// validating every field and naming it in the error.
struct ServiceSpec {
    /// Names that `linked_to_service.to_service` and `bindings.volumes_from` may use instead of a
    /// resource URI: the sibling services of a stack being created or updated.
    var siblings: [String: String] = [:]

    static let createFields: Set<String> = [
        "image", "name", "nickname", "target_num_containers", "run_command", "entrypoint", "container_ports",
        "container_envvars", "linked_to_service", "bindings", "autorestart", "autodestroy", "sequential_deployment",
        "roles", "privileged", "deployment_strategy", "tags", "autoredeploy", "net", "pid", "working_dir",
        "cpu_shares", "cpuset", "memory", "memory_swap", "labels", "user", "hostname", "domainname", "mac_address",
        "cgroup_parent", "tty", "stdin_open", "dns", "dns_search", "cap_add", "cap_drop", "devices", "extra_hosts",
        "security_opt", "read_only", "reschedule",
    ]

    /// Fields whose change does not alter what runs in the containers, so it leaves the service synchronized.
    static let nonContainerFields: Set<String> = ["nickname", "target_num_containers", "tags", "autoredeploy", "reschedule",
                                                  "deployment_strategy", "sequential_deployment", "name"]

    /// Letters, digits, '-' and '_', up to 64, starting with a letter or digit: a name that works in
    /// DNS names, environment variables and `name.stack` identifiers.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 64,
              first.properties.isASCIIHexDigit || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    static func defaultName(forImage image: String) -> String {
        var base = image
        if let slash = base.lastIndex(of: "/") { base = String(base[base.index(after: slash)...]) }
        if let colon = base.firstIndex(of: ":") { base = String(base[..<colon]) }
        if let at = base.firstIndex(of: "@") { base = String(base[..<at]) }
        let cleaned = base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        return String(cleaned.prefix(64))
    }

    /// `tutum/hello-world` → `tutum/hello-world:latest`.
    static func normalizeImage(_ image: String) -> String {
        let last = image.split(separator: "/").last.map(String.init) ?? image
        return last.contains(":") || last.contains("@") ? image : image + ":latest"
    }

    /// Applies the body's fields to `service`; returns the names of the fields that were given.
    func apply(_ body: Body, to service: inout Service, creating: Bool, tx: Tx, namespace: String) throws -> Set<String> {
        try body.rejectUnknown(allowed: ServiceSpec.createFields)
        var given = Set(body.fields.keys)
        if let image = try body.string("image", required: creating) {
            let trimmed = image.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.contains(" ") else {
                throw APIError.badRequest("\(body.path("image")): '\(image)' is not a valid image name", field: body.path("image"))
            }
            service.image_name = ServiceSpec.normalizeImage(trimmed)
        }
        if creating {
            let name = try body.string("name") ?? ServiceSpec.defaultName(forImage: service.image_name)
            guard ServiceSpec.isValidName(name) else {
                throw APIError.badRequest("\(body.path("name")): '\(name)' is not a valid service name (letters, digits, '-' and '_', up to 64, starting with a letter or digit)", field: body.path("name"))
            }
            service.name = name
            service.nickname = name
        } else if let name = try body.string("name"), name != service.name {
            throw APIError.badRequest("\(body.path("name")): a service cannot be renamed", field: body.path("name"))
        }
        if let v = try body.string("nickname") { service.nickname = v }
        if let v = try body.lenientInt("target_num_containers", min: 0, max: 1000) { service.target_num_containers = v }
        if body.has("run_command") { service.run_command = try body.string("run_command") ?? "" }
        if body.has("entrypoint") { service.entrypoint = try body.string("entrypoint") ?? "" }
        if let ports = try body.objects("container_ports") { service.container_ports = try parsePorts(ports, body.path("container_ports")) }
        if let envs = try body.objects("container_envvars") { service.container_envvars = try parseEnv(envs) }
        if let v = try body.choice("autorestart", Choices.autorestart) { service.autorestart = v }
        if let v = try body.choice("autodestroy", Choices.autodestroy) { service.autodestroy = v }
        if let v = try body.bool("sequential_deployment") { service.sequential_deployment = v }
        if let roles = try body.strings("roles") {
            for (i, r) in roles.enumerated() where !Choices.roles.contains(r) {
                throw APIError.badRequest("\(body.path("roles"))[\(i)]: '\(r)' is not one of \(Choices.roles.joined(separator: ", "))", field: body.path("roles"))
            }
            service.roles = Array(Set(roles)).sorted()
        }
        if let v = try body.bool("privileged") { service.privileged = v }
        if let v = try body.choice("deployment_strategy", Choices.deploymentStrategy) {
            if !creating, v != service.deployment_strategy, v == "EVERY_NODE" || service.deployment_strategy == "EVERY_NODE" {
                throw APIError.badRequest("\(body.path("deployment_strategy")): a service cannot be updated to or from EVERY_NODE", field: body.path("deployment_strategy"))
            }
            service.deployment_strategy = v
        }
        if let v = try body.tags() { service.tags = v }
        if let v = try body.bool("autoredeploy") { service.autoredeploy = v }
        if let v = try body.bool("reschedule") { service.reschedule = v }
        if let v = try body.choice("net", Choices.net) { service.net = v }
        if let v = try body.choice("pid", Choices.pid) { service.pid = v }
        if body.has("working_dir") { service.working_dir = try body.string("working_dir") ?? "/" }
        if body.has("cpu_shares") { service.cpu_shares = try body.lenientInt("cpu_shares", min: 0) }
        if body.has("memory") { service.memory = try body.lenientInt("memory", min: 0) }
        if body.has("memory_swap") { service.memory_swap = try body.lenientInt("memory_swap", min: -1) }
        if body.has("cpuset") { service.cpuset = try body.string("cpuset") ?? "" }
        if let v = try body.stringMap("labels") { service.labels = v }
        for (key, path) in [("user", \Service.user), ("hostname", \Service.hostname), ("domainname", \Service.domainname),
                            ("mac_address", \Service.mac_address), ("cgroup_parent", \Service.cgroup_parent)] where body.has(key) {
            service[keyPath: path] = try body.string(key) ?? ""
        }
        for (key, path) in [("tty", \Service.tty), ("stdin_open", \Service.stdin_open), ("read_only", \Service.read_only)] {
            if let v = try body.bool(key) { service[keyPath: path] = v }
        }
        for (key, path) in [("dns", \Service.dns), ("dns_search", \Service.dns_search), ("cap_add", \Service.cap_add),
                            ("cap_drop", \Service.cap_drop), ("devices", \Service.devices), ("extra_hosts", \Service.extra_hosts),
                            ("security_opt", \Service.security_opt)] {
            if let v = try body.strings(key) { service[keyPath: path] = v }
        }
        if let links = try body.objects("linked_to_service") {
            service.linked_to_service = try parseLinks(links, from: service, tx: tx, namespace: namespace)
        }
        if let bindings = try body.objects("bindings") {
            service.bindings = try parseBindings(bindings, tx: tx, namespace: namespace)
        }
        if service.deployment_strategy == "EVERY_NODE" { given.remove("target_num_containers") }
        return given
    }

    private func parsePorts(_ items: [Body], _ path: String) throws -> [ServicePort] {
        var seen = Set<String>()
        return try items.map { p in
            try p.rejectUnknown(allowed: ["protocol", "inner_port", "outer_port", "published", "port_name", "endpoint_uri"])
            let proto = try p.choice("protocol", Choices.portProtocol) ?? "tcp"
            guard let inner = try p.lenientInt("inner_port", min: 1, max: 65535) else {
                throw APIError.badRequest("\(p.path("inner_port")): this field is required", field: p.path("inner_port"))
            }
            let outer = try p.lenientInt("outer_port", min: 1, max: 65535)
            guard seen.insert("\(inner)/\(proto)").inserted else {
                throw APIError.badRequest("\(path): port \(inner)/\(proto) is given twice", field: path)
            }
            let published = try p.bool("published") ?? (outer != nil)
            return ServicePort(protocol_: proto, inner_port: inner, outer_port: published ? outer : nil,
                               port_name: Ports.name(of: inner), endpoint_uri: nil, published: published)
        }
    }

    private func parseEnv(_ items: [Body]) throws -> [EnvVar] {
        var result: [EnvVar] = []
        for e in items {
            try e.rejectUnknown(allowed: ["key", "value", "origin"])
            guard let key = try e.string("key", required: true) else { continue }
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }), !(key.first?.isNumber ?? true) else {
                throw APIError.badRequest("\(e.path("key")): '\(key)' is not a valid environment variable name", field: e.path("key"))
            }
            let value: String
            if let v = e.fields["value"], let i = v.intValue, v.stringValue == nil { value = String(i) }
            else if let v = e.fields["value"], let b = v.boolValue { value = b ? "true" : "false" }
            else { value = try e.string("value", required: false, nullable: true) ?? "" }
            result.removeAll { $0.key == key }
            result.append(EnvVar(key: key, value: value))
        }
        return result
    }

    /// Resolves a service reference: a resource URI, a sibling in the stack, `name.stack`, or a
    /// name that is unique in the namespace.
    func resolveService(_ ref: String, field: String, tx: Tx, namespace: String) throws -> String {
        if ref.hasPrefix("/api/") {
            let uuid = ResourceURI.lastSegment(ref)
            guard let ns = try tx.namespace(of: Service.self, uuid), ns == namespace, let s = try tx.get(Service.self, uuid), s.state != "Terminated" else {
                throw APIError.badRequest("\(field): no service at '\(ref)' in namespace '\(namespace)'", field: field)
            }
            return s.resource_uri
        }
        if let uri = siblings[ref] { return uri }
        var name = ref
        var stackUUIDs: [String]? = nil
        if let dot = ref.firstIndex(of: ".") {
            name = String(ref[..<dot])
            let stackName = String(ref[ref.index(after: dot)...])
            stackUUIDs = try tx.all(Stack.self, where: "namespace = ? AND name = ? AND state != 'Terminated'", [namespace, stackName]).map(\.uuid)
        }
        var matches = try tx.all(Service.self, where: "namespace = ? AND name = ? AND state != 'Terminated'", [namespace, name])
        if let stackUUIDs { matches = matches.filter { s in s.stack.map { stackUUIDs.contains(ResourceURI.lastSegment($0)) } ?? false } }
        if matches.count == 1 { return matches[0].resource_uri }
        if matches.isEmpty { throw APIError.badRequest("\(field): no service named '\(ref)' in namespace '\(namespace)'", field: field) }
        throw APIError.badRequest("\(field): '\(ref)' matches \(matches.count) services; use its resource URI or name.stack", field: field)
    }

    private func parseLinks(_ items: [Body], from service: Service, tx: Tx, namespace: String) throws -> [ServiceLink] {
        var seen = Set<String>()
        return try items.map { l in
            try l.rejectUnknown(allowed: ["to_service", "name", "from_service"])
            guard let to = try l.string("to_service", required: true) else { throw APIError.badRequest("to_service required") }
            let target = try resolveService(to, field: l.path("to_service"), tx: tx, namespace: namespace)
            if !service.resource_uri.isEmpty, target == service.resource_uri {
                throw APIError.badRequest("\(l.path("to_service")): a service cannot link to itself", field: l.path("to_service"))
            }
            let alias = try l.string("name") ?? (to.hasPrefix("/api/") ? (try tx.get(Service.self, ResourceURI.lastSegment(target))?.name ?? "link") : String(to.split(separator: ".")[0]))
            guard alias.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !alias.isEmpty else {
                throw APIError.badRequest("\(l.path("name")): '\(alias)' is not a valid link name", field: l.path("name"))
            }
            guard seen.insert(alias.lowercased()).inserted else {
                throw APIError.badRequest("\(l.path("name")): link name '\(alias)' is used twice", field: l.path("name"))
            }
            return ServiceLink(name: alias, from_service: service.resource_uri, to_service: target)
        }
    }

    private func parseBindings(_ items: [Body], tx: Tx, namespace: String) throws -> [ServiceBinding] {
        try items.map { b in
            try b.rejectUnknown(allowed: ["host_path", "container_path", "rewritable", "volumes_from"])
            let host = try b.string("host_path")
            let container = try b.string("container_path")
            let from = try b.string("volumes_from")
            if container == nil && from == nil {
                throw APIError.badRequest("\(b.path("container_path")): required when volumes_from is not given", field: b.path("container_path"))
            }
            if let c = container, !c.hasPrefix("/") {
                throw APIError.badRequest("\(b.path("container_path")): '\(c)' must be an absolute path", field: b.path("container_path"))
            }
            if let h = host, !h.hasPrefix("/") {
                throw APIError.badRequest("\(b.path("host_path")): '\(h)' must be an absolute path", field: b.path("host_path"))
            }
            let resolved = try from.map { try resolveService($0, field: b.path("volumes_from"), tx: tx, namespace: namespace) }
            return ServiceBinding(host_path: host, container_path: container, rewritable: try b.bool("rewritable") ?? true,
                                  volumes_from: resolved)
        }
    }
}

extension Body {
    /// An integer, also given as a numeric string: the old CLI sends ports and disk sizes as strings.
    func lenientInt(_ key: String, min: Int? = nil, max: Int? = nil) throws -> Int? {
        if let v = fields[key], let s = v.stringValue {
            guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badRequest("\(path(key)): expected an integer, got '\(s)'", field: path(key))
            }
            if let min, i < min { throw APIError.badRequest("\(path(key)): must be at least \(min)", field: path(key)) }
            if let max, i > max { throw APIError.badRequest("\(path(key)): must be at most \(max)", field: path(key)) }
            return i
        }
        return try int(key, min: min, max: max)
    }
}

/// Well-known port names and URI schemes.
enum Ports {
    static func name(of port: Int) -> String? {
        [21: "ftp", 22: "ssh", 25: "smtp", 53: "domain", 80: "http", 443: "https", 3306: "mysql", 5432: "postgresql",
         6379: "redis", 8080: "http-alt", 11211: "memcache", 27017: "mongodb", 5672: "amqp", 9200: "elasticsearch"][port]
    }

    static func uriProtocol(of port: Int, _ proto: String) -> String {
        if proto == "udp" { return "udp" }
        switch port {
        case 80, 8000, 8080, 3000, 5000: return "http"
        case 443, 8443: return "https"
        default: return "tcp"
        }
    }
}
