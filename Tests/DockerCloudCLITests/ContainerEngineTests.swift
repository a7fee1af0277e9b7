@testable import DockerCloudCLI
import DockerCloudAPI
import Foundation
import XCTest

/// The pure parts of the container engine verbs: stats arithmetic and layout as docker prints
/// them, `top`'s table (checked against the docker CLI's own output for the same processes),
/// `diff` lines, `cp` argument rules, detach keys.
final class ContainerEngineTests: XCTestCase {
    /// A sample recorded from docker 20.10 (cgroup v1) through the server's GET stats/, trimmed.
    static let recordedV1 = """
    {"read": "2026-12-02T03:46:22.242411934Z", "preread": "2026-12-02T03:46:21.238514821Z", "pids_stats": {"current": 3}, \
    "blkio_stats": {"io_service_bytes_recursive": []}, \
    "cpu_stats": {"cpu_usage": {"total_usage": 89037006, "percpu_usage": [51506419, 37530587], "usage_in_kernelmode": 40000000, "usage_in_usermode": 40000000}, \
    "system_cpu_usage": 5605020000000, "online_cpus": 2, "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}, \
    "precpu_stats": {"cpu_usage": {"total_usage": 88044762, "percpu_usage": [51205144, 36839618], "usage_in_kernelmode": 30000000, "usage_in_usermode": 40000000}, \
    "system_cpu_usage": 5603030000000, "online_cpus": 2, "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}, \
    "memory_stats": {"usage": 868352, "max_usage": 4345856, "stats": {"cache": 4096, "inactive_file": 0, "rss": 163840, "total_cache": 4096, "total_inactive_file": 0}, "limit": 25275990016}, \
    "name": "/s-1.u.59e05101", "id": "ed6c92f6c3a3507591284cc00f37818e33c0ec47c9137652662dbd7b84f1830b"}
    """

    /// cgroup v2 shape: `inactive_file` only, no `online_cpus` (the per-CPU list counts), two
    /// networks, block I/O with mixed-case ops.
    static let v2 = """
    {"pids_stats": {"current": 12},
     "cpu_stats": {"cpu_usage": {"total_usage": 3000000000, "percpu_usage": [1, 2, 3, 4]}, "system_cpu_usage": 20000000000},
     "precpu_stats": {"cpu_usage": {"total_usage": 2000000000}, "system_cpu_usage": 10000000000},
     "memory_stats": {"usage": 157286400, "limit": 1073741824, "stats": {"inactive_file": 52428800, "cache": 1}},
     "networks": {"eth0": {"rx_bytes": 1450, "tx_bytes": 656}, "eth1": {"rx_bytes": 1000000, "tx_bytes": 0}},
     "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 2000000}, {"op": "write", "value": 12345},
                                                     {"op": "Sync", "value": 99}, {"op": "read", "value": 500000}, {"op": "", "value": 7}]}}
    """

