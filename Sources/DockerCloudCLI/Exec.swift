import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `exec ID [COMMAND...]` and `container exec`: a command in a running container over the exec
/// stream. On a terminal: raw mode, every keystroke forwarded, window size sent on start and on
/// SIGWINCH. Otherwise stdin is sent whole, then EOF (Ctrl-D). Exits with the command's status.
enum ExecCommand {
    /// 1.0.9's quoting: `"` escaped, words with spaces wrapped in quotes, joined by spaces.
    static func commandString(_ words: [String]) -> String {
        words.map { w in
            let escaped = w.replacingOccurrences(of: "\"", with: "\\\"")
            return escaped.contains(" ") ? "\"\(escaped)\"" : escaped
        }.joined(separator: " ")
    }

    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let id = inv.positional("identifier").first ?? ""
        let container = try Resolver(api: ctx.api).resolve(.container, id, kind: "container")
        let uuid = try container.requireUUID()
        var words = inv.positional("command")
        if words.first == "--" { words.removeFirst() }
        let terminal = isatty(0) == 1
        // A terminal on the container's side only when there is one here (servers that do not know
        // `tty` ignore it).
        var query = words.isEmpty ? [] : [("command", commandString(words))]
        query.append(("tty", terminal ? "true" : "false"))
        let socket = try Streams.open(ctx, ResourceURI.exec(namespace: ctx.config.namespace, container: uuid), query: query)
        defer { socket.close() }
        var session = ExecSession(socket: socket, terminal: terminal)
        session.readWholeInputFirst = !terminal
        return try session.run()
    }
}

/// The loop of one exec (and of `container attach`): poll stdin and the socket, forward
/// keystrokes, write output.
struct ExecSession {
    let socket: WebSocket
    /// Raw mode: every keystroke goes to the other side.
    let terminal: Bool
    var stdinOpen = true
    /// Exec without a terminal: stdin is sent whole before anything else.
    var readWholeInputFirst = false
    /// Exec: the window size on start and on SIGWINCH.
    var sendsResize = true
    /// What tells the other side that stdin ended (exec: Ctrl-D); nil sends nothing.
    var endOfInput: String? = "\u{04}"
    /// Keys that end the session, the container left running (attach: Ctrl-P Ctrl-Q).
    var detachKeys: DetachKeys?
    private(set) var detached = false

    init(socket: WebSocket, terminal: Bool) {
        self.socket = socket
        self.terminal = terminal
    }

    static let resized = SignalFlag()

    mutating func run() throws -> Int32 {
        var saved = termios()
        if terminal {
            tcgetattr(0, &saved)
            var raw = saved
            cfmakeraw(&raw)
            // Output processing stays on: a bare "\n" from the container still returns the carriage.
            raw.c_oflag = saved.c_oflag
            tcsetattr(0, TCSANOW, &raw)
            if sendsResize {
                signal(SIGWINCH) { _ in ExecSession.resized.set() }
                sendSize()
            }
        }
        defer {
            if terminal {
                tcsetattr(0, TCSANOW, &saved)
                if sendsResize { signal(SIGWINCH, SIG_DFL) }
            }
        }
        if readWholeInputFirst && stdinOpen {
            // Whole stdin first (a pipe or a file), then end-of-input.
            let input = FileHandle.standardInput.readDataToEndOfFile()
            if !input.isEmpty { try socket.send(text: String(decoding: input, as: UTF8.self)) }
            if let endOfInput { try socket.send(text: endOfInput) }
            stdinOpen = false
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if ExecSession.resized.take() { sendSize() }
            var fds = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)]
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 100)
            // Drain whatever the socket (or TLS buffers behind it) holds.
            while true {
                let event = try socket.receive(timeout: 0.005)
                if case .timeout = event { break }
                if let status = try handle(event) { return status }
            }
            if stdinOpen, fds.count > 1, fds[1].revents != 0 {
                let n = read(0, &buffer, buffer.count)
                if n <= 0 {
                    stdinOpen = false
                    if let endOfInput { try socket.send(text: endOfInput) }
                } else {
                    var keys = Array(buffer[..<n])
                    if detachKeys != nil { (keys, detached) = detachKeys!.filter(keys) }
                    if !keys.isEmpty { try socket.send(binary: keys) }
                    if detached { return 0 }
                }
            }
        }
    }

    /// Output frames are written out; the close ends the session with the status in its reason.
    func handle(_ event: WebSocket.Event) throws -> Int32? {
        switch event {
        case .text(let text):
            guard let frame = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), frame.objectValue != nil else {
                Output.out(text)
                return nil
            }
            if frame["type"]?.stringValue == "error" {
                let message = frame["data"]?["errorMessage"]?.stringValue ?? text
                if message == "UNAUTHORIZED" { throw CommandError(description: "Not Authorized", exitCode: 2) }
                throw CommandError(description: message)
            }
            let output = frame["output"]?.stringValue ?? ""
            if frame["streamType"]?.stringValue == "stderr" { FileHandle.standardError.write(Data(output.utf8)) } else { Output.out(output) }
            return nil
        case .binary(let bytes):
            FileHandle.standardOutput.write(Data(bytes))
            return nil
        case .closed(let code, let reason):
            if let code, code != 1000 { throw CommandError(description: "The exec stream ended abnormally: \(reason.isEmpty ? "code \(code)" : reason)") }
            if reason.hasPrefix("exit code "), let status = Int32(reason.dropFirst("exit code ".count)) { return status }
            return 0
        case .timeout:
            return nil
        }
    }

    func sendSize() {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0 else { return }
        try? socket.send(text: "{\"type\":\"resize\",\"width\":\(size.ws_col),\"height\":\(size.ws_row)}")
    }
}

/// A key sequence that detaches (docker's Ctrl-P Ctrl-Q), found in keystrokes that may split it.
struct DetachKeys {
    let keys: [UInt8]
    private var matched = 0

    init(_ keys: [UInt8] = [0x10, 0x11]) { self.keys = keys }

    /// The keystrokes to forward, and whether the sequence is complete (what follows it is dropped).
    /// A partial sequence is held back until the next key shows whether it completes; if not, it
    /// is forwarded with that key.
    mutating func filter(_ input: [UInt8]) -> (forward: [UInt8], detach: Bool) {
        var out: [UInt8] = []
        for byte in input {
            if byte == keys[matched] {
                matched += 1
                if matched == keys.count { matched = 0; return (out, true) }
                continue
            }
            if matched > 0 {
                out += keys[..<matched]
                matched = 0
                if byte == keys[0] { matched = 1; continue }
            }
            out.append(byte)
        }
        return (out, false)
    }
}

/// A flag a signal handler may set (a single atomic word; no locks in handlers).
final class SignalFlag: @unchecked Sendable {
    private let word = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    init() { word.initialize(to: 0) }
    func set() { word.pointee = 1 }
    func take() -> Bool { defer { word.pointee = 0 }; return word.pointee != 0 }
}
