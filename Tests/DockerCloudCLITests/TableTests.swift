@testable import DockerCloudCLI
import DockerCloudAPI
import Foundation
import XCTest

/// Tables byte for byte as docker-cloud 1.0.9 printed them (its recorded outputs in
/// ../shared/reference/samples).
final class TableTests: XCTestCase {
    func sample(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("../shared/reference/samples/\(name)"), encoding: .utf8)
    }

    func testServicePsMatchesTheOriginal() throws {
        var t = TextTable(["NAME", "UUID", "STATUS", "#CONTAINERS", "IMAGE", "DEPLOYED", "PUBLIC DNS", "STACK"],
                          kinds: [.text, .text, .text, .auto, .text, .text, .text, .text])
        t.append(["web", "7a4cfe51", StateGlyph.decorate("Running"), "2", "dockercloud/hello-world:latest", "5 minutes ago", "web.mystack.alice.svc.dockerapp.io", "mystack"])
        t.append(["db", "8b4cfe51", StateGlyph.decorate("Stopped") + "(*)", "1", "mysql:5.7", "3 hours ago", "db.mystack.alice.svc.dockerapp.io", "mystack"])
        t.append(["worker", "9c4cfe51", StateGlyph.decorate("Partly running") + "(*)", "10", "alice/worker", "", "", ""])
        t.append(["dup", "aa000000", StateGlyph.decorate("Redeploying"), "1", "busybox", "20 days ago", "dup.alice.svc.dockerapp.io", ""])
        t.append(["dup", "aa000000", StateGlyph.decorate("Terminated"), "0", "busybox", "21 days ago", "dup.alice.svc.dockerapp.io", ""])
        let expected = try sample("service_ps.out")
        XCTAssertEqual(t.render() + "\n\n(*) Please note that this service needs to be redeployed to have its configuration changes applied\n", expected)
    }

    func testContainerPsAndNodeLs() throws {
        var c = TextTable(["NAME", "UUID", "STATUS", "IMAGE", "RUN COMMAND", "EXIT CODE", "DEPLOYED", "PORTS", "NODE", "STACK"],
                          kinds: [.text, .text, .text, .text, .text, .auto, .text, .text, .text, .text])
        c.append(["web-1", "c1000000", "▶ Running", "dockercloud/hello-world:latest", "/run.sh --with-a-...", nil, "4 minutes ago", "web-1.alice.cont....", "d20430ae", "mystack"])
        c.append(["web-2", "c2000000", "◼ Stopped", "dockercloud/hello-world:latest", "/run.sh", "137", "1 day ago", "", "445c3d27", "mystack"])
        c.append(["db-1", "c3000000", "⚙ Starting", "mysql:5.7", "", "0", "", "db-1.alice.cont.d...", "d20430ae", "mystack"])
        XCTAssertEqual(c.render() + "\n", try sample("container_ps.out"))
        var n = TextTable(["UUID", "FQDN", "LASTSEEN", "STATUS", "CLUSTER", "DOCKER_VER"], kinds: [.text, .text, .text, .text, .text, .text])
        n.append(["d20430ae", "d20430ae.node.dockerapp.io", "31 seconds ago", "▶ Deployed", "prod", "1.11.2-cs5"])
        n.append(["445c3d27", "445c3d27.node.dockerapp.io", "2 days ago", "❓ Unreachable", "", "1.11.1-cs1"])
        XCTAssertEqual(n.render() + "\n", try sample("node_ls.out"))
    }

    func testEmptyTablesKeepEveryHeaderAndUUIDsStayText() {
        let empty = TextTable(["NAME", "UUID", "STATUS", "#CONTAINERS", "IMAGE", "DEPLOYED", "PUBLIC DNS", "STACK"])
        XCTAssertEqual(empty.render(), "NAME    UUID    STATUS    #CONTAINERS    IMAGE    DEPLOYED    PUBLIC DNS    STACK\n")
        var t = TextTable(["UUID", "NAME"], kinds: [.text, .auto])
        t.append(["12345678", "x"])
        XCTAssertEqual(t.render(), "UUID      NAME\n12345678  x", "a short uuid of digits is not right-aligned as a number")
    }

    func testAgo() {
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(-300), now: now), "5 minutes ago")
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(-26 * 3600), now: now), "1 day ago")
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(-400 * 86400), now: now), "1 year ago")
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(-31), now: now), "31 seconds ago")
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(-0.25), now: now), "250 milliseconds ago")
        XCTAssertEqual(Ago.describe(now.addingTimeInterval(7200), now: now), "in 2 hours")
        XCTAssertEqual(Ago.describe(apiDate: nil), "")
        XCTAssertNil(Ago.describe(apiDate: "2017-01-01T00:00:00Z"))
    }
}

final class OutputFormatTests: XCTestCase {
    func testTemplatesAndJSON() {
        let object = JSONValue.object(["name": .string("web"), "state": .string("Running"), "current_num_containers": .number(2),
                                       "stack": .null, "tags": .array([.object(["name": .string("x")])])])
        XCTAssertEqual(OutputFormat.render(template: "{{.name}}\\t{{.state}} {{ .current_num_containers }}{{.stack}}", object), "web\tRunning 2\n")
        XCTAssertEqual(OutputFormat.render(template: "{{.tags}}|{{.missing}}|{{.name", object), "[{\"name\":\"x\"}]||{{.name\n")
        XCTAssertTrue(OutputFormat.json([object]).hasPrefix("[\n"))
        guard case .table = OutputFormat(nil) else { return XCTFail() }
        guard case .json = OutputFormat("json") else { return XCTFail() }
    }
}

/// `--format json` of engine answers: counters and limits near 2^63 print as the integers they are.
final class JSONOutputTests: XCTestCase {
    func testLargeIntegersStayIntegers() throws {
        let value = try JSONValue.parse(Data(#"{"limit": 9223372036854771712, "usage": 123456789012345, "ratio": 0.5}"#.utf8))
        let text = OutputFormat.json(value)
        XCTAssertTrue(text.contains(#""limit": 9223372036854771712"#), text)
        XCTAssertTrue(text.contains(#""usage": 123456789012345"#), text)
        XCTAssertTrue(text.contains(#""ratio": 0.5"#), text)
    }
}
