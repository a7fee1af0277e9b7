import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud container top|stats|diff|export|cp|kill|pause|unpause|wait|rename|restart|attach|update`:
/// the engine's own operations on a container, through the server's extension of the API
/// (`.../container/<uuid>/<operation>/`), behaving as the docker CLI's verbs of the same names.
enum ContainerEngineCommands {
    /// The container an identifier names (uuid, short uuid, name, name.stack), and its uuid.
    static func resolve(_ ctx: Context, _ identifier: String) throws -> (object: JSONValue, uuid: String) {
        let container = try Resolver(api: ctx.api).resolve(.container, identifier, kind: "container")
        return (container, try container.requireUUID())
    }

    static func path(_ ctx: Context, _ uuid: String, _ operation: String) -> String {
        ctx.api.path(.container, id: uuid, operation: operation)
    }

    /// A usage error found after parsing: the parser's format, exit 2.
    static func usage(_ inv: Invocation, _ message: String) -> CommandError {
        CommandError(description: UsageError(path: inv.path, message: message).description, exitCode: 2)
    }

    // MARK: - top

    struct ProcessTable: Codable {
        var Titles: [String]
        var Processes: [[String]]?
    }

    /// `top CONTAINER [ps OPTIONS]`: the container's processes, columns aligned as `docker top` does.
    static func top(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (_, uuid) = try resolve(ctx, inv.positional("identifier").first ?? "")
        var words = inv.positional("ps_options")
        if words.first == "--" { words.removeFirst() }
        let reply = try ctx.api.send("GET", path(ctx, uuid, "top"), query: words.isEmpty ? [] : [("ps_args", words.joined(separator: " "))])
        let table = try ctx.api.decode(ProcessTable.self, reply)
        switch OutputFormat(inv.value("format")) {
        case .json:
            Output.out(OutputFormat.json(try ctx.api.decode(JSONValue.self, reply)))
        case .template(let template):
            // One line per process; its fields by column title (`{{.PID}} {{.CMD}}`).
            for process in table.Processes ?? [] {
                let fields = Dictionary(zip(table.Titles, process.map(JSONValue.string)), uniquingKeysWith: { a, _ in a })
                Output.out(OutputFormat.render(template: template, .object(fields)))
            }
        case .table:
            Output.out(topTable(table))
        }
        return 0
    }

    static func topTable(_ table: ProcessTable) -> String {
        TabWriter.render([table.Titles] + (table.Processes ?? []), minWidth: 20, padding: 3)
    }

    // MARK: - stats

    /// `stats [--no-stream] CONTAINER...`: CPU, memory, network, block I/O and pids, as `docker stats`
    /// computes and prints them; followed over the stats websocket until every stream ends.
    static func stats(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let format = OutputFormat(inv.value("format"))
        var failed = false
        var targets: [(uuid: String, name: String)] = []
        for id in inv.positional("identifier") {
            do {
                let (c, uuid) = try resolve(ctx, id)
                targets.append((uuid, c["name"]?.stringValue ?? id))
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        if inv.flag("no_stream") == true {
            let api = ctx.api
            let fetches = targets.map { t in
                let p = path(ctx, t.uuid, "stats")
                return Background { try api.get(JSONValue.self, p) }
            }
            var rows: [[String]] = []
            var samples: [JSONValue] = []
            for (t, fetch) in zip(targets, fetches) {
                do {
                    let sample = try fetch.value()
                    samples.append(sample)
                    rows.append(StatsRow(sample).cells(container: String(t.uuid.prefix(8)), name: t.name))
                } catch {
                    Output.error("\(error)")
                    failed = true
                }
            }
            switch format {
            case .json: Output.out(OutputFormat.json(samples))
            case .template(let t): Output.out(samples.map { OutputFormat.render(template: t, $0) }.joined())
            case .table: if !rows.isEmpty || !failed { Output.out(StatsRow.table(rows)) }
            }
            return failed ? 3 : 0
        }
        if targets.isEmpty { return 3 }
        return try followStats(ctx, targets, format: format, failedAlready: failed)
    }

    /// The streams of several containers at once; a table per round (redrawn in place on a terminal).
    static func followStats(_ ctx: Context, _ targets: [(uuid: String, name: String)], format: OutputFormat, failedAlready: Bool) throws -> Int32 {
        struct Follow {
            var uuid: String
            var name: String
            var socket: WebSocket?
            var latest: JSONValue?
        }
        var failed = failedAlready
        var follows: [Follow] = []
        for t in targets {
            do {
                let socket = try Streams.open(ctx, path(ctx, t.uuid, "stats"))
                follows.append(Follow(uuid: t.uuid, name: t.name, socket: socket))
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        defer { for f in follows { f.socket?.close() } }
        let terminal = isatty(1) == 1
        let started = Date()
        var lastDraw = Date.distantPast
        var drew = false
        while follows.contains(where: { $0.socket != nil }) {
            var fds = follows.compactMap { $0.socket.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) } }
            _ = poll(&fds, nfds_t(fds.count), 200)
            for i in follows.indices {
                guard let socket = follows[i].socket else { continue }
                drain: while true {
                    let event: WebSocket.Event
                    do { event = try socket.receive(timeout: 0.005) } catch {
                        Output.error("The stats stream of container \(follows[i].name) failed: \(error)")
                        failed = true
                        follows[i].socket = nil
                        break drain
                    }
                    switch event {
                    case .timeout: break drain
                    case .text(let text):
                        guard let sample = try? JSONValue.parse(Data(text.utf8)), sample.objectValue != nil else { continue }
                        if sample["type"]?.stringValue == "error" {
                            Output.error(sample["data"]?["errorMessage"]?.stringValue ?? text)
                            failed = true
                            continue
                        }
                        follows[i].latest = sample
                        switch format {
                        case .json: Output.out(text.trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
                        case .template(let t): Output.out(OutputFormat.render(template: t, sample))
                        case .table: break
                        }
                    case .binary: continue
                    case .closed(let code, let reason):
                        if let code, code != 1000 {
                            Output.error("The stats stream of container \(follows[i].name) ended: \(reason.isEmpty ? "code \(code)" : reason)")
                            failed = true
                        }
                        follows[i].socket = nil
                        break drain
                    }
                }
            }
            guard case .table = format else { continue }
            let live = follows.filter { $0.socket != nil }
            let ready = live.allSatisfy { $0.latest != nil } || Date().timeIntervalSince(started) > 2
            guard !live.isEmpty, ready, Date().timeIntervalSince(lastDraw) >= 1 else { continue }
            let rows = live.compactMap { f in f.latest.map { StatsRow($0).cells(container: String(f.uuid.prefix(8)), name: f.name) } }
            Output.out((terminal ? "\u{1B}[2J\u{1B}[H" : "") + StatsRow.table(rows))
            lastDraw = Date()
            drew = true
        }
        _ = drew
        return failed ? 3 : 0
    }

    // MARK: - diff

    struct Change: Codable {
        var Path: String
        var Kind: Int
    }

    /// `diff CONTAINER`: `C /path` (changed), `A` (added), `D` (deleted), as `docker diff` prints them.
    static func diff(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (_, uuid) = try resolve(ctx, inv.positional("identifier").first ?? "")
        let reply = try ctx.api.send("GET", path(ctx, uuid, "changes"))
        switch OutputFormat(inv.value("format")) {
        case .json:
            let value = try ctx.api.decode(JSONValue.self, reply)
            Output.out(OutputFormat.json(value.isNull ? .array([]) : value))
        case .template(let t):
            let value = try ctx.api.decode(JSONValue.self, reply)
            Output.out((value.arrayValue ?? []).map { OutputFormat.render(template: t, $0) }.joined())
        case .table:
            let changes = try ctx.api.decode([Change]?.self, reply) ?? []
            Output.out(diffLines(changes))
        }
        return 0
    }

    static func diffLines(_ changes: [Change]) -> String {
        changes.map { c in
            let kind: String
            switch c.Kind {
            case 0: kind = "C"
            case 1: kind = "A"
            case 2: kind = "D"
            default: kind = "?"
            }
            return "\(kind) \(c.Path)\n"
        }.joined()
    }

    // MARK: - export

    static let terminalRefusal = "Cowardly refusing to write a tar archive to a terminal: use -o FILE or redirect standard output"

    /// `export CONTAINER [-o FILE]`: the container's filesystem as a tar, streamed to the file or stdout.
    static func export(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let file = inv.value("output").flatMap { $0 == "-" ? nil : $0 }
        if file == nil, isatty(1) == 1 { throw CommandError(description: terminalRefusal) }
        let (_, uuid) = try resolve(ctx, inv.positional("identifier").first ?? "")
        let sink = try OutputFile(file)
        do {
            _ = try ctx.api.stream("GET", path(ctx, uuid, "export")) { _, bytes in try sink.write(bytes) }
            try sink.commit()
        } catch {
            sink.discard()
            throw error
        }
        return 0
    }

    // MARK: - kill, pause, unpause, wait, rename, update, restart

    /// `kill [-s SIGNAL] CONTAINER...`: prints each long uuid.
    static func kill(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let query = inv.value("signal").map { [("signal", $0)] } ?? []
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let (_, uuid) = try resolve(ctx, id)
            _ = try ctx.api.send("POST", path(ctx, uuid, "kill"), query: query)
            Output.out(uuid + "\n")
        }
    }

    /// `pause`/`unpause CONTAINER...`: prints each long uuid.
    static func operate(_ operation: String) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            Lifecycle.forEach(inv.positional("identifier")) { id in
                let (_, uuid) = try resolve(ctx, id)
                _ = try ctx.api.send("POST", path(ctx, uuid, operation))
                Output.out(uuid + "\n")
            }
        }
    }

    struct WaitResult: Codable { var StatusCode: Int }

    /// `wait CONTAINER...`: blocks until each container stops, prints its exit code.
    static func wait(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        Lifecycle.forEach(inv.positional("identifier")) { id in
            let (_, uuid) = try resolve(ctx, id)
            // Waits as long as the container runs: no bound, and no byte arrives meanwhile.
            let reply = try ctx.api.send("POST", path(ctx, uuid, "wait"), timeout: 0, stallTimeout: 0)
            Output.out("\(try ctx.api.decode(WaitResult.self, reply).StatusCode)\n")
        }
    }

    /// `rename CONTAINER NEW_NAME`: prints nothing, as `docker rename`.
    static func rename(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (_, uuid) = try resolve(ctx, inv.positional("identifier").first ?? "")
        _ = try ctx.api.send("POST", path(ctx, uuid, "rename"), query: [("name", inv.positional("new_name").first ?? "")])
        return 0
    }

    /// `update CONTAINER... [--cpushares N] [--memory MB] [--memory-swap MB] [--cpuset CPUS]`:
    /// new resource limits for running containers; prints each long uuid.
    static func update(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        var body: [String: JSONValue] = [:]
        if let v = inv.value("cpushares").flatMap(Int.init) { body["cpu_shares"] = .number(Double(v)) }
        if let v = inv.value("memory").flatMap(Int.init) { body["memory"] = .number(Double(v)) }
        if let v = inv.value("memory_swap").flatMap(Int.init) { body["memory_swap"] = .number(Double(v)) }
        if let v = inv.value("cpuset") { body["cpuset"] = .string(v) }
        guard !body.isEmpty else { throw usage(inv, "give at least one of --cpushares, --memory, --memory-swap, --cpuset") }
        return Lifecycle.forEach(inv.positional("identifier")) { id in
            let (_, uuid) = try resolve(ctx, id)
            _ = try ctx.api.send("POST", path(ctx, uuid, "update"), json: .object(body))
            Output.out(uuid + "\n")
        }
    }

    // MARK: - attach

    /// `attach CONTAINER [--no-stdin]`: the container's output (stdout and stderr apart), and
    /// standard input to the container when it keeps one open. Raw terminal mode only when the
    /// container has a terminal; Ctrl-P Ctrl-Q then detaches (Ctrl-C goes to the container),
    /// otherwise Ctrl-C ends the attachment. When the container's process ends, exits with its code.
    static func attach(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (container, uuid) = try resolve(ctx, inv.positional("identifier").first ?? "")
        let stdin = inv.flag("no_stdin") != true && container["stdin_open"]?.boolValue == true
        let raw = stdin && container["tty"]?.boolValue == true && isatty(0) == 1
        let socket = try Streams.open(ctx, path(ctx, uuid, "attach"))
        defer { socket.close() }
        var session = ExecSession(socket: socket, terminal: raw)
        session.stdinOpen = stdin
        session.readWholeInputFirst = false
        session.sendsResize = false
        session.endOfInput = nil
        session.detachKeys = raw ? DetachKeys() : nil
        _ = try session.run()
        if session.detached { return 0 }
        // The stream ended with the process: its exit code, as `docker attach` gives it.
        guard let reply = try? ctx.api.send("POST", path(ctx, uuid, "wait"), timeout: 10),
              let result = try? ctx.api.decode(WaitResult.self, reply) else { return 0 }
        return Int32(truncatingIfNeeded: result.StatusCode)
    }
}

// MARK: - Pure parts: layout and arithmetic

/// Go's text/tabwriter as docker's tables use it (padding with spaces, no flags): every cell but
/// a line's last is padded to its column's width (widest cell plus `padding`, at least
/// `minWidth`); columns are aligned over consecutive lines that have them.
enum TabWriter {
    static func render(_ lines: [[String]], minWidth: Int, padding: Int) -> String {
        var out = ""
        var widths: [Int] = []
        func width(_ s: String) -> Int { s.unicodeScalars.count }
        func write(_ from: Int, _ to: Int) {
            for line in lines[from..<to] {
                for (j, cell) in line.enumerated() {
                    out += cell
                    if j < widths.count, j < line.count - 1 { out += String(repeating: " ", count: max(0, widths[j] - width(cell))) }
                }
                out += "\n"
            }
        }
        func format(_ line0: Int, _ line1: Int) {
            var line0 = line0
            let column = widths.count
            var this = line0
            while this < line1 {
                if column >= lines[this].count - 1 { this += 1; continue }
                write(line0, this)
                line0 = this
                var w = minWidth
                while this < line1, column < lines[this].count - 1 {
                    w = max(w, width(lines[this][column]) + padding)
                    this += 1
                }
                widths.append(w)
                format(line0, this)
                widths.removeLast()
                line0 = this
            }
            write(line0, line1)
        }
        format(0, lines.count)
        return out
    }
}

/// Sizes as docker prints them (go-units): `binary` is BytesSize ("1.203MiB", "0B"), `decimal`
/// is HumanSizeWithPrecision ("1.45kB", "656B").
enum ByteSize {
    static func scaled(_ size: Double, base: Double, units: [String]) -> (Double, String) {
        var size = size, i = 0
        while size >= base && i < units.count - 1 { size /= base; i += 1 }
        return (size, units[i])
    }

    /// C's %g is Go's for these values: precision significant digits, no trailing zeros.
    static func g(_ value: Double, _ precision: Int) -> String { String(format: "%.\(precision)g", value) }

    static func binary(_ size: Double) -> String {
        let (v, unit) = scaled(size, base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"])
        return g(v, 4) + unit
    }

    static func decimal(_ size: Double, precision: Int = 3) -> String {
        let (v, unit) = scaled(size, base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"])
        return g(v, precision) + unit
    }
}

/// One stats sample as `docker stats` shows it.
struct StatsRow: Equatable {
    var cpuPercent = 0.0
    var memoryUsage = 0.0
    var memoryLimit = 0.0
    var memoryPercent = 0.0
    var networkRx = 0.0, networkTx = 0.0
    var blockRead = 0.0, blockWrite = 0.0
    var pids = 0

    static let headers = ["CONTAINER", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]

    static func number(_ v: JSONValue?) -> Double {
        if case .number(let d)? = v { return d }
        return 0
    }

    init(_ s: JSONValue) {
        // CPU: the share of the host's CPU time used between the two readings, times the CPUs.
        let cpu = s["cpu_stats"], pre = s["precpu_stats"]
        let cpuDelta = StatsRow.number(cpu?["cpu_usage"]?["total_usage"]) - StatsRow.number(pre?["cpu_usage"]?["total_usage"])
        let systemDelta = StatsRow.number(cpu?["system_cpu_usage"]) - StatsRow.number(pre?["system_cpu_usage"])
        var cpus = StatsRow.number(cpu?["online_cpus"])
        if cpus == 0 { cpus = Double(cpu?["cpu_usage"]?["percpu_usage"]?.arrayValue?.count ?? 0) }
        if systemDelta > 0 && cpuDelta > 0 { cpuPercent = cpuDelta / systemDelta * cpus * 100 }
        // Memory: usage less the page cache the kernel can take back (cgroup v1, v2, older engines).
        let memory = s["memory_stats"]
        let usage = StatsRow.number(memory?["usage"])
        memoryUsage = usage
        for key in ["total_inactive_file", "inactive_file", "cache"] {
            if let v = memory?["stats"]?[key], case .number(let d) = v, d < usage {
                memoryUsage = usage - d
                break
            }
        }
        memoryLimit = StatsRow.number(memory?["limit"])
        memoryPercent = memoryLimit != 0 ? memoryUsage / memoryLimit * 100 : 0
        for (_, network) in s["networks"]?.objectValue ?? [:] {
            networkRx += StatsRow.number(network["rx_bytes"])
            networkTx += StatsRow.number(network["tx_bytes"])
        }
        for entry in s["blkio_stats"]?["io_service_bytes_recursive"]?.arrayValue ?? [] {
            switch entry["op"]?.stringValue?.first {
            case "r", "R": blockRead += StatsRow.number(entry["value"])
            case "w", "W": blockWrite += StatsRow.number(entry["value"])
            default: break
            }
        }
        pids = Int(StatsRow.number(s["pids_stats"]?["current"]))
    }

    func cells(container: String, name: String) -> [String] {
        [container, name, String(format: "%.2f%%", cpuPercent),
         ByteSize.binary(memoryUsage) + " / " + ByteSize.binary(memoryLimit), String(format: "%.2f%%", memoryPercent),
         ByteSize.decimal(networkRx) + " / " + ByteSize.decimal(networkTx),
         ByteSize.decimal(blockRead) + " / " + ByteSize.decimal(blockWrite), String(pids)]
    }

    /// Laid out as docker's stats table (tabwriter, minimum width 10, padding 3).
    static func table(_ rows: [[String]]) -> String { TabWriter.render([headers] + rows, minWidth: 10, padding: 3) }
}

/// Where a tar goes: standard output, or a file written under a temporary name and renamed when
/// whole (a device such as /dev/null is written as it is).
final class OutputFile {
    private let fd: Int32
    private let temporary: String?
    private let final: String?

    init(_ path: String?) throws {
        guard let path else { fd = 1; temporary = nil; final = nil; return }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            if info.st_mode & S_IFMT == S_IFDIR { throw CommandError(description: "\(path) is a directory") }
            fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw CommandError(description: "Cannot write \(path): \(String(cString: strerror(errno)))") }
            temporary = nil; final = nil
            return
        }
        let directory = (path as NSString).deletingLastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.docker-cloud-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard made >= 0 else { throw CommandError(description: "Cannot write \(path): \(String(cString: strerror(errno)))") }
        let mask = umask(0)
        umask(mask)
        fchmod(made, 0o666 & ~mask)
        fd = made
        temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        final = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandError(description: "Cannot write \(final ?? "the output"): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    func commit() throws {
        guard let temporary, let final else { if fd != 1 { close(fd) }; return }
        guard fsync(fd) == 0 || errno == EINVAL, close(fd) == 0, Glibc.rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CommandError(description: "Cannot write \(final): \(reason)")
        }
    }

    func discard() {
        guard let temporary else { return }
        close(fd)
        unlink(temporary)
    }
}

// MARK: - cp

extension ContainerEngineCommands {
    /// What the server takes in one request (docker-cloud-server's body limit); bigger copies go
    /// in several archives.
    static let uploadLimit = 8 << 20

    /// One side of `cp`: a local path (`-` for a tar on stdin/stdout) or `CONTAINER:PATH`.
    enum CopySide: Equatable {
        case local(String)
        case container(String, String)
    }

    /// docker's rule: an absolute path, a path starting with `.`, or a word without `:` is local.
    static func copySide(_ arg: String) -> CopySide {
        if arg.hasPrefix("/") { return .local(arg) }
        guard let colon = arg.firstIndex(of: ":"), !arg.hasPrefix(".") else { return .local(arg) }
        return .container(String(arg[..<colon]), String(arg[arg.index(after: colon)...]))
    }

    /// A container path as the API takes it: absolute (docker's paths are relative to `/`).
    static func containerPath(_ p: String) -> String { p.hasPrefix("/") ? p : "/" + p }

    /// `dir/base` of a path with trailing slashes ignored ("a/b/" → ("a", "b"), "b" → (".", "b")).
    static func split(_ path: String, root: String) -> (directory: String, base: String) {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return (root, String(p)) }
        let directory = p[..<slash]
        return (directory.isEmpty ? "/" : String(directory), String(p[p.index(after: slash)...]))
    }

    /// `SRC/.` or `.`: the directory's contents rather than the directory.
    static func meansContents(_ path: String) -> Bool { path == "." || path.hasSuffix("/.") }
    /// `DEST/` (or `DEST/.`): must be a directory.
    static func assertsDirectory(_ path: String) -> Bool { path.hasSuffix("/") || meansContents(path) }

    /// A container path's stat (the `X-Docker-Container-Path-Stat` JSON).
    struct PathStat: Codable {
        var name: String
        var size: Int
        var mode: UInt32
        var mtime: String?
        var linkTarget: String?
        var isDirectory: Bool { mode & (1 << 31) != 0 }
        var isSymlink: Bool { mode & (1 << 27) != 0 }

        init(header: String?) throws {
            guard let header, let data = Data(base64Encoded: header), let stat = try? JSONDecoder().decode(PathStat.self, from: data) else {
                throw CommandError(description: "The server's answer carries no valid X-Docker-Container-Path-Stat header")
            }
            self = stat
        }
    }

    /// `cp CONTAINER:SRC_PATH DEST_PATH|-` and `cp SRC_PATH|- CONTAINER:DEST_PATH`, as docker cp does.
    static func cp(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let source = copySide(inv.positional("source").first ?? "")
        let destination = copySide(inv.positional("destination").first ?? "")
        switch (source, destination) {
        case (.local, .local):
            throw usage(inv, "one of the paths must name a container: CONTAINER:PATH")
        case (.container, .container):
            throw usage(inv, "copying between containers is not supported")
        case (.container(let id, let p), .local(let local)):
            guard !p.isEmpty else { throw usage(inv, "no path after '\(id):'") }
            try copyFromContainer(ctx, id, containerPath(p), to: local)
        case (.local(let local), .container(let id, let p)):
            guard !p.isEmpty else { throw usage(inv, "no path after '\(id):'") }
            try copyToContainer(ctx, local, id, containerPath(p))
        }
        return 0
    }

    static func copyFromContainer(_ ctx: Context, _ id: String, _ source: String, to destination: String) throws {
        if destination == "-", isatty(1) == 1 { throw CommandError(description: terminalRefusal) }
        // Where the archive goes, decided before any byte comes.
        var info = stat()
        let exists = stat(destination, &info) == 0
        if !exists, errno != ENOENT { throw CommandError(description: "\(destination): \(String(cString: strerror(errno)))") }
        let isDirectory = exists && info.st_mode & S_IFMT == S_IFDIR
        let (_, uuid) = try resolve(ctx, id)
        let archive = path(ctx, uuid, "archive")
        if destination == "-" {
            let out = try OutputFile(nil)
            _ = try ctx.api.stream("GET", archive, query: [("path", source)]) { _, bytes in try out.write(bytes) }
            return
        }
        var extractor: TarExtractor?
        do {
            _ = try ctx.api.stream("GET", archive, query: [("path", source)]) { headers, bytes in
                if extractor == nil {
                    let stat = try PathStat(header: headers["x-docker-container-path-stat"])
                    let (directory, base) = split(destination, root: ".")
                    if isDirectory {
                        extractor = try TarExtractor(into: destination)
                    } else if exists && stat.isDirectory {
                        throw CommandError(description: "Cannot copy the directory \(source) to the file \(destination)")
                    } else if !exists && !stat.isDirectory && assertsDirectory(destination) {
                        throw CommandError(description: "The destination directory \(destination) does not exist")
                    } else {
                        extractor = try TarExtractor(into: directory, rename: base)
                    }
                }
                try extractor!.feed(bytes)
            }
            guard let extractor else { throw CommandError(description: "The server sent no archive of \(source)") }
            try extractor.finish()
        } catch let e as TarError {
            throw CommandError(description: "Cannot copy \(id):\(source) to \(destination): \(e.description)")
        }
    }

    /// The stat of a container path; nil when nothing is there.
    static func statContainerPath(_ ctx: Context, _ archive: String, _ p: String) throws -> PathStat? {
        do {
            let reply = try ctx.api.send("HEAD", archive, query: [("path", p)])
            return try PathStat(header: reply.headers["x-docker-container-path-stat"])
        } catch let e as APIClientError where e.status == 404 {
            return nil
        } catch let e as APIClientError {
            // A HEAD answer has no body, so no message: a GET says why (and is cut short if it works).
            struct Enough: Error {}
            do { _ = try ctx.api.stream("GET", archive, query: [("path", p)]) { _, _ in throw Enough() } } catch let message as APIClientError {
                throw message
            } catch {}
            throw e
        }
    }

    static func copyToContainer(_ ctx: Context, _ source: String, _ id: String, _ destination: String) throws {
        if source == "-", isatty(0) == 1 { throw CommandError(description: "Refusing to read a tar archive from a terminal: pipe one into standard input") }
        var local = stat()
        if source != "-" {
            guard lstat(source, &local) == 0 else {
                throw CommandError(description: "Cannot copy \(source): \(String(cString: strerror(errno)))")
            }
        }
        let sourceIsDirectory = source != "-" && local.st_mode & S_IFMT == S_IFDIR
        if source != "-", assertsDirectory(source), !sourceIsDirectory { throw CommandError(description: "Cannot copy \(source): not a directory") }
        let (_, uuid) = try resolve(ctx, id)
        let archive = path(ctx, uuid, "archive")
        var target = destination
        var stat = try statContainerPath(ctx, archive, destination.count > 1 && destination.hasSuffix("/") ? String(destination.dropLast()) : destination)
        if let s = stat, s.isSymlink, let link = s.linkTarget, !link.isEmpty {
            // As docker cp: a destination that is a symlink means where it points.
            target = link.hasPrefix("/") ? link : split(destination, root: "/").directory + "/" + link
            stat = try statContainerPath(ctx, archive, target)
        }
        var uploads = 0
        var batcher = TarBatcher(limit: uploadLimit) { tar in
            uploads += 1
            _ = try ctx.api.send("PUT", archive, query: [("path", target)], body: Data(tar), contentType: "application/x-tar")
        }
        if source == "-" {
            guard stat?.isDirectory == true else { throw CommandError(description: "The destination \(destination) must be an existing directory when the source is a tar on standard input") }
            try uploadStandardInput(&batcher, ctx, archive, target)
            return
        }
        let name: String
        if let stat, stat.isDirectory {
            name = meansContents(source) ? "" : split(source, root: ".").base
        } else {
            if stat != nil && sourceIsDirectory { throw CommandError(description: "Cannot copy the directory \(source) to the file \(destination)") }
            if stat == nil && !sourceIsDirectory && assertsDirectory(destination) {
                throw CommandError(description: "The destination directory \(destination) does not exist in the container")
            }
            let parts = split(target, root: "/")
            target = parts.directory
            name = parts.base
        }
        do {
            try TarPacker.walk(source, as: name) { item in
                try batcher.add(item.header) { try item.source.map { try TarPacker.read($0, size: item.header.size) } ?? [] }
            }
            try batcher.flush()
        } catch let e as TarError {
            throw CommandError(description: "Cannot copy \(source) to \(id):\(destination): \(e.description)" + (uploads > 0 ? " (\(uploads) part(s) were copied)" : ""))
        }
    }

    /// A tar from standard input: sent as it is when it fits in one request, else its entries in
    /// several archives.
    static func uploadStandardInput(_ batcher: inout TarBatcher, _ ctx: Context, _ archive: String, _ target: String) throws {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var ended = false
        while head.count <= uploadLimit {
            let n = read(0, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw CommandError(description: "Cannot read standard input: \(String(cString: strerror(errno)))") }
            if n == 0 { ended = true; break }
            head += chunk[..<n]
        }
        if ended {
            guard !head.isEmpty else { throw CommandError(description: "Standard input is empty: expected a tar archive") }
            _ = try ctx.api.send("PUT", archive, query: [("path", target)], body: Data(head), contentType: "application/x-tar")
            return
        }
        var reader = TarReader()
        var entry: (header: TarHeader, data: [UInt8])?
        func take(_ events: [TarReader.Event]) throws {
            for event in events {
                switch event {
                case .entry(let h): entry = (h, [])
                case .data(let bytes): entry?.data += bytes
                case .entryEnd:
                    if let e = entry { try batcher.add(e.header) { e.data } }
                    entry = nil
                case .end: break
                }
            }
        }
        do {
            try take(try reader.feed(head))
            while !reader.isDone {
                let n = read(0, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw CommandError(description: "Cannot read standard input: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                try take(try reader.feed(Array(chunk[..<n])))
            }
            try reader.finish()
            try batcher.flush()
        } catch let e as TarError {
            throw CommandError(description: "Cannot copy the archive on standard input: \(e.description)")
        }
    }
}
