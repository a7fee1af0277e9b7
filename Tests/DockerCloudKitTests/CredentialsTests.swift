@testable import DockerCloudKit
import Foundation
import XCTest

final class CredentialsTests: XCTestCase {
    func basic(_ s: String) -> String { "Basic " + Data(s.utf8).base64EncodedString() }

    func configDir(_ json: String) throws -> String {
        let dir = NSTemporaryDirectory() + "dc-creds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try json.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testPrecedence() throws {
        let dir = try configDir(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(Data("cfg:cfgpass".utf8).base64EncodedString())"}}}"#)
        var env = ["DOCKER_CONFIG": dir]
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.authorization, basic("cfg:cfgpass"))
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.source, .configFile)
        env["DOCKERCLOUD_USER"] = "u"
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.source, .configFile, "a user alone is ignored")
        env["DOCKERCLOUD_PASS"] = "p"
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.authorization, basic("u:p"))
        env["DOCKERCLOUD_APIKEY"] = "k"
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.authorization, basic("u:k"))
        env["DOCKERCLOUD_AUTH"] = "ApiKey u:token"
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.authorization, "ApiKey u:token")
    }

    func testCredentialHelperAndItsFailures() throws {
        let dir = try configDir(#"{"credsStore": "secretservice", "auths": {"https://index.docker.io/v1/": {}}}"#)
        let found = Credentials.lookup(environment: ["DOCKER_CONFIG": dir]) { name, server in
            XCTAssertEqual(name, "secretservice")
            XCTAssertEqual(server, "https://index.docker.io/v1/")
            return Data(#"{"Username": "helped", "Secret": "s3cret"}"#.utf8)
        }
        XCTAssertEqual(found.credentials?.authorization, basic("helped:s3cret"))
        XCTAssertFalse(found.credentials!.description.contains("s3cret"))
        let failed = Credentials.lookup(environment: ["DOCKER_CONFIG": dir]) { _, _ in throw CredentialHelperError(name: "secretservice", status: 127) }
        XCTAssertNil(failed.credentials, "a missing helper means no credentials, not a crash")
        XCTAssertEqual(failed.problems, ["docker-credential-secretservice failed: docker-credential-secretservice is not on PATH"])
        let broken = try configDir("{not json")
        XCTAssertEqual(Credentials.lookup(environment: ["DOCKER_CONFIG": broken]).problems.count, 1)
        XCTAssertNil(Credentials.lookup(environment: ["HOME": "/nonexistent"]).credentials)
    }
}
