import Foundation
import NIOCore
import XCTest
@testable import DockerEngineAPI

/// The client against a real dockerd (Tests/engine/dockerd.sh), started once for the class.
/// Skipped, with the script's reason, where an engine cannot run.
final class EngineIntegrationTests: XCTestCase {
    nonisolated(unsafe) static var daemon: EngineDaemon?
    nonisolated(unsafe) static var skipReason: String?
    nonisolated(unsafe) static var startFailure: String?
    static let image = "local/busybox:latest"
    /// Names and labels of this run, so that tests never see each other's containers.
    static let run = UUID().uuidString.prefix(8).lowercased()

    override class func setUp() {
        super.setUp()
        if let why = EngineDaemon.whyNot() { skipReason = why; return }
        do { daemon = try EngineDaemon() } catch { startFailure = "\(error)" }
    }

    override class func tearDown() {
        daemon?.stop()
        daemon = nil
        super.tearDown()
    }

    var client: EngineClient!
    var endpoint: EngineEndpoint!
    /// Containers this test made, removed in tearDown.
    var made: [String] = []

    override func setUp() async throws {
        if let why = Self.skipReason { throw XCTSkip("no Docker engine here: \(why)") }
        guard let daemon = Self.daemon else {
            throw EngineDaemon.DaemonError(description: "the test engine did not start: \(Self.startFailure ?? "?")")
        }
        endpoint = EngineEndpoint(address: .unix(path: daemon.socket))
        client = try EngineClient(endpoint: endpoint, requestTimeout: .seconds(20))
        try await client.negotiate()
    }

    override func tearDown() async throws {
        if let client {
            for id in made { try? await client.removeContainer(id, force: true) }
        }
        made = []
    }

    func name(_ tag: String) -> String { "et-\(Self.run)-\(tag)" }

    /// A busybox container with Init and no network, labelled with this run and its own name.
    func container(_ tag: String, _ cmd: [String], start: Bool = true, using other: EngineClient? = nil,
                   _ configure: (inout ContainerConfig) -> Void = { _ in }) async throws -> String {
        var config = ContainerConfig(image: Self.image)
        config.Cmd = cmd
        config.Labels = ["edt.run": String(Self.run), "edt.case": name(tag)]
        var host = HostConfig()
        host.Init = true
        host.NetworkMode = "none"
        config.HostConfig = host
        configure(&config)
        let c = other ?? client!
        let created = try await c.createContainer(name: name(tag), config)
        made.append(created.Id)
        XCTAssertEqual(created.Id.count, 64)
        if start { try await c.startContainer(created.Id) }
        return created.Id
    }

    static let idle = ["sh", "-c", "while true; do sleep 0.1; done"]

