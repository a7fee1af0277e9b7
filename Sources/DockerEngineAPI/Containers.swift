import Foundation
import NIOCore
import NIOHTTP1

/// The container endpoints of the Engine API (seed 002 for v1.43, seed 003 for v1.21).
extension EngineClient {
    /// `GET /containers/json`; `labels` filters by `key=value` or `key`.
    public func listContainers(all: Bool = true, labels: [String] = []) async throws -> [ContainerSummary] {
        var query: [(String, String)] = [("all", all ? "1" : "0")]
        if !labels.isEmpty { query.append(("filters", try Self.filters(["label": labels]))) }
        return try await json(EngineRequest(.GET, "/containers/json", query: query))
    }

    /// `POST /containers/create`. Fields this engine's API version lacks (`Init` before 1.25) are
    /// left out rather than refused.
    public func createContainer(name: String?, _ config: ContainerConfig) async throws -> CreatedContainer {
        var config = config
        if !supports(.initProcess) { config.HostConfig?.Init = nil }
        let query = name.map { [("name", $0)] } ?? []
        return try await json(try .json(.POST, "/containers/create", query: query, config))
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspect {
        try await json(EngineRequest(.GET, "/containers/\(Self.escape(id))/json"))
    }

    /// The inspect answer as the engine sent it, for passing through.
    public func inspectContainerRaw(_ id: String) async throws -> [UInt8] {
        try await send(EngineRequest(.GET, "/containers/\(Self.escape(id))/json")).body
    }

    public func top(_ id: String, psArgs: String? = nil) async throws -> ProcessList {
        try await json(EngineRequest(.GET, "/containers/\(Self.escape(id))/top", query: psArgs.map { [("ps_args", $0)] } ?? []))
    }

    public func changes(_ id: String) async throws -> [FilesystemChange] {
        // A container without changes answers `null`.
        let body = try await send(EngineRequest(.GET, "/containers/\(Self.escape(id))/changes")).body
        if body.isEmpty || body.elementsEqual("null".utf8) { return [] }
        do { return try JSONDecoder().decode([FilesystemChange].self, from: Data(body)) } catch {
            throw EngineError(.protocolViolation, "GET /containers/\(id)/changes: not a list of changes")
        }
    }

    /// One stats sample, as the engine sent it (`stream=false`: the engine takes two samples a
    /// second apart, so CPU use can be computed). `oneShot` (API 1.41+) skips the second sample.
    public func stats(_ id: String, oneShot: Bool = false) async throws -> [UInt8] {
        var query = [("stream", "false")]
        if oneShot {
            try require(.statsOneShot)
            query.append(("one-shot", "true"))
        }
        return try await send(EngineRequest(.GET, "/containers/\(Self.escape(id))/stats", query: query)).body
    }

    /// Stats samples as the engine streams them (one JSON object a second), until `body` returns
    /// false or the container stops.
    public func streamStats(_ id: String, _ body: @Sendable @escaping ([UInt8]) async throws -> Bool) async throws {
        try await stream(EngineRequest(.GET, "/containers/\(Self.escape(id))/stats", query: [("stream", "true")])) { _, reader in
            var lines = JSONLineSplitter()
            while let bytes = try await reader.next() {
                for line in try lines.feed(bytes.readableBytesView) where try await !body(line) { return }
            }
        }
    }

    public func resize(_ id: String, height: Int, width: Int) async throws {
        _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/resize", query: [("h", String(height)), ("w", String(width))]))
    }

    /// Starts the container; one already running is not an error.
    public func startContainer(_ id: String) async throws {
        do { _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/start")) } catch let e as EngineError where e.isNotModified {}
    }

    /// Stops the container (SIGTERM, then SIGKILL after `timeout` seconds); one already stopped is not an error.
    /// The call's own deadline allows for the grace period.
    public func stopContainer(_ id: String, timeout seconds: Int = 10) async throws {
        var request = EngineRequest(.POST, "/containers/\(Self.escape(id))/stop", query: [("t", String(seconds))])
        request.timeout = requestTimeout + .seconds(Int64(seconds))
        do { _ = try await send(request) } catch let e as EngineError where e.isNotModified {}
    }

    public func restartContainer(_ id: String, timeout seconds: Int = 10) async throws {
        var request = EngineRequest(.POST, "/containers/\(Self.escape(id))/restart", query: [("t", String(seconds))])
        request.timeout = requestTimeout + .seconds(Int64(seconds))
        _ = try await send(request)
    }

    /// Sends a signal (a name such as `SIGHUP`/`HUP` or a number); the engine refuses unknown ones.
    public func kill(_ id: String, signal: String = "SIGKILL") async throws {
        _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/kill", query: [("signal", signal)]))
    }

    public func update(_ id: String, _ update: ContainerUpdate) async throws -> UpdateResult {
        try require(.update)
        return try await json(try .json(.POST, "/containers/\(Self.escape(id))/update", update))
    }

    public func rename(_ id: String, to name: String) async throws {
        _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/rename", query: [("name", name)]))
    }

    public func pause(_ id: String) async throws {
        _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/pause"))
    }

    public func unpause(_ id: String) async throws {
        _ = try await send(EngineRequest(.POST, "/containers/\(Self.escape(id))/unpause"))
    }

    /// Blocks until the container exits. `condition` ("not-running", "next-exit", "removed") needs
    /// API 1.30; `timeout` nil waits without bound.
    public func wait(_ id: String, condition: String? = nil, timeout: TimeAmount? = nil) async throws -> WaitResult {
        var query: [(String, String)] = []
        if let condition {
            try require(.waitCondition)
            query.append(("condition", condition))
        }
        var request = EngineRequest(.POST, "/containers/\(Self.escape(id))/wait", query: query)
        request.timeout = timeout ?? .hours(24 * 365)
        return try await json(request)
    }

    /// Removes the container; `force` kills it first. A container already gone is not an error.
    public func removeContainer(_ id: String, force: Bool = true, volumes: Bool = true) async throws {
        do {
            _ = try await send(EngineRequest(.DELETE, "/containers/\(Self.escape(id))",
                                             query: [("force", force ? "1" : "0"), ("v", volumes ? "1" : "0")]))
        } catch let e as EngineError where e.isNotFound {}
    }

    public func pruneContainers(labels: [String] = []) async throws -> PruneResult {
        try require(.prune)
        let query = labels.isEmpty ? [] : [("filters", try Self.filters(["label": labels]))]
        return try await json(EngineRequest(.POST, "/containers/prune", query: query))
    }

    // MARK: - Output

    /// The container's log: each line with its stream and the engine's timestamp (`timestamps`),
    /// `tail` lines of history ("all" or a number), then, with `follow`, new lines as they come
    /// until `body` returns false or the container's log ends. `tty` says the stream is raw.
    public func logs(_ id: String, tty: Bool?, follow: Bool, tail: String = "all", since: Int? = nil,
                     timestamps: Bool = true, _ body: @Sendable @escaping (LogEntry) async throws -> Bool) async throws {
        var query = [("stdout", "1"), ("stderr", "1"), ("follow", follow ? "1" : "0"), ("tail", tail),
                     ("timestamps", timestamps ? "1" : "0")]
        if let since { query.append(("since", String(since))) }
        try await logBatches(id, framing: tty.map { $0 ? .raw : .multiplexed } ?? .detect, timestamps: timestamps, query: query) { batch in
            for entry in batch where try await !body(entry) { return false }
            return true
        }
    }

    /// The one reading loop of a log: demultiplexed, cut into lines, handed over as the batch each
    /// read completes, until `body` returns false or the log ends.
    func logBatches(_ id: String, framing: StreamDemultiplexer.Framing, timestamps: Bool, query: [(String, String)],
                    _ body: @Sendable @escaping ([LogEntry]) async throws -> Bool) async throws {
        try await stream(EngineRequest(.GET, "/containers/\(Self.escape(id))/logs", query: query)) { _, reader in
            var demux = StreamDemultiplexer(framing)
            var lines = LogLineSplitter(timestamps: timestamps)
            while let bytes = try await reader.next() {
                let batch = try demux.feed(bytes.readableBytesView).flatMap { lines.feed($0) }
                if !batch.isEmpty, try await !body(batch) { return }
            }
            let rest = try demux.finish().flatMap { lines.feed($0) } + lines.finish()
            if !rest.isEmpty { _ = try await body(rest) }
        }
    }

    /// Attaches to the container's stdio (`Upgrade: tcp`): `body` gets the hijacked stream.
    public func attach<R: Sendable>(_ id: String, stdin: Bool, logs: Bool = false,
                                    _ body: @Sendable (HijackedStream) async throws -> R) async throws -> R {
        let query = [("stream", "1"), ("stdin", stdin ? "1" : "0"), ("stdout", "1"), ("stderr", "1"), ("logs", logs ? "1" : "0")]
        return try await hijack(EngineRequest(.POST, "/containers/\(Self.escape(id))/attach", query: query), body)
    }

    // MARK: - Files

    /// `GET /containers/{id}/export`: the filesystem as a tar, handed over as it arrives.
    public func export(_ id: String, _ body: @Sendable @escaping (ByteBuffer) async throws -> Void) async throws {
        try await stream(EngineRequest(.GET, "/containers/\(Self.escape(id))/export")) { _, reader in
            while let bytes = try await reader.next() { try await body(bytes) }
        }
    }

    /// `HEAD /containers/{id}/archive`: what is at `path`.
    public func statPath(_ id: String, path: String) async throws -> PathStat {
        let answer = try await send(EngineRequest(.HEAD, "/containers/\(Self.escape(id))/archive", query: [("path", path)]))
        return try Self.decodePathStat(answer.headers, call: "HEAD /containers/\(id)/archive")
    }

    /// `GET /containers/{id}/archive`: `path` (a file or a directory) as a tar, and its stat.
    public func getArchive(_ id: String, path: String, _ body: @Sendable @escaping (PathStat?, ByteBuffer) async throws -> Void) async throws {
        try await stream(EngineRequest(.GET, "/containers/\(Self.escape(id))/archive", query: [("path", path)])) { head, reader in
            let stat = try? Self.decodePathStat(head.headers, call: "")
            while let bytes = try await reader.next() { try await body(stat, bytes) }
        }
    }

    /// `PUT /containers/{id}/archive`: unpacks a tar into the directory `path`.
    public func putArchive(_ id: String, path: String, tar: EngineRequest.Body, noOverwriteDirNonDir: Bool = false) async throws {
        var query = [("path", path)]
        if noOverwriteDirNonDir { query.append(("noOverwriteDirNonDir", "1")) }
        var request = EngineRequest(.PUT, "/containers/\(Self.escape(id))/archive", query: query, body: tar, contentType: "application/x-tar")
        request.timeout = requestTimeout * 5
        _ = try await send(request)
    }

    static func decodePathStat(_ headers: HTTPHeaders, call: String) throws -> PathStat {
        guard let encoded = headers.first(name: "X-Docker-Container-Path-Stat"),
              let data = Data(base64Encoded: encoded),
              let stat = try? JSONDecoder().decode(PathStat.self, from: data) else {
            throw EngineError(.protocolViolation, "\(call): no X-Docker-Container-Path-Stat header")
        }
        return stat
    }

    /// The `filters` query parameter: `{"label":["a=b"]}`.
    static func filters(_ filters: [String: [String]]) throws -> String {
        String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
    }
}
