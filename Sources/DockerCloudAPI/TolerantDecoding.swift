import Foundation

/// Decodes the API's answers the way docker-cloud 1.0.9 read them: a client needs only the
/// attributes it uses, and any server that speaks the API may leave one out or send `null`.
/// An attribute that is absent or `null` takes its type's empty value (`""`, 0, false, `[]`, `{}`,
/// a nested object made of empty values, `nil` for optionals), which is what 1.0.9's tables print
/// for a `None` cell. A value that is present with the wrong JSON type is still an error naming its
/// path: that answer is not the API's shape.
public enum TolerantDecoding {
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if let v = value as? T { return v }
        return try T(from: ValueDecoder(value: value, codingPath: []))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: try JSONValue.parse(data))
    }

    /// The attributes `T` reads at its top level, found by decoding it from an empty object and
    /// noting what it asks for; nil when it reads whatever is there (JSONValue, a dictionary), or
    /// is not an object.
    public static func attributes<T: Decodable>(of type: T.Type) -> Set<String>? {
        if T.self == JSONValue.self { return nil }
        let recorder = KeyRecorder()
        guard (try? T(from: ValueDecoder(value: .object([:]), codingPath: [], recorder: recorder))) != nil,
              !recorder.readsAnyKey, !recorder.keys.isEmpty else { return nil }
        return recorder.keys
    }
}

/// What a decoding asked of the top-level object (only `attributes(of:)` sets one).
final class KeyRecorder {
    var keys: Set<String> = []
    var readsAnyKey = false
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [CodingKey]
    var recorder: KeyRecorder? = nil
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: Any.Type) -> DecodingError {
        .typeMismatch(expected, .init(codingPath: codingPath, debugDescription: "found \(value.typeName)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let fields): return KeyedDecodingContainer(Keyed<Key>(fields: fields, codingPath: codingPath, recorder: codingPath.isEmpty ? recorder : nil))
        case .null: return KeyedDecodingContainer(Keyed<Key>(fields: [:], codingPath: codingPath))
        default: throw mismatch([String: JSONValue].self)
        }
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        switch value {
        case .array(let items): return Unkeyed(items: items, codingPath: codingPath)
        case .null: return Unkeyed(items: [], codingPath: codingPath)
        default: throw mismatch([JSONValue].self)
        }
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(decoder: self) }

    /// A nested value: JSONValue is taken as it is (free-form attributes), the scalar types a
    /// table reads directly (no decoder made, no dynamic cast: tens of thousands per page), anything
    /// else decoded.
    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, at path: [CodingKey]) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        let single = Single(decoder: ValueDecoder(value: value, codingPath: path))
        if T.self == String.self { return try single.decode(String.self) as! T }
        if T.self == Int.self { return try single.decode(Int.self) as! T }
        if T.self == Bool.self { return try single.decode(Bool.self) as! T }
        if T.self == String?.self { return (value == .null ? nil : try single.decode(String.self)) as! T }
        if T.self == Int?.self { return (value == .null ? nil : try single.decode(Int.self)) as! T }
        return try T(from: single.decoder)
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ i: Int) { intValue = i }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: JSONValue]
    let codingPath: [CodingKey]
    var recorder: KeyRecorder? = nil

    var allKeys: [Key] {
        recorder?.readsAnyKey = true
        return fields.keys.compactMap { Key(stringValue: $0) }
    }
    func contains(_ key: Key) -> Bool { recorder?.keys.insert(key.stringValue); return fields[key.stringValue] != nil }
    func decodeNil(forKey key: Key) throws -> Bool { recorder?.keys.insert(key.stringValue); return (fields[key.stringValue] ?? .null) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        recorder?.keys.insert(key.stringValue)
        return try ValueDecoder.decode(type, fields[key.stringValue] ?? .null, at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        recorder?.keys.insert(key.stringValue)
        return try ValueDecoder(value: fields[key.stringValue] ?? .null, codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        recorder?.keys.insert(key.stringValue)
        return try ValueDecoder(value: fields[key.stringValue] ?? .null, codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        recorder?.readsAnyKey = true
        return ValueDecoder(value: .object(fields), codingPath: codingPath)
    }
    func superDecoder(forKey key: Key) throws -> Decoder {
        recorder?.keys.insert(key.stringValue)
        return ValueDecoder(value: fields[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [CodingKey]) { self.items = items; self.codingPath = codingPath }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (JSONValue, [CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "the list ended"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try ValueDecoder.decode(type, value, at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        let (value, path) = try next()
        return ValueDecoder(value: value, codingPath: path)
    }
}

private struct Single: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [CodingKey] { decoder.codingPath }
    var value: JSONValue { decoder.value }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch value {
        case .bool(let b): return b
        case .null: return false
        default: throw decoder.mismatch(type)
        }
    }

    func decode(_ type: String.Type) throws -> String {
        switch value {
        case .string(let s): return s
        case .null: return ""
        default: throw decoder.mismatch(type)
        }
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .number(let d): return d
        case .null: return 0
        default: throw decoder.mismatch(type)
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    /// Integers: a JSON number without a fraction that fits, or a string of digits (ports and
    /// counts that a server sends quoted, as 1.0.9 itself sent ports).
    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        switch value {
        case .null: return 0
        case .number(let d) where d.rounded() == d:
            if let i = I(exactly: d) { return i }
        case .string(let s):
            if let i = I(s.trimmingCharacters(in: .whitespaces)) { return i }
        default: break
        }
        throw decoder.mismatch(type)
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try ValueDecoder.decode(type, value, at: codingPath) }
}
