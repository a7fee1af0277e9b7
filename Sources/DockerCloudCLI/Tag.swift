import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud tag ...`: tags of services, node clusters and nodes (looked up in that order).
enum TagCommands {
    static let kinds: [(Endpoint, String, String)] = [(.service, "service", "Service"), (.nodecluster, "node cluster", "NodeCluster"), (.node, "node", "Node")]

    /// The object an identifier names, trying services, then node clusters, then nodes.
    static func find(_ resolver: Resolver, _ id: String) throws -> (endpoint: Endpoint, type: String, object: JSONValue) {
        for (endpoint, kind, type) in kinds {
            do { return (endpoint, type, try resolver.resolve(endpoint, id, kind: kind)) } catch let e as CommandError where e.notFound {
                continue
            }
        }
        throw CommandError(description: "Identifier '\(id)' does not match any service, node or nodecluster")
    }

    static func names(_ object: JSONValue) -> [String] { (object["tags"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }

    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let resolver = Resolver(api: ctx.api)
        var table = TextTable(["IDENTIFIER", "TYPE", "TAGS"], kinds: [.text, .text, .text])
        var quiet: [String] = [], objects: [JSONValue] = []
        let code = Lifecycle.forEach(inv.positional("identifier")) { id in
            do {
                let found = try find(resolver, id)
                table.append([id, found.type, names(found.object).joined(separator: " ")])
                quiet.append(names(found.object).joined(separator: " "))
                objects.append(.object(["identifier": .string(id), "type": .string(found.type), "tags": found.object["tags"] ?? []]))
            } catch {
                table.append([id, "None", ""])
                throw error
            }
        }
        switch OutputFormat(inv.value("format")) {
        case .json: Output.out(OutputFormat.json(JSONValue.array(objects)))
        case .template(let t): Output.out(objects.map { OutputFormat.render(template: t, $0) }.joined())
        case .table: Output.out(inv.flag("quiet") == true ? quiet.map { $0 + "\n" }.joined() : table.render() + "\n")
        }
        return code
    }

    /// add / rm / set: the new list from the old one; PATCHes only when it changes.
    static func change(_ compute: @escaping @Sendable ([String], [String]) -> [[String]]) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let given = inv.values("tag")
            let api = ctx.api
            let resolver = Resolver(api: api)
            return Lifecycle.forEach(inv.positional("identifier")) { id in
                let found = try find(resolver, id)
                let uuid = try found.object.requireUUID()
                // One PATCH per list returned: `rm` sends one per removed tag, as 1.0.9 did.
                for tags in compute(names(found.object), given) {
                    let body: JSONValue = .object(["tags": .array(tags.map { .object(["name": .string($0)]) })])
                    _ = try api.send("PATCH", api.path(found.endpoint, id: uuid), json: body)
                }
                Output.out(uuid + "\n")
            }
        }
    }

    static let add = change { current, given in [current + given] }
    static let set = change { _, given in [given] }
    static let rm = change { current, given in
        var lists: [[String]] = []
        var tags = current
        for tag in given where tags.contains(tag) {
            tags.removeAll { $0 == tag }
            lists.append(tags)
        }
        return lists
    }
}
