import Crypto
import DockerCloudAPI
import DockerEngineAPI
import Foundation
import GRDB
import SwiftASN1
import X509

/// Bring your own node (issue 11): a one-time, expiring join token (`POST token/`, which
/// `docker-cloud node byo` calls), the join script the host runs (`GET token/join.sh`), the
/// signing of the host engine's TLS certificate with the token (`POST token/sign/`) and the
/// host's registration as a node once its engine listens (`POST token/register/`).
///
/// The token is the only credential of the last three calls and is kept only as a hash. It is
/// spent in two steps: signing binds it to the host's address and certificate, registration
/// (which only that engine can pass: the server connects to it and accepts nothing but that
/// certificate) uses it up.
extension ControlPlane {
    /// Unexpired tokens a namespace may hold at once.
    static let maxOpenJoinTokens = 100
    /// How long registration keeps trying to reach a host's engine (it may still be starting).
    static let registrationPatience: Duration = .seconds(30)
    /// The Engine API port a joining host's engine listens on, unless it says otherwise.
    static let engineTLSPort = 2376

    struct JoinToken {
        var namespace: String
        var cluster: String?
        var state: String
        var address: String?
        var port: Int?
        var certificateSHA256: String?
        var certificateSerial: String?
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `POST /api/infra/v1/[ns/]token/`: a token for one host, optionally joining a node cluster
    /// of the `byon` provider, and the command to run on the host.
    func createJoinToken(_ req: APIRequest, _ caller: Caller) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["node_cluster"])
        guard config.nodeAuthority != nil else {
            throw APIError(status: .conflict, message: "This server has no node CA to sign a brought node's certificate (it was started without a data or key directory)")
        }
        let clusterRef = try body.string("node_cluster")
        // 128 bits, written as the 32 hexadecimal digits Docker Cloud's tokens had.
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        let expires = Date().addingTimeInterval(config.joinTokenLifetime)
        let clusterURI: String? = try write { tx -> String? in
            let now = Date().timeIntervalSince1970
            let open = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM join_tokens WHERE namespace = ? AND expires > ? AND state != 'used'",
                                        arguments: [caller.namespace, now]) ?? 0
            if open >= Self.maxOpenJoinTokens {
                throw APIError(status: .forbidden, message: "Namespace '\(caller.namespace)' holds \(open) unused join tokens, the most it may: use them or wait for them to expire (\(Int(config.joinTokenLifetime / 60)) minutes)")
            }
            var uri: String? = nil
            if let clusterRef {
                let uuid = ResourceURI.lastSegment(clusterRef)
                let nc = try fetch(NodeCluster.self, tx, uuid, caller)
                guard nc.node_type == ResourceURI.nodeType(Catalog.broughtProvider, Catalog.broughtProvider) else {
                    throw APIError.badRequest("node_cluster: '\(nc.name)' is a cluster of provider \(nc.node_type); hosts join clusters of provider \(Catalog.broughtProvider)", field: "node_cluster")
                }
                guard !["Terminating", "Terminated"].contains(nc.state) else { throw APIError.state("node cluster", nc.state, "join") }
                uri = nc.resource_uri
            }
            try tx.db.execute(sql: "INSERT INTO join_tokens (hash, namespace, cluster, expires, state) VALUES (?, ?, ?, ?, 'issued')",
                              arguments: [Self.tokenHash(token), caller.namespace, uri, expires.timeIntervalSince1970])
            return uri
        }
        let script = "\(publicURL)/api/infra/v1/token/join.sh"
        let answer: [String: JSONValue] = [
            "token": .string(token), "namespace": .string(caller.namespace), "expires": .string(APIDate.rfc1123(expires)),
            "command": .string("curl -Ls \(script) | sudo -H sh -s \(token)"), "script": .string(script),
            "node_cluster": clusterURI.map(JSONValue.string) ?? .null,
        ]
        return try .json(answer, status: .created)
    }

    /// The token's row, if it can still be used in `state`; otherwise the reason, as a 403 (a
    /// token nobody issued counts as a failed login, so tokens cannot be guessed at speed).
    private func usableToken(_ tx: Tx, _ token: String, ip: String, in states: [String]) throws -> JoinToken {
        let row = try Row.fetchOne(tx.db, sql: "SELECT namespace, cluster, expires, state, address, port, certificate_sha256, certificate_serial FROM join_tokens WHERE hash = ?",
                                   arguments: [Self.tokenHash(token)])
        guard let row else {
            loginThrottle.recordFailure(ip)
            throw APIError(status: .forbidden, message: "Unknown join token: get one with `docker-cloud node byo`")
        }
        let t = JoinToken(namespace: row[0], cluster: row[1], state: row[3], address: row[4], port: row[5],
                          certificateSHA256: row[6], certificateSerial: row[7])
        if t.state == "used" { throw APIError(status: .forbidden, message: "This join token was used already: get a new one with `docker-cloud node byo`") }
        if (row[2] as Double) < Date().timeIntervalSince1970 {
            throw APIError(status: .forbidden, message: "This join token has expired: get a new one with `docker-cloud node byo`")
        }
        guard states.contains(t.state) else {
            throw APIError(status: .forbidden, message: t.state == "issued"
                ? "This join token has not signed a certificate yet: run the join script from the start"
                : "This join token has signed a certificate already: run the join script again with a new token")
        }
        return t
    }

    private func tokenField(_ body: Body, ip: String) throws -> String {
        if let wait = loginThrottle.blocked(ip) { throw APIError.tooManyFailedLogins(retryAfter: wait) }
        guard let token = try body.string("token", required: true), token.count <= 128 else {
            throw APIError.badRequest("token: expected the join token `docker-cloud node byo` printed", field: "token")
        }
        return token
    }

    /// `POST token/sign/`: `{token, csr, address?, port?}` → the engine's certificate for that
    /// address and the CA that signs the server's client certificate (for `--tlscacert`).
    func signJoiningHost(_ req: APIRequest) throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["token", "csr", "address", "port"])
        let token = try tokenField(body, ip: req.ip)
        guard let authority = config.nodeAuthority else { throw APIError(status: .conflict, message: "This server has no node CA (--in-memory)") }
        guard let csr = try body.string("csr", required: true), csr.utf8.count <= 16 << 10 else {
            throw APIError.badRequest("csr: expected a PEM certificate request (openssl req -new) of at most 16 KiB", field: "csr")
        }
        // Without an address the host is where the request came from.
        let address = try body.string("address") ?? req.ip
        let port = try body.int("port", min: 1, max: 65535) ?? Self.engineTLSPort
        guard NodeAuthority.ipBytes(address) != nil else {
            throw APIError.badRequest("address: '\(address.prefix(80))' is not an IP address (the engine's certificate names the address it is reached at)", field: "address")
        }
        _ = try read { tx in try usableToken(tx, token, ip: req.ip, in: ["issued"]) }
        let certificate: Certificate
        do {
            certificate = try authority.signNodeRequest(csr, commonName: address, addresses: [address])
        } catch {
            throw APIError.badRequest("csr: \(error)", field: "csr")
        }
        var der = DER.Serializer()
        try der.serialize(certificate)
        let fingerprint = SHA256.hash(data: der.serializedBytes).map { String(format: "%02x", $0) }.joined()
        // Spent for signing in the same transaction that checks it: two requests with one token
        // cannot both get a certificate.
        try write { tx in
            _ = try usableToken(tx, token, ip: req.ip, in: ["issued"])
            try tx.db.execute(sql: "UPDATE join_tokens SET state = 'signed', address = ?, port = ?, certificate_sha256 = ?, certificate_serial = ? WHERE hash = ?",
                              arguments: [address, port, fingerprint, String(describing: certificate.serialNumber), Self.tokenHash(token)])
        }
        return try .json(["certificate": try certificate.serializeAsPEM().pemString + "\n", "ca": authority.certificatePEM + "\n",
                          "address": address, "port": String(port)], status: .created)
    }

    /// `POST token/register/`: `{token, name?}`. The server connects to the signed address and
    /// accepts only the certificate it signed there; once the engine answers, the host is a
    /// Deployed node with the engine's own facts, and the token is used up.
    func registerJoiningHost(_ req: APIRequest) async throws -> APIResponse {
        let body = try Body(req.body)
        try body.rejectUnknown(allowed: ["token", "name"])
        let token = try tokenField(body, ip: req.ip)
        let name = try body.string("name").map { String($0.prefix(253)) }
        let hash = Self.tokenHash(token)
        let t: JoinToken = try write { tx in
            let t = try usableToken(tx, token, ip: req.ip, in: ["signed"])
            // One registration at a time per token; a failed one gives it back.
            try tx.db.execute(sql: "UPDATE join_tokens SET state = 'registering' WHERE hash = ?", arguments: [hash])
            return t
        }
        guard let address = t.address, let port = t.port, let sha = t.certificateSHA256, let pin = Self.hexBytes(sha) else {
            throw APIError(status: .internalServerError, message: "The join token's certificate record is incomplete; get a new token")
        }
        let hostKey = EngineDriver.broughtHostKey(address: address, port: port, certificateSHA256: pin)
        let uuid = newUUID()
        let spec = NodeSpec(uuid: uuid, name: name ?? address, provider: Catalog.broughtProvider, nodeType: Catalog.broughtProvider, host: hostKey)
        let clock = ContinuousClock()
        let deadline = clock.now + Self.registrationPatience
        var facts: NodeFacts? = nil
        var lastError = "no answer"
        var tlsRefused = false
        while facts == nil {
            do { facts = try await driver.deployNode(spec) } catch {
                lastError = "\(error)"
                // An engine that answers with another certificate is not one still starting.
                if let e = error as? EngineError, case .tls = e.kind { tlsRefused = true; break }
                if clock.now + .seconds(1) > deadline || Task.isCancelled { break }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        guard let facts else {
            try? write { tx in try tx.db.execute(sql: "UPDATE join_tokens SET state = 'signed' WHERE hash = ? AND state = 'registering'", arguments: [hash]) }
            if tlsRefused {
                throw APIError(status: .badGateway, message: "The engine at \(address):\(port) does not present the certificate this server signed for it (\(lastError)): it is not registered; check dockerd's --tlscert, or run the join script again with a new token")
            }
            throw APIError(status: .badGateway, message: "The engine at \(address):\(port) did not answer within \(Self.registrationPatience.components.seconds) s (\(lastError)); check that dockerd runs with the join script's daemon.json, then run the join script again with a new token")
        }
        let ns = t.namespace
        let node: Node = try write { tx in
            var n = Node()
            n.uuid = uuid
            n.resource_uri = ResourceURI.object(.node, namespace: ns, id: uuid)
            n.external_fqdn = "\(uuid.prefix(8)).\(ns).node.\(config.domain)"
            n.nickname = name ?? address
            n.node_type = ResourceURI.nodeType(Catalog.broughtProvider, Catalog.broughtProvider)
            n.region = ResourceURI.region(Catalog.broughtProvider, Catalog.broughtProvider)
            n.node_cluster = t.cluster
            if let c = t.cluster, let nc = try tx.get(NodeCluster.self, ResourceURI.lastSegment(c)) { n.tags = nc.tags }
            n.cpu = facts.cpu
            n.memory = facts.memory
            n.disk = facts.disk
            applyFacts(facts, to: &n)
            n.public_ip = address
            n.state = "Deployed"
            n.deployed_datetime = APIDate.rfc1123(Date())
            try tx.put(n, namespace: ns, event: "create", parents: n.node_cluster.map { [$0] } ?? [], resourceURI: n.resource_uri)
            try tx.setNodeHost(uuid, hostKey)
            try tx.db.execute(sql: "INSERT INTO node_certificates (node, serial, sha256, issued) VALUES (?, ?, ?, ?)",
                              arguments: [uuid, t.certificateSerial ?? "", sha, APIDate.rfc1123(Date())])
            try tx.db.execute(sql: "UPDATE join_tokens SET state = 'used' WHERE hash = ?", arguments: [hash])
            if let c = t.cluster, var nc = try tx.get(NodeCluster.self, ResourceURI.lastSegment(c)) {
                // A host joining a cluster that has all it wanted is one more it wants.
                let members = try tx.children(Node.self, parent: nc.uuid).filter { $0.state != "Terminated" }.count
                if members > nc.target_num_nodes, !["Deploying", "Scaling"].contains(nc.state) {
                    nc.target_num_nodes = members
                    try tx.put(nc, namespace: ns)
                }
                try refreshCluster(tx, nc.uuid, settle: true)
            }
            return n
        }
        nodeHosts.withLock { $0[uuid] = hostKey }
        logger.notice("node \(uuid) joined namespace \(ns) from \(address):\(port) (Docker \(facts.dockerVersion))")
        for limit in facts.limitations { logger.notice("node \(uuid): \(limit)") }
        await deployEveryNodeServices(ns)
        return try .json(node, status: .created)
    }

    /// A brought node that is removed has its certificate revoked: the server forgets the only
    /// certificate it would accept there, and records when.
    func revokeBroughtNode(_ tx: Tx, _ uuid: String) throws {
        try tx.db.execute(sql: "UPDATE node_certificates SET revoked = ? WHERE node = ? AND revoked IS NULL", arguments: [APIDate.rfc1123(Date()), uuid])
        try tx.db.execute(sql: "DELETE FROM node_hosts WHERE node = ?", arguments: [uuid])
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }

    /// `GET token/join.sh`: the script a host runs to join (JoinScript.swift), for this server's URL.
    func joinScript() -> APIResponse {
        var answer = APIResponse(status: .ok, body: Data(JoinScript.text(serverURL: publicURL).utf8), actionURI: nil)
        answer.contentType = "text/x-shellscript; charset=utf-8"
        return answer
    }
}
