@testable import DockerCloudKit
import Foundation
import XCTest

final class WebSocketFrameTests: XCTestCase {
    func testSHA1AndTheHandshakeAccept() {
        let hex = { (b: [UInt8]) in b.map { String(format: "%02x", $0) }.joined() }
        XCTAssertEqual(hex(SHA1.digest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(SHA1.digest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))), "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        // RFC 6455 §1.3's example.
        XCTAssertEqual(WebSocketHandshake.accept(for: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testMaskedFramesRoundTripAtEveryLengthEncoding() throws {
        for n in [0, 1, 125, 126, 65535, 65536, 70000] {
            let payload = (0..<n).map { UInt8($0 & 0xFF) }
            let bytes = WebSocketFrame(opcode: .binary, payload: payload).encode(mask: [1, 2, 3, 4])
            XCTAssertEqual(bytes[1] & 0x80, 0x80, "client frames are masked")
            var parser = WebSocketFrameParser()
            // Fed in awkward pieces, as reads split them.
            var i = 0
            var frame: WebSocketFrame?
            while frame == nil && i < bytes.count {
                let end = min(bytes.count, i + 7)
                parser.append(bytes[i..<end])
                i = end
                frame = try parser.next()
            }
            XCTAssertEqual(frame?.payload, payload, "length \(n)")
            XCTAssertNil(try parser.next())
        }
    }

    func testServerFramesAndTheRFCExamples() throws {
        var parser = WebSocketFrameParser()
        parser.append([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])  // unmasked "Hello"
        XCTAssertEqual(try parser.next(), WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)))
        parser.append([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])  // masked "Hello"
        XCTAssertEqual(try parser.next()?.payload, Array("Hello".utf8))
        parser.append([0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f])  // "Hel", ping, "lo"
        XCTAssertEqual(try parser.next(), WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)))
        XCTAssertEqual(try parser.next()?.opcode, .ping)
        XCTAssertEqual(try parser.next(), WebSocketFrame(fin: true, opcode: .continuation, payload: Array("lo".utf8)))
        XCTAssertEqual(WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)).encode(mask: nil), [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])
    }

    func testBadFramesAreRejected() {
        var reserved = WebSocketFrameParser()
        reserved.append([0xC1, 0x00])
        XCTAssertThrowsError(try reserved.next())
        var unknown = WebSocketFrameParser()
        unknown.append([0x83, 0x00])
        XCTAssertThrowsError(try unknown.next())
        var huge = WebSocketFrameParser(maxPayload: 1000)
        huge.append([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0])
        XCTAssertThrowsError(try huge.next())
        var fragmentedPing = WebSocketFrameParser()
        fragmentedPing.append([0x09, 0x00])
        XCTAssertThrowsError(try fragmentedPing.next())
    }
}
