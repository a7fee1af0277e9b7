import DockerCloudAPI
import Foundation

/// Service links and the environment they expose, as Docker Cloud computed them: a service
/// `db` with containers `db-1`, `db-2` exposes `DB_1_PORT_3306_TCP=tcp://10.7.0.3:3306`, ...,
/// `DB_ENV_<key>` for its user variables, and the unnumbered `DB_*` forms for its first container.
/// A service linking to it under the alias `mysql` gets the same variables with `MYSQL` as prefix.
enum Links {
    static func envName(_ name: String) -> String {
        String(name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// `web-3` → 3.
    static func number(of containerName: String) -> Int? {
        containerName.split(separator: "-").last.flatMap { Int($0) }
    }

    /// The variables describing one container, with `prefix` (e.g. `DB_1`).
    static func variables(of c: Container, prefix: String, userEnv: [EnvVar]) -> [String: String] {
        var vars: [String: String] = [:]
        let address = c.private_ip ?? c.public_dns ?? c.name
        for e in userEnv { vars["\(prefix)_ENV_\(e.key)"] = e.value }
        let ports = c.container_ports.sorted { $0.inner_port < $1.inner_port }
        if let first = ports.first { vars["\(prefix)_PORT"] = "\(first.protocol_)://\(address):\(first.inner_port)" }
        for p in ports {
            let base = "\(prefix)_PORT_\(p.inner_port)_\(p.protocol_.uppercased())"
            vars[base] = "\(p.protocol_)://\(address):\(p.inner_port)"
            vars[base + "_ADDR"] = address
            vars[base + "_PORT"] = String(p.inner_port)
            vars[base + "_PROTO"] = p.protocol_
        }
        return vars
    }

    static func containerVariables(_ c: Container, service: Service) -> [String: String] {
        let name = envName(service.name)
        var vars = variables(of: c, prefix: "\(name)_\(number(of: c.name) ?? 1)", userEnv: service.container_envvars)
        vars.merge(variables(of: c, prefix: name, userEnv: service.container_envvars)) { a, _ in a }
        return vars
    }

    static func serviceVariables(_ s: Service, containers: [Container], publicURL: String) -> [String: String] {
        let name = envName(s.name)
        var vars: [String: String] = [:]
        let sorted = containers.sorted { (number(of: $0.name) ?? 0) < (number(of: $1.name) ?? 0) }
        for c in sorted {
            vars.merge(variables(of: c, prefix: "\(name)_\(number(of: c.name) ?? 1)", userEnv: s.container_envvars)) { a, _ in a }
        }
        if let first = sorted.first {
            vars.merge(variables(of: first, prefix: name, userEnv: s.container_envvars)) { a, _ in a }
        }
        vars["\(name)_DOCKERCLOUD_API_URL"] = publicURL + s.resource_uri
        return vars
    }

    /// The container's links to the containers of the services its service links to, and the
    /// environment variables those links put in the container.
    static func resolve(_ s: Service, container: Container, tx: Tx) throws -> ([ContainerLink], [EnvVar]) {
        var links: [ContainerLink] = []
        var env: [String: String] = [:]
        for link in s.linked_to_service {
            guard let target = try tx.get(Service.self, ResourceURI.lastSegment(link.to_service)) else { continue }
            let alias = envName(link.name)
            let targets = try tx.children(Container.self, parent: target.uuid).filter { $0.state != "Terminated" }
                .sorted { (number(of: $0.name) ?? 0) < (number(of: $1.name) ?? 0) }
            for (i, t) in targets.enumerated() {
                let n = number(of: t.name) ?? (i + 1)
                var endpoints: [String: String] = [:]
                for p in t.container_ports { endpoints["\(p.inner_port)/\(p.protocol_)"] = "\(p.protocol_)://\(t.private_ip ?? t.name):\(p.inner_port)" }
                links.append(ContainerLink(name: "\(alias)_\(n)", from_container: container.resource_uri, to_container: t.resource_uri, endpoints: endpoints))
                env.merge(variables(of: t, prefix: "\(alias)_\(n)", userEnv: target.container_envvars)) { a, _ in a }
                if i == 0 { env.merge(variables(of: t, prefix: alias, userEnv: target.container_envvars)) { a, _ in a } }
            }
        }
        // Sequential deployment links each container to the ones of its service deployed before it.
        if s.sequential_deployment {
            let alias = envName(s.name)
            let earlier = try tx.children(Container.self, parent: s.uuid)
                .filter { $0.state != "Terminated" && $0.uuid != container.uuid && (number(of: $0.name) ?? 0) < (number(of: container.name) ?? 0) }
                .sorted { (number(of: $0.name) ?? 0) < (number(of: $1.name) ?? 0) }
            for t in earlier {
                let n = number(of: t.name) ?? 0
                var endpoints: [String: String] = [:]
                for p in t.container_ports { endpoints["\(p.inner_port)/\(p.protocol_)"] = "\(p.protocol_)://\(t.private_ip ?? t.name):\(p.inner_port)" }
                links.append(ContainerLink(name: "\(alias)_\(n)", from_container: container.resource_uri, to_container: t.resource_uri, endpoints: endpoints))
                env.merge(variables(of: t, prefix: "\(alias)_\(n)", userEnv: s.container_envvars)) { a, _ in a }
            }
        }
        return (links, env.sorted { $0.key < $1.key }.map { EnvVar(key: $0.key, value: $0.value) })
    }

    /// Variables the platform sets in every container.
    static func platformEnv(_ s: Service, container: Container, publicURL: String) -> [EnvVar] {
        [EnvVar(key: "DOCKERCLOUD_SERVICE_API_URI", value: s.resource_uri),
         EnvVar(key: "DOCKERCLOUD_SERVICE_API_URL", value: publicURL + s.resource_uri),
         EnvVar(key: "DOCKERCLOUD_SERVICE_HOSTNAME", value: s.name),
         EnvVar(key: "DOCKERCLOUD_SERVICE_FQDN", value: s.public_dns ?? ""),
         EnvVar(key: "DOCKERCLOUD_CONTAINER_API_URI", value: container.resource_uri),
         EnvVar(key: "DOCKERCLOUD_CONTAINER_API_URL", value: publicURL + container.resource_uri),
         EnvVar(key: "DOCKERCLOUD_CONTAINER_HOSTNAME", value: container.name),
         EnvVar(key: "DOCKERCLOUD_CONTAINER_FQDN", value: container.public_dns ?? ""),
         EnvVar(key: "DOCKERCLOUD_NODE_API_URI", value: container.node ?? "")]
    }

    /// `service env ls`: user variables, then what the platform and links add.
    static func calculatedEnv(_ s: Service, containers: [Container], tx: Tx, publicURL: String) -> [CalculatedEnvVar] {
        var result = s.container_envvars.map { CalculatedEnvVar(key: $0.key, value: $0.value, origin: "user") }
        let userKeys = Set(s.container_envvars.map(\.key))
        let platform: [(String, String)] = [
            ("DOCKERCLOUD_SERVICE_API_URI", s.resource_uri), ("DOCKERCLOUD_SERVICE_API_URL", publicURL + s.resource_uri),
            ("DOCKERCLOUD_SERVICE_HOSTNAME", s.name), ("DOCKERCLOUD_SERVICE_FQDN", s.public_dns ?? ""),
        ]
        for (k, v) in platform where !userKeys.contains(k) { result.append(CalculatedEnvVar(key: k, value: v, origin: "tutum")) }
        if let c = containers.first, let (_, linkEnv) = try? resolve(s, container: c, tx: tx) {
            for e in linkEnv where !userKeys.contains(e.key) { result.append(CalculatedEnvVar(key: e.key, value: e.value, origin: "tutum")) }
        }
        return result
    }

    static func exitMessage(_ code: Int) -> String {
        switch code {
        case 0: return "Exit code 0 (success)"
        case 127: return "Exit code 127 (command not found)"
        case 137: return "Exit code 137 (killed)"
        case 143: return "Exit code 143 (terminated)"
        default: return "Exit code \(code) (error)"
        }
    }
}
