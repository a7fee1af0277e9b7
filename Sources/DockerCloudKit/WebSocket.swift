import CCurl
import Foundation

/// A websocket client on libcurl's raw connection (`CURLOPT_CONNECT_ONLY`): libcurl connects,
/// does TLS and honours proxies; the upgrade request and RFC 6455 framing are ours.
public final class WebSocket: @unchecked Sendable {
    public enum Event: Equatable, Sendable {
        case text(String)
        case binary([UInt8])
        /// The peer closed: its status code (nil when it sent none) and reason.
        case closed(code: UInt16?, reason: String)
        /// Nothing arrived within the time given to `receive`.
        case timeout
    }

    private let handle: UnsafeMutableRawPointer
    private var parser = WebSocketFrameParser()
    private var fragments: [UInt8] = []
    private var fragmentOpcode: WebSocketOpcode?
    private var closed = false
    /// Keep-alive as docker-cloud 1.0.9 had it: a ping after `pingInterval` seconds without a byte
    /// from the server, and the connection taken for dead when `pongTimeout` seconds pass without
    /// an answer. 0 turns it off.
    public var pingInterval: Double = 10
    public var pongTimeout: Double = 5
    private var lastHeard = Date()
    private var pingSent: Date?
    private let sendLock = NSLock()
    public let url: String

    /// Opens the connection and performs the upgrade. `headers` go on the handshake (Authorization,
    /// User-Agent). Throws `TransportError` below HTTP and `WebSocketHandshakeError` when the
    /// server refuses the upgrade (its status and body are kept, e.g. a 401's JSON).
    public init(url: String, headers: [String: String] = [:], connectTimeout: Int = 10) throws {
        self.url = url
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), ["ws", "wss", "http", "https"].contains(scheme),
              let host = parts.host else {
            throw WebSocketProtocolError(description: "'\(redactedURL(url))' is not a ws:// or wss:// URL")
        }
        let secure = scheme == "wss" || scheme == "https"
        let port = parts.port ?? (secure ? 443 : 80)
        var target = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        if let q = parts.percentEncodedQuery { target += "?" + q }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + ((secure && port == 443) || (!secure && port == 80) ? "" : ":\(port)")

