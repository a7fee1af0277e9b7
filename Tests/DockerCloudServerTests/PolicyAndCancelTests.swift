import Foundation
import XCTest

/// The operator's host-access policy, the engine's operations on simulated nodes, and `action cancel`
/// stopping an operation at its next step.
final class PolicyAndCancelTests: XCTestCase {
    func testHostAccessSettingsAreRefusedOutsideAllowedNamespaces() async throws {
        let server = try ServerProcess(arguments: ["--user", "alice:alicekey", "--user", "bob:bobkey", "--nodes", "1", "--delay", "10",
                                                   "--allow-privileged=bob"])
        defer { server.stop() }
        let alice = Client(server), bob = Client(server, user: "bob")
        for (body, field) in [(["privileged": true], "privileged"), (["net": "host"], "net"), (["pid": "host"], "pid"),
                              (["cap_add": ["NET_ADMIN"]], "cap_add"), (["devices": ["/dev/fuse"]], "devices"),
                              (["bindings": [["host_path": "/etc", "container_path": "/host-etc"]]], "bindings.host_path")] as [([String: Any], String)] {
            var create: [String: Any] = ["image": "busybox", "name": "p\(abs(field.hashValue) % 100000)"]
            create.merge(body) { _, new in new }
            let refused = try await alice.post("/api/app/v1/service/", create)
            XCTAssertEqual(refused.status, 403, "\(field): \(refused.text)")
            XCTAssertEqual(refused.object["field"] as? String, field)
            XCTAssertTrue((refused.object["error"] as? String ?? "").contains("--allow-privileged"), refused.text)
            let allowed = try await bob.post("/api/app/v1/service/", create)
            XCTAssertEqual(allowed.status, 201, "\(field) for bob: \(allowed.text)")
        }
        // Nothing was written for the refused creates.
        let listed = try await alice.get("/api/app/v1/service/").objects
        XCTAssertEqual(listed.count, 0)
        // An update cannot switch it on either.
        let plain = try await alice.createService(["image": "busybox", "name": "plain"])
        let update = try await alice.patch(plain["resource_uri"] as! String, ["privileged": true])
        XCTAssertEqual(update.status, 403, update.text)
        let after = try await alice.get(plain["resource_uri"] as! String).object
        XCTAssertEqual(after["privileged"] as? Bool, false)
    }

    func testEngineOperationsAnswer400OnSimulatedNodes() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let alice = Client(server)
        let s = try await alice.createService(["image": "busybox", "name": "sim", "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let running = try await alice.waitForState(uri, "Running")
        let container = try XCTUnwrap((running["containers"] as? [String])?.first)
        for (method, op) in [("GET", "top/"), ("GET", "stats/"), ("GET", "changes/"), ("GET", "export/"), ("GET", "archive/?path=/etc"),
                             ("POST", "kill/"), ("POST", "pause/"), ("POST", "unpause/"), ("POST", "wait/"), ("POST", "rename/?name=x")] {
            let answer = try await alice.request(method, container + op)
            XCTAssertEqual(answer.status, 400, "\(op): \(answer.text)")
            XCTAssertTrue((answer.object["error"] as? String ?? "").contains("needs nodes with a Docker engine"), "\(op): \(answer.text)")
        }
        let wrongMethod = try await alice.request("DELETE", container + "top/")
        XCTAssertEqual(wrongMethod.status, 405, wrongMethod.text)
    }

    func testCancelStopsASequentialDeployAtItsNextStep() async throws {
        // Each container start takes 300 ms: a cancel after the first leaves the others unstarted.
        let server = try ServerProcess(arguments: ["--user", "alice:alicekey", "--nodes", "1", "--delay", "300"])
        defer { server.stop() }
        let alice = Client(server)
        let s = try await alice.createService(["image": "busybox", "name": "seq", "target_num_containers": 5,
                                               "sequential_deployment": true, "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        let start = try await alice.post(uri + "start/")
        let actionURI = try XCTUnwrap(start.actionURI)
        try await Task.sleep(for: .milliseconds(400))
        let cancel = try await alice.post(actionURI + "cancel/")
        XCTAssertEqual(cancel.status, 202, cancel.text)
        let action = try await alice.waitFor(actionURI) { ($0["state"] as? String) == "Canceled" }
        XCTAssertEqual(action["state"] as? String, "Canceled")
        // The operation stopped: containers not started yet stay down, and nothing is left half-way.
        try await Task.sleep(for: .seconds(2))
        let containers = try await alice.get("/api/app/v1/container/?service=\(uri)").objects
        let states = containers.map { $0["state"] as? String ?? "" }
        XCTAssertEqual(states.count, 5)
        XCTAssertLessThan(states.filter { $0 == "Running" }.count, 5, "\(states)")
        XCTAssertFalse(states.contains("Starting"), "\(states)")
        let service = try await alice.get(uri).object
        XCTAssertNotEqual(service["state"] as? String, "Starting")
    }
}
