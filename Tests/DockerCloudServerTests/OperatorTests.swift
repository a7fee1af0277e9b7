import Foundation
import XCTest

/// The operator's side: command line, exports, shutdown, persistence across restarts and kill -9.
final class OperatorTests: XCTestCase {
    func run(_ args: [String]) throws -> (Int32, String, String) { try runProgram(ServerProcess.binary, args) }

    func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "dcs-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testHelpAndBadOptions() throws {
        let (code, out, _) = try run(["--help"])
        XCTAssertEqual(code, 0)
        for flag in ["--listen", "--data-dir", "--in-memory", "--user", "--users-file", "--org", "--nodes", "--driver", "--delay", "--domain", "--public-url", "--log-level", "--version"] {
            XCTAssertTrue(out.contains(flag), "--help does not document \(flag)")
        }
        for bad in [["--bogus"], ["--listen", "nowhere"], ["--nodes", "-1"], ["--org", "acme:ghost"], ["--driver", "docker"], ["--user"]] {
            let (code, out, err) = try run(bad)
            XCTAssertEqual(code, 2, "\(bad)")
            XCTAssertEqual(out, "")
            XCTAssertTrue(err.hasPrefix("docker-cloud-server: "), err)
            XCTAssertEqual(err.split(separator: "\n").count, 1, "one line: \(err)")
        }
    }

    func testPrintsExportsAndKeepsGeneratedKeysOutOfOutput() throws {
        let dir = tempDir()
        // The generated key is kept apart from the data directory (which holds only its hash).
        let server = try ServerProcess(arguments: ["--nodes", "0", "--key-dir", dir + ".keys"], dataDir: dir)
        defer { server.stop(); try? FileManager.default.removeItem(atPath: dir + ".keys") }
        let text = server.stdoutLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("export DOCKERCLOUD_REST_HOST=http://127.0.0.1:\(server.port)/"), text)
        XCTAssertTrue(text.contains("export DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:\(server.port)/"), text)
        XCTAssertTrue(text.contains("export DOCKERCLOUD_USER=admin"), text)
        XCTAssertTrue(text.contains("export DOCKERCLOUD_APIKEY=\"$(cat \(dir).keys/admin)\""), text)
        let key = try String(contentsOfFile: dir + ".keys/admin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(key.count, 40)
        XCTAssertFalse(text.contains(key), "the generated key is not printed")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + ".keys/admin")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let r = Client(server, user: "admin", key: key)
        let ok = try awaitResult { try await r.get("/api/app/v1/service/").status }
        XCTAssertEqual(ok, 200)
    }

    func testSIGTERMShutsDownCleanly() throws {
        let server = try ServerProcess()
        let start = Date()
        server.stop(signal: SIGTERM)
        XCTAssertEqual(server.process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        let interrupted = try ServerProcess()
        interrupted.stop(signal: SIGINT)
        XCTAssertEqual(interrupted.process.terminationStatus, 0)
    }

    func testStateSurvivesKill9AndRestart() async throws {
        let dir = tempDir()
        let args = ["--user", "alice:alicekey", "--nodes", "2", "--delay", "10"]
        var server = try ServerProcess(arguments: args, dataDir: dir)
        var alice = Client(server)
        let s = try await alice.createService(["image": "busybox", "name": "durable", "target_num_containers": 2,
                                               "run_command": "sh -c 'echo up; sleep 600'"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        _ = try await alice.waitForState(uri, "Running")
        let stack = try await alice.post("/api/app/v1/stack/", ["name": "kept", "services": [["name": "a", "image": "busybox"]]])
        XCTAssertEqual(stack.status, 201)
        let trigger = try await alice.post(uri + "trigger/", ["name": "t"])
        XCTAssertEqual(trigger.status, 201)
        // The last acknowledged write, right before the kill.
        let last = try await alice.patch(uri, ["nickname": "acknowledged"])
        XCTAssertEqual(last.status, 200)
        server.stop(signal: SIGKILL)

        server = try ServerProcess(arguments: args, dataDir: dir)
        alice = Client(server)
        let back = try await alice.waitForState(uri, "Running")
        XCTAssertEqual(back["nickname"] as? String, "acknowledged")
        XCTAssertEqual(back["running_num_containers"] as? Int, 2)
        let stacks = try await alice.get("/api/app/v1/stack/").objects
        XCTAssertEqual(stacks.map { $0["name"] as? String }, ["kept"])
        let triggers = try await alice.get(uri + "trigger/").objects
        XCTAssertEqual(triggers.count, 1)
        let nodes = try await alice.get("/api/infra/v1/node/").objects
        XCTAssertEqual(nodes.count, 2, "no second node cluster on restart")
        let c = try await alice.get("/api/app/v1/container/?service=\(uri)").objects[0]
        let logs = try await alice.stream((c["resource_uri"] as! String) + "logs/?follow=false").messages.map { decode($0)["log"] as? String }
        XCTAssertEqual(logs.first, "up\n", "logs from before the restart are kept")
        server.stop()
    }

    /// Every namespace has a bound on what it keeps: a create over the live quota is 403 and writes
    /// nothing; history beyond the retention (terminated objects, finished actions) is removed with
    /// its logs when the server sweeps (at start, then every minute).
    func testQuotasBoundWhatANamespaceKeeps() async throws {
        let dir = tempDir()
        let args = ["--user", "alice:alicekey", "--nodes", "1", "--delay", "0",
                    "--quota", "service=3", "--quota", "terminated=2", "--quota", "actions=4"]
        var server = try ServerProcess(arguments: args, dataDir: dir)
        var alice = Client(server)
        var uris: [String] = []
        for i in 0..<3 { uris.append(try await alice.createService(["image": "busybox", "name": "s\(i)"])["resource_uri"] as! String) }
        let over = try await alice.post("/api/app/v1/service/", ["image": "busybox", "name": "s3"])
        XCTAssertEqual(over.status, 403, over.text)
        XCTAssertTrue(over.text.contains("--quota service=N"), over.text)
        let stack = try await alice.post("/api/app/v1/stack/", ["name": "big", "services": [["name": "a", "image": "busybox"]]])
        XCTAssertEqual(stack.status, 403, "a stack's services count too: \(stack.text)")
        let stacks = try await alice.get("/api/app/v1/stack/").objects
        XCTAssertEqual(stacks.count, 0, "the refused stack left nothing behind")
        let live = try await alice.get("/api/app/v1/service/").objects
        XCTAssertEqual(live.count, 3)
        // A terminated service frees its place.
        for uri in uris { _ = try await alice.waitForAction(try await alice.delete(uri)) }
        for i in 3..<6 { _ = try await alice.createService(["image": "busybox", "name": "s\(i)"]) }
        server.stop()

        server = try ServerProcess(arguments: args, dataDir: dir)
        alice = Client(server)
        let services = try await alice.get("/api/app/v1/service/?limit=100").objects
        XCTAssertEqual(services.filter { $0["state"] as? String == "Terminated" }.count, 2, "the newest two terminated are kept")
        XCTAssertEqual(services.filter { $0["state"] as? String != "Terminated" }.count, 3)
        let oldest = try await alice.get(uris[0]), newest = try await alice.get(uris[2])
        XCTAssertEqual(oldest.status, 404, "the oldest terminated is gone")
        XCTAssertEqual(newest.status, 200)
        let actions = try await alice.get("/api/audit/v1/action/?limit=100").objects
        XCTAssertLessThanOrEqual(actions.count, 4, "finished actions beyond the quota are removed")
        let bad = try runProgram(ServerProcess.binary, ["--quota", "widget=3"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("'widget' is not one of"), bad.err)
        server.stop()
    }

    /// The node CA is made in DATA/ca at the first start and kept across restarts (an --in-memory
    /// server keeps its own in its throwaway key directory).
    func testTheNodeCAIsMadeOnceInTheDataDirectory() async throws {
        let dir = tempDir()
        var server = try ServerProcess(arguments: ["--user", "alice:alicekey", "--nodes", "0"], dataDir: dir)
        server.stop()
        let first = try String(contentsOfFile: dir + "/ca/ca.pem", encoding: .utf8)
        XCTAssertTrue(first.hasPrefix("-----BEGIN CERTIFICATE-----"), first)
        let mode = (try FileManager.default.attributesOfItem(atPath: dir + "/ca/ca-key.pem")[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
        server = try ServerProcess(arguments: ["--user", "alice:alicekey", "--nodes", "0"], dataDir: dir)
        server.stop()
        XCTAssertEqual(try String(contentsOfFile: dir + "/ca/ca.pem", encoding: .utf8), first, "kept, not remade")
        // A CA key without its certificate stops the start with one line, rather than a new CA nodes do not trust.
        try FileManager.default.removeItem(atPath: dir + "/ca/ca.pem")
        let broken = try runProgram(ServerProcess.binary, ["--listen", "127.0.0.1:0", "--data-dir", dir, "--user", "alice:alicekey"])
        XCTAssertEqual(broken.code, 1)
        XCTAssertTrue(broken.err.contains("node CA is incomplete"), broken.err)
    }

    /// Runs an async closure from a synchronous test.
    func awaitResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task { box.set(await Result { try await body() }); done.signal() }
        done.wait()
        return try box.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    private var result: Result<T, Error>?
    func set(_ r: Result<T, Error>) { result = r }
    func get() throws -> T { try result!.get() }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
