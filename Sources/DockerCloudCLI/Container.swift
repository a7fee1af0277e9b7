import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud container ...`
enum ContainerCommands {
    /// `container ps`, as docker-cloud 1.0.9 listed containers (without its crash on unknown nodes).
    static func ps(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        // The lookups for the STACK and NODE columns load while the containers arrive.
        let lookups = printsTable(inv) ? Background { () throws -> ([String: String], [String: String], Set<String>) in
            let stacks = Background { try api.listAll(NamedObject.self, api.path(.stack)) }
            let nodes = Background { try api.listAll(ObjectURI.self, api.path(.node)) }
            let services = try api.listAll(ServiceStack.self, api.path(.service))
            let stackNames = Dictionary(try stacks.value().map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            let serviceStacks = Dictionary(services.compactMap { s in s.stack.map { (s.resource_uri, $0) } }, uniquingKeysWith: { a, _ in a })
            return (stackNames, serviceStacks, Set(try nodes.value().map(\.resource_uri)))
        } : nil
        var filters: [(String, String)] = []
        if let state = inv.value("status") { filters.append(("state", state)) }
        if let service = inv.value("service") {
            filters.append(("service", try Resolver(api: api).filterTarget(Service.self, .service, service, kind: "service").resource_uri))
        }
        return try runList(inv, api, .container, ContainerRow.self, filters: filters, uuid: \.uuid) { containers in
            let (stacks, serviceStacks, nodes) = try lookups!.value()
            let truncate = inv.flag("no_trunc") != true
            func cut(_ s: String) -> String { truncate && s.count > 20 ? String(s.prefix(17)) + "..." : s }
            var table = TextTable(["NAME", "UUID", "STATUS", "IMAGE", "RUN COMMAND", "EXIT CODE", "DEPLOYED", "PORTS", "NODE", "STACK"],
                                  kinds: [.text, .text, .text, .text, .text, .auto, .text, .text, .text, .text])
            let now = Date()
            for c in containers {
                let ports = c.container_ports.map { p in
                    (p.outer_port.map { "\(c.public_dns ?? ""):\($0)->" } ?? "") + "\(p.inner_port)/\(p.protocol_)"
                }.joined(separator: ", ")
                let node = c.node.flatMap { nodes.contains($0) ? ResourceURI.lastSegment($0) : nil }.map { truncate ? String($0.prefix(8)) : $0 } ?? ""
                let stack = c.service.flatMap { serviceStacks[$0] }.flatMap { stacks[$0] } ?? ""
                table.append([c.name, truncate ? String(c.uuid.prefix(8)) : c.uuid, StateGlyph.decorate(c.state), c.image_name, cut(c.run_command ?? ""),
                              c.exit_code.map(String.init), Ago.describe(apiDate: c.deployed_datetime, now: now) ?? "", cut(ports), node, stack])
            }
            return table.render() + "\n"
        }
    }
}

// Projections of the API's models onto the attributes a table shows (same names as in
// DockerCloudAPI's models). Decoding only these skips the rest of each object: lists of tens of
// thousands of objects decode several times faster.

/// A container as `container ps` shows it.
struct ContainerRow: Codable, Sendable {
    struct Port: Codable, Sendable {
        var inner_port: Int
        var outer_port: Int?
        var protocol_: String
        enum CodingKeys: String, CodingKey { case inner_port, outer_port, protocol_ = "protocol" }
    }
    var uuid: String
    var name: String
    var image_name: String
    var state: String
    var run_command: String?
    var exit_code: Int?
    var deployed_datetime: String?
    var node: String?
    var service: String?
    var public_dns: String?
    var container_ports: [Port]
}

/// Any object's URI and name (stacks, node clusters), for name lookups.
struct NamedObject: Codable, Sendable {
    var resource_uri: String
    var name: String
}

/// Any object's URI (nodes), for existence checks.
struct ObjectURI: Codable, Sendable {
    var resource_uri: String
}

/// The stack a service belongs to.
struct ServiceStack: Codable, Sendable {
    var resource_uri: String
    var stack: String?
}
