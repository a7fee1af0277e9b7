import DockerCloudAPI
import Foundation

/// Where the API is and whose namespace to work in, from the old CLI's environment.
public struct APIConfig: Sendable {
    /// REST base, path prefix kept (`http://host/prefix/` serves `http://host/prefix/api/...`).
    public var restHost: String
    public var streamHost: String
    public var namespace: String?
    public var userAgent: String
    /// `DOCKERCLOUD_TIMEOUT`: seconds one REST request may take in all; nil: no bound on the
    /// whole, but a server that sends nothing for `stallTimeout` seconds ends the request.
    public var requestTimeout: Int?
    public var stallTimeout = 60

    public init(restHost: String = "https://cloud.docker.com/", streamHost: String = "wss://ws.cloud.docker.com/",
                namespace: String? = nil, userAgent: String = "docker-cloud") {
        self.restHost = restHost; self.streamHost = streamHost; self.namespace = namespace; self.userAgent = userAgent
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment, userAgent: String) -> APIConfig {
        var c = APIConfig(userAgent: userAgent)
        if let v = env["DOCKERCLOUD_REST_HOST"], !v.isEmpty { c.restHost = v }
        if let v = env["DOCKERCLOUD_STREAM_HOST"], !v.isEmpty { c.streamHost = v }
        if let v = env["DOCKERCLOUD_NAMESPACE"], !v.isEmpty { c.namespace = v }
        if let v = env["DOCKERCLOUD_TIMEOUT"], let seconds = Double(v.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds < 1e6 {
            c.requestTimeout = max(1, Int(seconds.rounded(.up)))
        }
        return c
    }

    /// `base` + `path`, with exactly one slash between them.
    public static func join(_ base: String, _ path: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + (path.hasPrefix("/") ? path : "/" + path)
    }
}

/// An answer of the API that is not a success, with the server's own message.
public struct APIClientError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var method: String
    public var url: String
    /// The server's `error` text, or its raw body when it sent no JSON error.
    public var message: String
    public var description: String {
        status == 401 ? "Not authorized: \(message)" : "\(message) (HTTP \(status) from \(method) \(redactedURL(url)))"
    }
}

/// The REST client: resource paths, namespaces, authentication, retries and paging.
public final class APIClient: @unchecked Sendable {
    public let config: APIConfig
    private let credentials: @Sendable () -> Credentials?
    private let pool: TransportPool
    /// Attempts for an idempotent request whose connection failed or that got 502/503/504.
    public var attempts = 3
    /// `--debug`: one line per request and per answer (method, URL, status, time, size). Never
    /// headers or bodies, so credentials and secrets sent in bodies stay out of logs.
    public var trace: (@Sendable (String) -> Void)?

    /// `credentials` is called on the first request only, so commands that never reach the API
    /// never look for them.
    /// `timeout`: seconds a request may take in all (connecting included); by default the
    /// config's `DOCKERCLOUD_TIMEOUT`, else none (the stall timeout still ends a silent server).
    public init(config: APIConfig, transports: Int = 4, timeout: Int? = nil, credentials: @escaping @Sendable () -> Credentials?) {
        self.config = config
        self.credentials = credentials
        self.pool = TransportPool(size: transports, userAgent: config.userAgent, timeout: timeout ?? config.requestTimeout ?? 0)
    }

    private lazy var authorization: String? = credentials()?.authorization

    /// `/api/<subsystem>/v1/[ns/]<endpoint>/[id/][operation/]` for this client's namespace.
    public func path(_ endpoint: Endpoint, id: String? = nil, operation: String? = nil) -> String {
        var p = ResourceURI.collection(endpoint, namespace: config.namespace)
        if let id { p += id + "/" }
        if let operation { p += operation + "/" }
        return p
    }

    public func url(_ path: String, query: [(String, String)] = []) -> String {
        var u = APIConfig.join(config.restHost, path)
        if !query.isEmpty {
            let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?/"))
            u += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        }
        return u
    }