    /// Polls `body` until it returns a value (nil: not yet), for at most `seconds`.
    func eventually<T>(_ what: String, _ seconds: Double = 5, _ body: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let v = try await body() { return v }
            if Date() > deadline { throw TimedOut(what: what) }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// The whole log, entries in order.
    func logEntries(_ id: String, tail: String = "all", timestamps: Bool = true, tty: Bool? = false) async throws -> [LogEntry] {
        let entries = Locked<[LogEntry]>([])
        let client = self.client!
        try await withTimeout(10, "logs of \(id)") {
            try await client.logs(id, tty: tty, follow: false, tail: tail, timestamps: timestamps) { e in
                entries.with { $0.append(e) }
                return true
            }
        }
        return entries.get
    }

    func text(_ entries: [LogEntry], _ stream: StreamKind) -> [String] {
        entries.filter { $0.stream == stream }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    // MARK: - Versions

    func testNegotiatedVersion() async throws {
        let info = try await client.versionInfo()
        let theirs = try XCTUnwrap(info.ApiVersion.flatMap(APIVersion.init))
        XCTAssertEqual(client.version, min(theirs, .newest))
        if info.Version?.hasPrefix("20.10.") == true {
            XCTAssertEqual(client.version, APIVersion(1, 41), "Engine 20.10 serves API 1.41")
            XCTAssertEqual(client.missingFeatures, [])
        }
        try await client.ping()
        try await client.ping(timeout: .seconds(2))
        let system = try await client.info()
        XCTAssertGreaterThan(system.NCPU ?? 0, 0)
        XCTAssertEqual(system.ServerVersion, info.Version)

        // Without negotiation the client asks for the newest version it knows, which this engine refuses.
        if theirs < .newest {
            let fresh = try EngineClient(endpoint: endpoint)
            let e = await engineError("version unnegotiated") { _ = try await fresh.versionInfo() }
            XCTAssertEqual(e?.status, 400)
            XCTAssertTrue(e?.message.contains("too new") ?? false, e?.message ?? "")
        }
    }

    func testPinnedToAPI121() async throws {
        let old = try EngineClient(endpoint: endpoint, maxVersion: APIVersion(1, 21), requestTimeout: .seconds(20))
        try await old.negotiate()
        XCTAssertEqual(old.version, APIVersion(1, 21))
        XCTAssertTrue(old.missingFeatures.contains(.initProcess))
        XCTAssertTrue(old.missingFeatures.contains(.update))
        XCTAssertFalse(old.supports(.prune))

        // Init is left out rather than refused: the container runs without it.
        let id = try await container("v121", ["sleep", "30"], using: old)
        let seen = try await client.inspectContainer(id)
        XCTAssertNotEqual(seen.HostConfig?.Init, true)
        XCTAssertEqual(seen.State?.Running, true)
        XCTAssertEqual(seen.Config?.Labels?["edt.case"], name("v121"))
        let viaOld = try await old.inspectContainer(id)
        XCTAssertEqual(viaOld.Id, id)

        var update = ContainerUpdate()
        update.Memory = 64 << 20
        let e = await engineError("update at 1.21") { _ = try await old.update(id, update) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.message.contains("1.22") ?? false, e?.message ?? "")
        do { let e = await engineError("prune at 1.21") { _ = try await old.pruneContainers(labels: ["edt.none"]) }; XCTAssertEqual(e?.kind, .unsupported) }
        do { let e = await engineError("wait condition at 1.21") { _ = try await old.wait(id, condition: "next-exit") }; XCTAssertEqual(e?.kind, .unsupported) }
        do { let e = await engineError("one-shot stats at 1.21") { _ = try await old.stats(id, oneShot: true) }; XCTAssertEqual(e?.kind, .unsupported) }
        try await old.removeContainer(id)
        do { let e = await engineError("inspect removed") { _ = try await client.inspectContainer(id) }; XCTAssertTrue(e?.isNotFound ?? false) }
    }

    // MARK: - Containers

    func testContainerLifecycle() async throws {
        let cmd = ["sh", "-c", "trap 'echo got-USR1' USR1; echo hi > /tmp/newfile; echo started; while true; do sleep 0.1; done"]
        let id = try await container("life", cmd)
        let before = Date()

        let inspect = try await client.inspectContainer(id)
        XCTAssertEqual(inspect.Id, id)
        XCTAssertEqual(inspect.Name, "/" + name("life"))
        XCTAssertEqual(inspect.State?.Status, "running")
        XCTAssertEqual(inspect.State?.Running, true)
        XCTAssertEqual(inspect.State?.Paused, false)
        XCTAssertGreaterThan(inspect.State?.Pid ?? 0, 0)
        XCTAssertEqual(inspect.Config?.Labels?["edt.case"], name("life"))
        XCTAssertEqual(inspect.Config?.Image, Self.image)
        XCTAssertEqual(inspect.HostConfig?.Init, true)
        XCTAssertEqual(inspect.HostConfig?.NetworkMode, "none")
        XCTAssertNotNil(inspect.NetworkSettings?.Networks?["none"])
        XCTAssertNil(inspect.ipAddress)
        XCTAssertEqual(inspect.hostPorts, [:])
        let started = try XCTUnwrap(inspect.State?.StartedAt.flatMap(EngineDates.parse))
        XCTAssertLessThan(abs(started.timeIntervalSince(before)), 30)
        XCTAssertNil(inspect.State?.FinishedAt.flatMap(EngineDates.parse), "never finished: 0001-01-01")
        let raw = try await client.inspectContainerRaw(id)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any])?["Id"] as? String, id)

        // Starting a running container is not an error (the engine says 304).
        try await client.startContainer(id)

        let listed = try await client.listContainers(labels: ["edt.case=\(name("life"))"])
        XCTAssertEqual(listed.map(\.Id), [id])
        XCTAssertEqual(listed.first?.Names, ["/" + name("life")])
        XCTAssertEqual(listed.first?.State, "running")
        XCTAssertEqual(listed.first?.Labels?["edt.run"], String(Self.run))
        let none = try await client.listContainers(labels: ["edt.case=\(name("nobody"))"])
        XCTAssertEqual(none.count, 0)
        let running = try await client.listContainers(all: false, labels: ["edt.run=\(Self.run)", "edt.case=\(name("life"))"])
        XCTAssertEqual(running.map(\.Id), [id])

        let top = try await client.top(id)
        XCTAssertTrue(top.Titles.contains("PID"), "\(top.Titles)")
        XCTAssertTrue(top.Processes.contains { $0.last?.contains("sh -c") == true }, "\(top.Processes)")
        let topAux = try await client.top(id, psArgs: "aux")
        XCTAssertTrue(topAux.Titles.contains("%CPU"), "\(topAux.Titles)")

        let changes = try await eventually("changes show /tmp/newfile") { () -> [FilesystemChange]? in
            let c = try await client.changes(id)
            return c.contains { $0.Path == "/tmp/newfile" } ? c : nil
        }
        XCTAssertEqual(changes.first { $0.Path == "/tmp/newfile" }?.Kind, 1, "added")
        XCTAssertEqual(changes.first { $0.Path == "/tmp" }?.Kind, 0, "modified")

        // A signal the container traps: it says so and goes on running.
        _ = try await eventually("started") { try await logEntries(id).contains { $0.bytes == Array("started\n".utf8) } ? true : nil }
        try await client.kill(id, signal: "USR1")
        _ = try await eventually("got-USR1 in the log") { try await logEntries(id).contains { $0.bytes == Array("got-USR1\n".utf8) } ? true : nil }
        let afterSignal = try await client.inspectContainer(id)
        XCTAssertEqual(afterSignal.State?.Running, true)

        let bogus = await engineError("kill BOGUS") { try await client.kill(id, signal: "BOGUS") }
        XCTAssertEqual(bogus?.status, 400)
        XCTAssertTrue(bogus?.message.contains("Invalid signal: BOGUS") ?? false, bogus?.message ?? "")

