@testable import DockerCloudCLI
import Foundation
import XCTest

/// The checked-in generated files are exactly what the command table gives now: completions/
/// (`make completions`) and man/ (`make man`).
final class GeneratedFilesTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func checkedIn(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func testCompletionScriptsAreCurrent() throws {
        XCTAssertEqual(try checkedIn("completions/docker-cloud.bash"), ShellCompletion.bash(commandTable), "completions/docker-cloud.bash is stale: run `make completions`")
        XCTAssertEqual(try checkedIn("completions/_docker-cloud"), ShellCompletion.zsh(commandTable), "completions/_docker-cloud is stale: run `make completions`")
    }

    func testManPagesAreCurrent() throws {
        let pages = ManPage.pages(root: commandTable, version: App.version)
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("man").path).filter { $0.hasSuffix(".1") }
        XCTAssertEqual(Set(files), Set(pages.map(\.name)), "man/ holds other pages than the table gives: run `make man`")
        for page in pages {
            XCTAssertEqual(try checkedIn("man/\(page.name)"), page.text, "man/\(page.name) is stale: run `make man`")
        }
    }
}
