import DockerCloudAPI
import Foundation
import GRDB
import HTTPTypes
import Logging
import Synchronization

/// The server's state and behaviour, independent of the HTTP framework: the store, the accounts,
/// the node driver and the live streams. Handlers for each API subsystem live in extensions
/// (AppAPI, InfraAPI, RepoAPI, AuditAPI, StreamAPI); the reconciliation of desired state into
/// containers and nodes is in Deployment.swift.
public final class ControlPlane: Sendable {
    let store: Store
    let accounts: Accounts
    let driver: any NodeDriver
    let config: ControlPlaneConfig
    let events = Broadcast<NamespacedEvent>()
    let liveLogs = Broadcast<LiveLog>()
    let runtime = RuntimeState()
    let loginThrottle: LoginThrottle
    let connectionLimits: ConnectionLimits
    /// Node → the driver host backing it (kept in the store's node_hosts; read on every driver call).
    let nodeHosts: Mutex<[String: String]>
    /// The base URL clients reach us at; known for sure only once the listener is bound.
    let publicBase: Mutex<String>
    var publicURL: String { publicBase.withLock { $0 } }
    let logger: Logger

    init(store: Store, accounts: Accounts, driver: any NodeDriver, config: ControlPlaneConfig, logger: Logger) {
        loginThrottle = LoginThrottle(maxFailures: config.maxFailedLogins == 0 ? Int.max : config.maxFailedLogins)
        connectionLimits = ConnectionLimits(maxPerClient: config.maxConnectionsPerClient)
        self.store = store
        self.accounts = accounts
        self.driver = driver
        self.config = config
        self.logger = logger
        self.publicBase = Mutex(config.publicURL)
        self.nodeHosts = Mutex((try? store.read { try $0.nodeHosts() }) ?? [:])
    }

    /// The action a piece of work belongs to, so that what it reports (image pulls) lands in that action's log.
    @TaskLocal static var currentAction: String?

    /// Runs a write transaction and publishes the events it recorded once it has committed.
    @discardableResult
    func write<T>(_ body: (Tx) throws -> T) throws -> T {
        let (value, events) = try store.write(body)
        for e in events { self.events.publish(e) }
        return value
    }

    func read<T>(_ body: (Tx) throws -> T) throws -> T { try store.read(body) }

    /// History beyond the quotas (terminated objects, finished actions) is removed at start and then this often.
    static let sweepInterval = Duration.seconds(60)

    func sweepHistory() async {
        while !Task.isCancelled {
            do {
                let (removed, _) = try store.write { try $0.sweep() }
                if removed > 0 { logger.info("removed \(removed) terminated objects and finished actions beyond the quotas") }
            } catch {
                logger.error("could not remove old history: \(error)")
            }
            try? await Task.sleep(for: Self.sweepInterval)
        }
    }

    // MARK: - Dispatch

    /// Answers one REST request. Never throws: every failure becomes a JSON error body.
    func handle(_ req: APIRequest) async -> APIResponse {
        do {
            return try await dispatch(req)
        } catch let error as APIError {
            return .error(error)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return .error(.conflict("Conflict: \(error.message ?? "an object with the same unique fields exists")"))
        } catch {
            logger.error("internal error on \(req.method.rawValue) \(req.rawPath): \(error)")
            return .error(APIError(status: .internalServerError, message: "Internal server error; the request was not applied"))
        }
    }

    /// The user whose credentials the request carries. Repeated bad credentials from one address
    /// are answered 429 before they are checked.
    func authenticate(_ req: APIRequest) throws -> String {
        if let wait = loginThrottle.blocked(req.ip) { throw APIError.tooManyFailedLogins(retryAfter: wait) }
        guard let user = accounts.authenticate(req.authorization) else {
            loginThrottle.recordFailure(req.ip)
            throw APIError.unauthorized
        }
        return user
    }

