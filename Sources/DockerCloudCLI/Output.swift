import DockerCloudAPI
import Foundation

/// `--format`: `table` (default), `json` (the API's objects as one JSON array), or a template with
/// `{{.attribute}}` placeholders and `\t`/`\n` escapes, one line per object.
enum OutputFormat {
    case table, json, template(String)

    init(_ value: String?) {
        switch value {
        case nil, "table": self = .table
        case "json": self = .json
        default: self = .template(value!)
        }
    }

    /// JSON as docker-cloud 1.0.9 printed it (Python's `json.dumps(indent=2)`): `"key": value`,
    /// two-space indent, non-ASCII escaped as `\uXXXX`; keys sorted, so output is stable.
    static func json(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, into: &out, indent: 0)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    static func json(_ values: [JSONValue]) -> String { json(.array(values)) }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent))
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d):
            let text = d.rounded() == d && abs(d) < 0x1p63 ? String(Int64(d)) : d.isFinite ? "\(d)" : d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity")
            out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent + 2)
                write(item, into: &out, indent: indent + 2)
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            guard !fields.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent + 2)
                writeString(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                write(fields[key]!, into: &out, indent: indent + 2)
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for unit in s.utf16 {
            switch unit {
            case 0x22: out.append(contentsOf: "\\\"".utf8)
            case 0x5C: out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x20..<0x7F: out.append(UInt8(unit))
            default:
                out.append(contentsOf: "\\u".utf8)
                for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(unit >> UInt16(shift)) & 0xF]) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func render(template: String, _ object: JSONValue) -> String {
        var out = ""
        var rest = Substring(template.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n"))
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { out += rest[open.lowerBound...]; rest = ""; break }
            let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            var value: JSONValue? = object
            for part in key.drop(while: { $0 == "." }).split(separator: ".") { value = value?[String(part)] }
            out += text(value)
            rest = rest[close.upperBound...]
        }
        return out + rest + "\n"
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        case .number?: return value!.intValue.map(String.init) ?? "\(value!)"
        case .null?, nil: return ""
        case let other?: return String(decoding: (try? JSONEncoder().encode(other)) ?? Data(), as: UTF8.self)
        }
    }
}
