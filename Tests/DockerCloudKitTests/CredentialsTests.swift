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
        XCTAssertEqual(failed.problems, ["docker-credential-secretservice failed for https://index.docker.io/v1/: docker-credential-secretservice is not on PATH"])
        let broken = try configDir("{not json")
        XCTAssertEqual(Credentials.lookup(environment: ["DOCKER_CONFIG": broken]).problems.count, 1)
        XCTAssertNil(Credentials.lookup(environment: ["HOME": "/nonexistent"]).credentials)
    }

    func testServerKeys() {
        XCTAssertEqual(Credentials.serverKey(restHost: "https://cloud.docker.com/"), Credentials.dockerHubKey)
        XCTAssertEqual(Credentials.serverKey(restHost: "https://CLOUD.docker.com"), Credentials.dockerHubKey)
        XCTAssertEqual(Credentials.serverKey(restHost: "http://127.0.0.1:8080/"), "http://127.0.0.1:8080")
        XCTAssertEqual(Credentials.serverKey(restHost: "https://dc.example.org/prefix/"), "https://dc.example.org/prefix")
        XCTAssertEqual(Credentials.lookupKeys(restHost: "http://127.0.0.1:8080/"), ["http://127.0.0.1:8080", Credentials.dockerHubKey])
        XCTAssertEqual(Credentials.lookupKeys(restHost: "https://cloud.docker.com/"), [Credentials.dockerHubKey])
    }

    func testTheServersOwnEntryComesFirst() throws {
        let hub = Data("hubuser:hubpass".utf8).base64EncodedString(), own = Data("me:mykey".utf8).base64EncodedString()
        let dir = try configDir(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(hub)"}, "http://127.0.0.1:8080": {"auth": "\#(own)"}}}"#)
        let env = ["DOCKER_CONFIG": dir]
        XCTAssertEqual(Credentials.lookup(environment: env, restHost: "http://127.0.0.1:8080/").credentials?.user, "me")
        XCTAssertEqual(Credentials.lookup(environment: env.merging(["DOCKERCLOUD_REST_HOST": "http://127.0.0.1:8080"]) { $1 }).credentials?.user, "me",
                       "the REST host comes from the environment by default")
        XCTAssertEqual(Credentials.lookup(environment: env, restHost: "http://127.0.0.1:9999/").credentials?.user, "hubuser", "then Docker Hub's, as 1.0.9 read it")
        XCTAssertEqual(Credentials.lookup(environment: env).credentials?.user, "hubuser")
    }

    func testCredHelpersByHostThenCredsStore() throws {
        let dir = try configDir(#"{"credsStore": "general", "credHelpers": {"127.0.0.1:8080": "special"}}"#)
        var asked: [String] = []
        let found = Credentials.lookup(environment: ["DOCKER_CONFIG": dir], restHost: "http://127.0.0.1:8080/") { name, key in
            asked.append("\(name) \(key)")
            return name == "special" ? Data(#"{"Username": "sp", "Secret": "x"}"#.utf8) : Data()
        }
        XCTAssertEqual(found.credentials?.user, "sp")
        XCTAssertEqual(asked, ["special http://127.0.0.1:8080"])
        asked = []
        let other = Credentials.lookup(environment: ["DOCKER_CONFIG": dir], restHost: "http://127.0.0.1:9999/") { name, key in
            asked.append("\(name) \(key)")
            return Data()
        }
        XCTAssertNil(other.credentials)
        XCTAssertEqual(asked, ["general http://127.0.0.1:9999", "general https://index.docker.io/v1/"])
    }
}
