import DockerCloudAPI
import DockerEngineAPI
import Foundation
import Logging
import NIOCore
import Synchronization

/// Nodes that are Docker engines. Each `--engine` is a host; nodes are put on hosts round-robin
/// and remember theirs (`NodeSpec.host`). Containers carry labels that tie them to ours (see
/// `EngineLabels`); their state follows each host's event stream, their output the engine's log
/// (with the engine's timestamps).
final class EngineDriver: NodeDriver {
    let name = "engine"

    struct Host: Sendable {
        let key: String
        let client: EngineClient
    }

    /// What we watch of one container of ours while it runs.
    private struct Tracked {
        var host: String
        var engineID: String
        var io: any ContainerIO
        var tty: Bool
        var logs: Task<Void, Never>?
        /// Set once the exit of the current start was reported, so that a `die` event and an
        /// inspect that both saw it report it once.
        var exitReported = false
        var oomKilled = false
    }

    /// The engines given with `--engine`, in order (new nodes go round-robin over them).
    let configured: [Host]
    /// Every host in use: the configured ones and those of nodes brought by users, which are
    /// made from their key when first needed (after a restart too).
    private let table: Mutex<[String: Host]>
    /// The server's client certificate for engines of nodes brought by users (DATA/ca/client).
    let nodeTLS: EngineEndpoint.TLSFiles?
    let maxVersion: APIVersion
    let serverID: String
    let logger: Logger
    /// Seconds a stop waits for the main process before the engine kills it.
    let stopGrace = 10
    private let nextHost = Atomic<Int>(0)
    private let tracked = Mutex<[String: Tracked]>([:])
    private let watchers = Mutex<[String: Task<Void, Never>]>([:])
    private let negotiated = Mutex<Set<String>>([])
    /// "host image" pairs known to be on the engine, so a start costs no image check after the first.
    private let images = Mutex<Set<String>>([])

