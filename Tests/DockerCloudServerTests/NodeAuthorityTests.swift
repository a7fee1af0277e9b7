@testable import DockerCloudServer
import Foundation
import XCTest

/// The node CA (issue 11, item 1), checked with openssl, which none of us wrote: a request made by
/// `openssl req` is signed for the host's address, and openssl verifies the chain, the address and
/// the usages; the CA is made once and kept, its files private.
final class NodeAuthorityTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "dcs-ca-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func openssl(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        guard let path = ["/usr/bin/openssl", "/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("openssl is not installed (make deps installs it)")
        }
        return try runProgram(path, args)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testTheCAIsMadeOnceWithPrivateFilesAndItsClientCertificateVerifies() throws {
        let ca = try NodeAuthority.open(dir: dir + "/ca")
        XCTAssertEqual(try mode(dir + "/ca"), 0o700)
        for file in ["ca-key.pem", "ca.pem", "client/key.pem", "client/cert.pem", "client/ca.pem"] {
            XCTAssertEqual(try mode(dir + "/ca/" + file), 0o600, file)
        }
        let again = try NodeAuthority.open(dir: dir + "/ca")
        XCTAssertEqual(again.certificatePEM, ca.certificatePEM, "reopened, not remade")
        let verify = try openssl(["verify", "-CAfile", dir + "/ca/ca.pem", "-purpose", "sslclient", dir + "/ca/client/cert.pem"])
        XCTAssertEqual(verify.code, 0, verify.out + verify.err)
        let text = try openssl(["x509", "-in", dir + "/ca/ca.pem", "-noout", "-text"]).out
        XCTAssertTrue(text.contains("CA:TRUE"), text)
    }

    func testANodeRequestIsSignedForItsAddressOnly() throws {
        let ca = try NodeAuthority.open(dir: dir + "/ca")
        let key = dir + "/node-key.pem", csr = dir + "/node.csr"
        let made = try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", key, "-out", csr, "-subj", "/CN=whatever-the-node-says"])
        XCTAssertEqual(made.code, 0, made.err)
        let cert = try ca.signNodeRequest(try String(contentsOfFile: csr, encoding: .utf8), commonName: "node-1", addresses: ["127.0.0.2", "node1.example"])
        let certPath = dir + "/node.pem"
        try cert.serializeAsPEM().pemString.write(toFile: certPath, atomically: true, encoding: .utf8)
        let verify = try openssl(["verify", "-CAfile", dir + "/ca/ca.pem", "-purpose", "sslserver", "-verify_ip", "127.0.0.2", certPath])
        XCTAssertEqual(verify.code, 0, verify.out + verify.err)
        let wrongIP = try openssl(["verify", "-CAfile", dir + "/ca/ca.pem", "-verify_ip", "127.0.0.3", certPath])
        XCTAssertNotEqual(wrongIP.code, 0, "a certificate for another address is refused")
        let text = try openssl(["x509", "-in", certPath, "-noout", "-text"]).out
        XCTAssertTrue(text.contains("IP Address:127.0.0.2"), text)
        XCTAssertTrue(text.contains("DNS:node1.example"), text)
        XCTAssertTrue(text.contains("CN = node-1") || text.contains("CN=node-1"), "the server names the node, not the request")
        XCTAssertFalse(text.contains("whatever-the-node-says"), text)
        // The key in the certificate is the node's own.
        let fromCert = try openssl(["x509", "-in", certPath, "-noout", "-pubkey"]).out
        let fromKey = try openssl(["pkey", "-in", key, "-pubout"]).out
        XCTAssertEqual(fromCert, fromKey)

        // Another CA's chain does not verify against ours.
        let other = try NodeAuthority.open(dir: dir + "/other")
        XCTAssertNotEqual(other.certificatePEM, ca.certificatePEM)
        let foreign = try openssl(["verify", "-CAfile", dir + "/other/ca.pem", certPath])
        XCTAssertNotEqual(foreign.code, 0)
    }

    func testBadRequestsAndHalfMadeDirectoriesAreRefused() throws {
        let ca = try NodeAuthority.open(dir: dir + "/ca")
        XCTAssertThrowsError(try ca.signNodeRequest("not a request", commonName: "n", addresses: ["127.0.0.2"]))
        XCTAssertThrowsError(try ca.signNodeRequest("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", commonName: "n", addresses: ["127.0.0.2"]))
        let csr = dir + "/node.csr"
        _ = try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", dir + "/k.pem", "-out", csr, "-subj", "/CN=n"])
        let pem = try String(contentsOfFile: csr, encoding: .utf8)
        XCTAssertThrowsError(try ca.signNodeRequest(pem, commonName: "n", addresses: ["bad host!"]))
        XCTAssertThrowsError(try ca.signNodeRequest(pem, commonName: "n", addresses: []))
        try FileManager.default.removeItem(atPath: dir + "/ca/ca.pem")
        XCTAssertThrowsError(try NodeAuthority.open(dir: dir + "/ca")) { error in
            XCTAssertTrue("\(error)".contains("incomplete"), "\(error)")
        }
    }
}
