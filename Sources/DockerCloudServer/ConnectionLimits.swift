import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Limits that hold before any request is read: connections per client address, and the time a
/// new connection may take to send its first request head (so idle or byte-at-a-time clients
/// cannot hold connections open for free). Idle keep-alive connections are closed by
/// Hummingbird's connection state handler (`idleTimeout`).
final class ConnectionLimits: Sendable {
    let maxPerClient: Int
    let headTimeout: TimeAmount
    let idleTimeout: Duration
    private let open = NIOLockedValueBox<[String: Int]>([:])

    init(maxPerClient: Int = 256, headTimeout: TimeAmount = .seconds(10), idleTimeout: Duration = .seconds(60)) {
        self.maxPerClient = maxPerClient
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
    }

    /// Counts the connection in; false when its client already has `maxPerClient` open. The count
    /// goes down when the channel closes.
    func admit(_ channel: any Channel) -> Bool {
        let ip = channel.remoteAddress?.ipAddress ?? ""
        let admitted = open.withLockedValue { table -> Bool in
            let n = table[ip, default: 0]
            guard n < maxPerClient else { return false }
            table[ip] = n + 1
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [open] _ in
            open.withLockedValue { table in
                let n = table[ip, default: 1] - 1
                table[ip] = n > 0 ? n : nil
            }
        }
        return true
    }

    func openConnections(from ip: String) -> Int { open.withLockedValue { $0[ip, default: 0] } }

    /// The answer to a client over its limit: written raw, then the connection is closed.
    static func tooManyConnections(_ limit: Int) -> ByteBuffer {
        let body = #"{"error": "Too many connections from this address (at most \#(limit)): close some and try again"}"#
        return ByteBuffer(string: "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }
}

/// Closes a connection whose first request head (up to the blank line) has not arrived within
/// `timeout`, then gets out of the way.
final class RequestHeadTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// The last bytes seen, to find "\r\n\r\n" across reads.
    private var tail: [UInt8] = []

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        tail += buffer.readableBytesView.suffix(buffer.readableBytes)
        if tail.count > 4096 + 4 { tail.removeFirst(tail.count - 4096 - 4) }
        let found = tail.withUnsafeBufferPointer { bytes -> Bool in
            guard bytes.count >= 4 else { return false }
            for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return true }
            return false
        }
        context.fireChannelRead(data)
        if found {
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

/// Answers a connection that is over its client's limit, ignores what it sends, and closes it.
final class RefuseConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    struct Refused: Error {}

    private let answer: ByteBuffer
    private var sent = false

    init(answer: ByteBuffer) { self.answer = answer }

    func handlerAdded(context: ChannelHandlerContext) { if context.channel.isActive { refuse(context) } }
    func channelActive(context: ChannelHandlerContext) { refuse(context) }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let channel = context.channel
        context.writeAndFlush(NIOAny(answer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
