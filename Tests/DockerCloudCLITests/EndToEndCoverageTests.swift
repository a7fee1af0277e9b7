@testable import DockerCloudCLI
import Foundation
import XCTest

/// The end-to-end cases (Tests/e2e/cases.sh, run by `make test` against a real server) exercise
/// every leaf command of the table: a verb added without a golden case fails here.
final class EndToEndCoverageTests: XCTestCase {
    func leafPaths(_ command: Command, _ path: [String] = []) -> [[String]] {
        if command.subcommands.isEmpty { return [path] }
        // Hidden entry points have their own tests (Tests/completion, the man page tests).
        return command.visibleSubcommands.flatMap { leafPaths($0, path + [$0.name]) }
    }

    /// The command path a `run NAME [--stdin X] [--env X] ARGS...` line invokes (aliases resolved).
    func invokedPath(_ words: [String]) -> [String] {
        var rest = Array(words.dropFirst(2))
        while let first = rest.first, first == "--stdin" || first == "--env" { rest.removeFirst(min(2, rest.count)) }
        var command = commandTable, path: [String] = []
        for word in rest {
            guard let sub = command.subcommand(named: word) else { break }
            path.append(sub.name)
            command = sub
        }
        return path
    }

    /// Every command of the table runs something: a verb without a handler would only say "not available".
    func testEveryLeafCommandHasAHandler() {
        func leaves(_ command: Command, _ path: [String]) -> [String] {
            command.subcommands.isEmpty ? [path.joined(separator: " ")] : command.subcommands.flatMap { leaves($0, path + [$0.name]) }
        }
        let all = leaves(commandTable, [])
        XCTAssertEqual(all.filter { App.handlers[$0] == nil }, [], "commands without a handler in App.handlers")
        XCTAssertEqual(Set(App.handlers.keys).subtracting(all).sorted(), [], "handlers for commands the table does not have")
    }

    func testEveryLeafCommandHasAnEndToEndCase() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let cases = try String(contentsOf: root.appendingPathComponent("Tests/e2e/cases.sh"), encoding: .utf8)
        var covered: Set<[String]> = []
        for line in cases.split(separator: "\n") where line.hasPrefix("run ") {
            covered.insert(invokedPath(line.split(separator: " ").map(String.init)))
        }
        let missing = leafPaths(commandTable).filter { !covered.contains($0) }.map { $0.joined(separator: " ") }
        XCTAssertEqual(missing, [], "leaf commands without an end-to-end case in Tests/e2e/cases.sh")
    }
}
