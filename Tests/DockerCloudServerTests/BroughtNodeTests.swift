import Foundation
import XCTest

/// Bring your own node (issue 11), the server's side, against the real server binary: tokens,
/// the join script, signing with openssl's requests (and openssl checking the result), tokens
/// refused once used, expired or unknown, and byon node clusters. The whole join with real
/// dockerd hosts is Tests/byo/run.sh.
final class BroughtNodeTests: XCTestCase {
    var dir = ""
    var server: ServerProcess!
    var alice: Client!

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "dcs-byo-\(UUID().uuidString)"
        server = try ServerProcess(arguments: ["--user", "alice:alicekey", "--user", "bob:bobkey", "--org", "acme:alice",
                                               "--nodes", "1", "--delay", "10", "--join-token-lifetime", "2", "--max-failed-logins", "5"],
                                   dataDir: dir)
        alice = Client(server)
    }

    override func tearDown() async throws {
        server.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func openssl(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        guard let path = ["/usr/bin/openssl", "/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("openssl is not installed (make deps installs it)")
        }
        return try runProgram(path, args)
    }

    /// A certificate request as the join script makes it.
    func request() throws -> String {
        let key = dir + "/k-\(UUID().uuidString).pem", csr = dir + "/r-\(UUID().uuidString).pem"
        XCTAssertEqual(try openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]).code, 0)
        XCTAssertEqual(try openssl(["req", "-new", "-key", key, "-subj", "/CN=docker-cloud-node", "-out", csr]).code, 0)
        return try String(contentsOfFile: csr, encoding: .utf8)
    }

    func token(_ client: Client? = nil, path: String = "/api/infra/v1/token/", body: [String: Any]? = nil) async throws -> HTTPResult {
        try await (client ?? alice).post(path, body)
    }

    func testATokenComesWithTheCommandToRunAndIsKeptOnlyAsAHash() async throws {
        let r = try await token()
        XCTAssertEqual(r.status, 201, r.text)
        let t = r.object["token"] as? String ?? ""
        XCTAssertEqual(t.count, 32)
        XCTAssertTrue(t.allSatisfy(\.isHexDigit), t)
        XCTAssertEqual(r.object["namespace"] as? String, "alice")
        XCTAssertEqual(r.object["command"] as? String, "curl -Ls \(server.base)/api/infra/v1/token/join.sh | sudo -H sh -s \(t)")
        XCTAssertNotNil(r.object["expires"] as? String)
        let other = try await token().object["token"] as? String
        XCTAssertNotEqual(other, t, "every token is new")
        let org = try await token(path: "/api/infra/v1/acme/token/")
        XCTAssertEqual(org.object["namespace"] as? String, "acme")
        let foreign = try await token(Client(server, user: "bob"), path: "/api/infra/v1/acme/token/")
        XCTAssertEqual(foreign.status, 403, "bob is not in acme")
        let anonymous = try await Client(server, user: nil).post("/api/infra/v1/token/")
        XCTAssertEqual(anonymous.status, 401)
        // The store holds its hash, never the token.
        server.stop()
        for file in (try FileManager.default.contentsOfDirectory(atPath: dir)) where file.hasPrefix("state.sqlite") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
            XCTAssertNil(bytes.range(of: Data(t.utf8)), "\(file) holds the token")
        }
    }

    func testTheJoinScriptIsPOSIXShAndNamesThisServer() async throws {
        let r = try await Client(server, user: nil).get("/api/infra/v1/token/join.sh")
        XCTAssertEqual(r.status, 200, "no credentials: the token in it is the credential")
        XCTAssertTrue(r.headers.contains { $0.key.lowercased() == "content-type" && $0.value.hasPrefix("text/x-shellscript") }, "\(r.headers)")
        XCTAssertTrue(r.text.hasPrefix("#!/bin/sh\n"))
        XCTAssertTrue(r.text.contains("SERVER='\(server.base)'"))
        let file = dir + "/join.sh"
        try r.data.write(to: URL(fileURLWithPath: file))
        for shell in ["/bin/sh", "/bin/dash", "/usr/bin/posh"] where FileManager.default.isExecutableFile(atPath: shell) {
            let check = try runProgram(shell, ["-n", file])
            XCTAssertEqual(check.code, 0, "\(shell): \(check.err)")
        }
        // Without a token it says how to use it; a token that is not hexadecimal is refused before any request.
        if FileManager.default.isExecutableFile(atPath: "/bin/sh") {
            let usage = try runProgram("/bin/sh", [file])
            XCTAssertEqual(usage.code, 1)
            XCTAssertTrue(usage.err.contains("usage: sh -s TOKEN"), usage.err)
            let bad = try runProgram("/bin/sh", [file, "not;a-token"])
            XCTAssertTrue(bad.err.contains("hexadecimal"), bad.err)
        }
    }

    func testSigningSpendsTheTokenAndTheCertificateIsForTheAddressOnly() async throws {
        let t = try await token().object["token"] as? String ?? ""
        let anonymous = Client(server, user: nil)
        let signed = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t, "csr": try request(), "address": "127.0.0.9", "port": 12376])
        XCTAssertEqual(signed.status, 201, signed.text)
        let pem = signed.object["certificate"] as? String ?? ""
        try pem.write(toFile: dir + "/node.pem", atomically: true, encoding: .utf8)
        let ok = try openssl(["verify", "-CAfile", dir + "/ca/ca.pem", "-purpose", "sslserver", "-verify_ip", "127.0.0.9", dir + "/node.pem"])
        XCTAssertEqual(ok.code, 0, ok.out + ok.err)
        XCTAssertNotEqual(try openssl(["verify", "-CAfile", dir + "/ca/ca.pem", "-verify_ip", "127.0.0.8", dir + "/node.pem"]).code, 0)
        XCTAssertEqual(signed.object["ca"] as? String, try String(contentsOfFile: dir + "/ca/ca.pem", encoding: .utf8) + "\n")
        // Spent for signing: a second request with it gets nothing.
        let again = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t, "csr": try request(), "address": "127.0.0.10"])
        XCTAssertEqual(again.status, 403)
        XCTAssertTrue((again.object["error"] as? String ?? "").contains("signed a certificate already"), again.text)
        // Bad requests name their field and spend nothing.
        let t2 = try await token().object["token"] as? String ?? ""
        let badCSR = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t2, "csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"])
        XCTAssertEqual(badCSR.status, 400)
        XCTAssertEqual(badCSR.object["field"] as? String, "csr")
        let badAddress = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t2, "csr": try request(), "address": "node.example"])
        XCTAssertEqual(badAddress.status, 400)
        XCTAssertEqual(badAddress.object["field"] as? String, "address")
        let fine = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t2, "csr": try request(), "address": "::1"])
        XCTAssertEqual(fine.status, 201, "the failed requests did not spend it: \(fine.text)")
        // Registration needs a signed token: an issued one is refused at once.
        let t3 = try await token().object["token"] as? String ?? ""
        let early = try await anonymous.post("/api/infra/v1/token/register/", ["token": t3])
        XCTAssertEqual(early.status, 403)
        XCTAssertTrue((early.object["error"] as? String ?? "").contains("not signed a certificate yet"), early.text)
    }

    func testExpiredAndUnknownTokensAreRefusedAndGuessesAreThrottled() async throws {
        let t = try await token().object["token"] as? String ?? ""
        try await Task.sleep(for: .milliseconds(2300))
        let anonymous = Client(server, user: nil)
        let expired = try await anonymous.post("/api/infra/v1/token/sign/", ["token": t, "csr": try request(), "address": "127.0.0.9"])
        XCTAssertEqual(expired.status, 403)
        XCTAssertTrue((expired.object["error"] as? String ?? "").contains("expired"), expired.text)
        var statuses: [Int] = []
        for i in 0..<7 {
            statuses.append(try await anonymous.post("/api/infra/v1/token/sign/", ["token": String(repeating: "\(i)", count: 32), "csr": "x"]).status)
        }
        XCTAssertEqual(Array(statuses.prefix(5)), [403, 403, 403, 403, 403], "\(statuses)")
        XCTAssertEqual(statuses.last, 429, "guessing is throttled like logins: \(statuses)")
    }

    func testByonClustersWaitForHostsAndTokensCanNameThem() async throws {
        let created = try await alice.post("/api/infra/v1/nodecluster/", ["name": "mine", "node_type": "/api/infra/v1/nodetype/byon/byon/",
                                                                         "region": "/api/infra/v1/region/byon/byon/", "target_num_nodes": 2])
        XCTAssertEqual(created.status, 201, created.text)
        let uri = created.object["resource_uri"] as? String ?? ""
        let deploy = try await alice.post(uri + "deploy/")
        XCTAssertEqual(deploy.status, 202, deploy.text)
        _ = try await alice.waitForAction(deploy)
        let cluster = try await alice.get(uri)
        XCTAssertEqual(cluster.object["state"] as? String, "Deploying", "it waits for two hosts: \(cluster.text)")
        XCTAssertEqual(cluster.object["current_num_nodes"] as? Int, 0)
        let t = try await token(body: ["node_cluster": uri])
        XCTAssertEqual(t.status, 201, t.text)
        XCTAssertEqual(t.object["node_cluster"] as? String, uri)
        // A cluster of another provider takes no brought hosts.
        let local = try await alice.get("/api/infra/v1/nodecluster/")
        let localURI = local.objects.first { ($0["node_type"] as? String)?.contains("/local/") == true }?["resource_uri"] as? String ?? ""
        let refused = try await token(body: ["node_cluster": localURI])
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertEqual(refused.object["field"] as? String, "node_cluster")
        // The catalog offers the provider.
        let provider = try await alice.get("/api/infra/v1/provider/byon/")
        XCTAssertEqual(provider.status, 200)
        XCTAssertEqual(provider.object["regions"] as? [String], ["/api/infra/v1/region/byon/byon/"])
    }

    func testTheRescheduleSettingIsKeptAndChecked() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "r1", "reschedule": true])
        XCTAssertEqual(s["reschedule"] as? Bool, true)
        let plain = try await alice.createService(["image": "busybox", "name": "r2"])
        XCTAssertEqual(plain["reschedule"] as? Bool, false)
        let bad = try await alice.post("/api/app/v1/service/", ["image": "busybox", "name": "r3", "reschedule": "yes"])
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.object["field"] as? String, "reschedule")
        let patched = try await alice.patch(plain["resource_uri"] as? String ?? "", ["reschedule": true])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertEqual(patched.object["reschedule"] as? Bool, true)
        XCTAssertEqual(patched.object["synchronized"] as? Bool, true, "nothing in the containers changes")
    }
}
