import Foundation
import NIOCore

/// Which stream bytes of a container belong to.
public enum StreamKind: UInt8, Sendable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
    /// A TTY: one stream, no frames.
    case raw = 255

    public var name: String {
        switch self {
        case .stdin: "stdin"
        case .stdout: "stdout"
        case .stderr: "stderr"
        case .raw: "stdout"
        }
    }
}

/// A piece of a container's output.
public struct OutputChunk: Sendable, Equatable {
    public var stream: StreamKind
    public var bytes: [UInt8]
    public init(stream: StreamKind, bytes: [UInt8]) { self.stream = stream; self.bytes = bytes }
}

/// Splits the engine's multiplexed stream (logs, attach and exec of containers without a TTY):
/// frames of an 8-byte header (stream byte, three zeros, big-endian uint32 length) and a payload.
/// Frames may arrive split across reads or several in one read; a TTY stream passes through raw.
public struct StreamDemultiplexer: Sendable {
    public enum Framing: Sendable { case multiplexed, raw, detect }
    private var framing: Framing
    private var buffer: [UInt8] = []
    /// A frame larger than this is taken as a stream that is not multiplexed at all.
    static let maxFrame = 64 << 20

    public init(_ framing: Framing) { self.framing = framing }

    /// Feeds bytes in, returns the complete chunks they finish.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [OutputChunk] {
        buffer.append(contentsOf: bytes)
        if framing == .detect {
            guard buffer.count >= 8 || buffer.contains(where: { $0 > 2 }) else { return [] }
            framing = Self.looksMultiplexed(buffer) ? .multiplexed : .raw
        }
        if framing == .raw {
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer.isEmpty ? [] : [OutputChunk(stream: .raw, bytes: buffer)]
        }
        var chunks: [OutputChunk] = []
        var start = 0
        while buffer.count - start >= 8 {
            let kind = buffer[start]
            guard kind <= 2, buffer[start + 1] == 0, buffer[start + 2] == 0, buffer[start + 3] == 0 else {
                throw EngineError(.protocolViolation, "a multiplexed stream frame has a bad header (byte \(kind))")
            }
            let length = Int(buffer[start + 4]) << 24 | Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
            guard length <= Self.maxFrame else { throw EngineError(.protocolViolation, "a multiplexed stream frame of \(length) bytes") }
            guard buffer.count - start - 8 >= length else { break }
            chunks.append(OutputChunk(stream: StreamKind(rawValue: kind) ?? .stdout, bytes: Array(buffer[(start + 8)..<(start + 8 + length)])))
            start += 8 + length
        }
        buffer.removeFirst(start)
        return chunks
    }

    /// What is left when the stream ends: a raw stream's tail, or an error for a cut-off frame.
    public mutating func finish() throws -> [OutputChunk] {
        defer { buffer = [] }
        if buffer.isEmpty { return [] }
        if framing == .multiplexed { throw EngineError(.protocolViolation, "the stream ended inside a frame") }
        return [OutputChunk(stream: .raw, bytes: buffer)]
    }

    static func looksMultiplexed(_ b: [UInt8]) -> Bool {
        b.count >= 8 && b[0] <= 2 && b[1] == 0 && b[2] == 0 && b[3] == 0
    }
}

/// One line of a container's log as the engine keeps it: its stream, the engine's own timestamp
/// (with `timestamps=1`), and the bytes, newline included.
public struct LogEntry: Sendable, Equatable {
    public var stream: StreamKind
    /// RFC 3339 with nanoseconds, as the engine wrote it.
    public var timestamp: String?
    public var bytes: [UInt8]

    public init(stream: StreamKind, timestamp: String?, bytes: [UInt8]) {
        self.stream = stream; self.timestamp = timestamp; self.bytes = bytes
    }

    /// The timestamp as a date (fractional seconds kept to the microsecond).
    public var date: Date? { timestamp.flatMap(EngineDates.parse) }
}

