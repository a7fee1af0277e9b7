@testable import DockerCloudCLI
import Foundation
import XCTest

/// The command table against docker-cloud 1.0.9's own inventory (Appendix A of the reference):
/// every parser and every option of the original must be there under the same names.
final class CommandTableTests: XCTestCase {
    struct Parser1: Hashable { var path: [String]; var flags: [String] }

    /// Parsers and their option flags, read from the reference document.
    func inventory() throws -> [Parser1] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("../shared/reference/docker-cloud-1.0.9.md"), encoding: .utf8)
        guard let start = text.range(of: "## Appendix A") else { throw XCTSkip("no Appendix A") }
        var parsers: [Parser1] = []
        for line in text[start.upperBound...].split(separator: "\n") {
            if line.hasPrefix("#### `docker-cloud") {
                let name = line.split(separator: "`")[1].split(separator: " ").dropFirst().map(String.init)
                parsers.append(Parser1(path: name, flags: []))
            } else if line.hasPrefix("| `-"), !parsers.isEmpty {
                let flags = line.split(separator: "`")[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                parsers[parsers.count - 1].flags += flags
            } else if line.hasPrefix("## Appendix B") {
                break
            }
        }
        return parsers
    }

    func command(_ path: [String]) -> Command? {
        var c = commandTable
        for name in path { guard let next = c.subcommand(named: name) else { return nil }; c = next }
        return c
    }

    func testEveryParserAndOptionOfTheOriginalIsInTheTable() throws {
        let parsers = try inventory()
        XCTAssertGreaterThan(parsers.count, 80)
        var checked = 0
        for p in parsers {
            guard let c = command(p.path) else { XCTFail("missing command: docker-cloud \(p.path.joined(separator: " "))"); continue }
            for flag in p.flags {
                let found: Bool
                if flag.hasPrefix("--") {
                    let long = String(flag.dropFirst(2))
                    found = (c.options + commandTable.options).contains { $0.long == long }
                } else {
                    let letter = flag.dropFirst().first
                    found = (c.options + commandTable.options).contains { $0.short == letter }
                }
                XCTAssertTrue(found, "docker-cloud \(p.path.joined(separator: " ")): \(flag) is missing")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 190)
    }

    /// The commands beyond 1.0.9, each deliberately added (and listed at the top of CommandTable.swift).
    static let additions: Set<[String]> = [
        ["version"], ["completion"], ["trigger", "call"],
        ["container", "attach"], ["container", "cp"], ["container", "diff"], ["container", "export"], ["container", "kill"],
        ["container", "pause"], ["container", "rename"], ["container", "restart"], ["container", "stats"], ["container", "top"],
        ["container", "unpause"], ["container", "update"], ["container", "wait"],
    ]

    func testEveryCommandBeyondTheOriginalIsAListedAddition() throws {
        let original = Set(try inventory().map(\.path))
        var found: Set<[String]> = [], marked: Set<[String]> = []
        func walk(_ c: Command, _ path: [String]) {
            for s in c.visibleSubcommands {
                let p = path + [s.name]
                if !original.contains(p) { found.insert(p) }
                if s.addition { marked.insert(p) }
                walk(s, p)
            }
        }
        walk(commandTable, [])
        // `addition` is what keeps a command out of 1.0.9's lines in its parent's help.
        XCTAssertEqual(marked.map { $0.joined(separator: " ") }.sorted(), Self.additions.map { $0.joined(separator: " ") }.sorted(), "commands marked addition: true")
        XCTAssertEqual(found.subtracting(Self.additions).map { $0.joined(separator: " ") }.sorted(), [], "commands 1.0.9 did not have and that are not listed as additions")
        XCTAssertEqual(Self.additions.subtracting(found).map { $0.joined(separator: " ") }.sorted(), [], "listed additions the table does not have (or 1.0.9 had)")
        let header = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/DockerCloudCLI/CommandTable.swift"), encoding: .utf8).components(separatedBy: "public let commandTable").first ?? ""
        for addition in Self.additions {
            XCTAssertTrue(header.contains(addition.last!), "\(addition.joined(separator: " ")) is not named in CommandTable.swift's list of additions")
        }
    }

    func testEveryCommandHasHelpAndNoDuplicateNames() {
        func walk(_ c: Command, _ path: [String]) {
            let help = HelpRenderer.render(c, path: path)
            XCTAssertTrue(help.hasPrefix("usage: docker-cloud"), "\(path)")
            var seen = Set<String>()
            for o in c.options {
                XCTAssertTrue(seen.insert("--" + o.long).inserted, "\(path): --\(o.long) twice")
                if let s = o.short { XCTAssertTrue(seen.insert("-\(s)").inserted, "\(path): -\(s) twice") }
                if !o.hidden { XCTAssertTrue(help.contains("--" + o.long), "\(path): --\(o.long) not in help") }
            }
            var names = Set<String>()
            for s in c.subcommands {
                for n in [s.name] + s.aliases { XCTAssertTrue(names.insert(n).inserted, "\(path): \(n) twice") }
                walk(s, path + [s.name])
            }
        }
        walk(commandTable, [])
    }

    func testRealCommandLinesParse() throws {
        let parser = Parser(root: commandTable)
        let lines = [
            "service run -n hello -t 2 --sync busybox",
            "service ps --stack shop -s Running",
            "service ls -q",
            "container logs -f -t 10 web-1",
            "exec web-1 sh -c echo",
            "stack up -n shop -f docker-cloud.yml --sync",
            "nodecluster create -t 3 --disk 60 mycl digitalocean lon1 1gb",
            "service set --no-autoredeploy --tag blue web",
            "trigger call /api/app/v1/service/x/trigger/y/call/",
            "action ls -l 5",
        ]
        for line in lines {
            let outcome = try parser.parse(line.split(separator: " ").map(String.init))
            guard case .run = outcome else { return XCTFail("\(line) did not parse to a command") }
        }
    }
}
