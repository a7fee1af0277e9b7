@testable import DockerCloudCLI
import XCTest

/// The parser against a small table with every shape the real one uses.
final class ParserTests: XCTestCase {
    let table = Command("docker-cloud", summary: "Docker Cloud CLI", options: [
        Option("version", short: "v", kind: .flag, help: "show program's version number and exit"),
        Option("debug", kind: .flag, help: "(suppressed)", hidden: true),
    ], subcommands: [
        Command("service", summary: "Service-related operations", subcommands: [
            Command("ps", aliases: ["ls", "list"], summary: "List services", options: [
                Option("quiet", short: "q", kind: .flag, help: "Print only long UUIDs"),
                Option("status", short: "s", choices: ["Running", "Stopped"], help: "Filter by status"),
                Option("stack", help: "Filter by stack", completion: .stack),
            ]),
            Command("run", summary: "Create and run a new service", options: [
                Option("name", short: "n", help: "A name"),
                Option("target-num-containers", short: "t", help: "How many", integer: true),
                Option("env", short: "e", kind: .append, help: "Variables"),
                Option("autoredeploy", kind: .flag, help: "Redeploy on push"),
                Option("autoredeploy", kind: .flag, help: "Redeploy on push").negation(help: "Do not redeploy on push"),
                Option("sync", kind: .flag, help: "Wait"),
            ], positionals: [Positional("image", help: "The image")]),
            Command("scale", summary: "Scale", positionals: [
                Positional("identifier", help: "Service"), Positional("target_num_containers", help: "Count", integer: true)]),
            Command("stop", summary: "Stop", positionals: [Positional("identifier", .oneOrMore, help: "Services")]),
        ]),
        Command("exec", summary: "Run a command", positionals: [
            Positional("identifier", help: "Container"), Positional("command", .remainder, help: "Command")]),
    ])

    func run(_ args: String) throws -> Invocation {
        guard case .run(let inv) = try Parser(root: table).parse(args.split(separator: " ").map(String.init)) else {
            XCTFail("not a run: \(args)"); throw UsageError(path: [], message: "")
        }
        return inv
    }

    func error(_ args: String) -> String {
        do { _ = try Parser(root: table).parse(args.split(separator: " ").map(String.init)); return "" } catch { return "\(error)" }
    }

    func testOptionForms() throws {
        var inv = try run("service run -n web -t3 -e A=1 --env=B=2 --env C=3 --sync busybox")
        XCTAssertEqual(inv.path, ["service", "run"])
        XCTAssertEqual(inv.value("name"), "web")
        XCTAssertEqual(inv.value("target_num_containers"), "3")
        XCTAssertEqual(inv.values("env"), ["A=1", "B=2", "C=3"])
        XCTAssertEqual(inv.flag("sync"), true)
        XCTAssertEqual(inv.positional("image"), ["busybox"])
        inv = try run("service run --no-autoredeploy --target 2 busybox")
        XCTAssertEqual(inv.flag("autoredeploy"), false)
        XCTAssertEqual(inv.value("target_num_containers"), "2", "unambiguous prefixes work as in argparse")
        inv = try run("service ls -qs Running")
        XCTAssertEqual(inv.path, ["service", "ps"], "aliases resolve to the canonical verb")
        XCTAssertEqual(inv.flag("quiet"), true)
        XCTAssertEqual(inv.value("status"), "Running")
        inv = try run("service stop -- -weird web")
        XCTAssertEqual(inv.positional("identifier"), ["-weird", "web"])
        inv = try run("--debug service scale web 3")
        XCTAssertEqual(inv.flag("debug"), true)
        XCTAssertEqual(inv.positional("target_num_containers"), ["3"])
    }

    func testRemainderTakesEverythingAfterItsStart() throws {
        let inv = try run("exec web-1 ls -la --color")
        XCTAssertEqual(inv.positional("identifier"), ["web-1"])
        XCTAssertEqual(inv.positional("command"), ["ls", "-la", "--color"])
        XCTAssertEqual(try run("exec web-1").positional("command"), [])
    }

