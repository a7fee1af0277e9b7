import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud container ...`
enum ContainerCommands {
    /// `container ps`, as docker-cloud 1.0.9 listed containers (without its crash on unknown nodes).
    static func ps(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        var filters: [(String, String)] = []
        if let state = inv.value("status") { filters.append(("state", state)) }
        if let service = inv.value("service") {
            filters.append(("service", try Resolver(api: api).filterTarget(Service.self, .service, service, kind: "service").resource_uri))
        }
        return try runList(inv, api, .container, Container.self, filters: filters, uuid: \.uuid) { containers in
            let stacks = Dictionary(try api.listAll(Stack.self, api.path(.stack)).map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            let serviceStacks = Dictionary(try api.listAll(Service.self, api.path(.service)).map { ($0.resource_uri, $0.stack) }, uniquingKeysWith: { a, _ in a })
            let nodes = Set(try api.listAll(Node.self, api.path(.node)).map(\.resource_uri))
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
                let stack = c.service.flatMap { serviceStacks[$0] ?? nil }.flatMap { stacks[$0] } ?? ""
                table.append([c.name, truncate ? String(c.uuid.prefix(8)) : c.uuid, StateGlyph.decorate(c.state), c.image_name, cut(c.run_command),
                              c.exit_code.map(String.init), Ago.describe(apiDate: c.deployed_datetime, now: now) ?? "", cut(ports), node, stack])
            }
            return table.render() + "\n"
        }
    }
}
