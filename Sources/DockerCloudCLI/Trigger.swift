import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud trigger ...`: URLs that redeploy or scale a service when called.
enum TriggerCommands {
    static func triggersPath(_ service: JSONValue) -> String { (service["resource_uri"]?.stringValue ?? "") + "trigger/" }

    static func create(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let service = try Resolver(api: api).resolve(.service, inv.positional("identifier").first ?? "", kind: "service")
        var body: [String: JSONValue] = [:]
        if let name = inv.value("name") { body["name"] = .string(name) }
        if let operation = inv.value("operation") { body["operation"] = .string(operation) }
        _ = try api.send("POST", triggersPath(service), json: .object(body))
        Output.out((try service.requireUUID()) + "\n")
        return 0
    }

    /// The URL to call: the API's `url` is a path on the REST host (path prefix kept, no double slash).
    static func callURL(_ ctx: Context, _ trigger: Trigger) -> String {
        trigger.url.hasPrefix("http://") || trigger.url.hasPrefix("https://") ? trigger.url : ctx.api.url(trigger.url)
    }

    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let service = try Resolver(api: api).resolve(.service, inv.positional("identifier").first ?? "", kind: "service")
        let format = OutputFormat(inv.value("format"))
        if case .table = format {} else {
            let objects = try api.listAll(JSONValue.self, triggersPath(service))
            if case .template(let t) = format { Output.out(objects.map { OutputFormat.render(template: t, $0) }.joined()) }
            else { Output.out(OutputFormat.json(JSONValue.array(objects))) }
            return 0
        }
        let triggers = try api.listAll(Trigger.self, triggersPath(service))
        if inv.flag("quiet") == true {
            Output.out(triggers.map { $0.uuid + "\n" }.joined())
            return 0
        }
        var table = TextTable(["UUID", "NAME", "OPERATION", "URL"], kinds: [.text, .text, .text, .text])
        for t in triggers { table.append([String(t.uuid.prefix(8)), t.name, t.operation, callURL(ctx, t)]) }
        Output.out(table.render() + "\n")
        return 0
    }

    /// `trigger rm SERVICE TRIGGER...`: a trigger by uuid, uuid prefix or name; every match is deleted.
    static func rm(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let service = try Resolver(api: api).resolve(.service, inv.positional("identifier").first ?? "", kind: "service")
        let collection = triggersPath(service)
        return Lifecycle.forEach(inv.positional("trigger")) { id in
            var uuids: [String]
            if Resolver.isUUID(id) { uuids = [id.lowercased()] } else {
                uuids = try api.listAll(Trigger.self, collection, filters: [("uuid__startswith", id)]).map(\.uuid)
                if uuids.isEmpty { uuids = try api.listAll(Trigger.self, collection, filters: [("name", id)]).map(\.uuid) }
            }
            if uuids.isEmpty { throw CommandError(description: "Cannot find a trigger with the identifier '\(id)'") }
            for uuid in uuids {
                _ = try api.send("DELETE", collection + uuid + "/")
                Output.out(uuid + "\n")
            }
        }
    }

    /// `trigger call URL`: POSTs a trigger's URL without credentials (the URL is the secret) and
    /// prints the uuid of the action it started. Accepts a full URL or a path on the REST host.
    static func call(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let given = inv.positional("url").first ?? ""
        var url = given.hasPrefix("http://") || given.hasPrefix("https://") ? given : APIConfig.join(ctx.config.restHost, given)
        if !url.hasSuffix("/") { url += "/" }
        let reply = try CurlTransport(userAgent: ctx.config.userAgent).send("POST", url)
        guard (200..<300).contains(reply.status) else { throw APIClient.error(reply, "POST", url) }
        if let action = reply.headers["x-dockercloud-action-uri"] {
            Output.out(ResourceURI.lastSegment(action) + "\n")
            if inv.flag("sync") == true { try Lifecycle.waitForAction(ctx.api, action, timeout: inv.value("timeout").flatMap(Double.init)) }
        }
        return 0
    }
}
