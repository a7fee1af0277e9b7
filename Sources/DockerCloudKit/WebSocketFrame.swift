import Foundation

/// RFC 6455 framing: what goes over the raw connection libcurl gives us (Debian's libcurl has no
/// websocket support of its own).
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    var isControl: Bool { rawValue & 0x8 != 0 }
}

public struct WebSocketFrame: Equatable, Sendable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    public var payload: [UInt8]

    public init(fin: Bool = true, opcode: WebSocketOpcode, payload: [UInt8]) {
        self.fin = fin; self.opcode = opcode; self.payload = payload
    }

    /// The frame's bytes. Clients must mask what they send (`mask`, 4 bytes); servers must not.
    public func encode(mask: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let n = payload.count
        if n < 126 {
            out.append(maskBit | UInt8(n))
        } else if n <= 0xFFFF {
            out.append(maskBit | 126)
            out += [UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(n) >> UInt64(shift)) & 0xFF)) }
        }
        guard let mask else { return out + payload }
        out += mask
        out.reserveCapacity(out.count + n)
        for (i, b) in payload.enumerated() { out.append(b ^ mask[i & 3]) }
        return out
    }
}

public struct WebSocketProtocolError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Parses frames from a byte stream, however the bytes are split across reads.
public struct WebSocketFrameParser: Sendable {
    private var buffer: [UInt8] = []
    /// Largest payload accepted for one frame (a defence against a bad server).
    public var maxPayload: Int

    public init(maxPayload: Int = 16 << 20) { self.maxPayload = maxPayload }

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// Takes the bytes not yet parsed, as they are (the body of a refused handshake).
    mutating func drainRaw() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws -> WebSocketFrame? {
        guard buffer.count >= 2 else { return nil }
        let b0 = buffer[0], b1 = buffer[1]
        guard b0 & 0x70 == 0 else { throw WebSocketProtocolError(description: "reserved bits set in a frame (no extension was negotiated)") }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            throw WebSocketProtocolError(description: "unknown websocket opcode \(b0 & 0x0F)")
        }
        var offset = 2
        var length = Int(b1 & 0x7F)
        if length == 126 {
            guard buffer.count >= 4 else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            guard buffer.count >= 10 else { return nil }
            var l: UInt64 = 0
            for i in 2..<10 { l = l << 8 | UInt64(buffer[i]) }
            guard l <= UInt64(maxPayload) else { throw WebSocketProtocolError(description: "a websocket frame of \(l) bytes is larger than allowed") }
            length = Int(l)
            offset = 10
        }
        guard length <= maxPayload else { throw WebSocketProtocolError(description: "a websocket frame of \(length) bytes is larger than allowed") }
        let masked = b1 & 0x80 != 0
        var mask: [UInt8] = []
        if masked {
            guard buffer.count >= offset + 4 else { return nil }
            mask = Array(buffer[offset..<offset + 4])
            offset += 4
        }
        guard buffer.count >= offset + length else { return nil }
        var payload = Array(buffer[offset..<offset + length])
        if masked { for i in payload.indices { payload[i] ^= mask[i & 3] } }
        buffer.removeFirst(offset + length)
        if opcode.isControl && (length > 125 || b0 & 0x80 == 0) {
            throw WebSocketProtocolError(description: "a fragmented or oversized websocket control frame")
        }
        return WebSocketFrame(fin: b0 & 0x80 != 0, opcode: opcode, payload: payload)
    }
}

/// SHA-1, for the handshake's `Sec-WebSocket-Accept` only (RFC 6455 §4.1). Written here rather
/// than pulling a crypto package into a command-line client that needs nothing else of it.
enum SHA1 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { m.append(UInt8((bitLength >> UInt64(shift)) & 0xFF)) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for i in 0..<16 {
                w[i] = UInt32(m[chunk + 4 * i]) << 24 | UInt32(m[chunk + 4 * i + 1]) << 16 | UInt32(m[chunk + 4 * i + 2]) << 8 | UInt32(m[chunk + 4 * i + 3])
            }
            for i in 16..<80 { w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotatedLeft(1) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A827999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1BBCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62C1D6)
                }
                let t = a.rotatedLeft(5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b.rotatedLeft(30), a, t)
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return h.flatMap { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xFF), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF)] }
    }
}

extension UInt32 {
    fileprivate func rotatedLeft(_ n: UInt32) -> UInt32 { self << n | self >> (32 - n) }
}

enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` a server must answer to `key`.
    static func accept(for key: String) -> String {
        Data(SHA1.digest(Array((key + guid).utf8))).base64EncodedString()
    }
}
