import Foundation

/// A direct JSON parser for `JSONValue`. Decoding `JSONValue` through Codable tries each type in
/// turn and pays for a thrown error per miss, several times slower than this on the 30,000-object
/// lists `--format json` prints; the server validates request bodies with it too.
extension JSONValue {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.at == parser.bytes.count else { throw parser.fail("unexpected data after the value") }
            return value
        }
    }

    /// A list page (`{"meta": ..., "objects": [...]}`) whose objects keep only `objectKeys`: the
    /// other attributes are checked and skipped, never built. A table reads a tenth of a
    /// service's attributes; building the rest cost more than fetching the page.
    public static func parsePage(_ data: Data, objectKeys: Set<String>) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            parser.pageKeys = objectKeys
            parser.pageKeyNames = Array(objectKeys)
            parser.pageKeyBytes = parser.pageKeyNames.map { Array($0.utf8) }
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.at == parser.bytes.count else { throw parser.fail("unexpected data after the value") }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0
        /// parsePage: the attributes kept in the items of the root's `objects` list.
        var pageKeys: Set<String>?
        /// The same keys as bytes, matched against a key's raw bytes before any String is made
        /// (most keys of a page are skipped: making each a String cost more than the rest).
        var pageKeyNames: [String] = []
        var pageKeyBytes: [[UInt8]] = []
        /// Where the value being parsed sits: 1 = in the root object's `objects`, 2 = an item of it.
        var inObjects = 0

        func fail(_ reason: String) -> ParseError { ParseError(offset: at, reason: reason) }

        mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        /// At a key of a page object: the kept key it is (its name), or nil (then the key has
        /// been read and is to be skipped with its value).
        mutating func pageKey(_ keep: Set<String>) throws -> String? {
            let start = at + 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
                // Escapes or worse: the general path says what is wrong, if anything.
                let key = try string()
                return keep.contains(key) ? key : nil
            }
            at = end + 1
            let length = end - start
            for (i, candidate) in pageKeyBytes.enumerated() where candidate.count == length {
                if candidate.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + start, length) }) == 0 { return pageKeyNames[i] }
            }
            return nil
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
            let n = word.utf8CodeUnitCount
            guard at + n <= bytes.count, memcmp(bytes.baseAddress! + at, word.utf8Start, n) == 0 else { throw fail("unknown literal") }
            at += n
            return value
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 512 else { throw fail("nested too deeply") }
            guard at < bytes.count else { throw fail("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var fields: [String: JSONValue] = [:]
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(fields) }
                let keep = inObjects == 2 ? pageKeys : nil
                while true {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let kept = try keep.map { try pageKey($0) }
                    let key = try kept.map { $0 ?? "" } ?? string()
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    at += 1
                    skipSpace()
                    if case .some(.none) = kept {  // a page key this table does not read
                        try skip(depth: depth + 1)
                    } else {
                        let outer = inObjects
                        inObjects = depth == 0 && key == "objects" && pageKeys != nil ? 1 : 0
                        fields[key] = try value(depth: depth + 1)
                        inObjects = outer
                    }
                    skipSpace()
                    guard at < bytes.count else { throw fail("unexpected end in an object") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(fields) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                at += 1
                var items: [JSONValue] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                let outer = inObjects
                while true {
                    skipSpace()
                    inObjects = outer == 1 ? 2 : 0
                    items.append(try value(depth: depth + 1))
                    inObjects = outer
                    skipSpace()
                    guard at < bytes.count else { throw fail("unexpected end in a list") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        /// Checks one value and moves past it, building nothing.
        mutating func skip(depth: Int) throws {
            guard depth < 512 else { throw fail("nested too deeply") }
            guard at < bytes.count else { throw fail("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let object = bytes[at] == UInt8(ascii: "{")
                let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                at += 1
                skipSpace()
                if at < bytes.count, bytes[at] == close { at += 1; return }
                while true {
                    skipSpace()
                    if object {
                        guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                        try skipString()
                        skipSpace()
                        guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                        at += 1
                        skipSpace()
                    }
                    try skip(depth: depth + 1)
                    skipSpace()
                    guard at < bytes.count else { throw fail("unexpected end") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == close { at += 1; return }
                    throw fail(object ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): _ = try literal("true", .null)
            case UInt8(ascii: "f"): _ = try literal("false", .null)
            case UInt8(ascii: "n"): _ = try literal("null", .null)
            default: try skipNumber()
            }
        }

        /// A number's grammar, checked without making its value.
        mutating func skipNumber() throws {
            func digits() -> Int {
                let from = at
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                return at - from
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw fail("unexpected character") }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard digits() > 0 else { throw fail("a digit must follow '.'") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { throw fail("a digit must follow the exponent") }
            }
        }

        mutating func skipString() throws {
            at += 1
            while at < bytes.count {
                let c = bytes[at]
                if c == UInt8(ascii: "\"") { at += 1; return }
                guard c >= 0x20 else { throw fail("control character in a string") }
                at += c == UInt8(ascii: "\\") ? 2 : 1
            }
            throw fail("unterminated string")
        }

        mutating func number() throws -> JSONValue {
            let start = at
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            let digits = at
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            guard at > digits else { at = start; throw fail("unexpected character") }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                let fraction = at
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                guard at > fraction else { throw fail("a digit must follow '.'") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                let exponent = at
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                guard at > exponent else { throw fail("a digit must follow the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            guard let d = Double(text) else { throw fail("bad number") }
            return .number(d)
        }

        mutating func hex4() throws -> UInt16 {
            guard at + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt16 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: throw fail("bad \\u escape")
                }
                v = v << 4 | UInt16(d)
                at += 1
            }
            return v
        }

        mutating func string() throws -> String {
            at += 1  // the opening quote
            let start = at
            // Fast path: no escapes.
            while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") {
                guard bytes[at] >= 0x20 else { throw fail("control character in a string") }
                at += 1
            }
            guard at < bytes.count else { throw fail("unterminated string") }
            var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<at]))
            while true {
                guard at < bytes.count else { throw fail("unterminated string") }
                let c = bytes[at]
                if c == UInt8(ascii: "\"") { at += 1; break }
                if c < 0x20 { throw fail("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); at += 1; continue }
                at += 1
                guard at < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = UInt32(try hex4())
                    if (0xD800..<0xDC00).contains(scalar), at + 6 <= bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let low = UInt32(try hex4())
                        scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                default: throw fail("bad escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
