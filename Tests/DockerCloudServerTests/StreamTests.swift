import Foundation
import XCTest

/// The stream API over real websockets: events, logs (tail and follow), exec.
final class StreamTests: ServerTestCase {

    func testEventsStreamEveryChangeOfTheNamespace() async throws {
        let client = alice!
        let bob = Client(server, user: "bob")
        async let bobsEvents = bob.stream("/api/audit/v1/events", timeout: 3)
        async let events = client.stream("/api/audit/v1/events", timeout: 10) { messages in
            messages.map(decode).contains { $0["type"] as? String == "container" && $0["state"] as? String == "Running" }
        }
        try await Task.sleep(for: .milliseconds(300))
        let s = try await client.createService(["image": "busybox", "name": "evented", "run_command": "sleep 600"])
        _ = try await client.post((s["resource_uri"] as! String) + "start/")
        let received = try await events.messages.map(decode)
        let created = try XCTUnwrap(received.first { $0["type"] as? String == "service" && $0["action"] as? String == "create" })
        XCTAssertEqual(created["resource_uri"] as? String, s["resource_uri"] as? String)
        XCTAssertEqual(created["state"] as? String, "Not running")
        XCTAssertEqual(created["parents"] as? [String], [])
        XCTAssertNotNil((created["datetime"] as? String)?.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#, options: .regularExpression))
        XCTAssertNotNil(created["uuid"] as? String)
        let container = try XCTUnwrap(received.first { $0["type"] as? String == "container" && $0["state"] as? String == "Running" })
        let parents = container["parents"] as! [String]
        XCTAssertTrue(parents.contains(s["resource_uri"] as! String))
        XCTAssertTrue(parents.contains { $0.contains("/node/") } && parents.contains { $0.contains("/nodecluster/") })
        XCTAssertTrue(received.contains { $0["type"] as? String == "action" })
        let leaked = try await bobsEvents.messages
        XCTAssertEqual(leaked, [], "bob sees nothing of alice's namespace")
    }

    func testEventsCanBeFilteredByType() async throws {
        let client = alice!
        async let events = client.stream("/api/audit/v1/events?type=service", timeout: 3)
        try await Task.sleep(for: .milliseconds(300))
        let s = try await client.createService(["image": "busybox", "name": "typed"])
        _ = try await client.post((s["resource_uri"] as! String) + "start/")
        let types = Set(try await events.messages.map { decode($0)["type"] as? String ?? "" })
        XCTAssertEqual(types, ["service"])
    }

    func testContainerAndServiceLogsWithTailAndFollow() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "talker", "target_num_containers": 2,
                                               "run_command": "sh -c 'echo one; echo two; echo oops >&2; sleep 1; echo later; sleep 600'"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let containers = try await alice.get("/api/app/v1/container/?service=\(uri)").objects.sorted { ($0["name"] as! String) < ($1["name"] as! String) }
        let c1 = containers[0]["resource_uri"] as! String
        try await Task.sleep(for: .milliseconds(200))

        let tail = try await alice.stream(c1 + "logs/?follow=false&tail=2").messages.map(decode)
        XCTAssertEqual(tail.map { $0["log"] as? String }, ["two\n", "oops\n"])
        XCTAssertEqual(tail.map { $0["streamType"] as? String }, ["stdout", "stderr"])
        XCTAssertEqual(tail.first?["source"] as? String, "talker-1")
        XCTAssertEqual(tail.first?["type"] as? String, "log")
        XCTAssertNotNil(tail.first?["timestamp"] as? Int)

        let followed = try await alice.stream(c1 + "logs/?follow=true&tail=1", timeout: 8) { $0.contains { $0.contains("later") } }
            .messages.map { decode($0)["log"] as? String ?? "" }
        XCTAssertEqual(followed.last, "later\n")
        XCTAssertFalse(followed.dropLast().contains("later\n"), "no line twice: \(followed)")

        let service = try await alice.stream(uri + "logs/?follow=false&tail=all").messages.map(decode)
        XCTAssertEqual(Set(service.compactMap { $0["source"] as? String }), ["talker-1", "talker-2"])
        XCTAssertEqual(service.filter { $0["log"] as? String == "one\n" }.count, 2)

        let missing = try await alice.get("/api/app/v1/container/\(UUID().uuidString.lowercased())/logs/")
        XCTAssertEqual(missing.status, 404)
        let plain = try await alice.get(c1 + "logs/")
        XCTAssertEqual(plain.status, 400, "a plain GET is told to use a websocket")
    }

    func testActionLogs() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "logged"])
        let start = try await alice.post((s["resource_uri"] as! String) + "start/")
        let action = try await alice.waitForAction(start)
        let lines = try await alice.stream("/api/audit/v1/alice/action/\(action["uuid"]!)/logs/?follow=false").messages.map(decode)
        XCTAssertTrue(lines.contains { ($0["log"] as? String ?? "").contains("Start of service logged") }, "\(lines)")
        XCTAssertTrue(lines.allSatisfy { $0["type"] as? String == "log" })
    }

    func testExecRunsACommandAndReportsItsExitStatus() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "shell", "run_command": "sleep 600",
                                               "container_envvars": [["key": "GREETING", "value": "hello"]]])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let c = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects[0]
        let curi = c["resource_uri"] as! String

        let once = try await alice.stream(curi + "exec/?&command=sh+-c+%22echo+%24GREETING%3B+exit+4%22")
        XCTAssertEqual(once.messages.map(decode).map { $0["output"] as? String }, ["hello\n"])
        XCTAssertEqual(once.messages.map(decode).first?["streamType"] as? String, "stdout")
        XCTAssertEqual(once.closeReason, "exit code 4")

        let interactive = try await alice.stream(curi + "exec/", send: ["echo $GREETING world\n", "hostname\n", "exit 7\n"])
        let output = interactive.messages.map { decode($0)["output"] as? String ?? "" }.joined()
        XCTAssertTrue(output.contains("hello world\n"), output)
        XCTAssertTrue(output.contains("shell-1\n"), output)
        XCTAssertEqual(interactive.closeReason, "exit code 7")

        let eot = try await alice.stream(curi + "exec/", send: ["echo piped\n", "\u{4}"])
        XCTAssertTrue(eot.messages.map { decode($0)["output"] as? String ?? "" }.joined().contains("piped"))
        XCTAssertEqual(eot.closeReason, "exit code 0")

        let missing = try await alice.stream(curi + "exec/?command=frobnicate")
        XCTAssertEqual(missing.messages.map(decode).first?["streamType"] as? String, "stderr")
        XCTAssertEqual(missing.closeReason, "exit code 127")
    }

    /// A client that leaves takes its exec session with it: a `sleep 600` it started does not keep
    /// the session (or the server's shutdown) waiting.
    func testAnExecEndsWhenItsClientLeaves() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "leaver", "run_command": "sleep 600"])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let c = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects[0]
        let left = try await alice.stream((c["resource_uri"] as! String) + "exec/?command=sleep+600", timeout: 1)
        XCTAssertNil(left.closeReason, "the client left before the command ended")
        let stopping = Date()
        server.stop()
        XCTAssertLessThan(Date().timeIntervalSince(stopping), 10, "SIGTERM is not held up by the abandoned session")
    }

    func testStreamsRefuseBadCredentials() async throws {
        let anonymous = Client(server, user: "alice", key: "wrong")
        do {
            _ = try await anonymous.stream("/api/audit/v1/events", timeout: 3)
            XCTFail("the handshake should be refused")
        } catch {}
        let plain = try await anonymous.get("/api/audit/v1/events")
        XCTAssertEqual(plain.status, 401)
    }
}
