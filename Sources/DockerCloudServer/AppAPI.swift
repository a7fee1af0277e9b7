import DockerCloudAPI
import Foundation
import GRDB
import HTTPTypes

/// `/api/app/v1/[ns/]`: stacks, services, containers and triggers.
extension ControlPlane {
    /// The asynchronous part of an operation, run after its transaction has committed.
    typealias Work = @Sendable () async -> Bool

    /// Runs the work of an operation in the background and ends its action with the outcome.
    func spawn(_ action: Action, failure: String, _ work: @escaping Work) {
        Task {
            let ok = await ControlPlane.$currentAction.withValue(action.uuid) { await work() }
            self.finishAction(action.uuid, success: ok, log: ok ? nil : failure + "\n")
        }
    }

    // MARK: - Services

    func newService(_ tx: Tx, _ body: Body, _ ns: String, stack: Stack?, siblings: [String: String]) throws -> Service {
        var s = Service()
        s.uuid = siblings[(try? body.string("name")) ?? nil ?? ""].map(ResourceURI.lastSegment) ?? newUUID()
        s.resource_uri = ResourceURI.object(.service, namespace: ns, id: s.uuid)
        s.stack = stack?.resource_uri
        _ = try ServiceSpec(siblings: siblings).apply(body, to: &s, creating: true, tx: tx, namespace: ns)
        try checkHostAccess(s, ns)
        s.linked_to_service = s.linked_to_service.map { ServiceLink(name: $0.name, from_service: s.resource_uri, to_service: $0.to_service) }
        s.public_dns = "\(s.name).\(ns).svc.\(config.domain)"
        s.container_ports = s.container_ports.map { p in
            var p = p
            if p.published, let outer = p.outer_port {
                p.endpoint_uri = "\(Ports.uriProtocol(of: p.inner_port, p.protocol_))://\(s.public_dns!):\(outer)/"
            }
            return p
        }
        let clash = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE kind = 'service' AND namespace = ? AND name = ? AND state != 'Terminated' AND parent IS ?",
                                     arguments: [ns, s.name, stack?.uuid]) ?? 0
        if clash > 0 {
            throw APIError.conflict("A service named '\(s.name)' already exists \(stack.map { "in stack '\($0.name)'" } ?? "outside stacks") in namespace '\(ns)'")
        }
        s.calculated_envvars = Links.calculatedEnv(s, containers: [], tx: tx, publicURL: publicURL)
        s.link_variables = Links.serviceVariables(s, containers: [], publicURL: publicURL)
        try tx.put(s, namespace: ns, event: "create", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
        try refreshLinkedFrom(tx, ns, targets: linkTargets(s))
        return s
    }

    /// Recomputes `linked_from_service` of the given link targets (resource URIs) from the live
    /// services that link to them.
    func refreshLinkedFrom(_ tx: Tx, _ ns: String, targets: Set<String>) throws {
        for target in targets {
            guard var s = try tx.get(Service.self, ResourceURI.lastSegment(target)) else { continue }
            let needle = Data("\"to_service\":\"\(target)\"".utf8)  // bodies are BLOBs: instr, not LIKE
            let linking = try tx.all(Service.self, where: "namespace = ? AND state != 'Terminated' AND instr(body, ?) > 0", [ns, needle])
            let from = linking.flatMap { $0.linked_to_service.filter { $0.to_service == target } }
            if from != s.linked_from_service {
                s.linked_from_service = from
                try tx.put(s, namespace: ns)
            }
        }
    }

    /// The services a service links to: the targets whose `linked_from_service` may change with it.
    func linkTargets(_ services: Service?...) -> Set<String> {
        Set(services.compactMap { $0 }.flatMap { $0.linked_to_service.map(\.to_service) })
    }

    /// Settings that reach through a container to the host it runs on. Tenants share the
    /// operator's hosts, so these are refused unless the operator allowed them for the namespace.
    static func hostAccessSettings(_ s: Service) -> [String] {
        var used: [String] = []
        if s.privileged { used.append("privileged") }
        if s.bindings.contains(where: { $0.host_path != nil }) { used.append("bindings.host_path") }
        if s.net == "host" { used.append("net") }
        if s.pid == "host" { used.append("pid") }
        if !s.cap_add.isEmpty { used.append("cap_add") }
        if !s.devices.isEmpty { used.append("devices") }
        return used
    }

