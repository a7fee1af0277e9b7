@testable import DockerCloudCLI
import Foundation
import XCTest

/// Every `--help` text of docker-cloud 1.0.9 (shared/reference/help, captured from the original)
/// against ours: without our additions ours is the same text byte for byte, and with them it is
/// the same lines in the same order plus whole lines that belong to a listed addition only.
final class HelpReferenceTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/reference/help").standardizedFileURL

    /// argparse's width when $COLUMNS is unset (80 - 2), as the references were captured.
    static let width = 78

    /// Options beyond 1.0.9, by long name, with the commands (of 1.0.9's) that may show them.
    static let addedOptions: [String: @Sendable (_ path: [String], _ reference: String) -> Bool] = [
        "format": { path, _ in ["inspect", "ls", "ps", "az", "nodetype", "provider", "region"].contains(path.last ?? "") },
        "timeout": { _, reference in reference.contains("[--sync]") },
        "password-stdin": { path, _ in path == ["repository", "register"] || path == ["repository", "update"] },
        "no-privileged": { path, _ in [["run"], ["service", "create"], ["service", "run"]].contains(path) },
        "no-autoredeploy": { path, _ in [["run"], ["service", "create"], ["service", "run"]].contains(path) },
        "no-sequential": { path, _ in [["run"], ["service", "create"], ["service", "run"]].contains(path) },
        "reschedule": { path, _ in [["run"], ["service", "create"], ["service", "run"], ["service", "set"]].contains(path) },
        "no-reschedule": { path, _ in [["run"], ["service", "create"], ["service", "run"], ["service", "set"]].contains(path) },
        "nodecluster": { path, _ in path == ["node", "byo"] },
    ]

    struct Reference { var name: String; var path: [String]; var text: String }

    func references() throws -> [Reference] {
        let dir = Self.directory
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("no reference help texts at \(dir.path)") }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".txt") }.sorted()
        return try names.map { name in
            // docker-cloud_service_env_add.txt is `docker-cloud service env add --help`.
            let path = name.dropLast(4).split(separator: "_").dropFirst().map(String.init)
            return Reference(name: name, path: path, text: try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))
        }
    }

    func command(_ path: [String]) -> Command? {
        var c = commandTable
        for name in path {
            guard let next = c.subcommands.first(where: { $0.name == name }) else { return nil }
            c = next
        }
        return c
    }

    // MARK: - The checks, as functions that return what is wrong (empty: nothing)

    /// Ours without the additions is the reference, byte for byte.
    func exactProblems(_ reference: Reference, _ command: Command) -> [String] {
        let ours = HelpRenderer.render(command, path: reference.path, width: Self.width, additions: false)
        guard ours != reference.text else { return [] }
        let o = ours.components(separatedBy: "\n"), r = reference.text.components(separatedBy: "\n")
        let k = zip(o, r).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(o.count, r.count)
        return ["\(reference.name): without additions, line \(k + 1) is \(k < o.count ? "'\(o[k])'" : "missing"), 1.0.9 has \(k < r.count ? "'\(r[k])'" : "nothing")"]
    }

    /// Ours with the additions: every reference line, in order, and between them only whole lines
    /// of listed additions (usage parts, option entries, verbs, aliases, and their continuation lines).
    func additionProblems(_ reference: Reference, _ command: Command, ours: String) -> [String] {
        let o = ours.components(separatedBy: "\n"), r = reference.text.components(separatedBy: "\n")
        let usageEnd = o.firstIndex(of: "") ?? o.count
        var problems: [String] = []
        var j = 0
        var continuing = false
        for (i, line) in o.enumerated() {
            if j < r.count && line == r[j] { j += 1; continuing = false; continue }
            let why: String?
            let leading = line.prefix { $0 == " " }.count
            if i < usageEnd {
                why = usageLineProblem(line, reference, command)
                continuing = false
            } else if leading == 2 && line.dropFirst(2).hasPrefix("-") {
                why = optionEntryProblem(line, reference, command)
                continuing = why == nil
            } else if leading == 4 {
                why = verbEntryProblem(line, reference, command, previousVerb: o[..<i].last { $0.prefix { $0 == " " }.count == 4 })
                continuing = why == nil
            } else if continuing && leading > 4 && leading < line.count {
                why = nil
            } else {
                why = "not a line of 1.0.9's nor of a listed addition"
            }
            if let why { problems.append("\(reference.name): line \(i + 1) '\(line)': \(why)") }
        }
        if j < r.count { problems.append("\(reference.name): 1.0.9's line \(j + 1) '\(r[j])' is not in ours (in order)") }
        return problems
    }

    /// A usage line of ours alone: indented `[...]` parts of added options, nothing else.
    func usageLineProblem(_ line: String, _ reference: Reference, _ command: Command) -> String? {
        let body = line.drop { $0 == " " }
        guard line.hasPrefix(" "), !body.isEmpty else { return "an extra usage line must be indented parts" }
        let parts = HelpRenderer.usageParts(String(body))
        guard parts.joined(separator: " ") == body else { return "not usage parts" }
        for part in parts {
            guard part.hasPrefix("["), part.hasSuffix("]") else { return "'\(part)' is not an option's usage" }
            let flag = part.dropFirst().dropLast().split(separator: " ").first.map(String.init) ?? ""
            if let problem = addedOptionProblem(flag, reference, command) { return problem }
            guard let option = lookup(flag, command), part == HelpRenderer.usagePart(option) else { return "'\(part)' is not how usage shows \(flag)" }
        }
        return nil
    }

    /// `  -o FORMAT, --format FORMAT   help...`: every form of one added option, as help shows them.
    func optionEntryProblem(_ line: String, _ reference: Reference, _ command: Command) -> String? {
        let body = line.dropFirst(2)
        let invocation = body.range(of: "  ").map { String(body[..<$0.lowerBound]) } ?? String(body)
        let flags = invocation.components(separatedBy: ", ").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        for flag in flags {
            if let problem = addedOptionProblem(flag, reference, command) { return problem }
        }
        guard let option = lookup(flags[0], command), invocation == HelpRenderer.invocation(option) else { return "'\(invocation)' is not one option's names" }
        return nil
    }

    /// `    attach   summary` of a listed added verb, or `    ls, list   Same as ps` after `ps`.
    func verbEntryProblem(_ line: String, _ reference: Reference, _ command: Command, previousVerb: String?) -> String? {
        let body = line.dropFirst(4)
        let name = body.range(of: "  ").map { String(body[..<$0.lowerBound]) } ?? String(body)
        if CommandTableTests.additions.contains(reference.path + [name]) { return nil }
        let before = previousVerb.map { $0.dropFirst(4).prefix { $0 != " " } }.map(String.init) ?? ""
        let aliases = command.subcommands.first { $0.name == before }?.aliases ?? []
        let help = body.dropFirst(name.count).drop { $0 == " " }
        if !aliases.isEmpty, name == aliases.joined(separator: ", "), help == "Same as \(before)" { return nil }
        return "'\(name)' is not a listed added verb nor the aliases of the verb before it"
    }

    func addedOptionProblem(_ flag: String, _ reference: Reference, _ command: Command) -> String? {
        guard let option = lookup(flag, command) else { return "\(flag) is no option of this command" }
        guard let allowed = Self.addedOptions[option.long], allowed(reference.path, reference.text) else {
            return "--\(option.long) is not a listed addition here"
        }
        return nil
    }

    func lookup(_ flag: String, _ command: Command) -> Option? {
        command.options.first { flag == "--" + $0.long || (flag.count == 2 && $0.short.map { "-\($0)" } == flag) }
    }

    // MARK: - Tests

    func testEveryReferenceHelpIsOursWithoutTheAdditions() throws {
        let refs = try references()
        XCTAssertGreaterThan(refs.count, 80)
        for ref in refs {
            guard let c = command(ref.path) else { XCTFail("\(ref.name): no command \(ref.path)"); continue }
            for p in exactProblems(ref, c) { XCTFail(p) }
        }
    }

    func testOurHelpIsTheReferencePlusListedAdditionsOnly() throws {
        var extra = 0
        for ref in try references() {
            guard let c = command(ref.path) else { XCTFail("\(ref.name): no command \(ref.path)"); continue }
            let ours = HelpRenderer.render(c, path: ref.path, width: Self.width)
            for p in additionProblems(ref, c, ours: ours) { XCTFail(p) }
            extra += ours.components(separatedBy: "\n").count - ref.text.components(separatedBy: "\n").count
        }
        XCTAssertGreaterThan(extra, 100, "the additions are shown")
    }

    /// The checks themselves: one character changed on any line of any reference fails both.
    func testTheChecksCatchAOneCharacterChange() throws {
        var tried = 0
        for ref in try references() {
            guard let c = command(ref.path) else { continue }
            let ours = HelpRenderer.render(c, path: ref.path, width: Self.width)
            var lines = ref.text.components(separatedBy: "\n")
            lines.removeLast()  // after the final newline
            for k in lines.indices {
                var changed = lines
                var chars = Array(changed[k])
                if chars.isEmpty { chars = ["x"] } else {
                    let at = chars.count / 2
                    chars[at] = chars[at] == "#" ? "+" : "#"
                }
                changed[k] = String(chars)
                let mutated = Reference(name: ref.name, path: ref.path, text: changed.joined(separator: "\n") + "\n")
                XCTAssertFalse(exactProblems(mutated, c).isEmpty, "\(ref.name) line \(k + 1) changed, the exact check passed")
                XCTAssertFalse(additionProblems(mutated, c, ours: ours).isEmpty, "\(ref.name) line \(k + 1) changed, the additions check passed")
                tried += 1
            }
        }
        XCTAssertGreaterThan(tried, 1000)
    }

    /// An addition's text must not be appended to a line of 1.0.9's, nor an unlisted option shown.
    func testTheAdditionsCheckRejectsWhatIsNotListed() throws {
        guard let ref = try references().first(where: { $0.path == ["service", "set"] }), let c = command(ref.path) else { return XCTFail("no service set") }
        let ours = HelpRenderer.render(c, path: ref.path, width: Self.width)
        XCTAssertEqual(additionProblems(ref, c, ours: ours), [])
        let appended = ours.replacingOccurrences(of: "  --pid PID             PID namespace to use\n", with: "  --pid PID             PID namespace to use (or host)\n")
        XCTAssertFalse(additionProblems(ref, c, ours: appended).isEmpty, "text appended to a 1.0.9 line")
        let unlisted = ours.replacingOccurrences(of: "  --pid PID ", with: "  --redeploy            Again\n  --pid PID ")
        XCTAssertFalse(additionProblems(ref, c, ours: unlisted).isEmpty, "a 1.0.9 option shown twice as if added")
        let usage = ours.replacingOccurrences(of: "[--timeout SECONDS]", with: "[--timeout SECONDS] [--net NET]")
        XCTAssertFalse(additionProblems(ref, c, ours: usage).isEmpty, "a 1.0.9 option in the added usage line")
        let continued = ours.replacingOccurrences(of: "                        wait forever)\n", with: "                        wait forever)\n                        and more\n")
        XCTAssertEqual(additionProblems(ref, c, ours: continued), [], "continuation lines of an added entry are its own")
        let stray = ours.replacingOccurrences(of: "  --pid PID ", with: "                        stray\n  --pid PID ")
        XCTAssertEqual(additionProblems(ref, c, ours: stray).isEmpty, false, "an indented line after a 1.0.9 line is not an addition's")
    }
}
