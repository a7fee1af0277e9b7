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
        try await logBatches(id, framing: tty ? .raw : .multiplexed, timestamps: true, query: query, body)
    }
}
