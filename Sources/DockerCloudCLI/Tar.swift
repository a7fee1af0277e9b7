import Foundation

// Tar archives for `container cp` (the archive endpoints speak tar, as docker's do): a writer
// (ustar, with pax records for what ustar cannot hold), a push reader that takes bytes as they
// arrive (ustar, pax, GNU long names), an extractor that never writes outside its directory, and
// a packer that turns a local file or tree into entries.

/// What one archive entry says about itself.
struct TarHeader: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case file, hardLink, symlink, directory, fifo, characterDevice, blockDevice
        /// A type this tool does not create (kept so the reader can skip it).
        case other(UInt8)
    }

    var name: String
    var kind: Kind = .file
    var mode: UInt32 = 0o644
    var uid = 0
    var gid = 0
    var size = 0
    /// Seconds since 1970.
    var mtime = 0
    var linkName = ""
    var userName = ""
    var groupName = ""

    init(name: String, kind: Kind = .file, mode: UInt32 = 0o644, size: Int = 0, mtime: Int = 0, linkName: String = "") {
        self.name = name; self.kind = kind; self.mode = mode; self.size = size; self.mtime = mtime; self.linkName = linkName
    }
}

struct TarError: Error, CustomStringConvertible {
    var description: String
}

enum TarWriter {
    static let blockSize = 512
    /// The two zero blocks that end an archive.
    static let end = [UInt8](repeating: 0, count: 1024)

    static func typeFlag(_ kind: TarHeader.Kind) -> UInt8 {
        switch kind {
        case .file: return UInt8(ascii: "0")
        case .hardLink: return UInt8(ascii: "1")
        case .symlink: return UInt8(ascii: "2")
        case .characterDevice: return UInt8(ascii: "3")
        case .blockDevice: return UInt8(ascii: "4")
        case .directory: return UInt8(ascii: "5")
        case .fifo: return UInt8(ascii: "6")
        case .other(let flag): return flag
        }
    }

    /// Zeros that pad `size` bytes of data to a whole block.
    static func padding(_ size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: (blockSize - size % blockSize) % blockSize)
    }

    /// The header block(s) of an entry; its data (`header.size` bytes) and `padding` follow.
    /// Names and link names longer than ustar holds, and sizes of 8 GiB or more, go into a pax
    /// extended header before it, as Go's archive/tar (and so docker) writes them.
    static func header(_ h: TarHeader) -> [UInt8] {
        var pax: [(String, String)] = []
        var name = Array(h.name.utf8), prefix: [UInt8] = []
        if name.count > 100 {
            if let split = ustarSplit(name) { (prefix, name) = split } else {
                pax.append(("path", h.name))
                name = Array(name.suffix(100))
            }
        }
        var link = Array(h.linkName.utf8)
        if link.count > 100 {
            pax.append(("linkpath", h.linkName))
            link = Array(link.prefix(100))
        }
        let maxOctal11 = 0o77777777777
        if h.size > maxOctal11 { pax.append(("size", String(h.size))) }
        if h.uid > 0o7777777 { pax.append(("uid", String(h.uid))) }
        if h.gid > 0o7777777 { pax.append(("gid", String(h.gid))) }
        var out: [UInt8] = []
        if !pax.isEmpty {
            let records = paxRecords(pax)
            var x = TarHeader(name: "././@PaxHeader", kind: .other(UInt8(ascii: "x")), mode: 0o644, size: records.count, mtime: h.mtime)
            x.userName = ""
            out += block(x, name: Array(x.name.utf8), prefix: [], link: [])
            out += records + padding(records.count)
        }
        return out + block(h, name: name, prefix: prefix, link: link)
    }

    /// `prefix/name` with name ≤ 100 and prefix ≤ 155 bytes, split at a slash, if there is one.
    static func ustarSplit(_ path: [UInt8]) -> (prefix: [UInt8], name: [UInt8])? {
        guard path.count <= 256 else { return nil }
        for i in stride(from: min(path.count - 1, 155), through: 1, by: -1) where path[i] == UInt8(ascii: "/") {
            let name = Array(path[(i + 1)...])
            if name.isEmpty || name.count > 100 { continue }
            return (Array(path[..<i]), name)
        }
        return nil
    }

    /// "LEN key=value\n" records; LEN counts the whole record, its own digits included.
    static func paxRecords(_ pairs: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in pairs {
            let body = " \(key)=\(value)\n".utf8.count
            var length = body + 1
            while String(length).count + body != length { length = String(length).count + body }
            out += Array("\(length) \(key)=\(value)\n".utf8)
        }
        return out
    }

    static func block(_ h: TarHeader, name: [UInt8], prefix: [UInt8], link: [UInt8]) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], _ offset: Int, _ width: Int) {
            for (i, byte) in bytes.prefix(width).enumerated() { b[offset + i] = byte }
        }
        func octal(_ value: Int, _ offset: Int, _ width: Int) {
            let digits = String(max(0, value), radix: 8)
            let clamped = digits.count > width - 1 ? String(repeating: "7", count: width - 1) : digits
            put(Array((String(repeating: "0", count: width - 1 - clamped.count) + clamped).utf8), offset, width - 1)
        }
        put(name, 0, 100)
        octal(Int(h.mode & 0o7777), 100, 8)
        octal(h.uid, 108, 8)
        octal(h.gid, 116, 8)
        octal(h.size, 124, 12)
        octal(h.mtime, 136, 12)
        b[156] = typeFlag(h.kind)
        put(link, 157, 100)
        put(Array("ustar\0".utf8), 257, 6)
        put(Array("00".utf8), 263, 2)
        put(Array(h.userName.utf8), 265, 32)
        put(Array(h.groupName.utf8), 297, 32)
        octal(0, 329, 8)
        octal(0, 337, 8)
        put(prefix, 345, 155)
        put(Array("        ".utf8), 148, 8)
        let sum = b.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8), 148, 6)
        b[154] = 0
        b[155] = UInt8(ascii: " ")
        return b
    }
}