    /// Sends a request; retries idempotent ones on connection failures and 502/503/504 with back-off.
    /// `contentType` of the body (JSON by default); `timeout` in seconds (0: none) replaces the
    /// client's for this request, `stallTimeout` gives up when nothing arrives for that long.
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                     contentType: String = "application/json", timeout: Int? = nil, stallTimeout: Int? = nil) throws -> HTTPReply {
        try send(method, path, query: query, body: body, contentType: contentType, timeout: timeout, stallTimeout: stallTimeout, consume: nil)
    }

    /// A request whose successful answer's body goes to `consume` as it arrives (with the answer's
    /// headers, names lowercased), never held whole in memory: exports and archives. No total
    /// timeout; `stallTimeout` seconds without a byte give up. Not retried once a byte was consumed.
    /// An error `consume` throws ends the transfer and is thrown as it is.
    public func stream(_ method: String, _ path: String, query: [(String, String)] = [], stallTimeout: Int = 120,
                       consume: @escaping ([String: String], UnsafeRawBufferPointer) throws -> Void) throws -> HTTPReply {
        let state = StreamState()
        do {
            return try send(method, path, query: query, body: nil, contentType: "application/json", timeout: 0, stallTimeout: stallTimeout) { headers, bytes in
                state.started = true
                do { try consume(headers, bytes); return true } catch { state.failure = error; return false }
            } retryable: { !state.started }
        } catch {
            if let failure = state.failure { throw failure }
            throw error
        }
    }

    private final class StreamState: @unchecked Sendable {
        var started = false
        var failure: Error?
    }

    private func send(_ method: String, _ path: String, query: [(String, String)], body: Data?, contentType: String,
                      timeout: Int?, stallTimeout: Int?, consume: (([String: String], UnsafeRawBufferPointer) -> Bool)?,
                      retryable: () -> Bool = { true }) throws -> HTTPReply {
        let target = url(path, query: query)
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = contentType }
        lock.lock()
        let auth = authorization
        lock.unlock()
        if let auth { headers["Authorization"] = auth }
        let idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method)
        var delay = 0.2
        for attempt in 1...max(1, attempts) {
            let last = attempt == attempts || !idempotent || !retryable()
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                trace?("request: \(method) \(redactedURL(target))\(body.map { " (\($0.count) bytes)" } ?? "")")
                let reply = try pool.with { try $0.send(method, target, headers: headers, body: body, timeout: timeout,
                                                        stallTimeout: stallTimeout ?? config.stallTimeout, consume: consume) }
                trace?("response: \(reply.status) for \(method) \(redactedURL(target)) in \((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000) ms (\(reply.body.count) bytes)")
                if [502, 503, 504].contains(reply.status), !last {
                    Thread.sleep(forTimeInterval: delay); delay *= 2
                    continue
                }
                guard (200..<300).contains(reply.status) else { throw APIClient.error(reply, method, target) }
                return reply
            } catch let error as TransportError where !last && retryable() && (error.kind == .connect || error.kind == .timeout) {
                trace?("retrying in \(delay) s: \(error)")
                Thread.sleep(forTimeInterval: delay); delay *= 2
            }
        }
        throw TransportError(kind: .other, url: target, detail: "gave up after \(attempts) attempts")
    }

    private let lock = NSLock()

    /// The error for an answer that is not a success, with the server's own message.
    public static func error(_ reply: HTTPReply, _ method: String, _ url: String) -> APIClientError {
        let json = try? JSONValue.parse(reply.body)
        let text = String(decoding: reply.body, as: UTF8.self)
        var message = json?["error"]?.stringValue ?? json?["detail"]?.stringValue ?? ""
        if message.isEmpty {
            // Not the API's JSON (a proxy's HTML page, say): the status, and the text only when short and plain.
            let plain = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            message = plain.isEmpty || plain.count > 160 || plain.hasPrefix("<") ? HTTPStatusText.reason(reply.status) : plain
        }
        return APIClientError(status: reply.status, method: method, url: url, message: APIClient.oneLine(message))
    }

    /// Messages are printed as one line.
    static func oneLine(_ s: String) -> String { s.split(whereSeparator: \.isNewline).joined(separator: " ") }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Double.Type, is Float.Type: return "a number"
        case is any FixedWidthInteger.Type: return "an integer"
        case is [JSONValue].Type: return "a list"
        case is [String: JSONValue].Type: return "an object"
        default: return "a \(type)"
        }
    }

    /// A short reason a document did not decode: the JSON path and what was wrong there.
    static func reason(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "'\(path(context.codingPath + [key]))' is missing"
        case DecodingError.typeMismatch(let type, let context):
            let at = path(context.codingPath)
            return (at.isEmpty ? "it" : "'\(at)'") + " is not \(typeName(type))" + (context.debugDescription.isEmpty ? "" : " (\(context.debugDescription))")
        case let e as AnswerShape: return e.description
        case DecodingError.valueNotFound(_, let context): return "'\(path(context.codingPath))' is null"
        case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty: return "it is not JSON"
        case DecodingError.dataCorrupted(let context): return "'\(path(context.codingPath))' is invalid"
        case let e as JSONValue.ParseError: return "it is not JSON (\(e.reason) at byte \(e.offset))"
        default: return "\(error)"
        }
    }

    /// An answer as the type a command reads (tolerantly: see TolerantDecoding). A list page must
    /// have its `objects` list; its `meta` may lack anything (a page without it is the whole list).
    public func decode<T: Decodable>(_ type: T.Type, _ reply: HTTPReply) throws -> T {
        do {
            let document = try (T.self as? ListPageShape.Type)?.parseDocument(reply.body) ?? JSONValue.parse(reply.body)
            if T.self is ListPageShape.Type {
                guard case .object(let fields) = document else { throw AnswerShape.wrongType("", expected: "an object", found: document) }
                guard let objects = fields["objects"] else { throw AnswerShape.missing("objects") }
                guard case .array = objects else { throw AnswerShape.wrongType("objects", expected: "a list", found: objects) }
            }
            return try TolerantDecoding.decode(T.self, from: document)
        } catch {
            throw APIClientError(status: reply.status, method: reply.method, url: reply.url, message: "the server's answer is not what the API sends: \(APIClient.reason(error))")
        }
    }

    public func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) throws -> T {
        try decode(type, try send("GET", path, query: query))
    }

    /// Every object of a list, page by page, robust against servers that cap the limit, loop
    /// their `next` link or state a `total_count` they do not deliver: each page is asked at the
    /// offset the answers so far reached, with the limit the server answered; the walk stops at an
    /// empty page, a `next` that is null or does not advance, or `total_count`, so a server cannot
    /// make it ask for more pages than it returns (plus the empty one that ends a list).
    public func listAll<T: Codable & Sendable>(_ type: T.Type, _ path: String, filters: [(String, String)] = [], pageSize: Int = 1000) throws -> [T] {
        let first = try get(ListPage<T>.self, path, query: filters + [("limit", String(pageSize)), ("offset", "0")])
        var objects = first.objects
        // The page size the server really uses (it may cap what was asked).
        let step = max(1, first.meta.limit > 0 ? min(first.meta.limit, max(pageSize, 1)) : first.objects.count)
        var last = (meta: first.meta, count: first.objects.count, start: 0)
        let query: @Sendable (Int) -> [(String, String)] = { offset in filters + [("limit", String(step)), ("offset", String(offset))] }
        // Pages are asked one after another; the next is fetched while this one is decoded, when the list says it
        // exists (the last page was full and total_count is beyond it): an honest server is never
        // asked for a page it does not have; one whose total lies costs that one request.
        var prefetch: (offset: Int, reply: ResultSlots<HTTPReply>, done: DispatchSemaphore)?
        defer { prefetch?.done.wait() }
        while ListWalk.goesOn(last.meta, count: last.count, start: last.start, reached: objects.count) {
            let offset = objects.count
            let pending = prefetch
            prefetch = nil
            pending?.done.wait()
            let reply = try pending.flatMap { $0.offset == offset ? try $0.reply.values()[0] : nil } ?? send("GET", path, query: query(offset))
            if last.count == step, let total = last.meta.total_count, offset + step < total {
                let ahead = (offset: offset + step, reply: ResultSlots<HTTPReply>(count: 1), done: DispatchSemaphore(value: 0))
                DispatchQueue.global().async {
                    ahead.reply.set(0, Result { try self.send("GET", path, query: query(ahead.offset)) })
                    ahead.done.signal()
                }
                prefetch = ahead
            }
            let page = try decode(ListPage<T>.self, reply)
            let start = objects.count
            objects += page.objects
            last = (page.meta, page.objects.count, start)
        }
        return objects
    }
}

