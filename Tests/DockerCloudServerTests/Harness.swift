import Foundation
import HummingbirdWSClient
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `docker-cloud-server` binary, started on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let stdoutLines: [String]
    var base: String { "http://127.0.0.1:\(port)" }
    var wsBase: String { "ws://127.0.0.1:\(port)" }

    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["DOCKER_CLOUD_SERVER_BIN"] { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/docker-cloud-server").path
    }

    static let defaultArguments = ["--user", "alice:alicekey", "--user", "bob:bobkey", "--user", "carol:carolkey",
                                   "--org", "acme:alice,bob", "--nodes", "3", "--delay", "10"]

    /// The docker-cloud binary built beside the server.
    static var cliBinary: String { binary.replacingOccurrences(of: "docker-cloud-server", with: "docker-cloud") }

    init(arguments: [String] = ServerProcess.defaultArguments, dataDir: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        process.arguments = ["--listen", "127.0.0.1:0"] + (dataDir.map { ["--data-dir", $0] } ?? ["--in-memory"]) + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var lines: [String] = []
        var buffer = Data()
        var found: Int? = nil
        let deadline = Date().addingTimeInterval(30)
        while found == nil && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            lines = text.split(separator: "\n").map(String.init)
            if let line = lines.first(where: { $0.contains("listening on http://127.0.0.1:") || $0.contains("listening on https://127.0.0.1:") }),
               let portText = line.split(separator: ":").last?.split(separator: " ").first, let p = Int(portText) {
                found = p
                // Wait for the export lines that follow.
                if !text.contains("DOCKERCLOUD_APIKEY") { found = nil }
            }
        }
        guard let found else {
            process.terminate()
            throw XCTSkip("server did not start: \(lines)")
        }
        port = found
        stdoutLines = lines
    }

    func stop(signal: Int32 = SIGTERM) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// A plain TCP connection to the server (20 s receive timeout), for clients that misbehave
    /// in ways no HTTP or websocket library would.
    func rawSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// The server's resident memory, from /proc.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var data: Data
    var json: Any? { try? JSONSerialization.jsonObject(with: data) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var objects: [[String: Any]] { object["objects"] as? [[String: Any]] ?? [] }
    var text: String { String(decoding: data, as: UTF8.self) }
    var actionURI: String? { headers.first { $0.key.lowercased() == "x-dockercloud-action-uri" }?.value }
}

/// A client for one user: raw HTTP with the user's Basic credentials.
struct Client: Sendable {
    let server: ServerProcess
    var authorization: String?

    init(_ server: ServerProcess, user: String? = "alice", key: String? = nil) {
        self.server = server
        if let user {
            let k = key ?? "\(user)key"
            authorization = "Basic " + Data("\(user):\(k)".utf8).base64EncodedString()
        }
    }

    func request(_ method: String, _ path: String, json: Any? = nil, raw: String? = nil) async throws -> HTTPResult {
        var req = URLRequest(url: URL(string: server.base + path)!)
        req.httpMethod = method
        req.setValue("application/json", forHTTPHeaderField: "Accept")
        if let authorization { req.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let json {
            req.httpBody = try JSONSerialization.data(withJSONObject: json)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            req.httpBody = Data(raw.utf8)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: req)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers["\(k)"] = "\(v)" }
        return HTTPResult(status: http.statusCode, headers: headers, data: data)
    }

    func get(_ path: String) async throws -> HTTPResult { try await request("GET", path) }
    func post(_ path: String, _ json: Any? = nil) async throws -> HTTPResult { try await request("POST", path, json: json) }
    func patch(_ path: String, _ json: Any) async throws -> HTTPResult { try await request("PATCH", path, json: json) }
    func delete(_ path: String) async throws -> HTTPResult { try await request("DELETE", path) }

    /// Creates a service and returns its JSON.
    func createService(_ body: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        let r = try await post("/api/app/v1/service/", body)
        XCTAssertEqual(r.status, 201, r.text, file: file, line: line)
        return r.object
    }

    /// Polls an object until `predicate` holds (or fails after `timeout`).
    @discardableResult
    func waitFor(_ path: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
                 _ predicate: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await get(path).object
            if predicate(last) { return last }
            try await Task.sleep(for: .milliseconds(30))
        }
        XCTFail("timed out waiting on \(path); last: \(last["state"] ?? last)", file: file, line: line)
        return last
    }

    func waitForState(_ path: String, _ state: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        try await waitFor(path, timeout: timeout, file: file, line: line) { ($0["state"] as? String) == state }
    }

    /// Waits for the action behind a 202 to end and returns it.
    func waitForAction(_ result: HTTPResult, file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        guard let uri = result.actionURI else { XCTFail("no action URI: \(result.text)", file: file, line: line); return [:] }
        return try await waitFor(uri, file: file, line: line) { ["Success", "Failed", "Canceled"].contains($0["state"] as? String ?? "") }
    }

    /// Opens a websocket, collects text messages until `until` says stop or the server closes.
    func stream(_ path: String, send: [String] = [], timeout: TimeInterval = 10,
                until: @escaping @Sendable ([String]) -> Bool = { _ in false }) async throws -> (messages: [String], closeReason: String?) {
        var config = WebSocketClientConfiguration()
        if let authorization { config.additionalHeaders[.authorization] = authorization }
        let collected = Collected()
        let logger = Logger(label: "test-ws")
        let url = server.wsBase + path
        let settings = config
        let close = try await withThrowingTaskGroup(of: WebSocketCloseFrame?.self) { group in
            group.addTask {
                try await WebSocketClient.connect(url: url, configuration: settings, logger: logger) { inbound, outbound, _ in
                    for s in send { try await outbound.write(.text(s)) }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let t) = message {
                            collected.append(t)
                            if until(collected.all) { try await outbound.close(.normalClosure, reason: nil); return }
                        }
                    }
                }
            }
            group.addTask { try await Task.sleep(for: .seconds(timeout)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return (collected.all, close?.reason)
    }
}

/// Runs a program to its end and returns its exit status and what it wrote (stderr is read on its
/// own thread, so a chatty program cannot block on a full pipe).
@discardableResult
func runProgram(_ path: String, _ args: [String], environment: [String: String]? = nil,
                in directory: String? = nil) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let errData = Collected()
    let reader = Thread { errData.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) }
    reader.start()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while errData.all.isEmpty { usleep(1000) }
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), errData.all[0])
}

final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

func decode(_ s: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any] ?? [:]
}

/// A test case with its own server (default users alice, bob, carol; org acme) and alice's client.
class ServerTestCase: XCTestCase {
    var server: ServerProcess!
    var alice: Client!

    override func setUp() async throws {
        server = try ServerProcess()
        alice = Client(server)
    }

    override func tearDown() async throws { server.stop() }
}
