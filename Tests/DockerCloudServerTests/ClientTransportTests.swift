import DockerCloudKit
import Foundation
import XCTest

/// The client core's libcurl transport and websocket client against the real server.
final class ClientTransportTests: ServerTestCase {
    var auth: [String: String] { ["Authorization": "Basic " + Data("alice:alicekey".utf8).base64EncodedString()] }

    func testRESTOverLibcurlReusesOneTransport() throws {
        let http = CurlTransport()
        let created = try http.send("POST", server.base + "/api/app/v1/service/", headers: auth.merging(["Content-Type": "application/json"]) { a, _ in a },
                                    body: Data(#"{"image":"busybox","name":"curl","run_command":"sleep 600"}"#.utf8))
        XCTAssertEqual(created.status, 201, String(decoding: created.body, as: UTF8.self))
        XCTAssertNotNil(created.headers["x-dockercloud-action-uri"])
        for _ in 0..<3 {
            let list = try http.send("GET", server.base + "/api/app/v1/service/?name=curl", headers: auth)
            XCTAssertEqual(list.status, 200)
            XCTAssertTrue(String(decoding: list.body, as: UTF8.self).contains("\"total_count\":1"))
        }
        let denied = try http.send("GET", server.base + "/api/app/v1/service/")
        XCTAssertEqual(denied.status, 401)
    }

    func testUnreachableServerIsATransportError() {
        let http = CurlTransport(timeout: 5, connectTimeout: 2)
        XCTAssertThrowsError(try http.send("GET", "http://127.0.0.1:1/api/app/v1/service/")) { error in
            let e = error as? TransportError
            XCTAssertEqual(e?.kind, .connect)
            XCTAssertTrue("\(error)".hasPrefix("cannot connect to http://127.0.0.1:1/"), "\(error)")
        }
    }

    func testWebSocketLogsEventsAndExec() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "ws", "run_command": "sh -c 'echo one; echo two; sleep 600'"])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let c = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects[0]
        let curi = c["resource_uri"] as! String
        try await Task.sleep(for: .milliseconds(100))

        let logs = try WebSocket(url: server.wsBase + curi + "logs/?follow=false", headers: auth)
        var lines: [String] = []
        loop: while true {
            switch try logs.receive(timeout: 5) {
            case .text(let t): lines.append((try JSONSerialization.jsonObject(with: Data(t.utf8)) as! [String: Any])["log"] as! String)
            case .closed: break loop
            default: XCTFail("unexpected"); break loop
            }
        }
        XCTAssertEqual(lines, ["one\n", "two\n"])

        let exec = try WebSocket(url: server.wsBase + curi + "exec/", headers: auth)
        try exec.send(text: "echo $HOSTNAME\n")
        try exec.send(text: "exit 9\n")
        var output = ""
        var closeReason = ""
        while true {
            let event = try exec.receive(timeout: 5)
            if case .text(let t) = event { output += (try JSONSerialization.jsonObject(with: Data(t.utf8)) as! [String: Any])["output"] as? String ?? "" }
            if case .closed(let code, let reason) = event { XCTAssertEqual(code, 1000); closeReason = reason; break }
            if event == .timeout { XCTFail("exec did not end"); break }
        }
        XCTAssertTrue(output.contains("ws-1\n"), output)
        XCTAssertEqual(closeReason, "exit code 9")

        let events = try WebSocket(url: server.wsBase + "/api/audit/v1/events", headers: auth)
        XCTAssertEqual(try events.receive(timeout: 0.2), .timeout)
        _ = try await alice.patch(s["resource_uri"] as! String, ["nickname": "renamed"])
        guard case .text(let t) = try events.receive(timeout: 5) else { return XCTFail("no event") }
        XCTAssertTrue(t.contains("\"type\":\"service\""), t)
        events.close()
    }

    func testRefusedHandshakeKeepsTheServersMessage() {
        XCTAssertThrowsError(try WebSocket(url: server.wsBase + "/api/audit/v1/events", headers: ["Authorization": "Basic eDp5"])) { error in
            let e = error as? WebSocketHandshakeError
            XCTAssertEqual(e?.status, 401)
            XCTAssertTrue("\(error)".contains("HTTP 401"), "\(error)")
        }
        XCTAssertThrowsError(try WebSocket(url: "ws://127.0.0.1:1/api/audit/v1/events")) { error in
            XCTAssertEqual((error as? TransportError)?.kind, .connect)
        }
    }
}
