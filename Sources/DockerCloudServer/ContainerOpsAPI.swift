import DockerCloudAPI
import DockerEngineAPI
import Foundation
import HTTPTypes

/// `/api/app/v1/[ns/]container/<uuid>/<operation>/`: the engine's own operations on a container,
/// an extension of the Docker Cloud API with the same authentication and namespaces. They need a
/// node with a real engine; on simulated nodes they answer 400 rather than make something up.
extension ControlPlane {
    /// How messages name each operation (the CLI's verbs: `diff` lists changes, `cp` uses archives).
    static let operationWords: [String: (verb: String, command: String)] = [
        "top": ("list the processes of", "top"), "stats": ("get the stats of", "stats"), "changes": ("list the changes of", "diff"),
        "export": ("export", "export"), "archive": ("copy files of", "cp"), "kill": ("kill", "kill"), "pause": ("pause", "pause"),
        "unpause": ("unpause", "unpause"), "wait": ("wait for", "wait"), "rename": ("rename", "rename"), "update": ("update", "update"),
        "attach": ("attach to", "attach"),
    ]

    func routeContainerOperation(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ op: String) async throws -> APIResponse {
        let (container, spec, ops) = try operable(caller, uuid, op)
        do {
            switch op {
            case "top":
                do {
                    return try .json(try await ops.top(spec, psArgs: req.queryValue("ps_args")))
                } catch let e as EngineError where e.status == 500 && e.message.contains("ps") {
                    // The engine runs the host's ps with the arguments given: its complaint is about them.
                    throw APIError.badRequest(ControlPlane.engineReason(e, container: container.name), field: "ps_args")
                }
            case "stats":
                return APIResponse(status: .ok, body: Data(try await ops.stats(spec)), actionURI: nil)
            case "changes":
                return try .json(try await ops.changes(spec))
            case "export":
                var answer = APIResponse(status: .ok, body: Data(), actionURI: nil)
                answer.contentType = "application/x-tar"
                answer.produce = { write in try await ops.export(spec, write) }
                return answer
            case "archive":
                return try await archive(req, spec, ops)
            case "kill":
                let signal = req.queryValue("signal") ?? "SIGKILL"
                guard !signal.isEmpty, signal.count <= 16, signal.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    throw APIError.badRequest("signal: expected a signal name or number such as SIGHUP or 9, got '\(signal)'", field: "signal")
                }
                try await ops.kill(spec, signal: signal)
                return try recorded(req, caller, container, "Container Kill", "Sent \(signal) to container \(container.name)\n")
            case "pause":
                try await ops.pause(spec)
                return try recorded(req, caller, container, "Container Pause", "Paused container \(container.name)\n")
            case "unpause":
                try await ops.unpause(spec)
                return try recorded(req, caller, container, "Container Unpause", "Unpaused container \(container.name)\n")
            case "wait":
                return try .json(["StatusCode": try await ops.wait(spec)])
            case "rename":
                return try await rename(req, caller, container, spec, ops)
            default:
                return try await update(req, caller, container, spec, ops)
            }
        } catch let error as EngineError {
            throw ControlPlane.engineFailure(error, container: container.name)
        }
    }

    /// The container, its spec for the driver, and the driver's operations; refuses what its
    /// state or node cannot do.
    private func operable(_ caller: Caller, _ uuid: String, _ op: String) throws -> (Container, ContainerSpec, any ContainerOperations) {
        let (c, spec) = try runnable(caller, uuid, op, as: ControlPlane.operationWords[op]?.verb)
        return (c, spec, try engineOperations(op, node: spec.node))
    }

    /// The driver's engine operations, or the 400 that says this server's nodes have none.
    func engineOperations(_ op: String, node: NodeSpec) throws -> any ContainerOperations {
        guard let ops = driver.operations(for: node) else {
            throw APIError.badRequest("Container \(ControlPlane.operationWords[op]?.command ?? op) needs nodes with a Docker engine; this server's nodes are simulated (docker-cloud-server --engine)")
        }
        return ops
    }

    /// A container of the caller's whose state allows `op`, with the spec its driver needs.
    func runnable(_ caller: Caller, _ uuid: String, _ op: String, as verb: String? = nil) throws -> (Container, ContainerSpec) {
        try read { tx in
            let c = try fetch(Container.self, tx, uuid, caller)
            try Lifecycle.container.check(op, c.state, as: verb)
            guard let n = c.node, let node = try tx.get(Node.self, ResourceURI.lastSegment(n)) else {
                throw APIError.state("container", "without node", verb ?? op)
            }
            return (c, try containerSpec(tx, c, node, caller.namespace))
        }
    }

    /// `HEAD` stats a path (`X-Docker-Container-Path-Stat`), `GET` gives it as a tar, `PUT` unpacks
    /// a tar into the directory at `path`.
    private func archive(_ req: APIRequest, _ spec: ContainerSpec, _ ops: any ContainerOperations) async throws -> APIResponse {
        guard let path = req.queryValue("path"), path.hasPrefix("/"), path.utf8.count <= 4096, !path.contains("\0") else {
            throw APIError.badRequest("path: expected an absolute path in the container", field: "path")
        }
        switch req.method {
        case .put:
            try await ops.putArchive(spec, path: path, tar: Array(req.body))
            return APIResponse(status: .ok, body: Data(), actionURI: nil)
        default:
            let stat = try await ops.statPath(spec, path: path)
            var answer = APIResponse(status: .ok, body: Data(), actionURI: nil)
            answer.headers = [("X-Docker-Container-Path-Stat", stat)]
            if req.method == .get {
                answer.contentType = "application/x-tar"
                answer.produce = { write in try await ops.getArchive(spec, path: path, write) }
            }
            return answer
        }
    }

    private func rename(_ req: APIRequest, _ caller: Caller, _ container: Container, _ spec: ContainerSpec,
                        _ ops: any ContainerOperations) async throws -> APIResponse {
        guard let name = req.queryValue("name"), ServiceSpec.isValidName(name) else {
            throw APIError.badRequest("name: expected a container name (letters, digits, '-' and '_', up to 64)", field: "name")
        }
        let clash = try read { tx in
            try tx.all(Container.self, where: "namespace = ? AND name = ? AND state != 'Terminated'", [caller.namespace, name]).contains { $0.uuid != container.uuid }
        }
        if clash { throw APIError.conflict("A container named '\(name)' exists already in namespace '\(caller.namespace)'") }
        try await ops.rename(spec, to: name)
        return try recorded(req, caller, container, "Container Rename", "Renamed container \(container.name) to \(name)\n") { c in
            c.name = name
            c.public_dns = "\(name).\(caller.namespace).cont.\(self.config.domain)"
        }
    }

    /// New resource limits for a running container: `cpu_shares`, `memory`, `memory_swap` (MB) and `cpuset`.
    private func update(_ req: APIRequest, _ caller: Caller, _ container: Container, _ spec: ContainerSpec,
                        _ ops: any ContainerOperations) async throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["cpu_shares", "memory", "memory_swap", "cpuset"])
        let limit = 1 << 40
        let cpuShares = body.has("cpu_shares") ? try body.lenientInt("cpu_shares", min: 0).map { min($0, 262_144) } : nil
        let memory = body.has("memory") ? try body.lenientInt("memory", min: 0).map { min($0, limit) } : nil
        let swap = body.has("memory_swap") ? try body.lenientInt("memory_swap", min: -1).map { min($0, limit) } : nil
        let cpuset = try body.string("cpuset")
        guard cpuShares != nil || memory != nil || swap != nil || cpuset != nil else {
            throw APIError.badRequest("Nothing to update: give cpu_shares, memory, memory_swap or cpuset")
        }
        // A new memory limit alone would clash with the swap limit the engine already has; like
        // `docker run -m`, swap is then left unlimited.
        try await ops.update(spec, cpuShares: cpuShares, memory: memory, memorySwap: swap ?? (memory != nil ? -1 : nil), cpuset: cpuset)
        return try recorded(req, caller, container, "Container Update", "Updated the resource limits of container \(container.name)\n") { c in
            if let cpuShares { c.cpu_shares = cpuShares }
            if let memory { c.memory = memory }
            if let swap { c.memory_swap = swap }
            if let cpuset { c.cpuset = cpuset }
        }
    }

    /// Records a done operation as an action (and applies `change` to the container in the same
    /// transaction); answers the container.
    private func recorded(_ req: APIRequest, _ caller: Caller, _ container: Container, _ name: String, _ log: String,
                          change: ((inout Container) -> Void)? = nil) throws -> APIResponse {
        let (c, action) = try write { tx -> (Container, Action) in
            var c = try tx.get(Container.self, container.uuid) ?? container
            if let change {
                change(&c)
                try putContainer(tx, c, caller.namespace)
            }
            let a = try recordAction(tx, req, caller: caller, name: name, object: c.resource_uri, async: false)
            try actionLog(tx, a.uuid, log)
            return (c, a)
        }
        return try .json(c, actionURI: action.resource_uri)
    }

    /// An engine's refusal as the client's answer: its own status and message where it speaks of
    /// the request (400, 404, 409), 502/503/504 where the engine itself failed.
    /// The engine's reason as a client should read it: its own words (not our call to it), with
    /// the container's name where the engine put its own id.
    static func engineReason(_ error: EngineError, container: String?) -> String {
        var reason = error.reason
        if let container {
            reason = reason.replacingOccurrences(of: "[0-9a-f]{64}", with: container, options: .regularExpression)
        }
        return reason
    }

    static func engineFailure(_ error: EngineError, container: String? = nil) -> APIError {
        let reason = engineReason(error, container: container)
        switch error.kind {
        case .status(404) where reason.hasPrefix("HTTP 404"):
            return APIError.notFound("No such file or directory in the container")
        case .status(let code) where [400, 404, 409].contains(code):
            return APIError(status: HTTPResponse.Status(code: code), message: reason)
        case .unsupported:
            return APIError(status: .badRequest, message: reason)
        case .timeout:
            return APIError(status: .gatewayTimeout, message: "The node's engine did not answer in time: \(error.message)")
        case .unreachable, .tls:
            return APIError(status: .serviceUnavailable, message: "The node's engine cannot be reached: \(error.message)")
        default:
            return APIError(status: .badGateway, message: "The node's engine failed: \(reason)")
        }
    }
}