        try await client.pause(id)
        let paused = try await client.inspectContainer(id)
        XCTAssertEqual(paused.State?.Status, "paused")
        XCTAssertEqual(paused.State?.Paused, true)
        do { let e = await engineError("pause twice") { try await client.pause(id) }; XCTAssertTrue(e?.isConflict ?? false) }
        try await client.unpause(id)
        let unpaused = try await client.inspectContainer(id)
        XCTAssertEqual(unpaused.State?.Status, "running")
        XCTAssertEqual(unpaused.State?.Paused, false)

        try await client.rename(id, to: name("life2"))
        do { let v = try await client.inspectContainer(name("life2")).Id; XCTAssertEqual(v, id) }
        let old = await engineError("old name") { _ = try await client.inspectContainer(name("life")) }
        XCTAssertTrue(old?.isNotFound ?? false, "\(String(describing: old))")
        XCTAssertTrue(old?.message.contains("No such container") ?? false, old?.message ?? "")

        let pidBefore = unpaused.State?.Pid
        try await client.restartContainer(id, timeout: 2)
        let restarted = try await client.inspectContainer(id)
        XCTAssertEqual(restarted.State?.Running, true)
        XCTAssertNotEqual(restarted.State?.Pid, pidBefore)
        XCTAssertNotEqual(restarted.State?.StartedAt, unpaused.State?.StartedAt)

        var update = ContainerUpdate()
        update.Memory = 64 << 20
        update.MemorySwap = 128 << 20
        _ = try await client.update(id, update)
        let updated = try await client.inspectContainer(id)
        XCTAssertEqual(updated.HostConfig?.Memory, 64 << 20)

