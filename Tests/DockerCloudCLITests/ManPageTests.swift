@testable import DockerCloudCLI
import Foundation
import XCTest

/// The man pages against the command table they are generated from: every visible verb, option,
/// default and choice in the right page and section, nothing hidden, stable output, valid
/// examples, and groff's verdict (silent with all warnings on).
final class ManPageTests: XCTestCase {
    static let version = "1.0.9"
    static let groffPath = "/usr/bin/groff"

    func pages(_ root: Command = commandTable) -> [(name: String, text: String)] {
        ManPage.pages(root: root, version: Self.version)
    }

    func page(_ name: String, in pages: [(name: String, text: String)]) -> String {
        guard let text = pages.first(where: { $0.name == name })?.text else {
            XCTFail("no page \(name)")
            return ""
        }
        return text
    }

    static func visible(_ c: Command) -> Bool { !c.hidden && !c.name.hasPrefix("__") }
    static func isNoun(_ c: Command) -> Bool { c.subcommands.contains(where: visible) }

    /// Every visible command without verbs: its words from the program on, and the page it belongs in.
    func leaves(_ root: Command = commandTable) -> [(words: [String], command: Command, page: String)] {
        var out: [(words: [String], command: Command, page: String)] = []
        func walk(_ c: Command, _ words: [String], _ page: String) {
            for sub in c.subcommands where Self.visible(sub) {
                if Self.isNoun(sub) { walk(sub, words + [sub.name], page) } else { out.append((words + [sub.name], sub, page)) }
            }
        }
        for sub in root.subcommands where Self.visible(sub) {
            if Self.isNoun(sub) {
                walk(sub, [root.name, sub.name], "\(root.name)-\(sub.name).1")
            } else {
                out.append(([root.name, sub.name], sub, "\(root.name).1"))
            }
        }
        return out
    }

