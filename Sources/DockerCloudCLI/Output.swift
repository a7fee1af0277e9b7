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

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n"
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
