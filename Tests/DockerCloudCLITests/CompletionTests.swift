@testable import DockerCloudCLI
import Foundation
import XCTest

/// The completion scripts carry every visible verb and flag of the command table (GeneratedFilesTests
/// keeps the checked-in copies current; Tests/completion/run.sh proves them in real bash and zsh).
final class CompletionTests: XCTestCase {
    /// The words bash offers for a command path (its `_docker_cloud_flags` or `_docker_cloud_verbs` entry).
    func bashEntry(_ script: String, _ array: String, _ path: [String]) -> Set<String> {
        let section = script.components(separatedBy: "declare -gA \(array)=(\n").last?.components(separatedBy: "\n)").first ?? ""
        let key = "  ['" + (["docker-cloud"] + path).joined(separator: " ") + "']='"
        guard let line = section.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return [] }
        return Set(line.dropFirst(key.count).dropLast().split(separator: " ").map(String.init))
    }

    /// The body of the zsh function for a command path.
    func zshFunction(_ script: String, _ path: [String]) -> String {
        let name = (["_docker-cloud"] + path).joined(separator: "_") + "() {\n"
        return script.components(separatedBy: name).dropFirst().first?.components(separatedBy: "\n}\n").first ?? ""
    }

    func testEveryVisibleFlagAndVerbIsInBothScripts() {
        let bash = ShellCompletion.bash(commandTable), zsh = ShellCompletion.zsh(commandTable)
        for (path, command) in ShellCompletion.commands(commandTable) {
            let flags = bashEntry(bash, "_docker_cloud_flags", path), function = zshFunction(zsh, path)
            XCTAssertFalse(function.isEmpty, "no zsh function for \(path)")
            for option in command.options {
                for form in ["--\(option.long)"] + (option.short.map { ["-\($0)"] } ?? []) {
                    XCTAssertEqual(flags.contains(form), !option.hidden, "\(path) \(form) in bash")
                    // zsh spells a form as `'--x[`, `'--x=[`, `-x+`, `--x=` inside {...}, or `-x,`.
                    let inZsh = ["'\(form)[", "'\(form)=[", "'*\(form)=[", "{\(form),", "{\(form)+,", ",\(form)}", ",\(form)=}"].contains { function.contains($0) }
                    XCTAssertEqual(inZsh, !option.hidden, "\(path) \(form) in zsh")
                }
            }
            let verbs = bashEntry(bash, "_docker_cloud_verbs", path)
            for verb in command.subcommands {
                XCTAssertEqual(verbs.contains(verb.name), !verb.hidden, "\(path) \(verb.name) in bash")
                XCTAssertEqual(function.contains("'\(verb.name):"), !verb.hidden, "\(path) \(verb.name) in zsh")
            }
        }
    }

    func testAFlagAddedToTheTableAppearsInBothScripts() {
        var table = commandTable
        let service = table.subcommands.firstIndex { $0.name == "service" }!
        let ps = table.subcommands[service].subcommands.firstIndex { $0.name == "ps" }!
        table.subcommands[service].subcommands[ps].options.append(Option("colour", choices: ["auto", "always", "never"], help: "When to colour"))
        XCTAssertTrue(ShellCompletion.bash(table).contains("['docker-cloud service ps --colour']='choices:auto|always|never'"))
        XCTAssertTrue(ShellCompletion.zsh(table).contains("'--colour=[When to colour]:COLOUR:(auto always never)'"))
    }
}