    init(endpoints: [EngineEndpoint], nodeTLS: EngineEndpoint.TLSFiles? = nil, maxVersion: APIVersion, serverID: String, logger: Logger) throws {
        self.maxVersion = maxVersion
        configured = try endpoints.map { e in Host(key: e.description, client: try Self.client(e, maxVersion)) }
        table = Mutex(Dictionary(configured.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }))
        self.nodeTLS = nodeTLS
        self.serverID = serverID
        self.logger = logger
    }

    private static func client(_ e: EngineEndpoint, _ maxVersion: APIVersion) throws -> EngineClient {
        try EngineClient(endpoint: e, maxVersion: maxVersion, connectTimeout: .seconds(5), requestTimeout: .seconds(30))
    }

    /// The key of a node brought by a user: its engine's TLS address and the certificate it was
    /// given, so that the key alone says how to reach it and whom to trust there.
    static func broughtHostKey(address: String, port: Int, certificateSHA256: [UInt8]) -> String {
        let host = address.contains(":") ? "[\(address)]" : address
        return "tcp://\(host):\(port) sha256:" + certificateSHA256.map { String(format: "%02x", $0) }.joined()
    }

    private func broughtHost(_ key: String) throws -> Host? {
        guard let nodeTLS, key.hasPrefix("tcp://"), let space = key.firstIndex(of: " ") else { return nil }
        let pinText = key[key.index(after: space)...]
        guard pinText.hasPrefix("sha256:") else { return nil }
        guard let pin = ControlPlane.hexBytes(String(pinText.dropFirst("sha256:".count))), pin.count == 32 else { return nil }
        var endpoint = try EngineEndpoint(parsing: String(key[..<space]), certDirectory: nil)
        endpoint.tls = nodeTLS
        endpoint.pinnedCertificateSHA256 = pin
        return Host(key: key, client: try Self.client(endpoint, maxVersion))
    }

    /// Stops following a brought host and closes nothing else: its node was removed.
    func forget(hostKey key: String) {
        guard !configured.contains(where: { $0.key == key }) else { return }
        table.withLock { _ = $0.removeValue(forKey: key) }
        negotiated.withLock { _ = $0.remove(key) }
        watchers.withLock { $0.removeValue(forKey: key) }?.cancel()
        let gone = tracked.withLock { t -> [Task<Void, Never>?] in
            let mine = t.filter { $0.value.host == key }
            for k in mine.keys { t.removeValue(forKey: k) }
            return mine.values.map(\.logs)
        }
        for task in gone { task?.cancel() }
    }

    deinit {
        for task in watchers.withLock({ Array($0.values) }) { task.cancel() }
    }

    /// The node's host, its API version negotiated (once per host: after a restart of the
    /// server, nodes are not deployed again).
    private func host(_ node: NodeSpec) async throws -> Host {
        let h = try lookup(node)
        if !negotiated.withLock({ $0.contains(h.key) }) {
            try await h.client.negotiate()
            negotiated.withLock { _ = $0.insert(h.key) }
        }
        return h
    }

    private func lookup(_ node: NodeSpec) throws -> Host {
        if let key = node.host, let h = table.withLock({ $0[key] }) { return h }
        if let key = node.host, let made = try broughtHost(key) {
            return table.withLock { t in
                if let h = t[key] { return h }
                t[key] = made
                return made
            }
        }
        if let key = node.host { throw DriverError(description: "node \(node.uuid) is on \(key), which this server was not started with (--engine)") }
        throw DriverError(description: "node \(node.uuid) has not been deployed to an engine")
    }

    // MARK: - Nodes

    func deployNode(_ node: NodeSpec) async throws -> NodeFacts {
        let h: Host
        if node.host != nil { h = try await host(node) } else {
            guard !configured.isEmpty else { throw DriverError(description: "no engine to deploy node \(node.uuid) on: bring a host with `docker-cloud node byo`") }
            let n = nextHost.wrappingAdd(1, ordering: .relaxed).oldValue
            h = configured[n % configured.count]
        }
        return try await facts(h)
    }

    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts {
        try await facts(try await host(node))
    }

    private func facts(_ h: Host) async throws -> NodeFacts {
        try await h.client.negotiate()
        negotiated.withLock { _ = $0.insert(h.key) }
        let info = try await h.client.info()
        watch(h)
        var ip = "127.0.0.1"
        if case .tcp(let address, _) = h.client.endpoint.address { ip = address }
        var limits = h.client.missingFeatures.map { "\($0.rawValue) (needs API \($0.since))" }
        if !limits.isEmpty { limits.insert("Engine API \(h.client.version)", at: 0) }
        return NodeFacts(cpu: info.NCPU ?? 1, memory: (info.MemTotal ?? 0) >> 20, disk: 0,
                         dockerVersion: info.ServerVersion ?? "", execDriver: info.ExecutionDriver ?? "runc",
                         graphDriver: info.Driver ?? "", publicIP: ip, host: h.key, limitations: limits)
    }

    /// The node's containers are the control plane's to remove, container by container; a host
    /// brought by a user is then forgotten (its certificate no longer opens a connection).
    func terminateNode(_ node: NodeSpec) async throws {
        if let key = node.host { forget(hostKey: key) }
    }

    /// One slow answer is not a lost node: a ping that fails is tried once more before the node is
    /// reported unreachable (a loaded engine once took over 3 s, and a deploy then found no node).
    func checkNode(_ node: NodeSpec) async -> Bool {
        guard let h = try? lookup(node) else { return false }
        for attempt in 1...2 where !Task.isCancelled {
            do {
                try await h.client.ping(timeout: .seconds(3))
                return true
            } catch {
                logger.notice("node \(node.uuid): ping \(attempt) of 2 to \(h.key) failed: \(error)")
            }
        }
        return false
    }

    // MARK: - Containers

    func prepareImage(_ spec: ContainerSpec, progress: @escaping @Sendable (String) -> Void) async throws {
        let h = try await host(spec.node)
        let key = h.key + " " + spec.image
        if images.withLock({ $0.contains(key) }) { return }
        if try await !h.client.hasImage(spec.image) {
            progress("Pulling \(spec.image) on \(spec.node.name)\n")
            let auth = spec.registryAuth.map { RegistryAuth(username: $0.username, password: $0.password, serveraddress: $0.server) }
            try await h.client.pullImage(spec.image, auth: auth) { message in
                let line = message.text
                if !line.isEmpty { progress(line + "\n") }
            }
        }
        images.withLock { _ = $0.insert(key) }
    }

    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws -> StartedContainer {
        let h = try await host(spec.node)
        // The engine container of an earlier start (a restart), else a new one. The engine name is
        // fixed by our uuid, so a create that an interrupted attempt already made conflicts, and
        // the existing container is used: never two for one of ours.
        var id = trackedEngineID(spec.uuid)
        if id == nil { id = try await create(spec, on: h) }
        guard var engineID = id else { throw DriverError(description: "no engine container for \(spec.name)") }
        track(spec.uuid, Tracked(host: h.key, engineID: engineID, io: io, tty: spec.tty))
        do {
            do {
                try await h.client.startContainer(engineID)
            } catch let e as EngineError where e.isNotFound {
                // Removed behind our back since: make it again.
                engineID = try await create(spec, on: h)
                track(spec.uuid, Tracked(host: h.key, engineID: engineID, io: io, tty: spec.tty))
                try await h.client.startContainer(engineID)
            }
        } catch {
            untrack(spec.uuid)
            throw error
        }
        return try await followStarted(spec.uuid, h, engineID, since: nil)
    }

    private func create(_ spec: ContainerSpec, on h: Host) async throws -> String {
        var volumesFrom: [String] = []
        for other in spec.volumesFrom {
            if let found = try await find(other, on: h).first { volumesFrom.append(found.Id) }
        }
        let config = EngineContainerConfig.make(spec, serverID: serverID, volumesFrom: volumesFrom)
        do {
            return try await h.client.createContainer(name: EngineContainerConfig.engineName(spec), config).Id
        } catch let e as EngineError where e.isConflict {
            guard let existing = try await find(spec.uuid, on: h).first else { throw e }
            return existing.Id
        } catch let e as EngineError where e.isNotFound {
            // The image went away since it was checked: its check must be made again.
            images.withLock { _ = $0.remove(h.key + " " + spec.image) }
            throw e
        }
    }

    func adoptContainer(_ spec: ContainerSpec, io: any ContainerIO, since: Date?) async throws -> StartedContainer {
        let h = try await host(spec.node)
        guard let found = try await find(spec.uuid, on: h).first else {
            throw DriverError(description: "container \(spec.name) is not on \(h.key)")
        }
        track(spec.uuid, Tracked(host: h.key, engineID: found.Id, io: io, tty: spec.tty))
        return try await followStarted(spec.uuid, h, found.Id, since: since)
    }

    /// After a start or an adoption: the address, the log follower, and an exit that happened
    /// before the event stream could tell us.
    private func followStarted(_ uuid: String, _ h: Host, _ id: String, since: Date?) async throws -> StartedContainer {
        watch(h)
        let info = try await h.client.inspectContainer(id)
        let started = info.State?.StartedAt.flatMap(EngineDates.parse)
        startLogs(uuid, h, id, since: since ?? started.map { $0.addingTimeInterval(-0.001) })
        if info.State?.Running != true {
            reportExit(uuid, code: info.State?.ExitCode ?? 0, oom: info.State?.OOMKilled == true)
        }
        return StartedContainer(engineID: id, ip: info.ipAddress, hostPorts: info.hostPorts)
    }

    func stopContainer(_ uuid: String, node: NodeSpec) async throws {
        let h = try await host(node)
        for c in try await find(uuid, on: h) {
            do { try await h.client.stopContainer(c.Id, timeout: stopGrace) } catch let e as EngineError where e.isNotFound {}
        }
    }

    func removeContainer(_ uuid: String, node: NodeSpec) async throws {
        untrack(uuid)
        let h = try await host(node)
        for c in try await find(uuid, on: h) { try await h.client.removeContainer(c.Id, force: true) }
    }

    func inventory(_ node: NodeSpec) async throws -> [FoundContainer] {
        let h = try await host(node)
        let listed = try await h.client.listContainers(all: true, labels: ["\(EngineLabels.server)=\(serverID)", "\(EngineLabels.node)=\(node.uuid)"])
        var found: [FoundContainer] = []
        for c in listed {
            guard let uuid = c.Labels?[EngineLabels.container] else { continue }
            let running = ["running", "paused", "restarting"].contains(c.State ?? "")
            // A container created but never started (a start cut short) has no exit code to judge by.
            var exitCode: Int? = nil
            if !running, c.State != "created" { exitCode = (try? await h.client.inspectContainer(c.Id))?.State?.ExitCode }
            found.append(FoundContainer(uuid: uuid, running: running, exitCode: exitCode))
        }
        return found
    }

    private func find(_ uuid: String, on h: Host) async throws -> [ContainerSummary] {
        try await h.client.listContainers(all: true, labels: ["\(EngineLabels.container)=\(uuid)"])
    }

    // MARK: - Exec

    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int {
        let (client, engineID) = try await target(container)
        // The command line is split into words as Docker Cloud did, not handed to a shell.
        let split = EngineContainerConfig.shellWords(command)
        let words = split.isEmpty ? ["sh"] : split
        let execID = try await client.createExec(engineID, ExecConfig(cmd: words, stdin: true, tty: io.tty))
        try await client.startExec(execID, tty: io.tty) { stream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await bytes in io.input { try await stream.write(bytes) }
                    stream.closeWrite()
                }
                group.addTask {
                    // Sizes only once the exec runs: a resize before that blocks the engine for 10 s.
                    for await size in io.resize { try? await client.resizeExec(execID, height: size.height, width: size.width) }
                }
                var demux = StreamDemultiplexer(io.tty ? .raw : .multiplexed)
                while let bytes = try await stream.reader.next() {
                    for chunk in try demux.feed(bytes.readableBytesView) { await io.output(chunk.stream.name, chunk.bytes) }
                }
                for chunk in try demux.finish() { await io.output(chunk.stream.name, chunk.bytes) }
                group.cancelAll()
            }
        }
        // The output ends a moment before the engine records the exit code.
        for _ in 0..<50 {
            let state = try await client.inspectExec(execID)
            if state.Running != true { return state.ExitCode ?? 0 }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await client.inspectExec(execID).ExitCode ?? 0
    }

    // MARK: - Following the engine

    private func track(_ uuid: String, _ t: Tracked) {
        let old = tracked.withLock { table -> Tracked? in
            let old = table[uuid]
            table[uuid] = t
            return old
        }
        old?.logs?.cancel()
    }

    func trackedEngineID(_ uuid: String) -> String? { tracked.withLock { $0[uuid]?.engineID } }

    private func untrack(_ uuid: String) {
        tracked.withLock { $0.removeValue(forKey: uuid) }?.logs?.cancel()
    }

    private func reportExit(_ uuid: String, code: Int, oom: Bool = false, reason: String? = nil) {
        let target: (any ContainerIO, Bool)? = tracked.withLock { table in
            guard var t = table[uuid], !t.exitReported else { return nil }
            t.exitReported = true
            table[uuid] = t
            return (t.io, t.oomKilled || oom)
        }
        guard let (io, oomKilled) = target else { return }
        io.exited(code: code, reason: oomKilled ? "Killed: out of memory (OOM)" : reason)
    }

    /// Follows the container's log from `since`, handing each line with the engine's timestamp.
    private func startLogs(_ uuid: String, _ h: Host, _ id: String, since: Date?) {
        let sinceText = since.map { String(format: "%.6f", $0.timeIntervalSince1970) }
        let tty = tracked.withLock { $0[uuid]?.tty } ?? false
        let client = h.client
        let logger = self.logger
        // The driver lives as long as the server, so tasks hold it strongly.
        let task = Task { [self] in
            do {
                try await client.followLogs(id, tty: tty, since: sinceText) { entries in
                    guard let io = self.tracked.withLock({ $0[uuid]?.io }) else { return false }
                    io.output(entries.map { OutputLine(stream: $0.stream.name, text: String(decoding: $0.bytes, as: UTF8.self), date: $0.date ?? Date()) })
                    return true
                }
            } catch is CancellationError {
            } catch let e as EngineError where e.isNotFound {
            } catch {
                if !Task.isCancelled { logger.warning("log of container \(uuid) on \(h.key) ended: \(error)") }
            }
        }
        tracked.withLock { table in
            guard var entry = table[uuid] else { task.cancel(); return }
            entry.logs?.cancel()
            entry.logs = task
            table[uuid] = entry
        }
    }

    /// One task per host follows its event stream (reconnecting with back-off); after each
    /// (re)connection the containers it follows are inspected, for exits it missed meanwhile.
    private func watch(_ h: Host) {
        guard watchers.withLock({ $0[h.key] == nil }) else { return }
        let task = Task { [self] in await followEvents(h) }
        let isNew = watchers.withLock { table -> Bool in
            guard table[h.key] == nil else { return false }
            table[h.key] = task
            return true
        }
        if isNew { logger.info("following the events of \(h.key)") } else { task.cancel() }
    }

    private func followEvents(_ h: Host) async {
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            let connected = Atomic<Bool>(false)
            do {
                try await h.client.events(labels: ["\(EngineLabels.server)=\(serverID)"], onConnect: { [self] in
                    connected.store(true, ordering: .relaxed)
                    await resync(h)
                }) { [self] event in
                    handle(event)
                    return true
                }
            } catch is CancellationError {
                return
            } catch {
                if !Task.isCancelled { logger.warning("events of \(h.key): \(error)") }
            }
            if connected.load(ordering: .relaxed) { backoff = .milliseconds(200) }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
    }

    static let removedElsewhere = "Removed from the node's engine outside docker-cloud"

    private func handle(_ event: EngineEvent) {
        guard event.kind == "container", let uuid = event.attributes[EngineLabels.container] else { return }
        switch event.action {
        case "oom":
            tracked.withLock { $0[uuid]?.oomKilled = true }
        case "die":
            reportExit(uuid, code: event.attributes["exitCode"].flatMap { Int($0) } ?? 0)
        case "start":
            // A start we did not ask for (someone ran `docker start`): follow it again.
            let restarted: (any ContainerIO)? = tracked.withLock { table in
                guard var t = table[uuid], t.exitReported else { return nil }
                t.exitReported = false
                t.oomKilled = false
                table[uuid] = t
                return t.io
            }
            if let restarted {
                restarted.startedElsewhere()
                if let t = tracked.withLock({ $0[uuid] }), let h = table.withLock({ $0[t.host] }) {
                    startLogs(uuid, h, t.engineID, since: Date(timeIntervalSince1970: Double(event.time ?? 0)))
                }
            }
        case "health_status: unhealthy":
            tracked.withLock { $0[uuid]?.io }?.unhealthy()
        case "destroy":
            // Removed behind our back (we stop following before we remove one ourselves).
            guard tracked.withLock({ $0[uuid] }) != nil else { return }
            reportExit(uuid, code: 137, reason: Self.removedElsewhere)
            untrack(uuid)
        default:
            break
        }
    }

    /// Exits the event stream may have missed while it was down.
    private func resync(_ h: Host) async {
        let mine = tracked.withLock { table in table.filter { $0.value.host == h.key && !$0.value.exitReported }.map { ($0.key, $0.value.engineID) } }
        for (uuid, id) in mine {
            do {
                let info = try await h.client.inspectContainer(id)
                if info.State?.Running != true { reportExit(uuid, code: info.State?.ExitCode ?? 0, oom: info.State?.OOMKilled == true) }
            } catch let e as EngineError where e.isNotFound {
                reportExit(uuid, code: 137, reason: Self.removedElsewhere)
                untrack(uuid)
            } catch {}
        }
    }
}

