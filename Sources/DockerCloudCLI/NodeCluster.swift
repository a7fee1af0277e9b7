import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud nodecluster ...` and the provider catalogs.
enum NodeClusterCommands {
    static let inspect = Lifecycle.inspect(.nodecluster, kind: "node cluster")

    /// `nodecluster ls`: region and type labels looked up in the catalogs (the raw URI if that fails).
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        return try runList(inv, api, .nodecluster, NodeClusterRow.self, uuid: \.uuid) { clusters in
            var labels: [String: String] = [:]
            func label(_ uri: String) -> String {
                if uri.isEmpty { return "" }
                if let l = labels[uri] { return l }
                let l = (try? api.get(JSONValue.self, uri))?["label"]?.stringValue ?? uri
                labels[uri] = l
                return l
            }
            var table = TextTable(["NAME", "UUID", "REGION", "TYPE", "DEPLOYED", "STATUS", "CURRENT#NODES", "TARGET#NODES"],
                                  kinds: [.text, .text, .text, .text, .text, .text, .auto, .auto])
            let now = Date()
            for c in clusters {
                table.append([c.name, String(c.uuid.prefix(8)), label(c.region), label(c.node_type), Ago.describe(apiDate: c.deployed_datetime, now: now) ?? "",
                              c.state, c.current_num_nodes.map(String.init), c.target_num_nodes.map(String.init)])
            }
            return table.render() + "\n"
        }
    }

    /// A node cluster as `nodecluster ls` shows it (counts optional: `null` prints as an empty cell).
    struct NodeClusterRow: Codable, Sendable {
        var uuid: String
        var name: String
        var region: String
        var node_type: String
        var deployed_datetime: String?
        var state: String
        var current_num_nodes: Int?
        var target_num_nodes: Int?
    }

    /// The catalog lists print the API's objects for `--format`, names for `-q`, else a table.
    static func catalog(_ inv: Invocation, _ ctx: Context, _ endpoint: Endpoint, headers: [String],
                        keep: (JSONValue) -> Bool = { _ in true }, row: (JSONValue) -> [String]) throws -> Int32 {
        let objects = try ctx.api.listAll(JSONValue.self, ctx.api.path(endpoint)).filter(keep)
        switch OutputFormat(inv.value("format")) {
        case .json: Output.out(OutputFormat.json(JSONValue.array(objects))); return 0
        case .template(let t): Output.out(objects.map { OutputFormat.render(template: t, $0) }.joined()); return 0
        case .table: break
        }
        if inv.flag("quiet") == true {
            Output.out(objects.map { ($0["name"]?.stringValue ?? "") + "\n" }.joined())
            return 0
        }
        var table = TextTable(headers, kinds: headers.map { _ in .text })
        for o in objects { table.append(row(o)) }
        Output.out(table.render() + "\n")
        return 0
    }

    static func text(_ o: JSONValue, _ key: String) -> String { o[key]?.stringValue ?? "" }

    /// The provider of a catalog entry: the second-to-last segment of its resource URI.
    static func provider(_ o: JSONValue) -> String {
        let parts = text(o, "resource_uri").split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }

    static func provider(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        try catalog(inv, ctx, .provider, headers: ["NAME", "LABEL"]) { [text($0, "name"), text($0, "label")] }
    }

    static func region(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let wanted = inv.value("provider")
        return try catalog(inv, ctx, .region, headers: ["NAME", "LABEL", "PROVIDER"], keep: { wanted == nil || provider($0) == wanted }) {
            [text($0, "name"), text($0, "label"), provider($0)]
        }
    }

    static func nodetype(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let wantedProvider = inv.value("provider"), wantedRegion = inv.value("region")
        func regions(_ o: JSONValue) -> [String] { (o["regions"]?.arrayValue ?? []).compactMap { $0.stringValue.map(ResourceURI.lastSegment) } }
        return try catalog(inv, ctx, .nodetype, headers: ["NAME", "LABEL", "PROVIDER", "REGIONS"], keep: {
            (wantedProvider == nil || provider($0) == wantedProvider) && (wantedRegion == nil || regions($0).contains(wantedRegion!))
        }) { [text($0, "name"), text($0, "label"), provider($0), regions($0).joined(separator: ", ")] }
    }

    static func az(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        try catalog(inv, ctx, .az, headers: ["NAME", "AVAILABLE", "RESOURCE URI"]) {
            [text($0, "name"), $0["available"] == .bool(true) ? "Yes" : "No", text($0, "resource_uri")]
        }
    }

    /// `nodecluster create NAME PROVIDER REGION NODETYPE`: create, then deploy.
    static func create(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let provider = inv.positional("provider").first ?? ""
        var body: [String: JSONValue] = [
            "name": .string(inv.positional("name").first ?? ""),
            "region": .string(ResourceURI.region(provider, inv.positional("region").first ?? "")),
            "node_type": .string(ResourceURI.nodeType(provider, inv.positional("nodetype").first ?? "")),
        ]
        if let n = inv.value("target_num_nodes").flatMap(Int.init) { body["target_num_nodes"] = .number(Double(n)) }
        if let disk = inv.value("disk") { body["disk"] = .string(disk) }  // a string, as 1.0.9 sent it; the server checks it
        let tags = inv.values("tag")
        if !tags.isEmpty { body["tags"] = .array(tags.map { .object(["name": .string($0)]) }) }
        var vpc: [String: JSONValue] = [:]
        if let id = inv.value("aws_vpc_id") { vpc["id"] = .string(id) }
        if !inv.values("aws_vpc_subnet").isEmpty { vpc["subnets"] = .array(inv.values("aws_vpc_subnet").map { .string($0) }) }
        if !inv.values("aws_vpc_security_group").isEmpty { vpc["security_groups"] = .array(inv.values("aws_vpc_security_group").map { .string($0) }) }
        var options: [String: JSONValue] = [:]
        if !vpc.isEmpty { options["vpc"] = .object(vpc) }
        if let profile = inv.value("aws_iam_instance_profile_name") { options["iam"] = .object(["instance_profile_name": .string(profile)]) }
        if !options.isEmpty { body["provider_options"] = .object(options) }
        let cluster = try api.decode(JSONValue.self, try api.send("POST", api.path(.nodecluster), json: .object(body)))
        let uuid = try cluster.requireUUID()
        let reply = try api.send("POST", api.path(.nodecluster, id: uuid, operation: "deploy"))
        try Lifecycle.syncIfAsked(inv, api, reply)
        Output.out(uuid + "\n")
        return 0
    }

    static func rm(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let resolver = Resolver(api: api)
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let uuid = try resolver.resolve(.nodecluster, id, kind: "node cluster").requireUUID()
            try Lifecycle.syncIfAsked(inv, api, try api.send("DELETE", api.path(.nodecluster, id: uuid)))
            Output.out(uuid + "\n")
        }
    }

    static func scale(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let resolver = Resolver(api: api)
        let target = Int(inv.positional("target-num-nodes").first ?? "") ?? 0
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let uuid = try resolver.resolve(.nodecluster, id, kind: "node cluster").requireUUID()
            let reply = try api.send("PATCH", api.path(.nodecluster, id: uuid), json: .object(["target_num_nodes": .number(Double(target))]))
            try Lifecycle.syncIfAsked(inv, api, reply)
            Output.out(uuid + "\n")
        }
    }
}
