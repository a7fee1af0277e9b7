import DockerCloudAPI
import Foundation
import GRDB
import HTTPTypes

/// `/api/repo/v1/`: registries and the external repositories a namespace has registered.
/// Repository credentials are kept for pulling and never returned.
extension ControlPlane {
    static let dockerHub = "registry-1.docker.io"

    /// A list of objects held in memory (catalogs, registries, repositories), filtered on their
    /// top-level attributes: strings (resource URIs with or without their trailing slash),
    /// booleans given as true/false, and membership in list attributes.
    func filtered<T: Codable & Sendable>(_ req: APIRequest, _ objects: [T], filters: Set<String>) throws -> APIResponse {
        var result = objects
        for (k, v) in req.query where !["limit", "offset", "format"].contains(k) {
            guard filters.contains(k) else {
                throw APIError.badRequest("'\(k)' is not a filter of this list; filters: \(filters.sorted().joined(separator: ", "))", field: k)
            }
            let wanted = v.hasPrefix("/api/") && !v.hasSuffix("/") ? v + "/" : v
            result = try result.filter { o in
                let json = try JSONDecoder().decode(JSONValue.self, from: Tx.encoder.encode(o))
                switch json[k] {
                case .string(let s)?: return s == wanted
                case .bool(let b)?: return (b ? "true" : "false") == v.lowercased()
                case .array(let a)?: return a.contains(.string(wanted))
                default: return false
                }
            }
        }
        return try page(req, objects: result)
    }

    static func registryHost(of repository: String) -> String {
        let first = repository.split(separator: "/").first.map(String.init) ?? repository
        if repository.contains("/"), first.contains(".") || first.contains(":") || first == "localhost" { return first }
        return dockerHub
    }

    func registry(host: String, namespace: String) -> Registry {
        var r = Registry()
        r.host = host
        r.name = host == ControlPlane.dockerHub ? "Docker Hub" : host
        r.is_docker_registry = host == ControlPlane.dockerHub
        if let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]) {
            r.port = port
            r.is_ssl = port == 443
        }
        r.resource_uri = ResourceURI.object(.registry, namespace: namespace, id: host)
        return r
    }

    func registries(_ tx: Tx, _ ns: String) throws -> [Registry] {
        var hosts = [ControlPlane.dockerHub]
        for r in try tx.all(Repository.self, where: "namespace = ?", [ns]) {
            let h = ControlPlane.registryHost(of: r.name)
            if !hosts.contains(h) { hosts.append(h) }
        }
        return hosts.map { registry(host: $0, namespace: ns) }
    }

    /// The namespace's repositories with `in_use` computed from its live services.
    func repositories(_ tx: Tx, _ ns: String) throws -> [Repository] {
        let images = Set(try String.fetchAll(tx.db, sql: "SELECT json_extract(body, '$.image_name') FROM objects WHERE kind = 'service' AND namespace = ? AND state != 'Terminated'", arguments: [ns])
            .map { image -> String in
                let last = image.split(separator: "/").last.map(String.init) ?? image
                guard let colon = last.lastIndex(of: ":") else { return image }
                return String(image.dropLast(last.distance(from: colon, to: last.endIndex)))
            })
        return try tx.all(Repository.self, where: "namespace = ?", [ns]).map { r in
            var r = r
            r.in_use = images.contains(r.name) || (ControlPlane.registryHost(of: r.name) == ControlPlane.dockerHub && images.contains("docker.io/" + r.name))
            return r
        }
    }

    static func validRepositoryName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasSuffix("/"), !name.contains("//") else { return false }
        guard !name.contains(where: { $0.isWhitespace || $0.isUppercase }) else { return false }
        let last = name.split(separator: "/").last.map(String.init) ?? name
        return !last.contains(":") && !last.contains("@")
    }

    func registerRepository(_ req: APIRequest, _ caller: Caller) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["name", "username", "password"])
        guard let name = try body.string("name", required: true) else { throw APIError.badRequest("name is required", field: "name") }
        guard ControlPlane.validRepositoryName(name) else {
            throw APIError.badRequest("name: '\(name)' is not a repository name like registry.example.com/team/image (lowercase, no tag)", field: "name")
        }
        let username = try body.string("username")
        let password = try body.string("password")
        let (repo, action) = try write { tx -> (Repository, Action) in
            var r = Repository()
            r.name = name
            r.registry = registry(host: ControlPlane.registryHost(of: name), namespace: caller.namespace).resource_uri
            r.resource_uri = ResourceURI.object(.repository, namespace: caller.namespace, id: name)
            if try tx.get(Repository.self, r.resource_uri) != nil {
                throw APIError.conflict("Repository '\(name)' is already registered in namespace '\(caller.namespace)'")
            }
            try tx.put(r, namespace: caller.namespace)
            try storeCredentials(tx, r.resource_uri, username: username, password: password)
            let a = try recordAction(tx, req, caller: caller, name: "Repository Create", object: r.resource_uri, async: false)
            return (try repositories(tx, caller.namespace).first { $0.name == name } ?? r, a)
        }
        return try .json(repo, status: .created, actionURI: action.resource_uri)
    }

    /// The login is sealed with the server's secret key (Secrets.swift) before it reaches the
    /// store: the database never holds a registry password in plain text.
    func storeCredentials(_ tx: Tx, _ uri: String, username: String?, password: String?) throws {
        guard username != nil || password != nil else { return }
        let key = "credentials:\(uri)"
        var updated = try tx.setting(key).map { try store.secrets.openCredentials($0, context: key) } ?? [:]
        if let username { updated["username"] = username }
        if let password { updated["password"] = password }
        try tx.setSetting(key, try store.secrets.sealCredentials(updated, context: key))
    }

    func updateRepository(_ req: APIRequest, _ caller: Caller, _ name: String) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["username", "password"])
        let username = try body.string("username")
        let password = try body.string("password")
        let (repo, action) = try write { tx -> (Repository, Action) in
            let uri = ResourceURI.object(.repository, namespace: caller.namespace, id: name)
            guard try tx.get(Repository.self, uri) != nil else { throw APIError.notFound("No repository '\(name)' in namespace '\(caller.namespace)'") }
            try storeCredentials(tx, uri, username: username, password: password)
            let a = try recordAction(tx, req, caller: caller, name: "Repository Update", object: uri, async: false)
            return (try repositories(tx, caller.namespace).first { $0.name == name }!, a)
        }
        return try .json(repo, actionURI: action.resource_uri)
    }

    func deleteRepository(_ req: APIRequest, _ caller: Caller, _ name: String) throws -> APIResponse {
        let (repo, action) = try write { tx -> (Repository, Action) in
            let uri = ResourceURI.object(.repository, namespace: caller.namespace, id: name)
            guard var repo = try tx.get(Repository.self, uri) else { throw APIError.notFound("No repository '\(name)' in namespace '\(caller.namespace)'") }
            repo.in_use = try repositories(tx, caller.namespace).first { $0.name == name }?.in_use ?? false
            try tx.delete(Repository.self, uri)
            try tx.db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: ["credentials:\(uri)"])
            return (repo, try recordAction(tx, req, caller: caller, name: "Repository Delete", object: uri, async: false))
        }
        return try .json(repo, actionURI: action.resource_uri)
    }
}
