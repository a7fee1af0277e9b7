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
        var out = ""
        write(value, into: &out, indent: 0)
        return out + "\n"
    }

    static func json(_ values: [JSONValue]) -> String { json(.array(values)) }

    private static func write(_ value: JSONValue, into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent + 2), end = String(repeating: " ", count: indent)
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if d.rounded() == d, abs(d) < 1e15 { out += String(Int64(d)) } else if d.isFinite { out += "\(d)" } else { out += d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity") }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, into: &out, indent: indent + 2)
                out += i < items.count - 1 ? ",\n" : "\n"
            }
            out += end + "]"
        case .object(let fields):
            guard !fields.isEmpty else { out += "{}"; return }
            out += "{\n"
            let keys = fields.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += pad
                writeString(key, into: &out)
                out += ": "
                write(fields[key]!, into: &out, indent: indent + 2)
                out += i < keys.count - 1 ? ",\n" : "\n"
            }
            out += end + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += String(format: "\\u%04x", unit)
            }
        }
        out += "\""
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
