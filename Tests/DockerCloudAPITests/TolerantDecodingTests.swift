import DockerCloudAPI
import XCTest

final class TolerantDecodingTests: XCTestCase {
    struct Row: Codable, Equatable {
        struct Port: Codable, Equatable { var inner_port: Int; var outer_port: Int? }
        var name: String
        var count: Int
        var optionalCount: Int?
        var flag: Bool
        var ports: [Port]
        var labels: [String: String]
        var extra: JSONValue
    }

    func decode(_ json: String) throws -> Row { try TolerantDecoding.decode(Row.self, from: Data(json.utf8)) }

    func testAbsentAndNullTakeEmptyValues() throws {
        let empty = Row(name: "", count: 0, optionalCount: nil, flag: false, ports: [], labels: [:], extra: .null)
        XCTAssertEqual(try decode("{}"), empty)
        XCTAssertEqual(try decode(#"{"name": null, "count": null, "optionalCount": null, "flag": null, "ports": null, "labels": null, "extra": null}"#), empty)
    }

    func testPresentValuesAreKept() throws {
        let row = try decode(#"{"name": "web", "count": 3, "optionalCount": 4, "flag": true, "ports": [{"inner_port": 80}, {"inner_port": "443", "outer_port": 8443}], "labels": {"a": "b", "c": null}, "extra": {"x": [1]}, "unknown": 1}"#)
        XCTAssertEqual(row, Row(name: "web", count: 3, optionalCount: 4, flag: true,
                                ports: [.init(inner_port: 80, outer_port: nil), .init(inner_port: 443, outer_port: 8443)],
                                labels: ["a": "b", "c": ""], extra: .object(["x": .array([.number(1)])])))
    }

    func testWrongTypeNamesItsPath() {
        XCTAssertThrowsError(try decode(#"{"ports": [{"inner_port": 80}, {"inner_port": true}]}"#)) { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }, ["ports", "1", "inner_port"])
        }
        XCTAssertThrowsError(try decode(#"{"name": 5}"#))
        XCTAssertThrowsError(try decode(#"{"count": 2.5}"#))
        XCTAssertThrowsError(try decode(#"{"count": "many"}"#))
        XCTAssertThrowsError(try decode(#"{"ports": {}}"#))
        XCTAssertThrowsError(try decode(#"[]"#))
    }

    func testModelsDecodeFromTheirEmptyObject() throws {
        // Every shared model reads an answer that has none of its attributes (the empty values).
        XCTAssertEqual(try TolerantDecoding.decode(Service.self, from: .object([:])).name, "")
        XCTAssertEqual(try TolerantDecoding.decode(Node.self, from: .object([:])).node_cluster, nil)
        XCTAssertEqual(try TolerantDecoding.decode(ListMeta.self, from: .null).total_count, nil)
        let page = try TolerantDecoding.decode(ListPage<Stack>.self, from: .object(["objects": [.object(["name": "s"])]]))
        XCTAssertEqual(page.objects.map(\.name), ["s"])
        XCTAssertEqual(page.meta.limit, 0)
    }
}
