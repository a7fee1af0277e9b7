import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import ServiceLifecycle
@_spi(WSInternal) import WSCore

/// The HTTP/1 child channel: plain requests go to the REST responder; websocket upgrades to a
/// stream endpoint are accepted when `StreamAPI` resolves them. A refused upgrade is answered by
/// the REST responder too, so a client with bad credentials gets the API's 401 (or 404) with its
/// JSON body: Docker Cloud clients act on that status (the old CLI's `event` exits on a 401).
/// HummingbirdWebSocket's own channel answers every refused upgrade with an empty 400, hence this.
struct StreamAwareHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, StreamTarget)
        /// An upgrade we declined: NIO has consumed the request, so the answer is written here.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, APIResponse)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    struct StreamContext: WebSocketContext { let logger: Logger }

    let responder: HTTPChannelHandler.Responder
    let plane: ControlPlane
    let maxFrameSize: Int
    let autoPing: AutoPingSetup
    /// Behind TLS (the scheme requests are seen with).
    var secure = false

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limits = plane.connectionLimits
        guard limits.admit(channel) else {
            // Over its limit: answered before anything is read, and closed.
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RefuseConnection(answer: ConnectionLimits.tooManyConnections(limits.maxPerClient)))
                return Value(negotiated: channel.eventLoop.makeFailedFuture(RefuseConnection.Refused()), channel: channel)
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            let plane = self.plane
            try channel.pipeline.syncOperations.addHandler(RequestHeadTimeout(timeout: limits.headTimeout))
            let accepted = NIOLockedValueBox<StreamTarget?>(nil)
            let refusal = NIOLockedValueBox<APIResponse?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    let request = try? HTTPRequest(head, secure: secure, splitCookie: false)
                    guard let request, let api = DockerCloudServer.apiRequest(request, body: Data(), ip: channel.remoteAddress?.ipAddress ?? ""),
                          ControlPlane.isUpgradablePath(api) else {
                        refusal.withLockedValue { $0 = .error(.notFound("No stream endpoint at \(head.uri)")) }
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    do {
                        let target = try plane.streamTarget(api)
                        accepted.withLockedValue { $0 = target }
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                    } catch {
                        let answer = (error as? APIError).map(APIResponse.error) ?? .error(APIError(status: .internalServerError, message: "Internal server error"))
                        refusal.withLockedValue { $0 = answer }
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        // Reading stops at two unconsumed frames (each up to maxFrameSize): a client
                        // writing faster than its stream is served is held back by TCP, not buffered.
                        let ws = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2), isOutboundHalfClosureEnabled: true))
                        guard let target = accepted.withLockedValue({ $0 }) else { throw ChannelError.inappropriateOperationForState }
                        return .websocket(ws, target)
                    }
                }
            )
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: limits.idleTimeout, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        if let answer = refusal.withLockedValue({ $0 }) { return .refused(http, answer) }
                        return .http(http)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let answer):
                try await http.executeThenClose { _, outbound in
                    var headers: HTTPFields = [.connection: "close", .contentType: "application/json",
                                               .contentLength: String(answer.body.count)]
                    headers[.secWebSocketVersion] = "13"
                    try await outbound.write(contentsOf: [
                        .head(HTTPResponse(status: answer.status, headerFields: headers)),
                        .body(ByteBuffer(data: answer.body)),
                        .end(nil),
                    ])
                }
            case .websocket(let ws, let target):
                let plane = self.plane
                _ = try await WebSocketHandler.handle(
                    type: .server,
                    configuration: .init(extensions: [], autoPing: autoPing, validateUTF8: false, maxFrameSize: maxFrameSize),
                    asyncChannel: ws,
                    context: StreamContext(logger: logger)
                ) { inbound, outbound, _ in
                    // A stream lasts no longer than its connection: a client gone (or dropped by the
                    // ping timeout) or the server shutting down cancels what it serves, even an exec
                    // whose process never reads the input the client left unread.
                    let closed = ws.channel.closeFuture
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await plane.serveStream(target, inbound: inbound, outbound: outbound) }
                        group.addTask {
                            // Waits for the close as cancellably as the other two (a future's get() is not).
                            let (closing, signal) = AsyncStream<Void>.makeStream()
                            closed.whenComplete { _ in signal.finish() }
                            for await _ in closing {}
                        }
                        group.addTask { try? await gracefulShutdown() }
                        await group.next()
                        group.cancelAll()
                    }
                }
            }
        } catch is RefuseConnection.Refused {
            try? await value.channel.closeFuture.get()
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }
}
