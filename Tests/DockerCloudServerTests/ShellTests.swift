@testable import DockerCloudServer
import DockerCloudAPI
import Foundation
import XCTest

/// The simulated driver's shell: what containers print and how they exit.
final class ShellTests: XCTestCase {
    func run(_ script: String, env: [EnvVar] = []) async -> (out: String, err: String, code: Int) {
        let shell = SimulatedShell(environment: env, hostname: "web-1", workingDir: "/app", user: "")
        let box = Collected()
        let code = await shell.run(script) { stream, text in box.append(stream + "\u{0}" + text) }
        let parts = box.all.map { $0.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) }
        return (parts.filter { $0[0] == "stdout" }.map { $0[1] }.joined(), parts.filter { $0[0] == "stderr" }.map { $0[1] }.joined(), code)
    }

    func testCommandsAndExitCodes() async {
        var r = await run("echo hello world; seq 3; printf '%s-%d\\n' a 7")
        XCTAssertEqual(r.out, "hello world\n1\n2\n3\na-7\n")
        XCTAssertEqual(r.code, 0)
        r = await run("sh -c \"echo inner; exit 5\"")
        XCTAssertEqual(r.out, "inner\n")
        XCTAssertEqual(r.code, 5)
        r = await run("false && echo no || echo yes")
        XCTAssertEqual(r.out, "yes\n")
        r = await run("nosuchcommand")
        XCTAssertEqual(r.code, 127)
        XCTAssertEqual(r.err, "sh: nosuchcommand: not found\n")
        r = await run("echo oops >&2; exit 2")
        XCTAssertEqual(r.err, "oops\n")
        XCTAssertEqual(r.code, 2)
    }

    /// Numbers from a client's command cannot trap the server or fill its memory.
    func testHugeNumbersAreBounded() async throws {
        var r = await run("seq 1 9223372036854775807")
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(r.err, "seq: more than 100000 numbers\n")
        r = await run("seq -9223372036854775808 9223372036854775807")
        XCTAssertEqual(r.code, 1)
        r = await run("seq 9223372036854775806 9223372036854775807")
        XCTAssertEqual(r.out, "9223372036854775806\n9223372036854775807\n")
        for forever in ["sleep 1e300", "sleep inf", "sleep 99999999999999999999"] {
            let script = forever + "; echo woke"
            let task = Task { () -> String in
                let shell = SimulatedShell(environment: [], hostname: "web-1", workingDir: "/app", user: "")
                let box = Collected()
                _ = await shell.run(script) { _, text in box.append(text) }
                return box.all.joined()
            }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let printed = await task.value
            XCTAssertFalse(printed.contains("woke"), "\(forever) sleeps (it did not trap either)")
        }
    }

    /// Issue 10: a client's container command cannot exhaust the server's stack, CPU or log store.
    func testNestingOutputAndLoopsAreBounded() async throws {
        // Loops nested 10,000 deep (under the size cap) once would have overflowed the parser's stack.
        let deep = String(repeating: "while true; do ", count: 10_000) + "echo x" + String(repeating: "; done", count: 10_000)
        var r = await run(deep)
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.err, "sh: loops nested more than 32 deep\n")
        let nested = String(repeating: "for i in 1; do ", count: 32) + "echo ok" + String(repeating: "; done", count: 32)
        r = await run(nested)
        XCTAssertEqual(r.out, "ok\n", "32 levels are allowed")
        // sh -c inside sh -c: 8 levels run, the 9th is refused (each level's quoting makes the
        // script about three times longer, so the size cap bounds this too).
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        func shells(_ n: Int) -> String { n == 0 ? "echo in" : "sh -c " + quote(shells(n - 1)) }
        r = await run(shells(8))
        XCTAssertEqual(r.out, "in\n")
        r = await run(shells(9))
        XCTAssertEqual(r.err, "sh: shells nested more than 8 deep\n")
        XCTAssertEqual(r.code, 2)
        // A script longer than 256 KiB is refused before it is read.
        r = await run("echo " + String(repeating: "y", count: 300_000))
        XCTAssertEqual(r.err, "sh: script longer than 262144 bytes\n")
        XCTAssertEqual(r.code, 2)

        // A busy loop is slowed to at most one iteration per millisecond, and output to
        // 256 KiB/s after a second's burst: measured over 0.5 s of each.
        func counted(_ script: String, for duration: Duration) async -> (lines: Int, bytes: Int) {
            let shell = SimulatedShell(environment: [], hostname: "h", workingDir: "/", user: "")
            let box = Collected()
            let task = Task { await shell.run(script) { _, text in box.append(text) } }
            try? await Task.sleep(for: duration)
            task.cancel()
            let code = await task.value
            XCTAssertEqual(code, 143, "a stop ends the loop")
            let all = box.all
            return (all.reduce(0) { $0 + $1.filter { $0 == "\n" }.count }, all.reduce(0) { $0 + $1.utf8.count })
        }
        let busy = await counted("while true; do echo x; done", for: .milliseconds(500))
        XCTAssertGreaterThan(busy.lines, 10, "the loop runs")
        XCTAssertLessThanOrEqual(busy.lines, 520, "at most ~1 iteration per ms")
        let flood = await counted("while true; do seq 100000; done", for: .milliseconds(1500))
        XCTAssertGreaterThan(flood.bytes, 256 * 1024, "the burst is allowed")
        XCTAssertLessThan(flood.bytes, 2 * 600_000 + 1, "then output is held back (one seq is ~590 KB)")
    }

    func testVariablesLoopsAndQuotes() async {
        var r = await run("echo $GREETING ${GREETING}s '$GREETING' \"$HOSTNAME\"; pwd", env: [EnvVar(key: "GREETING", value: "hi")])
        XCTAssertEqual(r.out, "hi his $GREETING web-1\n/app\n")
        r = await run("for x in a b c; do echo item-$x; done")
        XCTAssertEqual(r.out, "item-a\nitem-b\nitem-c\n")
        r = await run("X=1; echo $X")
        XCTAssertEqual(r.out, "1\n")
        r = await run("while false; do echo; done")
        XCTAssertEqual(r.code, 2, "only 'while true' loops exist")
    }

    func testIdleTailsParkInsteadOfHoldingATask() async {
        let shell = SimulatedShell(environment: [], hostname: "h", workingDir: "/", user: "")
        let box = Collected()
        let parked = await shell.runParkable("echo up; sleep 5") { _, text in box.append(text) }
        XCTAssertEqual(parked, .parked(.seconds(5)))
        XCTAssertEqual(box.all, ["up\n"])
        let forever = await shell.runParkable("sh -c 'echo a; sleep infinity'") { _, _ in }
        XCTAssertEqual(forever, .parked(nil))
        let notLast = await shell.runParkable("sleep 0.01; echo done") { _, _ in }
        XCTAssertEqual(notLast, .exited(0), "a sleep followed by more work really sleeps")
        let inLoop = await shell.runParkable("for i in 1; do sleep 0.01; done") { _, _ in }
        XCTAssertEqual(inLoop, .exited(0))
    }

    func testPathParsing() {
        XCTAssertEqual(APIRequest.parsePath("/api/app/v1/service/")?.1, nil)
        XCTAssertEqual(APIRequest.parsePath("/api/app/v1/acme/service/u/start/")?.1, "acme")
        XCTAssertEqual(APIRequest.parsePath("/api/app/v1/acme/service/u/start/")?.2, ["service", "u", "start"])
        XCTAssertEqual(APIRequest.parsePath("/api/app/v1/service//u//trigger/")?.2, ["service", "u", "trigger"])
        XCTAssertEqual(APIRequest.parsePath("/api/app/v1/service/service/")?.1, "service", "a user called 'service'")
        XCTAssertEqual(APIRequest.parsePath("/api/audit/v1/events")?.2, ["events"])
        XCTAssertNil(APIRequest.parsePath("/api/nope/v1/service/"))
        XCTAssertNil(APIRequest.parsePath("/other"))
    }

    func testCredentialsParsing() {
        var accounts = Accounts()
        accounts.apiKeys = ["alice": "k:with:colons"]
        XCTAssertEqual(accounts.authenticate("Basic " + Data("alice:k:with:colons".utf8).base64EncodedString()), "alice")
        XCTAssertEqual(accounts.authenticate("ApiKey alice:k:with:colons"), "alice")
        XCTAssertNil(accounts.authenticate("Basic " + Data("alice:k".utf8).base64EncodedString()))
        XCTAssertNil(accounts.authenticate("Bearer x"))
        XCTAssertNil(accounts.authenticate("Basic !!!"))
    }
}
