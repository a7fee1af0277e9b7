import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An Engine API version such as 1.41.
public struct APIVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) { self.major = major; self.minor = minor }
    public init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, b >= 0 else { return nil }
        self.init(a, b)
    }
    public static func < (l: APIVersion, r: APIVersion) -> Bool { (l.major, l.minor) < (r.major, r.minor) }
    public var description: String { "\(major).\(minor)" }

    /// The newest version this client speaks (the seed's v1.43) and the oldest (Remote API v1.21).
    public static let newest = APIVersion(1, 43)
    public static let oldest = APIVersion(1, 21)
}

/// What an API version may lack. Each case knows the version that brought it.
public enum EngineFeature: String, CaseIterable, Sendable {
    case update = "container update"
    case healthcheck = "health checks"
    case initProcess = "init process"
    case prune = "container prune"
    case waitCondition = "wait conditions"
    case statsOneShot = "one-shot stats"

    public var since: APIVersion {
        switch self {
        case .update: APIVersion(1, 22)
        case .healthcheck: APIVersion(1, 24)
        case .initProcess, .prune: APIVersion(1, 25)
        case .waitCondition: APIVersion(1, 30)
        case .statsOneShot: APIVersion(1, 41)
        }
    }
}

/// A client of one Docker engine. Every call has a timeout (streams: until the answer starts);
/// the API version is negotiated once with `negotiate()` and can be capped with `maxVersion`.
public final class EngineClient: Sendable {
    public let endpoint: EngineEndpoint
    /// The newest version this client may use with this engine (a pin, for old engines or tests).
    public let maxVersion: APIVersion
    /// Bound on a whole call that returns at once, and on the wait for a stream's answer to start.
    public let requestTimeout: TimeAmount
    let connector: EngineConnector
    private let negotiated = Mutex<APIVersion?>(nil)

    public init(endpoint: EngineEndpoint, maxVersion: APIVersion = .newest,
                connectTimeout: TimeAmount = .seconds(10), requestTimeout: TimeAmount = .seconds(60),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.endpoint = endpoint
        self.maxVersion = min(maxVersion, .newest)
        self.requestTimeout = requestTimeout
        self.connector = try EngineConnector(endpoint: endpoint, connectTimeout: connectTimeout, group: group)
    }

    /// The version calls use: the negotiated one, or `maxVersion` before negotiation.
    public var version: APIVersion { negotiated.withLock { $0 } ?? maxVersion }

    public func supports(_ feature: EngineFeature) -> Bool { version >= feature.since }

    /// What this engine's API version lacks, for the node's facts.
    public var missingFeatures: [EngineFeature] { EngineFeature.allCases.filter { !supports($0) } }

    /// Asks the engine which versions it speaks (unversioned `/version`) and settles on the newest
    /// both sides know. An engine older than 1.21 is refused.
    @discardableResult
    public func negotiate() async throws -> VersionInfo {
        let info: VersionInfo = try await json(EngineRequest(.GET, "/version", versioned: false))
        guard let theirs = info.ApiVersion.flatMap(APIVersion.init) else {
            throw EngineError(.protocolViolation, "\(endpoint): /version names no ApiVersion")
        }
        let chosen = min(theirs, maxVersion)
        if let floor = info.MinAPIVersion.flatMap(APIVersion.init), chosen < floor {
            throw EngineError(.unsupported, "\(endpoint) speaks API \(floor)..\(theirs); this client speaks \(APIVersion.oldest)..\(maxVersion)")
        }
        guard chosen >= .oldest else {
            throw EngineError(.unsupported, "\(endpoint) speaks API \(theirs); this client needs \(APIVersion.oldest) or newer")
        }
        negotiated.withLock { $0 = chosen }
        return info
    }

    func require(_ feature: EngineFeature) throws {
        guard supports(feature) else {
            throw EngineError(.unsupported, "\(feature.rawValue) needs Engine API \(feature.since); \(endpoint) is used at \(version)")
        }
    }

