import DockerCloudAPI
import Foundation
import GRDB
import Synchronization

/// A resource kept in the store: its JSON document plus the few columns lists filter and sort on.
protocol StoredResource: Codable, Sendable {
    static var endpoint: Endpoint { get }
    /// Primary key within the kind: the uuid, or the name for repositories.
    var key: String { get }
    var indexName: String? { get }
    var indexState: String? { get }
    /// uuid of the owning object: service → stack, container → service, node → node cluster,
    /// action → object, trigger → service.
    var indexParent: String? { get }
    /// container → node.
    var indexParent2: String? { get }
}

extension StoredResource {
    var indexParent2: String? { nil }
}

/// An event with the namespace it belongs to, which decides who may see it on the stream.
struct NamespacedEvent: Sendable {
    let namespace: String
    let event: Event
    private let wire = EncodedEvent()

    init(namespace: String, event: Event) {
        self.namespace = namespace
        self.event = event
    }

    /// The event as the stream sends it: encoded by the first subscriber that sends it and shared
    /// by the others (a write nobody listens to encodes nothing); "" if it cannot be encoded.
    var json: String { wire.json(event) }

    private final class EncodedEvent: Sendable {
        private let cached = Mutex<String?>(nil)

        func json(_ event: Event) -> String {
            cached.withLock { cached in
                if let cached { return cached }
                let json = (try? Tx.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                cached = json
                return json
            }
        }
    }
}

/// The SQLite store. Every object is one row holding its API JSON, so that a list is a range scan
/// whose bodies are spliced into the response without decoding. Writes are serialized by GRDB;
/// with a file database, reads run concurrently (WAL).
final class Store: Sendable {
    let db: any DatabaseWriter
    /// Seals the secrets kept in the store (registry passwords); its key is never in the database.
    let secrets: SecretBox
    let quotas: Quotas

    /// `path == nil` gives a throwaway in-memory database.
    init(path: String?, secrets: SecretBox = .ephemeral(), quotas: Quotas = .standard) throws {
        self.secrets = secrets
        self.quotas = quotas
        var config = Configuration()
        // `docker-cloud-server keys add|rm` writes to the same file while the server runs: wait for
        // the other's transaction instead of failing with SQLITE_BUSY.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit is in the WAL before we answer, so kill -9 loses nothing that was
            // acknowledged; only a power cut could lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if let path {
            db = try DatabasePool(path: path, configuration: config)
        } else {
            db = try DatabaseQueue(configuration: config)
        }
        try migrate()
    }

