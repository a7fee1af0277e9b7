import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 10's regression inputs: each once ended (or could end) the server for everyone. Every
/// answer is a 4xx naming the field, and the server keeps answering.
final class HostileInputTests: ServerTestCase {
    func assertAlive(file: StaticString = #filePath, line: UInt = #line) async throws {
        let r = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(r.status, 200, "the server still answers", file: file, line: line)
        XCTAssertTrue(server.process.isRunning, file: file, line: line)
    }

    func testStackfileSizesAndPortsThatOverflow() async throws {
        // `1g` is 1024 MB: a number of gigabytes near Int's limit once trapped on the multiplication.
        for size in ["9000000000000000000g", "99999999999999999999999m", "-5g", "1e400g", "g"] {
            let r = try await alice.post("/api/app/v1/stack/", ["name": "huge", "services": [["name": "web", "image": "busybox", "mem_limit": size]]])
            XCTAssertEqual(r.status, 400, "mem_limit \(size): \(r.text)")
            XCTAssertTrue(r.text.contains("mem_limit") || r.text.contains("memory"), r.text)
        }
        for ports in [["99999999999999999999:80"], ["80:9223372036854775808"], ["0"], ["65536"], ["-1:80"]] {
            let r = try await alice.post("/api/app/v1/stack/", ["name": "ports", "services": [["name": "web", "image": "busybox", "ports": ports]]])
            XCTAssertEqual(r.status, 400, "ports \(ports): \(r.text)")
        }
        try await assertAlive()
    }

    func testNumbersInBodiesAreRangeChecked() async throws {
        let cases: [(String, Any)] = [
            ("target_num_containers", 9223372036854775807 as Int64), ("target_num_containers", -1), ("target_num_containers", 1e300),
            ("target_num_containers", 1.5), ("cpu_shares", -1), ("memory", -1), ("memory", 1e30), ("memory_swap", -2),
        ]
        for (field, value) in cases {
            let r = try await alice.request("POST", "/api/app/v1/service/", raw: "{\"image\": \"busybox\", \"\(field)\": \(value)}")
            XCTAssertEqual(r.status, 400, "\(field)=\(value): \(r.text)")
            XCTAssertEqual(r.object["field"] as? String, field, r.text)
        }
        let ports = try await alice.post("/api/app/v1/service/", ["image": "busybox", "container_ports": [["protocol": "tcp", "inner_port": 70000]]])
        XCTAssertEqual(ports.status, 400, ports.text)
        try await assertAlive()
    }

    func testQueryNumbersAndTriggerAmounts() async throws {
        for (name, value) in [("limit", "-1"), ("limit", "9223372036854775808"), ("offset", "-1"), ("offset", "1e3")] {
            let r = try await alice.get("/api/app/v1/container/?\(name)=\(value)")
            XCTAssertEqual(r.status, 400, "\(name)=\(value): \(r.text)")
            XCTAssertEqual(r.object["field"] as? String, name, r.text)
        }
        // limit=0 asks for as many as allowed: bounded, never the whole store.
        let zero = try await alice.get("/api/app/v1/container/?limit=0")
        XCTAssertEqual((zero.object["meta"] as? [String: Any])?["limit"] as? Int, 1000, zero.text)
        for value in ["all", "1e400"] {
            let tail = try await alice.get("/api/app/v1/container/x/logs/?tail=\(value == "all" ? "-5" : value)")
            XCTAssertLessThan(tail.status, 500, tail.text)
        }
        let service = try await alice.createService(["image": "busybox", "name": "trig", "target_num_containers": 1])
        let uuid = try XCTUnwrap(service["uuid"] as? String)
        let trigger = try await alice.post("/api/app/v1/service/\(uuid)/trigger/", ["operation": "SCALEUP", "name": "up"])
        XCTAssertEqual(trigger.status, 201, trigger.text)
        let url = try XCTUnwrap(trigger.object["url"] as? String)
        let anonymous = Client(server, user: nil)
        for amount in ["9223372036854775808", "-1", "0", "101", "1e2"] {
            let r = try await anonymous.post(url + amount + "/")
            XCTAssertEqual(r.status, 400, "amount \(amount): \(r.text)")
        }
        try await assertAlive()
    }

