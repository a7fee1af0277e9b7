@testable import DockerCloudCLI
import DockerCloudAPI
import Foundation
import XCTest

/// The service-definition flags become the request bodies docker-cloud 1.0.9 sent
/// (shared/reference/samples/service_create.reqs.txt), and bad values its messages.
final class ServiceInputTests: XCTestCase {
    func invocation(_ args: [String]) throws -> Invocation {
        guard case .run(let inv) = try Parser(root: commandTable).parse(["service", "create"] + args + ["busybox"]) else {
            throw CommandError(description: "not a run")
        }
        return inv
    }

    func error(_ args: [String]) -> String {
        do { _ = try ServiceInput.attributes(try invocation(args), forCreate: true) { _ in "" }; return "" } catch { return "\(error)" }
    }

    func testTheRecordedCreateBody() throws {
        let inv = try invocation(["-n", "myweb", "--cpushares", "512", "--memory", "256", "--privileged", "-t", "3", "-r", "python app.py",
                                  "--entrypoint", "/bin/sh", "-p", "80:8080/udp", "-p", "443", "--expose", "9000", "--expose", "443",
                                  "-e", "A=1", "-e", "B=two=2", "-e", "FOO=baz", "--tag", "t1", "--tag", "t2",
                                  "--link-service", "db:mysql", "--link-service", "web.mystack:w", "--autodestroy", "ALWAYS",
                                  "--autoredeploy", "--autorestart", "ON_FAILURE", "--role", "global", "--sequential",
                                  "-v", "/data", "-v", "/host:/c:ro", "-v", "/h2:/c2", "--volumes-from", "db",
                                  "--deployment-strategy", "HIGH_AVAILABILITY", "--net", "host", "--pid", "host"])
        var body = try ServiceInput.attributes(inv, forCreate: true) { id in "/api/app/v1/service/\(id)-uuid/" }
        body["image"] = "alice/app:1.0"
        let recorded = """
        {"autodestroy": "ALWAYS", "autoredeploy": true, "autorestart": "ON_FAILURE", "bindings": [{"container_path": "/data"}, {"container_path": "/c", "host_path": "/host", "rewritable": false}, {"container_path": "/c2", "host_path": "/h2"}, {"volumes_from": "/api/app/v1/service/db-uuid/"}], "container_envvars": [{"key": "A", "value": "1"}, {"key": "B", "value": "two=2"}, {"key": "FOO", "value": "baz"}], "container_ports": [{"inner_port": "8080", "outer_port": "80", "protocol": "udp", "published": true}, {"inner_port": "443", "protocol": "tcp", "published": true}, {"inner_port": "9000", "protocol": "tcp", "published": false}], "cpu_shares": 512, "deployment_strategy": "HIGH_AVAILABILITY", "entrypoint": "/bin/sh", "image": "alice/app:1.0", "linked_to_service": [{"name": "mysql", "to_service": "db"}, {"name": "w", "to_service": "web.mystack"}], "memory": 256, "name": "myweb", "net": "host", "pid": "host", "privileged": true, "roles": ["global"], "run_command": "python app.py", "sequential_deployment": true, "tags": [{"name": "t1"}, {"name": "t2"}], "target_num_containers": 3}
        """
        XCTAssertEqual(JSONValue.object(body), try JSONDecoder().decode(JSONValue.self, from: Data(recorded.utf8)))
    }

    func testCreateAlwaysSendsTheDefaultsAndSetOnlyWhatWasGiven() throws {
        let created = try ServiceInput.attributes(try invocation([]), forCreate: true) { _ in "" }
        XCTAssertEqual(created, ["privileged": false, "autoredeploy": false, "sequential_deployment": false, "container_ports": [],
                                 "container_envvars": [], "linked_to_service": [], "tags": [], "bindings": []])
        guard case .run(let set) = try Parser(root: commandTable).parse(["service", "set", "--no-autoredeploy", "-t", "0", "web"]) else { return XCTFail() }
        XCTAssertEqual(try ServiceInput.attributes(set, forCreate: false) { _ in "" }, ["autoredeploy": false], "-t 0 is ignored on set, as in 1.0.9")
    }

    func testEnvironmentFilesComeFirstAndTheLastValueWins() throws {
        let file = NSTemporaryDirectory() + "env-\(getpid())"
        try "# comment\n\n  A=from-file  \nB=1\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let vars = try ServiceInput.environment(try invocation(["-e", "A=flag", "--env-file", file, "-e", "C=3"]))
        XCTAssertEqual(vars.map { "\($0.key)=\($0.value)" }, ["A=flag", "B=1", "C=3"])
        XCTAssertEqual(error(["--env-file", "/nonexistent/env"]), "Cannot read the environment file '/nonexistent/env': no such file")
    }

