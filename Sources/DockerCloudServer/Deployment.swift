import DockerCloudAPI
import Foundation
import GRDB
import Synchronization

/// Bookkeeping of live container processes that is not worth persisting: which start of a
/// container is current (so a late exit of an old process is ignored) and restart back-off.
final class RuntimeState: Sendable {
    let runs = Mutex<[String: Int]>([:])
    /// The last run of each container whose exit was handled: a start that returns after its
    /// process already ended (a command that exits at once) must not record it Running.
    let exitedRuns = Mutex<[String: Int]>([:])
    let restarts = Mutex<[String: (count: Int, last: ContinuousClock.Instant)]>([:])

    /// Runs the control plane stopped because their health check failed (so their exit says why).
    let unhealthyRuns = Mutex<[String: Int]>([:])
    /// Unreachable nodes → the move of their containers due after the grace period (LostNodes.swift).
    let pendingMoves = Mutex<[String: Task<Void, Never>]>([:])

    func markExited(_ uuid: String, _ run: Int) { exitedRuns.withLock { $0[uuid] = run } }
    func hasExited(_ uuid: String, _ run: Int) -> Bool { exitedRuns.withLock { $0[uuid] == run } }

    func nextRun(_ uuid: String) -> Int {
        runs.withLock { table in
            let run = table[uuid, default: 0] + 1
            table[uuid] = run
            return run
        }
    }
    func isCurrent(_ uuid: String, _ run: Int) -> Bool { runs.withLock { $0[uuid] == run } }
    func forget(_ uuid: String) {
        runs.withLock { _ = $0.removeValue(forKey: uuid) }
        exitedRuns.withLock { _ = $0.removeValue(forKey: uuid) }
        unhealthyRuns.withLock { _ = $0.removeValue(forKey: uuid) }
        restarts.withLock { _ = $0.removeValue(forKey: uuid) }
    }
    /// Delay before the next automatic restart: doubles from 100 ms to 10 s, reset after a minute up.
    func restartDelay(_ uuid: String) -> Duration {
        restarts.withLock { table in
            let now = ContinuousClock.now
            var entry = table[uuid] ?? (0, now)
            if now - entry.last > .seconds(60) { entry.count = 0 }
            entry.count += 1
            entry.last = now
            table[uuid] = entry
            let ms = min(10_000, 100 << min(entry.count - 1, 7))
            return .milliseconds(ms)
        }
    }
}

/// Where a simulated or real container's output and exit go.
struct ContainerMonitor: ContainerIO {
    let plane: ControlPlane
    let uuid: String
    let service: String?
    let source: String
    let run: Int
    /// After an adoption: the lines already stored for the last second the log had, which the
    /// engine sends again (the store keeps whole seconds, the engine's `since` is that second).
    var resume: ResumeFilter? = nil

    /// Lines kept per container (the oldest are dropped), and the longest line stored whole.
    static let keptLines = 10_000
    static let longestLine = 64 * 1024

    /// Stores the lines in one transaction (each with its engine's time), then publishes them.
    func output(_ lines: [OutputLine]) {
        guard plane.runtime.isCurrent(uuid, run), !lines.isEmpty else { return }
        let lines = resume?.fresh(lines) ?? lines
        guard !lines.isEmpty else { return }
        var pieces: [(OutputLine, String)] = []
        for line in lines {
            var current = ""
            for ch in line.text {
                current.append(ch)
                // A line without an end is stored in pieces of at most 64 KiB.
                if ch == "\n" || current.utf8.count >= Self.longestLine { pieces.append((line, current)); current = "" }
            }
            if !current.isEmpty { pieces.append((line, current)) }
        }
        let seqs: [Int64]
        do {
            seqs = try plane.store.db.write { db in
                let tx = Tx(db, quotas: plane.store.quotas)
                let seqs = try pieces.map { try tx.appendLog(owner: uuid, source: source, stream: $0.0.stream, line: $0.1, at: $0.0.date) }
                // Trimmed now and then (when this batch crosses a multiple of 512 in the log's
                // sequence), so a container's share of the trimming follows its share of output.
                if let first = seqs.first, let last = seqs.last, last / 512 != (first - 1) / 512 {
                    try tx.trimLogs(owner: uuid, keep: Self.keptLines)
                }
                return seqs
            }
        } catch {
            plane.logger.error("could not store log line of \(uuid): \(error)")
            return
        }
        let owners = [uuid] + (service.map { [$0] } ?? [])
        for (seq, (line, text)) in zip(seqs, pieces) {
            plane.liveLogs.publish(LiveLog(seq: seq, owners: owners, message: LogMessage(source: source, log: text, streamType: line.stream, timestamp: Int(line.date.timeIntervalSince1970))))
        }
    }

    func exited(code: Int, reason: String?) {
        let plane = self.plane, uuid = self.uuid, run = self.run
        Task { await plane.containerExited(uuid, code: code, reason: reason, run: run) }
    }

    func startedElsewhere() {
        let plane = self.plane, uuid = self.uuid, run = self.run
        Task { await plane.containerStartedElsewhere(uuid, run: run) }
    }