    /// After 20 bad keys from one address within a minute, that address gets 429 with Retry-After
    /// (good keys too, until the minute is over), REST and websockets alike; docker-cloud says so.
    func testFailedLoginsAreThrottled() async throws {
        let guesser = Client(server, user: "alice", key: "guess")
        for i in 1...20 {
            let r = try await guesser.get("/api/app/v1/service/")
            XCTAssertEqual(r.status, 401, "attempt \(i): \(r.text)")
        }
        let blocked = try await guesser.get("/api/app/v1/service/")
        XCTAssertEqual(blocked.status, 429, blocked.text)
        let retryAfter = try XCTUnwrap(blocked.headers.first { $0.key.lowercased() == "retry-after" }?.value)
        XCTAssertTrue((1...60).contains(Int(retryAfter) ?? 0), retryAfter)
        XCTAssertTrue((blocked.object["error"] as? String ?? "").hasPrefix("Too many failed logins from this address: try again in"), blocked.text)
        let good = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(good.status, 429, "a right key from the blocked address waits too")
        let (code, _, message) = try runProgram(ServerProcess.cliBinary, ["service", "ls"], environment: [
            "DOCKERCLOUD_REST_HOST": server.base + "/", "DOCKERCLOUD_USER": "alice", "DOCKERCLOUD_APIKEY": "alicekey", "HOME": NSTemporaryDirectory()])
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(message.contains("Too many failed logins from this address: try again in"), message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, message)
        XCTAssertTrue(server.process.isRunning)
    }

