@testable import DockerCloudCLI
import Foundation
import XCTest

/// The tar writer, reader and extractor of `container cp`: round trips (long names through pax,
/// GNU long names read), agreement with GNU tar both ways, batching under a size limit, and an
/// extractor that never writes outside its directory.
final class TarTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "tar-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+rwx", scratch]).waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// An archive of entries (data given for files).
    func archive(_ entries: [(TarHeader, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (h, data) in entries {
            var h = h
            h.size = data.count
            out += TarWriter.header(h) + data + TarWriter.padding(data.count)
        }
        return out + TarWriter.end
    }

    /// Every entry of an archive with its data, fed in pieces of `chunk` bytes.
    func read(_ bytes: [UInt8], chunk: Int = 700) throws -> [(TarHeader, [UInt8])] {
        var reader = TarReader()
        var out: [(TarHeader, [UInt8])] = []
        var ended = false
        var i = 0
        while i < bytes.count {
            for event in try reader.feed(Array(bytes[i..<min(bytes.count, i + chunk)])) {
                switch event {
                case .entry(let h): out.append((h, []))
                case .data(let d): out[out.count - 1].1 += d
                case .entryEnd: break
                case .end: ended = true
                }
            }
            i += chunk
        }
        try reader.finish()
        XCTAssertTrue(ended)
        return out
    }

    static let longDirectory = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
    static let veryLong = String(repeating: "x/", count: 80) + String(repeating: "n", count: 120) + ".txt"

    func sampleEntries() -> [(TarHeader, [UInt8])] {
        var file = TarHeader(name: "dir/file.txt", mode: 0o640, mtime: 1_700_000_000)
        file.uid = 1000; file.gid = 1000; file.userName = "alice"; file.groupName = "staff"
        return [
            (TarHeader(name: "dir/", kind: .directory, mode: 0o755, mtime: 1_700_000_000), []),
            (file, Array("hello\n".utf8)),
            (TarHeader(name: "dir/" + Self.longDirectory + "/" + String(repeating: "f", count: 90), mode: 0o600), Array(repeating: 7, count: 1500)),
            (TarHeader(name: Self.veryLong, mode: 0o644), Array("deep".utf8)),
            (TarHeader(name: "dir/link", kind: .symlink, mode: 0o777, linkName: "file.txt"), []),
            (TarHeader(name: "dir/longlink", kind: .symlink, mode: 0o777, linkName: "/" + String(repeating: "t", count: 150)), []),
            (TarHeader(name: "dir/empty", mode: 0o444), []),
        ]
    }

    func testWriteThenReadRoundTripsLongNamesAndLinks() throws {
        let entries = sampleEntries()
        let bytes = archive(entries)
        XCTAssertEqual(bytes.count % 512, 0)
        for chunk in [1, 511, 512, 700, 100_000] {
            let back = try read(bytes, chunk: chunk)
            XCTAssertEqual(back.count, entries.count, "chunk \(chunk)")
            for ((want, data), (got, gotData)) in zip(entries, back) {
                var want = want
                want.size = data.count
                XCTAssertEqual(got, want, "chunk \(chunk)")
                XCTAssertEqual(gotData, data, "\(want.name), chunk \(chunk)")
            }
        }
        // A 150-byte name fits ustar's prefix field; a 282-byte one and a 151-byte link need pax.
        let longEntry = TarWriter.header(entries[2].0)
        XCTAssertEqual(longEntry.count, 512, "split into prefix and name, no extended header")
        XCTAssertEqual(TarWriter.header(entries[3].0)[156], UInt8(ascii: "x"))
        XCTAssertEqual(TarWriter.header(entries[5].0)[156], UInt8(ascii: "x"))
    }

    func testPaxRecordLengthsCountThemselves() throws {
        // " path=<91 a>\n" is 98 bytes: 99 and 100 do not fit their own digits, 101 does.
        let records = TarWriter.paxRecords([("path", String(repeating: "a", count: 91)), ("x", "")])
        XCTAssertEqual(String(decoding: records, as: UTF8.self), "101 path=" + String(repeating: "a", count: 91) + "\n5 x=\n")
        XCTAssertEqual(try TarReader.parsePax(records), ["path": String(repeating: "a", count: 91), "x": ""])
        XCTAssertThrowsError(try TarReader.parsePax(Array("12 path=a\n".utf8)), "a length past the data")
        XCTAssertThrowsError(try TarReader.parsePax(Array("x path=a\n".utf8)), "no length")
    }

    func testReadsGNULongNamesAndBase256Numbers() throws {
        // GNU tar's ././@LongLink entries ('L' for the name, 'K' for the link target).
        let name = String(repeating: "g", count: 180)
        let target = String(repeating: "k", count: 130)
        func gnu(_ flag: Character, _ text: String) -> [UInt8] {
            let data = Array(text.utf8) + [0]
            var h = TarHeader(name: "././@LongLink", kind: .other(flag.asciiValue!), size: data.count)
            h.mode = 0
            return TarWriter.block(h, name: Array(h.name.utf8), prefix: [], link: []) + data + TarWriter.padding(data.count)
        }
        var bytes = gnu("L", name)
        bytes += TarWriter.block(TarHeader(name: "short", kind: .file, size: 3), name: Array("short".utf8), prefix: [], link: []) + Array("abc".utf8) + TarWriter.padding(3)
        bytes += gnu("K", target)
        bytes += TarWriter.block(TarHeader(name: "l", kind: .symlink), name: Array("l".utf8), prefix: [], link: Array("trunc".utf8))
        bytes += TarWriter.end
        let back = try read(bytes)
        XCTAssertEqual(back.map { $0.0.name }, [name, "l"])
        XCTAssertEqual(back[0].1, Array("abc".utf8))
        XCTAssertEqual(back[1].0.linkName, target)
        XCTAssertEqual(TarReader.number([0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1][...]), (2 << 32) + 1)
        XCTAssertEqual(TarReader.number(Array("  0000644 \0".utf8)[...]), 0o644)
    }

    func testCorruptAndTruncatedArchivesAreErrors() throws {
        var bytes = archive(sampleEntries())
        bytes[600] ^= 0xFF  // inside the second header
        XCTAssertThrowsError(try read(bytes)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
        let whole = archive([(TarHeader(name: "f"), Array(repeating: 1, count: 2000))])
        var reader = TarReader()
        _ = try reader.feed(Array(whole.prefix(1000)))
        XCTAssertThrowsError(try reader.finish(), "an archive cut in the middle of a file")
        XCTAssertThrowsError(try read(Array("this is not a tar archive".utf8) + [UInt8](repeating: 32, count: 600)))
    }

    // MARK: - Against GNU tar

    func run(_ arguments: [String], in directory: String? = nil, input: [UInt8]? = nil) throws -> (status: Int32, output: [UInt8]) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tar") || FileManager.default.isExecutableFile(atPath: "/bin/tar") else {
            throw XCTSkip("no tar on this machine")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/tar") ? "/usr/bin/tar" : "/bin/tar")
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), inPipe = Pipe()
        p.standardOutput = out
        p.standardInput = inPipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, Array(data))
    }

    func testGNUTarReadsWhatWeWriteAndWeReadWhatItWrites() throws {
        let entries = sampleEntries()
        let listing = try run(["-tf", "-"], input: archive(entries))
        XCTAssertEqual(listing.status, 0)
        XCTAssertEqual(String(decoding: listing.output, as: UTF8.self).split(separator: "\n").map(String.init), entries.map { $0.0.name })
        // A tree packed by GNU tar in both of its long-name formats.
        let tree = scratch + "/tree"
        let deep = tree + "/" + Self.longDirectory
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        // 100 bytes: ustar holds it (split after the directories); the whole path needs GNU or pax records.
        let longFile = String(repeating: "f", count: 96) + ".dat"
        try Data("long\n".utf8).write(to: URL(fileURLWithPath: deep + "/" + longFile))
        try FileManager.default.createSymbolicLink(atPath: tree + "/ln", withDestinationPath: String(repeating: "z", count: 120))
        for format in ["gnu", "pax", "ustar"] {
            // ustar cannot hold a 120-byte link target at all: that link stays out of its archive.
            let packed = try run(["--format=\(format)", "-cf", "-"] + (format == "ustar" ? ["--exclude=./ln"] : []) + ["."], in: tree)
            XCTAssertEqual(packed.status, 0, format)
            let back = try read(packed.output)
            let names = Set(back.map { $0.0.name })
            XCTAssertTrue(names.contains("./" + Self.longDirectory + "/" + longFile), "\(format): \(names)")
            let file = back.first { $0.0.name.hasSuffix(longFile) }
            XCTAssertEqual(file?.1, Array("long\n".utf8), format)
            if format != "ustar" {
                XCTAssertEqual(back.first { $0.0.name == "./ln" }?.0.linkName, String(repeating: "z", count: 120), format)
            }
        }
    }

    // MARK: - Extraction

    func testExtractKeepsModesTimesAndLinks() throws {
        let target = scratch + "/out"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        var readOnly = TarHeader(name: "dir/ro/", kind: .directory, mode: 0o555, mtime: 1_600_000_000)
        readOnly.uid = 12345
        var entries = sampleEntries()
        entries.insert((readOnly, []), at: 1)
        entries.append((TarHeader(name: "dir/ro/inside", mode: 0o600), Array("x".utf8)))
        entries.append((TarHeader(name: "dir/hard", kind: .hardLink, linkName: "dir/file.txt"), []))
        let extractor = try TarExtractor(into: target)
        try extractor.feed(archive(entries))
        try extractor.finish()
        XCTAssertEqual(try String(contentsOfFile: target + "/dir/file.txt", encoding: .utf8), "hello\n")
        XCTAssertEqual(try String(contentsOfFile: target + "/" + Self.veryLong, encoding: .utf8), "deep")
        let fm = FileManager.default
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: target + "/dir/link"), "file.txt")
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: target + "/dir/longlink"), "/" + String(repeating: "t", count: 150))
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/file.txt")[.posixPermissions] as? Int), 0o640)
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/ro")[.posixPermissions] as? Int), 0o555, "a directory's mode comes last")
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/ro/inside")[.posixPermissions] as? Int), 0o600)
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/file.txt")[.modificationDate] as? Date)?.timeIntervalSince1970, 1_700_000_000)
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/ro")[.modificationDate] as? Date)?.timeIntervalSince1970, 1_600_000_000)
        XCTAssertEqual((try fm.attributesOfItem(atPath: target + "/dir/hard")[.systemFileNumber] as? Int),
                       (try fm.attributesOfItem(atPath: target + "/dir/file.txt")[.systemFileNumber] as? Int), "a hard link")
    }

    func testExtractRenamesTheTopEntryAsDockerCpDoes() throws {
        let target = scratch + "/renamed"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let extractor = try TarExtractor(into: target, rename: "copy")
        try extractor.feed(archive([(TarHeader(name: "data/", kind: .directory, mode: 0o755), []),
                                    (TarHeader(name: "data/a.txt"), Array("a".utf8)),
                                    (TarHeader(name: "data/sub/b.txt"), Array("b".utf8)),
                                    (TarHeader(name: "database.txt"), Array("not under data/".utf8))]))
        try extractor.finish()
        XCTAssertEqual(try String(contentsOfFile: target + "/copy/a.txt", encoding: .utf8), "a")
        XCTAssertEqual(try String(contentsOfFile: target + "/copy/sub/b.txt", encoding: .utf8), "b")
        XCTAssertTrue(FileManager.default.fileExists(atPath: target + "/database.txt"), "only the top entry's own path is renamed")
        // `./` archives (a directory's contents) move under the new name as a whole.
        let contents = try TarExtractor(into: target, rename: "dot")
        try contents.feed(archive([(TarHeader(name: "./", kind: .directory, mode: 0o700), []), (TarHeader(name: "./x"), Array("x".utf8))]))
        try contents.finish()
        XCTAssertEqual(try String(contentsOfFile: target + "/dot/x", encoding: .utf8), "x")
    }

    func testExtractNeverWritesOutsideTheDestination() throws {
        let target = scratch + "/jail"
        let outside = scratch + "/outside"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        func extract(_ entries: [(TarHeader, [UInt8])]) throws {
            let extractor = try TarExtractor(into: target)
            try extractor.feed(archive(entries))
            try extractor.finish()
        }
        let escapes: [[(TarHeader, [UInt8])]] = [
            [(TarHeader(name: "../outside/evil"), Array("x".utf8))],
            [(TarHeader(name: "a/../../outside/evil"), Array("x".utf8))],
            [(TarHeader(name: "/tmp/evil-absolute"), Array("x".utf8))],
            [(TarHeader(name: "esc", kind: .symlink, linkName: outside), []), (TarHeader(name: "esc/evil"), Array("x".utf8))],
            [(TarHeader(name: "rel", kind: .symlink, linkName: "../outside"), []), (TarHeader(name: "rel/sub/evil"), Array("x".utf8))],
            [(TarHeader(name: "hl", kind: .hardLink, linkName: "../outside/victim"), [])],
        ]
        for entries in escapes {
            XCTAssertThrowsError(try extract(entries), "\(entries.map { $0.0.name })") { error in
                XCTAssertTrue("\(error)".contains("refusing") || "\(error)".contains("leads out"), "\(error)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [], "nothing was written outside")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/evil-absolute"))
        // A symlink that stays inside may be gone through; an existing one that leads out may not.
        try extract([(TarHeader(name: "real/", kind: .directory, mode: 0o755), []),
                     (TarHeader(name: "inside", kind: .symlink, linkName: "real"), []),
                     (TarHeader(name: "inside/ok.txt"), Array("ok".utf8))])
        XCTAssertEqual(try String(contentsOfFile: target + "/real/ok.txt", encoding: .utf8), "ok")
        try FileManager.default.createSymbolicLink(atPath: target + "/planted", withDestinationPath: outside)
        XCTAssertThrowsError(try extract([(TarHeader(name: "planted/evil"), Array("x".utf8))]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
        // A file entry replaces a symlink rather than writing through it.
        try extract([(TarHeader(name: "planted"), Array("file now".utf8))])
        XCTAssertEqual(try String(contentsOfFile: target + "/planted", encoding: .utf8), "file now")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
        // A directory is never replaced by a file.
        XCTAssertThrowsError(try extract([(TarHeader(name: "real"), Array("x".utf8))]))
    }

    // MARK: - Packing and batching

    func testPackedTreeExtractsToTheSameTree() throws {
        let source = scratch + "/src"
        try FileManager.default.createDirectory(atPath: source + "/sub/" + Self.longDirectory, withIntermediateDirectories: true)
        try Data("one".utf8).write(to: URL(fileURLWithPath: source + "/one"))
        try Data("two".utf8).write(to: URL(fileURLWithPath: source + "/sub/" + Self.longDirectory + "/" + String(repeating: "q", count: 100)))
        try FileManager.default.createSymbolicLink(atPath: source + "/link", withDestinationPath: "one")
        chmod(source + "/one", 0o751)
        var items: [TarPacker.Item] = []
        try TarPacker.walk(source, as: "copied") { items.append($0) }
        XCTAssertEqual(items.first?.header.name, "copied/")
        XCTAssertEqual(items.first { $0.header.name == "copied/one" }?.header.mode, 0o751)
        XCTAssertEqual(items.first { $0.header.name == "copied/link" }?.header.kind, .symlink)
        var contents: [TarPacker.Item] = []
        try TarPacker.walk(source, as: "") { contents.append($0) }
        XCTAssertEqual(contents.map(\.header.name).sorted().first, "link", "SRC/. : only what the directory holds")

        var batches: [[UInt8]] = []
        var batcher = TarBatcher(limit: 4096) { batches.append($0) }
        for item in items { try batcher.add(item.header) { try TarPacker.read(item.source!, size: item.header.size) } }
        try batcher.flush()
        XCTAssertGreaterThan(batches.count, 1, "a limit of 4 KiB needs several archives")
        XCTAssertTrue(batches.allSatisfy { $0.count <= 4096 && $0.count % 512 == 0 })
        let target = scratch + "/dst"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for batch in batches {
            let extractor = try TarExtractor(into: target)
            try extractor.feed(batch)
            try extractor.finish()
        }
        XCTAssertEqual(try String(contentsOfFile: target + "/copied/one", encoding: .utf8), "one")
        XCTAssertEqual(try String(contentsOfFile: target + "/copied/sub/" + Self.longDirectory + "/" + String(repeating: "q", count: 100), encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/copied/link"), "one")
        // An entry bigger than the limit cannot be sent at all.
        var small = TarBatcher(limit: 2048) { _ in XCTFail("nothing to send") }
        XCTAssertThrowsError(try small.add(TarHeader(name: "big", size: 4000)) { [UInt8](repeating: 0, count: 4000) }) {
            XCTAssertTrue("\($0)".contains("at most 2KiB"), "\($0)")
        }
    }
}
