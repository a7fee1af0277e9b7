import Foundation
import NIOCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import DockerEngineAPI

/// The client against servers that misbehave, and against small scripted servers that check what
/// the client sends and how it reads answers (no engine needed).
final class ConnectionTests: XCTestCase {
    func testNothingListeningIsUnreachableAtOnce() async throws {
        let client = try EngineClient(endpoint: EngineEndpoint(address: .unix(path: "/tmp/no-such-engine-\(UUID()).sock")))
        let start = Date()
        let e = await engineError("ping") { try await client.ping() }
        XCTAssertEqual(e?.kind, .unreachable, "\(e.map { "\($0)" } ?? "")")
        XCTAssertTrue(e?.message.contains("no-such-engine") ?? false, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }

    func testStaleSocketFileIsUnreachable() async throws {
        // A socket file nothing listens on (bound, never listened: what a dead daemon leaves).
        var template = Array("/tmp/ef.XXXXXX".utf8CString)
        let dir = String(cString: try XCTUnwrap(mkdtemp(&template)))
        let path = dir + "/s.sock"
        defer { unlink(path); rmdir(dir) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8CString)
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in bytes.withUnsafeBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(dst.count))) } }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        Glibc.close(fd)
        XCTAssertEqual(bound, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "the socket file stays")
        let client = try EngineClient(endpoint: EngineEndpoint(address: .unix(path: path)))
        let start = Date()
        let e = await engineError("version") { _ = try await client.negotiate() }
        XCTAssertEqual(e?.kind, .unreachable, "\(e.map { "\($0)" } ?? "")")
        XCTAssertTrue(e?.message.lowercased().contains("refused") ?? false, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }

    func testClosedTCPPortIsUnreachable() async throws {
        let client = try EngineClient(endpoint: try EngineEndpoint(parsing: "tcp://127.0.0.1:1"))
        let e = await engineError("ping") { try await client.ping() }
        XCTAssertEqual(e?.kind, .unreachable)
    }

    func testServerThatNeverAnswersTimesOut() async throws {
        let server = try FakeServer()  // listens, never accepts, never reads
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .milliseconds(300))
        let start = Date()
        let e = await engineError("ping") { try await client.ping() }
        let took = Date().timeIntervalSince(start)
        XCTAssertEqual(e?.kind, .timeout, "\(e.map { "\($0)" } ?? "")")
        XCTAssertGreaterThanOrEqual(took, 0.25)
        XCTAssertLessThan(took, 1.0)
        // A call's own timeout wins over the client's.
        let patient = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(3))
        var quick = EngineRequest(.GET, "/_ping", versioned: false)
        quick.timeout = .milliseconds(100)
        let start2 = Date()
        let e2 = await engineError("ping 100 ms") { _ = try await patient.send(quick) }
        XCTAssertEqual(e2?.kind, .timeout)
        XCTAssertTrue(e2?.message.contains("0.1 s") ?? false, e2?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start2), 1.5)
    }

    func testStreamThatNeverStartsTimesOut() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)
            Thread.sleep(forTimeInterval: 3)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .milliseconds(300))
        let start = Date()
        let e = await engineError("events") { try await client.events { _ in false } }
        XCTAssertEqual(e?.kind, .timeout, "\(e.map { "\($0)" } ?? "")")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
    }

    func testGarbageAnswerIsAnEngineError() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)
            FakeServer.write(fd, "hello\r\n\r\n")
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        let start = Date()
        let e = await engineError("ping") { try await client.ping() }
        XCTAssertEqual(e?.kind, .protocolViolation, "\(e.map { "\($0)" } ?? "")")
        let e2 = await engineError("logs") { try await client.logs("x", tty: false, follow: true) { _ in true } }
        XCTAssertEqual(e2?.kind, .protocolViolation)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testConnectionClosedWithoutAnswer() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        let e = await engineError("ping") { try await client.ping() }
        XCTAssertEqual(e?.kind, .protocolViolation, "\(e.map { "\($0)" } ?? "")")
    }

    func testNotJSONWhereJSONIsExpected() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[1,2]")
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        let e = await engineError("inspect") { _ = try await client.inspectContainer("c") }
        XCTAssertEqual(e?.kind, .protocolViolation)
    }

    func testErrorStatusCarriesTheEngineMessage() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)
            let body = #"{"message":"No such container: c1"}"#
            FakeServer.write(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            Thread.sleep(forTimeInterval: 2)  // keeps the connection open: the client must not wait for its end
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        let start = Date()
        let e = await engineError("inspect") { _ = try await client.inspectContainer("c1") }
        XCTAssertEqual(e?.status, 404)
        XCTAssertTrue(e?.isNotFound ?? false)
        XCTAssertEqual(e?.message, "GET /containers/c1/json: No such container: c1")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }

    /// What the client puts on the wire: the versioned path, the escaped query, Host, the body.
    func testRequestOnTheWire() async throws {
        let seen = Locked<[(head: String, body: [UInt8])]>([])
        let server = try FakeServer { fd in
            let request = FakeServer.readRequest(fd)
            seen.with { $0.append(request) }
            if request.head.hasPrefix("GET /version ") {
                let body = #"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"}"#
                FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            } else if request.head.hasPrefix("GET /v1.41/containers/json") {
                FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
            } else {
                FakeServer.write(fd, "HTTP/1.1 201 Created\r\nContent-Length: 33\r\n\r\n{\"Id\":\"abc\",\"Warnings\":[\"w1\"]}   ")
            }
            Thread.sleep(forTimeInterval: 1)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        XCTAssertEqual(client.version, .newest, "before negotiation: the newest the client knows")
        let info = try await client.negotiate()
        XCTAssertEqual(info.Version, "20.10.24")
        XCTAssertEqual(client.version, APIVersion(1, 41))
        XCTAssertEqual(client.missingFeatures, [])
        _ = try await client.listContainers(labels: ["a=b c", "x"])
        var config = ContainerConfig(image: "img")
        config.Cmd = ["sh", "-c", "exit 0"]
        let created = try await client.createContainer(name: "n1", config)
        XCTAssertEqual(created.Id, "abc")
        XCTAssertEqual(created.Warnings, ["w1"])

        let requests = seen.get
        XCTAssertEqual(requests.count, 3)
        XCTAssertTrue(requests[0].head.hasPrefix("GET /version HTTP/1.1\r\n"), requests[0].head)
        let list = requests[1].head
        XCTAssertTrue(list.hasPrefix("GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%20c%22%2C%22x%22%5D%7D HTTP/1.1\r\n"), list)
        XCTAssertTrue(list.lowercased().contains("\r\nhost: docker\r\n"), list)
        let create = requests[2]
        XCTAssertTrue(create.head.hasPrefix("POST /v1.41/containers/create?name=n1 HTTP/1.1\r\n"), create.head)
        XCTAssertTrue(create.head.lowercased().contains("content-type: application/json"), create.head)
        let body = try JSONSerialization.jsonObject(with: Data(create.body)) as? [String: Any]
        XCTAssertEqual(body?["Image"] as? String, "img")
        XCTAssertEqual(body?["Cmd"] as? [String], ["sh", "-c", "exit 0"])
    }

    /// A pull that fails part way: the engine has already answered 200 and says so in the stream.
    func testPullErrorInTheStream() async throws {
        let seen = Locked<String>("")
        let server = try FakeServer { fd in
            let request = FakeServer.readRequest(fd)
            seen.with { $0 = request.head }
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            for line in [#"{"status":"Pulling from a/b","id":"v1"}"#, #"{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[=>  ]","id":"l1"}"#,
                         #"{"errorDetail":{"message":"unauthorized: no"},"error":"unauthorized: no"}"#] {
                let chunk = line + "\r\n"
                FakeServer.write(fd, String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n")
                Thread.sleep(forTimeInterval: 0.02)
            }
            FakeServer.write(fd, "0\r\n\r\n")
            Thread.sleep(forTimeInterval: 2)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        let progress = Locked<[String]>([])
        let start = Date()
        let e = await engineError("pull") {
            try await client.pullImage("registry.example:5000/a/b:v1", auth: RegistryAuth(username: "u", password: "p", serveraddress: "registry.example:5000")) { m in
                progress.with { $0.append(m.text) }
            }
        }
        XCTAssertEqual(e?.message, "POST /images/create: unauthorized: no")
        XCTAssertEqual(progress.get, ["v1: Pulling from a/b", "l1: Downloading [=>  ]", "unauthorized: no"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5)
        let head = seen.get
        XCTAssertTrue(head.hasPrefix("POST /v1.41/images/create?fromImage=registry.example%3A5000%2Fa%2Fb&tag=v1 HTTP/1.1\r\n"), head)
        let auth = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-registry-auth:") }
        let value = try XCTUnwrap(auth?.split(separator: " ").last.map(String.init))
        XCTAssertFalse(value.contains("+") || value.contains("/"), "URL-safe base64")
        var b64 = value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        let json = try XCTUnwrap(Data(base64Encoded: b64).flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: String] })
        XCTAssertEqual(json, ["username": "u", "password": "p", "serveraddress": "registry.example:5000"])
    }

    func testTooOldEngineIsRefused() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readRequest(fd)
            let body = #"{"Version":"1.9","ApiVersion":"1.20"}"#
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, requestTimeout: .seconds(5))
        let e = await engineError("negotiate") { _ = try await client.negotiate() }
        XCTAssertEqual(e?.kind, .unsupported)
    }

    /// A streamed answer that ends (chunked, the connection kept alive): the reader must stop at
    /// the end of the answer, not wait for the connection to close.
    func testStreamEndsAtTheEndOfTheAnswer() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readRequest(fd)
            let f1 = frame(1, "2026-12-02T00:59:08.726994545Z out0\n")
            let f2 = frame(2, "2026-12-02T00:59:08.726994546Z err0\n")
            let chunk = f1 + f2
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + String(chunk.count, radix: 16) + "\r\n")
            FakeServer.write(fd, chunk)
            FakeServer.write(fd, "\r\n0\r\n\r\n")
            Thread.sleep(forTimeInterval: 5)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        let start = Date()
        let entries = Locked<[LogEntry]>([])
        try await withTimeout(3, "logs") {
            try await client.logs("c", tty: nil, follow: false) { entry in entries.with { $0.append(entry) }; return true }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(entries.get.map(\.stream), [.stdout, .stderr])
        XCTAssertEqual(entries.get.map { String(decoding: $0.bytes, as: UTF8.self) }, ["out0\n", "err0\n"])
        XCTAssertEqual(entries.get.first?.timestamp, "2026-12-02T00:59:08.726994545Z")
    }

    /// An error the caller's own callback throws comes back as it is: it says nothing about the engine.
    func testCallbackErrorsPassThrough() async throws {
        struct Mine: Error, Equatable { var n: Int }
        let server = try FakeServer { fd in
            _ = FakeServer.readRequest(fd)
            let f = frame(1, "2026-12-02T00:59:08.726994545Z out0\n")
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + String(f.count, radix: 16) + "\r\n")
            FakeServer.write(fd, f)
            FakeServer.write(fd, "\r\n")
            Thread.sleep(forTimeInterval: 2)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        do {
            try await client.logs("c", tty: false, follow: true) { _ in throw Mine(n: 7) }
            XCTFail("no error")
        } catch let e as Mine {
            XCTAssertEqual(e, Mine(n: 7))
        } catch {
            XCTFail("the callback's error became \(type(of: error)): \(error)")
        }
        do {
            _ = try await client.hijack(EngineRequest(.POST, "/x")) { _ -> Int in throw Mine(n: 8) }
            XCTFail("no error")
        } catch let e as Mine {
            XCTAssertEqual(e, Mine(n: 8))
        } catch {
            XCTFail("the body's error became \(type(of: error)): \(error)")
        }
    }

    /// A hijack whose first output arrives in the same read as the 101 head, then stdin echoed
    /// back after the client half-closes.
    func testHijackKeepsBytesAfterTheHeadAndHalfCloses() async throws {
        let seen = Locked<String>("")
        let server = try FakeServer { fd in
            let request = FakeServer.readRequest(fd)
            seen.with { $0 = request.head }
            FakeServer.write(fd, Array("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".utf8)
                             + frame(1, "ready\n"))
            let input = FakeServer.readToEnd(fd)  // until the client's half-close
            FakeServer.write(fd, frame(1, "echo:" + String(decoding: input, as: UTF8.self)) + frame(2, "done\n"))
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        let out = try await withTimeout(5, "attach") {
            try await client.attach("c", stdin: true) { stream -> [StreamKind: [UInt8]] in
                XCTAssertEqual(stream.head.status.code, 101)
                XCTAssertEqual(stream.contentType, "application/vnd.docker.raw-stream")
                var demux = StreamDemultiplexer(.multiplexed)
                var chunks: [OutputChunk] = []
                // The first frame came with the head.
                while joined(chunks)[.stdout] == nil, let b = try await stream.reader.next() { chunks += try demux.feed(b.readableBytesView) }
                XCTAssertEqual(joined(chunks)[.stdout], Array("ready\n".utf8))
                try await stream.write(Array("one\n".utf8))
                try await stream.write(Array("two\n".utf8))
                stream.closeWrite()
                while let b = try await stream.reader.next() { chunks += try demux.feed(b.readableBytesView) }
                return joined(chunks)
            }
        }
        XCTAssertEqual(String(decoding: out[.stdout] ?? [], as: UTF8.self), "ready\necho:one\ntwo\n")
        XCTAssertEqual(String(decoding: out[.stderr] ?? [], as: UTF8.self), "done\n")
        let head = seen.get.lowercased()
        XCTAssertTrue(head.hasPrefix("post /v1.41/containers/c/attach?stream=1&stdin=1&stdout=1&stderr=1&logs=0 http/1.1"), head)
        XCTAssertTrue(head.contains("upgrade: tcp"), head)
        XCTAssertTrue(head.contains("connection: upgrade"), head)
    }

    /// An engine that switches protocols before the request body is all sent: what the client
    /// still has to write must not reach the socket as HTTP parts (that crashed the process), nor
    /// go on as the process's stdin.
    func testEarly101DuringABodyIsNoCrash() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readHead(fd)  // not the body
            FakeServer.write(fd, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
            _ = FakeServer.readToEnd(fd)  // takes the rest of the body in, so the client keeps writing
            Glibc.close(fd)
        }
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edt-early101-\(UUID()).bin")
        try Data(count: 8 << 20).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        do {
            try await withTimeout(10, "early 101") {
                try await client.hijack(EngineRequest(.POST, "/exec/x/start", body: .file(file.path))) { stream in
                    while try await stream.reader.next() != nil {}
                }
            }
            XCTFail("the body was sent whole after the engine had switched protocols")
        } catch let e as EngineError {
            // The exchange ends at once (the kind is the closed channel's: the write fails first).
            XCTAssertNotEqual(e.kind, .timeout, e.message)
        }
    }

    func testCancellationEndsAStream() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.readRequest(fd)
            FakeServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            Thread.sleep(forTimeInterval: 5)
            Glibc.close(fd)
        }
        defer { server.stop() }
        let client = try EngineClient(endpoint: server.endpoint, maxVersion: APIVersion(1, 41), requestTimeout: .seconds(5))
        let task = Task { try await client.events { _ in true } }
        try await Task.sleep(nanoseconds: 300_000_000)
        let start = Date()
        task.cancel()
        do {
            try await withTimeout(2, "cancelled events") { try await task.value }
            XCTFail("a cancelled stream returned normally")
        } catch is TimedOut {
            XCTFail("cancel did not end the stream")
        } catch {
            // CancellationError or an EngineError: either way it ended.
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }
}
