import Foundation
import XCTest
@testable import DockerEngineAPI

/// One frame of the engine's multiplexed stream: stream byte, three zeros, big-endian length.
func frame(_ kind: UInt8, _ payload: [UInt8]) -> [UInt8] {
    let n = UInt32(payload.count)
    return [kind, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload
}

func frame(_ kind: UInt8, _ text: String) -> [UInt8] { frame(kind, Array(text.utf8)) }

/// The bytes of each stream, chunks of the same stream joined.
func joined(_ chunks: [OutputChunk]) -> [StreamKind: [UInt8]] {
    var out: [StreamKind: [UInt8]] = [:]
    for c in chunks { out[c.stream, default: []] += c.bytes }
    return out
}

final class StreamDemultiplexerTests: XCTestCase {
    /// stdout, stderr, an empty frame, a frame longer than 255 bytes (a length with two bytes), stdout again.
    let big = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var stream: [UInt8] {
        frame(1, "hello\n") + frame(2, "oops\n") + frame(1, []) + frame(2, big) + frame(1, "bye\n")
    }

    func testWholeStreamInOneFeed() throws {
        var demux = StreamDemultiplexer(.multiplexed)
        let chunks = try demux.feed(stream)
        XCTAssertEqual(chunks, [
            OutputChunk(stream: .stdout, bytes: Array("hello\n".utf8)),
            OutputChunk(stream: .stderr, bytes: Array("oops\n".utf8)),
            OutputChunk(stream: .stdout, bytes: []),
            OutputChunk(stream: .stderr, bytes: big),
            OutputChunk(stream: .stdout, bytes: Array("bye\n".utf8)),
        ])
        XCTAssertEqual(try demux.finish(), [])
    }

    func testSplitAtEveryByteBoundary() throws {
        let bytes = stream
        for cut in 0...bytes.count {
            var demux = StreamDemultiplexer(.multiplexed)
            var chunks = try demux.feed(bytes[..<cut])
            chunks += try demux.feed(bytes[cut...])
            chunks += try demux.finish()
            let out = joined(chunks)
            XCTAssertEqual(out[.stdout], Array("hello\nbye\n".utf8), "cut at \(cut)")
            XCTAssertEqual(out[.stderr], Array("oops\n".utf8) + big, "cut at \(cut)")
            XCTAssertNil(out[.raw], "cut at \(cut)")
        }
    }

    func testSplitIntoThreeAtEveryPairOfBoundaries() throws {
        let bytes = frame(1, "ab") + frame(2, "cde") + frame(1, "f")
        for i in 0...bytes.count {
            for j in i...bytes.count {
                var demux = StreamDemultiplexer(.multiplexed)
                let chunks = try demux.feed(bytes[..<i]) + demux.feed(bytes[i..<j]) + demux.feed(bytes[j...])
                XCTAssertEqual(chunks.map(\.stream), [.stdout, .stderr, .stdout], "cuts \(i), \(j)")
                XCTAssertEqual(chunks.map { String(decoding: $0.bytes, as: UTF8.self) }, ["ab", "cde", "f"], "cuts \(i), \(j)")
            }
        }
    }

    func testOneByteAtATime() throws {
        var demux = StreamDemultiplexer(.multiplexed)
        var chunks: [OutputChunk] = []
        for b in stream { chunks += try demux.feed([b]) }
        XCTAssertEqual(chunks.count, 5)
        XCTAssertEqual(joined(chunks)[.stderr], Array("oops\n".utf8) + big)
    }

    func testFrameCompletesOnlyWithItsLastByte() throws {
        var demux = StreamDemultiplexer(.multiplexed)
        let f = frame(2, "xyz")
        XCTAssertEqual(try demux.feed(f.dropLast()), [])
        XCTAssertEqual(try demux.feed(f.suffix(1)), [OutputChunk(stream: .stderr, bytes: Array("xyz".utf8))])
    }

    func testBadHeaderThrows() {
        for bad in [[3, 0, 0, 0, 0, 0, 0, 1, 65], [1, 1, 0, 0, 0, 0, 0, 1, 65], [2, 0, 0, 9, 0, 0, 0, 0]] as [[UInt8]] {
            var demux = StreamDemultiplexer(.multiplexed)
            XCTAssertThrowsError(try demux.feed(bad), "\(bad)") { error in
                XCTAssertEqual((error as? EngineError)?.kind, .protocolViolation)
            }
        }
        // A good frame, then a bad one in the same read: the bad one still throws.
        var demux = StreamDemultiplexer(.multiplexed)
        XCTAssertThrowsError(try demux.feed(frame(1, "ok") + [7, 0, 0, 0, 0, 0, 0, 0]))
    }

    func testHugeFrameLengthThrows() {
        var demux = StreamDemultiplexer(.multiplexed)
        XCTAssertThrowsError(try demux.feed([1, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]))
    }

    func testStreamEndingInsideAFrameThrows() throws {
        var demux = StreamDemultiplexer(.multiplexed)
        _ = try demux.feed(frame(1, "hello").dropLast(2))
        XCTAssertThrowsError(try demux.finish())
    }

    func testRawPassesThrough() throws {
        var demux = StreamDemultiplexer(.raw)
        // Even bytes that look like a frame header stay as they are.
        let bytes = frame(1, "x") + Array("abc\r\n".utf8)
        XCTAssertEqual(try demux.feed(bytes), [OutputChunk(stream: .raw, bytes: bytes)])
        XCTAssertEqual(try demux.feed([]), [])
        XCTAssertEqual(try demux.feed(Array("more".utf8)), [OutputChunk(stream: .raw, bytes: Array("more".utf8))])
        XCTAssertEqual(try demux.finish(), [])
        XCTAssertEqual(StreamKind.raw.name, "stdout")
    }

    func testDetectMultiplexed() throws {
        let bytes = stream
        for cut in [1, 3, 7, 8, 9, 20] {
            var demux = StreamDemultiplexer(.detect)
            let chunks = try demux.feed(bytes[..<cut]) + demux.feed(bytes[cut...])
            XCTAssertEqual(joined(chunks)[.stdout], Array("hello\nbye\n".utf8), "cut at \(cut)")
            XCTAssertNil(joined(chunks)[.raw])
        }
    }

    func testDetectRaw() throws {
        var demux = StreamDemultiplexer(.detect)
        // A TTY's output: text, no headers; a short first read is recognised at once.
        XCTAssertEqual(try demux.feed(Array("hi".utf8)), [OutputChunk(stream: .raw, bytes: Array("hi".utf8))])
        XCTAssertEqual(try demux.feed(Array("\r\n$ ".utf8)), [OutputChunk(stream: .raw, bytes: Array("\r\n$ ".utf8))])

        var long = StreamDemultiplexer(.detect)
        XCTAssertEqual(try long.feed(Array("hello world\r\n".utf8)).flatMap(\.bytes), Array("hello world\r\n".utf8))
    }
}

final class LogLineSplitterTests: XCTestCase {
    let t0 = "2026-12-02T00:59:08.726994545Z"
    let t1 = "2026-12-02T00:59:08.800000001Z"

    func testTimestampsStrippedAndKept() {
        var lines = LogLineSplitter(timestamps: true)
        let entries = lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t0) out0\n\(t1) out1\n".utf8)))
        XCTAssertEqual(entries, [
            LogEntry(stream: .stdout, timestamp: t0, bytes: Array("out0\n".utf8)),
            LogEntry(stream: .stdout, timestamp: t1, bytes: Array("out1\n".utf8)),
        ])
        XCTAssertEqual(entries[0].date!.timeIntervalSince1970, 1796173148.726994545, accuracy: 1e-5)
        XCTAssertEqual(lines.finish(), [])
    }

    func testLineJoinedAcrossChunks() {
        var lines = LogLineSplitter(timestamps: true)
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stderr, bytes: Array("\(t0) par".utf8))), [])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stderr, bytes: Array("t".utf8))), [])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stderr, bytes: Array("ial\n\(t1) next".utf8))),
                       [LogEntry(stream: .stderr, timestamp: t0, bytes: Array("partial\n".utf8))])
        XCTAssertEqual(lines.finish(), [LogEntry(stream: .stderr, timestamp: t1, bytes: Array("next".utf8))])
        XCTAssertEqual(lines.finish(), [], "finish() empties the splitter")
    }

    /// A line over 16 KiB comes as several messages, each with its own timestamp.
    func testContinuationTimestampsDropped() {
        var lines = LogLineSplitter(timestamps: true)
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t0) aaa".utf8))), [])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t1) bbb".utf8))), [])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t1) ccc\n".utf8))),
                       [LogEntry(stream: .stdout, timestamp: t0, bytes: Array("aaabbbccc\n".utf8))])
        // The next line keeps its own.
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t1) next\n".utf8))),
                       [LogEntry(stream: .stdout, timestamp: t1, bytes: Array("next\n".utf8))])
        // Without timestamps nothing is taken out.
        var plain = LogLineSplitter(timestamps: false)
        _ = plain.feed(OutputChunk(stream: .stdout, bytes: Array("aaa".utf8)))
        XCTAssertEqual(plain.feed(OutputChunk(stream: .stdout, bytes: Array("\(t1) b\n".utf8))),
                       [LogEntry(stream: .stdout, timestamp: nil, bytes: Array("aaa\(t1) b\n".utf8))])
    }

    func testTimestampShapes() {
        XCTAssertEqual(LogLineSplitter.timestampEnd(Array("2026-12-02T00:59:08Z x".utf8)[...]), 21)
        XCTAssertEqual(LogLineSplitter.timestampEnd(Array("\(t0) x".utf8)[...]), 31)
        XCTAssertEqual(LogLineSplitter.timestampEnd(Array("xx\(t0) x".utf8)[2...]), 33, "a slice keeps its indices")
        XCTAssertNil(LogLineSplitter.timestampEnd(Array("hello world, this is not a timestamp".utf8)[...]))
        XCTAssertNil(LogLineSplitter.timestampEnd(Array("2026-12-02 00:59:08 not RFC 3339".utf8)[...]))
        XCTAssertNil(LogLineSplitter.timestampEnd(Array(t0.utf8)[...]), "no space after it")
    }

    func testStreamsKeptApart() {
        var lines = LogLineSplitter(timestamps: false)
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("a".utf8))), [])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stderr, bytes: Array("b\n".utf8))),
                       [LogEntry(stream: .stderr, timestamp: nil, bytes: Array("b\n".utf8))])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("c\nd".utf8))),
                       [LogEntry(stream: .stdout, timestamp: nil, bytes: Array("ac\n".utf8))])
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stderr, bytes: Array("e".utf8))), [])
        // The unterminated tails, stdout first.
        XCTAssertEqual(lines.finish(), [
            LogEntry(stream: .stdout, timestamp: nil, bytes: Array("d".utf8)),
            LogEntry(stream: .stderr, timestamp: nil, bytes: Array("e".utf8)),
        ])
    }

    func testWithoutTimestampsLinesStayWhole() {
        var lines = LogLineSplitter(timestamps: false)
        let entries = lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t0) out0\n".utf8)))
        XCTAssertEqual(entries, [LogEntry(stream: .stdout, timestamp: nil, bytes: Array("\(t0) out0\n".utf8))])
    }

    func testLineWithoutATimestampIsKept() {
        var lines = LogLineSplitter(timestamps: true)
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("no stamp here\n\n".utf8))), [
            LogEntry(stream: .stdout, timestamp: nil, bytes: Array("no stamp here\n".utf8)),
            LogEntry(stream: .stdout, timestamp: nil, bytes: Array("\n".utf8)),
        ])
    }

    func testEmptyLineAfterTimestamp() {
        var lines = LogLineSplitter(timestamps: true)
        XCTAssertEqual(lines.feed(OutputChunk(stream: .stdout, bytes: Array("\(t0) \n".utf8))),
                       [LogEntry(stream: .stdout, timestamp: t0, bytes: Array("\n".utf8))])
    }
}

