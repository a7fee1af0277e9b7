import Foundation
import NIOCore
import NIOHTTP1

/// What a node needs of an engine besides containers: liveness, facts, events, images, exec.
extension EngineClient {
    /// `GET /_ping`: "OK" when the engine answers. Unversioned, so it works before negotiation.
    public func ping(timeout: TimeAmount? = nil) async throws {
        var request = EngineRequest(.GET, "/_ping", versioned: false)
        request.timeout = timeout
        let answer = try await send(request)
        guard String(decoding: answer.body, as: UTF8.self).hasPrefix("OK") else {
            throw EngineError(.protocolViolation, "\(endpoint): /_ping did not answer OK")
        }
    }

    public func versionInfo() async throws -> VersionInfo {
        try await json(EngineRequest(.GET, "/version"))
    }

    public func info() async throws -> SystemInfo {
        try await json(EngineRequest(.GET, "/info"))
    }

    /// `GET /events`, one event at a time until `body` returns false or the connection ends (the
    /// engine ends it only when it shuts down, or at `until`). `labels` filters container events
    /// by label; `since` replays history from that unix time.
    /// `onConnect` runs once the engine has answered, before the first event is read, so that a
    /// caller can catch up on what happened while it was not connected.
    public func events(labels: [String] = [], since: Int? = nil, until: Int? = nil,
                       onConnect: @Sendable @escaping () async -> Void = {},
                       _ body: @Sendable @escaping (EngineEvent) async throws -> Bool) async throws {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.filters(["label": labels]))) }
        if let since { query.append(("since", String(since))) }
        if let until { query.append(("until", String(until))) }
        try await stream(EngineRequest(.GET, "/events", query: query)) { _, reader in
            await onConnect()
            var lines = JSONLineSplitter()
            let decoder = JSONDecoder()
            while let bytes = try await reader.next() {
                for line in try lines.feed(bytes.readableBytesView) {
                    guard let event = try? decoder.decode(EngineEvent.self, from: Data(line)) else { continue }
                    if try await !body(event) { return }
                }
            }
        }
    }

    // MARK: - Images

    /// `POST /images/create?fromImage=`: pulls `image` (with its tag, default latest), reporting
    /// each progress line. A pull that reports an error in its stream throws it.
    public func pullImage(_ image: String, auth: RegistryAuth? = nil, timeout: TimeAmount = .seconds(600),
                          progress: @Sendable @escaping (ProgressMessage) async -> Void) async throws {
        let (name, tag) = Self.splitTag(image)
        var request = EngineRequest(.POST, "/images/create", query: [("fromImage", name), ("tag", tag)])
        if let auth { request.headers.append(("X-Registry-Auth", auth.header)) }
        request.timeout = timeout
        try await followProgress(request, progress)
    }

    /// `POST /images/create?fromSrc=-`: an image from a root filesystem tar (no registry needed).
    public func importImage(tar: EngineRequest.Body, repository: String, tag: String = "latest",
                            progress: @Sendable @escaping (ProgressMessage) async -> Void = { _ in }) async throws {
        var request = EngineRequest(.POST, "/images/create", query: [("fromSrc", "-"), ("repo", repository), ("tag", tag)],
                                    body: tar, contentType: "application/x-tar")
        request.timeout = requestTimeout * 5
        try await followProgress(request, progress)
    }

    /// Whether the engine has the image locally.
    public func hasImage(_ image: String) async throws -> Bool {
        do {
            _ = try await send(EngineRequest(.GET, "/images/\(image)/json"))
            return true
        } catch let e as EngineError where e.isNotFound {
            return false
        }
    }

    private func followProgress(_ request: EngineRequest, _ progress: @Sendable @escaping (ProgressMessage) async -> Void) async throws {
        try await stream(request) { _, reader in
            var lines = JSONLineSplitter()
            let decoder = JSONDecoder()
            func handle(_ line: [UInt8]) async throws {
                guard let message = try? decoder.decode(ProgressMessage.self, from: Data(line)) else { return }
                await progress(message)
                if let error = message.error ?? message.errorDetail?.message {
                    throw EngineError(.status(500), "\(request.method) \(request.path): \(error)")
                }
            }
            while let bytes = try await reader.next() {
                for line in try lines.feed(bytes.readableBytesView) { try await handle(line) }
            }
            for line in lines.finish() { try await handle(line) }
        }
    }

    /// "registry:5000/a/b:tag" → ("registry:5000/a/b", "tag"); a digest stays with the name.
    static func splitTag(_ image: String) -> (String, String) {
        if image.contains("@") { return (image, "") }
        if let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") {
            return (String(image[..<colon]), String(image[image.index(after: colon)...]))
        }
        return (image, "latest")
    }

    // MARK: - Exec

    public func createExec(_ container: String, _ config: ExecConfig) async throws -> String {
        let created: IDResponse = try await json(try .json(.POST, "/containers/\(Self.escape(container))/exec", config))
        return created.Id
    }

    /// Starts an exec and hands over its hijacked stream (raw if the exec has a TTY).
    public func startExec<R: Sendable>(_ id: String, tty: Bool, _ body: @Sendable (HijackedStream) async throws -> R) async throws -> R {
        var request = try EngineRequest.json(.POST, "/exec/\(Self.escape(id))/start", ExecStart(Detach: false, Tty: tty))
        request.timeout = nil
        return try await hijack(request, body)
    }

    public func resizeExec(_ id: String, height: Int, width: Int) async throws {
        _ = try await send(EngineRequest(.POST, "/exec/\(Self.escape(id))/resize", query: [("h", String(height)), ("w", String(width))]))
    }

    public func inspectExec(_ id: String) async throws -> ExecInspect {
        try await json(EngineRequest(.GET, "/exec/\(Self.escape(id))/json"))
    }
}

private struct ExecStart: Encodable {
    var Detach: Bool
    var Tty: Bool
}
