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

    func testAttributesATypeReads() {
        XCTAssertEqual(TolerantDecoding.attributes(of: Row.self), ["name", "count", "optionalCount", "flag", "ports", "labels", "extra"])
        XCTAssertNil(TolerantDecoding.attributes(of: JSONValue.self))
        XCTAssertNil(TolerantDecoding.attributes(of: [String: String].self), "a dictionary reads whatever is there")
    }

    func testPagesKeepOnlyWhatTheirObjectsRead() throws {
        let page = #"{"meta": {"limit": 2, "total_count": 2, "extra": [1, {"x": "y"}]}, "objects": [{"name": "a", "big": {"deep": [1, 2.5e3, -0.5, "s\"q", null, true, false]}, "count": 1}, {"na\u006de": "b", "count": 2, "unused": "x"}]}"#
        let document = try JSONValue.parsePage(Data(page.utf8), objectKeys: ["name", "count"])
        XCTAssertEqual(document["objects"], [.object(["name": "a", "count": 1]), .object(["name": "b", "count": 2])],
                       "other attributes are skipped; an escaped key is still recognised")
        XCTAssertEqual(document["meta"]?["extra"], [1, .object(["x": "y"])], "meta is kept whole")
        // What is skipped is still checked: an answer that is not JSON stays an error.
        for broken in [#"{"objects": [{"big": {"a" 1}}]}"#, #"{"objects": [{"big": [1,]}]}"#, #"{"objects": [{"big": "a\#u{1}b"}]}"#,
                       #"{"objects": [{"big": -}]}"#, #"{"objects": [{"big": tru}]}"#, #"{"objects": [{"big": "open}]}"#] {
            XCTAssertThrowsError(try JSONValue.parsePage(Data(broken.utf8), objectKeys: ["name"]), broken)
        }
    }
}
