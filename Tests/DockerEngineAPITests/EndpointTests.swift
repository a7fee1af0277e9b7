import Foundation
import NIOCore
import XCTest
@testable import DockerEngineAPI

final class EngineEndpointTests: XCTestCase {
    func testUnixSockets() throws {
        XCTAssertEqual(try EngineEndpoint(parsing: "unix:///var/run/docker.sock").address, .unix(path: "/var/run/docker.sock"))
        XCTAssertEqual(try EngineEndpoint(parsing: "/tmp/x.sock").address, .unix(path: "/tmp/x.sock"))
        XCTAssertNil(try EngineEndpoint(parsing: "unix:///x").tls)
        XCTAssertEqual(try EngineEndpoint(parsing: "unix:///x").description, "unix:///x")
        XCTAssertThrowsError(try EngineEndpoint(parsing: "unix://relative/path"))
        XCTAssertThrowsError(try EngineEndpoint(parsing: "unix://"))
    }

    func testTCPWithPort() throws {
        let e = try EngineEndpoint(parsing: "tcp://10.0.0.5:4243")
        XCTAssertEqual(e.address, .tcp(host: "10.0.0.5", port: 4243))
        XCTAssertNil(e.tls)
        XCTAssertEqual(e.description, "tcp://10.0.0.5:4243")
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://node1.example.com:2375/").address, .tcp(host: "node1.example.com", port: 2375))
        XCTAssertEqual(try EngineEndpoint(parsing: "http://h:80").address, .tcp(host: "h", port: 80))
        // docker accepts a bare host:port too.
        XCTAssertEqual(try EngineEndpoint(parsing: "h:1234").address, .tcp(host: "h", port: 1234))
    }

    func testDefaultPorts() throws {
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://h").address, .tcp(host: "h", port: 2375))
        let secure = try EngineEndpoint(parsing: "tcp://h", certDirectory: "/certs")
        XCTAssertEqual(secure.address, .tcp(host: "h", port: 2376))
        XCTAssertEqual(secure.tls, EngineEndpoint.TLSFiles(caFile: "/certs/ca.pem", certFile: "/certs/cert.pem", keyFile: "/certs/key.pem"))
        XCTAssertEqual(secure.description, "tcp://h:2376 (TLS)")
        XCTAssertEqual(try EngineEndpoint(parsing: "https://h", certDirectory: "/c").address, .tcp(host: "h", port: 2376))
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://h:2375", certDirectory: "/c").address, .tcp(host: "h", port: 2375))
    }

    func testHTTPSNeedsACertDirectory() {
        XCTAssertThrowsError(try EngineEndpoint(parsing: "https://h:2376")) { error in
            XCTAssertTrue("\(error)".contains("certificate"), "\(error)")
        }
    }

    func testIPv6() throws {
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://[::1]:2375").address, .tcp(host: "::1", port: 2375))
        XCTAssertEqual(try EngineEndpoint(parsing: "[::1]:2380").address, .tcp(host: "::1", port: 2380))
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://[fe80::1]").address, .tcp(host: "fe80::1", port: 2375))
        XCTAssertEqual(try EngineEndpoint(parsing: "tcp://[::1]:2375").description, "tcp://[::1]:2375")
        XCTAssertThrowsError(try EngineEndpoint(parsing: "tcp://[::1]:x"))
    }

    func testErrors() {
        for bad in ["ftp://h:21", "tcp://h:0", "tcp://h:65536", "tcp://h:abc", "tcp://h:", "tcp://:2375", "tcp://", "ssh://user@h"] {
            XCTAssertThrowsError(try EngineEndpoint(parsing: bad), bad) { error in
                XCTAssertTrue(error is EngineEndpoint.ParseError, "\(bad): \(error)")
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
    }

    func testFromEnvironment() throws {
        XCTAssertEqual(try EngineEndpoint.fromEnvironment([:]).address, .unix(path: "/var/run/docker.sock"))
        XCTAssertEqual(try EngineEndpoint.fromEnvironment(["DOCKER_HOST": ""]).address, .unix(path: "/var/run/docker.sock"))
        XCTAssertEqual(try EngineEndpoint.fromEnvironment(["DOCKER_HOST": "unix:///run/d.sock"]).address, .unix(path: "/run/d.sock"))
        let plain = try EngineEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://h", "DOCKER_CERT_PATH": "/c"])
        XCTAssertEqual(plain.address, .tcp(host: "h", port: 2375))
        XCTAssertNil(plain.tls, "DOCKER_CERT_PATH alone does not turn TLS on")
        let verified = try EngineEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://h", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/c"])
        XCTAssertEqual(verified.address, .tcp(host: "h", port: 2376))
        XCTAssertEqual(verified.tls?.keyFile, "/c/key.pem")
        let home = try EngineEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://h:1", "DOCKER_TLS_VERIFY": "1", "HOME": "/home/u"])
        XCTAssertEqual(home.tls?.caFile, "/home/u/.docker/ca.pem")
    }

    func testMissingTLSFilesAreATLSError() {
        let endpoint = EngineEndpoint(address: .tcp(host: "127.0.0.1", port: 1), tls: .init(certDirectory: "/nonexistent-\(UUID())"))
        XCTAssertThrowsError(try EngineClient(endpoint: endpoint)) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .tls)
            XCTAssertTrue("\(error)".contains("ca.pem"), "\(error)")
        }
    }