    private func migrate() throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE objects (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    namespace TEXT NOT NULL,
                    name TEXT,
                    state TEXT,
                    parent TEXT,
                    parent2 TEXT,
                    body BLOB NOT NULL,
                    UNIQUE(kind, key)
                );
                CREATE INDEX objects_list ON objects(kind, namespace, seq);
                CREATE INDEX objects_parent ON objects(kind, parent, state);
                CREATE INDEX objects_parent2 ON objects(kind, parent2, state);
                CREATE INDEX objects_name ON objects(kind, namespace, name);
                CREATE TABLE logs (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    owner TEXT NOT NULL,
                    source TEXT,
                    stream TEXT,
                    ts INTEGER NOT NULL,
                    line TEXT NOT NULL
                );
                CREATE INDEX logs_owner ON logs(owner, seq);
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
        // Which of the driver's hosts (engines) backs each node: the driver's own key.
        migrator.registerMigration("v2-node-hosts") { db in
            try db.execute(sql: "CREATE TABLE node_hosts (node TEXT PRIMARY KEY, host TEXT NOT NULL)")
        }
        // API keys as salted hashes (KeyStore.swift); several per user, so that keys can be rotated.
        migrator.registerMigration("v3-api-keys") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    user TEXT NOT NULL,
                    rounds INTEGER NOT NULL,
                    salt BLOB NOT NULL,
                    hash BLOB NOT NULL,
                    source TEXT NOT NULL,
                    created TEXT NOT NULL
                );
                CREATE INDEX api_keys_user ON api_keys(user);
                """)
        }
        // Quotas count a namespace's live objects of a kind: from the index alone.
        migrator.registerMigration("v4-quota-index") { db in
            try db.execute(sql: "CREATE INDEX objects_quota ON objects(kind, namespace, state)")
        }
        // Bring your own node: one-time join tokens (only their hashes) and the certificate each
        // brought node was given (BroughtNodes.swift).
        migrator.registerMigration("v5-brought-nodes") { db in
            try db.execute(sql: """
                CREATE TABLE join_tokens (
                    hash TEXT PRIMARY KEY,
                    namespace TEXT NOT NULL,
                    cluster TEXT,
                    expires REAL NOT NULL,
                    state TEXT NOT NULL,
                    address TEXT,
                    port INTEGER,
                    certificate_sha256 TEXT,
                    certificate_serial TEXT
                );
                CREATE TABLE node_certificates (
                    node TEXT PRIMARY KEY,
                    serial TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    issued TEXT NOT NULL,
                    revoked TEXT
                );
                """)
        }
        try migrator.migrate(db)
    }

    /// Runs `body` in one write transaction and returns what it produced together with the events
    /// it recorded; nothing it wrote is kept if it throws.
    func write<T>(_ body: (Tx) throws -> T) throws -> (T, [NamespacedEvent]) {
        try db.write { db in
            let tx = Tx(db, quotas: quotas)
            let value = try body(tx)
            return (value, tx.events)
        }
    }

    func read<T>(_ body: (Tx) throws -> T) throws -> T {
        try db.read { db in try body(Tx(db, quotas: quotas)) }
    }

    /// This server's identity, made at its first start: engine containers carry it in a label, so
    /// that servers sharing an engine never adopt or remove each other's containers.
    func serverID() throws -> String {
        try db.write { db in
            if let id = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'server_id'") { return id }
            let id = UUID().uuidString.lowercased()
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('server_id', ?)", arguments: [id])
            return id
        }
    }
}

/// Typed access to the store inside one transaction.
final class Tx {
    let db: Database
    let quotas: Quotas
    fileprivate(set) var events: [NamespacedEvent] = []

    init(_ db: Database, quotas: Quotas) {
        self.db = db
        self.quotas = quotas
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    func get<T: StoredResource>(_ type: T.Type, _ key: String) throws -> T? {
        guard let data = try Data.fetchOne(db, sql: "SELECT body FROM objects WHERE kind = ? AND key = ?",
                                           arguments: [T.endpoint.rawValue, key]) else { return nil }
        return try JSONDecoder().decode(T.self, from: data)
    }

    func setNodeHost(_ node: String, _ host: String) throws {
        try db.execute(sql: "INSERT INTO node_hosts (node, host) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET host = excluded.host", arguments: [node, host])
    }

    func nodeHosts() throws -> [String: String] {
        Dictionary(try Row.fetchAll(db, sql: "SELECT node, host FROM node_hosts").map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { a, _ in a })
    }

    func namespace<T: StoredResource>(of type: T.Type, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT namespace FROM objects WHERE kind = ? AND key = ?",
                            arguments: [T.endpoint.rawValue, key])
    }

    /// Inserts or replaces the object. `event` ("create"/"update"/"delete") queues an event for
    /// the stream, published once the transaction commits.
    func put<T: StoredResource>(_ object: T, namespace: String, event: String? = nil, parents: [String] = [],
                                resourceURI: String? = nil, state: String? = nil) throws {
        try checkQuota(kind: T.endpoint, key: object.key, namespace: namespace, state: object.indexState)
        let body = try Tx.encoder.encode(object)
        try db.execute(sql: """
            INSERT INTO objects (kind, key, namespace, name, state, parent, parent2, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(kind, key) DO UPDATE SET name = excluded.name, state = excluded.state, parent = excluded.parent,
                parent2 = excluded.parent2, body = excluded.body
            """, arguments: [T.endpoint.rawValue, object.key, namespace, object.indexName, object.indexState,
                             object.indexParent, object.indexParent2, body])
        if let event, let uri = resourceURI {
            events.append(NamespacedEvent(namespace: namespace, event: Event(
                type: T.endpoint.rawValue, action: event, parents: parents, resource_uri: uri,
                state: state ?? object.indexState, uuid: UUID().uuidString.lowercased(), datetime: APIDate.iso8601(Date()))))
        }
    }

    func delete<T: StoredResource>(_ type: T.Type, _ key: String) throws {
        try db.execute(sql: "DELETE FROM objects WHERE kind = ? AND key = ?", arguments: [T.endpoint.rawValue, key])
    }


    /// Every object of a kind matching an SQL condition on the index columns, in creation order.
    func all<T: StoredResource>(_ type: T.Type, where condition: String = "1", _ arguments: StatementArguments = []) throws -> [T] {
        let rows = try Data.fetchAll(db, sql: "SELECT body FROM objects WHERE kind = ? AND (\(condition)) ORDER BY seq",
                                     arguments: [T.endpoint.rawValue] + arguments)
        let decoder = JSONDecoder()
        return try rows.map { try decoder.decode(T.self, from: $0) }
    }

    func children<T: StoredResource>(_ type: T.Type, parent: String) throws -> [T] {
        try all(type, where: "parent = ?", [parent])
    }

    // MARK: logs

    @discardableResult
    /// Keeps an owner's newest `keep` lines: a chatty container cannot grow the store without bound.
    func trimLogs(owner: String, keep: Int) throws {
        try db.execute(sql: "DELETE FROM logs WHERE owner = ? AND seq < (SELECT seq FROM logs WHERE owner = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                       arguments: [owner, owner, keep - 1])
    }

    func appendLog(owner: String, source: String?, stream: String?, line: String, at date: Date = Date()) throws -> Int64 {
        try db.execute(sql: "INSERT INTO logs (owner, source, stream, ts, line) VALUES (?, ?, ?, ?, ?)",
                       arguments: [owner, source, stream, Int(date.timeIntervalSince1970), line])
        return db.lastInsertedRowID
    }

    struct LogRow { var seq: Int64; var owner: String; var source: String?; var stream: String?; var ts: Int; var line: String }

    /// The last `tail` lines of the owners' logs, oldest first.
    func logs(owners: [String], tail: Int?) throws -> [LogRow] {
        guard !owners.isEmpty else { return [] }
        let marks = owners.map { _ in "?" }.joined(separator: ",")
        let limit = tail.map { " LIMIT \($0)" } ?? ""
        let rows = try Row.fetchAll(db, sql: "SELECT seq, owner, source, stream, ts, line FROM logs WHERE owner IN (\(marks)) ORDER BY seq DESC\(limit)",
                                    arguments: StatementArguments(owners))
        return rows.reversed().map { LogRow(seq: $0[0], owner: $0[1], source: $0[2], stream: $0[3], ts: $0[4], line: $0[5]) }
    }

    // MARK: settings (counters)

    func setting(_ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
    }

    func setSetting(_ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, value])
    }

    /// A counter that survives restarts (port allocation, container numbering).
    func nextCounter(_ key: String, start: Int) throws -> Int {
        let current = try setting(key).flatMap(Int.init) ?? (start - 1)
        try setSetting(key, String(current + 1))
        return current + 1
    }
}

// MARK: - Index columns per resource

extension Service: StoredResource {
    static var endpoint: Endpoint { .service }
    var key: String { uuid }
    var indexName: String? { name }
    var indexState: String? { state }
    var indexParent: String? { stack.map(ResourceURI.lastSegment) }
}

extension Container: StoredResource {
    static var endpoint: Endpoint { .container }
    var key: String { uuid }
    var indexName: String? { name }
    var indexState: String? { state }
    var indexParent: String? { service.map(ResourceURI.lastSegment) }
    var indexParent2: String? { node.map(ResourceURI.lastSegment) }
}

extension Stack: StoredResource {
    static var endpoint: Endpoint { .stack }
    var key: String { uuid }
    var indexName: String? { name }
    var indexState: String? { state }
    var indexParent: String? { nil }
}

extension NodeCluster: StoredResource {
    static var endpoint: Endpoint { .nodecluster }
    var key: String { uuid }
    var indexName: String? { name }
    var indexState: String? { state }
    var indexParent: String? { nil }
}

extension Node: StoredResource {
    static var endpoint: Endpoint { .node }
    var key: String { uuid }
    var indexName: String? { nickname }
    var indexState: String? { state }
    var indexParent: String? { node_cluster.map(ResourceURI.lastSegment) }
}

extension Action: StoredResource {
    static var endpoint: Endpoint { .action }
    var key: String { uuid }
    var indexName: String? { action }
    var indexState: String? { state }
    var indexParent: String? { object.map(ResourceURI.lastSegment) }
}

extension Repository: StoredResource {
    static var endpoint: Endpoint { .repository }
    /// Names are unique per namespace only, so the key is the resource URI (which holds both).
    var key: String { resource_uri }
    var indexName: String? { name }
    var indexState: String? { nil }
    var indexParent: String? { nil }
}

extension Trigger: StoredResource {
    static var endpoint: Endpoint { .trigger }
    var key: String { uuid }
    var indexName: String? { name }
    var indexState: String? { nil }
    /// The service uuid is the fifth-from-last segment of `.../service/<uuid>/trigger/<uuid>/`.
    var indexParent: String? {
        let parts = resource_uri.split(separator: "/")
        return parts.count >= 3 ? String(parts[parts.count - 3]) : nil
    }
}