        let stats = try await client.stats(id, oneShot: true)
        let sample = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stats)) as? [String: Any])
        XCTAssertNotNil(sample["memory_stats"])
        XCTAssertEqual(sample["id"] as? String, id)

        let stopStart = Date()
        try await client.stopContainer(id, timeout: 5)
        XCTAssertLessThan(Date().timeIntervalSince(stopStart), 4, "Init passes SIGTERM on at once")
        let stopped = try await client.inspectContainer(id)
        XCTAssertEqual(stopped.State?.Running, false)
        XCTAssertEqual(stopped.State?.Status, "exited")
        XCTAssertEqual(stopped.State?.ExitCode, 143)
        XCTAssertNotNil(stopped.State?.FinishedAt.flatMap(EngineDates.parse))
        // Stopping a stopped container is not an error (304).
        try await client.stopContainer(id, timeout: 1)

        try await client.removeContainer(id)
        do { let e = await engineError("inspect removed") { _ = try await client.inspectContainer(id) }; XCTAssertTrue(e?.isNotFound ?? false) }
        try await client.removeContainer(id)  // already gone: not an error
    }

    func testRemoveRunningNeedsForce() async throws {
        let id = try await container("rmforce", Self.idle)
        let e = await engineError("remove running") { try await client.removeContainer(id, force: false) }
        XCTAssertTrue(e?.isConflict ?? false, "\(String(describing: e))")
        try await client.removeContainer(id, force: true)
        let gone = await engineError("inspect") { _ = try await client.inspectContainer(id) }
        XCTAssertTrue(gone?.isNotFound ?? false)
    }

    func testWaitForExitCode() async throws {
        let id = try await container("exit5", ["sh", "-c", "exit 5"])
        let result = try await client.wait(id, timeout: .seconds(20))
        XCTAssertEqual(result.StatusCode, 5)
        do { let v = try await client.inspectContainer(id).State?.ExitCode; XCTAssertEqual(v, 5) }

        // next-exit, asked before the container starts.
        let client = self.client!
        let id7 = try await container("exit7", ["sh", "-c", "exit 7"], start: false)
        let waiter = Task { try await client.wait(id7, condition: "next-exit", timeout: .seconds(20)) }
        try await Task.sleep(nanoseconds: 300_000_000)
        try await client.startContainer(id7)
        do { let v = try await waiter.value.StatusCode; XCTAssertEqual(v, 7) }

        // A wait with a bound, on a container that does not exit.
        let idle = try await container("waitidle", Self.idle)
        let start = Date()
        let e = await engineError("bounded wait") { _ = try await client.wait(idle, timeout: .milliseconds(400)) }
        XCTAssertEqual(e?.kind, .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testPruneByLabel() async throws {
        let mark = name("prune")
        let a = try await container("prune-a", ["sh", "-c", "exit 0"], start: false) { $0.Labels?["edt.prune"] = mark }
        let b = try await container("prune-b", ["sh", "-c", "exit 0"]) { $0.Labels?["edt.prune"] = mark }
        let other = try await container("prune-c", ["sh", "-c", "exit 0"]) { $0.Labels?["edt.prune"] = mark + "-other" }
        _ = try await client.wait(b, timeout: .seconds(20))
        _ = try await client.wait(other, timeout: .seconds(20))
        let result = try await client.pruneContainers(labels: ["edt.prune=\(mark)"])
        XCTAssertEqual(Set(result.ContainersDeleted ?? []), [a, b])
        do { let v = try await client.listContainers(labels: ["edt.prune=\(mark)"]).count; XCTAssertEqual(v, 0) }
        do { let v = try await client.inspectContainer(other).Id; XCTAssertEqual(v, other) }
    }

    func testErrorsFromTheEngine() async throws {
        var config = ContainerConfig(image: "local/nope-\(Self.run):latest")
        config.Cmd = ["sh"]
        let missing = await engineError("create from a missing image") { _ = try await client.createContainer(name: name("noimg"), config) }
        XCTAssertEqual(missing?.status, 404)
        XCTAssertTrue(missing?.message.contains("No such image: local/nope-\(Self.run):latest") ?? false, missing?.message ?? "")

        let notFound = await engineError("inspect missing") { _ = try await client.inspectContainer(name("nobody")) }
        XCTAssertTrue(notFound?.isNotFound ?? false)
        XCTAssertTrue(notFound?.message.contains("No such container: \(name("nobody"))") ?? false, notFound?.message ?? "")
        do { let e = await engineError("start missing") { try await client.startContainer(name("nobody")) }; XCTAssertTrue(e?.isNotFound ?? false) }
        do { let e = await engineError("logs missing") { try await client.logs(name("nobody"), tty: nil, follow: false) { _ in true } }; XCTAssertTrue(e?.isNotFound ?? false) }
        do { let e = await engineError("exec missing") { _ = try await client.createExec(name("nobody"), ExecConfig(cmd: ["sh"], stdin: false, tty: false)) }; XCTAssertTrue(e?.isNotFound ?? false) }
        do { let e = await engineError("inspect exec missing") { _ = try await client.inspectExec("0123456789abcdef") }; XCTAssertTrue(e?.isNotFound ?? false) }

        var bad = ContainerConfig(image: Self.image)
        bad.Cmd = ["sh"]
        let invalid = await engineError("one-character name") { _ = try await client.createContainer(name: "x", bad) }
        XCTAssertEqual(invalid?.status, 400)
        XCTAssertTrue(invalid?.message.contains("Invalid container name") ?? false, invalid?.message ?? "")

        _ = try await container("dup", ["sh", "-c", "exit 0"], start: false)
        let dup = await engineError("the same name twice") { _ = try await client.createContainer(name: name("dup"), bad) }
        XCTAssertTrue(dup?.isConflict ?? false, "\(String(describing: dup))")

        // Without Init: with it, docker-init starts and only then fails to run the binary.
        let missingBinary = try await container("nobin", ["/no/such/binary"], start: false) { $0.HostConfig?.Init = false }
        let e = await engineError("start without a binary") { try await client.startContainer(missingBinary) }
        XCTAssertEqual(e?.status, 400)
        XCTAssertTrue(e?.message.contains("no such file") == true || e?.message.contains("not found") == true, e?.message ?? "")
    }

    // MARK: - Logs

    func testLogsSeparateStreamsWithTimestamps() async throws {
        let before = Date()
        let id = try await container("logs", ["sh", "-c",
            "echo out0; echo err0 >&2; echo out1; echo err1 >&2; i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done"])
        let entries = try await eventually("four first lines and three ticks") { () -> [LogEntry]? in
            let e = try await logEntries(id)
            return e.count >= 7 ? e : nil
        }
        XCTAssertEqual(Array(text(entries, .stdout).prefix(2)), ["out0\n", "out1\n"])
        XCTAssertEqual(text(entries, .stderr), ["err0\n", "err1\n"])
        XCTAssertEqual(text(entries, .stdout)[2], "tick0\n")
        for e in entries {
            let date = try XCTUnwrap(e.date, "a timestamp on \(e)")
            XCTAssertLessThan(abs(date.timeIntervalSince(before)), 60)
            XCTAssertTrue(e.timestamp?.hasSuffix("Z") ?? false)
        }
        let dates = entries.filter { $0.stream == .stdout }.compactMap(\.date)
        XCTAssertEqual(dates, dates.sorted())

        let plain = try await logEntries(id, timestamps: false)
        XCTAssertEqual(plain.first { $0.stream == .stdout }, LogEntry(stream: .stdout, timestamp: nil, bytes: Array("out0\n".utf8)))
        XCTAssertTrue(plain.allSatisfy { $0.timestamp == nil })

        let detected = try await logEntries(id, tty: nil)
        XCTAssertEqual(text(detected, .stderr), ["err0\n", "err1\n"])

        let tail = try await logEntries(id, tail: "2")
        XCTAssertEqual(tail.count, 2)
        XCTAssertTrue(text(tail, .stdout).allSatisfy { $0.hasPrefix("tick") }, "\(tail)")

        // Follow: new lines as they come, until the callback says stop.
        let client = self.client!
        let followed = Locked<[LogEntry]>([])
        let start = Date()
        try await withTimeout(10, "follow") {
            try await client.logs(id, tty: false, follow: true, tail: "0") { e in
                followed.with { $0.append(e) }
                return followed.get.count < 3
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        let ticks = text(followed.get, .stdout)
        XCTAssertEqual(ticks.count, 3)
        XCTAssertTrue(ticks.allSatisfy { $0.hasPrefix("tick") }, "\(ticks)")
        let numbers = ticks.compactMap { Int($0.dropFirst(4).dropLast()) }
        XCTAssertEqual(numbers.count, 3)
        XCTAssertEqual(numbers, numbers.sorted())
        let lastBefore = text(tail, .stdout).compactMap { Int($0.dropFirst(4).dropLast()) }.max() ?? 0
        XCTAssertGreaterThan(numbers[0], lastBefore, "tail=0: only new lines")

        // Following a container that exits ends with its log.
        let short = try await container("logs-short", ["sh", "-c", "echo a; sleep 0.3; echo b >&2"])
        let all = Locked<[LogEntry]>([])
        try await withTimeout(10, "follow to the end") {
            try await client.logs(short, tty: false, follow: true) { e in all.with { $0.append(e) }; return true }
        }
        XCTAssertEqual(all.get.map { String(decoding: $0.bytes, as: UTF8.self) }, ["a\n", "b\n"])
        XCTAssertEqual(all.get.map(\.stream), [.stdout, .stderr])
    }

    /// `followLogs`: batches of whole lines until told to stop, and `since` with the engine's own
    /// nanoseconds (inclusive).
    func testFollowLogsInBatches() async throws {
        let id = try await container("batches", ["sh", "-c", "echo a; echo b >&2; sleep 0.3; echo end; sleep 30"])
        let client = self.client!
        let seen = Locked<(batches: Int, entries: [LogEntry])>((0, []))
        try await withTimeout(10, "followLogs") {
            try await client.followLogs(id, tty: false, since: nil) { batch in
                XCTAssertFalse(batch.isEmpty)
                seen.with { $0.batches += 1; $0.entries += batch }
                return !batch.contains { $0.bytes == Array("end\n".utf8) }
            }
        }
        let entries = seen.get.entries
        // stdout and stderr are two pipes: their order against each other is the engine's reads'.
        XCTAssertEqual(text(entries, .stdout), ["a\n", "end\n"])
        XCTAssertEqual(text(entries, .stderr), ["b\n"])
        XCTAssertEqual(entries.last?.bytes, Array("end\n".utf8))
        XCTAssertGreaterThanOrEqual(seen.get.batches, 2, "the last line came 0.3 s later, in a read of its own")

        // Since the exact time of "end": it and nothing before it.
        let stamp = try XCTUnwrap(entries.last?.timestamp)
        let whole = try XCTUnwrap(EngineDates.parse(String(stamp.prefix(19)) + "Z"))
        let fraction = stamp.dropFirst(19).dropLast()  // ".527902583"
        let since = String(Int(whole.timeIntervalSince1970)) + fraction
        let later = Locked<[LogEntry]>([])
        try await withTimeout(10, "followLogs since") {
            try await client.followLogs(id, tty: false, since: since) { batch in
                later.with { $0 += batch }
                return false
            }
        }
        XCTAssertEqual(later.get.first?.bytes, Array("end\n".utf8), "since \(since)")
        XCTAssertEqual(later.get.first?.timestamp, stamp)
    }

    func testEventsWithOnConnect() async throws {
        let client = self.client!
        let mark = name("onconnect")
        let order = Locked<[String]>([])
        let task = Task {
            try await client.events(labels: ["edt.case=\(mark)"], onConnect: { order.with { $0.append("connected") } }) { e in
                order.with { $0.append(e.action) }
                return e.action != "start"
            }
        }
        defer { task.cancel() }
        _ = try await eventually("connected") { order.get.isEmpty ? nil : true }
        _ = try await container("onconnect", ["sleep", "30"])
        try await withTimeout(10, "start event") { try await task.value }
        XCTAssertEqual(order.get, ["connected", "create", "start"])
    }

    /// The engine keeps a line over 16 KiB as several messages, each with its timestamp: the
    /// entry is the whole line, once, with the first timestamp.
    func testLongLineIsOneEntry() async throws {
        let id = try await container("longline", ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short"])
        _ = try await client.wait(id, timeout: .seconds(20))
        let entries = try await logEntries(id)
        XCTAssertEqual(entries.map(\.bytes.count), [40001, 6])
        XCTAssertEqual(entries.first?.bytes.filter { $0 != UInt8(ascii: "a") }, [0x0a])
        XCTAssertNotNil(entries.first?.date)
        let plain = try await logEntries(id, timestamps: false)
        XCTAssertEqual(plain.map(\.bytes.count), [40001, 6])
    }

    func testLogsOfATTYContainerAreRaw() async throws {
        let id = try await container("ttylogs", ["sh", "-c", "echo tty-out; echo tty-err >&2; sleep 30"]) { $0.Tty = true }
        let entries = try await eventually("two lines") { () -> [LogEntry]? in
            let e = try await logEntries(id, tty: true)
            return e.count >= 2 ? e : nil
        }
        XCTAssertEqual(entries.map(\.stream), [.raw, .raw])
        XCTAssertEqual(entries.map { String(decoding: $0.bytes, as: UTF8.self) }, ["tty-out\r\n", "tty-err\r\n"])
        XCTAssertNotNil(entries.first?.date)
        let detected = try await logEntries(id, tty: nil)
        XCTAssertEqual(detected.map { String(decoding: $0.bytes, as: UTF8.self) }, ["tty-out\r\n", "tty-err\r\n"])
    }

    /// A stream's only bound is on its start: a quiet follow, an event stream and a stats stream
    /// outlive a short request timeout.
    func testStreamsAreBoundOnlyUntilTheyStart() async throws {
        let id = try await container("quiet", ["sleep", "30"])
        let short = try EngineClient(endpoint: endpoint, requestTimeout: .milliseconds(500))
        try await short.negotiate()
        let start = Date()
        async let logs: Void = Self.expectOurTimeout("quiet follow", 1.5) {
            try await short.logs(id, tty: false, follow: true, tail: "0") { _ in true }
        }
        let label = "edt.case=\(name("nobody"))"
        async let events: Void = Self.expectOurTimeout("quiet events", 1.5) {
            try await short.events(labels: [label]) { _ in true }
        }
        let samples = Locked<[[UInt8]]>([])
        async let stats: Void = {
            try await withTimeout(5, "two stats samples") {
                try await short.streamStats(id) { sample in
                    samples.with { $0.append(sample) }
                    return samples.get.count < 2
                }
            }
        }()
        _ = try await (logs, events, stats)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(samples.get.count, 2)
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(samples.get[0])) as? [String: Any])
        XCTAssertEqual(first["id"] as? String, id)
    }

    /// `body` must still be running after `seconds` (our own timer ends it), not fail by itself.
    static func expectOurTimeout(_ what: String, _ seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await withTimeout(seconds, what, body)
            XCTFail("\(what) ended by itself")
        } catch is TimedOut {
        } catch {
            XCTFail("\(what) failed: \(error)")
        }
    }

    // MARK: - Files

    func testExportAndArchives() async throws {
        let id = try await container("files", ["sh", "-c", "mkdir -p /data; echo hello > /data/file; while true; do sleep 0.1; done"])
        let stat = try await eventually("/data/file exists") { try? await client.statPath(id, path: "/data/file") }
        XCTAssertEqual(stat.name, "file")
        XCTAssertEqual(stat.size, 6)
        XCTAssertEqual(stat.mode & 0o777, 0o644)
        XCTAssertEqual(stat.linkTarget, "")
        XCTAssertNotNil(EngineDates.parse(stat.mtime))
        let dirStat = try await client.statPath(id, path: "/data")
        XCTAssertNotEqual(dirStat.mode & (1 << 31), 0, "a directory")
        let link = try await client.statPath(id, path: "/bin/sh")
        XCTAssertEqual(link.linkTarget, "/bin/busybox")
        let missing = await engineError("stat missing") { _ = try await client.statPath(id, path: "/nope") }
        XCTAssertEqual(missing?.status, 404)

        // GET: the file as a tar, and the path's stat.
        let got = try await archive(id, "/data/file")
        XCTAssertEqual(got.stat?.name, "file")
        XCTAssertEqual(try Tar.entries(got.tar), [Tar.Entry(name: "file", mode: 0o644, bytes: Array("hello\n".utf8))])
        let dir = try Tar.entries(try await archive(id, "/data").tar)
        XCTAssertEqual(dir.map(\.name), ["data/", "data/file"])
        let getMissing = await engineError("get missing") { _ = try await self.archive(id, "/nope") }
        XCTAssertEqual(getMissing?.status, 404)
        XCTAssertTrue(getMissing?.message.contains("Could not find the file /nope") ?? false, getMissing?.message ?? "")

        // PUT: a tar built here, read back byte for byte.
        let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let upload = Tar.make([Tar.Entry(name: "put.bin", mode: 0o600, bytes: payload),
                               Tar.Entry(name: "notes.txt", bytes: Array("notes\n".utf8))])
        try await client.putArchive(id, path: "/data", tar: .bytes(upload))
        let back = try Tar.entries(try await archive(id, "/data/put.bin").tar)
        XCTAssertEqual(back.count, 1)
        XCTAssertEqual(back.first?.name, "put.bin")
        XCTAssertEqual(back.first?.bytes, payload, "byte-identical")
        let putStat = try await client.statPath(id, path: "/data/put.bin")
        XCTAssertEqual(putStat.size, 3000)
        XCTAssertEqual(putStat.mode & 0o777, 0o600)
        do { let a = try await archive(id, "/data/notes.txt"); XCTAssertEqual(try Tar.entries(a.tar).first?.bytes, Array("notes\n".utf8)) }

        // The same from a file on disk.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edt-\(Self.run)-put.tar")
        defer { try? FileManager.default.removeItem(at: file) }
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try Data(Tar.make([Tar.Entry(name: "from-file.bin", bytes: big)])).write(to: file)
        try await client.putArchive(id, path: "/data", tar: .file(file.path))
        do { let a = try await archive(id, "/data/from-file.bin"); XCTAssertEqual(try Tar.entries(a.tar).first?.bytes, big) }

        let putMissing = await engineError("put into a missing directory") { try await client.putArchive(id, path: "/nope", tar: .bytes(upload)) }
        XCTAssertEqual(putMissing?.status, 404)

        // Export: the whole filesystem as a tar, with what the container wrote.
        let exported = Locked<[UInt8]>([])
        let engine = self.client!
        try await withTimeout(20, "export") {
            try await engine.export(id) { bytes in exported.with { $0 += bytes.readableBytesView } }
        }
        let tar = exported.get
        XCTAssertGreaterThan(tar.count, 100_000)
        XCTAssertEqual(tar.count % 512, 0)
        let names = Set(try Tar.entries(tar).map(\.name))
        XCTAssertTrue(names.contains("bin/busybox"), "\(names.sorted().prefix(20))")
        XCTAssertTrue(names.contains("data/file"))
        XCTAssertTrue(names.contains("data/put.bin"))
    }

    func archive(_ id: String, _ path: String) async throws -> (stat: PathStat?, tar: [UInt8]) {
        let out = Locked<(PathStat?, [UInt8])>((nil, []))
        let client = self.client!
        try await withTimeout(10, "archive \(path)") {
            try await client.getArchive(id, path: path) { stat, bytes in
                out.with { $0.0 = stat; $0.1 += bytes.readableBytesView }
            }
        }
        return out.get
    }

    // MARK: - Exec and attach

    func testExecWithoutTTY() async throws {
        let id = try await container("exec", Self.idle)
        let exec = try await client.createExec(id, ExecConfig(cmd: ["sh", "-c", "echo hi; echo oops >&2; echo there; exit 3"], stdin: false, tty: false))
        let out = try await client.startExec(exec, tty: false) { stream -> [StreamKind: [UInt8]] in
            XCTAssertEqual(stream.head.status.code, 101)
            var demux = StreamDemultiplexer(.multiplexed)
            var chunks: [OutputChunk] = []
            while let b = try await stream.reader.next() { chunks += try demux.feed(b.readableBytesView) }
            chunks += try demux.finish()
            return joined(chunks)
        }
        XCTAssertEqual(String(decoding: out[.stdout] ?? [], as: UTF8.self), "hi\nthere\n")
        XCTAssertEqual(String(decoding: out[.stderr] ?? [], as: UTF8.self), "oops\n")
        let done = try await eventually("exec ended") { () -> ExecInspect? in
            let i = try await client.inspectExec(exec)
            return i.Running == false ? i : nil
        }
        XCTAssertEqual(done.ExitCode, 3)
    }

    func testExecWithStdin() async throws {
        let id = try await container("execin", Self.idle)
        let exec = try await client.createExec(id, ExecConfig(cmd: ["cat"], stdin: true, tty: false))
        let input = Array("hello\nline2\n".utf8) + (0..<5000).map { UInt8(97 + $0 % 26) } + [0x0a]
        let out = try await withTimeout(15, "exec cat") { [client = client!] in
            try await client.startExec(exec, tty: false) { stream -> [StreamKind: [UInt8]] in
                try await stream.write(Array(input[..<6]))
                try await stream.write(Array(input[6...]))
                stream.closeWrite()
                var demux = StreamDemultiplexer(.multiplexed)
                var chunks: [OutputChunk] = []
                while let b = try await stream.reader.next() { chunks += try demux.feed(b.readableBytesView) }
                return joined(chunks)
            }
        }
        XCTAssertEqual(out[.stdout], input)
        XCTAssertNil(out[.stderr])
        let done = try await eventually("cat ended") { () -> ExecInspect? in
            let i = try await client.inspectExec(exec)
            return i.Running == false ? i : nil
        }
        XCTAssertEqual(done.ExitCode, 0)
    }

    func testExecWithTTYAndResize() async throws {
        let id = try await container("exectty", Self.idle)
        let exec = try await client.createExec(id, ExecConfig(cmd: ["sh", "-c", "read line; stty size; echo \"got:$line\""], stdin: true, tty: true))
        let output = try await withTimeout(20, "exec tty") { [client = client!] in
            try await client.startExec(exec, tty: true) { stream -> String in
                // Resize only once the exec runs (before, the engine blocks 10 s and fails).
                var running = false
                for _ in 0..<100 where !running {
                    running = try await client.inspectExec(exec).Running == true
                    if !running { try await Task.sleep(nanoseconds: 50_000_000) }
                }
                XCTAssertTrue(running)
                try await client.resizeExec(exec, height: 40, width: 100)
                try await stream.write(Array("abc\n".utf8))
                var demux = StreamDemultiplexer(.raw)
                var bytes: [UInt8] = []
                while let b = try await stream.reader.next() {
                    for c in try demux.feed(b.readableBytesView) {
                        XCTAssertEqual(c.stream, .raw)
                        bytes += c.bytes
                    }
                }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        XCTAssertTrue(output.contains("40 100\r\n"), output.debugDescription)
        XCTAssertTrue(output.contains("got:abc\r\n"), output.debugDescription)
        XCTAssertTrue(output.hasPrefix("abc\r\n"), "the TTY echoes input: \(output.debugDescription)")
        let done = try await eventually("exec ended") { () -> ExecInspect? in
            let i = try await client.inspectExec(exec)
            return i.Running == false ? i : nil
        }
        XCTAssertEqual(done.ExitCode, 0)
        // Once the engine has dropped the exec, a resize is refused with 404 (just after the exit
        // it may still find the exec and fail with 500 from containerd: that window is the engine's).
        let gone = try await eventually("resize after the end is 404") { () -> EngineError? in
            let e = await engineError("resize after the end") { try await client.resizeExec(exec, height: 10, width: 10) }
            return e?.status == 404 ? e : nil
        }
        // Engines word it differently ("No such exec instance", or containerd's "process does not
        // exist ...: not found"): the status is the contract, the words only need to say "not found".
        let words = gone.message.lowercased()
        XCTAssertTrue(words.contains("no such exec") || words.contains("not found"), gone.message)
    }

    func testAttachWithStdin() async throws {
        let id = try await container("attach", ["cat"], start: false) {
            $0.OpenStdin = true
            $0.StdinOnce = true
            $0.AttachStdin = true
            $0.AttachStdout = true
            $0.AttachStderr = true
        }
        let client = self.client!
        let out = try await withTimeout(15, "attach cat") {
            try await client.attach(id, stdin: true) { stream -> [StreamKind: [UInt8]] in
                XCTAssertEqual(stream.head.status.code, 101)
                try await client.startContainer(id)
                try await stream.write(Array("abc\n".utf8))
                try await stream.write(Array("def\n".utf8))
                stream.closeWrite()
                var demux = StreamDemultiplexer(.multiplexed)
                var chunks: [OutputChunk] = []
                while let b = try await stream.reader.next() { chunks += try demux.feed(b.readableBytesView) }
                return joined(chunks)
            }
        }
        XCTAssertEqual(String(decoding: out[.stdout] ?? [], as: UTF8.self), "abc\ndef\n")
        // End of stdin ended cat, and with it the container.
        do { let v = try await client.wait(id, timeout: .seconds(10)).StatusCode; XCTAssertEqual(v, 0) }
    }

    func testResizeTTYContainer() async throws {
        let id = try await container("resize", ["sh", "-c", "sleep 0.5; stty size; sleep 30"]) { $0.Tty = true }
        try await client.resize(id, height: 30, width: 90)
        let entries = try await eventually("stty size in the log") { () -> [LogEntry]? in
            let e = try await logEntries(id, tty: true)
            return e.isEmpty ? nil : e
        }
        XCTAssertEqual(entries.map { String(decoding: $0.bytes, as: UTF8.self) }, ["30 90\r\n"])
    }

    // MARK: - Events

    func testEventsOfALabelledContainer() async throws {
        let since = Int(Date().timeIntervalSince1970) - 1
        let label = "edt.ev=\(name("ev"))"
        let id = try await container("ev", ["sh", "-c", "sleep 0.2; exit 2"]) { $0.Labels?["edt.ev"] = self.name("ev") }
        let client = self.client!
        let events = Locked<[EngineEvent]>([])
        try await withTimeout(15, "die event") {
            try await client.events(labels: [label], since: since) { e in
                events.with { $0.append(e) }
                return e.action != "die"
            }
        }
        let seen = events.get
        XCTAssertEqual(seen.map(\.action), ["create", "start", "die"], "\(seen)")
        XCTAssertTrue(seen.allSatisfy { $0.kind == "container" && $0.subject == id })
        XCTAssertTrue(seen.allSatisfy { $0.attributes["edt.ev"] == name("ev") && $0.attributes["name"] == name("ev") })
        XCTAssertEqual(seen.last?.attributes["exitCode"], "2")
        XCTAssertGreaterThan(seen.last?.timeNano ?? 0, (seen.first?.timeNano ?? 0))

        // With `until` the engine ends the stream itself, after the history.
        let history = Locked<[EngineEvent]>([])
        let until = Int(Date().timeIntervalSince1970) + 1
        try await withTimeout(10, "history until now") {
            try await client.events(labels: [label], since: since, until: until) { e in history.with { $0.append(e) }; return true }
        }
        XCTAssertEqual(Array(history.get.map(\.action).prefix(3)), ["create", "start", "die"])

        // Another label: none of these.
        let others = Locked<[EngineEvent]>([])
        let otherLabel = "edt.ev=\(name("nobody"))"
        try await withTimeout(10, "other label") {
            try await client.events(labels: [otherLabel], since: since, until: until) { e in others.with { $0.append(e) }; return true }
        }
        XCTAssertEqual(others.get.count, 0)
    }

    // MARK: - Images

    func testPullOfAnUnreachableImageFailsQuickly() async throws {
        let start = Date()
        let progress = Locked<[ProgressMessage]>([])
        let client = self.client!
        let e = await engineError("pull from a dead registry") {
            try await withTimeout(30, "pull") {
                try await client.pullImage("127.0.0.1:1/nope:latest", timeout: .seconds(25)) { m in progress.with { $0.append(m) } }
            }
        }
        XCTAssertNotNil(e)
        XCTAssertNotEqual(e?.kind, .timeout)
        XCTAssertTrue(e?.message.contains("127.0.0.1:1") ?? false, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        do { let v = try await client.hasImage("127.0.0.1:1/nope:latest"); XCTAssertFalse(v) }
    }

    func testImportAndHasImage() async throws {
        do { let v = try await client.hasImage(Self.image); XCTAssertTrue(v) }
        let repo = "local/imp-\(Self.run)"
        do { let v = try await client.hasImage(repo + ":v1"); XCTAssertFalse(v) }
        let rootfs = Tar.make([Tar.Entry(name: "etc/", type: UInt8(ascii: "5"), mode: 0o755),
                               Tar.Entry(name: "etc/hello.txt", bytes: Array("imported\n".utf8))])
        let progress = Locked<[ProgressMessage]>([])
        let engine = self.client!
        try await withTimeout(20, "import") {
            try await engine.importImage(tar: .bytes(rootfs), repository: repo, tag: "v1") { m in progress.with { $0.append(m) } }
        }
        XCTAssertTrue(progress.get.contains { $0.status?.hasPrefix("sha256:") == true }, "\(progress.get)")
        do { let v = try await client.hasImage(repo + ":v1"); XCTAssertTrue(v) }
        do { let v = try await client.hasImage(repo + ":v2"); XCTAssertFalse(v) }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edt-\(Self.run)-rootfs.tar")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(rootfs).write(to: file)
        try await withTimeout(20, "import from a file") {
            try await engine.importImage(tar: .file(file.path), repository: repo, tag: "v2")
        }
        do { let v = try await client.hasImage(repo + ":v2"); XCTAssertTrue(v) }

        let notATar = await engineError("import of garbage") {
            try await withTimeout(20, "import of garbage") {
                try await engine.importImage(tar: .bytes(Array(repeating: 0x41, count: 2000)), repository: repo, tag: "bad")
            }
        }
        XCTAssertNotNil(notATar)
        do { let v = try await client.hasImage(repo + ":bad"); XCTAssertFalse(v) }

        for tag in ["v1", "v2"] {
            _ = try await client.send(EngineRequest(.DELETE, "/images/\(repo):\(tag)"))
        }
        do { let v = try await client.hasImage(repo + ":v1"); XCTAssertFalse(v) }
    }
}