final class JSONLineSplitterTests: XCTestCase {
    func testLinesAcrossFeeds() throws {
        var s = JSONLineSplitter()
        XCTAssertEqual(try s.feed(Array(#"{"a":1}"#.utf8) + [0x0a] + Array(#"{"b""#.utf8)).map { String(decoding: $0, as: UTF8.self) },
                       [#"{"a":1}"#])
        XCTAssertEqual(try s.feed(Array(":2}".utf8)), [])
        XCTAssertEqual(try s.feed(Array("\n\n  \n\r\n{\"c\":3}\r\n{\"d\"".utf8)).map { String(decoding: $0, as: UTF8.self) },
                       [#"{"b":2}"#, "{\"c\":3}\r"])
        XCTAssertEqual(s.finish().map { String(decoding: $0, as: UTF8.self) }, [#"{"d""#])
        XCTAssertEqual(s.finish(), [])
    }

    func testEveryLineDecodes() throws {
        let text = (0..<50).map { #"{"status":"Downloading","id":"l\#($0)","progressDetail":{}}"# }.joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        var s = JSONLineSplitter()
        var lines: [[UInt8]] = []
        var i = 0
        while i < bytes.count { lines += try s.feed(bytes[i..<min(i + 13, bytes.count)]); i += 13 }
        XCTAssertEqual(lines.count, 50)
        let messages = try lines.map { try JSONDecoder().decode(ProgressMessage.self, from: Data($0)) }
        XCTAssertEqual(messages.last?.id, "l49")
        XCTAssertEqual(messages.first?.text, "l0: Downloading")
        XCTAssertEqual(s.finish(), [])
    }

    func testProgressMessageText() throws {
        let m = try JSONDecoder().decode(ProgressMessage.self, from: Data(#"{"status":"Extracting","id":"abc","progress":"[==>   ] 1MB/2MB"}"#.utf8))
        XCTAssertEqual(m.text, "abc: Extracting [==>   ] 1MB/2MB")
        let e = try JSONDecoder().decode(ProgressMessage.self, from: Data(#"{"errorDetail":{"message":"boom"},"error":"boom"}"#.utf8))
        XCTAssertEqual(e.text, "boom")
    }
}

final class EngineDatesTests: XCTestCase {
    func testNanosecondFraction() throws {
        let d = try XCTUnwrap(EngineDates.parse("2026-12-02T00:59:08.726994545Z"))
        XCTAssertEqual(d.timeIntervalSince1970, 1796173148.726994545, accuracy: 1e-5)
        XCTAssertNotEqual(d.timeIntervalSince1970.rounded(.down), d.timeIntervalSince1970, "the fraction is kept")
    }

    func testWholeSecondsAndOffsets() throws {
        XCTAssertEqual(try XCTUnwrap(EngineDates.parse("2026-12-02T00:59:08Z")).timeIntervalSince1970, 1796173148)
        // 00:59:08.5+02:00 is 22:59:08.5Z the day before.
        XCTAssertEqual(try XCTUnwrap(EngineDates.parse("2026-12-02T00:59:08.5+02:00")).timeIntervalSince1970, 1796165948.5, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(EngineDates.parse("2026-12-02T00:59:08.25-01:00")).timeIntervalSince1970,
                       1796173148.25 + 3600, accuracy: 1e-6)
    }

    func testNeverIsNil() {
        XCTAssertNil(EngineDates.parse("0001-01-01T00:00:00Z"))
        XCTAssertNil(EngineDates.parse("0001-01-01T00:00:00.000000000Z"))
        XCTAssertNil(EngineDates.parse("not a date"))
        XCTAssertNil(EngineDates.parse(""))
    }

    func testLogEntryDate() {
        XCTAssertNil(LogEntry(stream: .stdout, timestamp: nil, bytes: []).date)
        XCTAssertEqual(LogEntry(stream: .stdout, timestamp: "2026-12-02T00:59:08.000001Z", bytes: []).date?.timeIntervalSince1970 ?? 0,
                       1796173148.000001, accuracy: 1e-5)
    }
}
