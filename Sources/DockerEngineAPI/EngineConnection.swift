import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// What the client reads from one connection: the response head, body bytes, the end of the
/// response; after a hijack (`101 UPGRADED`), the connection's raw bytes.
enum WireInbound: Sendable {
    case head(HTTPResponseHead)
    case body(ByteBuffer)
    case end
    case raw(ByteBuffer)
}

/// What the client writes: the request, and after a hijack raw bytes (a container's stdin).
enum WireOutbound: Sendable {
    case head(HTTPRequestHead)
    case body(ByteBuffer)
    case end
    case raw(ByteBuffer)
}

/// Turns NIO's HTTP response parts into `WireInbound`. When the engine switches protocols (attach
/// and exec with `Upgrade: tcp`), it takes the HTTP codec out of the pipeline so that what follows
/// reaches the client untouched, bytes the decoder had already read included.
private final class ResponsePartsHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = WireInbound

    private let decoder: ByteToMessageHandler<HTTPResponseDecoder>
    private let encoder: HTTPRequestEncoder
    private let requestParts: RequestPartsHandler
    private var switching = false

    init(decoder: ByteToMessageHandler<HTTPResponseDecoder>, encoder: HTTPRequestEncoder, requestParts: RequestPartsHandler) {
        self.decoder = decoder
        self.encoder = encoder
        self.requestParts = requestParts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            switching = head.status == .switchingProtocols
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body(let bytes):
            context.fireChannelRead(wrapInboundOut(.body(bytes)))
        case .end:
            context.fireChannelRead(wrapInboundOut(.end))
            if switching { hijack(context) }
        }
    }

    private func hijack(_ context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        do {
            let raw = RawBytesHandler()
            try pipeline.addHandler(raw, position: .after(self))
            // From now on request parts must not reach the socket: the encoder is gone.
            requestParts.hijacked = true
            pipeline.removeHandler(encoder, promise: nil)
            pipeline.removeHandler(context: context, promise: nil)
            // Forwards what it buffered past the response head to the raw handler (the first
            // output of the process often comes in the same read as the 101 head). It does so
            // outside a read, so no channelReadComplete follows: the NIOAsyncChannel's handler
            // would keep those bytes until the next read, which may never come (the process
            // waits for its stdin). Hence the read-complete sent once the decoder is gone.
            let removed = context.eventLoop.makePromise(of: Void.self)
            pipeline.removeHandler(decoder, promise: removed)
            removed.futureResult.assumeIsolated().whenComplete { _ in raw.readComplete() }
        } catch {
            context.fireErrorCaught(error)
        }
    }
}

/// The connection after a hijack: every read is raw bytes.
private final class RawBytesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WireInbound
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.raw(unwrapInboundIn(data))))
    }

    /// Delivers reads forwarded outside a read cycle (the decoder's leftovers).
    func readComplete() { context?.fireChannelReadComplete() }
}

/// Turns `WireOutbound` into HTTP request parts, or raw bytes once the connection is hijacked (the
/// request encoder is gone by then, so they go straight to the socket or TLS).
private final class RequestPartsHandler: ChannelOutboundHandler {
    typealias OutboundIn = WireOutbound
    /// Set on `101`: the encoder has left the pipeline, so an HTTP part written now (the request's
    /// end, when the engine answered before the client had finished writing) would reach the
    /// socket as a part, not bytes, and crash the channel. The end is dropped; a body ends the exchange.
    var hijacked = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if hijacked {
            switch part {
            case .raw: break
            case .end: promise?.succeed(()); return
            case .head, .body:
                // Sending the rest as raw bytes would feed the body to the process's stdin: end
                // the exchange instead (the async writer does not report a failed write).
                let error = EngineError(.protocolViolation, "the engine switched protocols before the request body was sent")
                promise?.fail(error)
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        switch part {
        case .head(let head): context.write(NIOAny(HTTPClientRequestPart.head(head)), promise: promise)
        case .body(let bytes): context.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(bytes))), promise: promise)
        case .end: context.write(NIOAny(HTTPClientRequestPart.end(nil)), promise: promise)
        case .raw(let bytes): context.write(NIOAny(bytes), promise: promise)
        }
    }
}

typealias WireChannel = NIOAsyncChannel<WireInbound, WireOutbound>

/// Opens connections to one engine: each request gets its own connection (a unix socket costs
/// microseconds to open; streams and hijacks need one of their own anyway).
struct EngineConnector: Sendable {
    let endpoint: EngineEndpoint
    let tls: NIOSSLContext?
    let connectTimeout: TimeAmount
    let group: any EventLoopGroup

    init(endpoint: EngineEndpoint, connectTimeout: TimeAmount, group: any EventLoopGroup) throws {
        self.endpoint = endpoint
        self.tls = try endpoint.makeTLSContext()
        self.connectTimeout = connectTimeout
        self.group = group
    }

    func connect() async throws -> WireChannel {
        let tls = self.tls
        let pin = endpoint.pinnedCertificateSHA256
        let serverName: String?
        if case .tcp(let host, _) = endpoint.address, !host.isIPAddress { serverName = host } else { serverName = nil }
        let initializer: @Sendable (Channel) -> EventLoopFuture<WireChannel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                if let tls, let pin {
                    try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil) { presented, verdict in
                        let leaf = presented.first.flatMap { try? $0.toDERBytes() }
                        verdict.succeed(leaf.map { Array(SHA256.hash(data: $0)) == pin } == true ? .certificateVerified : .failed)
                    })
                } else if let tls {
                    try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                }
                let encoder = HTTPRequestEncoder()
                let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                try pipeline.addHandler(encoder)
                try pipeline.addHandler(decoder)
                let requestParts = RequestPartsHandler()
                try pipeline.addHandler(ResponsePartsHandler(decoder: decoder, encoder: encoder, requestParts: requestParts))
                try pipeline.addHandler(requestParts)
                return try WireChannel(wrappingChannelSynchronously: channel,
                                       configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
        do {
            switch endpoint.address {
            case .unix(let path):
                return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
            case .tcp(let host, let port):
                return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
            }
        } catch let error as ChannelError where error == .connectTimeout(connectTimeout) {
            throw EngineError(.timeout, "\(endpoint): no connection within \(connectTimeout.seconds) s")
        } catch {
            throw EngineError(.unreachable, "\(endpoint) does not answer: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        if let nio = error as? NIOConnectionError {
            return nio.connectionErrors.first.map { "\($0.error)" } ?? "\(nio)"
        }
        return "\(error)"
    }
}

/// Closes a channel when a deadline passes, and remembers that it did so the caller can say
/// "timed out" rather than "connection closed".
final class Deadline: Sendable {
    private let fired = Atomic<Bool>(false)
    private let task: Mutex<Scheduled<Void>?> = Mutex(nil)

    init(_ channel: Channel, after timeout: TimeAmount?) {
        guard let timeout else { return }
        let scheduled = channel.eventLoop.scheduleTask(in: timeout) { [self] in
            self.fired.store(true, ordering: .sequentiallyConsistent)
            channel.close(promise: nil)
        }
        task.withLock { $0 = scheduled }
    }

    var hasFired: Bool { fired.load(ordering: .sequentiallyConsistent) }
    func cancel() { task.withLock { $0?.cancel(); $0 = nil } }
}

extension TimeAmount {
    var seconds: String {
        let s = Double(nanoseconds) / 1e9
        return s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}

extension String {
    var isIPAddress: Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