/// The engine's operations on one container of ours, found by its label.
extension EngineDriver: ContainerOperations {
    /// The engine and id of one container of ours: the one followed, else found by its label.
    private func target(_ c: ContainerSpec) async throws -> (EngineClient, String) {
        let h = try await host(c.node)
        if let id = trackedEngineID(c.uuid) { return (h.client, id) }
        guard let id = try await find(c.uuid, on: h).first?.Id else {
            throw EngineError(.status(404), "container \(c.name) is not on its node's engine")
        }
        return (h.client, id)
    }

    func top(_ c: ContainerSpec, psArgs: String?) async throws -> ProcessTable {
        let (client, id) = try await target(c)
        let list = try await client.top(id, psArgs: psArgs)
        return ProcessTable(Titles: list.Titles, Processes: list.Processes)
    }

    func stats(_ c: ContainerSpec) async throws -> [UInt8] {
        let (client, id) = try await target(c)
        return try await client.stats(id)
    }

    func streamStats(_ c: ContainerSpec, _ each: @escaping @Sendable ([UInt8]) async throws -> Bool) async throws {
        let (client, id) = try await target(c)
        try await client.streamStats(id, each)
    }

    func changes(_ c: ContainerSpec) async throws -> [FileChange] {
        let (client, id) = try await target(c)
        return try await client.changes(id).map { FileChange(Path: $0.Path, Kind: $0.Kind) }
    }

