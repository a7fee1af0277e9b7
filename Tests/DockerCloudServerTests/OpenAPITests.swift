@testable import DockerCloudServer
import DockerCloudAPI
import Foundation
import XCTest

/// The OpenAPI document against the Docker Cloud documents and against the running router.
final class OpenAPITests: XCTestCase {
    static var seedsDir: String {
        if let env = ProcessInfo.processInfo.environment["SEEDS_DIR"] { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/seeds").path
    }

    func document() throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: OpenAPI.document) as? [String: Any])
    }

    /// `/api/app/v1/service/{uuid}/` → `/api/app/v1/service/{}/`: templates compared by shape.
    static func shape(_ path: String) -> String {
        path.replacingOccurrences(of: #"\{[^}]*\}|\([^)]*\)"#, with: "{}", options: .regularExpression)
    }

    /// Every endpoint the Docker Cloud API documents (`GET /api/app/v1/[optional_namespace/]service/(uuid)/`
    /// lines) is in our document with its method.
    func testEveryDocumentedEndpointIsDescribed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.seedsDir).filter { $0.hasPrefix("000_") || $0.hasPrefix("001_") }
        XCTAssertEqual(files.count, 2, "the Docker Cloud API documents in \(Self.seedsDir)")
        let regex = try NSRegularExpression(pattern: #"^(GET|POST|PATCH|PUT|DELETE) (/api/[a-z]+/v1/\[optional_namespace/\][^ \n]*)"#, options: .anchorsMatchLines)
        var documented: Set<String> = []
        for file in files {
            let text = try String(contentsOfFile: Self.seedsDir + "/" + file, encoding: .utf8)
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let method = (text as NSString).substring(with: m.range(at: 1))
                var path = (text as NSString).substring(with: m.range(at: 2)).replacingOccurrences(of: "[optional_namespace/]", with: "")
                if !path.hasSuffix("/") { path += "/" }
                // A line that names no parameter but is followed by a "Path Parameters" table (the
                // repository DELETE) means that parameter at the end of the path, as its example shows.
                let after = (text as NSString).substring(from: m.range.location + m.range.length).prefix(200)
                if !path.contains("("), after.contains("Path Parameters") { path += "(name)/" }
                documented.insert("\(method) \(Self.shape(path))")
            }
        }
        XCTAssertGreaterThan(documented.count, 40, "endpoints found in the documents")
        let doc = try document()
        let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
        var ours: Set<String> = []
        for (path, item) in paths { for method in item.keys { ours.insert("\(method.uppercased()) \(Self.shape(path))") } }
        let missing = documented.subtracting(ours).sorted()
        XCTAssertEqual(missing, [], "endpoints of the Docker Cloud documents missing from /api/openapi.json")
    }

    /// Every operation in the document reaches a handler: the router never answers "No endpoint"
    /// or 405 for a documented method and path, and no request ends the server.
    func testEveryDescribedOperationIsRouted() async throws {
        let server = try ServerProcess()
        let alice = Client(server)
        let doc = try document()
        let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
        var count = 0
        for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
            let path = template.replacingOccurrences(of: #"\{[^}]*\}"#, with: "x0", options: .regularExpression)
            for method in item.keys.sorted() {
                let r = try await alice.request(method.uppercased(), path, raw: method == "get" || method == "head" || method == "delete" ? nil : "{}")
                count += 1
                XCTAssertNotEqual(r.status, 405, "\(method) \(path): \(r.text)")
                XCTAssertFalse(r.text.contains("No endpoint at"), "\(method) \(path): \(r.text)")
                XCTAssertLessThan(r.status, 500, "\(method) \(path): \(r.text)")
            }
        }
        XCTAssertGreaterThan(count, 60)
        // And a method the table does not have is 405, a path it does not have 404.
        let wrongMethod = try await alice.request("PUT", "/api/app/v1/service/")
        XCTAssertEqual(wrongMethod.status, 405, wrongMethod.text)
        let nowhere = try await alice.get("/api/app/v1/service/x/nothing/")
        XCTAssertEqual(nowhere.status, 404, nowhere.text)
        let still = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(still.status, 200, "the server is still up")
    }

    /// The document is the one the server serves, and its schemas come from the models.
    func testTheServerServesTheDocument() async throws {
        let server = try ServerProcess()
        let anonymous = Client(server, user: nil)
        let r = try await anonymous.get("/api/openapi.json")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.data, OpenAPI.document)
        let doc = try document()
        XCTAssertEqual(doc["openapi"] as? String, "3.0.3")
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let service = try XCTUnwrap(schemas["Service"] as? [String: Any])
        let properties = try XCTUnwrap(service["properties"] as? [String: [String: Any]])
        XCTAssertEqual(properties["target_num_containers"]?["type"] as? String, "integer")
        XCTAssertEqual(properties["name"]?["type"] as? String, "string")
        XCTAssertEqual(properties["container_ports"]?["type"] as? String, "array")
        XCTAssertEqual(((properties["container_ports"]?["items"] as? [String: Any])?["properties"] as? [String: Any])?.keys.contains("inner_port"), true)
        XCTAssertTrue((service["required"] as? [String] ?? []).contains("uuid"))
        // A real answer has every attribute the schema requires, with the documented types.
        let alice = Client(server)
        let created = try await alice.createService(["image": "busybox", "name": "shape"])
        for name in service["required"] as? [String] ?? [] {
            XCTAssertNotNil(created[name], "answer lacks required '\(name)'")
        }
        let answer = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: created))
        for (name, schema) in properties {
            guard let value = answer[name], value != .null else {
                XCTAssertEqual(schema["nullable"] as? Bool, true, "'\(name)' is null but not nullable"); continue
            }
            let expected = schema["type"] as? String
            switch value {
            case .string: XCTAssertEqual(expected, "string", name)
            case .bool: XCTAssertEqual(expected, "boolean", name)
            case .number(let d): XCTAssertTrue(expected == "number" || (expected == "integer" && d == d.rounded()), "\(name): \(d)")
            case .array: XCTAssertEqual(expected, "array", name)
            case .object: XCTAssertTrue(expected == "object" || expected == nil, name)
            case .null: break
            }
        }
    }
}