    /// The roff of `.SS "<words>"`, up to the next .SS or .SH.
    func section(_ text: String, _ words: [String]) -> String? {
        let heading = ".SS \"" + ManPage.escape(words.joined(separator: " ")) + "\"\n"
        guard let start = text.range(of: heading) else { return nil }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\n\\.S[HS] ", options: .regularExpression)?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// The tag line and body line of an option's `.TP` entry in a section.
    func entry(_ section: String, _ o: Option) -> (tag: String, body: String)? {
        let lines = section.components(separatedBy: "\n")
        let long = "\\fB" + ManPage.escape("--" + o.long) + "\\fR"
        for i in 1..<max(1, lines.count - 1) where lines[i - 1] == ".TP" && lines[i].contains(long) {
            return (lines[i], lines[i + 1])
        }
        return nil
    }

    // MARK: - Pages and sections

    func testOnePagePerNounAndTheProgramPage() {
        let pages = pages()
        let nouns = commandTable.subcommands.filter { Self.visible($0) && Self.isNoun($0) }
        XCTAssertEqual(pages.map { $0.name }, ["docker-cloud.1"] + nouns.map { "docker-cloud-\($0.name).1" })
        for noun in ["action", "container", "node", "nodecluster", "repository", "service", "stack", "tag", "trigger"] {
            XCTAssertTrue(pages.contains { $0.name == "docker-cloud-\(noun).1" }, "no page for \(noun)")
        }
        for leaf in ["run", "up", "exec", "event", "login", "version"] {
            XCTAssertFalse(pages.contains { $0.name == "docker-cloud-\(leaf).1" }, "\(leaf) has no verbs, so no page of its own")
        }
        for (name, text) in pages {
            XCTAssertTrue(text.hasPrefix(".TH " + ManPage.escape(String(name.dropLast(2)).uppercased()) + " 1 "), name)
            for heading in [".SH NAME\n", ".SH SYNOPSIS\n", ".SH DESCRIPTION\n", ".SH COMMANDS\n", ".SH \"SEE ALSO\"\n"] {
                XCTAssertTrue(text.contains(heading), "\(name): no \(heading)")
            }
            if name != "docker-cloud.1" {
                XCTAssertTrue(text.contains("\\fBdocker\\-cloud\\fR(1)"), "\(name) does not refer to docker-cloud(1)")
            }
        }
        let root = page("docker-cloud.1", in: pages)
        for heading in ["\"GLOBAL OPTIONS\"", "\"OUTPUT FORMATS\"", "ENVIRONMENT", "FILES", "\"EXIT STATUS\"", "EXAMPLES"] {
            XCTAssertTrue(root.contains(".SH " + heading + "\n"), "docker-cloud.1: no \(heading)")
        }
        // Every noun with its summary, pointing to its page; SEE ALSO lists them all.
        for noun in nouns {
            XCTAssertTrue(root.contains(ManPage.escape(noun.summary)), "\(noun.name)'s summary")
            let reference = "\\fB" + ManPage.escape("docker-cloud-\(noun.name)") + "\\fR(1)"
            XCTAssertTrue(root.contains(reference), "docker-cloud.1 does not refer to \(noun.name)'s page")
            let seeAlso = root.components(separatedBy: ".SH \"SEE ALSO\"\n").last ?? ""
            XCTAssertTrue(seeAlso.contains(reference), "SEE ALSO lacks docker-cloud-\(noun.name)(1)")
        }
        // Verbs of nouns are described in their noun's page only.
        XCTAssertFalse(root.contains(".SS \"docker\\-cloud service"))
    }

    func testEveryVerbOptionDefaultAndChoiceIsInItsSection() {
        let pages = pages()
        var verbs = 0, options = 0
        for (words, command, pageName) in leaves() {
            let text = page(pageName, in: pages)
            guard let section = section(text, words) else {
                XCTFail("\(pageName): no section for \(words.joined(separator: " "))")
                continue
            }
            verbs += 1
            let what = words.joined(separator: " ")
            XCTAssertTrue(text.contains(".SY docker\\-cloud\n" + "\\%\\fB" + ManPage.escape(words.dropFirst().joined(separator: " ")).replacingOccurrences(of: " ", with: "\\ ") + "\\fR"),
                          "\(what) is not in the SYNOPSIS")
            XCTAssertTrue(section.contains(ManPage.escape(command.about)), "\(what): description")
            for alias in command.aliases {
                XCTAssertTrue(section.contains("\\fB" + ManPage.escape((words.dropLast() + [alias]).joined(separator: " ")) + "\\fR"), "\(what): alias \(alias)")
            }
            for p in command.positionals {
                XCTAssertTrue(section.contains("\\fI" + ManPage.escape(p.name) + "\\fR"), "\(what): argument \(p.name)")
                XCTAssertTrue(section.contains(ManPage.escape(p.help)), "\(what): help of \(p.name)")
                for c in p.choices { XCTAssertTrue(section.contains("\\fB" + ManPage.escape(c) + "\\fR"), "\(what): choice \(c) of \(p.name)") }
            }
            for o in command.options where !o.hidden {
                options += 1
                guard let found = entry(section, o) else {
                    XCTFail("\(what): no entry for --\(o.long)")
                    continue
                }
                let tag = found.tag, body = found.body
                let usage = section.components(separatedBy: "\n.YS\n").first ?? ""
                let inUsage = o.short.map { ManPage.escape("-\($0)") } ?? ManPage.escape("--" + o.long)
                XCTAssertTrue(usage.contains("\\fB" + inUsage + "\\fR"), "\(what): --\(o.long) is not in the usage")
                if let s = o.short {
                    XCTAssertTrue(tag.contains("\\fB" + ManPage.escape("-\(s)") + "\\fR, "), "\(what): -\(s) of --\(o.long)")
                }
                if o.kind != .flag {
                    XCTAssertTrue(tag.contains("\\fI" + ManPage.escape(o.metavar ?? "VALUE") + "\\fR"), "\(what): metavar of --\(o.long)")
                }
                XCTAssertTrue(body.contains(ManPage.escape(o.help)), "\(what): help of --\(o.long)")
                XCTAssertEqual(body.contains("May be repeated"), o.kind == .append, "\(what): --\(o.long) may or may not be repeated")
                for c in o.choices {
                    XCTAssertTrue(body.contains("\\fB" + ManPage.escape(c).replacingOccurrences(of: " ", with: "\\ ") + "\\fR"), "\(what): choice \(c) of --\(o.long)")
                }
                if let d = o.defaultValue {
                    XCTAssertTrue(body.contains("Default: \\%\\fB" + ManPage.escape(d) + "\\fR"), "\(what): default of --\(o.long)")
                }
            }
        }
        XCTAssertGreaterThan(verbs, 70)
        XCTAssertGreaterThan(options, 230)

        // Spot checks of the exact form.
        let service = page("docker-cloud-service.1", in: pages)
        let run = section(service, ["docker-cloud", "service", "run"]) ?? ""
        XCTAssertTrue(run.contains(".TP\n\\%\\fB\\-t\\fR, \\%\\fB\\-\\-target\\-num\\-containers\\fR \\%\\fITARGET_NUM_CONTAINERS\\fR\n"))
        XCTAssertTrue(run.contains(".TP\n\\%\\fB\\-\\-no\\-privileged\\fR\n"), "--no-privileged has an entry of its own, as in 1.0.9's service set")
        XCTAssertTrue(run.contains("Choices: \\%\\fBOFF\\fR, \\%\\fBON_SUCCESS\\fR, \\%\\fBALWAYS\\fR."))
        let ps = section(service, ["docker-cloud", "service", "ps"]) ?? ""
        XCTAssertTrue(ps.contains("\\%\\fBPartly\\ running\\fR"))
        XCTAssertTrue(ps.contains("Also answers to \\%\\fBdocker\\-cloud service ls\\fR and \\%\\fBdocker\\-cloud service list\\fR."))
        XCTAssertNotNil(section(service, ["docker-cloud", "service", "env"]), "the nested noun has a section")
        XCTAssertNotNil(section(service, ["docker-cloud", "service", "env", "add"]))
        let actionLs = section(page("docker-cloud-action.1", in: pages), ["docker-cloud", "action", "ls"]) ?? ""
        XCTAssertTrue(actionLs.contains("Default: \\%\\fB25\\fR."))
    }

    func testGlobalOptionsAndProgramSections() {
        let root = page("docker-cloud.1", in: pages())
        let global = root.components(separatedBy: ".SH \"GLOBAL OPTIONS\"\n").last?.components(separatedBy: "\n.SH ").first ?? ""
        XCTAssertTrue(global.contains("\\fB\\-h\\fR, \\%\\fB\\-\\-help\\fR"))
        for o in commandTable.options where !o.hidden {
            XCTAssertNotNil(entry(global, o), "global option --\(o.long)")
        }
        let environment = root.components(separatedBy: ".SH ENVIRONMENT\n").last?.components(separatedBy: "\n.SH ").first ?? ""
        for name in ["DOCKERCLOUD_REST_HOST", "DOCKERCLOUD_STREAM_HOST", "DOCKERCLOUD_NAMESPACE", "DOCKERCLOUD_AUTH", "DOCKERCLOUD_USER",
                     "DOCKERCLOUD_APIKEY", "DOCKERCLOUD_PASS", "DOCKER_CONFIG", "HOME", "NO_COLOR", "http_proxy", "https_proxy", "no_proxy"] {
            XCTAssertTrue(environment.contains("\\%\\fB\(name)\\fR"), "ENVIRONMENT: \(name)")
        }
        // Credentials in order of precedence.
        let credentials = root.components(separatedBy: ".SS Credentials\n").last ?? ""
        let order = ["DOCKERCLOUD_AUTH", "DOCKERCLOUD_APIKEY", "DOCKERCLOUD_PASS", "credsStore"].map { credentials.range(of: $0)?.lowerBound }
        XCTAssertFalse(order.contains(nil), "the credential sources")
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "the order of precedence")
        for name in StackfileLoader.fileNames + ["config.json", ".override"] {
            XCTAssertTrue(root.contains(ManPage.escape(name)), "FILES: \(name)")
        }
        let exit = root.components(separatedBy: ".SH \"EXIT STATUS\"\n").last?.components(separatedBy: "\n.SH ").first ?? ""
        for status in ["0", "2", "3", "exec"] { XCTAssertTrue(exit.contains(".TP\n\\%\\fB\(status)\\fR\n"), "EXIT STATUS \(status)") }
        XCTAssertTrue(exit.contains("Not Authorized"))
        for format in ["table", "json", "template"] { XCTAssertTrue(root.contains("\\fB\(format)\\fR") || root.contains("\\fI\(format)\\fR"), "format \(format)") }
    }

