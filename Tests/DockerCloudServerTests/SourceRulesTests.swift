import Foundation
import XCTest

/// Issue 10: nothing a request reaches may trap. The server, the Engine API client and the shared
/// models have no `try!`, `fatalError`, `precondition`, forced cast or force unwrap, except the two
/// forms below, each safe where it stands. A new one fails here with its file and line.
final class SourceRulesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checked = ["Sources/DockerCloudServer", "Sources/DockerEngineAPI", "Sources/DockerCloudAPI"]
    static let trap = try! NSRegularExpression(pattern: #"try!|fatalError\(|precondition\(|preconditionFailure\(|\bas!|[\w\)\]]!(?!=)"#)
    static let stringLiteral = try! NSRegularExpression(pattern: #""(?:[^"\\]|\\.)*""#)

    /// The pointer of a buffer known not to be empty; a cast right after `T.self == X.self` proved it.
    static func allowed(_ match: String, in line: String) -> Bool {
        (match.hasSuffix("s!") && line.contains("baseAddress!")) || (match == "as!" && line.contains("T.self == "))
    }

    func testNothingReachableFromARequestCanTrap() throws {
        var found: [String] = []
        for dir in Self.checked {
            let base = Self.root.appendingPathComponent(dir)
            let files = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            XCTAssertFalse(files.isEmpty, "no sources under \(dir)")
            for file in files {
                let text = try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
                for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    var line = raw.trimmingCharacters(in: .whitespaces)
                    if line.hasPrefix("//") { continue }
                    line = Self.stringLiteral.stringByReplacingMatches(in: line, range: NSRange(line.startIndex..., in: line), withTemplate: "\"\"")
                    if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }
                    for m in Self.trap.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
                        guard let r = Range(m.range, in: line) else { continue }
                        let match = String(line[r])
                        if !Self.allowed(match, in: line) { found.append("\(dir)/\(file):\(number + 1): \(match) in \(line)") }
                    }
                }
            }
        }
        XCTAssertEqual(found, [], "traps reachable from requests:\n" + found.joined(separator: "\n"))
    }

    /// The rule itself: it sees what it is meant to see.
    func testTheRuleFindsTraps() {
        for bad in ["let x = try! f()", "fatalError(\"no\")", "let y = dict[k]!", "let z = f()!.a", "let w = v as! Int"] {
            XCTAssertEqual(Self.trap.numberOfMatches(in: bad, range: NSRange(bad.startIndex..., in: bad)), 1, bad)
        }
        for fine in ["if a != b {}", "guard !x else {}", "let s = \"wow!\""] {
            let stripped = Self.stringLiteral.stringByReplacingMatches(in: fine, range: NSRange(fine.startIndex..., in: fine), withTemplate: "\"\"")
            XCTAssertEqual(Self.trap.numberOfMatches(in: stripped, range: NSRange(stripped.startIndex..., in: stripped)), 0, fine)
        }
    }
}
