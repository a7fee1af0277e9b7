import DockerCloudAPI
import Foundation
import Synchronization

/// In-process fan-out of events and log lines to websocket subscribers. Each subscriber gets its
/// own bounded buffer, so one slow reader cannot hold up the others (it loses its oldest messages).
final class Broadcast<Message: Sendable>: Sendable {
    private struct Subscriber {
        let accepts: @Sendable (Message) -> Bool
        let continuation: AsyncStream<Message>.Continuation
    }
    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let bufferSize: Int

    init(bufferSize: Int = 1024) { self.bufferSize = bufferSize }

    /// A stream of the messages `accepts` lets through, published from now on.
    func subscribe(_ accepts: @escaping @Sendable (Message) -> Bool) -> AsyncStream<Message> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(accepts: accepts, continuation: continuation) }
        return stream
    }

    func publish(_ message: Message) {
        let targets = subscribers.withLock { Array($0.values) }
        for s in targets where s.accepts(message) { s.continuation.yield(message) }
    }
}

/// A log line as it is published live: the owners are the container (or action) and, for
/// containers, their service, so `service logs` followers see new containers' output too.
struct LiveLog: Sendable {
    /// Row id in the logs table, so a follower that read the tail can skip what it already sent.
    var seq: Int64
    var owners: [String]
    var message: LogMessage
}
