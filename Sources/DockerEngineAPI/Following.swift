import Foundation
import NIOCore

/// A container's log followed in batches (one per read, so that a chatty container costs a node
/// driver one store write per batch, not per line).
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
}
