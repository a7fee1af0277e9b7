import DockerCloudAPI
import DockerEngineAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// Request context carrying the peer's address (recorded in actions).
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteIP: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteIP = source.channel.remoteAddress?.ipAddress ?? ""
    }
}

/// A running server: the plane behind a Hummingbird HTTP/websocket listener.
public final class DockerCloudServer: Sendable {
    let plane: ControlPlane
    let options: ServerOptions

    public init(options: ServerOptions) throws {
        var logger = Logger(label: "docker-cloud-server")
        logger.logLevel = options.logLevel
        // The data directory forced private, the secret key checked, the start's API keys hashed
        // into the store (Secrets.swift, KeyStore.swift).
        let (store, accounts) = try ServerSecrets.open(options) { ServerMain.complain($0) }
        var options = options
        options.accounts = accounts
        self.options = options
        var config = ControlPlaneConfig()
        config.domain = options.domain
        config.publicURL = options.publicURL
        config.hostAccess = options.hostAccess
        config.broughtHostAccess = options.broughtHostAccess
        config.maxFailedLogins = options.maxFailedLogins
        config.maxConnectionsPerClient = options.maxConnectionsPerClient
        config.rescheduleAfter = options.rescheduleAfter
        config.joinTokenLifetime = options.joinTokenLifetime
        // Made at the first start and kept: nodes brought to this server trust it (NodeAuthority.swift).
        // An --in-memory server's lives as long as the process.
        config.nodeAuthority = options.inMemory ? try NodeAuthority.ephemeral() : try NodeAuthority.open(dir: options.dataDir + "/ca")
        var driver: any NodeDriver
        if options.engines.isEmpty {
            driver = SimulatedDriver(delay: options.transitionDelay)
        } else {
            driver = try EngineDriver(endpoints: options.engines, maxVersion: options.engineAPIVersion,
                                      serverID: try store.serverID(), logger: logger)
        }
        // Hosts brought by users are engines reached with the CA's client certificate.
        if let authority = config.nodeAuthority {
            let clientTLS = EngineEndpoint.TLSFiles(pemCA: authority.certificatePEM, certificate: authority.clientCertificatePEM, key: authority.clientKeyPEM)
            let brought = try EngineDriver(endpoints: [], nodeTLS: clientTLS,
                                           maxVersion: options.engineAPIVersion, serverID: try store.serverID(), logger: logger)
            driver = RoutingDriver(own: driver, brought: brought)
        }
        plane = ControlPlane(store: store, accounts: accounts, driver: driver, config: config, logger: logger)
    }

