import DockerCloudAPI
import Foundation
import Synchronization

/// A node whose engine stops answering (issue 11). The heartbeat (InfraAPI.swift) makes it
/// Unreachable within `unreachableBound`; its running containers are then recorded Stopped with
/// `lostMessage`, because nothing can be known of them. What happens next is the service's to say:
///
/// - containers of HIGH_AVAILABILITY services (and of services whose `reschedule` is on) move once
///   the node has been unreachable for `rescheduleAfter`: each is terminated where it was and a
///   container with the same name starts on a node that answers;
/// - the others (EVERY_NODE has one on every node that answers already; autorestart ones and
///   standalone containers restart in place) wait for their node.
///
/// When the node answers again, its engine is reconciled: containers that moved away, or that
/// were terminated meanwhile, are removed there (nothing runs twice); those that waited are
/// followed again if they still run, else restarted as their autorestart says.
extension ControlPlane {
    /// Heartbeat interval plus two pings of 3 s each, plus the write: a frozen engine is
    /// Unreachable within this.
    static let unreachableBound: Duration = .seconds(12)

    /// What a container of a lost node says while it waits.
    static let lostMessage = "Its node stopped answering: waiting for the node to return"
    static let movedMessage = "Its node stopped answering: started again on another node"

    /// Whether the containers of `service` move off a lost node.
    static func moves(_ service: Service) -> Bool {
        service.deployment_strategy == "HIGH_AVAILABILITY" || service.reschedule == true
    }

    /// The node is Unreachable: its running containers are recorded as waiting, and a move is
    /// scheduled for after the grace period.
    func nodeLost(_ uuid: String) {
        try? write { tx in
            var services: Set<String> = []
            for var c in try tx.all(Container.self, where: "parent2 = ? AND state IN ('Running', 'Starting')", [uuid]) {
                guard let ns = try tx.namespace(of: Container.self, c.uuid) else { continue }
                c.state = "Stopped"
                c.exit_code = nil
                c.exit_code_msg = Self.lostMessage
                c.stopped_datetime = APIDate.rfc1123(Date())
                try putContainer(tx, c, ns)
                if let s = c.service { services.insert(ResourceURI.lastSegment(s)) }
            }
            for s in services { try refreshService(tx, s) }
        }
        let grace = config.rescheduleAfter
        let task = Task { [self] in
            try? await Task.sleep(for: grace)
            guard !Task.isCancelled else { return }
            await moveContainers(off: uuid)
        }
        runtime.pendingMoves.withLock { $0.updateValue(task, forKey: uuid) }?.cancel()
    }

    /// After the grace period, if the node is still unreachable: the containers that may move start
    /// on nodes that answer, under their old names; the old ones are terminated (their engine
    /// removes them when the node returns).
    func moveContainers(off uuid: String) async {
        let moved: [(String, String)] = (try? write { tx -> [(String, String)] in
            guard let node = try tx.get(Node.self, uuid), node.state == "Unreachable" else { return [] }
            var out: [(String, String)] = []
            for var c in try tx.all(Container.self, where: "parent2 = ? AND state = 'Stopped'", [uuid]) where c.exit_code_msg == Self.lostMessage {
                guard let s = c.service.map(ResourceURI.lastSegment), let service = try tx.get(Service.self, s), Self.moves(service),
                      let ns = try tx.namespace(of: Container.self, c.uuid) else { continue }
                let free = try eligibleNodes(tx, service, ns).filter { try hostPortsFree(tx, service, on: $0) }
                guard let target = try chooseNode(tx, service, free) else {
                    logger.warning("container \(c.name) of lost node \(uuid): no other node can take it; it waits")
                    continue
                }
                let number = Links.number(of: c.name)
                c.state = "Terminated"
                c.exit_code_msg = Self.movedMessage
                c.destroyed_datetime = APIDate.rfc1123(Date())
                try putContainer(tx, c, ns)
                runtime.forget(c.uuid)
                let replacement = try makeContainer(tx, service, ns, node: target, number: number)
                out.append((replacement.uuid, s))
                try refreshService(tx, s)
            }
            try refreshNode(tx, uuid)
            return out
        }) ?? []
        guard !moved.isEmpty else { return }
        logger.notice("node \(uuid) has been unreachable for \(config.rescheduleAfter.components.seconds) s: \(moved.count) container(s) moved to other nodes")
        _ = await launch(moved.map(\.0), sequential: false)
        try? write { tx in for s in Set(moved.map(\.1)) { try refreshService(tx, s) } }
    }

    /// The node answers again: what moved away (or was terminated) is removed from its engine, and
    /// what waited is followed again, or restarted as its autorestart says.
    func nodeReturned(_ uuid: String) async {
        runtime.pendingMoves.withLock { $0.removeValue(forKey: uuid) }?.cancel()
        guard let node = try? read({ tx in try tx.get(Node.self, uuid) }) else { return }
        let spec = nodeSpec(node)
        let found: [FoundContainer]
        do { found = try await driver.inventory(spec) } catch {
            logger.warning("node \(uuid) answers again but its containers cannot be listed: \(error)")
            return
        }
        struct Plan { var remove: [String] = []; var adopt: [String] = []; var start: [String] = []; var stop: [String] = [] }
        let plan: Plan = (try? write { tx -> Plan in
            var plan = Plan()
            let onEngine = Dictionary(found.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
            for f in found {
                let c = try tx.get(Container.self, f.uuid)
                if c == nil || c?.state == "Terminated" || c?.node.map(ResourceURI.lastSegment) != uuid { plan.remove.append(f.uuid) }
                // Stopped meanwhile (its engine was not waited for): stopped there now.
                else if f.running, c?.state == "Stopped", c?.exit_code_msg != Self.lostMessage { plan.stop.append(f.uuid) }
            }
            var services: Set<String> = []
            for var c in try tx.all(Container.self, where: "parent2 = ? AND state = 'Stopped'", [uuid]) where c.exit_code_msg == Self.lostMessage {
                guard let ns = try tx.namespace(of: Container.self, c.uuid) else { continue }
                if let f = onEngine[c.uuid], f.running {
                    c.state = "Starting"
                    c.exit_code_msg = nil
                    plan.adopt.append(c.uuid)
                } else {
                    let code = onEngine[c.uuid]?.exitCode
                    c.exit_code = code
                    c.exit_code_msg = code.map(Links.exitMessage) ?? "Gone from its node's engine while the node was unreachable"
                    let restart = c.autorestart == "ALWAYS" || (c.autorestart == "ON_FAILURE" && code != 0)
                    if restart { c.state = "Starting"; plan.start.append(c.uuid) }
                }
                try putContainer(tx, c, ns)
                if let s = c.service { services.insert(ResourceURI.lastSegment(s)) }
            }
            for s in services { try refreshService(tx, s) }
            return plan
        }) ?? Plan()
        if !plan.remove.isEmpty { logger.notice("node \(uuid) is back: removing \(plan.remove.count) container(s) that moved away or were terminated meanwhile") }
        for c in plan.remove { try? await driver.removeContainer(c, node: spec) }
        for c in plan.stop { try? await driver.stopContainer(c, node: spec) }
        await withTaskGroup(of: Void.self) { group in
            for c in plan.adopt { group.addTask { await self.adopt(c) } }
        }
        _ = await launch(plan.start, sequential: false)
        try? write { tx in
            for c in plan.adopt + plan.start {
                if let s = try tx.get(Container.self, c)?.service { try refreshService(tx, ResourceURI.lastSegment(s)) }
            }
        }
    }
}
