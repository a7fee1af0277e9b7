import DockerCloudAPI
import DockerCloudKit
import Foundation

/// The verbs shared by services, containers and stacks: inspect, start, stop, redeploy, terminate,
/// with `--sync`/`--timeout`.
enum Lifecycle {
    static let kinds: [Endpoint: String] = [.service: "service", .container: "container", .stack: "stack"]

    /// "a service", "an action".
    static func article(_ kind: String) -> String { "aeiou".contains(kind.first ?? "x") ? "an \(kind)" : "a \(kind)" }

    /// `<noun> inspect ID...`: each object as JSON (the API's attributes), errors per identifier.
    static func inspect(_ endpoint: Endpoint, kind: String? = nil) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let resolver = Resolver(api: ctx.api)
            return forEach(inv.positional("identifier")) { id in
                printInspected(inv, try resolver.resolve(endpoint, id, kind: kind ?? kinds[endpoint] ?? endpoint.rawValue))
            }
        }
    }

    /// One inspected object: JSON (or the template). Like 1.0.9 (whose SDK added it to every fetched
    /// object), it carries `dockercloud_action_uri`, empty for a plain fetch.
    static func printInspected(_ inv: Invocation, _ object: JSONValue) {
        var object = object
        if case .object(var fields) = object, fields["dockercloud_action_uri"] == nil {
            fields["dockercloud_action_uri"] = ""
            object = .object(fields)
        }
        if case .template(let t) = OutputFormat(inv.value("format")) { Output.out(OutputFormat.render(template: t, object)) }
        else { Output.out(OutputFormat.json(object)) }
    }

    /// `<noun> start|stop|redeploy|terminate ID...`: prints each long uuid; with --sync waits for the action.
    static func operate(_ endpoint: Endpoint, _ operation: String) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let api = ctx.api
            let resolver = Resolver(api: api)
            return forEach(inv.positional("identifier")) { id in
                let object = try resolver.resolve(endpoint, id, kind: kinds[endpoint]!)
                let uuid = try object.requireUUID()
                let reply: HTTPReply
                switch operation {
                case "terminate": reply = try api.send("DELETE", api.path(endpoint, id: uuid))
                case "redeploy":
                    let reuse = inv.flag("not_reuse_volumes") == true ? "False" : "True"
                    reply = try api.send("POST", api.path(endpoint, id: uuid, operation: "redeploy"), query: [("reuse_volumes", reuse)])
                default: reply = try api.send("POST", api.path(endpoint, id: uuid, operation: operation))
                }
                try syncIfAsked(inv, api, reply)
                Output.out(uuid + "\n")
            }
        }
    }

    /// Polls an action until it succeeds (returns) or fails or times out (throws). Progress goes
    /// to stderr only, so stdout stays the uuids scripts read.
    static func waitForAction(_ api: APIClient, _ uri: String, timeout: Double?) throws {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var last = ""
        // Every 50 ms for the first two seconds (most actions end within them), then slowing to
        // every half second: a few dozen light requests, against up to half a second lost.
        let started = Date()
        var pause = 0.05
        while true {
            let action = try api.get(JSONValue.self, uri)
            let state = action["state"]?.stringValue ?? ""
            if state != last { FileHandle.standardError.write(Data("\(state)\n".utf8)); last = state }
            switch state.lowercased() {
            case "success": return
            case "failed", "canceled": throw CommandError(description: "Action \(action["action"]?.stringValue ?? "") \(state.lowercased()): see 'docker-cloud action logs \(action["uuid"]?.stringValue ?? "")'")
            default: break
            }
            if let deadline, Date() >= deadline {
                throw CommandError(description: "Timed out after \(Int(timeout!)) s waiting for \(uri) (state: \(state))")
            }
            Thread.sleep(forTimeInterval: pause)
            if Date().timeIntervalSince(started) > 2 { pause = min(pause * 2, 0.5) }
        }
    }

    /// Runs `body` per identifier; errors are printed and make the exit code 3 at the end, as 1.0.9 did.
    static func forEach(_ identifiers: [String], _ body: (String) throws -> Void) -> Int32 {
        var failed = false
        for id in identifiers {
            do { try body(id) } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        return failed ? 3 : 0
    }
}

extension Lifecycle {
    /// With `--sync`, waits for the action the reply names (if it names one).
    static func syncIfAsked(_ inv: Invocation, _ api: APIClient, _ reply: HTTPReply) throws {
        guard inv.flag("sync") == true, let action = reply.headers["x-dockercloud-action-uri"], !action.isEmpty else { return }
        try waitForAction(api, action, timeout: inv.value("timeout").flatMap(Double.init))
    }
}

extension APIClient {
    /// A request with a JSON body.
    func send(_ method: String, _ path: String, json: JSONValue, query: [(String, String)] = []) throws -> HTTPReply {
        try send(method, path, query: query, body: try JSONEncoder().encode(json))
    }
}