    func testHelpAndVersion() throws {
        guard case .help(let path, _) = try Parser(root: table).parse(["service", "run", "-t", "2", "-h"]) else { return XCTFail() }
        XCTAssertEqual(path, ["service", "run"])
        guard case .help(let nounPath, _) = try Parser(root: table).parse(["service"]) else { return XCTFail("a bare noun prints its help") }
        XCTAssertEqual(nounPath, ["service"])
        guard case .version = try Parser(root: table).parse(["-v"]) else { return XCTFail() }
        let help = HelpRenderer.render(table.subcommand(named: "service")!.subcommand(named: "run")!, path: ["service", "run"])
        XCTAssertTrue(help.hasPrefix("usage: docker-cloud service run [-h] [-n NAME]"), help)
        XCTAssertTrue(help.contains("\n  --autoredeploy        Redeploy on push\n  --no-autoredeploy     Do not redeploy on push\n"), help)
        XCTAssertTrue(help.contains("\npositional arguments:\n  image                 The image\n"), help)
        XCTAssertFalse(HelpRenderer.render(table, path: []).contains("--debug"), "hidden options stay hidden")
    }

    /// Worded as 1.0.9's argparse (Python 2.7) worded them; unknown options and extra words are the
    /// top-level parser's to report, as there.
    func testErrorsAreArgparses() {
        XCTAssertEqual(error("sevice ps"), "docker-cloud: error: argument cmd: invalid choice: 'sevice' (choose from 'exec', 'service')")
        XCTAssertEqual(error("service pss"), "docker-cloud service: error: argument subcmd: invalid choice: 'pss' (choose from 'ps', 'run', 'scale', 'stop')")
        XCTAssertEqual(error("service run --nmae x busybox"), "docker-cloud: error: unrecognized arguments: --nmae")
        XCTAssertEqual(error("service ps -Z"), "docker-cloud: error: unrecognized arguments: -Z")
        XCTAssertEqual(error("service run -t many busybox"), "docker-cloud service run: error: argument -t/--target-num-containers: invalid int value: 'many'")
        XCTAssertEqual(error("service ps -s Dancing"), "docker-cloud service ps: error: argument -s/--status: invalid choice: 'Dancing' (choose from 'Running', 'Stopped')")
        XCTAssertEqual(error("service run -n x"), "docker-cloud service run: error: too few arguments")
        XCTAssertEqual(error("service run a b"), "docker-cloud: error: unrecognized arguments: b")
        XCTAssertEqual(error("service run -n"), "docker-cloud service run: error: argument -n/--name: expected one argument")
        XCTAssertEqual(error("service stop --"), "docker-cloud service stop: error: too few arguments")
        guard case .help(let bare, _) = try? Parser(root: table).parse(["service", "stop"]) else { return XCTFail("a bare verb that needs arguments prints its help, as 1.0.9 did") }
        XCTAssertEqual(bare, ["service", "stop"])
        XCTAssertEqual(error("service scale web x"), "docker-cloud service scale: error: argument target_num_containers: invalid int value: 'x'")
        XCTAssertEqual(error("service run --sync=yes busybox"), "docker-cloud service run: error: argument --sync: ignored explicit argument 'yes'")
    }

    func testRequiredOptionsAndNegations() throws {
        let parser = Parser(root: commandTable)
        XCTAssertThrowsError(try parser.parse(["tag", "add", "web"])) {
            XCTAssertEqual("\($0)", "docker-cloud tag add: error: argument -t/--tag is required")
        }
        guard case .run(let set) = try parser.parse(["service", "set", "--privileged", "--no-priv", "--no-auto", "web"]) else { return XCTFail() }
        XCTAssertEqual(set.flag("privileged"), false, "the last of --privileged/--no-privileged wins (one dest)")
        XCTAssertEqual(set.flag("autoredeploy"), false, "a prefix of --no-autoredeploy is --no-autoredeploy")
        XCTAssertThrowsError(try parser.parse(["service", "set", "--no", "web"]))
    }
}
