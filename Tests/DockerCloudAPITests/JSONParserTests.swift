import DockerCloudAPI
import Foundation
import XCTest

/// The direct parser agrees with Codable on every kind of value and rejects what JSON does not allow.
final class JSONParserTests: XCTestCase {
    func testAgreesWithCodable() throws {
        let documents = [
            #"{"a": [1, -2.5, 3e2, 0, -0.0, 1E-3], "b": {"c": null, "d": true, "e": false}, "f": "", "g": []}"#,
            #"[" spaced ", "esc \" \\ \/ \b \f \n \r \t", "\u00e9\u4e2d", "\ud83d\ude00", "ü raw"]"#,
            #"  {"nested": [[[[{}]]]], "big": 12345678901234, "tiny": 1e-300}  "#,
            #""a bare string""#, "42", "null",
        ]
        for text in documents {
            XCTAssertEqual(try JSONValue.parse(Data(text.utf8)), try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), text)
        }
    }

    func testRejectsInvalidDocuments() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "01x", "1.", "-", "\"unterminated", "\"bad \\q escape\"",
                     "\"\u{01} control\"", "[1] 2", "{a: 1}", "\"\\u12\""] {
            XCTAssertThrowsError(try JSONValue.parse(Data(text.utf8)), text)
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(Data(deep.utf8)))
    }
}