    func unhealthy() {
        let plane = self.plane, uuid = self.uuid, run = self.run
        Task { await plane.containerUnhealthy(uuid, run: run) }
    }
}

/// Drops, in order, the lines of one second that the store has already.
final class ResumeFilter: Sendable {
    private let second: Int
    private let pending: Mutex<[String]>

    init(second: Int, stored: [String]) {
        self.second = second
        pending = Mutex(stored)
    }

    func fresh(_ lines: [OutputLine]) -> [OutputLine] {
        pending.withLock { pending in
            guard !pending.isEmpty else { return lines }
            return lines.filter { line in
                let at = Int(line.date.timeIntervalSince1970)
                if at > second { pending.removeAll(); return true }
                if at == second, let next = pending.first, next == line.text { pending.removeFirst(); return false }
                return at >= second
            }
        }
    }
}

extension ControlPlane {

    // MARK: - Derived state

    /// Recomputes a service's counts, container list, link variables and, unless an operation is
    /// under way, its state from its containers. Also refreshes its stack.
    func refreshService(_ tx: Tx, _ uuid: String, settle: Bool = false) throws {
        guard var s = try tx.get(Service.self, uuid), let ns = try tx.namespace(of: Service.self, uuid) else { return }
        let before = s
        let containers = try tx.children(Container.self, parent: uuid)
        let live = containers.filter { $0.state != "Terminated" }
        s.containers = live.map(\.resource_uri)
        s.current_num_containers = live.count
        s.running_num_containers = live.filter { $0.state == "Running" }.count
        s.stopped_num_containers = live.filter { $0.state == "Stopped" }.count
        s.link_variables = Links.serviceVariables(s, containers: live, publicURL: publicURL)
        s.calculated_envvars = Links.calculatedEnv(s, containers: live, tx: tx, publicURL: publicURL)
        if s.state != "Terminated", settle || !Lifecycle.service.transitional.contains(s.state) {
            let derived: String
            if live.isEmpty { derived = s.deployed_datetime == nil ? "Not running" : "Stopped" }
            else if s.running_num_containers == live.count { derived = "Running" }
            else if s.running_num_containers == 0 { derived = "Stopped" }
            else { derived = "Partly running" }
            if derived == "Stopped", s.state != "Stopped" { s.stopped_datetime = APIDate.rfc1123(Date()) }
            s.state = derived
        }
        if s != before {
            try tx.put(s, namespace: ns, event: before.state != s.state ? "update" : nil, parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
        }
        if let stack = s.stack { try refreshStack(tx, ResourceURI.lastSegment(stack)) }
    }

    func refreshStack(_ tx: Tx, _ uuid: String, settle: Bool = false) throws {
        guard var st = try tx.get(Stack.self, uuid), let ns = try tx.namespace(of: Stack.self, uuid) else { return }
        let before = st
        let services = try tx.children(Service.self, parent: uuid)
        let live = services.filter { $0.state != "Terminated" }
        if st.state != "Terminated" { st.services = live.map(\.resource_uri) }
        st.synchronized = live.allSatisfy(\.synchronized)
        if st.state != "Terminated", settle || !Lifecycle.stack.transitional.contains(st.state) {
            let states = live.map(\.state)
            if states.isEmpty || states.allSatisfy({ $0 == "Not running" }) { st.state = st.deployed_datetime == nil ? "Not Running" : "Stopped" }
            else if states.allSatisfy({ $0 == "Running" }) { st.state = "Running" }
            else if states.contains(where: { $0 == "Running" || $0 == "Partly running" }) { st.state = "Partly running" }
            else if states.contains(where: { Lifecycle.service.transitional.contains($0) }) { st.state = before.state }
            else { st.state = "Stopped" }
        }
        if st != before {
            try tx.put(st, namespace: ns, event: before.state != st.state ? "update" : nil, resourceURI: st.resource_uri)
        }
    }

    func refreshNode(_ tx: Tx, _ uuid: String) throws {
        guard var n = try tx.get(Node.self, uuid), let ns = try tx.namespace(of: Node.self, uuid) else { return }
        let count = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE kind = 'container' AND parent2 = ? AND state != 'Terminated'", arguments: [uuid]) ?? 0
        if n.current_num_containers != count {
            n.current_num_containers = count
            try tx.put(n, namespace: ns)
        }
    }

    func containerParents(_ c: Container, _ tx: Tx) throws -> [String] {
        var parents: [String] = []
        if let s = c.service {
            parents.append(s)
            if let svc = try tx.get(Service.self, ResourceURI.lastSegment(s)), let st = svc.stack { parents.append(st) }
        }
        if let n = c.node {
            parents.append(n)
            if let node = try tx.get(Node.self, ResourceURI.lastSegment(n)), let nc = node.node_cluster { parents.append(nc) }
        }
        return parents
    }

    func putContainer(_ tx: Tx, _ c: Container, _ ns: String, event: String? = "update") throws {
        try tx.put(c, namespace: ns, event: event, parents: try containerParents(c, tx), resourceURI: c.resource_uri)
    }

    // MARK: - Placement

    /// Deployed nodes of the namespace that carry all of the service's tags; hosts brought by
    /// users only for services that do not reach the host, unless the operator allowed it.
    func eligibleNodes(_ tx: Tx, _ service: Service, _ ns: String) throws -> [Node] {
        let wanted = Set(service.tags.map(\.name))
        let reachesHost = !ControlPlane.hostAccessSettings(service).isEmpty && !config.broughtHostAccess.allows(ns)
        return try tx.all(Node.self, where: "namespace = ? AND state = 'Deployed'", [ns]).filter { node in
            wanted.isSubset(of: Set(node.tags.map(\.name))) && !(reachesHost && nodeSpec(node).provider == Catalog.broughtProvider)
        }
    }

    /// Picks a node for one more container of `service`, following its deployment strategy:
    /// the fewest containers in all (EMPTIEST_NODE), or of this service first (HIGH_AVAILABILITY).
    /// Totals come from the nodes' maintained counts, so placement does not scan every container.
    func chooseNode(_ tx: Tx, _ service: Service, _ nodes: [Node]) throws -> Node? {
        guard !nodes.isEmpty else { return nil }
        // Counted here rather than with GROUP BY parent2, which would lead SQLite to walk the
        // per-node index over every container instead of this service's few.
        var mine: [String: Int] = [:]
        for node in try String?.fetchAll(tx.db, sql: "SELECT parent2 FROM objects WHERE kind = 'container' AND parent = ? AND state != 'Terminated'",
                                         arguments: [service.uuid]) {
            mine[node ?? "", default: 0] += 1
        }
        var best: (Node, (Int, Int))? = nil
        for listed in nodes {
            let node = try tx.get(Node.self, listed.uuid) ?? listed  // counts change as this transaction places containers
            let total = node.current_num_containers
            let own = mine[node.uuid] ?? 0
            let key = service.deployment_strategy == "HIGH_AVAILABILITY" ? (own, total) : (total, own)
            if let current = best, current.1 <= key { continue }
            best = (node, key)
        }
        return best?.0
    }

    /// Whether `node` can take one more container of the service: a fixed published port
    /// (`outer_port`) can be bound once per node.
    func hostPortsFree(_ tx: Tx, _ service: Service, on node: Node) throws -> Bool {
        let wanted = Set(service.container_ports.filter { $0.published && $0.outer_port != nil }.map { "\($0.outer_port!)/\($0.protocol_)" })
        guard !wanted.isEmpty else { return true }
        for c in try tx.all(Container.self, where: "parent2 = ? AND state != 'Terminated'", [node.uuid]) {
            for p in c.container_ports where p.published {
                if let outer = p.outer_port, wanted.contains("\(outer)/\(p.protocol_)") { return false }
            }
        }
        return true
    }

    func noNodesError(_ service: Service, _ ns: String) -> APIError {
        let tags = service.tags.isEmpty ? "" : " with tags \(service.tags.map(\.name).joined(separator: ", "))"
        return APIError(status: .conflict, message: "No deployed node\(tags) in namespace '\(ns)' to run service '\(service.name)' on: deploy a node cluster first")
    }

    /// Creates `count` new containers for the service (state Starting), numbered after the existing ones.
    func createContainers(_ tx: Tx, _ service: Service, _ ns: String, count: Int) throws -> [Container] {
        let nodes = try eligibleNodes(tx, service, ns)
        var created: [Container] = []
        if service.deployment_strategy == "EVERY_NODE" {
            let existing = try tx.children(Container.self, parent: service.uuid).filter { $0.state != "Terminated" }
            let covered = Set(existing.compactMap { $0.node.map(ResourceURI.lastSegment) })
            for node in nodes where !covered.contains(node.uuid) {
                created.append(try makeContainer(tx, service, ns, node: node))
            }
            if nodes.isEmpty { throw noNodesError(service, ns) }
            return created
        }
        guard count > 0 else { return [] }
        guard !nodes.isEmpty else { throw noNodesError(service, ns) }
        for _ in 0..<count {
            let free = try nodes.filter { try hostPortsFree(tx, service, on: $0) }
            guard let node = try chooseNode(tx, service, free) else {
                if free.isEmpty {
                    let ports = service.container_ports.filter { $0.published && $0.outer_port != nil }.map { "\($0.outer_port!)/\($0.protocol_)" }
                    throw APIError(status: .conflict, message: "No node has host port \(ports.joined(separator: ", ")) free for another container of service '\(service.name)': lower target_num_containers or let the port be assigned (no outer_port)")
                }
                throw noNodesError(service, ns)
            }
            created.append(try makeContainer(tx, service, ns, node: node))
        }
        return created
    }

    /// One container of the service on `node`, configured from the service as it is now.
    func makeContainer(_ tx: Tx, _ service: Service, _ ns: String, node: Node, number fixed: Int? = nil) throws -> Container {
        let used = Set(try tx.children(Container.self, parent: service.uuid).filter { $0.state != "Terminated" }.compactMap { Links.number(of: $0.name) })
        var number = fixed ?? 1
        if fixed == nil { while used.contains(number) { number += 1 } }
        var c = Container()
        c.uuid = newUUID()
        c.resource_uri = ResourceURI.object(.container, namespace: ns, id: c.uuid)
        c.name = "\(service.name)-\(number)"
        c.image_name = service.image_name
        c.node = node.resource_uri
        c.service = service.resource_uri
        c.public_dns = "\(c.name).\(ns).cont.\(config.domain)"
        c.state = "Starting"
        c.deployed_datetime = APIDate.rfc1123(Date())
        c.synchronized = true
        c.autorestart = service.autorestart
        c.autodestroy = service.autodestroy
        c.bindings = service.bindings.filter { $0.container_path != nil }.map {
            ContainerBinding(volume: $0.host_path == nil ? ResourceURI.object(.container, namespace: ns, id: c.uuid) + "volume" + ($0.container_path ?? "") : nil,
                             host_path: $0.host_path, container_path: $0.container_path, rewritable: $0.rewritable)
        }
        let ipSeq = try tx.nextCounter("private_ip", start: 2)
        c.private_ip = "10.7.\(ipSeq / 254 % 256).\(ipSeq % 254 + 1)"
        c.container_ports = try service.container_ports.map { p in
            var outer = p.outer_port
            if p.published && outer == nil { outer = try tx.nextCounter("port:\(node.uuid)", start: 49153) }
            let scheme = Ports.uriProtocol(of: p.inner_port, p.protocol_)
            let endpoint = p.published ? "\(scheme)://\(c.public_dns!):\(outer!)/" : nil
            return ContainerPort(protocol_: p.protocol_, inner_port: p.inner_port, outer_port: p.published ? outer : nil,
                                 port_name: p.port_name, uri_protocol: scheme, endpoint_uri: endpoint, published: p.published)
        }
        c.labels = service.labels
        c.working_dir = service.working_dir
        c.user = service.user
        c.hostname = service.hostname.isEmpty ? c.name : service.hostname
        c.domainname = service.domainname
        c.mac_address = service.mac_address
        c.cgroup_parent = service.cgroup_parent
        c.tty = service.tty
        c.stdin_open = service.stdin_open
        c.dns = service.dns
        c.dns_search = service.dns_search
        c.cap_add = service.cap_add
        c.cap_drop = service.cap_drop
        c.devices = service.devices
        c.extra_hosts = service.extra_hosts
        c.security_opt = service.security_opt
        c.entrypoint = service.entrypoint
        c.run_command = service.run_command
        c.cpu_shares = service.cpu_shares
        c.cpuset = service.cpuset
        c.memory = service.memory
        c.memory_swap = service.memory_swap
        c.roles = service.roles
        c.privileged = service.privileged
        c.read_only = service.read_only
        c.net = service.net
        c.pid = service.pid
        c.link_variables = Links.containerVariables(c, service: service)
        let (links, linkEnv) = try Links.resolve(service, container: c, tx: tx)
        c.linked_to_container = links
        c.container_envvars = service.container_envvars + linkEnv + Links.platformEnv(service, container: c, publicURL: publicURL)
        try putContainer(tx, c, ns, event: "create")
        try refreshNode(tx, node.uuid)
        return c
    }

    // MARK: - Running containers

    /// Starts the containers (all at once, or one after the other), then settles their service.
    /// Returns whether every container started.
    func launch(_ uuids: [String], sequential: Bool) async -> Bool {
        if sequential {
            var ok = true
            for u in uuids { ok = await launch(u) && ok }
            return ok
        }
        return await withTaskGroup(of: Bool.self) { group in
            for u in uuids { group.addTask { await self.launch(u) } }
            var ok = true
            for await r in group { ok = ok && r }
            return ok
        }
    }

    /// Starts one container through the driver and records the outcome: the image first (its
    /// pull reported in the action's log), then the container, with the address and host ports
    /// the engine gave it.
    func launch(_ uuid: String) async -> Bool {
        let prepared: (ContainerSpec, String?, String)? = try? read { tx in
            guard let c = try tx.get(Container.self, uuid), c.state == "Starting", let ns = try tx.namespace(of: Container.self, uuid),
                  let nodeURI = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(nodeURI)) else { return nil }
            return (try containerSpec(tx, c, node, ns), c.service.map(ResourceURI.lastSegment), c.name)
        }
        guard let (spec, service, name) = prepared else { return false }
        // Its node does not answer: it waits for it (or moves) like the node's other containers.
        if (try? read({ tx in try tx.get(Node.self, spec.node.uuid)?.state })) == "Unreachable" {
            try? write { tx in
                guard var c = try tx.get(Container.self, uuid), c.state == "Starting", let ns = try tx.namespace(of: Container.self, uuid) else { return }
                c.state = "Stopped"
                c.exit_code_msg = ControlPlane.lostMessage
                try putContainer(tx, c, ns)
                if let service { try refreshService(tx, service) }
            }
            return false
        }
        let run = runtime.nextRun(uuid)
        do {
            let action = ControlPlane.currentAction
            try checkCanceled(action)
            try await driver.prepareImage(spec) { [self] line in
                guard let action else { return }
                try? write { tx in try actionLog(tx, action, line) }
            }
            try checkCanceled(action)
            let started = try await driver.startContainer(spec, io: ContainerMonitor(plane: self, uuid: uuid, service: service, source: name, run: run))
            // A stop or terminate that came while the engine was starting it wins: the engine
            // must end in the state the newer operation asked for.
            let superseded: String? = try write { tx in
                guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid) else { return "Terminated" }
                guard c.state == "Starting", runtime.isCurrent(uuid, run), !runtime.hasExited(uuid, run) else {
                    return runtime.isCurrent(uuid, run) && !runtime.hasExited(uuid, run) ? c.state : nil
                }
                c.state = "Running"
                c.started_datetime = APIDate.rfc1123(Date())
                c.exit_code = nil
                c.exit_code_msg = nil
                apply(started, to: &c)
                try putContainer(tx, c, ns)
                if let service { try refreshService(tx, service) }
                return nil
            }
            switch superseded {
            case "Stopping", "Stopped": try? await driver.stopContainer(uuid, node: spec.node)
            case "Terminating", "Terminated": try? await driver.removeContainer(uuid, node: spec.node)
            default: break
            }
            return superseded == nil
        } catch {
            let action = ControlPlane.currentAction
            try? write { tx in
                // The action says why, in the engine's words.
                if let action { try actionLog(tx, action, "Container \(name) could not start: \(error)\n") }
                guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid),
                      c.state == "Starting", runtime.isCurrent(uuid, run) else { return }
                c.state = "Stopped"
                c.exit_code = 128
                c.exit_code_msg = "Could not start: \(error)"
                c.stopped_datetime = APIDate.rfc1123(Date())
                try putContainer(tx, c, ns)
                if let service { try refreshService(tx, service) }
            }
            return false
        }
    }

    struct Canceled: Error, CustomStringConvertible { var description: String { "the action was canceled" } }

    /// An operation stops at its next step once its action is being canceled (`action cancel`).
    func checkCanceled(_ action: String?) throws {
        guard let action else { return }
        if try read({ tx in try tx.get(Action.self, action)?.state }) == "Canceling" { throw Canceled() }
    }

    /// What the engine says of a running container: its address when it has one, and the host
    /// ports it bound for published ports that had none fixed.
    func apply(_ started: StartedContainer, to c: inout Container) {
        if let ip = started.ip, !ip.isEmpty { c.private_ip = ip }
        c.container_ports = c.container_ports.map { p in
            var p = p
            if p.published, let bound = started.hostPorts["\(p.inner_port)/\(p.protocol_)"], bound != p.outer_port {
                p.outer_port = bound
                if let dns = c.public_dns { p.endpoint_uri = "\(p.uri_protocol ?? "tcp")://\(dns):\(bound)/" }
            }
            return p
        }
    }

    func containerSpec(_ tx: Tx, _ c: Container, _ node: Node, _ ns: String) throws -> ContainerSpec {
        var volumesFrom: [String] = []
        if let s = c.service.map(ResourceURI.lastSegment), let service = try tx.get(Service.self, s) {
            for b in service.bindings {
                guard let from = b.volumes_from else { continue }
                volumesFrom += try tx.children(Container.self, parent: ResourceURI.lastSegment(from)).filter { $0.state != "Terminated" }.map(\.uuid)
            }
        }
        return ContainerSpec(
            uuid: c.uuid, name: c.name, namespace: ns, serviceUUID: c.service.map(ResourceURI.lastSegment),
            hostname: c.hostname, domainname: c.domainname, image: c.image_name, runCommand: c.run_command,
            entrypoint: c.entrypoint, environment: c.container_envvars, workingDir: c.working_dir, user: c.user,
            tty: c.tty, stdinOpen: c.stdin_open, ports: c.container_ports, bindings: c.bindings, volumesFrom: volumesFrom,
            cpuShares: c.cpu_shares, cpuset: c.cpuset, memory: c.memory, memorySwap: c.memory_swap,
            privileged: c.privileged, capAdd: c.cap_add, capDrop: c.cap_drop, devices: c.devices, dns: c.dns,
            dnsSearch: c.dns_search, extraHosts: c.extra_hosts, securityOpt: c.security_opt, labels: c.labels,
            readOnly: c.read_only, pid: c.pid, net: c.net, macAddress: c.mac_address, cgroupParent: c.cgroup_parent,
            registryAuth: try registryCredentials(tx, image: c.image_name, ns), node: nodeSpec(node))
    }

    /// The login the namespace registered for the image's repository (`repository register`).
    func registryCredentials(_ tx: Tx, image: String, _ ns: String) throws -> RegistryCredentials? {
        var name = image
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = String(name[..<colon]) }
        let uri = ResourceURI.object(.repository, namespace: ns, id: name)
        let key = "credentials:\(uri)"
        guard let stored = try tx.setting(key) else { return nil }
        // Sealed in the store (Secrets.swift); a value this key cannot open is reported, never shown.
        let fields: [String: String]
        do { fields = try store.secrets.openCredentials(stored, context: key) } catch {
            logger.error("\(error); pulling \(name) without them")
            return nil
        }
        guard let user = fields["username"], let password = fields["password"] else { return nil }
        return RegistryCredentials(username: user, password: password, server: ControlPlane.registryHost(of: name))
    }

    func nodeSpec(_ node: Node) -> NodeSpec {
        let typeParts = node.node_type.split(separator: "/")
        return NodeSpec(uuid: node.uuid, name: node.external_fqdn,
                        provider: typeParts.count >= 2 ? String(typeParts[typeParts.count - 2]) : "local",
                        nodeType: typeParts.last.map(String.init) ?? "",
                        host: nodeHosts.withLock { $0[node.uuid] })
    }

    /// The node a container is on, as the driver needs it.
    func nodeSpec(ofContainer uuid: String) -> NodeSpec? {
        try? read { tx in
            guard let c = try tx.get(Container.self, uuid), let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)) else { return nil }
            return nodeSpec(node)
        }
    }

    /// The node a container is on, unless that node is unreachable: an engine that does not answer
    /// is not waited for (LostNodes.swift reconciles it when it answers again).
    func reachableNodeSpec(ofContainer uuid: String) -> NodeSpec? {
        try? read { tx in
            guard let c = try tx.get(Container.self, uuid), let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)),
                  node.state != "Unreachable" else { return nil }
            return nodeSpec(node)
        }
    }

    /// Stops containers that are marked Stopping, waiting for each to be Stopped.
    func halt(_ uuids: [String]) async {
        await withTaskGroup(of: Void.self) { group in
            for u in uuids {
                group.addTask {
                    if let node = self.reachableNodeSpec(ofContainer: u) { try? await self.driver.stopContainer(u, node: node) }
                    try? self.write { tx in
                        guard var c = try tx.get(Container.self, u), let ns = try tx.namespace(of: Container.self, u), c.state == "Stopping" else { return }
                        c.state = "Stopped"
                        c.stopped_datetime = APIDate.rfc1123(Date())
                        if c.exit_code == nil { c.exit_code = 143; c.exit_code_msg = Links.exitMessage(143) }
                        try self.putContainer(tx, c, ns)
                    }
                }
            }
        }
    }

    /// Removes containers that are marked Terminating and records them Terminated.
    func destroy(_ uuids: [String]) async {
        await withTaskGroup(of: Void.self) { group in
            for u in uuids {
                group.addTask {
                    self.runtime.forget(u)
                    if let node = self.reachableNodeSpec(ofContainer: u) { try? await self.driver.removeContainer(u, node: node) }
                    try? self.write { tx in
                        guard var c = try tx.get(Container.self, u), let ns = try tx.namespace(of: Container.self, u) else { return }
                        c.state = "Terminated"
                        c.destroyed_datetime = APIDate.rfc1123(Date())
                        try self.putContainer(tx, c, ns)
                        if let n = c.node { try self.refreshNode(tx, ResourceURI.lastSegment(n)) }
                    }
                }
            }
        }
    }

    /// A container's main process ended. A stop or terminate in progress only records the code;
    /// a process that ended by itself is restarted or destroyed as its service says.
    func containerExited(_ uuid: String, code: Int, reason: String? = nil, run: Int) async {
        guard runtime.isCurrent(uuid, run), !runtime.hasExited(uuid, run) else { return }
        runtime.markExited(uuid, run)
        enum Next { case nothing, restart, destroy }
        let next: Next = (try? write { tx -> Next in
            guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid) else { return .nothing }
            // One waiting for its lost node is the node's return to settle (LostNodes.swift).
            if c.state == "Stopped" && c.exit_code_msg == ControlPlane.lostMessage { return .nothing }
            c.exit_code = code
            c.exit_code_msg = reason ?? Links.exitMessage(code)
            if runtime.unhealthyRuns.withLock({ $0.removeValue(forKey: uuid) }) == run {
                c.exit_code_msg = "Stopped by docker-cloud: its health check failed (\(Links.exitMessage(code)))"
            }
            switch c.state {
            case "Running", "Starting":
                c.stopped_datetime = APIDate.rfc1123(Date())
                let restart = c.autorestart == "ALWAYS" || (c.autorestart == "ON_FAILURE" && code != 0)
                let destroy = c.autodestroy == "ALWAYS" || (c.autodestroy == "ON_SUCCESS" && code == 0)
                c.state = destroy ? "Terminating" : (restart ? "Starting" : "Stopped")
                try putContainer(tx, c, ns)
                if let s = c.service { try refreshService(tx, ResourceURI.lastSegment(s)) }
                return destroy ? .destroy : (restart ? .restart : .nothing)
            default:
                try tx.put(c, namespace: ns)
                return .nothing
            }
        }) ?? .nothing
        switch next {
        case .nothing: break
        case .restart:
            try? await Task.sleep(for: runtime.restartDelay(uuid))
            _ = await launch(uuid)
        case .destroy:
            await destroy([uuid])
            try? write { tx in
                if let c = try tx.get(Container.self, uuid), let s = c.service { try refreshService(tx, ResourceURI.lastSegment(s)) }
            }
        }
    }

    /// A container whose health check fails is stopped when its autorestart would start it again
    /// (ON_FAILURE, ALWAYS), as a swarm replaces unhealthy tasks; with OFF it keeps running, as in
    /// docker itself.
    func containerUnhealthy(_ uuid: String, run: Int) async {
        guard runtime.isCurrent(uuid, run) else { return }
        let node: NodeSpec? = try? read { tx in
            guard let c = try tx.get(Container.self, uuid), c.state == "Running", c.autorestart != "OFF",
                  let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)) else { return nil }
            return nodeSpec(node)
        }
        guard let node else { return }
        logger.notice("container \(uuid) is unhealthy: stopping it for its autorestart")
        runtime.unhealthyRuns.withLock { $0[uuid] = run }
        try? await driver.stopContainer(uuid, node: node)
    }

    /// The engine started a stopped container without us: it is running again.
    func containerStartedElsewhere(_ uuid: String, run: Int) async {
        guard runtime.isCurrent(uuid, run) else { return }
        try? write { tx in
            guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid), c.state == "Stopped" else { return }
            c.state = "Running"
            c.started_datetime = APIDate.rfc1123(Date())
            c.exit_code = nil
            c.exit_code_msg = nil
            try putContainer(tx, c, ns)
            if let s = c.service { try refreshService(tx, ResourceURI.lastSegment(s)) }
        }
    }

    /// Brings back what was running before a restart of the server. Each node's engine is asked
    /// which of our containers it has (by their labels): running ones are adopted, stopped ones
    /// restarted or left stopped by their autorestart, missing ones created again, and engine
    /// containers we no longer know (or have terminated) removed. Interrupted operations fail.
    func recover() async {
        struct Plan { var adopt: [String] = []; var start: [String] = []; var stop: [String] = []; var remove: [(String, NodeSpec)] = [] }
        try? write { tx in
            for var a in try tx.all(Action.self, where: "state IN ('In progress', 'Pending', 'Canceling')") {
                a.state = "Failed"; a.end_date = APIDate.rfc1123(Date()); a.can_be_canceled = false; a.can_be_retried = true
                try tx.put(a, namespace: a.user)
                try tx.appendLog(owner: a.uuid, source: nil, stream: "stdout", line: "Interrupted by a restart of the server\n")
            }
            for var n in try tx.all(Node.self, where: "state IN ('Deploying', 'Upgrading', 'Terminating')") {
                n.state = n.state == "Terminating" ? "Terminated" : "Deployed"
                try tx.put(n, namespace: try tx.namespace(of: Node.self, n.uuid) ?? "")
            }
        }
        let nodes: [Node] = (try? read { tx in try tx.all(Node.self, where: "state != 'Terminated'") }) ?? []
        var found: [String: FoundContainer] = [:]
        var reached: Set<String> = []
        for node in nodes {
            let spec = nodeSpec(node)
            guard spec.host != nil else { continue }
            do {
                for f in try await driver.inventory(spec) { found[f.uuid] = f }
                reached.insert(node.uuid)
            } catch {
                logger.warning("node \(node.uuid): cannot list its containers, leaving them as they are: \(error)")
            }
        }
        let plan: Plan = (try? write { tx -> Plan in
            var plan = Plan()
            // A node whose engine answered just now is Deployed, whatever an earlier run left
            // (an Unreachable written as it stopped would otherwise hold deploys off until the
            // first heartbeat).
            for uuid in reached {
                guard var n = try tx.get(Node.self, uuid), n.state == "Unreachable", let ns = try tx.namespace(of: Node.self, uuid) else { continue }
                n.state = "Deployed"
                n.last_seen = APIDate.rfc1123(Date())
                logger.notice("node \(uuid) is deployed (its engine answered at start)")
                try tx.put(n, namespace: ns, event: "update", parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
            }
            var known: Set<String> = []
            for var c in try tx.all(Container.self, where: "state != 'Terminated'") {
                known.insert(c.uuid)
                let ns = try tx.namespace(of: Container.self, c.uuid) ?? ""
                let nodeUUID = c.node.map(ResourceURI.lastSegment) ?? ""
                // An engine we cannot reach keeps its containers as they were; nothing is recreated twice.
                guard reached.contains(nodeUUID) else { continue }
                let onEngine = found[c.uuid]
                switch c.state {
                case "Running", "Starting":
                    if let onEngine, onEngine.running {
                        plan.adopt.append(c.uuid)
                    } else if let onEngine, let code = onEngine.exitCode {
                        // It ended while we were away: its autorestart decides.
                        c.exit_code = code
                        c.exit_code_msg = Links.exitMessage(code)
                        let restart = c.autorestart == "ALWAYS" || (c.autorestart == "ON_FAILURE" && code != 0)
                        c.state = restart ? "Starting" : "Stopped"
                        if restart { plan.start.append(c.uuid) } else { c.stopped_datetime = APIDate.rfc1123(Date()) }
                    } else {
                        c.state = "Starting"
                        plan.start.append(c.uuid)
                    }
                case "Stopped" where c.exit_code_msg == ControlPlane.lostMessage:
                    // It waited for its node, which answers now: followed again if it runs.
                    if let onEngine, onEngine.running {
                        c.state = "Starting"; c.exit_code_msg = nil
                        plan.adopt.append(c.uuid)
                    } else {
                        let code = onEngine?.exitCode
                        c.exit_code = code
                        c.exit_code_msg = code.map(Links.exitMessage) ?? "Gone from its node's engine while the node was unreachable"
                        if c.autorestart == "ALWAYS" || (c.autorestart == "ON_FAILURE" && code != 0) { c.state = "Starting"; plan.start.append(c.uuid) }
                    }
                case "Stopping", "Stopped":
                    if c.state == "Stopping" { c.state = "Stopped"; c.stopped_datetime = APIDate.rfc1123(Date()) }
                    if onEngine?.running == true { plan.stop.append(c.uuid) }
                default:
                    c.state = "Terminated"; c.destroyed_datetime = APIDate.rfc1123(Date())
                    if onEngine != nil, let node = try tx.get(Node.self, nodeUUID) { plan.remove.append((c.uuid, nodeSpec(node))) }
                }
                try putContainer(tx, c, ns)
            }
            for (uuid, _) in found where !known.contains(uuid) {
                guard let c = try tx.get(Container.self, uuid), let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)) else {
                    // Not ours at all any more (a container from a deleted database): the node it was found on removes it.
                    for node in nodes where reached.contains(node.uuid) { plan.remove.append((uuid, nodeSpec(node))) }
                    continue
                }
                plan.remove.append((uuid, nodeSpec(node)))
            }
            return plan
        }) ?? Plan()
        if !plan.remove.isEmpty { logger.notice("removing \(plan.remove.count) engine container(s) this server no longer runs") }
        for (uuid, node) in plan.remove { try? await driver.removeContainer(uuid, node: node) }
        for uuid in plan.stop { if let node = nodeSpec(ofContainer: uuid) { try? await driver.stopContainer(uuid, node: node) } }
        await withTaskGroup(of: Void.self) { group in
            for uuid in plan.adopt { group.addTask { await self.adopt(uuid) } }
        }
        if !plan.adopt.isEmpty { logger.notice("adopted \(plan.adopt.count) running container(s)") }
        // Services and stacks caught mid-operation settle from their containers once those run.
        _ = await launch(plan.start, sequential: false)
        try? write { tx in
            for s in try tx.all(Service.self, where: "state != 'Terminated'") {
                if s.state == "Terminating" {
                    var t = s; t.state = "Terminated"; t.destroyed_datetime = APIDate.rfc1123(Date())
                    try tx.put(t, namespace: try tx.namespace(of: Service.self, s.uuid) ?? "")
                } else {
                    try refreshService(tx, s.uuid, settle: true)
                }
            }
            for st in try tx.all(Stack.self, where: "state != 'Terminated'") { try refreshStack(tx, st.uuid, settle: true) }
            for nc in try tx.all(NodeCluster.self, where: "state IN ('Deploying', 'Scaling', 'Terminating')") {
                try refreshCluster(tx, nc.uuid, settle: true)
            }
        }
        // Nodes still unreachable: their containers wait, and those that may move do after the
        // grace period, counted from now (the heartbeat reports only changes).
        for node in nodes where !reached.contains(node.uuid) {
            if (try? read({ tx in try tx.get(Node.self, node.uuid)?.state })) == "Unreachable" { nodeLost(node.uuid) }
        }
    }

    /// Follows a container that kept running on its engine while the server was away; its log
    /// continues from the last line stored.
    func adopt(_ uuid: String) async {
        let prepared: (ContainerSpec, String?, String, Int?, [String])? = try? read { tx in
            guard let c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid),
                  let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)) else { return nil }
            let last = try Int.fetchOne(tx.db, sql: "SELECT max(ts) FROM logs WHERE owner = ?", arguments: [uuid])
            let stored = try last.map { try String.fetchAll(tx.db, sql: "SELECT line FROM logs WHERE owner = ? AND ts = ? ORDER BY seq", arguments: [uuid, $0]) } ?? []
            return (try containerSpec(tx, c, node, ns), c.service.map(ResourceURI.lastSegment), c.name, last, stored)
        }
        guard let (spec, service, name, last, stored) = prepared else { return }
        let run = runtime.nextRun(uuid)
        do {
            var monitor = ContainerMonitor(plane: self, uuid: uuid, service: service, source: name, run: run)
            if let last { monitor.resume = ResumeFilter(second: last, stored: stored) }
            let since = last.map { Date(timeIntervalSince1970: Double($0)) }
            let started = try await driver.adoptContainer(spec, io: monitor, since: since)
            try write { tx in
                guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid) else { return }
                if c.state == "Starting" { c.state = "Running" }
                apply(started, to: &c)
                try putContainer(tx, c, ns)
            }
        } catch {
            logger.warning("could not adopt container \(uuid): \(error)")
            try? write { tx in
                guard var c = try tx.get(Container.self, uuid), let ns = try tx.namespace(of: Container.self, uuid) else { return }
                c.state = "Starting"
                try putContainer(tx, c, ns)
            }
            _ = await launch(uuid)
        }
    }
}
