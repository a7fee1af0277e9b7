import Foundation
import XCTest

/// `docker-cloud login` against the real server, as a subprocess, storing in a scratch Docker
/// config: under the server's own key (never Docker Hub's), and through a real credential helper
/// (a shell script on PATH speaking docker's helper protocol) when the config names one.
final class LoginTests: XCTestCase {
    var server: ServerProcess!
    var home: String!

    static var cli: String {
        if let env = ProcessInfo.processInfo.environment["DOCKER_CLOUD_BIN"] { return env }
        return URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().appendingPathComponent("docker-cloud").path
    }

    override func setUpWithError() throws {
        server = try ServerProcess()
        home = NSTemporaryDirectory() + "dc-login-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home + "/.docker", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home + "/bin", withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let home { try? FileManager.default.removeItem(atPath: home) }
    }

    var key: String { "http://127.0.0.1:\(server.port)" }

    @discardableResult
    func cli(_ args: [String], stdin: String = "") throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.cli)
        p.arguments = args
        p.environment = ["HOME": home, "PATH": home + "/bin:/usr/bin:/bin", "DOCKERCLOUD_REST_HOST": server.base + "/",
                         "DOCKERCLOUD_STREAM_HOST": server.wsBase + "/"]
        let input = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func config() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: home + "/.docker/config.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func writeConfig(_ json: String) throws {
        try json.write(toFile: home + "/.docker/config.json", atomically: true, encoding: .utf8)
    }

    func testStoredUnderTheServersAddressAndNotShadowedByDockerHubs() throws {
        // A Docker Hub entry of someone else, as `docker login` leaves it: it must neither be
        // overwritten (docker pull would send our key to Docker Hub) nor win over the new login.
        let hub = Data("hubuser:hubpassword".utf8).base64EncodedString()
        try writeConfig(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(hub)"}}, "psFormat": "keep me"}"#)
        let (rc, out, err) = try cli(["login"], stdin: "alice\nalicekey\n")
        XCTAssertEqual(rc, 0, err)
        XCTAssertTrue(out.contains("Login succeeded as alice") && out.contains(key), out)
        let stored = try config()
        let auths = stored["auths"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(auths["https://index.docker.io/v1/"]?["auth"] as? String, hub, "Docker Hub's entry untouched")
        XCTAssertEqual(auths[key]?["auth"] as? String, Data("alice:alicekey".utf8).base64EncodedString())
        XCTAssertEqual(stored["psFormat"] as? String, "keep me")
        let mode = try FileManager.default.attributesOfItem(atPath: home + "/.docker/config.json")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        // Later commands use the server's entry (the hub's would be refused: 401).
        let (psRC, _, psErr) = try cli(["service", "ps"])
        XCTAssertEqual(psRC, 0, psErr)
    }

    func testStoredThroughTheCredentialHelper() throws {
        // docker-credential-scratch: docker's helper protocol over a directory of files.
        let store = home + "/helper-store"
        let script = """
        #!/bin/sh
        set -e
        mkdir -p '\(store)'
        case "$1" in
          store) cat > '\(store)/last-store.json'; python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2] + "/" + d["ServerURL"].replace("/", "_"), "w").write(json.dumps({"Username": d["Username"], "Secret": d["Secret"]}))' '\(store)/last-store.json' '\(store)' ;;
          get) url=$(cat); f='\(store)'/$(printf %s "$url" | tr / _); if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
          *) exit 2 ;;
        esac
        """
        let path = home + "/bin/docker-credential-scratch"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        // A stale plain-text entry for this server must not survive to shadow the helper's.
        let stale = Data("alice:oldkey".utf8).base64EncodedString()
        try writeConfig(#"{"credsStore": "scratch", "auths": {"\#(key)": {"auth": "\#(stale)"}}}"#)
        let (rc, out, err) = try cli(["login"], stdin: "alice\nalicekey\n")
        XCTAssertEqual(rc, 0, err)
        XCTAssertTrue(out.contains("by docker-credential-scratch"), out)
        let sent = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store + "/last-store.json"))) as? [String: String]
        XCTAssertEqual(sent, ["ServerURL": key, "Username": "alice", "Secret": "alicekey"])
        let text = try String(contentsOfFile: home + "/.docker/config.json", encoding: .utf8)
        XCTAssertFalse(text.contains("alicekey") || text.contains(stale) || text.contains(Data("alice:alicekey".utf8).base64EncodedString()),
                       "no secret left in the file: \(text)")
        XCTAssertEqual(try config()["credsStore"] as? String, "scratch")
        let (psRC, _, psErr) = try cli(["service", "ps"])
        XCTAssertEqual(psRC, 0, "the helper's credentials are read back: \(psErr)")
    }

    func testAFailingHelperStoresNothing() throws {
        try "#!/bin/sh\nexit 1\n".write(toFile: home + "/bin/docker-credential-broken", atomically: true, encoding: .utf8)
        chmod(home + "/bin/docker-credential-broken", 0o755)
        let before = #"{"credsStore": "broken"}"#
        try writeConfig(before)
        let (rc, _, err) = try cli(["login"], stdin: "alice\nalicekey\n")
        XCTAssertEqual(rc, 3)
        XCTAssertTrue(err.contains("docker-credential-broken"), err)
        XCTAssertFalse(err.contains("alicekey"), err)
        XCTAssertEqual(try String(contentsOfFile: home + "/.docker/config.json", encoding: .utf8), before, "the file is as it was")
    }
}
