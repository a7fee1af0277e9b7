import DockerCloudAPI
import Foundation
import GRDB

/// How much one namespace may keep in the store: live objects per kind (a create over the limit is
/// refused with 403, nothing written), and how much history is kept (terminated objects and finished
/// actions beyond it are removed, with their logs, by `Tx.sweep`). The operator sets them with
/// `--quota KIND=N`; without it a shared server still has a bound on everything a client can make.
struct Quotas: Sendable, Equatable {
    /// Live (not Terminated) objects per namespace.
    var live: [Endpoint: Int] = [
        .service: 1000, .container: 5000, .stack: 500, .nodecluster: 100, .node: 500, .trigger: 1000, .repository: 1000,
    ]
    /// Terminated objects kept per kind and namespace, newest first (Docker Cloud also listed them for a while).
    var terminated = 200
    /// Finished actions kept per namespace, newest first.
    var actions = 10_000

    static let standard = Quotas()

    /// The names `--quota` takes: a kind, `terminated` or `actions`.
    static var names: [String] { Quotas.standard.live.keys.map(\.rawValue).sorted() + ["terminated", "actions"] }

    /// Applies `NAME=N` (N from 0 to 1,000,000).
    mutating func set(_ spec: String) throws {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let n = Int(parts[1]), (0...1_000_000).contains(n) else {
            throw ServerOptions.UsageError(description: "--quota: expected NAME=N with N from 0 to 1000000, got '\(spec)'")
        }
        switch parts[0] {
        case "terminated": terminated = n
        case "actions": actions = n
        case let kind:
            guard let e = Endpoint(rawValue: kind), live[e] != nil else {
                throw ServerOptions.UsageError(description: "--quota: '\(kind)' is not one of \(Quotas.names.joined(separator: ", "))")
            }
            live[e] = n
        }
    }

    /// `--quota`'s lines in the server's help, from the defaults above.
    static var help: String {
        let indent = String(repeating: " ", count: 33)
        let kinds = standard.live.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
        var lines = ["live objects of a kind, over which a create is refused with 403:"]
        for item in kinds.map({ $0 + "," }) {
            if (lines[lines.count - 1] + " " + item).count > 64 { lines.append(item) } else { lines[lines.count - 1] += " " + item }
        }
        lines[lines.count - 1].removeLast()
        lines += ["terminated \(standard.terminated): terminated objects kept of each kind;",
                  "actions \(standard.actions): finished actions kept. Older history goes with its logs"]
        return lines.map { indent + $0 }.joined(separator: "\n")
    }

    static func exceeded(_ kind: Endpoint, _ namespace: String, limit: Int) -> APIError {
        APIError(status: .forbidden, message: "Namespace '\(namespace)' has \(limit) \(kind.rawValue)\(limit == 1 ? "" : "s"), the most this server keeps: terminate or remove some first (the operator sets it with --quota \(kind.rawValue)=N)")
    }
}

extension Tx {
    /// Refuses a new live object over its namespace's quota; an object already stored may change freely.
    func checkQuota(kind: Endpoint, key: String, namespace: String, state: String?) throws {
        guard let limit = quotas.live[kind], state != "Terminated" else { return }
        let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM objects WHERE kind = ? AND key = ?", arguments: [kind.rawValue, key]) ?? false
        guard !exists else { return }
        let live = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects WHERE kind = ? AND namespace = ? AND state IS NOT 'Terminated'",
                                    arguments: [kind.rawValue, namespace]) ?? 0
        if live >= limit { throw Quotas.exceeded(kind, namespace, limit: limit) }
    }

    /// Removes the history beyond the quotas: the oldest terminated objects of each kind and the
    /// oldest finished actions of each namespace, with the logs they owned. Returns how many objects went.
    @discardableResult
    func sweep() throws -> Int {
        var removed = 0
        func prune(kind: String, states: [String], keep: Int) throws {
            let marks = states.map { _ in "?" }.joined(separator: ",")
            let namespaces = try String.fetchAll(db, sql: "SELECT DISTINCT namespace FROM objects WHERE kind = ? AND state IN (\(marks))",
                                                 arguments: StatementArguments([kind] + states))
            for ns in namespaces {
                let keys = try String.fetchAll(db, sql: """
                    SELECT key FROM objects WHERE kind = ? AND namespace = ? AND state IN (\(marks))
                    ORDER BY seq DESC LIMIT -1 OFFSET ?
                    """, arguments: StatementArguments([kind, ns] + states + [keep]))
                for key in keys {
                    try db.execute(sql: "DELETE FROM objects WHERE kind = ? AND key = ?", arguments: [kind, key])
                    try db.execute(sql: "DELETE FROM logs WHERE owner = ?", arguments: [key])
                    if kind == Endpoint.node.rawValue { try db.execute(sql: "DELETE FROM node_hosts WHERE node = ?", arguments: [key]) }
                }
                removed += keys.count
            }
        }
        for kind in [Endpoint.container, .service, .stack, .node, .nodecluster] {
            try prune(kind: kind.rawValue, states: ["Terminated"], keep: quotas.terminated)
        }
        try prune(kind: Endpoint.action.rawValue, states: ["Success", "Failed", "Canceled"], keep: quotas.actions)
        // Join tokens a day past their expiry (until then a late use is told it expired).
        try db.execute(sql: "DELETE FROM join_tokens WHERE expires < ?", arguments: [Date().timeIntervalSince1970 - 86_400])
        removed += db.changesCount
        return removed
    }
}