/// Reads an archive from bytes fed as they arrive: `.entry` for each entry (extension headers
/// applied), its data in `.data` pieces, `.entryEnd`, and `.end` at the end-of-archive blocks.
struct TarReader {
    enum Event: Equatable {
        case entry(TarHeader)
        case data([UInt8])
        case entryEnd
        case end
    }

    private enum State {
        case header
        case data(remaining: Int, padding: Int)
        /// The data of an extension header ('x', 'L', 'K', 'g'), collected.
        case extensionData(flag: UInt8, remaining: Int, padding: Int)
        case skipPadding(Int)
        case done
    }

    private var state = State.header
    private var block: [UInt8] = []
    private var collected: [UInt8] = []
    private var pax: [String: String] = [:]
    private var longName: String?
    private var longLink: String?
    /// Bytes read so far, for messages.
    private(set) var offset = 0
    var isDone: Bool { if case .done = state { return true }; return false }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [Event] {
        var events: [Event] = []
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .done:
                return events  // whatever follows the end blocks is not the archive's
            case .header:
                let take = min(TarWriter.blockSize - block.count, n - i)
                block += bytes[i..<(i + take)]
                i += take; offset += take
                if block.count == TarWriter.blockSize {
                    let header = block
                    block = []
                    if let event = try parseHeader(header) { events.append(contentsOf: event) }
                }
            case .data(let remaining, let padding):
                let take = min(remaining, n - i)
                if take > 0 { events.append(.data(Array(bytes[i..<(i + take)]))) }
                i += take; offset += take
                if remaining - take == 0 {
                    events.append(.entryEnd)
                    state = padding > 0 ? .skipPadding(padding) : .header
                } else {
                    state = .data(remaining: remaining - take, padding: padding)
                }
            case .extensionData(let flag, let remaining, let padding):
                let take = min(remaining, n - i)
                collected += bytes[i..<(i + take)]
                i += take; offset += take
                if remaining - take == 0 {
                    try applyExtension(flag, collected)
                    collected = []
                    state = padding > 0 ? .skipPadding(padding) : .header
                } else {
                    state = .extensionData(flag: flag, remaining: remaining - take, padding: padding)
                }
            case .skipPadding(let left):
                let take = min(left, n - i)
                i += take; offset += take
                state = left - take == 0 ? .header : .skipPadding(left - take)
            }
        }
        return events
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [Event] {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// The input ended: an error if it ended inside an entry. (An archive without its end blocks
    /// is accepted, as tar accepts it.)
    func finish() throws {
        switch state {
        case .done: return
        case .header where block.isEmpty: return
        default: throw TarError(description: "the archive ends in the middle of an entry (at byte \(offset))")
        }
    }

    private mutating func parseHeader(_ b: [UInt8]) throws -> [Event]? {
        if b.allSatisfy({ $0 == 0 }) {
            state = .done
            return [.end]
        }
        var unsigned = 0, signed = 0
        for (k, byte) in b.enumerated() {
            let v = (148..<156).contains(k) ? 0x20 : byte
            unsigned += Int(v); signed += Int(Int8(bitPattern: v))
        }
        let stored = TarReader.number(b[148..<156])
        guard stored == unsigned || stored == signed else {
            throw TarError(description: "not a tar archive (bad header checksum at byte \(offset - TarWriter.blockSize))")
        }
        let flag = b[156]
        let size = TarReader.number(b[124..<136])
        guard size >= 0 else { throw TarError(description: "a negative entry size at byte \(offset - TarWriter.blockSize)") }
        switch flag {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard size <= 1 << 20 else { throw TarError(description: "an extended header of \(size) bytes") }
            state = size == 0 ? .header : .extensionData(flag: flag, remaining: size, padding: TarWriter.padding(size).count)
            if size == 0 { try applyExtension(flag, []) }
            return nil
        default: break
        }
        let magic = Array(b[257..<263])
        var name = TarReader.string(b[0..<100])
        if magic == Array("ustar\0".utf8) {
            let prefix = TarReader.string(b[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        var h = TarHeader(name: name)
        h.mode = UInt32(truncatingIfNeeded: TarReader.number(b[100..<108]))
        h.uid = TarReader.number(b[108..<116])
        h.gid = TarReader.number(b[116..<124])
        h.size = size
        h.mtime = TarReader.number(b[136..<148])
        h.linkName = TarReader.string(b[157..<257])
        h.userName = TarReader.string(b[265..<297])
        h.groupName = TarReader.string(b[297..<329])
        switch flag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): h.kind = .file
        case UInt8(ascii: "1"): h.kind = .hardLink
        case UInt8(ascii: "2"): h.kind = .symlink
        case UInt8(ascii: "3"): h.kind = .characterDevice
        case UInt8(ascii: "4"): h.kind = .blockDevice
        case UInt8(ascii: "5"): h.kind = .directory
        case UInt8(ascii: "6"): h.kind = .fifo
        default: h.kind = .other(flag)
        }
        // Old archives mark directories by a trailing slash only.
        if h.kind == .file, flag == 0, name.hasSuffix("/") { h.kind = .directory }
        if let v = longName { h.name = v }
        if let v = longLink { h.linkName = v }
        if let v = pax["path"] { h.name = v }
        if let v = pax["linkpath"] { h.linkName = v }
        if let v = pax["size"].flatMap(Int.init) { h.size = v }
        if let v = pax["uid"].flatMap(Int.init) { h.uid = v }
        if let v = pax["gid"].flatMap(Int.init) { h.gid = v }
        if let v = pax["uname"] { h.userName = v }
        if let v = pax["gname"] { h.groupName = v }
        if let v = pax["mtime"].flatMap({ Double($0) }) { h.mtime = Int(v.rounded(.down)) }
        pax = [:]; longName = nil; longLink = nil
        // Links, directories and devices carry no data, whatever their size field says.
        let dataSize = [.file, .other(flag)].contains(h.kind) ? h.size : 0
        if [.hardLink, .symlink, .directory, .fifo, .characterDevice, .blockDevice].contains(h.kind) { h.size = 0 }
        if dataSize == 0 {
            state = .header
            return [.entry(h), .entryEnd]
        }
        state = .data(remaining: dataSize, padding: TarWriter.padding(dataSize).count)
        return [.entry(h)]
    }

    private mutating func applyExtension(_ flag: UInt8, _ data: [UInt8]) throws {
        switch flag {
        case UInt8(ascii: "L"): longName = TarReader.string(data[...])
        case UInt8(ascii: "K"): longLink = TarReader.string(data[...])
        case UInt8(ascii: "x"): pax.merge(try TarReader.parsePax(data), uniquingKeysWith: { $1 })
        default: break  // 'g': global records name no entry
        }
    }

    static func parsePax(_ data: [UInt8]) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[i..<space], as: UTF8.self)), length > space - i + 1, i + length <= data.count,
                  data[i + length - 1] == UInt8(ascii: "\n") else {
                throw TarError(description: "a malformed pax extended header")
            }
            let record = data[(space + 1)..<(i + length - 1)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                out[String(decoding: record[..<eq], as: UTF8.self)] = String(decoding: record[(eq + 1)...], as: UTF8.self)
            }
            i += length
        }
        return out
    }

    /// A NUL-terminated field.
    static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (spaces and NULs around it), or base-256 when its first byte has the high bit.
    static func number(_ field: ArraySlice<UInt8>) -> Int {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            var v = Int(first & 0x3F)
            for byte in field.dropFirst() { v = v << 8 | Int(byte) }
            return first & 0x40 != 0 ? -1 : v
        }
        let digits = field.drop { $0 == 0x20 || $0 == 0 }.prefix { (0x30...0x37).contains($0) }
        return digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
    }
}

