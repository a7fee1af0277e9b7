import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud action ...`: the audit trail of asynchronous operations.
enum ActionCommands {
    static let inspect = Lifecycle.inspect(.action, kind: "action")
    static let logs = Streams.logs(.action, kind: "action")

    /// `action ls [-l N]`: the last N actions (25 when N is 0, as 1.0.9 did), newest first.
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        var last = Int(inv.value("last") ?? "25") ?? 25
        if last == 0 { last = 25 }
        // Pages until `last` actions are in hand (never the whole audit trail).
        var actions: [JSONValue] = []
        while last > 0, actions.count < last {
            let page = try api.get(ListPage<JSONValue>.self, api.path(.action), query: [("limit", String(min(last - actions.count, 1000))), ("offset", String(actions.count))])
            actions += page.objects
            if page.objects.isEmpty || page.meta.next == nil { break }
        }
        actions = Array(actions.prefix(max(0, last)))
        switch OutputFormat(inv.value("format")) {
        case .json: Output.out(OutputFormat.json(JSONValue.array(actions))); return 0
        case .template(let t): Output.out(actions.map { OutputFormat.render(template: t, $0) }.joined()); return 0
        case .table: break
        }
        let text = { (a: JSONValue, k: String) in a[k]?.stringValue ?? "" }
        if inv.flag("quiet") == true {
            Output.out(actions.map { text($0, "uuid") + "\n" }.joined())
            return 0
        }
        var table = TextTable(["UUID", "ACTION", "START", "END", "TARGET", "IP", "LOCATION"], kinds: Array(repeating: .text, count: 7))
        let now = Date()
        for a in actions {
            // The target is the object's URI after `/api/<subsystem>/v1/`: `service/<uuid>` (or `<ns>/service/<uuid>`).
            let parts = text(a, "object").split(separator: "/", maxSplits: 3, omittingEmptySubsequences: true)
            let target = parts.count == 4 ? String(parts[3]).trimmingCharacters(in: CharacterSet(charactersIn: "/")) : text(a, "object")
            table.append([String(text(a, "uuid").prefix(8)), text(a, "action"), Ago.describe(apiDate: a["start_date"]?.stringValue, now: now) ?? "",
                          Ago.describe(apiDate: a["end_date"]?.stringValue, now: now) ?? "", target, text(a, "ip"), text(a, "location")])
        }
        Output.out(table.render() + "\n")
        return 0
    }

    /// `action cancel|retry ID...`: prints nothing on success, as 1.0.9 did (scripts may rely on it).
    static func operate(_ operation: String) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let api = ctx.api
            let resolver = Resolver(api: api)
            return Lifecycle.forEach(inv.positional("identifier")) { id in
                let uuid = try resolver.resolve(.action, id, kind: "action").requireUUID()
                _ = try api.send("POST", api.path(.action, id: uuid, operation: operation))
            }
        }
    }
}
