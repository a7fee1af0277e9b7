import AsyncAlgorithms
import DockerCloudAPI
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import NIOCore

/// The stream API: websockets on the REST listener, authenticated like REST in the handshake.
/// `/api/audit/v1/[ns/]events`, `/api/{app,audit}/v1/[ns/]{container,service,action}/<uuid>/logs/`
/// and `/api/app/v1/[ns/]container/<uuid>/exec/`.
enum StreamTarget: Sendable {
    case events(namespace: String, type: String?, object: String?, parent: String?)
    case logs(owners: [String], source: LogSource, tail: Int?, follow: Bool)
    case exec(container: ContainerSpec, command: String, tty: Bool)
    /// Our extension: the engine's stats samples, and a container's stdio.
    case stats(container: ContainerSpec)
    case attach(container: ContainerSpec)

    enum LogSource: Sendable { case container(String), service(String), action(String) }
}

extension ControlPlane {
    /// Whether a request path is a stream endpoint (so that a plain HTTP request to it can be told so).
    static func isStreamPath(_ req: APIRequest) -> Bool {
        let s = req.segments
        if req.subsystem == .audit, s == ["events"] { return true }
        return s.count == 3 && ["logs", "exec", "attach"].contains(s[2])
    }

    /// Paths a websocket may be opened on: the stream endpoints, and `stats`, which answers one
    /// sample to a plain GET and streams them over a websocket.
    static func isUpgradablePath(_ req: APIRequest) -> Bool {
        isStreamPath(req) || (req.subsystem == .app && req.segments.count == 3 && req.segments[0] == "container" && req.segments[2] == "stats")
    }