    func testUnusableTLSFilesAreATLSError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engine-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["ca.pem", "cert.pem", "key.pem"] { try Data("not a pem\n".utf8).write(to: URL(fileURLWithPath: dir + "/" + f)) }
        let endpoint = try EngineEndpoint(parsing: "tcp://127.0.0.1:1", certDirectory: dir)
        XCTAssertThrowsError(try EngineClient(endpoint: endpoint)) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .tls, "\(error)")
        }
    }
}

final class APIVersionTests: XCTestCase {
    func testParse() {
        XCTAssertEqual(APIVersion("1.41"), APIVersion(1, 41))
        XCTAssertEqual(APIVersion("2.0"), APIVersion(2, 0))
        for bad in ["", "1", "1.", ".1", "1.4.1", "v1.41", "a.b", "1.-2", " 1.41"] {
            XCTAssertNil(APIVersion(bad), bad)
        }
        XCTAssertEqual(APIVersion(1, 21).description, "1.21")
    }

    func testCompareIsNumeric() {
        XCTAssertLessThan(APIVersion(1, 9), APIVersion(1, 41))
        XCTAssertLessThan(APIVersion(1, 41), APIVersion(1, 43))
        XCTAssertLessThan(APIVersion(1, 43), APIVersion(2, 0))
        XCTAssertFalse(APIVersion(1, 41) < APIVersion(1, 41))
        XCTAssertEqual(min(APIVersion(1, 43), APIVersion(1, 41)), APIVersion(1, 41))
        XCTAssertEqual(APIVersion.newest, APIVersion(1, 43))
        XCTAssertEqual(APIVersion.oldest, APIVersion(1, 21))
    }

    func testFeaturesOfAPinnedClient() throws {
        let old = try EngineClient(endpoint: EngineEndpoint(address: .unix(path: "/nonexistent")), maxVersion: APIVersion(1, 21))
        XCTAssertEqual(old.version, APIVersion(1, 21))
        XCTAssertEqual(Set(old.missingFeatures), Set(EngineFeature.allCases))
        let mid = try EngineClient(endpoint: EngineEndpoint(address: .unix(path: "/nonexistent")), maxVersion: APIVersion(1, 25))
        XCTAssertEqual(Set(mid.missingFeatures), [.waitCondition, .statsOneShot])
        XCTAssertTrue(mid.supports(.initProcess))
        // A pin above what the client knows is capped.
        let future = try EngineClient(endpoint: EngineEndpoint(address: .unix(path: "/nonexistent")), maxVersion: APIVersion(1, 99))
        XCTAssertEqual(future.version, .newest)
        XCTAssertEqual(future.missingFeatures, [])
    }

    func testSplitTag() {
        XCTAssertTrue(EngineClient.splitTag("busybox") == ("busybox", "latest"))
        XCTAssertTrue(EngineClient.splitTag("busybox:1.36") == ("busybox", "1.36"))
        XCTAssertTrue(EngineClient.splitTag("library/busybox:musl") == ("library/busybox", "musl"))
        XCTAssertTrue(EngineClient.splitTag("registry:5000/a/b") == ("registry:5000/a/b", "latest"))
        XCTAssertTrue(EngineClient.splitTag("registry:5000/a/b:v2") == ("registry:5000/a/b", "v2"))
        XCTAssertTrue(EngineClient.splitTag("127.0.0.1:1/nope:latest") == ("127.0.0.1:1/nope", "latest"))
        XCTAssertTrue(EngineClient.splitTag("a/b@sha256:0123") == ("a/b@sha256:0123", ""))
    }
}

final class EngineErrorTests: XCTestCase {
    func testEngineMessage() {
        let e = EngineError.fromAnswer(status: 404, body: Array(#"{"message":"No such container: t1"}"#.utf8), call: "GET /containers/t1/json")
        XCTAssertEqual(e.kind, .status(404))
        XCTAssertEqual(e.status, 404)
        XCTAssertTrue(e.isNotFound)
        XCTAssertFalse(e.isConflict)
        XCTAssertEqual(e.message, "GET /containers/t1/json: No such container: t1")
        XCTAssertEqual("\(e)", e.message)
    }

    func testTextAndEmptyBodies() {
        let text = EngineError.fromAnswer(status: 500, body: Array("page not found\nmore".utf8), call: "GET /x")
        XCTAssertEqual(text.message, "GET /x: page not found")
        let empty = EngineError.fromAnswer(status: 409, body: [], call: "POST /y")
        XCTAssertEqual(empty.message, "POST /y: HTTP 409")
        XCTAssertTrue(empty.isConflict)
        XCTAssertTrue(EngineError.fromAnswer(status: 304, body: [], call: "c").isNotModified)
        XCTAssertNil(EngineError(.timeout, "t").status)
    }
}
