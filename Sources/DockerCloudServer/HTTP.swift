import DockerCloudAPI
import Foundation
import HTTPTypes

/// An error answered to the client as `{"error": "..."}` with its status.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// The request field at fault, for 400s.
    var field: String?
    /// Seconds, for 429s (sent as `Retry-After`).
    var retryAfter: Int?

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, field: field)
    }
    static func notFound(_ message: String = "Not found") -> APIError { APIError(status: .notFound, message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: .conflict, message: message) }
    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(status: .methodNotAllowed, message: "Method \(method.rawValue) is not allowed on \(path)")
    }
    /// An operation the object's current state does not allow.
    static func state(_ what: String, _ state: String, _ operation: String) -> APIError {
        APIError(status: .badRequest, message: "Cannot \(operation) a \(what) in state '\(state)'")
    }
    static func tooManyFailedLogins(retryAfter seconds: Int) -> APIError {
        APIError(status: .tooManyRequests, message: "Too many failed logins from this address: try again in \(seconds) seconds", retryAfter: seconds)
    }
    static func foreignNamespace(user: String, namespace: String) -> APIError {
        APIError(status: .forbidden, message: "User '\(user)' may not use namespace '\(namespace)': it does not exist or '\(user)' is not a member of it")
    }
    static let unauthorized = APIError(status: .unauthorized, message: "Authentication credentials were not provided or are invalid. Use 'Authorization: Basic base64(user:apikey)' or 'ApiKey user:apikey'.")
}

/// An answer: status, JSON body and extra headers.
struct APIResponse: Sendable {
    var status: HTTPResponse.Status
    var body: Data
    var actionURI: String?
    var contentType = "application/json"
    var headers: [(String, String)] = []
    /// A body produced as it is sent (a container's files as a tar): `produce` hands chunks to
    /// the writer, which waits while the client is slower than the producer.
    var produce: (@Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void)?

    init(status: HTTPResponse.Status, body: Data, actionURI: String?) {
        self.status = status
        self.body = body
        self.actionURI = actionURI
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, actionURI: String? = nil) throws -> APIResponse {
        APIResponse(status: status, body: try Tx.encoder.encode(value), actionURI: actionURI)
    }

    static func error(_ error: APIError) -> APIResponse {
        var object: [String: String] = ["error": error.message]
        if let field = error.field { object["field"] = field }
        var answer = APIResponse(status: error.status, body: (try? Tx.encoder.encode(object)) ?? Data(), actionURI: nil)
        if let seconds = error.retryAfter { answer.headers.append(("Retry-After", String(seconds))) }
        return answer
    }
}

/// A parsed API request: the path split into subsystem, namespace and the segments after it.
struct APIRequest: Sendable {
    var method: HTTPRequest.Method
    /// The path as sent (for action records).
    var rawPath: String
    var subsystem: Subsystem
    /// The namespace segment, when the path has one.
    var namespace: String?
    /// Segments after the namespace: `["service", "<uuid>", "start"]`.
    var segments: [String]
    var query: [(String, String)]
    var body: Data
    var authorization: String?
    var userAgent: String
    var ip: String

    func queryValue(_ name: String) -> String? { query.last(where: { $0.0 == name })?.1 }

    /// Parses `/api/<subsystem>/v1/[ns/]...`. Doubled slashes and a missing trailing slash reach
    /// the same handler (the Python 2 SDK asks for `.../service/<uuid>//trigger/`).
    static func parsePath(_ path: String) -> (Subsystem, String?, [String])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count >= 3, parts[0] == "api", parts[2] == "v1", let sub = Subsystem(rawValue: parts[1]) else { return nil }
        var rest = Array(parts.dropFirst(3))
        guard !rest.isEmpty else { return (sub, nil, []) }
        // The first segment is a namespace unless it names an endpoint of this subsystem and the
        // next one does not (so a user called "service" still works: /api/app/v1/service/service/).
        let isEndpoint = { (s: String) in Endpoint.named(s, in: sub) != nil }
        let firstIsEndpoint = isEndpoint(rest[0])
        let secondIsEndpoint = rest.count > 1 && isEndpoint(rest[1])
        if firstIsEndpoint && !secondIsEndpoint { return (sub, nil, rest) }
        let ns = rest.removeFirst()
        return (sub, ns, rest)
    }

    static func parseQuery(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").compactMap { pair in
            guard !pair.isEmpty else { return nil }
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }
}