    func sample(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    func testStatsOfARecordedSampleAsDockerComputesThem() throws {
        let row = StatsRow(try sample(Self.recordedV1))
        // (89037006 - 88044762) / (5605020000000 - 5603030000000) * 2 CPUs * 100
        XCTAssertEqual(row.cpuPercent, 992244.0 / 1_990_000_000 * 2 * 100, accuracy: 1e-12)
        XCTAssertEqual(row.memoryUsage, 868352)  // total_inactive_file is 0
        XCTAssertEqual(row.memoryLimit, 25275990016)
        XCTAssertEqual(row.pids, 3)
        XCTAssertEqual(row.cells(container: "59e05101", name: "s-1"),
                       ["59e05101", "s-1", "0.10%", "848KiB / 23.54GiB", "0.00%", "0B / 0B", "0B / 0B", "3"])
    }

    func testStatsOfACgroupV2SampleWithNetworksAndBlockIO() throws {
        let row = StatsRow(try sample(Self.v2))
        XCTAssertEqual(row.cpuPercent, 1e9 / 1e10 * 4 * 100, accuracy: 1e-9, "online_cpus missing: the per-CPU list's length")
        XCTAssertEqual(row.memoryUsage, 157286400 - 52428800, "usage less inactive_file (before cache)")
        XCTAssertEqual(row.networkRx, 1001450)
        XCTAssertEqual(row.networkTx, 656)
        XCTAssertEqual(row.blockRead, 2500000)
        XCTAssertEqual(row.blockWrite, 12345)
        XCTAssertEqual(row.cells(container: "abcdef01", name: "web-1"),
                       ["abcdef01", "web-1", "40.00%", "100MiB / 1GiB", "9.77%", "1MB / 656B", "2.5MB / 12.3kB", "12"])
    }

    func testStatsWithoutPreviousReadingOrLimit() throws {
        // The first sample of a stream has an empty precpu_stats; a stopped container sends zeros.
        let row = StatsRow(try sample(#"{"cpu_stats": {"cpu_usage": {"total_usage": 5}, "system_cpu_usage": 10}, "precpu_stats": {}, "memory_stats": {}}"#))
        XCTAssertEqual(row.cells(container: "c", name: "n"), ["c", "n", "0.00%", "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0"])
        let cacheOnly = StatsRow(try sample(#"{"memory_stats": {"usage": 2048, "limit": 4096, "stats": {"cache": 1024}}}"#))
        XCTAssertEqual(cacheOnly.memoryUsage, 1024, "older engines: usage less cache")
        let bigCache = StatsRow(try sample(#"{"memory_stats": {"usage": 2048, "stats": {"total_inactive_file": 4096}}}"#))
        XCTAssertEqual(bigCache.memoryUsage, 2048, "a page cache larger than the usage is not subtracted")
    }

    func testSizesAsGoUnitsPrintsThem() {
        XCTAssertEqual(ByteSize.binary(0), "0B")
        XCTAssertEqual(ByteSize.binary(1023), "1023B")
        XCTAssertEqual(ByteSize.binary(1024), "1KiB")
        XCTAssertEqual(ByteSize.binary(1536), "1.5KiB")
        XCTAssertEqual(ByteSize.binary(1_261_568), "1.203MiB")
        XCTAssertEqual(ByteSize.binary(25_275_990_016), "23.54GiB")
        XCTAssertEqual(ByteSize.binary(123_456_789_012_345), "112.3TiB")
        XCTAssertEqual(ByteSize.decimal(0), "0B")
        XCTAssertEqual(ByteSize.decimal(656), "656B")
        XCTAssertEqual(ByteSize.decimal(1450), "1.45kB")
        XCTAssertEqual(ByteSize.decimal(1_000_000), "1MB")
        XCTAssertEqual(ByteSize.decimal(12_345_678), "12.3MB")
        // docker's own quirk: 999.5 kB rounds to three digits in exponent form.
        XCTAssertEqual(ByteSize.decimal(999_500), "1e+03kB")
    }

    func testStatsTableLayout() {
        let rows = [["59e05101", "s-1", "0.10%", "848KiB / 23.54GiB", "0.00%", "0B / 0B", "0B / 0B", "3"],
                    ["7f245988", "a-much-longer-name", "100.00%", "1.203MiB / 64MiB", "1.88%", "1.45kB / 656B", "2.5MB / 12.3kB", "12"]]
        XCTAssertEqual(StatsRow.table(rows), """
        CONTAINER   NAME                 CPU %     MEM USAGE / LIMIT   MEM %     NET I/O         BLOCK I/O        PIDS
        59e05101    s-1                  0.10%     848KiB / 23.54GiB   0.00%     0B / 0B         0B / 0B          3
        7f245988    a-much-longer-name   100.00%   1.203MiB / 64MiB    1.88%     1.45kB / 656B   2.5MB / 12.3kB   12

        """)
        XCTAssertEqual(StatsRow.table([]), "CONTAINER   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n")
    }

    /// `docker top` (docker 28 against dockerd 20.10) printed exactly this for these processes
    /// (`ps -ef`, and `-o pid,cgroup:60,comm` for a column wider than the minimum).
    func testTopTableIsDockersLayout() {
        let ef = ContainerEngineCommands.ProcessTable(
            Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            Processes: [["root", "9817", "9794", "0", "03:45", "?", "00:00:00", "/sbin/docker-init -- sh -c while true; do echo x; sleep 1; done"],
                        ["root", "9831", "9817", "0", "03:45", "?", "00:00:00", "sh -c while true; do echo x; sleep 1; done"]])
        XCTAssertEqual(ContainerEngineCommands.topTable(ef), """
        UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD
        root                9817                9794                0                   03:45               ?                   00:00:00            /sbin/docker-init -- sh -c while true; do echo x; sleep 1; done
        root                9831                9817                0                   03:45               ?                   00:00:00            sh -c while true; do echo x; sleep 1; done

        """)
        let wide = ContainerEngineCommands.ProcessTable(
            Titles: ["PID", "CGROUP", "COMMAND"],
            Processes: [["25404", "9:name=systemd:/docker/fa34761ab9ff97f4150b682b569c3875973bd", "docker-init"],
                        ["25455", "9:name=systemd:/docker/fa34761ab9ff97f4150b682b569c3875973bd", "sh"]])
        XCTAssertEqual(ContainerEngineCommands.topTable(wide), """
        PID                 CGROUP                                                         COMMAND
        25404               9:name=systemd:/docker/fa34761ab9ff97f4150b682b569c3875973bd   docker-init
        25455               9:name=systemd:/docker/fa34761ab9ff97f4150b682b569c3875973bd   sh

        """)
        XCTAssertEqual(ContainerEngineCommands.topTable(.init(Titles: ["PID", "CMD"], Processes: nil)), "PID                 CMD\n")
    }

    func testTabWriterColumnBlocks() {
        // Go's tabwriter aligns a column over the consecutive lines that have it.
        let text = TabWriter.render([["a", "b", "c"], ["longer-cell", "x"], ["z"], ["q", "r"]], minWidth: 0, padding: 1)
        XCTAssertEqual(text, "a           b c\nlonger-cell x\nz\nq r\n")
    }

    func testDiffLines() throws {
        let changes = try JSONDecoder().decode([ContainerEngineCommands.Change].self, from: Data("""
        [{"Path": "/tmp", "Kind": 0}, {"Path": "/tmp/new file", "Kind": 1}, {"Path": "/root", "Kind": 2}, {"Path": "/odd", "Kind": 9}]
        """.utf8))
        XCTAssertEqual(ContainerEngineCommands.diffLines(changes), "C /tmp\nA /tmp/new file\nD /root\n? /odd\n")
        XCTAssertEqual(ContainerEngineCommands.diffLines([]), "")
    }

    func testCopyArgumentsAsDockerSplitsThem() {
        typealias C = ContainerEngineCommands
        XCTAssertEqual(C.copySide("web-1:/etc/hosts"), .container("web-1", "/etc/hosts"))
        XCTAssertEqual(C.copySide("web-1.shop:etc"), .container("web-1.shop", "etc"))
        XCTAssertEqual(C.copySide("web-1:"), .container("web-1", ""))
        XCTAssertEqual(C.copySide("./file:with-colon"), .local("./file:with-colon"))
        XCTAssertEqual(C.copySide("/abs/a:b"), .local("/abs/a:b"))
        XCTAssertEqual(C.copySide("plain"), .local("plain"))
        XCTAssertEqual(C.copySide("-"), .local("-"))
        XCTAssertEqual(C.containerPath("tmp/x"), "/tmp/x")
        XCTAssertEqual(C.containerPath("/tmp/x"), "/tmp/x")
        XCTAssertTrue(C.split("a/b/", root: ".") == ("a", "b"))
        XCTAssertTrue(C.split("b", root: ".") == (".", "b"))
        XCTAssertTrue(C.split("/x", root: "/") == ("/", "x"))
        XCTAssertTrue(C.split("x", root: "/") == ("/", "x"))
        XCTAssertTrue(C.meansContents("dir/.") && C.meansContents(".") && !C.meansContents("dir"))
        XCTAssertTrue(C.assertsDirectory("dir/") && C.assertsDirectory("dir/.") && !C.assertsDirectory("dir"))
    }

    func testPathStatHeader() throws {
        let json = #"{"name":"etc","size":4096,"mode":2147484141,"mtime":"2026-12-02T03:45:00Z","linkTarget":""}"#
        let stat = try ContainerEngineCommands.PathStat(header: Data(json.utf8).base64EncodedString())
        XCTAssertTrue(stat.isDirectory)
        XCTAssertFalse(stat.isSymlink)
        let link = try ContainerEngineCommands.PathStat(header: Data(#"{"name":"l","size":5,"mode":134218239,"linkTarget":"/data/a.txt"}"#.utf8).base64EncodedString())
        XCTAssertTrue(link.isSymlink)
        XCTAssertFalse(link.isDirectory)
        XCTAssertThrowsError(try ContainerEngineCommands.PathStat(header: "not base64!"))
        XCTAssertThrowsError(try ContainerEngineCommands.PathStat(header: nil))
    }

    func testDetachKeys() {
        var keys = DetachKeys()
        XCTAssertTrue(keys.filter(Array("ls\r".utf8)) == (Array("ls\r".utf8), false))
        // Ctrl-P alone is held back, then forwarded with the key that shows it was not a detach.
        XCTAssertTrue(keys.filter([0x10]) == ([], false))
        XCTAssertTrue(keys.filter([0x61]) == ([0x10, 0x61], false))
        // Split across reads, and after other keys: detaches, and what follows is not sent.
        XCTAssertTrue(keys.filter([0x62, 0x10]) == ([0x62], false))
        XCTAssertTrue(keys.filter([0x11, 0x63]) == ([], true))
        var again = DetachKeys()
        XCTAssertTrue(again.filter([0x10, 0x10, 0x11]) == ([0x10], true), "Ctrl-P Ctrl-P Ctrl-Q: the first Ctrl-P is a key")
    }

    func testNewVerbsParse() throws {
        let parser = Parser(root: commandTable)
        func run(_ line: [String]) throws -> Invocation {
            guard case .run(let inv) = try parser.parse(line) else { throw XCTSkip("\(line) did not parse to a command") }
            return inv
        }
        let top = try run(["container", "top", "-o", "json", "web-1", "-o", "pid,comm", "--", "x"])
        XCTAssertEqual(top.value("format"), "json")
        XCTAssertEqual(top.positional("ps_options"), ["-o", "pid,comm", "--", "x"], "everything after the container goes to ps")
        let kill = try run(["container", "kill", "-s", "HUP", "a", "b"])
        XCTAssertEqual(kill.value("signal"), "HUP")
        XCTAssertEqual(kill.positional("identifier"), ["a", "b"])
        let update = try run(["container", "update", "--memory-swap", "-1", "--cpushares", "512", "--cpuset", "0-1", "web-1"])
        XCTAssertEqual(update.value("memory_swap"), "-1")
        XCTAssertEqual(update.value("cpushares"), "512")
        XCTAssertThrowsError(try parser.parse(["container", "update", "--memory", "lots", "web-1"]))
        let cp = try run(["container", "cp", "web-1:/etc", "-"])
        XCTAssertEqual(cp.positional("source"), ["web-1:/etc"])
        XCTAssertEqual(cp.positional("destination"), ["-"])
        XCTAssertThrowsError(try parser.parse(["container", "cp", "only-one"]))
        XCTAssertThrowsError(try parser.parse(["container", "rename", "web-1"]))
        let stats = try run(["container", "stats", "--no-stream", "a"])
        XCTAssertEqual(stats.flag("no_stream"), true)
        let export = try run(["container", "export", "-o", "fs.tar", "a"])
        XCTAssertEqual(export.value("output"), "fs.tar")
        let restart = try run(["container", "restart", "--sync", "--timeout", "30", "a"])
        XCTAssertEqual(restart.flag("sync"), true)
        let attach = try run(["container", "attach", "--no-stdin", "a"])
        XCTAssertEqual(attach.flag("no_stdin"), true)
    }

    /// `container update` reuses the table's own --cpushares/--memory of the service verbs.
    func testUpdateSharesTheServiceLimitOptions() throws {
        func options(_ path: [String]) -> [Option] {
            var c = commandTable
            for name in path { c = c.subcommand(named: name)! }
            return c.options
        }
        let update = options(["container", "update"]), create = options(["service", "create"]), set = options(["service", "set"])
        for long in ["cpushares", "memory"] {
            let u = update.first { $0.long == long }, c = create.first { $0.long == long }, s = set.first { $0.long == long }
            XCTAssertNotNil(u)
            XCTAssertEqual(u?.help, c?.help)
            XCTAssertEqual(u?.help, s?.help)
            XCTAssertEqual(u?.integer, true)
        }
    }
}