    // MARK: - Calls

    /// One call whose whole answer is read (bounded) within `requestTimeout`.
    public func send(_ request: EngineRequest) async throws -> EngineResponse {
        try await exchange(request, overall: request.timeout ?? requestTimeout) { head, body, _ in
            EngineResponse(status: Int(head.status.code), headers: head.headers, body: try await body.collect(limit: request.answerLimit))
        }
    }

    /// A call answered with JSON, decoded.
    public func json<T: Decodable>(_ request: EngineRequest, as type: T.Type = T.self) async throws -> T {
        let answer = try await send(request)
        do {
            return try JSONDecoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw EngineError(.protocolViolation, "\(request.method) \(request.path): the engine's answer is not the expected JSON (\(error))")
        }
    }

    /// A call whose answer is read as it comes: `body` gets the response head and a reader of its
    /// bytes. Only the wait for the answer to start is bounded (by `requestTimeout`), unless the
    /// request sets its own overall timeout.
    public func stream<R: Sendable>(_ request: EngineRequest,
                                    _ body: @Sendable (HTTPResponseHead, BodyReader) async throws -> R) async throws -> R {
        try await exchange(request, overall: request.timeout, startTimeout: requestTimeout) { head, reader, _ in
            try await body(head, reader)
        }
    }

    /// A hijacked connection (attach, exec start): `Upgrade: tcp`, then raw bytes both ways. The
    /// stream is multiplexed unless the container or exec has a TTY.
    public func hijack<R: Sendable>(_ request: EngineRequest,
                                    _ body: @Sendable (HijackedStream) async throws -> R) async throws -> R {
        var request = request
        request.headers.append(("Upgrade", "tcp"))
        request.headers.append(("Connection", "Upgrade"))
        return try await exchange(request, overall: request.timeout, startTimeout: requestTimeout) { head, reader, writer in
            try await body(HijackedStream(head: head, reader: reader, writer: writer))
        }
    }

