import Foundation
import XCTest

/// `--tls-cert/--tls-key`: HTTPS and WSS on one listener, verified by docker-cloud against a CA
/// made here (SSL_CERT_FILE / CURL_CA_BUNDLE), and refused without it.
final class TLSTests: XCTestCase {
    var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "dc-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        [req]
        distinguished_name = dn
        [dn]
        [server]
        subjectAltName = IP:127.0.0.1,DNS:localhost
        basicConstraints = CA:FALSE
        """.write(toFile: dir + "/openssl.cnf", atomically: true, encoding: .utf8)
        for args in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA", "-config", "openssl.cnf",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=127.0.0.1", "-config", "openssl.cnf"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "cert.pem", "-days", "2",
             "-extfile", "openssl.cnf", "-extensions", "server"],
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-key.pem", "-out", "other.pem", "-days", "2", "-subj", "/CN=other CA", "-config", "openssl.cnf"],
        ] {
            let r = try run("/usr/bin/openssl", args)
            XCTAssertEqual(r.code, 0, "openssl \(args.first ?? ""): \(r.err)")
        }
    }

    override func tearDown() async throws { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func run(_ tool: String, _ args: [String], env: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
        try runProgram(tool, args, environment: ["PATH": "/usr/bin:/bin", "HOME": dir].merging(env) { $1 }, in: dir)
    }

    var cli: String { ServerProcess.cliBinary }

    func testHTTPSAndWSSVerifiedAgainstAPrivateCA() throws {
        let server = try ServerProcess(arguments: ServerProcess.defaultArguments + ["--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"])
        defer { server.stop() }
        let text = server.stdoutLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("listening on https://127.0.0.1:\(server.port)"), text)
        XCTAssertTrue(text.contains("export DOCKERCLOUD_STREAM_HOST=wss://127.0.0.1:\(server.port)/"), text)
        var env = ["DOCKERCLOUD_REST_HOST": "https://127.0.0.1:\(server.port)/", "DOCKERCLOUD_STREAM_HOST": "wss://127.0.0.1:\(server.port)/",
                   "DOCKERCLOUD_USER": "alice", "DOCKERCLOUD_APIKEY": "alicekey"]
        // Without the CA: the certificate is not trusted, one line says so.
        var r = try run(cli, ["service", "ls"], env: env)
        XCTAssertNotEqual(r.code, 0)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertTrue(r.err.lowercased().contains("certificate") || r.err.contains("TLS"), r.err)
        // With it, by either variable: REST and the websocket streams work.
        for variable in ["SSL_CERT_FILE", "CURL_CA_BUNDLE"] {
            env[variable] = dir + "/ca.pem"
            r = try run(cli, ["service", "run", "--sync", "-n", "web" + variable.prefix(3).lowercased(), "-r", "echo over-tls; sleep 600", "busybox"], env: env)
            XCTAssertEqual(r.code, 0, variable + ": " + r.err)
            r = try run(cli, ["service", "ls"], env: env)
            XCTAssertEqual(r.code, 0, r.err)
            XCTAssertTrue(r.out.contains("web" + variable.prefix(3).lowercased()), r.out)
            r = try run(cli, ["service", "logs", "web" + variable.prefix(3).lowercased()], env: env)
            XCTAssertEqual(r.code, 0, "logs over wss: " + r.err)
            XCTAssertTrue(r.out.contains("over-tls"), r.out)
            env[variable] = nil
        }
        // A CA that did not sign the server's certificate is refused.
        env["SSL_CERT_FILE"] = dir + "/other.pem"
        r = try run(cli, ["service", "ls"], env: env)
        XCTAssertNotEqual(r.code, 0, r.out)
        // And plain HTTP to the TLS listener gets nothing useful.
        let plain = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(server.port)/api/app/v1/service/"])
        XCTAssertNotEqual(plain.out, "200")
        XCTAssertTrue(server.process.isRunning)
    }

    func testTLSOptionsAreCheckedAtStart() throws {
        let binary = ServerProcess.binary
        var r = try run(binary, ["--in-memory", "--tls-cert", dir + "/cert.pem"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("--tls-cert and --tls-key go together"), r.err)
        r = try run(binary, ["--in-memory", "--listen", "127.0.0.1:0", "--tls-cert", dir + "/nothing.pem", "--tls-key", dir + "/key.pem"])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.err.contains("--tls-cert"), r.err)
        r = try run(binary, ["--in-memory", "--listen", "127.0.0.1:0", "--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/openssl.cnf"])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.err.contains("--tls-key") && !r.err.contains("distinguished_name"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
    }
}