    func checkHostAccess(_ s: Service, _ ns: String) throws {
        guard !config.hostAccess.allows(ns) else { return }
        let used = ControlPlane.hostAccessSettings(s)
        guard let first = used.first else { return }
        throw APIError(status: .forbidden, message: "'\(first)' is not allowed in namespace '\(ns)' on this server: it gives a container access to the host (the operator can allow it with --allow-privileged)", field: first)
    }

    func createService(_ req: APIRequest, _ caller: Caller) throws -> APIResponse {
        let body = try Body(req.body)
        let (service, action) = try write { tx -> (Service, Action) in
            let s = try newService(tx, body, caller.namespace, stack: nil, siblings: [:])
            let a = try recordAction(tx, req, caller: caller, name: "Service Create", object: s.resource_uri, async: false)
            return (s, a)
        }
        return try .json(service, status: .created, actionURI: action.resource_uri)
    }

    func updateService(_ req: APIRequest, _ caller: Caller, _ uuid: String) throws -> APIResponse {
        let body = try Body(req.body)
        let (service, action) = try write { tx -> (Service, Action) in
            var s = try fetch(Service.self, tx, uuid, caller)
            try Lifecycle.service.check("update", s.state)
            var siblings: [String: String] = [:]
            if let st = s.stack {
                for sib in try tx.children(Service.self, parent: ResourceURI.lastSegment(st)) where sib.state != "Terminated" { siblings[sib.name] = sib.resource_uri }
            }
            let before = s
            let given = try ServiceSpec(siblings: siblings).apply(body, to: &s, creating: false, tx: tx, namespace: caller.namespace)
            try checkHostAccess(s, caller.namespace)
            if !given.subtracting(ServiceSpec.nonContainerFields).isEmpty, s != before, !s.containers.isEmpty {
                s.synchronized = false
                for var c in try tx.children(Container.self, parent: uuid) where c.state != "Terminated" {
                    c.synchronized = false
                    try tx.put(c, namespace: caller.namespace)
                }
            }
            try tx.put(s, namespace: caller.namespace, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            try refreshLinkedFrom(tx, caller.namespace, targets: linkTargets(before, s))
            try refreshService(tx, uuid)
            let a = try recordAction(tx, req, caller: caller, name: "Service Update", object: s.resource_uri, async: false)
            return (try tx.get(Service.self, uuid) ?? s, a)
        }
        return try .json(service, actionURI: action.resource_uri)
    }

    /// Validates a service operation against the state machine and marks the service and its
    /// containers; returns the work that carries it out.
    func prepareServiceOperation(_ tx: Tx, _ s: inout Service, _ ns: String, _ op: String, reuseVolumes: Bool = true) throws -> Work {
        let containers = try tx.children(Container.self, parent: s.uuid).filter { $0.state != "Terminated" }
        let now = APIDate.rfc1123(Date())
        let uuid = s.uuid
        let sequential = s.sequential_deployment
        func mark(_ cs: [Container], _ state: String) throws {
            for var c in cs { c.state = state; try putContainer(tx, c, ns) }
        }
        switch op {
        case "start":
            try Lifecycle.service.check("start", s.state)
            let stopped = containers.filter { $0.state == "Stopped" }
            try mark(stopped, "Starting")
            s.state = "Starting"
            s.started_datetime = now
            if s.deployed_datetime == nil { s.deployed_datetime = now }
            try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            let missing = s.deployment_strategy == "EVERY_NODE" ? 1 : max(0, s.target_num_containers - containers.count)
            let created = missing > 0 ? try createContainers(tx, s, ns, count: missing) : []
            let all = stopped.map(\.uuid) + created.map(\.uuid)
            return { let ok = await self.launch(all, sequential: sequential); self.settleService(uuid); return ok }
        case "stop":
            guard Lifecycle.service.permits("stop", s.state) || (s.state == "Stopped" && containers.contains { $0.state == "Running" }) else {
                throw APIError.state("service", s.state, "stop")
            }
            let running = containers.filter { $0.state == "Running" || $0.state == "Starting" }
            try mark(running, "Stopping")
            s.state = "Stopping"
            try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            let ids = running.map(\.uuid)
            return { await self.halt(ids); self.settleService(uuid); return true }
        case "scale":
            try Lifecycle.service.check("scale", s.state)
            guard s.deployment_strategy != "EVERY_NODE" else {
                throw APIError.badRequest("Service '\(s.name)' uses EVERY_NODE: it runs one container per node and cannot be scaled by hand")
            }
            guard ["Running", "Partly running"].contains(s.state) else { return { true } }
            let diff = s.target_num_containers - containers.count
            guard diff != 0 else { return { true } }
            s.state = "Scaling"
            try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            if diff > 0 {
                let ids = try createContainers(tx, s, ns, count: diff).map(\.uuid)
                return { let ok = await self.launch(ids, sequential: sequential); self.settleService(uuid); return ok }
            }
            let victims = containers.sorted { (Links.number(of: $0.name) ?? 0) > (Links.number(of: $1.name) ?? 0) }.prefix(-diff)
            try mark(Array(victims), "Terminating")
            let ids = victims.map(\.uuid)
            return { await self.destroy(ids); self.settleService(uuid); return true }
        case "redeploy":
            try Lifecycle.service.check("redeploy", s.state)
            if s.target_num_containers > 0 || s.deployment_strategy == "EVERY_NODE", try eligibleNodes(tx, s, ns).isEmpty {
                throw noNodesError(s, ns)
            }
            s.state = "Redeploying"
            s.synchronized = true
            s.deployed_datetime = now
            s.started_datetime = now
            try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            let service = s
            let old = containers.sorted { (Links.number(of: $0.name) ?? 0) < (Links.number(of: $1.name) ?? 0) }
            try mark(old, "Terminating")
            let target = s.deployment_strategy == "EVERY_NODE" ? old.count : s.target_num_containers
            let plane = self
            return {
                // Replace each container by a new one with the same number, on the same node when it is still usable.
                var ok = true
                var replaced = 0
                let batches: [[Container]] = sequential ? old.map { [$0] } : [old]
                for batch in batches {
                    await plane.destroy(batch.map(\.uuid))
                    let fresh: [String] = (try? plane.write { tx -> [String] in
                        let nodes = try plane.eligibleNodes(tx, service, ns)
                        var ids: [String] = []
                        for c in batch where replaced < target {
                            let node = try nodes.first { $0.resource_uri == c.node } ?? plane.chooseNode(tx, service, nodes)
                            guard let node else { ok = false; continue }
                            ids.append(try plane.makeContainer(tx, try tx.get(Service.self, uuid) ?? service, ns, node: node, number: Links.number(of: c.name)).uuid)
                            replaced += 1
                        }
                        return ids
                    }) ?? []
                    ok = await plane.launch(fresh, sequential: sequential) && ok
                }
                if replaced < target {
                    let extra: [String] = (try? plane.write { tx in try plane.createContainers(tx, try tx.get(Service.self, uuid) ?? service, ns, count: target - replaced).map(\.uuid) }) ?? []
                    ok = await plane.launch(extra, sequential: sequential) && ok
                }
                plane.settleService(uuid)
                return ok
            }
        case "terminate":
            try Lifecycle.service.check("terminate", s.state)
            try mark(containers, "Terminating")
            s.state = "Terminating"
            try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
            let ids = containers.map(\.uuid)
            return {
                await self.destroy(ids)
                try? self.write { tx in
                    guard var s = try tx.get(Service.self, uuid) else { return }
                    s.state = "Terminated"
                    s.destroyed_datetime = APIDate.rfc1123(Date())
                    try tx.put(s, namespace: ns, event: "delete", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
                    try self.refreshService(tx, uuid)
                    try self.refreshLinkedFrom(tx, ns, targets: self.linkTargets(s))
                }
                return true
            }
        default:
            throw APIError.notFound("Unknown service operation '\(op)'")
        }
    }

    /// Ends an operation: the service's state follows from its containers again.
    func settleService(_ uuid: String) {
        try? write { tx in try refreshService(tx, uuid, settle: true) }
    }

    func serviceOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) throws -> APIResponse {
        let reuse = try reuseVolumes(req)
        let (service, action, work) = try write { tx -> (Service, Action, Work) in
            var s = try fetch(Service.self, tx, uuid, caller)
            let work = try prepareServiceOperation(tx, &s, caller.namespace, op, reuseVolumes: reuse)
            let a = try recordAction(tx, req, caller: caller, name: "Service \(op.capitalized)", object: s.resource_uri, async: true)
            try actionLog(tx, a.uuid, "\(op.capitalized) of service \(s.name) (\(s.uuid)) accepted\n")
            return (try tx.get(Service.self, uuid) ?? s, a, work)
        }
        spawn(action, failure: "Service \(op) did not complete: some containers failed", work)
        return try accepted(service, action)
    }

    func reuseVolumes(_ req: APIRequest) throws -> Bool {
        guard let v = req.queryValue("reuse_volumes") else { return true }
        switch v.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("reuse_volumes: expected true or false, got '\(v)'", field: "reuse_volumes")
        }
    }

