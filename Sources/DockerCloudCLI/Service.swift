import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud service ...`
enum ServiceCommands {
    /// `service ps`: the services of the namespace, as docker-cloud 1.0.9 listed them.
    static func ps(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        var filters: [(String, String)] = []
        if let state = inv.value("status") { filters.append(("state", state)) }
        if let stack = inv.value("stack") {
            filters.append(("stack", try Resolver(api: api).filterTarget(Stack.self, .stack, stack, kind: "stack").resource_uri))
        }
        return try runList(inv, api, .service, Service.self, filters: filters, uuid: \.uuid) { services in
            let stacks = try api.listAll(Stack.self, api.path(.stack))
            let stackNames = Dictionary(stacks.map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            var table = TextTable(["NAME", "UUID", "STATUS", "#CONTAINERS", "IMAGE", "DEPLOYED", "PUBLIC DNS", "STACK"],
                                  kinds: [.text, .text, .text, .auto, .text, .text, .text, .text])
            var unsynchronized = false
            let now = Date()
            for s in services {
                var status = StateGlyph.decorate(s.state)
                if !s.synchronized && s.state != "Redeploying" { status += "(*)"; unsynchronized = true }
                table.append([s.name, String(s.uuid.prefix(8)), status, String(s.current_num_containers), s.image_name,
                              Ago.describe(apiDate: s.deployed_datetime, now: now) ?? "", s.public_dns ?? "",
                              s.stack.flatMap { stackNames[$0] } ?? ""])
            }
            var text = table.render() + "\n"
            if unsynchronized {
                text += "\n(*) Please note that this service needs to be redeployed to have its configuration changes applied\n"
            }
            return text
        }
    }
}

/// Identifier resolution as the original did it: a uuid prefix first, then a name.
struct Resolver {
    let api: APIClient

    func candidates<T: Codable & Sendable>(_ type: T.Type, _ endpoint: Endpoint, _ identifier: String) throws -> [T] {
        let byUUID = try api.listAll(T.self, api.path(endpoint), filters: [("uuid__startswith", identifier)])
        if !byUUID.isEmpty { return byUUID }
        return try api.listAll(T.self, api.path(endpoint), filters: [("name", identifier)])
    }

    /// The one object an identifier names, for list filters (`--stack`, `--service`), worded as 1.0.9 did.
    func filterTarget<T: Codable & Sendable>(_ type: T.Type, _ endpoint: Endpoint, _ identifier: String, kind: String) throws -> T {
        let matches = try candidates(type, endpoint, identifier)
        guard matches.count == 1 else {
            throw CommandError(description: matches.isEmpty ? "Identifier '\(identifier)' does not match any \(kind)"
                                                            : "Identifier \(identifier) matches more than one \(kind), please use UUID instead")
        }
        return matches[0]
    }
}