/// Cuts demultiplexed output into log entries: one per line, each with the timestamp the engine
/// put in front of it. A line split over frames (the engine splits lines over 16 KiB) is joined.
public struct LogLineSplitter: Sendable {
    private var pending: [StreamKind: [UInt8]] = [:]
    private let timestamps: Bool

    public init(timestamps: Bool) { self.timestamps = timestamps }

    public mutating func feed(_ chunk: OutputChunk) -> [LogEntry] {
        var bytes = pending.removeValue(forKey: chunk.stream) ?? []
        var piece = chunk.bytes[...]
        // The engine keeps a line over 16 KiB as several messages and, with `timestamps=1`, sends
        // each with its own timestamp: the continuation's goes, the line keeps its first one.
        if timestamps, !bytes.isEmpty, let after = Self.timestampEnd(piece) {
            piece = piece[after...]
        }
        bytes.append(contentsOf: piece)
        var entries: [LogEntry] = []
        var start = 0
        while let nl = bytes[start...].firstIndex(of: 0x0a) {
            entries.append(entry(chunk.stream, Array(bytes[start...nl])))
            start = nl + 1
        }
        if start < bytes.count { pending[chunk.stream] = Array(bytes[start...]) }
        return entries
    }

    /// Lines left without a newline when the stream ends.
    public mutating func finish() -> [LogEntry] {
        defer { pending = [:] }
        return pending.sorted { $0.key.rawValue < $1.key.rawValue }.map { entry($0.key, $0.value) }
    }

    private func entry(_ stream: StreamKind, _ line: [UInt8]) -> LogEntry {
        guard timestamps, let after = Self.timestampEnd(line[...]) else {
            return LogEntry(stream: stream, timestamp: nil, bytes: line)
        }
        let stamp = String(decoding: line[..<(after - 1)], as: UTF8.self)
        return LogEntry(stream: stream, timestamp: stamp, bytes: Array(line[after...]))
    }

    /// Where the text after a leading RFC 3339 timestamp and its space starts, if `bytes` starts
    /// with one (`2026-12-02T00:59:08.726994545Z `).
    static func timestampEnd(_ bytes: ArraySlice<UInt8>) -> Int? {
        let s = bytes.startIndex
        guard bytes.count > 20, let space = bytes.prefix(41).firstIndex(of: 0x20), space - s >= 20 else { return nil }
        let digit = { (i: Int) in (0x30...0x39).contains(bytes[s + i]) }
        guard digit(0), digit(1), digit(2), digit(3), bytes[s + 4] == UInt8(ascii: "-"), bytes[s + 10] == UInt8(ascii: "T"),
              bytes[s..<space].allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return space + 1
    }
}

/// Newline-delimited JSON (events, image pull and import progress): complete lines as they arrive.
public struct JSONLineSplitter: Sendable {
    private var buffer: [UInt8] = []
    static let maxLine = 4 << 20
    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        var start = 0
        while let nl = buffer[start...].firstIndex(of: 0x0a) {
            let line = Array(buffer[start..<nl])
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0d }) { lines.append(line) }
            start = nl + 1
        }
        buffer.removeFirst(start)
        guard buffer.count <= Self.maxLine else { throw EngineError(.protocolViolation, "a JSON line longer than \(Self.maxLine) bytes") }
        return lines
    }

    public mutating func finish() -> [[UInt8]] {
        defer { buffer = [] }
        return buffer.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d }) ? [] : [buffer]
    }
}

/// The engine's RFC 3339 times (`2026-12-02T00:59:08.726994545Z`, `0001-01-01T00:00:00Z` for never).
public enum EngineDates {
    public static func parse(_ text: String) -> Date? {
        guard !text.hasPrefix("0001-") else { return nil }
        // Foundation's ISO 8601 parser takes at most milliseconds: cut the fraction, add it back.
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            fraction = Double("0" + text[dot..<end]) ?? 0
            whole = String(text[..<dot]) + String(text[end...])
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: whole).map { $0.addingTimeInterval(fraction) }
    }
}
