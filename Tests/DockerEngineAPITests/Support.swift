import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import DockerEngineAPI

/// A value shared with `@Sendable` closures (log, event and export callbacks).
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func with<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&value)
    }
    var get: T { with { $0 } }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `seconds` (the body is cancelled).
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Optional<T>.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
}

/// The error `body` throws, as an EngineError (any other outcome fails the test).
func engineError(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                 _ body: () async throws -> Void) async -> EngineError? {
    do {
        try await body()
        XCTFail("\(what): no error", file: file, line: line)
    } catch let e as EngineError {
        return e
    } catch {
        XCTFail("\(what): not an EngineError: \(type(of: error)) \(error)", file: file, line: line)
    }
    return nil
}

/// A unix-socket server for the client's failure paths: it listens on a temporary path and hands
/// each accepted connection to `handler` on a thread of its own; with no handler it never accepts
/// (connections wait in the backlog, unanswered).
final class FakeServer: @unchecked Sendable {
    let directory: String
    let path: String
    private let fd: Int32

    init(handler: (@Sendable (Int32) -> Void)? = nil) throws {
        var template = Array("/tmp/ef.XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: dir)
        path = directory + "/s.sock"
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8CString)
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src.prefix(dst.count))) }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        if let handler {
            let fd = self.fd
            Thread.detachNewThread {
                while true {
                    let client = accept(fd, nil, nil)
                    if client < 0 { return }
                    Thread.detachNewThread { handler(client) }
                }
            }
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        unlink(path)
        rmdir(directory)
    }

    var endpoint: EngineEndpoint { EngineEndpoint(address: .unix(path: path)) }

    /// Reads a request head (up to the blank line) from a connection.
    static func readHead(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            data.append(byte)
            if data.count >= 4 && data.suffix(4) == [13, 10, 13, 10] { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a request head and its Content-Length body.
    static func readRequest(_ fd: Int32) -> (head: String, body: [UInt8]) {
        let head = readHead(fd)
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        var body = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let n = body.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, length - got) }
            if n <= 0 { break }
            got += n
        }
        return (head, Array(body.prefix(got)))
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { return }
            off += n
        }
    }

    static func write(_ fd: Int32, _ text: String) { write(fd, Array(text.utf8)) }

    /// Reads until the peer half-closes (or closes).
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 4096) }
            if n <= 0 { return out }
            out += buf[..<n]
        }
    }
}

/// A minimal ustar writer and reader, for archive uploads and image imports.
enum Tar {
    struct Entry: Equatable {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var mode: Int = 0o644
        var bytes: [UInt8] = []
    }

    static func make(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ s: String, _ at: Int, _ width: Int) {
                for (i, b) in s.utf8.prefix(width).enumerated() { h[at + i] = b }
            }
            func octal(_ v: Int, _ at: Int, _ width: Int) { put(String(repeating: "0", count: max(0, width - 1 - String(v, radix: 8).count)) + String(v, radix: 8), at, width - 1) }
            put(e.name, 0, 100)
            octal(e.mode, 100, 8)
            octal(0, 108, 8)
            octal(0, 116, 8)
            octal(e.bytes.count, 124, 12)
            octal(1_700_000_000, 136, 12)
            h[156] = e.type
            put("ustar", 257, 6)
            put("00", 263, 2)
            put("root", 265, 32)
            put("root", 297, 32)
            for i in 148..<156 { h[i] = 0x20 }
            let sum = h.reduce(0) { $0 + Int($1) }
            let s = String(sum, radix: 8)
            put(String(repeating: "0", count: 6 - s.count) + s, 148, 6)
            h[154] = 0; h[155] = 0x20
            out += h
            out += e.bytes
            out += [UInt8](repeating: 0, count: (512 - e.bytes.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// The entries of a tar (pax and GNU extension headers are skipped; a pax `path` renames the next entry).
    static func entries(_ tar: [UInt8]) throws -> [Entry] {
        var out: [Entry] = []
        var at = 0
        var paxPath: String?
        while at + 512 <= tar.count {
            let h = Array(tar[at..<at + 512])
            if h.allSatisfy({ $0 == 0 }) { break }
            func str(_ from: Int, _ width: Int) -> String {
                let field = h[from..<from + width]
                return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
            func octal(_ from: Int, _ width: Int) -> Int {
                Int(str(from, width).trimmingCharacters(in: CharacterSet(charactersIn: " \0")), radix: 8) ?? 0
            }
            let size = octal(124, 12)
            let type = h[156]
            guard at + 512 + size <= tar.count else { throw POSIXError(.EIO) }
            let body = Array(tar[(at + 512)..<(at + 512 + size)])
            at += 512 + (size + 511) / 512 * 512
            if type == UInt8(ascii: "x") {
                for record in String(decoding: body, as: UTF8.self).split(separator: "\n") {
                    if let r = record.range(of: " path=") { paxPath = String(record[r.upperBound...]) }
                }
                continue
            }
            if type == UInt8(ascii: "g") || type == UInt8(ascii: "L") || type == UInt8(ascii: "K") { continue }
            var name = str(0, 100)
            let prefix = str(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            if let p = paxPath { name = p; paxPath = nil }
            out.append(Entry(name: name, type: type == 0 ? UInt8(ascii: "0") : type, mode: octal(100, 8) & 0o7777, bytes: body))
        }
        return out
    }
}