    // MARK: - Containers

    func containerOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) throws -> APIResponse {
        _ = try reuseVolumes(req)
        let (container, action, work) = try write { tx -> (Container, Action, Work) in
            var c = try fetch(Container.self, tx, uuid, caller)
            let ns = caller.namespace
            let service = c.service.map(ResourceURI.lastSegment)
            let work: Work
            switch op {
            case "start":
                try Lifecycle.container.check("start", c.state)
                c.state = "Starting"
                try putContainer(tx, c, ns)
                work = { let ok = await self.launch(uuid); if let service { self.settleService(service) }; return ok }
            case "stop":
                try Lifecycle.container.check("stop", c.state)
                c.state = "Stopping"
                try putContainer(tx, c, ns)
                work = { await self.halt([uuid]); if let service { self.settleService(service) }; return true }
            case "restart":
                try Lifecycle.container.check("restart", c.state)
                c.state = "Stopping"
                try putContainer(tx, c, ns)
                work = {
                    await self.halt([uuid])
                    let again: Bool = (try? self.write { tx -> Bool in
                        guard var c = try tx.get(Container.self, uuid), c.state == "Stopped" else { return false }
                        c.state = "Starting"
                        try self.putContainer(tx, c, ns)
                        return true
                    }) ?? false
                    let ok = again ? await self.launch(uuid) : false
                    if let service { self.settleService(service) }
                    return ok
                }
            case "redeploy":
                try Lifecycle.container.check("redeploy", c.state)
                guard let service, let s = try tx.get(Service.self, service) else { throw APIError.badRequest("Container \(c.name) has no service to redeploy from") }
                c.state = "Terminating"
                try putContainer(tx, c, ns)
                let old = c
                work = {
                    await self.destroy([uuid])
                    let fresh: String? = try? self.write { tx in
                        let nodes = try self.eligibleNodes(tx, s, ns)
                        guard let node = try nodes.first(where: { $0.resource_uri == old.node }) ?? self.chooseNode(tx, s, nodes) else { return nil }
                        return try self.makeContainer(tx, try tx.get(Service.self, service) ?? s, ns, node: node, number: Links.number(of: old.name)).uuid
                    }
                    guard let fresh else { self.settleService(service); return false }
                    let ok = await self.launch(fresh)
                    self.settleService(service)
                    return ok
                }
            case "terminate":
                try Lifecycle.container.check("terminate", c.state)
                c.state = "Terminating"
                try putContainer(tx, c, ns)
                // The service should not bring the container back: it wants one fewer.
                if let service, var s = try tx.get(Service.self, service), s.target_num_containers > 0, s.deployment_strategy != "EVERY_NODE" {
                    s.target_num_containers -= 1
                    try tx.put(s, namespace: ns)
                }
                work = { await self.destroy([uuid]); if let service { self.settleService(service) }; return true }
            default:
                throw APIError.notFound("Unknown container operation '\(op)'")
            }
            let a = try recordAction(tx, req, caller: caller, name: "Container \(op.capitalized)", object: c.resource_uri, async: true)
            return (c, a, work)
        }
        spawn(action, failure: "Container \(op) failed", work)
        return try accepted(container, action)
    }

    // MARK: - Stacks

    /// Services of a stack body, in an order where link targets come first.
    func stackServices(_ body: Body) throws -> [Body] {
        // Entries come in Stack YAML form (the CLI sends the parsed stackfile) or API form.
        let services = try (body.objects("services") ?? []).map { entry in
            Body(object: try Stackfile.apiFields(entry.fields, path: entry.prefix), prefix: entry.prefix)
        }
        var names: [String: Body] = [:]
        for (i, s) in services.enumerated() {
            guard let name = try s.string("name", required: true) else { continue }
            guard names[name] == nil else {
                throw APIError.badRequest("services[\(i)].name: '\(name)' is used by two services of the stack", field: "services[\(i)].name")
            }
            names[name] = s
        }
        var ordered: [Body] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ s: Body) throws {
            if state[name] == 2 { return }
            if state[name] == 1 { throw APIError.badRequest("services: links between '\(name)' and other services form a cycle", field: "services") }
            state[name] = 1
            for l in (try? s.objects("linked_to_service")) ?? [] {
                if let to = (try? l.string("to_service")) ?? nil, let target = names[to] { try visit(to, target) }
            }
            for b in (try? s.objects("bindings")) ?? [] {
                if let from = (try? b.string("volumes_from")) ?? nil, let target = names[from] { try visit(from, target) }
            }
            state[name] = 2
            ordered.append(s)
        }
        for s in services { try visit(try s.string("name") ?? "", s) }
        return ordered
    }

    func createStack(_ req: APIRequest, _ caller: Caller) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["name", "nickname", "services"])
        let ordered = try stackServices(body)
        let (stack, action) = try write { tx -> (Stack, Action) in
            let ns = caller.namespace
            guard let name = try body.string("name", required: true) else { throw APIError.badRequest("name is required") }
            guard ServiceSpec.isValidName(name) else {
                throw APIError.badRequest("name: '\(name)' is not a valid stack name (letters, digits, '-' and '_')", field: "name")
            }
            let clash = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE kind = 'stack' AND namespace = ? AND name = ? AND state != 'Terminated'", arguments: [ns, name]) ?? 0
            if clash > 0 { throw APIError.conflict("A stack named '\(name)' already exists in namespace '\(ns)'") }
            var st = Stack()
            st.uuid = newUUID()
            st.resource_uri = ResourceURI.object(.stack, namespace: ns, id: st.uuid)
            st.name = name
            st.nickname = try body.string("nickname") ?? name
            try tx.put(st, namespace: ns, event: "create", resourceURI: st.resource_uri)
            // Sibling names resolve to the URIs the services will have, so links may point forward.
            var siblings: [String: String] = [:]
            for s in ordered { if let n = try s.string("name") { siblings[n] = ResourceURI.object(.service, namespace: ns, id: newUUID()) } }
            for s in ordered { _ = try newService(tx, s, ns, stack: st, siblings: siblings) }
            try refreshStack(tx, st.uuid)
            let a = try recordAction(tx, req, caller: caller, name: "Stack Create", object: st.resource_uri, async: false)
            return (try tx.get(Stack.self, st.uuid) ?? st, a)
        }
        return try .json(stack, status: .created, actionURI: action.resource_uri)
    }

    /// Replaces the stack's services by the body's: services are matched by name, updated in place,
    /// created when new and terminated when no longer listed.
    func updateStack(_ req: APIRequest, _ caller: Caller, _ uuid: String) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["name", "nickname", "services"])
        let ordered = try stackServices(body)
        let (stack, action, work) = try write { tx -> (Stack, Action, [Work]) in
            let ns = caller.namespace
            var st = try fetch(Stack.self, tx, uuid, caller)
            try Lifecycle.stack.check("update", st.state)
            if let name = try body.string("name"), name != st.name { throw APIError.badRequest("name: a stack cannot be renamed", field: "name") }
            if let nick = try body.string("nickname") { st.nickname = nick; try tx.put(st, namespace: ns, event: "update", resourceURI: st.resource_uri) }
            var works: [Work] = []
            if body.has("services") {
                let existing = try tx.children(Service.self, parent: uuid).filter { $0.state != "Terminated" }
                var siblings: [String: String] = [:]
                for s in existing { siblings[s.name] = s.resource_uri }
                for s in ordered { if let n = try s.string("name"), siblings[n] == nil { siblings[n] = ResourceURI.object(.service, namespace: ns, id: newUUID()) } }
                let wanted = Set(try ordered.compactMap { try $0.string("name") })
                var retargeted = Set<String>()
                for s in ordered {
                    let name = try s.string("name") ?? ""
                    if var current = existing.first(where: { $0.name == name }) {
                        let before = current
                        // Attributes left out of the stackfile go back to their defaults, as in a fresh service.
                        var fresh = Service()
                        fresh.uuid = current.uuid; fresh.resource_uri = current.resource_uri; fresh.name = current.name
                        fresh.image_name = current.image_name
                        _ = try ServiceSpec(siblings: siblings).apply(s, to: &fresh, creating: false, tx: tx, namespace: ns)
                        try checkHostAccess(fresh, ns)
                        copyConfig(from: fresh, to: &current)
                        if current != before && !current.containers.isEmpty { current.synchronized = false }
                        try tx.put(current, namespace: ns, event: "update", parents: [st.resource_uri], resourceURI: current.resource_uri)
                        retargeted.formUnion(linkTargets(before, current))
                    } else {
                        var created = try newService(tx, s, ns, stack: st, siblings: siblings)
                        if ["Running", "Partly running"].contains(st.state) {
                            works.append(try prepareServiceOperation(tx, &created, ns, "start"))
                        }
                    }
                }
                for var gone in existing where !wanted.contains(gone.name) {
                    works.append(try prepareServiceOperation(tx, &gone, ns, "terminate"))
                }
                try refreshLinkedFrom(tx, ns, targets: retargeted)
            }
            try refreshStack(tx, uuid)
            let a = try recordAction(tx, req, caller: caller, name: "Stack Update", object: st.resource_uri, async: !works.isEmpty)
            return (try tx.get(Stack.self, uuid) ?? st, a, works)
        }
        if !work.isEmpty {
            spawn(action, failure: "Stack update did not complete") {
                var ok = true
                for w in work { ok = await w() && ok }
                return ok
            }
        }
        return try .json(stack, actionURI: action.resource_uri)
    }

    /// Copies the container-defining configuration (everything a stackfile can say) between services.
    func copyConfig(from src: Service, to dst: inout Service) {
        let keep = (dst.uuid, dst.resource_uri, dst.name, dst.nickname, dst.state, dst.stack, dst.containers, dst.public_dns,
                    dst.deployed_datetime, dst.started_datetime, dst.stopped_datetime, dst.destroyed_datetime,
                    dst.current_num_containers, dst.running_num_containers, dst.stopped_num_containers, dst.synchronized,
                    dst.linked_from_service, dst.link_variables, dst.calculated_envvars)
        dst = src
        (dst.uuid, dst.resource_uri, dst.name, dst.nickname, dst.state, dst.stack, dst.containers, dst.public_dns,
         dst.deployed_datetime, dst.started_datetime, dst.stopped_datetime, dst.destroyed_datetime,
         dst.current_num_containers, dst.running_num_containers, dst.stopped_num_containers, dst.synchronized,
         dst.linked_from_service, dst.link_variables, dst.calculated_envvars) = keep
        dst.linked_to_service = dst.linked_to_service.map { ServiceLink(name: $0.name, from_service: dst.resource_uri, to_service: $0.to_service) }
    }

    func stackOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) throws -> APIResponse {
        let reuse = try reuseVolumes(req)
        let (stack, action, works) = try write { tx -> (Stack, Action, [Work]) in
            let ns = caller.namespace
            var st = try fetch(Stack.self, tx, uuid, caller)
            guard Lifecycle.stack.allows[op] != nil else { throw APIError.notFound("Unknown stack operation '\(op)'") }
            try Lifecycle.stack.check(op, st.state)
            var services = try tx.children(Service.self, parent: uuid).filter { $0.state != "Terminated" }
            // Link targets first, so that linking containers see their targets' addresses.
            services.sort { a, b in b.linked_to_service.contains { $0.to_service == a.resource_uri } }
            var works: [Work] = []
            for var s in services {
                let applicable: Bool
                switch op {
                case "start": applicable = ["Not running", "Stopped", "Partly running"].contains(s.state)
                case "stop": applicable = ["Running", "Partly running", "Starting"].contains(s.state)
                case "redeploy": applicable = ["Running", "Partly running", "Stopped", "Not running"].contains(s.state)
                default: applicable = true
                }
                if applicable { works.append(try prepareServiceOperation(tx, &s, ns, op, reuseVolumes: reuse)) }
            }
            guard let transient = ["start": "Starting", "stop": "Stopping", "redeploy": "Redeploying", "terminate": "Terminating"][op] else {
                throw APIError.badRequest("Unknown stack operation '\(op)'")
            }
            st.state = transient
            if op == "start" || op == "redeploy" { st.deployed_datetime = APIDate.rfc1123(Date()) }
            try tx.put(st, namespace: ns, event: "update", resourceURI: st.resource_uri)
            let a = try recordAction(tx, req, caller: caller, name: "Stack \(op.capitalized)", object: st.resource_uri, async: true)
            return (st, a, works)
        }
        let ns = caller.namespace
        spawn(action, failure: "Stack \(op) did not complete") {
            var ok = true
            if op == "stop" || op == "terminate" {
                ok = await withTaskGroup(of: Bool.self) { g in
                    for w in works { g.addTask { await w() } }
                    var all = true
                    for await r in g { all = all && r }
                    return all
                }
            } else {
                for w in works { ok = await w() && ok }
            }
            try? self.write { tx in
                if op == "terminate", var st = try tx.get(Stack.self, uuid) {
                    st.state = "Terminated"
                    st.destroyed_datetime = APIDate.rfc1123(Date())
                    try tx.put(st, namespace: ns, event: "delete", resourceURI: st.resource_uri)
                } else {
                    try self.refreshStack(tx, uuid, settle: true)
                }
            }
            return ok
        }
        return try accepted(stack, action)
    }

    /// The stack as the JSON form of a stackfile: `{service: {image, ...}}`, defaults left out.
    func exportStack(_ caller: Caller, _ uuid: String) throws -> APIResponse {
        let object: [String: JSONValue] = try read { tx in
            _ = try fetch(Stack.self, tx, uuid, caller)
            var out: [String: JSONValue] = [:]
            let services = try tx.children(Service.self, parent: uuid).filter { $0.state != "Terminated" }
            let names = Dictionary(services.map { ($0.resource_uri, $0.name) }, uniquingKeysWith: { a, _ in a })
            for s in services {
                var e: [String: JSONValue] = ["image": .string(s.image_name)]
                let d = Service()
                func str(_ k: String, _ v: String, _ def: String) { if v != def { e[k] = .string(v) } }
                func list(_ k: String, _ v: [String]) { if !v.isEmpty { e[k] = .array(v.map(JSONValue.string)) } }
                func bool(_ k: String, _ v: Bool) { if v { e[k] = .bool(true) } }
                str("command", s.run_command, d.run_command); str("entrypoint", s.entrypoint, d.entrypoint)
                str("autorestart", s.autorestart, d.autorestart); str("autodestroy", s.autodestroy, d.autodestroy)
                str("deployment_strategy", s.deployment_strategy, d.deployment_strategy); str("net", s.net, d.net)
                str("pid", s.pid, d.pid); str("working_dir", s.working_dir, d.working_dir); str("user", s.user, d.user)
                str("hostname", s.hostname, d.hostname); str("domainname", s.domainname, d.domainname)
                str("mac_address", s.mac_address, d.mac_address); str("cpuset", s.cpuset, d.cpuset)
                str("cgroup_parent", s.cgroup_parent, d.cgroup_parent)
                bool("privileged", s.privileged); bool("sequential_deployment", s.sequential_deployment)
                bool("autoredeploy", s.autoredeploy); bool("tty", s.tty); bool("stdin_open", s.stdin_open); bool("read_only", s.read_only)
                if s.target_num_containers != 1 { e["target_num_containers"] = .number(Double(s.target_num_containers)) }
                if let v = s.cpu_shares { e["cpu_shares"] = .number(Double(v)) }
                if let v = s.memory { e["mem_limit"] = .string("\(v)m") }
                if let v = s.memory_swap { e["memswap_limit"] = .string("\(v)m") }
                list("roles", s.roles); list("tags", s.tags.map(\.name)); list("dns", s.dns); list("dns_search", s.dns_search)
                list("cap_add", s.cap_add); list("cap_drop", s.cap_drop); list("devices", s.devices)
                list("extra_hosts", s.extra_hosts); list("security_opt", s.security_opt)
                if !s.container_envvars.isEmpty {
                    e["environment"] = .object(Dictionary(s.container_envvars.map { ($0.key, JSONValue.string($0.value)) }, uniquingKeysWith: { _, b in b }))
                }
                if !s.labels.isEmpty { e["labels"] = .object(s.labels.mapValues(JSONValue.string)) }
                let published = s.container_ports.filter(\.published).map { p -> JSONValue in
                    .string((p.outer_port.map { "\($0):" } ?? "") + "\(p.inner_port)" + (p.protocol_ == "udp" ? "/udp" : ""))
                }
                if !published.isEmpty { e["ports"] = .array(published) }
                let exposed = s.container_ports.filter { !$0.published }.map { JSONValue.string("\($0.inner_port)" + ($0.protocol_ == "udp" ? "/udp" : "")) }
                if !exposed.isEmpty { e["expose"] = .array(exposed) }
                let links = s.linked_to_service.map { l -> JSONValue in
                    let target = names[l.to_service] ?? ResourceURI.lastSegment(l.to_service)
                    return .string(target == l.name ? target : "\(target):\(l.name)")
                }
                if !links.isEmpty { e["links"] = .array(links) }
                let volumes = s.bindings.compactMap { b -> JSONValue? in
                    guard let c = b.container_path else { return nil }
                    return .string((b.host_path.map { "\($0):" } ?? "") + c + (b.rewritable ? "" : ":ro"))
                }
                if !volumes.isEmpty { e["volumes"] = .array(volumes) }
                let from = s.bindings.compactMap { b in b.volumes_from.map { JSONValue.string(names[$0] ?? ResourceURI.lastSegment($0)) } }
                if !from.isEmpty { e["volumes_from"] = .array(from) }
                out[s.name] = .object(e)
            }
            return out
        }
        return try .json(JSONValue.object(object))
    }

    // MARK: - Triggers

    func listTriggers(_ req: APIRequest, _ caller: Caller, _ service: String) throws -> APIResponse {
        _ = try read { tx in try fetch(Service.self, tx, service, caller) }
        return try list(Trigger.self, req, namespaces: [caller.namespace], extra: ("parent = ?", [service]))
    }

    func createTrigger(_ req: APIRequest, _ caller: Caller, _ service: String) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["name", "operation"])
        let (trigger, action) = try write { tx -> (Trigger, Action) in
            let s = try fetch(Service.self, tx, service, caller)
            try Lifecycle.service.check("trigger", s.state, as: "add a trigger to")
            var t = Trigger()
            t.uuid = newUUID()
            t.operation = try body.choice("operation", Choices.triggerOperation) ?? "REDEPLOY"
            t.name = try body.string("name") ?? "\(s.name)-\(t.operation.lowercased())"
            t.resource_uri = ResourceURI.trigger(namespace: caller.namespace, service: service, trigger: t.uuid)
            t.url = t.resource_uri + "call/"
            try tx.put(t, namespace: caller.namespace)
            let a = try recordAction(tx, req, caller: caller, name: "Trigger Create", object: s.resource_uri, async: false)
            return (t, a)
        }
        return try .json(trigger, status: .created, actionURI: action.resource_uri)
    }

    func getTrigger(_ caller: Caller, _ service: String, _ uuid: String) throws -> APIResponse {
        try read { tx in
            let t = try fetch(Trigger.self, tx, uuid, caller)
            guard t.indexParent == service else { throw APIError.notFound("No trigger '\(uuid)' on service '\(service)'") }
            return try .json(t)
        }
    }

    func deleteTrigger(_ req: APIRequest, _ caller: Caller, _ service: String, _ uuid: String) throws -> APIResponse {
        let (trigger, action) = try write { tx -> (Trigger, Action) in
            let t = try fetch(Trigger.self, tx, uuid, caller)
            guard t.indexParent == service else { throw APIError.notFound("No trigger '\(uuid)' on service '\(service)'") }
            try tx.delete(Trigger.self, uuid)
            return (t, try recordAction(tx, req, caller: caller, name: "Trigger Delete", object: ResourceURI.object(.service, namespace: caller.namespace, id: service), async: false))
        }
        // Every answer carries a JSON body (clients parse them all): the trigger as it was.
        return try .json(trigger, actionURI: action.resource_uri)
    }

    /// `POST .../trigger/<uuid>/call/[N/]`: no credentials; the trigger's URL is the secret.
    func callTrigger(_ req: APIRequest, serviceUUID: String, triggerUUID: String, amount: String?) async throws -> APIResponse {
        let (service, action, work) = try write { tx -> (Service, Action, Work) in
            guard let t = try tx.get(Trigger.self, triggerUUID), t.indexParent == serviceUUID,
                  let ns = try tx.namespace(of: Trigger.self, triggerUUID),
                  req.namespace == nil || req.namespace == ns,
                  var s = try tx.get(Service.self, serviceUUID) else {
                throw APIError.notFound("No such trigger")
            }
            let caller = Caller(user: ns, namespace: ns, visible: [ns])
            let op: String
            if t.operation == "SCALEUP" {
                var n = 1
                if let amount {
                    guard let v = Int(amount), v >= 1, v <= 100 else { throw APIError.badRequest("The scale-up amount must be a number from 1 to 100, got '\(amount)'") }
                    n = v
                }
                s.target_num_containers += n
                try tx.put(s, namespace: ns, event: "update", parents: s.stack.map { [$0] } ?? [], resourceURI: s.resource_uri)
                op = "scale"
            } else {
                op = "redeploy"
            }
            let work = try prepareServiceOperation(tx, &s, ns, op)
            var a = try recordAction(tx, req, caller: caller, name: "Service \(op.capitalized)", object: s.resource_uri, async: true)
            a.is_user_action = false
            try tx.put(a, namespace: ns)
            try actionLog(tx, a.uuid, "Trigger '\(t.name)' called: \(op) of service \(s.name)\n")
            return (try tx.get(Service.self, serviceUUID) ?? s, a, work)
        }
        spawn(action, failure: "Triggered operation did not complete", work)
        return try accepted(service, action)
    }
}

/// Quotes a value for inclusion in an SQL string literal (namespaces are validated names already).
