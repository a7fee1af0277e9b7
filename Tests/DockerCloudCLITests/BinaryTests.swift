import Foundation
import XCTest

/// The real `docker-cloud` binary as a subprocess.
final class BinaryTests: XCTestCase {
    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["DOCKER_CLOUD_BIN"] { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/docker-cloud").path
    }

    func run(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BinaryTests.binary)
        p.arguments = args
        // No credentials and no server: parsing and help must not need them.
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(env) { _, b in b }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testVersionHelpAndUsageErrors() throws {
        XCTAssertEqual(try run(["--version"]).1, "docker-cloud 1.0.9\n")
        XCTAssertEqual(try run(["-v"]).0, 0)
        let top = try run([])
        XCTAssertEqual(top.0, 0)
        XCTAssertTrue(top.1.hasPrefix("usage: docker-cloud [-h]"), top.1)
        let noun = try run(["service"])
        XCTAssertEqual(noun.0, 0)
        XCTAssertTrue(noun.1.contains("\n    ps                  List services\n    ls, list            Same as ps\n"), noun.1)
        // As argparse: $COLUMNS (minus 2) is the width.
        let narrow = try run(["tag", "set", "--help"], env: ["COLUMNS": "60"])
        XCTAssertTrue(narrow.1.contains("\nSet tags from services, nodes or nodeclusters. This will\nremove all the existing tags\n"), narrow.1)
        let bad = try run(["service", "ps", "--bogus"])
        XCTAssertEqual(bad.0, 2)
        XCTAssertEqual(bad.1, "")
        // As 1.0.9's argparse: the top-level parser's usage, then its error.
        XCTAssertEqual(bad.2, """
        usage: docker-cloud [-h] [-v]
                            {action,container,event,exec,login,node,nodecluster,repository,run,service,stack,tag,trigger,up}
                            ...
        docker-cloud: error: unrecognized arguments: --bogus

        """)
        let typo = try run(["service", "pss"])
        XCTAssertEqual(typo.0, 2)
        XCTAssertEqual(typo.2, """
        usage: docker-cloud service [-h]
                                    {create,env,inspect,logs,ps,redeploy,run,scale,set,start,stop,terminate}
                                    ...
        docker-cloud service: error: argument subcmd: invalid choice: 'pss' (choose from 'create', 'env', 'inspect', 'logs', 'ps', 'redeploy', 'run', 'scale', 'set', 'start', 'stop', 'terminate')

        """)
        // A credential helper that does not exist cannot break --help (it broke the original at import).
        let dir = NSTemporaryDirectory() + "dc-bin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"credsStore": "nosuchhelper"}"#.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["service", "--help"], env: ["DOCKER_CONFIG": dir]).0, 0)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