/// The caller once authenticated, and the namespace the request works in.
struct Caller: Sendable {
    var user: String
    var namespace: String
    var visible: Set<String>
}

// MARK: - Request bodies

/// A JSON object body with typed, field-naming accessors: every problem becomes a 400 that names
/// the field, and unknown fields are rejected so a typo is not silently ignored.
struct Body {
    let fields: [String: JSONValue]
    let prefix: String

    init(_ data: Data) throws {
        if data.isEmpty || data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            fields = [:]; prefix = ""; return
        }
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw APIError.badRequest("Malformed JSON body: send a JSON object with Content-Type: application/json")
        }
        guard case .object(let o) = value else { throw APIError.badRequest("The JSON body must be an object, not a \(value.typeName)") }
        fields = o; prefix = ""
    }

    init(object: [String: JSONValue], prefix: String) { fields = object; self.prefix = prefix }

    func path(_ key: String) -> String { prefix + key }

    func has(_ key: String) -> Bool { fields[key] != nil }

    func rejectUnknown(allowed: Set<String>) throws {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw APIError.badRequest("\(path(key)): unknown field", field: path(key))
        }
    }

    private func wrong(_ key: String, _ expected: String, _ got: JSONValue) -> APIError {
        .badRequest("\(path(key)): expected \(expected), got \(got.typeName)", field: path(key))
    }

    func string(_ key: String, required: Bool = false, nullable: Bool = true) throws -> String? {
        guard let v = fields[key] else {
            if required { throw APIError.badRequest("\(path(key)): this field is required", field: path(key)) }
            return nil
        }
        if v.isNull {
            if required || !nullable { throw wrong(key, "a string", v) }
            return nil
        }
        guard let s = v.stringValue else { throw wrong(key, "a string", v) }
        if required && s.trimmingCharacters(in: .whitespaces).isEmpty {
            throw APIError.badRequest("\(path(key)): must not be empty", field: path(key))
        }
        return s
    }

    func int(_ key: String, min: Int? = nil, max: Int? = nil) throws -> Int? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let i = v.intValue else { throw wrong(key, "an integer", v) }
        if let min, i < min { throw APIError.badRequest("\(path(key)): must be at least \(min)", field: path(key)) }
        if let max, i > max { throw APIError.badRequest("\(path(key)): must be at most \(max)", field: path(key)) }
        return i
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw wrong(key, "true or false", v) }
        return b
    }

    func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard choices.contains(s) else {
            throw APIError.badRequest("\(path(key)): '\(s)' is not one of \(choices.joined(separator: ", "))", field: path(key))
        }
        return s
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw wrong(key, "a list of strings", v) }
        return try a.enumerated().map { i, e in
            guard let s = e.stringValue else { throw wrong("\(key)[\(i)]", "a string", e) }
            return s
        }
    }

    func objects(_ key: String) throws -> [Body]? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw wrong(key, "a list of objects", v) }
        return try a.enumerated().map { i, e in
            guard let o = e.objectValue else { throw wrong("\(key)[\(i)]", "an object", e) }
            return Body(object: o, prefix: "\(path(key))[\(i)].")
        }
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let o = v.objectValue else { throw wrong(key, "an object of strings", v) }
        var result: [String: String] = [:]
        for (k, e) in o {
            guard let s = e.stringValue else { throw wrong("\(key).\(k)", "a string", e) }
            result[k] = s
        }
        return result
    }

    /// `tags`: a list of `{"name": ...}` objects (plain strings are accepted too).
    func tags(_ key: String = "tags") throws -> [Tag]? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw wrong(key, "a list of {\"name\": ...} objects", v) }
        var seen = Set<String>()
        var result: [Tag] = []
        for (i, e) in a.enumerated() {
            let name: String?
            if let s = e.stringValue { name = s } else { name = e["name"]?.stringValue }
            guard let name, !name.isEmpty else { throw wrong("\(key)[\(i)]", "{\"name\": \"...\"}", e) }
            if seen.insert(name).inserted { result.append(Tag(name: name)) }
        }
        return result
    }
}