    func testHiddenOptionsAndCommandsAreLeftOut() {
        XCTAssertTrue(commandTable.options.contains { $0.long == "debug" && $0.hidden }, "the table's --debug is hidden")
        var hiddenCommands: [String] = []
        func collect(_ c: Command) {
            for sub in c.subcommands { if Self.visible(sub) { collect(sub) } else { hiddenCommands.append(sub.name) } }
        }
        collect(commandTable)
        for (name, text) in pages() {
            XCTAssertFalse(text.contains(ManPage.escape("--debug")), "\(name) shows --debug")
            XCTAssertFalse(text.lowercased().contains("debug logging"), "\(name) shows --debug's help")
            for hidden in hiddenCommands { XCTAssertFalse(text.contains(ManPage.escape(hidden)), "\(name) shows \(hidden)") }
        }

        // A table of our own: hidden things stay out, at every level.
        let root = Command("prog", summary: "Prog", options: [Option("secret-switch", kind: .flag, help: "Hidden", hidden: true)], subcommands: [
            Command("thing", summary: "Thing operations", subcommands: [
                Command("make", summary: "Make a thing", options: [
                    Option("colour", short: "c", choices: ["red", "dark blue"], defaultValue: "red", help: "The colour"),
                    Option("internal-knob", help: "Hidden too", hidden: true),
                ]),
                Command("__probe", summary: "For programs"),
            ]),
            Command("__complete", summary: "For shells", positionals: [Positional("kind", help: "What")]),
        ])
        let own = ManPage.pages(root: root, version: "0.1")
        XCTAssertEqual(own.map { $0.name }, ["prog.1", "prog-thing.1"])
        for (_, text) in own {
            for word in ["secret", "internal", "__probe", "__complete"] { XCTAssertFalse(text.contains(ManPage.escape(word)), word) }
        }
        let thing = own[1].text
        XCTAssertTrue(thing.contains("\\%\\fB\\-c\\fR, \\%\\fB\\-\\-colour\\fR \\%\\fICOLOUR\\fR"))
        XCTAssertTrue(thing.contains("Choices: \\%\\fBred\\fR, \\%\\fBdark\\ blue\\fR. Default: \\%\\fBred\\fR."))
    }

