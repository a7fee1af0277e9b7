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
            let matches = try Resolver(api: api).candidates(.stack, stack)
            guard matches.count == 1 else {
                throw CommandError(description: matches.isEmpty ? "Identifier '\(stack)' does not match any stack"
                                                                : "Identifier \(stack) matches more than one stack, please use UUID instead")
            }
            filters.append(("stack", matches[0].resource_uri))
        }
        let format = OutputFormat(inv.value("format"))
        if case .table = format {} else {
            let objects = try api.listAll(JSONValue.self, api.path(.service), filters: filters)
            if case .template(let t) = format { Output.out(objects.map { OutputFormat.render(template: t, $0) }.joined()) }
            else { Output.out(OutputFormat.json(objects)) }
            return 0
        }
        let services = try api.listAll(Service.self, api.path(.service), filters: filters)
        if inv.flag("quiet") == true {
            Output.out(services.map { $0.uuid + "\n" }.joined())
            return 0
        }
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
        Output.out(text)
        return 0
    }
}

/// Identifier resolution as the original did it: a uuid prefix first, then a name.
struct Resolver {
    let api: APIClient

    func candidates(_ endpoint: Endpoint, _ identifier: String) throws -> [Stack] {
        let byUUID = try api.listAll(Stack.self, api.path(endpoint), filters: [("uuid__startswith", identifier)])
        if !byUUID.isEmpty { return byUUID }
        return try api.listAll(Stack.self, api.path(endpoint), filters: [("name", identifier)])
    }
}