    /// Opens a connection, sends the request and hands the answer to `body`; error statuses become
    /// `EngineError`s with the engine's message. `overall` bounds the whole exchange and
    /// `startTimeout` only the wait for the response head.
    private func exchange<R: Sendable>(_ request: EngineRequest, overall: TimeAmount?, startTimeout: TimeAmount? = nil,
                                       _ body: @Sendable (HTTPResponseHead, BodyReader, WireWriter) async throws -> R) async throws -> R {
        let call = "\(request.method) \(request.path)"
        let channel = try await connector.connect()
        let deadline = Deadline(channel.channel, after: overall ?? startTimeout)
        defer { deadline.cancel() }
        let raw = channel.channel
        do {
            return try await withTaskCancellationHandler {
                try await channel.executeThenClose { inbound, outbound in
                    // Head, body and end in one write where possible: the engine may answer (101)
                    // as soon as it has the head, and nothing should be left to write by then.
                    let head = head(for: request)
                    switch request.body {
                    case .none:
                        try await wire { try await outbound.write(contentsOf: [.head(head), .end]) }
                    case .bytes(let bytes):
                        try await wire { try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(bytes: bytes)), .end]) }
                    case .file(let path):
                        try await wire {
                            try await outbound.write(.head(head))
                            try await Self.writeFile(path, to: outbound)
                            try await outbound.write(.end)
                        }
                    }
                    let reader = BodyReader(inbound.makeAsyncIterator())
                    guard let head = try await reader.head() else {
                        throw EngineError(.protocolViolation, "\(call): \(endpoint) closed the connection without an answer")
                    }
                    if overall == nil { deadline.cancel() }
                    let status = Int(head.status.code)
                    if status >= 400 || status == 304 {
                        let text = (try? await reader.collect(limit: 64 << 10)) ?? []
                        throw EngineError.fromAnswer(status: status, body: text, call: call)
                    }
                    let result = try await body(head, reader, outbound)
                    // A deadline that closed the connection may look like the end of the answer.
                    if deadline.hasFired { throw timeoutError(call, overall ?? startTimeout) }
                    return result
                }
            } onCancel: {
                raw.close(promise: nil)
            }
        } catch let error as EngineError {
            if deadline.hasFired { throw timeoutError(call, overall ?? startTimeout) }
            throw error
        } catch let error as WireError {
            if deadline.hasFired { throw timeoutError(call, overall ?? startTimeout) }
            if Task.isCancelled || error.underlying is CancellationError { throw CancellationError() }
            throw classify(error.underlying, call)
        }
        // Anything else was thrown by the caller's own closure (or is a cancellation): it says
        // nothing about the engine and is passed on as it is.
    }

    /// What a failed read or write of the connection means.
    private func classify(_ error: any Error, _ call: String) -> EngineError {
        // The handshake failed: we do not trust the engine's certificate, or it refused ours.
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return EngineError(.tls, "\(call): the TLS handshake with \(endpoint) failed: \(error)")
        }
        // An answer that is not HTTP: something else listens there, or the engine is broken.
        if error is HTTPParserError || error is ByteToMessageDecoderError {
            return EngineError(.protocolViolation, "\(call): \(endpoint) answered something that is not HTTP (\(error))")
        }
        return EngineError(.unreachable, "\(call): the connection to \(endpoint) failed: \(EngineConnector.describe(error))")
    }

    private func timeoutError(_ call: String, _ limit: TimeAmount?) -> EngineError {
        EngineError(.timeout, "\(call): \(endpoint) did not answer within \(limit?.seconds ?? "?") s")
    }

    private func head(for request: EngineRequest) -> HTTPRequestHead {
        var uri = request.versioned ? "/v\(version)\(request.path)" : request.path
        if !request.query.isEmpty {
            uri += "?" + request.query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var headers = HTTPHeaders()
        switch endpoint.address {
        case .unix: headers.add(name: "Host", value: "docker")
        case .tcp(let host, let port): headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        }
        headers.add(name: "User-Agent", value: "docker-cloud-server")
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        switch request.body {
        case .none:
            headers.add(name: "Content-Length", value: "0")
        case .bytes(let bytes):
            headers.add(name: "Content-Length", value: String(bytes.count))
        case .file(let path):
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            headers.add(name: "Content-Length", value: String(size))
        }
        if let type = request.contentType { headers.add(name: "Content-Type", value: type) }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: uri, headers: headers)
    }

    private static func writeFile(_ path: String, to outbound: NIOAsyncChannelOutboundWriter<WireOutbound>) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EngineError(.protocolViolation, "cannot read \(path)")
        }
        defer { try? handle.close() }
        while true {
            let chunk = try handle.read(upToCount: 256 << 10) ?? Data()
            if chunk.isEmpty { return }
            try await outbound.write(.body(ByteBuffer(bytes: chunk)))
        }
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s }
}

/// One call to the engine. Paths are unversioned (`/containers/json`); the client adds the
/// negotiated `/v1.NN` prefix.
public struct EngineRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// Streamed from a file (image import, archive upload).
        case file(String)
    }

    public var method: HTTPMethod
    public var path: String
    public var query: [(String, String)]
    public var body: Body
    public var contentType: String?
    public var headers: [(String, String)] = []
    public var versioned: Bool
    /// Bound on the whole call; nil: the client's request timeout for calls read whole, none for streams.
    public var timeout: TimeAmount?
    /// The most bytes of an answer read whole.
    public var answerLimit = 64 << 20

    public init(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Body = .none,
                contentType: String? = nil, versioned: Bool = true, timeout: TimeAmount? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
        self.versioned = versioned
        self.timeout = timeout
    }

    /// A JSON body.
    public static func json<T: Encodable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], _ value: T) throws -> EngineRequest {
        let data = try JSONEncoder().encode(value)
        return EngineRequest(method, path, query: query, body: .bytes(Array(data)), contentType: "application/json")
    }
}