/// What an answer lacks to be the API's shape at all.
enum AnswerShape: Error, CustomStringConvertible {
    case missing(String)
    case wrongType(String, expected: String, found: JSONValue)

    var description: String {
        switch self {
        case .missing(let key): return "'\(key)' is missing"
        case .wrongType(let at, let expected, let found): return (at.isEmpty ? "it" : "'\(at)'") + " is not \(expected) (it is \(found.typeName))"
        }
    }
}

/// A list page, which must at least have its `objects` list (its `meta` may lack anything: a page
/// without one is the whole list).
protocol ListPageShape {
    /// The page as JSON, its objects keeping only the attributes their type reads.
    static func parseDocument(_ data: Data) throws -> JSONValue
}

extension ListPage: ListPageShape {
    static func parseDocument(_ data: Data) throws -> JSONValue {
        try TolerantDecoding.attributes(of: T.self).map { try JSONValue.parsePage(data, objectKeys: $0) } ?? JSONValue.parse(data)
    }
}

/// When a paged walk goes on: the last page had objects, the list says there are more, and its
/// `next` link points past that page.
enum ListWalk {
    static func goesOn(_ meta: ListMeta, count: Int, start: Int, reached: Int) -> Bool {
        count > 0 && reached < (meta.total_count ?? Int.max) && nextAdvances(meta, beyond: start)
    }