    /// Authenticates the request and picks its namespace: the path's, or the user's own.
    func authorize(_ req: APIRequest) throws -> Caller {
        let user = try authenticate(req)
        let visible = accounts.namespaces(of: user)
        let ns = req.namespace ?? user
        // A namespace that does not exist and one the caller may not see answer alike, so that
        // names cannot be probed.
        guard visible.contains(ns) else { throw APIError.foreignNamespace(user: user, namespace: ns) }
        return Caller(user: user, namespace: ns, visible: visible)
    }

    // MARK: - Actions

    /// Records an action for a write. Asynchronous ones start "In progress" and are finished by
    /// `finishAction`; synchronous ones are recorded as done.
    func recordAction(_ tx: Tx, _ req: APIRequest, caller: Caller, name: String, object: String?,
                      async: Bool, success: Bool = true) throws -> Action {
        var a = Action()
        a.uuid = newUUID()
        a.resource_uri = ResourceURI.object(.action, namespace: nil, id: a.uuid)
        a.action = name
        a.object = object
        a.method = req.method.rawValue
        a.path = req.rawPath
        a.user = caller.namespace
        a.user_agent = req.userAgent
        a.ip = req.ip
        a.location = req.ip.hasPrefix("127.") || req.ip == "::1" ? "Localhost" : ""
        a.start_date = APIDate.rfc1123(Date())
        if async {
            a.state = "In progress"
            a.can_be_canceled = true
        } else {
            a.state = success ? "Success" : "Failed"
            a.end_date = a.start_date
            a.can_be_retried = true
        }
        try tx.put(a, namespace: caller.namespace, event: "create", parents: object.map { [$0] } ?? [], resourceURI: a.resource_uri)
        return a
    }

    func actionLog(_ tx: Tx, _ actionUUID: String, _ line: String) throws {
        let seq = try tx.appendLog(owner: actionUUID, source: nil, stream: "stdout", line: line)
        liveLogs.publish(LiveLog(seq: seq, owners: [actionUUID], message: LogMessage(source: nil, log: line, streamType: nil, timestamp: Int(Date().timeIntervalSince1970))))
    }

    /// Ends an asynchronous action, unless it was canceled meanwhile.
    func finishAction(_ uuid: String, success: Bool, log: String? = nil) {
        do {
            try write { tx in
                guard var a = try tx.get(Action.self, uuid), let ns = try tx.namespace(of: Action.self, uuid) else { return }
                if let log { try actionLog(tx, uuid, log) }
                guard Lifecycle.action.transitional.contains(a.state) else { return }
                a.state = a.state == "Canceling" ? "Canceled" : (success ? "Success" : "Failed")
                a.end_date = APIDate.rfc1123(Date())
                a.can_be_canceled = false
                a.can_be_retried = true
                try tx.put(a, namespace: ns, event: "update", parents: a.object.map { [$0] } ?? [], resourceURI: a.resource_uri)
            }
        } catch {
            logger.error("could not finish action \(uuid): \(error)")
        }
    }

    /// A 202 answer: the object, with the action's URI in `X-DockerCloud-Action-URI`.
    func accepted<T: Encodable>(_ object: T, _ action: Action) throws -> APIResponse {
        try .json(object, status: .accepted, actionURI: action.resource_uri)
    }

    // MARK: - Lists

    /// A filter understood by a list endpoint: how a query parameter becomes SQL.
    enum Filter {
        /// Compare an index column.
        case column(String)
        /// The uuid at the end of a resource URI, compared with an index column.
        case uriColumn(String)
        /// An index column starting with the value (LIKE wildcards in the value are literal).
        case prefix(String)
        /// A custom condition with one `?` for the value.
        case sql(String)
        /// A custom condition with two: the caller's namespace, then the value.
        case sqlInNamespace(String)
    }

    static let commonFilters: [String: Filter] = [
        "uuid": .column("key"),
        "uuid__startswith": .prefix("key"),
        "name": .column("name"),
        "name__startswith": .prefix("name"),
        "state": .sql("state = ? COLLATE NOCASE"),
    ]