    func export(_ c: ContainerSpec, _ chunk: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let (client, id) = try await target(c)
        try await client.export(id) { buffer in try await chunk(Array(buffer.readableBytesView)) }
    }

    func statPath(_ c: ContainerSpec, path: String) async throws -> String {
        let (client, id) = try await target(c)
        let stat = try await client.statPath(id, path: path)
        return (try JSONEncoder().encode(stat)).base64EncodedString()
    }

    func getArchive(_ c: ContainerSpec, path: String, _ chunk: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let (client, id) = try await target(c)
        try await client.getArchive(id, path: path) { _, buffer in try await chunk(Array(buffer.readableBytesView)) }
    }

    func putArchive(_ c: ContainerSpec, path: String, tar: [UInt8]) async throws {
        let (client, id) = try await target(c)
        try await client.putArchive(id, path: path, tar: .bytes(tar))
    }

    func kill(_ c: ContainerSpec, signal: String) async throws {
        let (client, id) = try await target(c)
        try await client.kill(id, signal: signal)
    }

    func pause(_ c: ContainerSpec) async throws {
        let (client, id) = try await target(c)
        try await client.pause(id)
    }

    func unpause(_ c: ContainerSpec) async throws {
        let (client, id) = try await target(c)
        try await client.unpause(id)
    }

