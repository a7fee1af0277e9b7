import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud node ls`
enum NodeCommands {
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        return try runList(inv, api, .node, Node.self, uuid: \.uuid) { nodes in
            let clusters = Dictionary(try api.listAll(NodeCluster.self, api.path(.nodecluster)).map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            var table = TextTable(["UUID", "FQDN", "LASTSEEN", "STATUS", "CLUSTER", "DOCKER_VER"], kinds: [.text, .text, .text, .text, .text, .text])
            let now = Date()
            for n in nodes {
                table.append([String(n.uuid.prefix(8)), n.external_fqdn, Ago.describe(apiDate: n.last_seen, now: now) ?? "", StateGlyph.decorate(n.state),
                              n.node_cluster.map { clusters[$0] ?? $0 } ?? "", n.docker_version])
            }
            return table.render() + "\n"
        }
    }
}

extension NodeCommands {
    /// `node inspect ID...` (nodes are found by uuid or uuid prefix only).
    static let inspect = Lifecycle.inspect(.node, kind: "node")

    /// `node rm ID...` (terminate) and `node upgrade ID...` (docker-upgrade).
    static func operate(_ operation: String) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let api = ctx.api
            let resolver = Resolver(api: api)
            return Lifecycle.forEach(inv.positional("identifier")) { id in
                let node = try resolver.resolve(.node, id, kind: "node")
                let uuid = try node.requireUUID()
                let reply = operation == "rm" ? try api.send("DELETE", api.path(.node, id: uuid))
                                              : try api.send("POST", api.path(.node, id: uuid, operation: "docker-upgrade"))
                try Lifecycle.syncIfAsked(inv, api, reply)
                Output.out(uuid + "\n")
            }
        }
    }

    /// `node byo`: the agent install line with a fresh token.
    static func byo(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let reply: HTTPReply
        if let cluster = inv.value("nodecluster") {
            // Ours: a token for a node cluster of hosts brought by the user (docker-cloud-server).
            let uri = try Resolver(api: api).resolve(.nodecluster, cluster, kind: "node cluster")["resource_uri"]?.stringValue ?? ""
            reply = try api.send("POST", api.path(.token), json: .object(["node_cluster": .string(uri)]))
        } else {
            reply = try api.send("POST", api.path(.token))
        }
        let answer = try api.decode(JSONValue.self, reply)
        let token = answer["token"]?.stringValue ?? ""
        // A server that serves its own join script names the command; Docker Cloud's was fixed.
        let command = answer["command"]?.stringValue ?? "curl -Ls https://get.cloud.docker.com/ | sudo -H sh -s \(token)"
        Output.out("""
        Docker Cloud lets you use your own servers as nodes to run containers. For this you have to install our agent.
        Run the following command on your server:

        \t\(command)


        """)
        return 0
    }
}
