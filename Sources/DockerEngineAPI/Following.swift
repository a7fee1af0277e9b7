import Foundation
import NIOCore

/// Long-lived streams a node driver follows: a container's log in batches (one per read, so that
/// a chatty container costs one store write per batch, not per line) and the event stream with a
/// hook for the moment it is connected.
extension EngineClient {
    /// Follows the log from `since` (unix seconds, fractions allowed: "1733100000.123456") until
    /// the container stops or `body` returns false. Each batch holds the complete lines of one read.
    public func followLogs(_ id: String, tty: Bool, since: String?,
                           _ body: @Sendable @escaping ([LogEntry]) async throws -> Bool) async throws {
        var query = [("stdout", "1"), ("stderr", "1"), ("follow", "1"), ("timestamps", "1")]
        if let since { query.append(("since", since)) } else { query.append(("tail", "all")) }
        try await stream(EngineRequest(.GET, "/containers/\(Self.escape(id))/logs", query: query)) { _, reader in
            var demux = StreamDemultiplexer(tty ? .raw : .multiplexed)
            var lines = LogLineSplitter(timestamps: true)
            while let bytes = try await reader.next() {
                let batch = try demux.feed(bytes.readableBytesView).flatMap { lines.feed($0) }
                if !batch.isEmpty, try await !body(batch) { return }
            }
            let rest = try demux.finish().flatMap { lines.feed($0) } + lines.finish()
            if !rest.isEmpty { _ = try await body(rest) }
        }
    }

    /// `GET /events` filtered by labels; `onConnect` runs once the engine has answered, before the
    /// first event is read, so a caller can catch up on what happened while it was not connected.
    public func events(labels: [String], onConnect: @Sendable @escaping () async -> Void,
                       _ body: @Sendable @escaping (EngineEvent) async throws -> Bool) async throws {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.filters(["label": labels]))) }
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
}