    func testAFlagAddedToTheTableAppearsAfterOneRegeneration() {
        var table = commandTable
        guard let s = table.subcommands.firstIndex(where: { $0.name == "service" }),
              let r = table.subcommands[s].subcommands.firstIndex(where: { $0.name == "run" }) else {
            return XCTFail("no service run")
        }
        XCTAssertFalse(page("docker-cloud-service.1", in: pages(table)).contains("brand\\-new\\-flag"))
        table.subcommands[s].subcommands[r].options.append(Option("brand-new-flag", short: "Z", kind: .append, help: "A flag added today"))
        let section = section(page("docker-cloud-service.1", in: pages(table)), ["docker-cloud", "service", "run"]) ?? ""
        XCTAssertTrue(section.contains("\\%\\fB\\-Z\\fR, \\%\\fB\\-\\-brand\\-new\\-flag\\fR \\%\\fIBRAND_NEW_FLAG\\fR\nA flag added today. May be repeated"))
        XCTAssertTrue(section.contains("\\%[\\fB\\-Z\\fR\\ \\fIBRAND_NEW_FLAG\\fR]..."), "in the usage")
    }

    func testPagesAreDeterministicAndCleanRoff() {
        let first = pages(), second = pages()
        XCTAssertEqual(first.map { $0.name }, second.map { $0.name })
        XCTAssertEqual(first.map { $0.text }, second.map { $0.text })
        let dated = ManPage.pages(root: commandTable, version: "1.0.9", date: "2017-01-01")
        XCTAssertTrue(dated[0].text.hasPrefix(".TH DOCKER\\-CLOUD 1 2017\\-01\\-01 \"docker\\-cloud 1.0.9\" \"Docker Cloud CLI\"\n"))
        XCTAssertTrue(first[0].text.hasPrefix(".TH DOCKER\\-CLOUD 1 1.0.9 docker\\-cloud \"Docker Cloud CLI\"\n"))

        let requests: Set<String> = ["TH", "SH", "SS", "TP", "PP", "IP", "B", "I", "RS", "RE", "EX", "EE", "SY", "YS", "na", "ad"]
        let bareHyphen = try! NSRegularExpression(pattern: "(^|[^\\\\])-")
        for (name, text) in first {
            XCTAssertTrue(text.hasSuffix("\n"), name)
            for (n, line) in text.dropLast().components(separatedBy: "\n").enumerated() {
                let at = "\(name):\(n + 1): \(line)"
                XCTAssertFalse(line.isEmpty, "empty line at \(at)")
                XCTAssertFalse(line.hasSuffix(" ") || line.hasSuffix("\t"), "trailing whitespace at \(at)")
                XCTAssertFalse(line.hasPrefix("'"), "a control line at \(at)")
                if line.hasPrefix(".") {
                    let request = String(line.dropFirst().prefix { $0 != " " })
                    XCTAssertTrue(requests.contains(request), "unexpected request at \(at)")
                }
                XCTAssertNil(bareHyphen.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), "unescaped hyphen at \(at)")
                XCTAssertTrue(line.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII at \(at)")
            }
        }
        // Escaping: a leading dot or quote cannot become a request; backslashes survive.
        XCTAssertEqual(ManPage.escape("a-b\\c'd\"e"), "a\\-b\\ec\\(aqd\\(dqe")
        var w = ManPage.Writer()
        w.text(".hidden request")
        w.text("'another")
        w.text("tail   ")
        XCTAssertEqual(w.output, "\\&.hidden request\n\\&'another\ntail\n")
    }

