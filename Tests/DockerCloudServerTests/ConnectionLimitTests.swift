import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Limits that hold before a request is read: connections per client, and the time to send a
/// request head. Raw sockets, since an HTTP client would never behave this badly.
final class ConnectionLimitTests: ServerTestCase {
    func connect() throws -> Int32 { try server.rawSocket() }

    func send(_ fd: Int32, _ text: String) { _ = text.withCString { write(fd, $0, strlen($0)) } }

    /// Reads until the peer closes (or the 20 s receive timeout); returns what came.
    func readAll(_ fd: Int32) -> String {
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func testSilentAndSlowClientsAreDisconnected() async throws {
        let silent = try connect()
        let slow = try connect()
        defer { close(silent); close(slow) }
        send(slow, "GET /api/app/v1/service/ HTTP/1.1\r\nHost: x\r\n")  // and never the blank line
        let started = Date()
        XCTAssertEqual(readAll(silent), "", "closed without an answer")
        XCTAssertEqual(readAll(slow), "")
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 8)
        XCTAssertLessThan(waited, 15, "closed after the 10 s allowed for a request head")
        let r = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(r.status, 200)
    }

    func testConnectionsPerClientAreLimited() async throws {
        var open: [Int32] = []
        defer { open.forEach { close($0) } }
        for _ in 0..<256 { open.append(try connect()) }
        // Give the server a moment to count them all in.
        try await Task.sleep(for: .milliseconds(300))
        let over = try connect()
        defer { close(over) }
        send(over, "GET /api/app/v1/service/ HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = readAll(over)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"), answer)
        XCTAssertTrue(answer.contains("Too many connections from this address (at most 256)"), answer)
        for fd in open { close(fd) }
        open = []
        try await Task.sleep(for: .milliseconds(300))
        let r = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(r.status, 200, "connections are counted out when they close")
    }
}