/// An answer read whole.
public struct EngineResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// Reads the answer of one call: its head, then body bytes as they arrive (raw bytes after a hijack).
public final class BodyReader: @unchecked Sendable {
    // Used by one task at a time: the exchange that made it, then the body closure it is lent to.
    private var iterator: NIOAsyncChannelInboundStream<WireInbound>.AsyncIterator
    private var ended = false
    /// The answer was `101`: raw bytes follow its end, up to the end of the connection.
    private var upgraded = false

    init(_ iterator: NIOAsyncChannelInboundStream<WireInbound>.AsyncIterator) { self.iterator = iterator }

    /// The next part, a failure of the connection marked as such (so that `exchange` tells it
    /// from an error of the caller's own closure).
    private func nextPart() async throws -> WireInbound? {
        try await wire { try await self.iterator.next() }
    }

    func head() async throws -> HTTPResponseHead? {
        while let part = try await nextPart() {
            if case .head(let h) = part {
                // 1xx informational heads other than 101 are skipped by the decoder; 101 is ours.
                upgraded = h.status == .switchingProtocols
                return h
            }
        }
        return nil
    }

    /// The next bytes, or nil at the end of the answer (or of the connection, after a hijack).
    public func next() async throws -> ByteBuffer? {
        while !ended, let part = try await nextPart() {
            switch part {
            case .body(let b), .raw(let b): return b
            case .end:
                // The end of a 101 head: raw bytes follow. Any other answer is over (the engine
                // keeps the connection open for another request, so waiting for its close would
                // hang a finished `logs`, `export` or pull).
                if upgraded { continue }
                ended = true
                return nil
            case .head: continue
            }
        }
        ended = true
        return nil
    }

    /// Reads the rest of the answer, failing past `limit` bytes.
    public func collect(limit: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let b = try await nextBody() {
            guard out.count + b.readableBytes <= limit else {
                throw EngineError(.protocolViolation, "the engine's answer is larger than \(limit) bytes")
            }
            out.append(contentsOf: b.readableBytesView)
        }
        return out
    }

    /// Body bytes up to the end of the response (not past it, so a 101's raw stream is left alone).
    private func nextBody() async throws -> ByteBuffer? {
        while !ended, let part = try await nextPart() {
            switch part {
            case .body(let b), .raw(let b): return b
            case .end: ended = true; return nil
            case .head: continue
            }
        }
        ended = true
        return nil
    }
}

/// A hijacked connection: the container's (or exec's) output as raw bytes, and its stdin.
public struct HijackedStream: Sendable {
    public let head: HTTPResponseHead
    public let reader: BodyReader
    let writer: WireWriter

    /// `application/vnd.docker.multiplexed-stream` from API 1.42 on; older engines say raw-stream either way.
    public var contentType: String? { head.headers.first(name: "Content-Type") }

    /// Sends bytes to the container's (or exec's) stdin.
    public func write(_ bytes: [UInt8]) async throws {
        try await wire { try await writer.write(.raw(ByteBuffer(bytes: bytes))) }
    }

    /// Half-closes the connection: the process reads end-of-file on stdin, its output goes on.
    public func closeWrite() { writer.finish() }
}

typealias WireWriter = NIOAsyncChannelOutboundWriter<WireOutbound>

/// A failed read or write of an engine connection; `exchange` turns it into an `EngineError`.
struct WireError: Error {
    var underlying: any Error
}

/// Runs a read or write of the connection, marking its failure as the connection's.
func wire<T>(_ operation: () async throws -> T) async throws -> T {
    do {
        return try await operation()
    } catch let error as EngineError {
        throw error
    } catch {
        throw WireError(underlying: error)
    }
}