    /// Answers a list request with the `{"meta", "objects"}` envelope, splicing the stored JSON.
    func list<T: StoredResource>(_ type: T.Type, _ req: APIRequest, namespaces: [String],
                                 filters: [String: Filter] = [:], extra: (String, StatementArguments)? = nil,
                                 newestFirst: Bool = false) throws -> APIResponse {
        let (limit, offset) = try pageParameters(req)
        var conditions = ["kind = ?"]
        var args: StatementArguments = [T.endpoint.rawValue]
        conditions.append("namespace IN (\(namespaces.map { _ in "?" }.joined(separator: ",")))")
        args += StatementArguments(namespaces)
        if let extra { conditions.append(extra.0); args += extra.1 }
        let allFilters = ControlPlane.commonFilters.merging(filters) { _, new in new }
        for (key, value) in req.query where !["limit", "offset", "format", "_"].contains(key) {
            guard let filter = allFilters[key] else {
                throw APIError.badRequest("'\(key)' is not a filter of \(T.endpoint.rawValue) lists; filters: \(allFilters.keys.sorted().joined(separator: ", "))", field: key)
            }
            switch filter {
            case .column(let c): conditions.append("\(c) = ?"); args += [value]
            case .uriColumn(let c): conditions.append("\(c) = ?"); args += [ResourceURI.lastSegment(value)]
            case .prefix(let c):
                let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                conditions.append("\(c) LIKE ? || '%' ESCAPE '\\'"); args += [escaped]
            case .sql(let s):
                conditions.append(s); args += [value]
            case .sqlInNamespace(let s):
                conditions.append(s); args += [namespaces.first ?? "", value]
            }
        }
        let whereSQL = conditions.joined(separator: " AND ")
        return try read { tx in
            let total = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM objects WHERE \(whereSQL)", arguments: args) ?? 0
            let order = newestFirst ? "DESC" : "ASC"
            let limitSQL = " LIMIT \(limit) OFFSET \(offset)"
            let bodies = try Data.fetchAll(tx.db, sql: "SELECT body FROM objects WHERE \(whereSQL) ORDER BY seq \(order)\(limitSQL)", arguments: args)
            return try page(req, bodies: bodies, total: total, limit: limit, offset: offset)
        }
    }

    /// Builds the list envelope around already-encoded objects.
    func page(_ req: APIRequest, bodies: [Data], total: Int, limit: Int, offset: Int) throws -> APIResponse {
        func link(_ newOffset: Int) -> String {
            var items = req.query.filter { $0.0 != "limit" && $0.0 != "offset" }
            items.append(("limit", String(limit)))
            items.append(("offset", String(newOffset)))
            let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+/?"))
            let q = items.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
            let base = req.rawPath.split(separator: "?").first.map(String.init) ?? req.rawPath
            return base + "?" + q.joined(separator: "&")
        }
        let effectiveLimit = limit
        // offset < total - limit, not offset + limit < total: no sum of client numbers can overflow.
        let next = limit != 0 && offset < total - limit ? link(offset + limit) : nil
        let previous = limit != 0 && offset > 0 ? link(max(0, offset - limit)) : nil
        let meta = ListMeta(limit: effectiveLimit, offset: offset, next: next, previous: previous, total_count: total)
        var out = Data("{\"meta\":".utf8)
        out.append(try Tx.encoder.encode(meta))
        out.append(contentsOf: Array(",\"objects\":[".utf8))
        for (i, b) in bodies.enumerated() {
            if i > 0 { out.append(0x2c) }
            out.append(b)
        }
        out.append(contentsOf: Array("]}".utf8))
        return APIResponse(status: .ok, body: out, actionURI: nil)
    }

    /// A list of objects already in memory (catalogs, post-filtered lists).
    func page<T: Encodable>(_ req: APIRequest, objects: [T]) throws -> APIResponse {
        let (limit, offset) = try pageParameters(req)
        let slice = Array(objects.dropFirst(offset).prefix(limit))
        return try page(req, bodies: try slice.map { try Tx.encoder.encode($0) }, total: objects.count, limit: limit, offset: offset)
    }