    /// Authenticates and resolves a stream request; throws the APIError to answer instead.
    func streamTarget(_ req: APIRequest) throws -> StreamTarget {
        let caller = try authorize(req)
        let s = req.segments
        func flag(_ name: String, default value: Bool) throws -> Bool {
            guard let v = req.queryValue(name) else { return value }
            switch v.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw APIError.badRequest("\(name): expected true or false, got '\(v)'", field: name)
            }
        }
        func tail() throws -> Int? {
            guard let v = req.queryValue("tail"), !v.isEmpty else { return 300 }
            if v == "all" { return nil }
            guard let n = Int(v), n >= 0 else { throw APIError.badRequest("tail: expected a number of lines, got '\(v)'", field: "tail") }
            return n
        }
        switch (req.subsystem, s.first, s.count, s.last) {
        case (.audit, "events", 1, _):
            return .events(namespace: caller.namespace, type: req.queryValue("type"), object: req.queryValue("object"), parent: req.queryValue("parent"))
        case (.app, "container", 3, "logs"):
            let c = try read { tx in try fetch(Container.self, tx, s[1], caller) }
            return .logs(owners: [c.uuid], source: .container(c.uuid), tail: try tail(), follow: try flag("follow", default: true))
        case (.app, "service", 3, "logs"):
            let owners: [String] = try read { tx in
                let svc = try fetch(Service.self, tx, s[1], caller)
                return [svc.uuid] + (try tx.children(Container.self, parent: svc.uuid).map(\.uuid))
            }
            return .logs(owners: owners, source: .service(s[1]), tail: try tail(), follow: try flag("follow", default: true))
        case (.audit, "action", 3, "logs"):
            // Clients put their namespace in this URL even though actions are not namespaced, so
            // any action the caller may see is served.
            let a = try read { tx in try visibleAction(tx, s[1], caller.visible.sorted()) }
            return .logs(owners: [a.uuid], source: .action(a.uuid), tail: try tail(), follow: try flag("follow", default: true))
        case (.app, "container", 3, "exec"):
            let (_, spec) = try runnable(caller, s[1], "exec", as: "exec in")
            // Docker Cloud's exec gave the command a terminal; `tty=false` (docker-cloud without a
            // terminal on its side) asks for plain pipes.
            return .exec(container: spec, command: req.queryValue("command") ?? "sh", tty: try flag("tty", default: true))
        case (.app, "container", 3, "stats"), (.app, "container", 3, "attach"):
            let (_, spec) = try runnable(caller, s[1], s[2], as: ControlPlane.operationWords[s[2]]?.verb)
            _ = try engineOperations(s[2], node: spec.node)
            return s[2] == "stats" ? .stats(container: spec) : .attach(container: spec)
        default:
            throw APIError.notFound("No stream endpoint at \(req.rawPath)")
        }
    }

    /// Serves an upgraded websocket until either side is done.
    func serveStream(_ target: StreamTarget, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        switch target {
        case .events(let ns, let type, let object, let parent):
            let stream = events.subscribe { e in
                e.namespace == ns && (type == nil || e.event.type == type) && (object == nil || e.event.resource_uri == object)
                    && parent.map { e.event.parents.contains($0) } ?? true
            }
            await untilClosed(inbound) {
                for await e in stream {
                    let json = e.json
                    if !json.isEmpty { try await outbound.write(.text(json)) }
                }
            }
        case .logs(let owners, let source, let tail, let follow):
            await serveLogs(owners: owners, source: source, tail: tail, follow: follow, inbound: inbound, outbound: outbound)
        case .exec(let container, let command, let tty):
            await serveExec(container: container, command: command, tty: tty, inbound: inbound, outbound: outbound)
        case .stats(let container):
            guard let ops = driver.operations(for: container.node) else { return }
            await untilClosed(inbound) {
                try await ops.streamStats(container) { sample in
                    try await outbound.write(.text(String(decoding: sample, as: UTF8.self)))
                    return true
                }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        case .attach(let container):
            await serveAttach(container: container, inbound: inbound, outbound: outbound)
        }
    }

    /// Runs `body` until it ends or the client goes away, whichever comes first.
    func untilClosed(_ inbound: WebSocketInboundStream, _ body: @escaping @Sendable () async throws -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { do { for try await _ in inbound {} } catch {} }
            group.addTask { try? await body() }
            await group.next()
            group.cancelAll()
        }
    }

    func serveLogs(owners: [String], source: StreamTarget.LogSource, tail: Int?, follow: Bool,
                   inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        // Subscribe before reading the tail so nothing falls between the two; seq removes the overlap.
        let key: String
        switch source { case .container(let u), .service(let u), .action(let u): key = u }
        let ownerSet = Set(owners)
        let live = follow ? liveLogs.subscribe { l in l.owners.contains(key) || l.owners.contains(where: ownerSet.contains) } : nil
        let ended = follow ? events.subscribe { e in e.event.resource_uri.contains("/\(key)/") && ["Terminated", "Success", "Failed", "Canceled"].contains(e.event.state ?? "") } : nil
        await untilClosed(inbound) { [self] in
            let rows = (try? self.read { tx in try tx.logs(owners: owners, tail: tail) }) ?? []
            var last: Int64 = 0
            for r in rows {
                last = r.seq
                let isAction: Bool
                if case .action = source { isAction = true } else { isAction = false }
                let msg = LogMessage(source: isAction ? nil : r.source, log: r.line, streamType: isAction ? nil : r.stream, timestamp: r.ts)
                try await outbound.write(.text(String(decoding: try Tx.encoder.encode(msg), as: UTF8.self)))
            }
            guard let live else { return }
            let threshold = last
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await l in live where l.seq > threshold {
                        try await outbound.write(.text(String(decoding: try Tx.encoder.encode(l.message), as: UTF8.self)))
                    }
                }
                group.addTask {
                    // The stream of a container or action ends with it.
                    if case .service = source { try await Task.sleep(for: .seconds(86400 * 365)) }
                    if let ended { for await _ in ended { try await Task.sleep(for: .milliseconds(100)); return } }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }

    /// A piece of a process's output, as Docker Cloud's exec stream framed it.
    static func writeOutput(_ outbound: WebSocketOutboundWriter, _ stream: String, _ bytes: [UInt8]) async {
        struct Frame: Encodable { var type = "output"; var streamType: String; var output: String }
        if let data = try? Tx.encoder.encode(Frame(streamType: stream, output: String(decoding: bytes, as: UTF8.self))) {
            try? await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        }
    }

    static func writeError(_ outbound: WebSocketOutboundWriter, _ error: any Error) async {
        struct ErrorFrame: Encodable { var type = "error"; var data: [String: String] }
        if let data = try? Tx.encoder.encode(ErrorFrame(data: ["errorMessage": "\(error)"])) {
            try? await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        }
    }

    /// The largest message a client may send to a process's stdin (a larger one ends the session);
    /// with `ProcessInput`'s backpressure it is also what one session can hold of unread input.
    static let maxInputMessage = 1 << 20

    /// The client's side of a process session: its messages fed to the process's stdin until it
    /// leaves, and a signal of that (which can be waited for without stopping the feeding).
    struct ClientInput {
        let task: Task<Void, Never>
        let left: AsyncStream<Void>
    }

    /// Feeds the client's messages to `input`, then ends the input. `control` may take a text
    /// message for itself (true: it is not input).
    static func feed(_ input: ProcessInput, from inbound: WebSocketInboundStream,
                     control: @escaping @Sendable (String) -> Bool = { _ in false }) -> ClientInput {
        let (left, leaving) = AsyncStream<Void>.makeStream()
        let task = Task {
            do {
                for try await message in inbound.messages(maxSize: maxInputMessage) {
                    switch message {
                    case .text(let t): if !control(t) { await input.send(Array(t.utf8)) }
                    case .binary(let b): await input.send(Array(b.readableBytesView))
                    }
                }
            } catch {}
            input.finish()
            leaving.finish()
        }
        return ClientInput(task: task, left: left)
    }

    /// Runs `process` (an exec'd command, an attachment) while the client feeds it; its result, or
    /// nil when the client left first, which cancels the process: a session is the client's, not
    /// left running unseen, holding the connection until the process ends. The client's input
    /// keeps being read after the process ends, until the caller stops it.
    static func untilClientLeaves<T: Sendable>(_ client: ClientInput, _ process: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await process() }
            group.addTask { for await _ in client.left {}; return nil }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// The container's stdio: output frames as exec sends them; text or binary messages go to its
    /// stdin when it keeps one open. Ends when the container's process ends or the client leaves
    /// (a detach: the container runs on).
    func serveAttach(container: ContainerSpec, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        guard let ops = driver.operations(for: container.node) else { return }
        let input = ProcessInput()
        let client = Self.feed(input, from: inbound)
        do {
            _ = try await Self.untilClientLeaves(client) {
                try await ops.attach(container, input: input) { stream, bytes in await Self.writeOutput(outbound, stream, bytes) }
            }
        } catch {
            await Self.writeError(outbound, error)
        }
        client.task.cancel()
        input.finish()
        try? await outbound.close(.normalClosure, reason: nil)
    }

    func serveExec(container: ContainerSpec, command: String, tty: Bool, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let input = ProcessInput()
        let (sizes, resize) = AsyncStream<(width: Int, height: Int)>.makeStream(bufferingPolicy: .bufferingNewest(1))
        struct Resize: Decodable { var type: String; var width: Int; var height: Int }
        let client = Self.feed(input, from: inbound) { t in
            if t.hasPrefix("{\"type\":\"resize\"") {
                if let r = try? JSONDecoder().decode(Resize.self, from: Data(t.utf8)), (1...10_000).contains(r.width), (1...10_000).contains(r.height) {
                    resize.yield((r.width, r.height))
                }
                return true
            }
            // Without a terminal, Ctrl-D alone is docker-cloud's end of input (1.0.9's protocol
            // has no other way to say it): the command reads end-of-file.
            if !tty, t == "\u{04}" { input.finish(); return true }
            return false
        }
        let driver = self.driver
        let io = ExecIO(tty: tty, input: input, resize: sizes, output: { stream, bytes in await Self.writeOutput(outbound, stream, bytes) })
        let code: Int?
        do {
            code = try await Self.untilClientLeaves(client) { try await driver.exec(container, command: command, io: io) }
        } catch {
            await Self.writeError(outbound, error)
            code = 126
        }
        guard let code else {
            input.finish()
            resize.finish()
            return
        }
        // A moment before closing: a client that writes stdin in a loop (docker-cloud 1.0.9 without
        // a terminal) reads the last output first instead of losing it to a reset connection.
        try? await Task.sleep(for: .milliseconds(250))
        client.task.cancel()
        input.finish()
        resize.finish()
        // The exit status travels in the close reason, where clients that do not know it ignore it.
        try? await outbound.close(.normalClosure, reason: "exit code \(code)")
    }
}