/// Unpacks an archive into an existing directory, never outside it: absolute names and names
/// with `..` are refused, as is any entry whose parent resolves (through symlinks, existing or
/// unpacked) outside the directory. A directory is never replaced by a non-directory. Modes and
/// modification times are kept; ownership is not (as `docker cp` does on the local side).
/// `rename` gives the archive's top entry (and what is under it) another name: `docker cp`'s
/// renaming when the destination names a new file or directory. The top entry is the first
/// entry's first name component (`etc` of `etc/`, nothing for `./`, whose entries then all move
/// under the new name).
final class TarExtractor {
    let root: String
    let rename: String?
    /// The top name being renamed, known at the first entry.
    private var renamedFrom: [String]?
    private let realRoot: String
    private var reader = TarReader()
    private var current: (header: TarHeader, path: String, fd: Int32)?
    private var skipping = false
    private var directories: [(path: String, mode: UInt32, mtime: Int)] = []
    /// Parent directories proven inside the root (cleared when a symlink is made or a path replaced).
    private var checked: Set<String> = []
    private(set) var entries = 0
    var warn: (String) -> Void = { Output.error($0) }

    init(into directory: String, rename: String? = nil) throws {
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw TarError(description: "\(directory): no such directory")
        }
        root = directory
        self.rename = rename
        realRoot = TarExtractor.realPath(directory) ?? directory
    }

    deinit { if let fd = current?.fd, fd >= 0 { close(fd) } }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        for event in try reader.feed(bytes) { try handle(event) }
    }

    func feed(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try feed($0) } }

    /// The archive ended: checks it was whole, then gives directories their modes and times
    /// (last, so a read-only directory could still be filled).
    func finish() throws {
        try reader.finish()
        for d in directories.reversed() {
            _ = chmod(d.path, mode_t(d.mode & 0o7777))
            TarExtractor.setTime(d.path, d.mtime, followLink: true)
        }
        directories = []
    }

    /// An entry's name as components; refused when absolute or when it climbs with `..`.
    static func components(_ name: String) throws -> [String] {
        if name.hasPrefix("/") { throw TarError(description: "refusing the archive entry '\(name)': an absolute path") }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw TarError(description: "refusing the archive entry '\(name)': it leads out of the destination") }
        return parts
    }

    /// The entry's path inside the root, renamed if asked.
    func relativePath(_ name: String) throws -> String {
        var parts = try TarExtractor.components(name)
        if let rename {
            let from = renamedFrom ?? Array(parts.prefix(1))
            renamedFrom = from
            let to = try TarExtractor.components(rename)
            if parts.starts(with: from) { parts = to + parts.dropFirst(from.count) }
        }
        return parts.joined(separator: "/")
    }

    private func handle(_ event: TarReader.Event) throws {
        switch event {
        case .entry(let h):
            entries += 1
            try begin(h)
        case .data(let bytes):
            guard let c = current, c.fd >= 0, !skipping else { return }
            try bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(c.fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw TarError(description: "cannot write \(c.path): \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
        case .entryEnd:
            if let c = current, c.fd >= 0 {
                _ = fchmod(c.fd, mode_t(c.header.mode & 0o7777))
                var times = [timespec(tv_sec: c.header.mtime, tv_nsec: 0), timespec(tv_sec: c.header.mtime, tv_nsec: 0)]
                _ = futimens(c.fd, &times)
                let closed = close(c.fd)
                current = nil
                if closed != 0 { throw TarError(description: "cannot write \(c.path): \(String(cString: strerror(errno)))") }
            }
            current = nil
            skipping = false
        case .end:
            break
        }
    }

    private func begin(_ h: TarHeader) throws {
        let relative = try relativePath(h.name)
        if relative.isEmpty {
            // The root itself ("./"): it exists; nothing to make.
            current = nil
            return
        }
        let path = root + "/" + relative
        try ensureParent(of: relative)
        var existing = stat()
        let exists = lstat(path, &existing) == 0
        let isDirectory = exists && existing.st_mode & S_IFMT == S_IFDIR
        func replaceable() throws {
            if isDirectory { throw TarError(description: "cannot overwrite the directory \(path) with a non-directory") }
            if exists {
                guard unlink(path) == 0 else { throw TarError(description: "cannot replace \(path): \(String(cString: strerror(errno)))") }
                checked.removeAll()
            }
        }
        switch h.kind {
        case .directory:
            if exists && !isDirectory { try replaceable() }
            if !isDirectory, mkdir(path, 0o700) != 0 {
                throw TarError(description: "cannot create the directory \(path): \(String(cString: strerror(errno)))")
            }
            directories.append((path, h.mode, h.mtime))
            current = nil
        case .file:
            try replaceable()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw TarError(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
            current = (h, path, fd)
        case .symlink:
            try replaceable()
            guard symlink(h.linkName, path) == 0 else {
                throw TarError(description: "cannot create the symlink \(path): \(String(cString: strerror(errno)))")
            }
            checked.removeAll()
            TarExtractor.setTime(path, h.mtime, followLink: false)
            current = nil
        case .hardLink:
            let target = try relativePath(h.linkName)
            try ensureParent(of: target)
            try replaceable()
            guard !target.isEmpty, link(root + "/" + target, path) == 0 else {
                throw TarError(description: "cannot link \(path) to \(h.linkName): \(String(cString: strerror(errno)))")
            }
            current = nil
        case .fifo:
            try replaceable()
            guard mkfifo(path, mode_t(h.mode & 0o7777)) == 0 else {
                throw TarError(description: "cannot create the fifo \(path): \(String(cString: strerror(errno)))")
            }
            current = nil
        case .characterDevice, .blockDevice, .other:
            warn("skipping \(relative): a device or special file")
            current = (h, path, -1)
            skipping = true
        }
    }

    /// Makes the entry's missing parent directories and proves the parent is inside the root.
    private func ensureParent(of relative: String) throws {
        let parts = relative.split(separator: "/").map(String.init).dropLast()
        var path = root
        var sub = ""
        for part in parts {
            path += "/" + part
            sub += (sub.isEmpty ? "" : "/") + part
            if checked.contains(sub) { continue }
            var info = stat()
            if lstat(path, &info) != 0 {
                guard errno == ENOENT, mkdir(path, 0o755) == 0 else {
                    throw TarError(description: "cannot create the directory \(path): \(String(cString: strerror(errno)))")
                }
            } else if info.st_mode & S_IFMT == S_IFLNK {
                guard let real = TarExtractor.realPath(path), real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
                    throw TarError(description: "refusing the archive entry '\(relative)': \(path) is a symlink that leads out of the destination")
                }
                var target = stat()
                guard stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFDIR else {
                    throw TarError(description: "cannot unpack '\(relative)': \(path) is not a directory")
                }
            } else if info.st_mode & S_IFMT != S_IFDIR {
                throw TarError(description: "cannot unpack '\(relative)': \(path) is not a directory")
            }
            checked.insert(sub)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func setTime(_ path: String, _ mtime: Int, followLink: Bool) {
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, followLink ? 0 : AT_SYMLINK_NOFOLLOW)
    }
}

/// A local file or tree as archive entries, depth first, names sorted: regular files (read when
/// their turn comes), directories, symlinks (kept as links). Ownership becomes root's, as `docker
/// cp` gives copied files to the container's root.
enum TarPacker {
    /// One entry to write: its header, and where its data is read from (regular files).
    struct Item {
        var header: TarHeader
        var source: String?
    }

    /// `path` named `name` in the archive (`name` empty: only what a directory holds, for
    /// `SRC/.`), then everything under it.
    static func walk(_ path: String, as name: String, _ each: (Item) throws -> Void) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw TarError(description: "\(path): \(String(cString: strerror(errno)))") }
        let mode = UInt32(info.st_mode) & 0o7777
        let mtime = Int(info.st_mtim.tv_sec)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if !name.isEmpty { try each(Item(header: TarHeader(name: name + "/", kind: .directory, mode: mode, mtime: mtime))) }
            let children: [String]
            do { children = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
                throw TarError(description: "\(path): \(String(cString: strerror(errno == 0 ? EACCES : errno)))")
            }
            for child in children {
                try walk(path + "/" + child, as: name.isEmpty ? child : name + "/" + child, each)
            }
        case S_IFREG:
            try each(Item(header: TarHeader(name: name, kind: .file, mode: mode, size: Int(info.st_size), mtime: mtime), source: path))
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &buffer, buffer.count - 1)
            guard n >= 0 else { throw TarError(description: "\(path): \(String(cString: strerror(errno)))") }
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try each(Item(header: TarHeader(name: name, kind: .symlink, mode: mode, mtime: mtime, linkName: target)))
        case S_IFIFO:
            try each(Item(header: TarHeader(name: name, kind: .fifo, mode: mode, mtime: mtime)))
        default:
            Output.error("skipping \(path): a socket or device file")
        }
    }

    /// A regular file's data, exactly `size` bytes (a file that changed size while read is an error).
    static func read(_ path: String, size: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TarError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var data = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TarError(description: n < 0 ? "\(path): \(String(cString: strerror(errno)))" : "\(path) shrank while it was read") }
            done += n
        }
        return data
    }
}