    /// Far past any list a store holds, and far from Int's limit (an offset near 2^63 once trapped the server).
    static let maxOffset = 1_000_000_000
    static let maxLimit = 1000
    var maxOffset: Int { Self.maxOffset }

    func pageParameters(_ req: APIRequest) throws -> (Int, Int) {
        var limit = 25, offset = 0
        if let l = req.queryValue("limit") {
            guard let v = Int(l), v >= 0 else { throw APIError.badRequest("limit: expected a non-negative integer, got '\(l.prefix(40))'", field: "limit") }
            // As tastypie: 0 asks for as many as allowed. No answer is unbounded.
            limit = v == 0 ? ControlPlane.maxLimit : min(v, ControlPlane.maxLimit)
        }
        if let o = req.queryValue("offset") {
            guard let v = Int(o), (0...maxOffset).contains(v) else {
                throw APIError.badRequest("offset: expected an integer from 0 to \(maxOffset), got '\(o.prefix(40))'", field: "offset")
            }
            offset = v
        }
        return (limit, offset)
    }

    /// Fetches an object of the caller's namespace, or answers 404.
    func fetch<T: StoredResource>(_ type: T.Type, _ tx: Tx, _ key: String, _ caller: Caller) throws -> T {
        guard let ns = try tx.namespace(of: type, key), ns == caller.namespace, let object = try tx.get(type, key) else {
            throw APIError.notFound("No \(T.endpoint.rawValue) with uuid '\(key)' in namespace '\(caller.namespace)'")
        }
        return object
    }

    /// Body of the object as stored, for GETs that need no decoding.
    func fetchRaw(_ endpoint: Endpoint, _ key: String, _ caller: Caller) throws -> APIResponse {
        try read { tx in
            guard let row = try Row.fetchOne(tx.db, sql: "SELECT namespace, body FROM objects WHERE kind = ? AND key = ?",
                                             arguments: [endpoint.rawValue, key]),
                  (row[0] as String) == caller.namespace else {
                throw APIError.notFound("No \(endpoint.rawValue) with uuid '\(key)' in namespace '\(caller.namespace)'")
            }
            return APIResponse(status: .ok, body: row[1], actionURI: nil)
        }
    }
}

func newUUID() -> String { UUID().uuidString.lowercased() }

/// Settings of the plane that come from the operator's command line.
struct ControlPlaneConfig: Sendable {
    /// DNS domain of generated names: `<service>.<ns>.svc.<domain>`.
    var domain = "dockercloud.local"
    /// The REST base clients reach us at, for link variables and API URLs in containers.
    var publicURL = "http://127.0.0.1:8080"
    /// Which namespaces may use settings that reach the host (privileged, host paths, host net/pid, ...).
    var hostAccess = HostAccess.all
    /// Bad credentials from one address per minute before it is answered 429 (0: never).
    var maxFailedLogins = 20
    /// Connections open at once from one address.
    var maxConnectionsPerClient = 256
    /// The CA of this server's nodes (DATA/ca); none for an --in-memory server, which keeps nothing.
    var nodeAuthority: NodeAuthority?
    /// How long a node may be unreachable before the containers that may move do (LostNodes.swift).
    var rescheduleAfter: Duration = .seconds(30)
    /// Which namespaces may use host-access settings on hosts brought by users: only those the
    /// operator named with --allow-privileged (a host of an organisation is shared by its members).
    var broughtHostAccess = HostAccess.namespaces([])
    /// How long a `node byo` token can be used.
    var joinTokenLifetime: TimeInterval = 3600
}

/// The operator's `--allow-privileged`: every namespace, some, or none.
enum HostAccess: Sendable, Equatable {
    case all
    case namespaces(Set<String>)

    func allows(_ ns: String) -> Bool {
        switch self {
        case .all: true
        case .namespaces(let set): set.contains(ns)
        }
    }
}