    func testExamplesAreValidCommands() throws {
        let root = page("docker-cloud.1", in: pages())
        let parser = Parser(root: commandTable)
        XCTAssertGreaterThanOrEqual(ManPage.examples.count, 5)
        for e in ManPage.examples {
            let line = e.arguments.joined(separator: " ")
            guard case .run(_) = try parser.parse(e.arguments) else { XCTFail("not a command: \(line)"); continue }
            XCTAssertTrue(root.contains(".EX\n" + ManPage.escape(ManPage.shellLine(e, program: "docker-cloud")) + "\n.EE"), line)
        }
    }

    // MARK: - groff

    struct Run { var status: Int32; var out: String; var err: String }

    func groff(_ arguments: [String], _ file: URL) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.groffPath)
        process.arguments = arguments + [file.path]
        let outURL = file.appendingPathExtension("out"), errURL = file.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close(); try err.close()
        return Run(status: process.terminationStatus,
                   out: try String(contentsOf: outURL, encoding: .utf8), err: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// The pages written to a fresh directory (removed at the end of the test).
    func writePages(_ pages: [(name: String, text: String)]) throws -> [(name: String, url: URL)] {
        guard FileManager.default.isExecutableFile(atPath: Self.groffPath) else { throw XCTSkip("groff is not installed") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manpages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return try pages.map { page in
            let url = dir.appendingPathComponent(page.name)
            try page.text.write(to: url, atomically: true, encoding: .utf8)
            return (name: page.name, url: url)
        }
    }

    func testGroffRendersEveryPageWithoutWarnings() throws {
        for (name, url) in try writePages(pages()) {
            for device in [[], ["-Tutf8"], ["-Tascii"]] {
                let run = try groff(["-man", "-ww", "-z"] + device, url)
                XCTAssertEqual(run.status, 0, "groff \(device) \(name)")
                XCTAssertEqual(run.err, "", "groff \(device) \(name)")
            }
        }
    }

    /// What a reader sees: every visible option of every verb, as `-t, --long METAVAR`, in its page.
    func testRenderedPagesShowEveryOption() throws {
        var rendered: [String: String] = [:]
        for (name, url) in try writePages(pages()) {
            let run = try groff(["-man", "-Tascii", "-rLL=250n", "-rHY=0", "-P-c", "-P-b", "-P-u"], url)
            XCTAssertEqual(run.status, 0, name)
            rendered[name] = run.out
        }
        for (words, command, pageName) in leaves() {
            let text = rendered[pageName] ?? ""
            let what = words.joined(separator: " ")
            XCTAssertTrue(text.contains("\n   " + what + "\n"), "\(pageName): no heading for \(what)")
            for alias in command.aliases { XCTAssertTrue(text.contains((words.dropLast() + [alias]).joined(separator: " ")), "\(what): alias \(alias)") }
            for o in command.options where !o.hidden {
                var tag = o.short.map { "-\($0), " } ?? ""
                tag += "--" + o.long + (o.kind == .flag ? "" : " " + (o.metavar ?? "VALUE"))
                XCTAssertTrue(text.contains("\n       " + tag + "\n") || text.contains("\n       " + tag + " "), "\(pageName): \(tag)")
                if let d = o.defaultValue { XCTAssertTrue(text.contains("Default: \(d)."), "\(what): default of --\(o.long)") }
                for c in o.choices { XCTAssertTrue(text.contains(c), "\(what): choice \(c)") }
            }
        }
        for (name, text) in rendered {
            XCTAssertFalse(text.contains("--debug"), "\(name) shows --debug")
            XCTAssertFalse(text.contains("__complete"), "\(name) shows __complete")
        }
    }
}
