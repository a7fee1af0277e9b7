import Foundation

/// The API's URL layout, shared by client and server:
/// `/api/<subsystem>/v1/[<namespace>/]<endpoint>/[<id>/][<operation>/]`.
public enum Subsystem: String, CaseIterable, Sendable {
    case app, infra, repo, audit
    public var prefix: String { "/api/\(rawValue)/v1/" }
}

/// Every endpoint (collection) of the API, with the subsystem it lives in.
public enum Endpoint: String, CaseIterable, Sendable {
    case stack, service, container, trigger
    case provider, region, az, nodetype, nodecluster, node
    /// BYO node tokens (`POST` only; no model).
    case token
    case registry, repository
    case action, events

    public var subsystem: Subsystem {
        switch self {
        case .stack, .service, .container, .trigger: return .app
        case .provider, .region, .az, .nodetype, .nodecluster, .node, .token: return .infra
        case .registry, .repository: return .repo
        case .action, .events: return .audit
        }
    }

    /// Namespaced endpoints carry the owner's namespace in their resource URIs. The catalogs and
    /// actions do not (an action's owner is its `user` attribute).
    public var isNamespaced: Bool {
        switch self {
        case .provider, .region, .az, .nodetype, .action: return false
        default: return true
        }
    }

    public static func named(_ s: String, in subsystem: Subsystem) -> Endpoint? {
        guard let e = Endpoint(rawValue: s), e.subsystem == subsystem, e != .trigger else { return nil }
        return e
    }
}

/// Builders for resource URIs. Every URI ends with a slash, as the API returns them.
public enum ResourceURI {
    public static func collection(_ endpoint: Endpoint, namespace: String?) -> String {
        if endpoint.isNamespaced, let namespace, !namespace.isEmpty {
            return endpoint.subsystem.prefix + namespace + "/" + endpoint.rawValue + "/"
        }
        return endpoint.subsystem.prefix + endpoint.rawValue + "/"
    }

    public static func object(_ endpoint: Endpoint, namespace: String?, id: String) -> String {
        collection(endpoint, namespace: namespace) + id + "/"
    }

    // The stream API. Its paths carry the namespace even for actions, whose REST paths do not.

    /// `/api/{app,audit}/v1/[ns/]{container,service,action}/<uuid>/logs/`
    public static func logs(_ endpoint: Endpoint, namespace: String?, id: String) -> String {
        let ns = namespace.map { $0.isEmpty ? "" : $0 + "/" } ?? ""
        return endpoint.subsystem.prefix + ns + endpoint.rawValue + "/" + id + "/logs/"
    }

    /// `/api/audit/v1/[ns/]events` (no trailing slash, as the clients have always called it).
    public static func events(namespace: String?) -> String { String(collection(.events, namespace: namespace).dropLast()) }

    /// `/api/app/v1/[ns/]container/<uuid>/exec/`
    public static func exec(namespace: String?, container: String) -> String { object(.container, namespace: namespace, id: container) + "exec/" }

    public static func trigger(namespace: String, service: String, trigger: String) -> String {
        object(.service, namespace: namespace, id: service) + "trigger/\(trigger)/"
    }

    public static func provider(_ name: String) -> String { object(.provider, namespace: nil, id: name) }
    public static func region(_ provider: String, _ name: String) -> String { object(.region, namespace: nil, id: "\(provider)/\(name)") }
    public static func nodeType(_ provider: String, _ name: String) -> String { object(.nodetype, namespace: nil, id: "\(provider)/\(name)") }
    public static func az(_ provider: String, _ region: String, _ name: String) -> String {
        object(.az, namespace: nil, id: "\(provider)/\(region)/\(name)")
    }

    /// The last path segment of a resource URI: the uuid of `/api/app/v1/ns/service/<uuid>/`.
    /// A bare id is returned unchanged.
    public static func lastSegment(_ uri: String) -> String {
        uri.split(separator: "/").last.map(String.init) ?? uri
    }
}
