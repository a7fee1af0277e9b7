import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud service ...`
enum ServiceCommands {
    /// `service ps`: the services of the namespace, as docker-cloud 1.0.9 listed them.
    static func ps(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let stacks = printsTable(inv) ? Background { try api.listAll(NamedObject.self, api.path(.stack)) } : nil
        var filters: [(String, String)] = []
        if let state = inv.value("status") { filters.append(("state", state)) }
        if let stack = inv.value("stack") {
            filters.append(("stack", try Resolver(api: api).filterTarget(Stack.self, .stack, stack, kind: "stack").resource_uri))
        }
        return try runList(inv, api, .service, ServiceRow.self, filters: filters, uuid: \.uuid) { services in
            let stackNames = Dictionary(try stacks!.value().map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            var table = TextTable(["NAME", "UUID", "STATUS", "#CONTAINERS", "IMAGE", "DEPLOYED", "PUBLIC DNS", "STACK"],
                                  kinds: [.text, .text, .text, .auto, .text, .text, .text, .text])
            var unsynchronized = false
            let now = Date()
            for s in services {
                var status = StateGlyph.decorate(s.state)
                if !s.synchronized && s.state != "Redeploying" { status += "(*)"; unsynchronized = true }
                table.append([s.name, String(s.uuid.prefix(8)), status, s.current_num_containers.map(String.init), s.image_name,
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

/// A service as `service ps` shows it (a projection of the API's Service; see ContainerRow).
struct ServiceRow: Codable, Sendable {
    var uuid: String
    var name: String
    var state: String
    var synchronized: Bool
    /// Optional: a `null` count prints as an empty cell, as in 1.0.9's table.
    var current_num_containers: Int?
    var image_name: String
    var deployed_datetime: String?
    var public_dns: String?
    var stack: String?
}

extension ServiceCommands {
    static let redeployHint = "Service must be redeployed to have its configuration changes applied.\nTo redeploy execute: $ docker-cloud service redeploy"

    /// `service create IMAGE` (and the first half of `run`): POSTs the definition, returns the new service.
    static func createService(_ inv: Invocation, _ api: APIClient) throws -> (JSONValue, HTTPReply) {
        let resolver = Resolver(api: api)
        var body = try ServiceInput.attributes(inv, forCreate: true) { id in
            try resolver.resolve(.service, id, kind: "service")["resource_uri"]?.stringValue ?? ""
        }
        body["image"] = .string(inv.positional("image").first ?? "")
        let reply = try api.send("POST", api.path(.service), json: .object(body))
        return (try api.decode(JSONValue.self, reply), reply)
    }

    static func create(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (service, reply) = try createService(inv, ctx.api)
        try Lifecycle.syncIfAsked(inv, ctx.api, reply)
        Output.out((try service.requireUUID()) + "\n")
        return 0
    }

    /// `service run IMAGE` and top-level `run`: create, then start.
    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let (service, _) = try createService(inv, api)
        let uuid = try service.requireUUID()
        let reply = try api.send("POST", api.path(.service, id: uuid, operation: "start"))
        try Lifecycle.syncIfAsked(inv, api, reply)
        Output.out(uuid + "\n")
        return 0
    }

    /// Where 1.0.9's SDK sent the writes to a fetched service: its own `resource_uri` as the server
    /// answered it (namespace included), or the path built from its uuid when the answer has none.
    static func resourcePath(_ api: APIClient, _ service: JSONValue) throws -> String {
        if let uri = service["resource_uri"]?.stringValue, !uri.isEmpty { return uri }
        return api.path(.service, id: try service.requireUUID())
    }

    /// Prints the uuid and either redeploys (`--redeploy`, at `path` + `redeploy/`) or says how to.
    static func finishChange(_ inv: Invocation, _ api: APIClient, uuid: String, identifier: String, path: String) throws {
        if inv.flag("redeploy") == true {
            Output.out("Redeploying Service ...\n")
            let reply = try api.send("POST", path + (path.hasSuffix("/") ? "" : "/") + "redeploy/", query: [("reuse_volumes", "True")])
            try Lifecycle.syncIfAsked(inv, api, reply)
            Output.out(uuid + "\n")
        } else {
            Output.out("\(uuid)\n\(redeployHint) \(identifier)\n")
        }
    }

    /// PATCHes the attributes that differ from the service's current ones (at `path`); nothing when none do.
    static func patchChanges(_ inv: Invocation, _ api: APIClient, _ service: JSONValue, _ changes: [String: JSONValue], path: String) throws {
        let current = service.objectValue ?? [:]
        let changed = changes.filter { current[$0.key] != $0.value }
        guard !changed.isEmpty else { return }
        let reply = try api.send("PATCH", path, json: .object(changed))
        try Lifecycle.syncIfAsked(inv, api, reply)
    }

    /// `service set ID... [flags]`: changes only what was given.
    static func set(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let resolver = Resolver(api: api)
        // Bad input is reported before anything is sent.
        let changes = try ServiceInput.attributes(inv, forCreate: false) { id in
            try resolver.resolve(.service, id, kind: "service")["resource_uri"]?.stringValue ?? ""
        }
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let service = try resolver.resolve(.service, id, kind: "service")
            let path = try resourcePath(api, service)
            try patchChanges(inv, api, service, changes, path: path)
            try finishChange(inv, api, uuid: try service.requireUUID(), identifier: id, path: path)
        }
    }

    /// `service scale ID... N`
    static func scale(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let resolver = Resolver(api: api)
        guard let target = inv.positional("target-num-containers").first.flatMap(Int.init) else {
            throw CommandError(description: "The target number of containers must be an integer")
        }
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let service = try resolver.resolve(.service, id, kind: "service")
            let uuid = try service.requireUUID()
            if service["target_num_containers"]?.intValue != target {
                _ = try api.send("PATCH", api.path(.service, id: uuid), json: .object(["target_num_containers": .number(Double(target))]))
            }
            let reply = try api.send("POST", api.path(.service, id: uuid, operation: "scale"))
            try Lifecycle.syncIfAsked(inv, api, reply)
            Output.out(uuid + "\n")
        }
    }
}

/// `docker-cloud service env ...`: the user-defined variables of services.
enum ServiceEnvCommands {
    typealias Vars = [(key: String, value: String)]

    static func userVars(_ service: JSONValue) -> Vars {
        (service["calculated_envvars"]?.arrayValue ?? []).compactMap { v in
            guard v["origin"]?.stringValue == "user", let k = v["key"]?.stringValue else { return nil }
            return (k, v["value"]?.stringValue ?? "")
        }
    }

    static func allKeys(_ service: JSONValue) -> Set<String> {
        Set((service["calculated_envvars"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue })
    }

    /// What `compute` throws when no variable is left to change: 1.0.9 then said so and exited 3 at
    /// once (a `sys.exit` inside its loop), leaving the services after this one untouched.
    struct NothingLeft: Error { var message: String }

    /// Shared shape of add/set/update/rm, as 1.0.9 did them. Each service is resolved, then
    /// `compute` reports the names it rejects (on stderr, each making the exit status 3) and gives
    /// the new user variables. They are PATCHed to the service's resource_uri unless they equal its
    /// `container_envvars` already (1.0.9's SDK sent only changed attributes, and none when nothing
    /// changed); then the service is redeployed (`--redeploy`) or the hint printed. Errors of one
    /// service are printed and the next one is tried; the exit status is 3 if any failed.
    static func change(_ inv: Invocation, _ ctx: Context, _ compute: (JSONValue, String) throws -> (vars: Vars, rejected: Bool)) -> Int32 {
        let api = ctx.api
        let resolver = Resolver(api: api)
        var failed = false
        for id in inv.positional("identifier") {
            do {
                let service = try resolver.resolve(.service, id, kind: "service")
                let (vars, rejected) = try compute(service, id)
                if rejected { failed = true }
                let uuid = try service.requireUUID()
                let path = try ServiceCommands.resourcePath(api, service)
                let body = ServiceInput.envJSON(vars)
                if service["container_envvars"] != body {
                    let reply = try api.send("PATCH", path, json: .object(["container_envvars": body]))
                    try Lifecycle.syncIfAsked(inv, api, reply)
                }
                try ServiceCommands.finishChange(inv, api, uuid: uuid, identifier: id, path: path)
            } catch let stop as NothingLeft {
                Output.error(stop.message)
                return 3
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        return failed ? 3 : 0
    }

    /// The variables of `--env-file` and `-e`. A pair without `=` or an unreadable file is one
    /// error line and exit 1: 1.0.9 crashed there (a traceback, exit 1) before any request.
    static func given(_ inv: Invocation) throws -> Vars {
        let vars: Vars
        do { vars = try ServiceInput.environment(inv) } catch var error as CommandError {
            error.exitCode = 1
            throw error
        }
        if vars.isEmpty { throw CommandError(description: "Environment variables cannot be empty.") }
        return vars
    }

    /// `service env add`: keys the service has in any origin are rejected; the body is the new
    /// variables, then the user variables it had.
    static func add(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let vars = try given(inv)
        return change(inv, ctx) { service, id in
            let existing = allKeys(service)
            var new: Vars = [], rejected = false
            for v in vars {
                if existing.contains(v.key) {
                    Output.error("Failed to add environment variable: \"\(v.key)\" already exist in service \(id)")
                    rejected = true
                } else { new.append(v) }
            }
            if new.isEmpty { throw NothingLeft(message: "No environment variables need to be added to service \(id)") }
            return (new + userVars(service), rejected)
        }
    }

    /// `service env update`: keys the service does not have in any origin are rejected; the body is
    /// the updated variables, then the other user variables (so an image or platform variable
    /// given here becomes a user one).
    static func update(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let vars = try given(inv)
        return change(inv, ctx) { service, id in
            let existing = allKeys(service)
            var new: Vars = [], rejected = false
            for v in vars {
                if existing.contains(v.key) { new.append(v) } else {
                    Output.error("Failed to update environment variable: \"\(v.key)\" does not exist in service \(id)")
                    rejected = true
                }
            }
            if new.isEmpty { throw NothingLeft(message: "No environment variables need to be updated in service \(id)") }
            let newKeys = Set(new.map(\.key))
            return (new + userVars(service).filter { !newKeys.contains($0.key) }, rejected)
        }
    }

    /// `service env set`: the body is exactly the given variables.
    static func set(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let vars = try given(inv)
        return change(inv, ctx) { _, _ in (vars, false) }
    }

    /// `service env rm -n NAME...`: only user variables can be removed; the body is the user
    /// variables left. Unlike 1.0.9, whose exit status ignored a rejected name when another one was
    /// removed, a rejected name makes the exit status 3 here as it does for add and update.
    static func rm(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let names = inv.values("name")
        if names.isEmpty { throw CommandError(description: "Names of the environment variables cannot be empty.") }
        return change(inv, ctx) { service, id in
            let user = userVars(service)
            let userKeys = Set(user.map(\.key))
            var removed: Set<String> = [], rejected = false
            for name in names {
                if userKeys.contains(name) { removed.insert(name) } else {
                    Output.error("Failed to remove environment variable: \"\(name)\" is not a user defined environment in service \(id)")
                    rejected = true
                }
            }
            if removed.isEmpty { throw NothingLeft(message: "No environment variables need to be removed from service \(id)") }
            return (user.filter { !removed.contains($0.key) }, rejected)
        }
    }

    /// `service env ls ID`: ORIGIN KEY VALUE from calculated_envvars; --user/--image/--dockercloud are OR-ed.
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let id = inv.positional("identifier").first ?? ""
        let service = try Resolver(api: ctx.api).resolve(.service, id, kind: "service")
        var origins: Set<String> = []
        if inv.flag("user") == true { origins.insert("user") }
        if inv.flag("image") == true { origins.insert("image") }
        if inv.flag("dockercloud") == true { origins.insert("tutum") }
        let vars = (service["calculated_envvars"]?.arrayValue ?? []).filter { origins.isEmpty || origins.contains($0["origin"]?.stringValue ?? "") }
        switch OutputFormat(inv.value("format")) {
        case .json: Output.out(OutputFormat.json(JSONValue.array(vars))); return 0
        case .template(let t): Output.out(vars.map { OutputFormat.render(template: t, $0) }.joined()); return 0
        case .table: break
        }
        let text = { (v: JSONValue, k: String) in v[k]?.stringValue ?? "" }
        if inv.flag("quiet") == true {
            Output.out(vars.map { "\(text($0, "key"))=\(text($0, "value"))\n" }.joined())
            return 0
        }
        var table = TextTable(["ORIGIN", "KEY", "VALUE"])
        for v in vars { table.append([text(v, "origin"), text(v, "key"), text(v, "value")]) }
        Output.out(table.render() + "\n")
        return 0
    }
}
