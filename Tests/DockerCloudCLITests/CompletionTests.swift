@testable import DockerCloudCLI
import Foundation
import XCTest

/// The completion scripts carry every visible verb and flag of the command table (GeneratedFilesTests
/// keeps the checked-in copies current; Tests/completion/run.sh proves them in real bash and zsh).
final class CompletionTests: XCTestCase {
    func testEveryVisibleFlagAndVerbIsInBothScripts() {
        let bash = ShellCompletion.bash(commandTable), zsh = ShellCompletion.zsh(commandTable)
        for (path, command) in ShellCompletion.commands(commandTable) {
            for option in command.options where !option.hidden {
                for form in ["--\(option.long)"] + (option.short.map { ["-\($0)"] } ?? []) {
                    XCTAssertTrue(bash.contains(form), "\(path) \(form) missing from bash")
                    XCTAssertTrue(zsh.contains(form), "\(path) \(form) missing from zsh")
                }
            }
            for verb in command.subcommands {
                XCTAssertEqual(zsh.contains("'\(verb.name):"), !verb.hidden, "\(path) \(verb.name) in zsh")
            }
        }
        // Hidden things are not offered: --debug, and the __complete entry point as a command.
        XCTAssertFalse(bash.contains("--debug") || zsh.contains("--debug"))
        let rootVerbs = bash.split(separator: "\n").first { $0.hasPrefix("  ['docker-cloud']=") } ?? ""
        XCTAssertTrue(rootVerbs.contains(" completion"))
        XCTAssertFalse(rootVerbs.contains("__complete"))
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