        CurlTransport.initializeLibcurl()
        guard let easy = dc_easy_init() else {
            throw TransportError(kind: .other, url: url, detail: String(cString: dc_curl_load_error()))
        }
        handle = easy
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let connectURL = "\(secure ? "https" : "http")://\(hostHeader)/"
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            dc_setopt_string(handle, CURLOPT_URL, connectURL)
            dc_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1)
            dc_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
            dc_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            dc_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            dc_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            TrustedCAs.apply(to: handle)
            dc_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
            return dc_easy_perform(handle)
        }
        // Every stored property is set by now, so a throw below runs deinit, which frees the handle.
        guard code == CURLE_OK else { throw TransportError(code, url: url, detail: TransportError.text(errorBuffer)) }

        var keyBytes = [UInt8](repeating: 0, count: 16)
        for i in keyBytes.indices { keyBytes[i] = UInt8.random(in: 0...255) }
        let key = Data(keyBytes).base64EncodedString()
        // Origin as docker-cloud 1.0.9's websocket client sent it (`http://` + the Host header),
        // which servers in front of the API may check.
        var request = "GET \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nOrigin: http://\(hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        do {  // (a scope for the handshake's locals)
            try write(Array(request.utf8), timeout: connectTimeout)
            // Read the answer's head; what follows it already belongs to the frame stream.
            var head: [UInt8] = []
            let deadline = Date().addingTimeInterval(Double(connectTimeout))
            while true {
                if let end = head.firstRange(of: [13, 10, 13, 10]) {
                    parser.append(head[end.upperBound...])
                    head = Array(head[..<end.lowerBound])
                    break
                }
                guard head.count < 65536, Date() < deadline else { throw WebSocketProtocolError(description: "no websocket handshake answer from \(redactedURL(url))") }
                guard let chunk = try read(timeout: max(0.05, deadline.timeIntervalSinceNow)) else {
                    throw WebSocketProtocolError(description: "\(redactedURL(url)) closed the connection during the websocket handshake")
                }
                head += chunk
            }
            let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
            let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
            var answer: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                answer[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard status == 101 else {
                // The refusal's body (e.g. {"error": ...}) tells why.
                var body = parser.drainRaw()
                let length = Int(answer["content-length"] ?? "") ?? 0
                while body.count < length, let more = try read(timeout: 1) { body += more }
                throw WebSocketHandshakeError(url: url, status: status, body: Data(body))
            }
            guard answer["upgrade"]?.lowercased() == "websocket", answer["sec-websocket-accept"] == WebSocketHandshake.accept(for: key) else {
                throw WebSocketProtocolError(description: "\(redactedURL(url)) answered the websocket handshake with a wrong Sec-WebSocket-Accept")
            }
        }
    }

    deinit { dc_easy_cleanup(handle) }

    // MARK: raw I/O

    /// The connection's file descriptor, for callers that poll it beside others (exec polls stdin too).
    public var descriptor: Int32 { socket }

    private var socket: Int32 {
        var fd: curl_socket_t = -1
        dc_getinfo_socket(handle, &fd)
        return Int32(fd)
    }

    private func wait(for events: Int16, timeout: Double) -> Bool {
        var p = pollfd(fd: socket, events: events, revents: 0)
        return poll(&p, 1, Int32(max(0, min(timeout, 3600)) * 1000)) > 0
    }

    private func write(_ bytes: [UInt8], timeout: Int) throws {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes[offset...].withUnsafeBytes { dc_easy_send(handle, $0.baseAddress, $0.count, &sent) }
            if code == CURLE_AGAIN {
                guard wait(for: Int16(POLLOUT), timeout: Double(timeout)) else { throw WebSocketProtocolError(description: "timed out writing to \(redactedURL(url))") }
                continue
            }
            guard code == CURLE_OK else { throw TransportError(code, url: url, detail: "") }
            offset += sent
        }
    }

    /// Bytes that arrived, nil when the peer closed the connection, [] on timeout.
    private func read(timeout: Double) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var received = 0
            let code = buffer.withUnsafeMutableBytes { dc_easy_recv(handle, $0.baseAddress, $0.count, &received) }
            if code == CURLE_OK { return received == 0 ? nil : Array(buffer[..<received]) }
            guard code == CURLE_AGAIN else { throw TransportError(code, url: url, detail: "") }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 || !wait(for: Int16(POLLIN), timeout: left) { return [] }
        }
    }

    // MARK: messages

    public func send(text: String) throws { try send(WebSocketFrame(opcode: .text, payload: Array(text.utf8))) }
    public func send(binary: [UInt8]) throws { try send(WebSocketFrame(opcode: .binary, payload: binary)) }

    private func send(_ frame: WebSocketFrame) throws {
        sendLock.lock()
        defer { sendLock.unlock() }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        try write(frame.encode(mask: mask), timeout: 30)
    }

    /// The next message or close; answers pings on the way. `timeout` nil waits indefinitely.
    public func receive(timeout: Double? = nil) throws -> Event {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            while let frame = try parser.next() {
                switch frame.opcode {
                case .ping:
                    try? send(WebSocketFrame(opcode: .pong, payload: frame.payload))
                case .pong:
                    continue
                case .close:
                    let code = frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : nil
                    let reason = frame.payload.count > 2 ? String(decoding: frame.payload[2...], as: UTF8.self) : ""
                    if !closed {
                        closed = true
                        try? send(WebSocketFrame(opcode: .close, payload: frame.payload.count >= 2 ? Array(frame.payload[0..<2]) : []))
                    }
                    return .closed(code: code, reason: reason)
                case .text, .binary, .continuation:
                    if frame.opcode != .continuation {
                        guard fragmentOpcode == nil else { throw WebSocketProtocolError(description: "a new websocket message began inside a fragmented one") }
                        fragmentOpcode = frame.opcode
                        fragments = []
                    } else if fragmentOpcode == nil {
                        throw WebSocketProtocolError(description: "a websocket continuation frame without a message")
                    }
                    fragments += frame.payload
                    guard frame.fin, let opcode = fragmentOpcode else { continue }
                    fragmentOpcode = nil
                    if opcode == .text { return .text(String(decoding: fragments, as: UTF8.self)) }
                    return .binary(fragments)
                }
            }
            let left = deadline.map { $0.timeIntervalSinceNow } ?? 3600
            if left <= 0 { return .timeout }
            let now = Date()
            if let sent = pingSent, now.timeIntervalSince(sent) >= pongTimeout {
                throw WebSocketDeadError(url: redactedURL(url), seconds: pingInterval + pongTimeout)
            }
            if pingSent == nil, pingInterval > 0, now.timeIntervalSince(lastHeard) >= pingInterval {
                try? send(WebSocketFrame(opcode: .ping, payload: []))
                pingSent = now
            }
            var wait = left
            if let sent = pingSent { wait = min(wait, pongTimeout - now.timeIntervalSince(sent)) }
            else if pingInterval > 0 { wait = min(wait, pingInterval - now.timeIntervalSince(lastHeard)) }
            guard let bytes = try read(timeout: max(0.01, wait)) else {
                return .closed(code: nil, reason: "")  // the connection ended without a close frame
            }
            if !bytes.isEmpty {
                lastHeard = Date()
                pingSent = nil
            }
            parser.append(bytes)
        }
    }

    /// Sends a close frame (once).
    public func close(code: UInt16 = 1000, reason: String = "") {
        guard !closed else { return }
        closed = true
        try? send(WebSocketFrame(opcode: .close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)))
    }
}

/// The server stopped answering: no byte, not even a pong, for `seconds`.
public struct WebSocketDeadError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var seconds: Double
    public var description: String { "the connection to \(url) is dead: no answer for \(Int(seconds)) s, not even to a ping" }
}

/// The server answered the upgrade with something other than 101.
public struct WebSocketHandshakeError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var status: Int
    public var body: Data
    public var description: String {
        let message = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String
        return "\(redactedURL(url)) refused the websocket connection: HTTP \(status)" + (message.map { ": \($0)" } ?? "")
    }
}