    /// Limits before work: oversized headers are 431, and bad credentials are answered before a
    /// body is read (a stranger's 9 MB upload gets 401, not 413).
    func testHeadersAndCredentialsBeforeTheBody() async throws {
        var req = URLRequest(url: URL(string: server.base + "/api/app/v1/service/")!)
        req.setValue(alice.authorization, forHTTPHeaderField: "Authorization")
        req.setValue(String(repeating: "h", count: 20_000), forHTTPHeaderField: "X-Big")
        let (body, response) = try await URLSession.shared.data(for: req)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 431, String(decoding: body, as: UTF8.self))
        let stranger = Client(server, user: "alice", key: "wrong")
        let upload = try await stranger.request("POST", "/api/app/v1/service/", raw: "{\"image\": \"" + String(repeating: "x", count: 9 << 20) + "\"}")
        XCTAssertEqual(upload.status, 401, upload.text)
        let large = try await alice.request("POST", "/api/app/v1/service/", raw: "{\"image\": \"" + String(repeating: "x", count: 9 << 20) + "\"}")
        XCTAssertEqual(large.status, 413, large.text)
        try await assertAlive()
    }

    /// A container's kept log is bounded: its newest 10,000 lines, the oldest dropped.
    func testAChattyContainersLogIsBounded() async throws {
        let service = try await alice.createService(["image": "busybox", "name": "chatty", "run_command": "seq 1 30000", "autorestart": "OFF"])
        let uuid = try XCTUnwrap(service["uuid"] as? String)
        _ = try await alice.post("/api/app/v1/service/\(uuid)/start/")
        let containers = try await alice.get("/api/app/v1/container/?service=/api/app/v1/alice/service/\(uuid)/").objects
        let container = try XCTUnwrap(containers.first?["uuid"] as? String)
        try await alice.waitForState("/api/app/v1/container/\(container)/", "Stopped", timeout: 30)
        let (messages, _) = try await alice.stream("/api/app/v1/container/\(container)/logs/?tail=all&follow=false", timeout: 20)
        let lines = messages.compactMap { decode($0)["log"] as? String }.map { $0.trimmingCharacters(in: .newlines) }
        XCTAssertGreaterThan(lines.count, 9_000, "most of the newest lines are kept")
        XCTAssertLessThanOrEqual(lines.count, 10_000 + 512, "at most 10,000 lines (trimmed every 512)")
        XCTAssertEqual(lines.last, "30000")
        XCTAssertNotEqual(lines.first, "1", "the oldest were dropped")
    }

    /// A client writing to a process that never reads its stdin: the server takes a message or two
    /// and then stops reading the socket (backpressure), so its memory does not grow with the input.
    /// A raw socket, since websocket libraries queue writes without limit on their own side.
    func testExecInputFasterThanTheProcessReadsIsNotBuffered() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "deaf", "run_command": "sleep 600"])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let c = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects[0]
        let fd = try server.rawSocket()
        defer { close(fd) }
        let upgrade = "GET \(c["resource_uri"] as! String)exec/?command=sleep+600&tty=false HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: \(alice.authorization!)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = upgrade.withCString { write(fd, $0, strlen($0)) }
        var head = [UInt8](repeating: 0, count: 1024)
        let n = read(fd, &head, head.count)
        XCTAssertTrue(String(decoding: head.prefix(max(n, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 101"))

        // Binary frames of 1 MiB, masked with a zero key; a write blocked for 2 s means the server stopped reading.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let payload = 1 << 20
        var frame: [UInt8] = [0x82, 0x80 | 127] + (0..<8).map { UInt8(truncatingIfNeeded: payload >> (8 * (7 - $0))) } + [0, 0, 0, 0]
        frame += [UInt8](repeating: 0x61, count: payload)
        let before = try server.residentBytes()
        var accepted = 0
        sending: for _ in 0..<96 {
            var offset = 0
            while offset < frame.count {
                let w = frame.withUnsafeBytes { write(fd, $0.baseAddress! + offset, frame.count - offset) }
                if w <= 0 { break sending }
                offset += w
                accepted += w
            }
        }
        let grown = try server.residentBytes() - before
        XCTAssertLessThan(accepted, 32 << 20, "the server stopped reading (accepted \(accepted >> 20) MiB)")
        XCTAssertLessThan(grown, 32 << 20, "server memory grew by \(grown >> 20) MiB while \(accepted >> 20) MiB were accepted")
        try await assertAlive()
        // The stuck session does not hold up a shutdown.
        let stopping = Date()
        server.stop()
        XCTAssertLessThan(Date().timeIntervalSince(stopping), 10, "SIGTERM ends the server with the session open")
    }

    /// An interactive shell keeps at most one bounded line of unfinished input.
    func testAnInteractiveLineWithoutAnEndIsBounded() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "typist", "run_command": "sleep 600"])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let c = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects[0]
        let long = String(repeating: "x", count: 200_000)
        let r = try await alice.stream((c["resource_uri"] as! String) + "exec/", send: [long, long, "echo still here\n", "exit 3\n"], timeout: 20)
        let output = r.messages.map { decode($0)["output"] as? String ?? "" }.joined()
        XCTAssertTrue(output.contains("line longer than"), String(output.suffix(300)))
        XCTAssertTrue(output.contains("still here\n"), String(output.suffix(300)))
        XCTAssertEqual(r.closeReason, "exit code 3")
    }

    func testBodiesThatAreNotJSONOrTooDeep() async throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let nested = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        for body in ["{", "[]", "null", "\"x\"", deep, nested, "{\"image\": \"busybox\", \"name\": \"\u{FFFD}\"}"] {
            let r = try await alice.request("POST", "/api/app/v1/service/", raw: body)
            XCTAssertEqual(r.status, 400, String(body.prefix(40)) + ": " + r.text)
        }
        // Invalid UTF-8 in the body.
        var req = URLRequest(url: URL(string: server.base + "/api/app/v1/service/")!)
        req.httpMethod = "POST"
        req.setValue(alice.authorization, forHTTPHeaderField: "Authorization")
        req.httpBody = Data([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])
        let (data, response) = try await URLSession.shared.data(for: req)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 400, String(decoding: data, as: UTF8.self))
        try await assertAlive()
    }
}
