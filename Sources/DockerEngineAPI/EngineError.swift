import Foundation

/// A failed engine call, with what kind of failure it was (callers decide on the kind: a missing
/// container is not a dead engine) and a one-line description that names the engine's own reason.
public struct EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The engine could not be reached (refused, no such socket, unknown host).
        case unreachable
        /// The engine did not answer in time.
        case timeout
        /// The TLS files are missing or the handshake failed.
        case tls
        /// The engine answered with an error status.
        case status(Int)
        /// The engine's answer is not what its API sends.
        case protocolViolation
        /// This engine's API version lacks the feature.
        case unsupported
    }

    public var kind: Kind
    public var message: String
    /// The engine's own words, without the call ("Invalid signal: BOGUS"); the message otherwise.
    public var reason: String

    public init(_ kind: Kind, _ message: String, reason: String? = nil) {
        self.kind = kind
        self.message = message
        self.reason = reason ?? message
    }

    public var status: Int? {
        if case .status(let code) = kind { return code }
        return nil
    }

    public var isNotFound: Bool { status == 404 }
    public var isConflict: Bool { status == 409 }
    /// 304: already started, already stopped.
    public var isNotModified: Bool { status == 304 }

    public var description: String { message }

    /// The engine's `{"message": "..."}` error body, or the first line of a text body.
    static func fromAnswer(status: Int, body: [UInt8], call: String) -> EngineError {
        var reason = ""
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let m = object["message"] as? String {
            reason = m
        } else if let text = String(bytes: body.prefix(300), encoding: .utf8) {
            reason = text.split(separator: "\n").first.map(String.init) ?? ""
        }
        if reason.isEmpty { reason = "HTTP \(status)" }
        return EngineError(.status(status), "\(call): \(reason)", reason: reason)
    }
}