    func command(_ path: [String]) -> Command {
        path.reduce(commandTable) { $0.subcommand(named: $1)! }
    }

    /// The definition options of every verb that takes one: each sets its own attribute and only
    /// it, as the table says, and only --sync, --timeout and --redeploy set none.
    func testEveryDefinitionOptionSetsTheAttributeTheTableGivesIt() throws {
        for path in [["run"], ["service", "create"], ["service", "run"], ["service", "set"]] {
            for option in command(path).options {
                guard let attribute = option.attribute else {
                    XCTAssertTrue(["sync", "timeout", "redeploy"].contains(option.long), "\(path): --\(option.long) sets no attribute")
                    continue
                }
                var args = ["--" + option.long]
                switch attribute.encoding {
                case .boolean: break
                case .string: args.append(option.choices.first ?? "x")
                case .integer: args.append("7")
                case .list(.environment): args.append("K=v")
                case .list(.environmentFiles):
                    let file = NSTemporaryDirectory() + "env-\(getpid())-attr"
                    try "K=v\n".write(toFile: file, atomically: true, encoding: .utf8)
                    args.append(file)
                case .list(.publishedPorts), .list(.exposedPorts): args.append("80")
                case .list(.links): args.append("db:alias")
                case .list(.volumes): args.append("/data")
                case .list(.volumesFrom), .list(.tagNames), .list(.strings): args.append("x")
                }
                guard case .run(let inv) = try Parser(root: commandTable).parse(path + args + ["target"]) else { return XCTFail() }
                let body = try ServiceInput.attributes(inv, forCreate: false) { "/uri/\($0)/" }
                XCTAssertEqual(Array(body.keys), [attribute.name], "\(path): \(args)")
                if attribute.encoding == .boolean { XCTAssertEqual(body[attribute.name], .bool(!option.storesFalse), "\(path): \(args)") }
            }
        }
        unlink(NSTemporaryDirectory() + "env-\(getpid())-attr")
    }

    /// `service set` and the creating verbs share one declaration: the same options in the same
    /// order, setting the same attributes, apart from the differences 1.0.9 had.
    func testSetAndCreateShareTheirDefinitionOptions() {
        let set = command(["service", "set"]).options.filter { $0.long != "redeploy" }
        for path in [["run"], ["service", "create"], ["service", "run"]] {
            let create = command(path).options
            XCTAssertEqual(create.map(\.long), ["name"] + set.dropFirst().map(\.long), "\(path)")
            XCTAssertEqual(create.dropFirst().map(\.attribute), set.dropFirst().map(\.attribute), "\(path)")
            XCTAssertEqual(create.map(\.dest), ["name"] + set.dropFirst().map(\.dest), "\(path)")
        }
        XCTAssertEqual(set.first?.attribute, .string("image"))
        XCTAssertEqual(command(["service", "create"]).options.first?.attribute, .string("name"))
    }

    func testBadValuesAreRejectedWithTheOriginalsMessages() {
        XCTAssertEqual(error(["-e", "NOEQUALS"]), "Environment variable 'NOEQUALS' does not match with 'KEY=VALUE'. Example: ENVVAR=foo")
        XCTAssertEqual(error(["-e", "=x"]), "Environment variable '=x' does not match with 'KEY=VALUE'. Example: ENVVAR=foo")
        for bad in ["80:x", "123456", "80/sctp", "1:2:3", "", ":80"] {
            XCTAssertEqual(error(["-p", bad]), "publish port \(bad) does not match with '[host_port:]container_port[/protocol]'. E.g: 80:80/tcp", bad)
        }
        XCTAssertEqual(error(["--expose", "70000"]), "expose port 70000 is not a valid port number")
        for bad in ["a b", "db", "a.b.c:x", "db:", ":x", "db:x:y"] {
            XCTAssertEqual(error(["--link-service", bad]), "Link variable argument \(bad) does not match with (service_name[.stack_name]:alias). Example: mysql:db", bad)
        }
        XCTAssertEqual(error(["-v", "a:b:c:d"]), "Bad volume argument a:b:c:d. Format: \"[host_path:]/container_path[:permission]\"")
        XCTAssertEqual(error(["-p", "8080:80/tcp", "--link-service", "db.stack:db", "-v", "/h:/c:rw"]), "")
    }

    func testJSONIsPrintedAsPythonsJsonDumpsIndent2() {
        let value: JSONValue = .object(["b": [1, "x\"y\\\n"], "a": .object([:]), "c": [], "d": .null, "é": "ü😀", "n": .number(0.5)])
        XCTAssertEqual(OutputFormat.json(value), """
        {
          "a": {},
          "b": [
            1,
            "x\\"y\\\\\\n"
          ],
          "c": [],
          "d": null,
          "n": 0.5,
          "\\u00e9": "\\u00fc\\ud83d\\ude00"
        }

        """)
    }
}