/// Archive entries gathered into archives of at most `limit` bytes, each handed to `send` when
/// full: what one request to the server may carry.
struct TarBatcher {
    let limit: Int
    let send: ([UInt8]) throws -> Void
    private var buffer: [UInt8] = []
    private(set) var batches = 0

    init(limit: Int, send: @escaping ([UInt8]) throws -> Void) {
        self.limit = limit
        self.send = send
    }

    /// Adds one entry: its header, then `data` (read only once the entry is known to fit).
    mutating func add(_ header: TarHeader, data: () throws -> [UInt8]) throws {
        let head = TarWriter.header(header)
        let size = head.count + header.size + TarWriter.padding(header.size).count
        guard size + TarWriter.end.count <= limit else {
            throw TarError(description: "\(header.name) is \(ByteSize.binary(Double(header.size))): the server takes at most \(ByteSize.binary(Double(limit))) in one upload")
        }
        if !buffer.isEmpty, buffer.count + size + TarWriter.end.count > limit { try flush() }
        let bytes = header.size > 0 ? try data() : []
        guard bytes.count == header.size else { throw TarError(description: "\(header.name) changed size while it was read") }
        buffer += head
        buffer += bytes
        buffer += TarWriter.padding(bytes.count)
    }

    /// Sends what is gathered (an archive with no entries is sent only if nothing was sent yet).
    mutating func flush() throws {
        guard !buffer.isEmpty || batches == 0 else { return }
        try send(buffer + TarWriter.end)
        buffer = []
        batches += 1
    }
}
