import DockerCloudAPI
import Foundation

/// The JSON Schema of a Decodable model, found by letting its own `init(from:)` ask for what it
/// reads: every `decode` names an attribute and its type, `decodeIfPresent` an optional one. The
/// models are the one description of the API's objects; the OpenAPI document is derived from them.
enum SchemaProbe {
    /// `T`'s schema as an OpenAPI 3.0 schema object (optional attributes are `nullable`).
    static func schema<T: Decodable>(of type: T.Type) -> JSONValue {
        let node = Node()
        probe(type, into: node)
        return node.schema()
    }

    /// What one value turned out to be.
    final class Node {
        enum Kind { case unknown, any, boolean, integer, number, string, array(Node), object([(String, Node, Bool)]) }
        var kind: Kind = .unknown
        var nullable = false

        func schema() -> JSONValue {
            var out: [String: JSONValue]
            switch kind {
            case .unknown, .any: return .object([:])
            case .boolean: out = ["type": typeName("boolean")]
            case .integer: out = ["type": typeName("integer")]
            case .number: out = ["type": typeName("number")]
            case .string: out = ["type": typeName("string")]
            case .array(let items): out = ["type": typeName("array"), "items": items.schema()]
            case .object(let fields):
                var properties: [String: JSONValue] = [:]
                var required: [JSONValue] = []
                for (name, node, isRequired) in fields {
                    properties[name] = node.schema()
                    if isRequired { required.append(.string(name)) }
                }
                out = ["type": "object", "properties": .object(properties)]
                if !required.isEmpty { out["required"] = .array(required) }
            }
            if nullable { out["nullable"] = true }
            return .object(out)
        }

        private func typeName(_ t: String) -> JSONValue { .string(t) }
    }

    static func probe<T: Decodable>(_ type: T.Type, into node: Node) {
        if T.self == JSONValue.self { node.kind = .any; return }
        if T.self == Bool.self { node.kind = .boolean; return }
        if T.self == String.self { node.kind = .string; return }
        if T.self == Double.self || T.self == Float.self { node.kind = .number; return }
        if T.self == Int.self || T.self == Int64.self || T.self == Int32.self || T.self == UInt.self { node.kind = .integer; return }
        // Anything else decodes itself from the probe; a type that rejects the probe's sample
        // values (an enum's raw value) keeps what it asked for.
        _ = try? T(from: Probe(node: node, codingPath: []))
    }

    struct Probe: Decoder {
        let node: Node
        var codingPath: [CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            if case .object = node.kind {} else { node.kind = .object([]) }
            return KeyedDecodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }
        func unkeyedContainer() throws -> UnkeyedDecodingContainer {
            let items = Node()
            node.kind = .array(items)
            return Unkeyed(items: items, codingPath: codingPath)
        }
        func singleValueContainer() throws -> SingleValueDecodingContainer { Single(node: node, codingPath: codingPath) }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let node: Node
        var codingPath: [CodingKey]
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }

        private func add(_ key: Key, required: Bool) -> Node {
            let child = Node()
            child.nullable = !required
            if case .object(var fields) = node.kind {
                fields.removeAll { $0.0 == key.stringValue }
                fields.append((key.stringValue, child, required))
                node.kind = .object(fields)
            }
            return child
        }
        /// The concrete `decodeIfPresent` overloads (String?, Int?, ...) ask `decodeNil` first, then
        /// `decode`: the key is optional when `decodeNil` asked about it.
        func decodeNil(forKey key: Key) throws -> Bool {
            _ = add(key, required: false)
            return false
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if case .object(let fields) = node.kind, let known = fields.first(where: { $0.0 == key.stringValue }), !known.2 {
                return try sample(type, known.1)
            }
            let child = add(key, required: true)
            return try sample(type, child)
        }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            let child = add(key, required: false)
            return try? sample(type, child)
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try Probe(node: add(key, required: true), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try Probe(node: add(key, required: true), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { Probe(node: node, codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { Probe(node: add(key, required: true), codingPath: codingPath + [key]) }
    }

    /// Lists are probed with one element, which describes them all.
    struct Unkeyed: UnkeyedDecodingContainer {
        let items: Node
        var codingPath: [CodingKey]
        var count: Int? { 1 }
        var currentIndex = 0
        var isAtEnd: Bool { currentIndex >= 1 }
        init(items: Node, codingPath: [CodingKey]) { self.items = items; self.codingPath = codingPath }
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            currentIndex += 1
            return try sample(type, items)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            currentIndex += 1
            return try Probe(node: items, codingPath: codingPath).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            currentIndex += 1
            return try Probe(node: items, codingPath: codingPath).unkeyedContainer()
        }
        mutating func superDecoder() throws -> Decoder { Probe(node: items, codingPath: codingPath) }
    }

    struct Single: SingleValueDecodingContainer {
        let node: Node
        var codingPath: [CodingKey]
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try sample(type, node) }
    }

    /// Records `type` in `node` and returns a value of it for the decoding to go on with.
    static func sample<T: Decodable>(_ type: T.Type, _ node: Node) throws -> T {
        probe(type, into: node)
        let samples: [Any] = [false, "", 0.0, Float(0), 0, Int64(0), Int32(0), UInt(0), JSONValue.null]
        for candidate in samples where Swift.type(of: candidate) == T.self {
            if let value = candidate as? T { return value }
        }
        // Decode it once more to get a value (its schema is already recorded in `node`).
        return try T(from: Probe(node: Node(), codingPath: []))
    }
}
