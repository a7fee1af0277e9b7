import DockerCloudAPI
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

    /// The handshake 1.0.9's websocket client made: Host, and Origin as `http://` + Host.
    func testWebSocketHandshakeSendsOriginAs109Did() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        XCTAssertEqual(listen(listener, 1), 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let received = Collected()
        let peer = Thread {
            let conn = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(conn, &buffer, buffer.count)
            received.append(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self))
            _ = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".withCString { write(conn, $0, strlen($0)) }
            close(conn)
        }
        peer.start()
        XCTAssertThrowsError(try WebSocket(url: "ws://127.0.0.1:\(port)/api/audit/v1/events", headers: ["Authorization": "Basic eDp5"]))
        for _ in 0..<100 where received.all.isEmpty { Thread.sleep(forTimeInterval: 0.02) }
        let head = received.all.first ?? ""
        XCTAssertTrue(head.contains("\r\nHost: 127.0.0.1:\(port)\r\n"), head)
        XCTAssertTrue(head.contains("\r\nOrigin: http://127.0.0.1:\(port)\r\n"), head)
    }

    /// Keep-alive: a server that answers pings keeps an idle stream open; one that goes silent
    /// (here a peer that completes the handshake and then reads nothing) is reported dead.
    func testIdleStreamsArePingedAndADeadPeerIsReported() throws {
        let live = try WebSocket(url: server.wsBase + "/api/audit/v1/events", headers: auth)
        live.pingInterval = 0.3
        live.pongTimeout = 0.5
        if case .closed = try live.receive(timeout: 1.5) { XCTFail("the idle stream closed") }
        live.close()

        let script = """
        import base64, hashlib, socket, sys, time
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); print(s.getsockname()[1], flush=True)
        c, _ = s.accept(); head = b""
        while b"\\r\\n\\r\\n" not in head: head += c.recv(4096)
        key = [l.split(b": ", 1)[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"sec-websocket-key")][0]
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        c.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + b"\\r\\n\\r\\n")
        time.sleep(30)
        """
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        peer.arguments = ["python3", "-c", script]
        let out = Pipe()
        peer.standardOutput = out
        try peer.run()
        defer { peer.terminate(); peer.waitUntilExit() }
        let port = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let dead = try WebSocket(url: "ws://127.0.0.1:\(port)/x")
        dead.pingInterval = 0.3
        dead.pongTimeout = 0.3
        let started = Date()
        XCTAssertThrowsError(try dead.receive(timeout: 10)) { error in
            XCTAssertTrue(error is WebSocketDeadError, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
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

/// The REST client of DockerCloudKit against the real server.
final class APIClientTests: ServerTestCase {
    func client(user: String = "alice", key: String = "alicekey", namespace: String? = nil, restHost: String? = nil) -> APIClient {
        var config = APIConfig(restHost: restHost ?? server.base + "/", streamHost: server.wsBase + "/", namespace: namespace, userAgent: "test")
        config.namespace = namespace
        let auth = Credentials.basic(user, key)
        return APIClient(config: config) { Credentials(authorization: auth, user: user, source: .apiKey) }
    }

    func testPathsNamespacesAndConcurrentPaging() async throws {
        for i in 0..<23 { _ = try await alice.createService(["image": "busybox", "name": "page\(i)"]) }
        let api = client()
        XCTAssertEqual(api.path(.service), "/api/app/v1/service/")
        XCTAssertEqual(api.path(.action, id: "x", operation: "retry"), "/api/audit/v1/action/x/retry/")
        let services = try api.listAll(Service.self, api.path(.service), pageSize: 5)
        XCTAssertEqual(services.map(\.name), (0..<23).map { "page\($0)" }, "every page, in API order")
        let filtered = try api.listAll(Service.self, api.path(.service), filters: [("name", "page7")])
        XCTAssertEqual(filtered.count, 1)
        let org = client(namespace: "acme")
        XCTAssertEqual(org.path(.service), "/api/app/v1/acme/service/")
        XCTAssertEqual(try org.listAll(Service.self, org.path(.service)).count, 0)
        XCTAssertEqual(org.path(.action), "/api/audit/v1/action/", "actions are not namespaced")
    }

    func testErrorsCarryTheServersMessage() {
        let api = client()
        XCTAssertThrowsError(try api.send("POST", api.path(.service), body: Data(#"{"image": 42}"#.utf8))) { error in
            let e = error as? APIClientError
            XCTAssertEqual(e?.status, 400)
            XCTAssertEqual(e?.message, "image: expected a string, got number")
        }
        XCTAssertThrowsError(try client(key: "wrong").listAll(Service.self, "/api/app/v1/service/")) { error in
            XCTAssertEqual((error as? APIClientError)?.status, 401)
        }
        XCTAssertThrowsError(try client(namespace: "nosuch").listAll(Service.self, "/api/app/v1/nosuch/service/")) { error in
            XCTAssertEqual((error as? APIClientError)?.status, 403)
            XCTAssertTrue("\(error)".contains("may not use namespace 'nosuch': it does not exist or"), "\(error)")
        }
    }

    func testARestHostPathPrefixIsKeptAndDeadServersAreRetried() {
        let prefixed = client(restHost: server.base + "/prefix/")
        XCTAssertEqual(prefixed.url("/api/app/v1/service/"), server.base + "/prefix/api/app/v1/service/")
        let dead = client(restHost: "http://127.0.0.1:1/")
        dead.attempts = 3
        let start = Date()
        XCTAssertThrowsError(try dead.send("GET", "/api/app/v1/service/")) { error in
            XCTAssertNotNil(error as? TransportError)
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.5, "two back-offs (0.2 s, 0.4 s) before giving up")
        XCTAssertThrowsError(try dead.send("POST", "/api/app/v1/service/", body: Data("{}".utf8)))
    }
}

/// Paging against servers that misbehave (a python server that records every request): a capped
/// limit, a `next` that does not advance, a `total_count` it does not deliver.
final class MisbehavingPagingTests: XCTestCase {
    /// Starts a server whose answers `mode` shapes; returns its base URL, a way to read its log, and a stopper.
    func server(_ mode: String) throws -> (String, () -> [String], () -> Void) {
        let log = NSTemporaryDirectory() + "paging-\(UUID().uuidString).log"
        let script = """
        import http.server, json, sys, urllib.parse
        mode, log = sys.argv[1], sys.argv[2]
        ROWS = 5
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
                offset, limit = int(q.get("offset", 0)), int(q.get("limit", 25))
                open(log, "a").write("%d %d\\n" % (offset, limit))
                if mode == "capped":      # asks for 1000, gets 2 a page, told so in meta.limit
                    limit = 2; rows = list(range(offset, min(offset + limit, ROWS))); total = ROWS
                    nxt = "/api/app/v1/service/?limit=2&offset=%d" % (offset + 2) if offset + 2 < ROWS else None
                elif mode == "loop":      # next always points at the first page again
                    limit = 2; rows = [0, 1]; total = 100; nxt = "/api/app/v1/service/?limit=2&offset=0"
                else:                     # "liar": claims 1,000,000 rows, has 3
                    rows = list(range(offset, min(offset + limit, 3))); total = 1000000
                    nxt = "/api/app/v1/service/?limit=%d&offset=%d" % (limit, offset + limit)
                body = json.dumps({"meta": {"limit": limit, "offset": offset, "next": nxt, "previous": None, "total_count": total},
                                   "objects": [{"uuid": "u%d" % r, "name": "s%d" % r} for r in rows]}).encode()
                self.send_response(200); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        s = http.server.HTTPServer(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, mode, log]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let port = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let read = { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        return ("http://127.0.0.1:\(port)/", read, { p.terminate(); p.waitUntilExit(); try? FileManager.default.removeItem(atPath: log) })
    }

    struct Named: Codable, Sendable { var uuid: String; var name: String }

    func list(_ base: String) throws -> [Named] {
        let api = APIClient(config: APIConfig(restHost: base, streamHost: "ws://127.0.0.1:1/", userAgent: "test")) { nil }
        return try api.listAll(Named.self, "/api/app/v1/service/")
    }

    func testACappedLimitLosesNoRow() throws {
        let (base, requests, stop) = try server("capped")
        defer { stop() }
        XCTAssertEqual(try list(base).map(\.uuid), ["u0", "u1", "u2", "u3", "u4"])
        XCTAssertEqual(requests(), ["0 1000", "2 2", "4 2"])
    }

    func testANextThatDoesNotAdvanceEndsTheWalk() throws {
        let (base, requests, stop) = try server("loop")
        defer { stop() }
        XCTAssertEqual(try list(base).map(\.uuid), ["u0", "u1"])
        XCTAssertEqual(requests().count, 1)
    }

    func testATotalCountThatLiesCostsOneEmptyPageAtMost() throws {
        let (base, requests, stop) = try server("liar")
        defer { stop() }
        XCTAssertEqual(try list(base).map(\.uuid), ["u0", "u1", "u2"])
        // Three rows in the first page of 1000, then the empty page at offset 3 that ends the list.
        XCTAssertEqual(requests(), ["0 1000", "3 1000"])
    }
}