    /// A `next` link that is there and points past the page it came with (a server whose `next`
    /// repeats the same offset would loop a client that trusted it).
    static func nextAdvances(_ meta: ListMeta, beyond offset: Int) -> Bool {
        guard let next = meta.next, !next.isEmpty else { return false }
        guard let query = next.split(separator: "?", maxSplits: 1).dropFirst().first else { return true }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == "offset", let value = Int(kv[1]) { return value > offset }
        }
        return true
    }
}

/// A few transports, one per concurrent request, each keeping its connection alive.
final class TransportPool: @unchecked Sendable {
    private var idle: [CurlTransport]
    private let lock = NSCondition()

    init(size: Int, userAgent: String, timeout: Int) {
        idle = (0..<max(1, size)).map { _ in CurlTransport(timeout: timeout, connectTimeout: timeout > 0 ? min(10, timeout) : 10, userAgent: userAgent) }
    }

    func with<T>(_ body: (CurlTransport) throws -> T) rethrows -> T {
        lock.lock()
        while idle.isEmpty { lock.wait() }
        let t = idle.removeLast()
        lock.unlock()
        defer { lock.lock(); idle.append(t); lock.signal(); lock.unlock() }
        return try body(t)
    }
}

final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [Result<T, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); slots[i] = r; lock.unlock() }
    func values() throws -> [T] { try slots.map { try $0!.get() } }
}

enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        [400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
         409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
         503: "Service Unavailable", 504: "Gateway Timeout"][status] ?? "HTTP \(status)"
    }
}
