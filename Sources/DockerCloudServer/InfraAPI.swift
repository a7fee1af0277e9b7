import DockerCloudAPI
import Foundation
import GRDB
import HTTPTypes

/// `/api/infra/v1/`: the catalogs (providers, regions, availability zones, node types) and the
/// namespace's node clusters and nodes.
extension ControlPlane {
    // MARK: - Node clusters

    func createNodeCluster(_ req: APIRequest, _ caller: Caller) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["name", "nickname", "node_type", "region", "disk", "target_num_nodes", "tags", "provider_options"])
        let catalog = Catalog.shared
        guard let name = try body.string("name", required: true) else { throw APIError.badRequest("name is required", field: "name") }
        guard ServiceSpec.isValidName(name) else { throw APIError.badRequest("name: '\(name)' is not a valid node cluster name", field: "name") }
        guard let typeURI = try body.string("node_type", required: true) else { throw APIError.badRequest("node_type is required", field: "node_type") }
        guard let regionURI = try body.string("region", required: true) else { throw APIError.badRequest("region is required", field: "region") }
        guard let (typeProvider, _) = catalog.typeInfo(uri: typeURI) else {
            throw APIError.badRequest("node_type: no node type at '\(typeURI)' (see /api/infra/v1/nodetype/)", field: "node_type")
        }
        guard let (regionProvider, _) = catalog.regionInfo(uri: regionURI) else {
            throw APIError.badRequest("region: no region at '\(regionURI)' (see /api/infra/v1/region/)", field: "region")
        }
        guard typeProvider.name == regionProvider.name else {
            throw APIError.badRequest("node_type: '\(typeURI)' is not offered in region '\(regionURI)'", field: "node_type")
        }
        let disk = try body.lenientInt("disk", min: 10, max: 16384) ?? 60
        let target = try body.lenientInt("target_num_nodes", min: 1, max: 100) ?? 1
        let options = body.fields["provider_options"] ?? .object([:])
        guard options.objectValue != nil || options.isNull else {
            throw APIError.badRequest("provider_options: expected an object, got \(options.typeName)", field: "provider_options")
        }
        let (cluster, action) = try write { tx -> (NodeCluster, Action) in
            let clash = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE kind = 'nodecluster' AND namespace = ? AND name = ? AND state != 'Terminated'",
                                         arguments: [caller.namespace, name]) ?? 0
            if clash > 0 { throw APIError.conflict("A node cluster named '\(name)' already exists in namespace '\(caller.namespace)'") }
            var nc = NodeCluster()
            nc.uuid = newUUID()
            nc.resource_uri = ResourceURI.object(.nodecluster, namespace: caller.namespace, id: nc.uuid)
            nc.name = name
            nc.nickname = try body.string("nickname") ?? name
            nc.node_type = catalog.normalize(typeURI)
            nc.region = catalog.normalize(regionURI)
            nc.disk = disk
            nc.target_num_nodes = target
            nc.tags = try body.tags() ?? []
            nc.provider_options = options.isNull ? .object([:]) : options
            try tx.put(nc, namespace: caller.namespace, event: "create", resourceURI: nc.resource_uri)
            let a = try recordAction(tx, req, caller: caller, name: "Node Cluster Create", object: nc.resource_uri, async: false)
            return (nc, a)
        }
        return try .json(cluster, status: .created, actionURI: action.resource_uri)
    }

    func updateNodeCluster(_ req: APIRequest, _ caller: Caller, _ uuid: String) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["target_num_nodes", "tags", "nickname"])
        let target = try body.lenientInt("target_num_nodes", min: 0, max: 100)
        let tags = try body.tags()
        let nickname = try body.string("nickname")
        var work: Work? = nil
        let (cluster, action) = try write { tx -> (NodeCluster, Action) in
            let ns = caller.namespace
            var nc = try fetch(NodeCluster.self, tx, uuid, caller)
            try Self.lifecycle(of: nc).check("update", nc.state)
            if let nickname { nc.nickname = nickname }
            if let tags {
                nc.tags = tags
                for var n in try tx.children(Node.self, parent: uuid) where n.state != "Terminated" {
                    n.tags = tags
                    try tx.put(n, namespace: ns, event: "update", parents: [nc.resource_uri], resourceURI: n.resource_uri)
                }
            }
            if let target, target != nc.target_num_nodes {
                nc.target_num_nodes = target
                if ["Deployed", "Partly deployed", "Empty cluster"].contains(nc.state) || (Self.isBrought(nc) && ["Deploying", "Scaling"].contains(nc.state)) {
                    nc.state = "Scaling"
                    work = try prepareScale(tx, nc, ns)
                }
            }
            try tx.put(nc, namespace: ns, event: "update", resourceURI: nc.resource_uri)
            let a = try recordAction(tx, req, caller: caller, name: "Node Cluster Update", object: nc.resource_uri, async: work != nil)
            return (nc, a)
        }
        if let work { spawn(action, failure: "Node cluster scaling did not complete", work) }
        return try .json(cluster, actionURI: action.resource_uri)
    }

    /// New nodes (state Deploying) for the cluster, up to its target.
    func addNodes(_ tx: Tx, _ nc: NodeCluster, _ ns: String, count: Int) throws -> [String] {
        let catalog = Catalog.shared
        var ids: [String] = []
        for _ in 0..<max(0, count) {
            var n = Node()
            n.uuid = newUUID()
            n.resource_uri = ResourceURI.object(.node, namespace: ns, id: n.uuid)
            n.external_fqdn = "\(n.uuid.prefix(8)).\(ns).node.\(config.domain)"
            n.nickname = n.external_fqdn
            n.node_cluster = nc.resource_uri
            n.node_type = nc.node_type
            n.region = nc.region
            if let (p, region) = catalog.regionInfo(uri: nc.region), !region.zones.isEmpty {
                n.availability_zone = ResourceURI.az(p.name, region.name, region.zones[ids.count % region.zones.count])
            }
            if let (_, t) = catalog.typeInfo(uri: nc.node_type) { n.cpu = t.cpu; n.memory = t.memory }
            n.disk = nc.disk
            n.tags = nc.tags
            n.state = "Deploying"
            try tx.put(n, namespace: ns, event: "create", parents: [nc.resource_uri], resourceURI: n.resource_uri)
            ids.append(n.uuid)
        }
        return ids
    }

    /// A cluster of hosts brought by users: nodes join it (`node byo` tokens naming it) rather
    /// than being made, so deploying or scaling up waits for them.
    static func isBrought(_ nc: NodeCluster) -> Bool {
        nc.node_type == ResourceURI.nodeType(Catalog.broughtProvider, Catalog.broughtProvider)
    }

    static func lifecycle(of nc: NodeCluster) -> Lifecycle { isBrought(nc) ? .broughtNodeCluster : .nodeCluster }

    func prepareScale(_ tx: Tx, _ nc: NodeCluster, _ ns: String) throws -> Work {
        let nodes = try tx.children(Node.self, parent: nc.uuid).filter { $0.state != "Terminated" }
        let uuid = nc.uuid
        if nc.target_num_nodes > nodes.count, Self.isBrought(nc) {
            let missing = nc.target_num_nodes - nodes.count
            return { [self] in
                if let a = ControlPlane.currentAction { try? write { tx in try actionLog(tx, a, "Waiting for \(missing) more host(s) to join with `docker-cloud node byo` tokens for this cluster\n") } }
                settleCluster(uuid)
                return true
            }
        }
        if nc.target_num_nodes > nodes.count {
            let ids = try addNodes(tx, nc, ns, count: nc.target_num_nodes - nodes.count)
            return { let ok = await self.deployNodes(ids); self.settleCluster(uuid); return ok }
        }
        // Remove the emptiest nodes first.
        let victims = nodes.sorted { $0.current_num_containers < $1.current_num_containers }.prefix(nodes.count - nc.target_num_nodes)
        for var n in victims { n.state = "Terminating"; try tx.put(n, namespace: ns, event: "update", parents: [nc.resource_uri], resourceURI: n.resource_uri) }
        let ids = victims.map(\.uuid)
        return { await self.terminateNodes(ids); self.settleCluster(uuid); return true }
    }

    func clusterOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) throws -> APIResponse {
        let (cluster, action, work) = try write { tx -> (NodeCluster, Action, Work) in
            let ns = caller.namespace
            var nc = try fetch(NodeCluster.self, tx, uuid, caller)
            let work: Work
            switch op {
            case "deploy":
                try Self.lifecycle(of: nc).check("deploy", nc.state)
                nc.state = "Deploying"
                try tx.put(nc, namespace: ns, event: "update", resourceURI: nc.resource_uri)
                if Self.isBrought(nc) {
                    work = try prepareScale(tx, nc, ns)
                } else {
                    let ids = try addNodes(tx, nc, ns, count: nc.target_num_nodes)
                    work = { let ok = await self.deployNodes(ids); self.settleCluster(uuid); return ok }
                }
            default:
                try Self.lifecycle(of: nc).check("terminate", nc.state)
                nc.state = "Terminating"
                try tx.put(nc, namespace: ns, event: "update", resourceURI: nc.resource_uri)
                let nodes = try tx.children(Node.self, parent: uuid).filter { $0.state != "Terminated" }
                for var n in nodes { n.state = "Terminating"; try tx.put(n, namespace: ns, event: "update", parents: [nc.resource_uri], resourceURI: n.resource_uri) }
                let ids = nodes.map(\.uuid)
                work = {
                    await self.terminateNodes(ids)
                    try? self.write { tx in
                        guard var nc = try tx.get(NodeCluster.self, uuid) else { return }
                        nc.state = "Terminated"
                        nc.destroyed_datetime = APIDate.rfc1123(Date())
                        nc.current_num_nodes = 0
                        try tx.put(nc, namespace: ns, event: "delete", resourceURI: nc.resource_uri)
                    }
                    return true
                }
            }
            let a = try recordAction(tx, req, caller: caller, name: "Node Cluster \(op.capitalized)", object: nc.resource_uri, async: true)
            return (nc, a, work)
        }
        spawn(action, failure: "Node cluster \(op) did not complete", work)
        return try accepted(cluster, action)
    }

    /// Deploys nodes through the driver; returns whether all of them came up.
    func deployNodes(_ ids: [String]) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for id in ids {
                group.addTask {
                    guard let node = try? self.read({ tx in try tx.get(Node.self, id) }) else { return false }
                    let result: Result<NodeFacts, Error>
                    do { result = .success(try await self.driver.deployNode(self.nodeSpec(node))) } catch { result = .failure(error) }
                    let ns: String? = try? self.write { tx -> String? in
                        guard var n = try tx.get(Node.self, id), let ns = try tx.namespace(of: Node.self, id), n.state == "Deploying" else { return nil }
                        switch result {
                        case .success(let facts):
                            self.applyFacts(facts, to: &n)
                            try tx.setNodeHost(id, facts.host)
                            self.nodeHosts.withLock { $0[id] = facts.host }
                            for limit in facts.limitations { self.logger.notice("node \(n.uuid) on \(facts.host): \(limit)") }
                            n.state = "Deployed"
                            n.deployed_datetime = APIDate.rfc1123(Date())
                        case .failure:
                            n.state = "Unreachable"
                        }
                        try tx.put(n, namespace: ns, event: "update", parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
                        return ns
                    }
                    if case .success = result, let ns { await self.deployEveryNodeServices(ns) }
                    if case .success = result { return true }
                    return false
                }
            }
            var ok = true
            for await r in group { ok = ok && r }
            return ok
        }
    }

    func applyFacts(_ facts: NodeFacts, to n: inout Node) {
        n.docker_version = facts.dockerVersion
        n.docker_execdriver = facts.execDriver
        n.docker_graphdriver = facts.graphDriver
        if !facts.publicIP.isEmpty { n.public_ip = facts.publicIP }
        n.last_seen = APIDate.rfc1123(Date())
    }

    /// A new node runs a container of every running EVERY_NODE service whose tags it has.
    func deployEveryNodeServices(_ ns: String) async {
        let work: [Work] = (try? write { tx -> [Work] in
            var works: [Work] = []
            for s in try tx.all(Service.self, where: "namespace = ? AND state IN ('Running', 'Partly running')", [ns]) where s.deployment_strategy == "EVERY_NODE" {
                let ids = (try? createContainers(tx, s, ns, count: 0).map(\.uuid)) ?? []
                if !ids.isEmpty {
                    let uuid = s.uuid
                    works.append { let ok = await self.launch(ids, sequential: false); self.settleService(uuid); return ok }
                }
            }
            return works
        }) ?? []
        for w in work { _ = await w() }
    }

    /// Terminates nodes marked Terminating, and with them the containers they ran.
    func terminateNodes(_ ids: [String]) async {
        for id in ids {
            let containers: [String] = (try? write { tx -> [String] in
                var ids: [String] = []
                for var c in try tx.all(Container.self, where: "parent2 = ? AND state != 'Terminated'", [id]) {
                    c.state = "Terminating"
                    try putContainer(tx, c, try tx.namespace(of: Container.self, c.uuid) ?? "")
                    ids.append(c.uuid)
                }
                return ids
            }) ?? []
            await destroy(containers)
            if let node = try? read({ tx in try tx.get(Node.self, id) }) { try? await driver.terminateNode(nodeSpec(node)) }
            try? write { tx in
                guard var n = try tx.get(Node.self, id), let ns = try tx.namespace(of: Node.self, id) else { return }
                n.state = "Terminated"
                n.destroyed_datetime = APIDate.rfc1123(Date())
                n.current_num_containers = 0
                try tx.put(n, namespace: ns, event: "delete", parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
                if nodeSpec(n).provider == Catalog.broughtProvider {
                    try revokeBroughtNode(tx, id)
                    nodeHosts.withLock { _ = $0.removeValue(forKey: id) }
                }
                let services = Set(try tx.all(Container.self, where: "parent2 = ?", [id]).compactMap(\.indexParent))
                for s in services { try refreshService(tx, s) }
            }
        }
    }

    func settleCluster(_ uuid: String) {
        try? write { tx in try refreshCluster(tx, uuid, settle: true) }
    }

    func refreshCluster(_ tx: Tx, _ uuid: String, settle: Bool = false) throws {
        guard var nc = try tx.get(NodeCluster.self, uuid), let ns = try tx.namespace(of: NodeCluster.self, uuid) else { return }
        let before = nc
        let nodes = try tx.children(Node.self, parent: uuid).filter { $0.state != "Terminated" }
        nc.nodes = nodes.map(\.resource_uri)
        nc.current_num_nodes = nodes.count
        let deployed = nodes.filter { $0.state == "Deployed" }.count
        // Brought hosts are waited for: the cluster deploys (or scales) until enough have joined.
        let waiting = Self.isBrought(nc) && ["Deploying", "Scaling"].contains(nc.state) && nodes.count < nc.target_num_nodes
        if nc.state != "Terminated", !waiting, settle || !["Deploying", "Scaling", "Terminating"].contains(nc.state) {
            if nodes.isEmpty { nc.state = nc.deployed_datetime == nil && nc.state == "Init" ? "Init" : "Empty cluster" }
            else if deployed == nodes.count && deployed >= nc.target_num_nodes { nc.state = "Deployed" }
            else if deployed > 0 { nc.state = "Partly deployed" }
            else if nc.state != "Init" { nc.state = "Partly deployed" }
            if deployed > 0 && nc.deployed_datetime == nil { nc.deployed_datetime = APIDate.rfc1123(Date()) }
        }
        if nc != before { try tx.put(nc, namespace: ns, event: nc.state != before.state ? "update" : nil, resourceURI: nc.resource_uri) }
    }

    // MARK: - Nodes

    func updateNode(_ req: APIRequest, _ caller: Caller, _ uuid: String) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["nickname", "tags"])
        let (node, action) = try write { tx -> (Node, Action) in
            var n = try fetch(Node.self, tx, uuid, caller)
            try Lifecycle.node.check("update", n.state)
            if let v = try body.string("nickname") { n.nickname = v }
            if let v = try body.tags() { n.tags = v }
            try tx.put(n, namespace: caller.namespace, event: "update", parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
            return (n, try recordAction(tx, req, caller: caller, name: "Node Update", object: n.resource_uri, async: false))
        }
        return try .json(node, actionURI: action.resource_uri)
    }

    /// How often each node's engine is asked whether it answers; with the driver's 3 s bound on
    /// the answer, a node whose engine stops answering is Unreachable within 8 s.
    static let heartbeatInterval = Duration.seconds(5)

    /// Checks every deployed or unreachable node, concurrently, until the task is cancelled: a
    /// node that does not answer becomes Unreachable, one that answers again Deployed.
    func heartbeat() async {
        var lastSeenWritten: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: ControlPlane.heartbeatInterval)
            let nodes = (try? read { tx in try tx.all(Node.self, where: "state IN ('Deployed', 'Unreachable')") }) ?? []
            let results = await withTaskGroup(of: (Node, Bool).self) { group in
                for node in nodes { group.addTask { (node, await self.driver.checkNode(self.nodeSpec(node))) } }
                var out: [(Node, Bool)] = []
                for await r in group { out.append(r) }
                return out
            }
            // A check that ends as the server shuts down (engine handles closing) proves nothing:
            // writing it would leave the node Unreachable for the next start.
            guard !Task.isCancelled else { return }
            let now = ContinuousClock.now
            for (node, ok) in results {
                let wanted = ok ? "Deployed" : "Unreachable"
                // last_seen is refreshed at most once a minute: not a write per node every few seconds.
                let stale = ok && (lastSeenWritten[node.uuid].map { now - $0 > .seconds(60) } ?? true)
                guard node.state != wanted || stale else { continue }
                if stale { lastSeenWritten[node.uuid] = now }
                let changed = (try? write { tx -> Bool in
                    guard var n = try tx.get(Node.self, node.uuid), let ns = try tx.namespace(of: Node.self, node.uuid),
                          n.state == "Deployed" || n.state == "Unreachable" else { return false }
                    let changed = n.state != wanted
                    if changed { logger.notice("node \(n.uuid) is \(wanted.lowercased())") }
                    n.state = wanted
                    if ok { n.last_seen = APIDate.rfc1123(Date()) }
                    try tx.put(n, namespace: ns, event: changed ? "update" : nil, parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
                    if let c = n.node_cluster, changed { try refreshCluster(tx, ResourceURI.lastSegment(c)) }
                    return changed
                }) ?? false
                // What a lost node's containers do next (LostNodes.swift); a return reconciles its
                // engine before the next check.
                if changed && !ok { nodeLost(node.uuid) }
                if changed && ok { await nodeReturned(node.uuid) }
            }
        }
    }

    func nodeOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) throws -> APIResponse {
        let (node, action, work) = try write { tx -> (Node, Action, Work) in
            let ns = caller.namespace
            var n = try fetch(Node.self, tx, uuid, caller)
            let parents = n.node_cluster.map { [$0] } ?? []
            let work: Work
            switch op {
            case "docker-upgrade":
                try Lifecycle.node.check("docker-upgrade", n.state, as: "upgrade")
                n.state = "Upgrading"
                work = {
                    guard let current = try? self.read({ tx in try tx.get(Node.self, uuid) }) else { return false }
                    let facts = try? await self.driver.upgradeNode(self.nodeSpec(current))
                    try? self.write { tx in
                        guard var n = try tx.get(Node.self, uuid) else { return }
                        if let facts { self.applyFacts(facts, to: &n) }
                        n.state = "Deployed"
                        try tx.put(n, namespace: ns, event: "update", parents: parents, resourceURI: n.resource_uri)
                    }
                    return facts != nil
                }
            case "health-check":
                try Lifecycle.node.check("health-check", n.state)
                work = {
                    guard let current = try? self.read({ tx in try tx.get(Node.self, uuid) }) else { return false }
                    let ok = await self.driver.checkNode(self.nodeSpec(current))
                    let changed = (try? self.write { tx -> Bool in
                        guard var n = try tx.get(Node.self, uuid), n.state == "Deployed" || n.state == "Unreachable" else { return false }
                        let changed = n.state != (ok ? "Deployed" : "Unreachable")
                        n.state = ok ? "Deployed" : "Unreachable"
                        if ok { n.last_seen = APIDate.rfc1123(Date()) }
                        try tx.put(n, namespace: ns, event: "update", parents: parents, resourceURI: n.resource_uri)
                        return changed
                    }) ?? false
                    // As the heartbeat does (LostNodes.swift).
                    if changed && !ok { self.nodeLost(uuid) }
                    if changed && ok { await self.nodeReturned(uuid) }
                    return ok
                }
            default:
                try Lifecycle.node.check("terminate", n.state)
                n.state = "Terminating"
                // The cluster now wants one node fewer, so it does not replace this one.
                if let nc = n.node_cluster, var cluster = try tx.get(NodeCluster.self, ResourceURI.lastSegment(nc)) {
                    cluster.target_num_nodes = max(0, cluster.target_num_nodes - 1)
                    try tx.put(cluster, namespace: ns)
                }
                let clusterUUID = n.node_cluster.map(ResourceURI.lastSegment)
                work = { await self.terminateNodes([uuid]); if let clusterUUID { self.settleCluster(clusterUUID) }; return true }
            }
            try tx.put(n, namespace: ns, event: "update", parents: parents, resourceURI: n.resource_uri)
            let names = ["docker-upgrade": "Node Upgrade", "health-check": "Node Health Check", "terminate": "Node Terminate"]
            let a = try recordAction(tx, req, caller: caller, name: names[op] ?? "Node \(op)", object: n.resource_uri, async: true)
            return (n, a, work)
        }
        spawn(action, failure: "Node \(op) did not succeed", work)
        return try accepted(node, action)
    }

    /// Gives every namespace without node clusters one deployed cluster of `count` local nodes, so
    /// that services can run right away.
    func bootstrapNodes(count: Int) async throws {
        guard count > 0 else { return }
        for ns in accounts.allNamespaces {
            let ids: [String]? = try write { tx -> [String]? in
                let existing = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE kind = 'nodecluster' AND namespace = ?", arguments: [ns]) ?? 0
                guard existing == 0 else { return nil }
                var nc = NodeCluster()
                nc.uuid = newUUID()
                nc.resource_uri = ResourceURI.object(.nodecluster, namespace: ns, id: nc.uuid)
                nc.name = "local"
                nc.nickname = "local"
                nc.node_type = ResourceURI.nodeType("local", "local")
                nc.region = ResourceURI.region("local", "local")
                nc.target_num_nodes = count
                nc.state = "Deploying"
                try tx.put(nc, namespace: ns, event: "create", resourceURI: nc.resource_uri)
                return try addNodes(tx, nc, ns, count: count)
            }
            guard let ids else { continue }
            _ = await deployNodes(ids)
            if let nc = try read({ tx in try tx.get(Node.self, ids[0])?.node_cluster }) { settleCluster(ResourceURI.lastSegment(nc)) }
        }
    }
}
