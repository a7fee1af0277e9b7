@testable import DockerCloudServer
import DockerCloudAPI
import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Secrets at rest (issue 10, item 5), against the real binary: API keys only as salted hashes and
/// managed with `keys add|ls|rm` while the server runs, registry passwords sealed with a key kept
/// in its own file, the data directory 0700 and its files 0600, `--in-memory` with nothing on a
/// predictable path, and the plain text of earlier versions migrated away.
final class SecretsTests: XCTestCase {
    // MARK: helpers

    func tempDir(mode: mode_t = 0o700) -> String {
        let dir = NSTemporaryDirectory() + "dcs-secrets-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, mode)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// A distinctive secret, to grep for.
    func secret(_ label: String) -> String { "\(label)-\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))" }

    /// Runs the server binary to completion (keys commands, failing starts).
    @discardableResult
    func run(_ args: [String], env: [String: String]? = nil) throws -> (code: Int32, out: String, err: String) {
        try runProgram(ServerProcess.binary, args, environment: env)
    }

    func keys(_ args: [String], dataDir: String) throws -> (code: Int32, out: String, err: String) {
        try run(["keys"] + args + ["--data-dir", dataDir])
    }

    /// A server started with its own environment; stdout read up to the export lines.
    final class Launched: @unchecked Sendable {
        let process = Process()
        var port = 0
        var lines: [String] = []
        let errFile: String

        init(_ args: [String], env: [String: String]? = nil, errFile: String) throws {
            self.errFile = errFile
            process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
            process.arguments = ["--listen", "127.0.0.1:0"] + args
            if let env { process.environment = env }
            _ = FileManager.default.createFile(atPath: errFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errFile)
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var buffer = Data()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                let text = String(decoding: buffer, as: UTF8.self)
                lines = text.split(separator: "\n").map(String.init)
                if text.contains("DOCKERCLOUD_APIKEY"), let line = lines.first(where: { $0.contains("listening on http://127.0.0.1:") }),
                   let p = line.split(separator: ":").last?.split(separator: " ").first.flatMap({ Int($0) }) {
                    port = p
                    return
                }
            }
            process.terminate()
            process.waitUntilExit()
            throw XCTSkip("server did not start: \(lines) \((try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")")
        }

        /// The key file the export line reads (`$(cat FILE)`), if any.
        var keyFile: String? {
            guard let line = lines.first(where: { $0.hasPrefix("export DOCKERCLOUD_APIKEY=\"$(cat ") }) else { return nil }
            return String(line.dropFirst("export DOCKERCLOUD_APIKEY=\"$(cat ".count).dropLast(")\"".count))
        }

        var stderr: String { (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "" }

        func stop(signal: Int32 = SIGTERM) {
            if process.isRunning { kill(process.processIdentifier, signal) }
            process.waitUntilExit()
        }

        deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    /// GET /api/app/v1/service/ with user:key; the status.
    func status(_ port: Int, _ user: String, _ key: String) throws -> Int {
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/app/v1/service/")!)
        req.setValue("Basic " + Data("\(user):\(key)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        return try http(req).status
    }

    func http(_ req: URLRequest) throws -> (status: Int, body: String) {
        let box = ResultBox<(Int, String)>()
        let done = DispatchSemaphore(value: 0)
        let request = req
        Task {
            box.set(await Result {
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
            })
            done.signal()
        }
        done.wait()
        let (s, b) = try box.get()
        return (s, b)
    }

    func send(_ port: Int, _ method: String, _ path: String, user: String, key: String, json: [String: Any]) throws -> Int {
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        req.httpMethod = method
        req.setValue("Basic " + Data("\(user):\(key)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.httpBody = try JSONSerialization.data(withJSONObject: json)
        return try http(req).status
    }

    /// Polls until the status is `want`; the seconds it took (fails after `within`). Each 401 counts
    /// towards the server's login throttle (20 a minute per address), so a wait for a key to be
    /// accepted polls every 100 ms, and one for a key to be refused (200s until then) every 20 ms.
    @discardableResult
    func waitForStatus(_ want: Int, _ port: Int, _ user: String, _ key: String, within: Double,
                       file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let start = Date()
        var last = 0
        while Date().timeIntervalSince(start) < within + 1 {
            last = try status(port, user, key)
            if last == want { break }
            usleep(want == 401 ? 20_000 : 100_000)
        }
        let took = Date().timeIntervalSince(start)
        XCTAssertEqual(last, want, "status after \(took) s", file: file, line: line)
        XCTAssertLessThanOrEqual(took, within, "took \(took) s", file: file, line: line)
        return took
    }

    /// `grep -r -a -F` over the directory: the needles found (none is the goal).
    func grep(_ dir: String, _ needles: [String]) throws -> [String] {
        try needles.filter { needle in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/grep")
            p.arguments = ["-r", "-a", "-F", "-q", "--", needle, dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
    }

    func mode(_ path: String) -> Int? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return Int(st.st_mode & 0o7777)
    }

    func environment(_ changes: [String: String?]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in changes { env[k] = v }
        return env
    }

    // MARK: keys add | ls | rm on a running server

    func testKeysAddAndRmReachARunningServerWithinOneSecond() throws {
        let base = tempDir()
        let dir = base + "/data"
        let aliceKey = secret("alice")
        let server = try Launched(["--data-dir", dir, "--user", "alice:\(aliceKey)", "--nodes", "0"], errFile: base + "/err")
        defer { server.stop() }
        XCTAssertEqual(try status(server.port, "alice", aliceKey), 200)
        XCTAssertEqual(try status(server.port, "bob", "nothing"), 401)

        let added = try keys(["add", "bob"], dataDir: dir)
        XCTAssertEqual(added.code, 0, added.err)
        let bobKey = added.out.trimmingCharacters(in: .newlines)
        XCTAssertEqual(bobKey.count, 40)
        XCTAssertEqual(added.out, bobKey + "\n", "stdout is the key alone")
        XCTAssertFalse(added.err.contains(bobKey), "stderr never shows the key")
        let took = try waitForStatus(200, server.port, "bob", bobKey, within: 1.5)
        print("keys add -> accepted after \(String(format: "%.2f", took)) s")

        // Rotation: a second key for alice; both work, the listing shows ids and never a key.
        let second = try keys(["add", "alice"], dataDir: dir)
        XCTAssertEqual(second.code, 0, second.err)
        let aliceKey2 = second.out.trimmingCharacters(in: .newlines)
        Thread.sleep(forTimeInterval: 1.1)   // the bound, without spending failed logins on polls
        XCTAssertEqual(try status(server.port, "alice", aliceKey2), 200)
        XCTAssertEqual(try status(server.port, "alice", aliceKey), 200)
        let ls = try keys(["ls"], dataDir: dir)
        XCTAssertEqual(ls.code, 0, ls.err)
        XCTAssertTrue(ls.out.hasPrefix("USER"), ls.out)
        for k in [aliceKey, aliceKey2, bobKey] { XCTAssertFalse(ls.out.contains(k)) }
        let rows = ls.out.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["alice", "alice", "bob"], ls.out)
        XCTAssertEqual(rows.map { $0[2] }, ["--user", "added", "added"], ls.out)
        let bobID = rows[2][1]
        XCTAssertFalse(bobKey.hasPrefix(bobID), "the id is not a prefix of the key")
        XCTAssertEqual(try keys(["ls", "bob"], dataDir: dir).out.split(separator: "\n").count, 2)

        // Removal: refused within the bound; the other keys keep working.
        let removed = try keys(["rm", "bob", bobID], dataDir: dir)
        XCTAssertEqual(removed.code, 0, removed.err)
        let gone = try waitForStatus(401, server.port, "bob", bobKey, within: 1.5)
        print("keys rm -> refused after \(String(format: "%.2f", gone)) s")
        XCTAssertEqual(try status(server.port, "alice", aliceKey2), 200)
        let again = try keys(["rm", "bob", bobID], dataDir: dir)
        XCTAssertEqual(again.code, 1)
        XCTAssertEqual(again.err.split(separator: "\n").count, 1, again.err)
        XCTAssertTrue(again.err.hasPrefix("docker-cloud-server: keys rm: bob has no key \(bobID)"), again.err)

        // Every key of a user: alice's added one goes, the --user one too (until the next start).
        XCTAssertEqual(try keys(["rm", "alice"], dataDir: dir).code, 0)
        try waitForStatus(401, server.port, "alice", aliceKey2, within: 1.5)
        XCTAssertEqual(try status(server.port, "alice", aliceKey), 401)
        XCTAssertFalse(server.stderr.contains(aliceKey) || server.stderr.contains(bobKey))
    }

    func testKeysUsageAndErrors() throws {
        let dir = tempDir()
        let help = try run(["keys", "--help"])
        XCTAssertEqual(help.code, 0)
        for word in ["keys add NAME", "keys ls", "keys rm NAME [ID]", "--data-dir", "within 1 s"] {
            XCTAssertTrue(help.out.contains(word), "keys --help lacks \(word)")
        }
        let serverHelp = try run(["--help"])
        for word in ["keys add NAME", "keys rm NAME", "--key-dir", "--secret-key-file"] {
            XCTAssertTrue(serverHelp.out.contains(word), "--help lacks \(word)")
        }
        for (args, code) in [([] as [String], Int32(2)), (["add"], 2), (["add", "a b"], 2), (["frob"], 2), (["ls", "--bogus"], 2),
                             (["rm"], 2), (["add", "x", "y"], 2), (["ls"], 1), (["rm", "nobody"], 1)] {
            let r = try run(["keys"] + args + ["--data-dir", dir + "/none"])
            XCTAssertEqual(r.code, code, "\(args): \(r.err)")
            XCTAssertEqual(r.out, "", "\(args)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("docker-cloud-server: keys"), r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/none"), "ls and rm create nothing")
        // add makes the store when there is none yet (provisioning before the first start), private.
        let out = dir + "/carol.key"
        let added = try run(["keys", "add", "carol", "--data-dir", dir + "/new", "--output", out])
        XCTAssertEqual(added.code, 0, added.err)
        XCTAssertEqual(added.out, "")
        XCTAssertEqual(mode(out), 0o600)
        XCTAssertEqual(mode(dir + "/new"), 0o700)
        XCTAssertEqual(mode(dir + "/new/state.sqlite"), 0o600)
        let key = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .newlines)
        XCTAssertEqual(try grep(dir + "/new", [key]), [])
        let exists = try run(["keys", "add", "carol", "--data-dir", dir + "/new", "--output", out])
        XCTAssertEqual(exists.code, 1, "never overwrites a key file")
        let server = try Launched(["--data-dir", dir + "/new", "--user", "dave:davekey", "--nodes", "0"], errFile: dir + "/err")
        defer { server.stop() }
        XCTAssertEqual(try status(server.port, "carol", key), 200, "a key added before the first start works")
    }

    // MARK: nothing secret in the data directory; its modes

    func testNoKeyOrRegistryPasswordInTheDataDirectoryAndPrivateModes() throws {
        let base = tempDir()
        let dir = base + "/data"
        let keyDir = base + "/keys"
        let aliceKey = secret("alicekey"), password = secret("regpass"), password2 = secret("regpass2")
        let args = ["--data-dir", dir, "--key-dir", keyDir, "--user", "alice:\(aliceKey)", "--user", "gen", "--nodes", "0"]
        var server = try Launched(args, errFile: base + "/err")
        let generated = try String(contentsOfFile: keyDir + "/gen", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(generated.count, 40)
        XCTAssertEqual(mode(keyDir), 0o700)
        XCTAssertEqual(mode(keyDir + "/gen"), 0o600)
        XCTAssertEqual(try status(server.port, "gen", generated), 200)
        let repo = "/api/repo/v1/repository/"
        XCTAssertEqual(try send(server.port, "POST", repo, user: "alice", key: aliceKey,
                                json: ["name": "registry.example.com/team/app", "username": "reguser", "password": password]), 201)
        XCTAssertEqual(try send(server.port, "PATCH", repo + "registry.example.com/team/app/", user: "alice", key: aliceKey,
                                json: ["password": password2]), 200)
        let added = try keys(["add", "bob"], dataDir: dir).out.trimmingCharacters(in: .newlines)
        try waitForStatus(200, server.port, "bob", added, within: 1.5)
        let needles = [aliceKey, generated, added, password, password2]
        XCTAssertEqual(try grep(dir, needles), [], "while running (WAL included)")
        server.stop(signal: SIGKILL)
        XCTAssertEqual(try grep(dir, needles), [], "after kill -9")
        XCTAssertEqual(mode(dir), 0o700)
        for f in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "secret.key"] where mode(dir + "/" + f) != nil {
            XCTAssertEqual(mode(dir + "/" + f), 0o600, f)
        }
        XCTAssertNotNil(mode(dir + "/secret.key"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/apikeys"))

        // Wider modes left by someone else are forced back at the next start.
        chmod(dir, 0o755)
        for f in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "secret.key"] { chmod(dir + "/" + f, 0o644) }
        chmod(keyDir, 0o755)
        chmod(keyDir + "/gen", 0o644)
        server = try Launched(args, errFile: base + "/err")
        defer { server.stop() }
        XCTAssertEqual(mode(dir), 0o700)
        for f in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "secret.key"] where mode(dir + "/" + f) != nil {
            XCTAssertEqual(mode(dir + "/" + f), 0o600, f)
        }
        XCTAssertEqual(mode(keyDir), 0o700)
        XCTAssertEqual(mode(keyDir + "/gen"), 0o600)
        // Everything still works after the restart: keys (the generated one kept), the sealed login.
        XCTAssertEqual(try status(server.port, "gen", generated), 200)
        XCTAssertEqual(try status(server.port, "bob", added), 200)
        XCTAssertEqual(try send(server.port, "PATCH", repo + "registry.example.com/team/app/", user: "alice", key: aliceKey,
                                json: ["username": "other"]), 200)
        XCTAssertEqual(try grep(dir, needles + ["reguser"]), [])
        for text in [server.stderr] + server.lines { for n in needles { XCTAssertFalse(text.contains(n)) } }
    }

    func testStartKeysFollowTheCommandLine() throws {
        let base = tempDir()
        let dir = base + "/data"
        let env = environment(["XDG_CONFIG_HOME": base + "/config"])
        var server = try Launched(["--data-dir", dir, "--nodes", "0", "--user", "alice:first-key"], env: env, errFile: base + "/err")
        XCTAssertEqual(try status(server.port, "alice", "first-key"), 200)
        server.stop()
        // The default user "admin": its key generated into $XDG_CONFIG_HOME, read by the export line.
        server = try Launched(["--data-dir", dir, "--nodes", "0", "--user", "alice:second-key", "--user", "admin"], env: env, errFile: base + "/err")
        XCTAssertEqual(server.keyFile, base + "/config/docker-cloud-server/apikeys/admin")
        XCTAssertTrue(server.lines.contains("export DOCKERCLOUD_USER=admin"), "\(server.lines)")
        let key = try String(contentsOfFile: server.keyFile!, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(key.count, 40)
        XCTAssertFalse(server.lines.joined().contains(key), "the generated key is not printed")
        XCTAssertEqual(mode(server.keyFile!), 0o600)
        XCTAssertEqual(mode(base + "/config/docker-cloud-server"), 0o700)
        XCTAssertEqual(try status(server.port, "admin", key), 200)
        XCTAssertEqual(try status(server.port, "alice", "second-key"), 200)
        XCTAssertEqual(try status(server.port, "alice", "first-key"), 401, "a --user key replaced on the command line is gone")
        server.stop()
        // The same key at the next start; a deleted key file means a new key, and the old one is refused.
        server = try Launched(["--data-dir", dir, "--nodes", "0", "--user", "admin"], env: env, errFile: base + "/err")
        XCTAssertEqual(try status(server.port, "admin", key), 200)
        XCTAssertEqual(try status(server.port, "alice", "second-key"), 401, "a user no longer given loses its --user key")
        server.stop()
        try FileManager.default.removeItem(atPath: base + "/config/docker-cloud-server/apikeys/admin")
        server = try Launched(["--data-dir", dir, "--nodes", "0"], env: env, errFile: base + "/err")
        defer { server.stop() }
        let fresh = try String(contentsOfFile: base + "/config/docker-cloud-server/apikeys/admin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotEqual(fresh, key)
        XCTAssertEqual(try status(server.port, "admin", fresh), 200)
        XCTAssertEqual(try status(server.port, "admin", key), 401)
        let ls = try keys(["ls"], dataDir: dir)
        XCTAssertEqual(ls.out.split(separator: "\n").count, 2, ls.out)
        XCTAssertTrue(ls.out.contains("generated"), ls.out)
        XCTAssertEqual(try grep(dir, [key, fresh, "first-key", "second-key"]), [])
    }

    // MARK: the secret key file

    func testWrongOrMissingSecretKeyIsOneClearLine() throws {
        let base = tempDir()
        let dir = base + "/data"
        let password = secret("regpass")
        let args = ["--data-dir", dir, "--user", "alice:alicekey", "--nodes", "0"]
        var server = try Launched(args, errFile: base + "/err")
        XCTAssertEqual(try send(server.port, "POST", "/api/repo/v1/repository/", user: "alice", key: "alicekey",
                                json: ["name": "registry.example.com/a/b", "username": "u", "password": password]), 201)
        server.stop()
        let good = try Data(contentsOf: URL(fileURLWithPath: dir + "/secret.key"))
        func start() throws -> (code: Int32, out: String, err: String) {
            try run(["--listen", "127.0.0.1:0"] + args)
        }
        func checkOneLine(_ r: (code: Int32, out: String, err: String), _ words: String, line: UInt = #line) {
            XCTAssertEqual(r.code, 1, r.err, line: line)
            XCTAssertEqual(r.out, "", line: line)
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)", line: line)
            XCTAssertTrue(r.err.hasPrefix("docker-cloud-server: "), r.err, line: line)
            XCTAssertTrue(r.err.contains(words), r.err, line: line)
            XCTAssertFalse(r.err.contains(password) || r.err.contains("sealed1:") || r.err.contains("Fatal error"), r.err, line: line)
        }
        // Another valid key.
        let other = Data(KeyHash.randomBytes(32)).base64EncodedString() + "\n"
        try other.write(toFile: dir + "/secret.key", atomically: true, encoding: .utf8)
        checkOneLine(try start(), "is not the secret key this data directory's registry passwords were sealed with")
        // Not a key at all.
        try "garbage\n".write(toFile: dir + "/secret.key", atomically: true, encoding: .utf8)
        checkOneLine(try start(), "is not a docker-cloud-server secret key file")
        // Missing: the server refuses to start rather than make a new key the store cannot use.
        try FileManager.default.removeItem(atPath: dir + "/secret.key")
        checkOneLine(try start(), "is missing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/secret.key"))
        // The right one back: it starts, and the sealed login is still there.
        try good.write(to: URL(fileURLWithPath: dir + "/secret.key"))
        server = try Launched(args, errFile: base + "/err")
        XCTAssertEqual(try send(server.port, "PATCH", "/api/repo/v1/repository/registry.example.com/a/b/", user: "alice", key: "alicekey",
                                json: ["username": "v"]), 200)
        server.stop()
        // --secret-key-file: the key lives elsewhere, none is made in the data directory.
        let elsewhere = base + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        server = try Launched(["--data-dir", base + "/data2", "--secret-key-file", elsewhere + "/k", "--user", "a:b", "--nodes", "0"], errFile: base + "/err")
        server.stop()
        XCTAssertEqual(mode(elsewhere + "/k"), 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/data2/secret.key"))
        let r = try run(["--in-memory", "--secret-key-file", elsewhere + "/k"])
        XCTAssertEqual(r.code, 2, r.err)
    }

    // MARK: data directories of earlier versions

    func testMigratesPlainTextKeysAndRegistryLogins() throws {
        let base = tempDir()
        let dir = base + "/data"
        let keyDir = base + "/keys"
        let adminKey = KeyHash.newKey(), oldKey = KeyHash.newKey()
        let password = secret("plainpass"), deletedPassword = secret("deletedpass")
        // What an earlier version left: plain JSON logins in settings (one of them since deleted),
        // plain key files in DATA/apikeys, wide modes.
        try FileManager.default.createDirectory(atPath: dir + "/apikeys", withIntermediateDirectories: true)
        let repoURI = ResourceURI.object(.repository, namespace: "alice", id: "registry.example.com/team/app")
        let credentialsKey = "credentials:" + repoURI
        do {
            let store = try Store(path: dir + "/state.sqlite")
            _ = try store.write { tx in
                var r = Repository()
                r.name = "registry.example.com/team/app"
                r.resource_uri = repoURI
                r.registry = ResourceURI.object(.registry, namespace: "alice", id: "registry.example.com")
                try tx.put(r, namespace: "alice")
                try tx.setSetting(credentialsKey, #"{"password":"\#(password)","username":"olduser"}"#)
                try tx.setSetting(credentialsKey + "gone/", #"{"password":"\#(deletedPassword)","username":"olduser"}"#)
            }
            _ = try store.write { tx in try tx.db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [credentialsKey + "gone/"]) }
        }
        try (adminKey + "\n").write(toFile: dir + "/apikeys/admin", atomically: false, encoding: .utf8)
        try (oldKey + "\n").write(toFile: dir + "/apikeys/olduser", atomically: false, encoding: .utf8)
        chmod(dir, 0o755)
        chmod(dir + "/state.sqlite", 0o644)
        XCTAssertEqual(try grep(dir, [adminKey, oldKey, password]).count, 3, "the legacy layout has them")

        let args = ["--data-dir", dir, "--key-dir", keyDir, "--user", "admin", "--user", "alice:alicekey", "--nodes", "0"]
        var server = try Launched(args, errFile: base + "/err")
        XCTAssertTrue(server.stderr.contains("2 plain-text API keys of an earlier version hashed into the store"), server.stderr)
        XCTAssertTrue(server.stderr.contains("1 registry login stored in plain text by an earlier version sealed"), server.stderr)
        XCTAssertFalse(server.stderr.contains(password) || server.stderr.contains(adminKey))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/apikeys"), "the plain-text key files are removed")
        XCTAssertEqual(try String(contentsOfFile: keyDir + "/admin", encoding: .utf8), adminKey + "\n", "the generated key kept, outside the data")
        XCTAssertEqual(server.keyFile, keyDir + "/admin")
        XCTAssertEqual(try status(server.port, "admin", adminKey), 200, "no data loss: the old generated key works")
        XCTAssertEqual(try status(server.port, "olduser", oldKey), 200, "and so does a key file of a user no longer given")
        XCTAssertEqual(try grep(dir, [adminKey, oldKey, password, deletedPassword]), [], "no plain text left, freed pages included")
        XCTAssertEqual(mode(dir), 0o700)
        XCTAssertEqual(mode(dir + "/state.sqlite"), 0o600)
        // The login is usable: updating the username reads and reseals it.
        XCTAssertEqual(try send(server.port, "PATCH", "/api/repo/v1/repository/registry.example.com/team/app/", user: "alice", key: "alicekey",
                                json: ["username": "newuser"]), 200, "the repository of the earlier version is there")
        server.stop()
        server = try Launched(args, errFile: base + "/err2")
        defer { server.stop() }
        XCTAssertEqual(server.stderr, "", "nothing more to migrate")
        XCTAssertEqual(try status(server.port, "olduser", oldKey), 200)
        let ls = try keys(["ls"], dataDir: dir)
        XCTAssertEqual(ls.out.split(separator: "\n").count, 4, ls.out)   // header, admin, alice, olduser
        XCTAssertTrue(ls.out.contains("migrated"), ls.out)
        // The sealed login opens with the key file, and holds what was written.
        let store = try Store(path: dir + "/state.sqlite", secrets: try XCTUnwrap(SecretBox.read(file: dir + "/secret.key")))
        let sealed = try XCTUnwrap(try store.read { try $0.setting(credentialsKey) })
        XCTAssertTrue(sealed.hasPrefix("sealed1:"))
        XCTAssertEqual(try store.secrets.openCredentials(sealed, context: credentialsKey), ["username": "newuser", "password": password])
    }

    // MARK: --in-memory

    func testInMemoryTouchesNoPredictablePath() throws {
        let base = tempDir()
        let tmp = base + "/tmp", home = base + "/home"
        for d in [tmp, home] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let env = environment(["TMPDIR": tmp, "HOME": home, "XDG_CONFIG_HOME": nil, "XDG_DATA_HOME": nil])
        // Users with keys: nothing at all on disk.
        var server = try Launched(["--in-memory", "--user", "a:akey", "--nodes", "0"], env: env, errFile: base + "/err")
        XCTAssertEqual(try status(server.port, "a", "akey"), 200)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home), [])
        server.stop()
        // A generated key: a fresh, randomly named 0700 directory, removed at exit.
        var seen: [String] = []
        for _ in 0..<2 {
            server = try Launched(["--in-memory", "--nodes", "0"], env: env, errFile: base + "/err")
            let file = try XCTUnwrap(server.keyFile, "\(server.lines)")
            let keyDir = (file as NSString).deletingLastPathComponent
            XCTAssertEqual((keyDir as NSString).deletingLastPathComponent, tmp)
            let name = (keyDir as NSString).lastPathComponent
            XCTAssertTrue(name.hasPrefix("docker-cloud-server."), name)
            XCTAssertFalse(name.contains("\(server.process.processIdentifier)"), "not named after the pid")
            XCTAssertEqual(mode(keyDir), 0o700)
            XCTAssertEqual(mode(file), 0o600)
            let key = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(try status(server.port, "admin", key), 200)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home), [], "no ~/.config, no ~/.local")
            seen.append(name)
            server.stop()
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "removed at exit")
        }
        XCTAssertNotEqual(seen[0], seen[1])
    }

    // MARK: units: the sealing, the cost of a verification

    func testSecretBoxSealsAndRefusesOtherKeysAndContexts() throws {
        let box = SecretBox.ephemeral()
        let sealed = try box.sealCredentials(["username": "u", "password": "hunter2"], context: "credentials:a")
        XCTAssertTrue(sealed.hasPrefix("sealed1:"))
        XCTAssertFalse(sealed.contains("hunter2"))
        XCTAssertEqual(try box.openCredentials(sealed, context: "credentials:a"), ["username": "u", "password": "hunter2"])
        XCTAssertNotEqual(try box.sealCredentials(["password": "x"], context: "c"), try box.sealCredentials(["password": "x"], context: "c"), "fresh nonces")
        for (b, context) in [(SecretBox.ephemeral(), "credentials:a"), (box, "credentials:b")] {
            XCTAssertThrowsError(try b.openCredentials(sealed, context: context)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("cannot be opened with this server's secret key"), text)
                XCTAssertFalse(text.contains("hunter2") || text.contains(String(sealed.dropFirst(8).prefix(16))), text)
            }
        }
    }

    func testVerificationCostAndReload() throws {
        let store = try Store(path: nil)
        let binding = try Keyring.bind(store: store, given: ["alice": "alicekey"], generated: [], legacy: [], rounds: KeyHash.defaultRounds)
        var accounts = Accounts()
        accounts.keyring = binding.keyring
        let header = "Basic " + Data("alice:alicekey".utf8).base64EncodedString()
        // A key given at start is known to the cache: no derivation per request.
        var start = Date()
        let n = 20_000
        for _ in 0..<n { XCTAssertEqual(accounts.authenticate(header), "alice") }
        let hit = Date().timeIntervalSince(start) / Double(n)
        // A key the process has not verified yet costs one derivation, once.
        let added = KeyHash.newKey()
        _ = try store.write { tx in try tx.insertKey(KeyHash.make(added, user: "bob", source: "added", rounds: KeyHash.defaultRounds)); try tx.bumpKeysVersion() }
        let fresh = try Keyring(store: store, rounds: KeyHash.defaultRounds)
        start = Date()
        XCTAssertTrue(fresh.verify(user: "bob", key: added))
        let miss = Date().timeIntervalSince(start)
        start = Date()
        XCTAssertTrue(fresh.verify(user: "bob", key: added))
        let second = Date().timeIntervalSince(start)
        start = Date()
        XCTAssertFalse(fresh.verify(user: "bob", key: "wrong"))
        let failed = Date().timeIntervalSince(start)
        start = Date()
        XCTAssertFalse(fresh.verify(user: "nobody", key: "wrong"))
        let unknown = Date().timeIntervalSince(start)
        start = Date()
        XCTAssertFalse(fresh.verify(user: "bob", key: "wrong"))
        let repeated = Date().timeIntervalSince(start)
        print(String(format: "API key verification: cached %.1f µs/request; first use %.1f ms; then %.1f µs; a wrong key %.1f ms, an unknown user %.1f ms, the same wrong key again %.1f µs",
                     hit * 1e6, miss * 1e3, second * 1e6, failed * 1e3, unknown * 1e3, repeated * 1e6))
        XCTAssertLessThan(hit, 200e-6)
        XCTAssertLessThan(second, 5e-3)
        XCTAssertLessThan(repeated, 5e-3)
        XCTAssertGreaterThan(unknown, failed / 4, "an unknown user costs about what a wrong key does")
        // Removal seen at the next check (at most reloadInterval later).
        _ = try store.write { tx in try tx.db.execute(sql: "DELETE FROM api_keys WHERE user = 'bob'"); try tx.bumpKeysVersion() }
        XCTAssertTrue(fresh.verify(user: "bob", key: added), "within the interval, the snapshot")
        Thread.sleep(forTimeInterval: 1.05)
        XCTAssertFalse(fresh.verify(user: "bob", key: added))
        // Organisations are never logins.
        accounts.orgMembers["alice"] = ["alice"]
        XCTAssertNil(accounts.authenticate(header))
    }
}
