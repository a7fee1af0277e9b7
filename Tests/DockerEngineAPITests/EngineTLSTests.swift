import Foundation
import NIOCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import DockerEngineAPI

/// The client against a dockerd that listens on TCP with `--tlsverify` (certificates made here
/// with openssl): TLS both ways, hostname and IP checks, half-close through TLS, and the failures
/// (an engine we do not trust, a certificate the engine does not trust, plain HTTP to TLS).
final class EngineTLSTests: XCTestCase {
    nonisolated(unsafe) static var daemon: EngineDaemon?
    nonisolated(unsafe) static var skipReason: String?
    nonisolated(unsafe) static var startFailure: String?
    nonisolated(unsafe) static var port = 0
    nonisolated(unsafe) static var certs = ""
    static let run = UUID().uuidString.prefix(8).lowercased()

    override class func setUp() {
        super.setUp()
        if let why = EngineDaemon.whyNot() { skipReason = why; return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { skipReason = "no /usr/bin/openssl"; return }
        do {
            certs = try makeCertificates()
            port = try freePort()
            daemon = try EngineDaemon(flags: ["--tlsverify", "--tlscacert=\(certs)/ca.pem", "--tlscert=\(certs)/server-cert.pem",
                                              "--tlskey=\(certs)/server-key.pem", "-H", "tcp://127.0.0.1:\(port)"])
        } catch {
            startFailure = "\(error)"
        }
    }

    override class func tearDown() {
        daemon?.stop()
        daemon = nil
        if !certs.isEmpty { try? FileManager.default.removeItem(atPath: certs) }
        super.tearDown()
    }

    override func setUp() async throws {
        if let why = Self.skipReason { throw XCTSkip("no Docker engine with TLS here: \(why)") }
        guard Self.daemon != nil else {
            throw EngineDaemon.DaemonError(description: "the TLS test engine did not start: \(Self.startFailure ?? "?")")
        }
    }

    /// A CA, the engine's certificate (localhost and 127.0.0.1), ours (`client/`), and a second CA
    /// with a certificate of its own (`other/`) and a directory that trusts it instead (`wrongca/`).
    static func makeCertificates() throws -> String {
        var template = Array("/tmp/edt-tls.XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw POSIXError(.EIO) }
        let d = String(cString: dir)
        let script = """
        set -e; cd '\(d)'; mkdir client other wrongca
        key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
        sign() { # key csr-subject ext out ca cakey
          openssl req -new -key "$1" -subj "$2" -out req.csr
          printf '%b' "$3" > ext.cnf
          openssl x509 -req -in req.csr -CA "$5" -CAkey "$6" -CAcreateserial -days 2 -extfile ext.cnf -out "$4" 2>/dev/null
        }
        key ca-key.pem; openssl req -x509 -new -key ca-key.pem -subj /CN=edt-ca -days 2 -out ca.pem
        key server-key.pem
        sign server-key.pem /CN=localhost 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' server-cert.pem ca.pem ca-key.pem
        key client/key.pem
        sign client/key.pem /CN=edt-client 'extendedKeyUsage=clientAuth\\n' client/cert.pem ca.pem ca-key.pem
        cp ca.pem client/ca.pem
        key other/ca-key.pem; openssl req -x509 -new -key other/ca-key.pem -subj /CN=edt-other-ca -days 2 -out other/ca.pem
        key other/key.pem
        sign other/key.pem /CN=edt-stranger 'extendedKeyUsage=clientAuth\\n' other/cert.pem other/ca.pem other/ca-key.pem
        cp ca.pem other/ca.pem.engine; mv other/ca.pem other/own-ca.pem; mv other/ca.pem.engine other/ca.pem
        cp other/own-ca.pem wrongca/ca.pem; cp client/cert.pem client/key.pem wrongca/
        """
        let (status, out, err) = EngineDaemon.run(["-c", script], shell: true)
        guard status == 0 else { throw EngineDaemon.DaemonError(description: "openssl failed (\(status)): \(out) \(err)") }
        return d
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func client(_ host: String = "127.0.0.1", certs dir: String? = nil) throws -> EngineClient {
        let endpoint = try EngineEndpoint(parsing: "tcp://\(host):\(Self.port)", certDirectory: dir ?? Self.certs + "/client")
        return try EngineClient(endpoint: endpoint, requestTimeout: .seconds(10))
    }

    func testCallsExecAndHalfCloseOverTLS() async throws {
        let engine = try client()
        XCTAssertNotNil(engine.endpoint.tls)
        let info = try await engine.negotiate()
        XCTAssertEqual(engine.version, min(try XCTUnwrap(info.ApiVersion.flatMap(APIVersion.init)), .newest))
        try await engine.ping()

        var config = ContainerConfig(image: "local/busybox:latest")
        config.Cmd = ["sh", "-c", "echo over-tls; while true; do sleep 0.1; done"]
        config.Labels = ["edt.run": String(Self.run)]
        var host = HostConfig()
        host.Init = true
        host.NetworkMode = "none"
        config.HostConfig = host
        let id = try await engine.createContainer(name: "et-\(Self.run)-tls", config).Id
        do {
            try await engine.startContainer(id)
            // stdin through TLS, ended by a half-close (close_notify), then the echo back.
            let exec = try await engine.createExec(id, ExecConfig(cmd: ["cat"], stdin: true, tty: false))
            let echoed = try await withTimeout(15, "exec cat over TLS") {
                try await engine.startExec(exec, tty: false) { stream -> [UInt8] in
                    try await stream.write(Array("through tls\n".utf8))
                    stream.closeWrite()
                    var demux = StreamDemultiplexer(.multiplexed)
                    var out: [UInt8] = []
                    while let b = try await stream.reader.next() { out += try demux.feed(b.readableBytesView).flatMap(\.bytes) }
                    return out
                }
            }
            XCTAssertEqual(String(decoding: echoed, as: UTF8.self), "through tls\n")

            // A streamed answer read to its end over TLS.
            let lines = Locked<[String]>([])
            try await withTimeout(10, "logs over TLS") {
                try await engine.logs(id, tty: false, follow: false) { e in
                    lines.with { $0.append(String(decoding: e.bytes, as: UTF8.self)) }
                    return true
                }
            }
            XCTAssertEqual(lines.get, ["over-tls\n"])
        }
        try await engine.removeContainer(id)
    }

    func testHostnameIsChecked() async throws {
        // localhost: SNI and the DNS name in the engine's certificate.
        let byName = try client("localhost")
        try await byName.negotiate()
        try await byName.ping()
    }

    func testFromEnvironment() async throws {
        let endpoint = try EngineEndpoint.fromEnvironment([
            "DOCKER_HOST": "tcp://127.0.0.1:\(Self.port)", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": Self.certs + "/client",
        ])
        let engine = try EngineClient(endpoint: endpoint, requestTimeout: .seconds(10))
        try await engine.negotiate()
        let info = try await engine.info()
        XCTAssertEqual(info.ServerVersion?.isEmpty, false)
    }

    func testUntrustedEngineIsATLSError() async throws {
        let engine = try client(certs: Self.certs + "/wrongca")
        let start = Date()
        let e = await engineError("untrusted engine") { try await engine.ping() }
        XCTAssertEqual(e?.kind, .tls, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testCertificateTheEngineRefusesIsATLSError() async throws {
        let engine = try client(certs: Self.certs + "/other")
        let start = Date()
        let e = await engineError("refused certificate") { try await engine.ping() }
        XCTAssertEqual(e?.kind, .tls, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testPlainHTTPToTheTLSPort() async throws {
        let engine = try EngineClient(endpoint: EngineEndpoint(address: .tcp(host: "127.0.0.1", port: Self.port)), requestTimeout: .seconds(5))
        let e = await engineError("plain HTTP") { try await engine.ping() }
        XCTAssertEqual(e?.status, 400, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("HTTPS") ?? false, e?.message ?? "")
    }
}