    func wait(_ c: ContainerSpec) async throws -> Int {
        let (client, id) = try await target(c)
        return try await client.wait(id).StatusCode
    }

    func rename(_ c: ContainerSpec, to name: String) async throws {
        let (client, id) = try await target(c)
        var renamed = c
        renamed.name = name
        try await client.rename(id, to: EngineContainerConfig.engineName(renamed))
    }

    func update(_ c: ContainerSpec, cpuShares: Int?, memory: Int?, memorySwap: Int?, cpuset: String?) async throws {
        let (client, id) = try await target(c)
        var u = ContainerUpdate()
        u.CpuShares = cpuShares
        u.Memory = memory.map(EngineContainerConfig.bytes(mebibytes:))
        u.MemorySwap = memorySwap.map { $0 <= 0 ? $0 : EngineContainerConfig.bytes(mebibytes: $0) }
        u.CpusetCpus = cpuset
        _ = try await client.update(id, u)
    }

    func attach(_ c: ContainerSpec, input: ProcessInput, output: @escaping @Sendable (_ stream: String, _ bytes: [UInt8]) async -> Void) async throws {
        let (client, id) = try await target(c)
        let tty = c.tty
        try await client.attach(id, stdin: c.stdinOpen) { stream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                if c.stdinOpen {
                    group.addTask {
                        for await bytes in input { try await stream.write(bytes) }
                        stream.closeWrite()
                    }
                }
                var demux = StreamDemultiplexer(tty ? .raw : .multiplexed)
                while let bytes = try await stream.reader.next() {
                    for chunk in try demux.feed(bytes.readableBytesView) { await output(chunk.stream.name, chunk.bytes) }
                }
                group.cancelAll()
            }
        }
    }
}