    /// Serves until SIGINT/SIGTERM. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        await plane.recover()
        try await plane.bootstrapNodes(count: options.nodes)
        let plane = self.plane
        let heartbeat = Task { await plane.heartbeat() }
        let sweeper = Task { await plane.sweepHistory() }
        defer { heartbeat.cancel(); sweeper.cancel() }
        let responder = CallbackResponder<APIRequestContext> { request, context in
            await DockerCloudServer.respond(plane, request, ip: context.remoteIP)
        }
        let tls = try options.tlsCertificateFile.map { try Self.tlsConfiguration(certificate: $0, key: options.tlsKeyFile ?? "") }
        let plain = HTTPServerBuilder { responder in
            StreamAwareHTTPChannel(responder: responder, plane: plane, maxFrameSize: 1 << 20,
                                   autoPing: .enabled(timePeriod: .seconds(20)), secure: tls != nil)
        }
        let app = Application(
            responder: responder,
            server: try tls.map { try HTTPServerBuilder.tls(plain, tlsConfiguration: $0) } ?? plain,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "docker-cloud-server"),
            onServerRunning: { [options] channel in
                let port = channel.localAddress?.port ?? options.port
                if options.publicURLOverride == nil {
                    plane.publicBase.withLock { $0 = "\(options.usesTLS ? "https" : "http")://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(port)" }
                }
                await onListening(port)
            },
            logger: plane.logger
        )
        try await app.runService()
    }

    /// HTTPS and WSS on the one listener: the certificate chain and key from PEM files.
    static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw ServerOptions.UsageError(description: "--tls-cert \(certificate): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw ServerOptions.UsageError(description: "--tls-cert \(certificate): no certificate in it") }
        // The key's error never quotes the file: it is a secret.
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw ServerOptions.UsageError(description: "--tls-key \(key): not a readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    static func apiRequest(_ head: HTTPRequest, body: Data, ip: String) -> APIRequest? {
        let target = head.path ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard let (sub, ns, segments) = APIRequest.parsePath(path) else { return nil }
        return APIRequest(method: head.method, rawPath: path, subsystem: sub, namespace: ns, segments: segments,
                          query: APIRequest.parseQuery(parts.count > 1 ? String(parts[1]) : nil), body: body,
                          authorization: head.headerFields[.authorization], userAgent: head.headerFields[.userAgent] ?? "",
                          ip: ip)
    }

    static let maxBody = 8 << 20

    static func respond(_ plane: ControlPlane, _ request: Request, ip: String) async -> Response {
        var request = request
        let answer: APIResponse
        let path = request.uri.path
        do {
            // Limits before work: oversized headers, then credentials, are answered before the
            // body is read.
            let headerBytes = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
            if headerBytes > maxHeaderBytes {
                return finish(.error(APIError(status: .requestHeaderFieldsTooLarge, message: "Request headers larger than \(maxHeaderBytes >> 10) KiB")))
            }
            let parsed = apiRequest(request.head, body: Data(), ip: ip)
            if let early = parsed, ControlPlane.needsCredentials(early) {
                do { _ = try plane.authenticate(early) } catch let e as APIError { return finish(.error(e)) }
            }
            let buffer = try await request.collectBody(upTo: maxBody)
            if var req = parsed {
                req.body = Data(buffer: buffer)
                // Stream endpoints reached without a websocket upgrade are answered by their route.
                answer = await plane.handle(req)
            } else if path == "/api/openapi.json" {
                answer = APIResponse(status: .ok, body: OpenAPI.document, actionURI: nil)
            } else if path == "/auth" || path == "/auth/" {
                let probe = APIRequest(method: request.method, rawPath: path, subsystem: .app, namespace: nil, segments: [], query: [], body: Data(),
                                       authorization: request.headers[.authorization], userAgent: "", ip: ip)
                do {
                    let user = try plane.authenticate(probe)
                    answer = (try? APIResponse.json(["user": user, "namespaces": plane.accounts.namespaces(of: user).sorted().joined(separator: ",")])) ?? .error(.unauthorized)
                } catch let e as APIError {
                    answer = .error(e)
                }
            } else if path == "/" || path == "/_ping" {
                answer = (try? APIResponse.json(["service": "docker-cloud-server", "api": "/api/{app,infra,repo,audit}/v1/"])) ?? .error(.notFound())
            } else {
                answer = .error(.notFound("No endpoint at \(path): the API lives under /api/<app|infra|repo|audit>/v1/"))
            }
        } catch {
            answer = .error(APIError(status: .contentTooLarge, message: "Request body larger than \(maxBody >> 20) MiB"))
        }
        return finish(answer)
    }

    static let maxHeaderBytes = 16 << 10

    static func finish(_ answer: APIResponse) -> Response {
        var headers: HTTPFields = [.contentType: answer.contentType]
        if let uri = answer.actionURI, let name = HTTPField.Name("X-DockerCloud-Action-URI") { headers[name] = uri }
        for (name, value) in answer.headers { if let n = HTTPField.Name(name) { headers[n] = value } }
        if let produce = answer.produce {
            return Response(status: answer.status, headers: headers, body: ResponseBody { writer in
                try await StreamedBody.relay(produce, to: &writer)
            })
        }
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: answer.body)))
    }
}

/// Relays a produced body to Hummingbird's writer with back-pressure: the producer (an engine
/// stream) runs in its own task and may be at most a few chunks ahead of the client.
enum StreamedBody {
    static let aheadLimit = 4

    static func relay(_ produce: @escaping @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void,
                      to writer: inout any ResponseBodyWriter) async throws {
        let (chunks, chunkIn) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        let (credits, creditIn) = AsyncStream<Void>.makeStream()
        for _ in 0..<aheadLimit { creditIn.yield() }
        let permits = Permits(credits)
        let producer = Task {
            do {
                try await produce { bytes in
                    guard await permits.take() else { throw CancellationError() }
                    chunkIn.yield(bytes)
                }
                chunkIn.finish()
            } catch {
                chunkIn.finish(throwing: error)
            }
        }
        defer { producer.cancel(); creditIn.finish() }
        for try await bytes in chunks {
            try await writer.write(ByteBuffer(bytes: bytes))
            creditIn.yield()
        }
        try await writer.finish(nil)
    }

    /// The producer's side of the credits: one task takes them, in order.
    final class Permits: @unchecked Sendable {
        private var iterator: AsyncStream<Void>.AsyncIterator
        init(_ stream: AsyncStream<Void>) { iterator = stream.makeAsyncIterator() }
        func take() async -> Bool { await iterator.next() != nil }
    }
}
