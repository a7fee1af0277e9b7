import DockerCloudAPI
import DockerCloudKit
import Foundation

/// Identifier resolution as docker-cloud 1.0.9 did it (long uuid, uuid prefix, name, `name.stack`),
/// with its messages.
struct Resolver {
    let api: APIClient

    static func isUUID(_ s: String) -> Bool {
        let parts = s.lowercased().split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && s.allSatisfy { $0.isHexDigit || $0 == "-" }
    }

    /// The objects an identifier may mean: those whose uuid starts with it, else (except for nodes
    /// and actions, which have no names) those of that name.
    func candidates<T: Codable & Sendable>(_ type: T.Type, _ endpoint: Endpoint, _ identifier: String) throws -> [T] {
        let byUUID = try api.listAll(T.self, api.path(endpoint), filters: [("uuid__startswith", identifier)])
        if !byUUID.isEmpty || [.node, .action].contains(endpoint) { return byUUID }
        return try api.listAll(T.self, api.path(endpoint), filters: [("name", identifier)])
    }

    /// The one object an identifier names, for list filters (`--stack`, `--service`), worded as 1.0.9 did.
    func filterTarget<T: Codable & Sendable>(_ type: T.Type, _ endpoint: Endpoint, _ identifier: String, kind: String) throws -> T {
        let matches = try candidates(type, endpoint, identifier)
        guard matches.count == 1 else {
            throw CommandError(description: matches.isEmpty ? "Identifier '\(identifier)' does not match any \(kind)"
                                                            : "Identifier \(identifier) matches more than one \(kind), please use UUID instead")
        }
        return matches[0]
    }

    /// One object by long uuid, uuid prefix, name, or `name.stack` (services and containers).
    /// Unlike 1.0.9, a failed direct fetch that is not a 404 (401, 500, a dead server) is reported
    /// as what it is, not as "Cannot find".
    func resolve(_ endpoint: Endpoint, _ identifier: String, kind: String) throws -> JSONValue {
        let notFound = CommandError(description: "Cannot find \(Lifecycle.article(kind)) with the identifier '\(identifier)'", notFound: true)
        if Resolver.isUUID(identifier) {
            do { return try api.get(JSONValue.self, api.path(endpoint, id: identifier.lowercased())) } catch let e as APIClientError where e.status == 404 {
                throw notFound
            }
        }
        var matches: [JSONValue]
        if [.service, .container].contains(endpoint), let dot = identifier.firstIndex(of: ".") {
            let name = String(identifier[..<dot]), stack = String(identifier[identifier.index(after: dot)...])
            let key = endpoint == .service ? "stack__name" : "service__stack__name"
            matches = try api.listAll(JSONValue.self, api.path(endpoint), filters: [("name", name), (key, stack)])
        } else {
            matches = try candidates(JSONValue.self, endpoint, identifier)
        }
        if matches.count > 1 {
            // A redeploy leaves terminated namesakes behind; a name then means the live object.
            // (1.0.9 gave up here; where more than one is live, so do we.)
            let live = matches.filter { $0["state"]?.stringValue != "Terminated" }
            guard live.count == 1 else { throw CommandError(description: "More than one \(kind) has the same identifier, please use the long uuid") }
            matches = live
        }
        guard let found = matches.first, let uuid = found["uuid"]?.stringValue else { throw notFound }
        return try api.get(JSONValue.self, api.path(endpoint, id: uuid))
    }
}

extension JSONValue {
    /// The uuid of an object the server sent. An answer without one is an error here, rather than a
    /// next request to `.../service//`.
    func requireUUID() throws -> String {
        guard let uuid = self["uuid"]?.stringValue, !uuid.isEmpty else {
            throw CommandError(description: "The server's answer has no uuid: \(String(OutputFormat.json(self).prefix(200)))")
        }
        return uuid
    }
}
