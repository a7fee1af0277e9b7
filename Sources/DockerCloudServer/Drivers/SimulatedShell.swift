import DockerCloudAPI
import Foundation

/// A tiny POSIX-shell subset that gives simulated containers deterministic behaviour:
/// `;`, `&&`, `||`, newlines, quotes, `$VAR`/`${VAR}`, `>&2`, `while true; do ...; done`,
/// `for x in a b; do ...; done`, and the commands echo, printf, seq, sleep, exit, true, false,
/// env, printenv, hostname, pwd, whoami, uname, cat, `sh -c`. Anything else is "not found" (127).
struct SimulatedShell: Sendable {
    var environment: [String: String]
    var hostname: String
    var workingDir: String
    var user: String

    typealias Emit = @Sendable (_ stream: String, _ text: String) async -> Void

    init(environment: [EnvVar], hostname: String, workingDir: String, user: String) {
        var env: [String: String] = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                     "HOSTNAME": hostname, "HOME": "/root"]
        for e in environment { env[e.key] = e.value }
        self.environment = env
        self.hostname = hostname
        self.workingDir = workingDir.isEmpty ? "/" : workingDir
        self.user = user.isEmpty ? "root" : user
    }

    /// Sleeps until the task is cancelled (a stopped long-running process); exit code 143 (SIGTERM).
    static func waitForever() async -> Int {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        return 143
    }

    /// Runs a script; returns its exit status. Cancellation (a stop) ends it with 143.
    func run(_ script: String, emit: @escaping Emit) async -> Int {
        switch await run(script, emit: emit, parking: false) {
        case .exited(let code): return code
        case .parked: return 143
        }
    }

    enum Outcome: Equatable { case exited(Int), parked(Duration?) }

    /// Like `run`, but when all that is left is waiting (a `sleep` or `tail -f` as the very last
    /// step) it returns `.parked(duration)` instead of waiting, `nil` meaning forever.
    func runParkable(_ script: String, emit: @escaping Emit) async -> Outcome {
        await run(script, emit: emit, parking: true)
    }

    private func run(_ script: String, emit unbounded: @escaping Emit, parking: Bool) async -> Outcome {
        let emit = Self.bounded(unbounded)
        var state = State(env: environment)
        state.parking = parking
        guard script.utf8.count <= Self.maxScriptBytes else {
            await emit("stderr", "sh: script longer than \(Self.maxScriptBytes) bytes\n")
            return .exited(2)
        }
        do {
            let program = try Parser.parse(script)
            let code = try await execute(program, &state, emit, tail: true)
            return .exited(Task.isCancelled ? 143 : code)
        } catch let exit as ExitSignal {
            return .exited(exit.code)
        } catch let park as ParkSignal {
            return .parked(park.wait)
        } catch is CancellationError {
            return .exited(143)
        } catch {
            await emit("stderr", "sh: \(error)\n")
            return .exited(2)
        }
    }

    /// `exec` without a command: a shell reading lines from the client and running each one.
    /// Ends on `exit`, on end-of-transmission (\u{4}) or when the input closes. A line is at most
    /// `maxLine` bytes: a client sending without newlines cannot grow the server's memory.
    func interactive(input: some AsyncSequence<[UInt8], Never>, output unbounded: @escaping Emit) async -> Int {
        let output = Self.bounded(unbounded)
        var state = State(env: environment)
        var pending: [UInt8] = []
        var last = 0
        await output("stdout", "# ")
        for await chunk in input {
            var eot = false
            for byte in chunk {
                if byte == 0x04 { eot = true; break }
                pending.append(byte == 0x0D ? 0x0A : byte)
            }
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                do {
                    let program = try Parser.parse(line)
                    last = try await execute(program, &state, output)
                } catch let exit as ExitSignal {
                    return exit.code
                } catch {
                    await output("stderr", "sh: \(error)\n")
                    last = 2
                }
                await output("stdout", "# ")
            }
            if pending.count > Self.maxLine {
                pending.removeAll()
                await output("stderr", "sh: line longer than \(Self.maxLine) bytes: ignored\n# ")
                last = 2
            }
            if eot { break }
        }
        return last
    }

    // MARK: - Execution

    struct State {
        var env: [String: String]
        var last = 0
        var parking = false
        /// `sh -c` inside `sh -c`: bounded like loops.
        var shells = 0
    }

    static let maxShells = 8
    /// Longer scripts are refused unread (lexing megabytes on every start would be a cheap way
    /// to burn the server's CPU).
    static let maxScriptBytes = 256 * 1024
    /// A line typed into an interactive shell: longer ones are dropped, as a script would be.
    static let maxLine = maxScriptBytes
    /// A loop iteration takes at least this long, so a busy `while true` costs a simulated
    /// container at most a small share of the server's CPU.
    static let shortestIteration = Duration.milliseconds(1)
    /// Output a shell may produce per second, sustained (with one second's worth of burst):
    /// `while true; do seq 100000; done` is slowed down rather than flooding the logs.
    static let outputBytesPerSecond = 256 * 1024

    /// Slows a shell's output down to `outputBytesPerSecond`; used by one shell's task only.
    final class OutputBudget: @unchecked Sendable {
        private var allowance = Double(SimulatedShell.outputBytesPerSecond)
        private var last = ContinuousClock.now

        func spend(_ bytes: Int) async {
            let now = ContinuousClock.now
            let rate = Double(SimulatedShell.outputBytesPerSecond)
            let elapsed = now - last
            allowance = min(rate, allowance + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            last = now
            allowance -= Double(bytes)
            if allowance < 0 {
                try? await Task.sleep(for: .milliseconds(Int(min(-allowance / rate, 60) * 1000)))
            }
        }
    }

    static func bounded(_ emit: @escaping Emit) -> Emit {
        let budget = OutputBudget()
        return { stream, text in
            await budget.spend(text.utf8.count)
            await emit(stream, text)
        }
    }

    static let maxSeqNumbers = 100_000
    static let longestSleep: Double = 366 * 86_400

    struct ExitSignal: Error { var code: Int }
    struct ParkSignal: Error { var wait: Duration? }

    /// `tail`: this list is the last thing the script does, so its last command may park.
    private func execute(_ list: [Node], _ state: inout State, _ emit: Emit, tail: Bool = false) async throws -> Int {
        var i = 0
        while i < list.count {
            try Task.checkCancellation()
            let node = list[i]
            let last = tail && i == list.count - 1 && node.next == nil
            state.last = try await execute(node.command, &state, emit, tail: last)
            // Skip the rest of an `a && b` chain after a failure, or of `a || b` after a success.
            var j = i
            while j < list.count, let op = list[j].next, op != .semicolon {
                if (op == .and && state.last != 0) || (op == .or && state.last == 0) { j += 1; continue }
                break
            }
            i = j + 1
        }
        return state.last
    }

    private func execute(_ command: Command, _ state: inout State, _ emit: Emit, tail: Bool) async throws -> Int {
        switch command {
        case .simple(let words, let toStderr):
            let argv = words.flatMap { expand($0, state.env) }
            guard let name = argv.first else { return 0 }
            if let eq = name.firstIndex(of: "="), argv.count == 1, !name.hasPrefix("=") {
                state.env[String(name[..<eq])] = String(name[name.index(after: eq)...])
                return 0
            }
            return try await builtin(name, Array(argv.dropFirst()), &state, toStderr ? "stderr" : "stdout", emit, tail: tail)
        case .whileTrue(let body):
            let clock = ContinuousClock()
            while true {
                try Task.checkCancellation()
                let started = clock.now
                _ = try await execute(body, &state, emit, tail: false)
                let spent = clock.now - started
                if spent < Self.shortestIteration { try await Task.sleep(for: Self.shortestIteration - spent) } else { await Task.yield() }
            }
        case .forIn(let variable, let items, let body):
            var code = 0
            for item in items.flatMap({ expand($0, state.env) }) {
                state.env[variable] = item
                code = try await execute(body, &state, emit, tail: false)
            }
            return code
        }
    }

    private func builtin(_ name: String, _ args: [String], _ state: inout State, _ stream: String, _ emit: Emit, tail: Bool) async throws -> Int {
        let park = tail && state.parking
        switch name {
        case "echo":
            var a = args
            var newline = true
            if a.first == "-n" { newline = false; a.removeFirst() }
            await emit(stream, a.joined(separator: " ") + (newline ? "\n" : ""))
            return 0
        case "printf":
            guard let format = args.first else { return 1 }
            await emit(stream, Self.printf(format, Array(args.dropFirst())))
            return 0
        case "seq":
            let nums = args.compactMap { Int($0) }
            guard nums.count == args.count, (1...3).contains(nums.count) else {
                await emit("stderr", "seq: invalid arguments\n"); return 1
            }
            let (first, step, last) = nums.count == 1 ? (1, 1, nums[0]) : nums.count == 2 ? (nums[0], 1, nums[1]) : (nums[0], nums[1], nums[2])
            guard step != 0 else { return 1 }
            // A bounded count (in Double: a span near Int's limit must not overflow): a client's
            // `seq 1 9999999999999` cannot fill the server's memory.
            let count = (Double(last) - Double(first)) / Double(step) + 1
            guard count <= Double(Self.maxSeqNumbers) else {
                await emit("stderr", "seq: more than \(Self.maxSeqNumbers) numbers\n"); return 1
            }
            var out = ""
            for n in stride(from: first, through: last, by: step) { out += "\(n)\n" }
            if !out.isEmpty { await emit(stream, out) }
            return 0
        case "sleep":
            if args.first == "infinity" {
                if park { throw ParkSignal(wait: nil) }
                return await Self.waitForever()
            }
            guard let s = args.first.flatMap(Double.init), s >= 0 else {
                await emit("stderr", "sleep: invalid time interval\n"); return 1
            }
            // Longer than a year (or `inf`) is forever: milliseconds of a huge Double would trap.
            if s > Self.longestSleep {
                if park { throw ParkSignal(wait: nil) }
                return await Self.waitForever()
            }
            if park { throw ParkSignal(wait: .milliseconds(Int(s * 1000))) }
            try await Task.sleep(for: .milliseconds(Int(s * 1000)))
            return 0
        case "exit":
            throw ExitSignal(code: args.first.flatMap(Int.init).map { $0 & 255 } ?? state.last)
        case "true", ":": return 0
        case "false": return 1
        case "env", "printenv":
            if name == "printenv", let key = args.first {
                guard let v = state.env[key] else { return 1 }
                await emit(stream, v + "\n"); return 0
            }
            await emit(stream, state.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined())
            return 0
        case "hostname": await emit(stream, hostname + "\n"); return 0
        case "pwd": await emit(stream, workingDir + "\n"); return 0
        case "whoami": await emit(stream, user + "\n"); return 0
        case "uname": await emit(stream, (args.contains("-a") ? "Linux \(hostname) 6.1.0 x86_64 GNU/Linux" : "Linux") + "\n"); return 0
        case "cat":
            if args == ["/etc/hostname"] { await emit(stream, hostname + "\n"); return 0 }
            await emit("stderr", "cat: \(args.first ?? "-"): No such file or directory\n"); return 1
        case "tail":
            if args.contains("-f") {
                if park { throw ParkSignal(wait: nil) }
                return await Self.waitForever()
            }
            return 0
        case "sh", "bash", "/bin/sh", "/bin/bash":
            guard args.first == "-c", args.count >= 2 else {
                if park { throw ParkSignal(wait: nil) }
                return await Self.waitForever()  // an interactive shell with no stdin waits
            }
            guard state.shells < Self.maxShells else {
                await emit("stderr", "sh: shells nested more than \(Self.maxShells) deep\n"); return 2
            }
            guard args[1].utf8.count <= Self.maxScriptBytes else {
                await emit("stderr", "sh: script longer than \(Self.maxScriptBytes) bytes\n"); return 2
            }
            let program = try Parser.parse(args[1])
            var inner = state
            inner.shells += 1
            return try await execute(program, &inner, emit, tail: tail)
        default:
            await emit("stderr", "sh: \(name): not found\n")
            return 127
        }
    }

    static func printf(_ format: String, _ args: [String]) -> String {
        var out = ""
        var rest = args[...]
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            if c == "\\", let n = chars.popFirst() {
                switch n { case "n": out += "\n"; case "t": out += "\t"; case "\\": out += "\\"; default: out += "\\\(n)" }
            } else if c == "%", let n = chars.popFirst() {
                switch n {
                case "s": out += rest.popFirst() ?? ""
                case "d": out += String(Int(rest.popFirst() ?? "0") ?? 0)
                case "%": out += "%"
                default: out += "%\(n)"
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Expands `$VAR` and `${VAR}` in a word; unquoted words that expand to nothing vanish.
    private func expand(_ word: Word, _ env: [String: String]) -> [String] {
        var out = ""
        for part in word.parts {
            switch part {
            case .literal(let s): out += s
            case .variable(let v): out += v == "?" ? "0" : (env[v] ?? "")
            }
        }
        if out.isEmpty && !word.quoted { return [] }
        return [out]
    }

    // MARK: - Syntax

    struct Word { var parts: [Part]; var quoted: Bool }
    enum Part { case literal(String), variable(String) }
    enum Op: Equatable { case semicolon, and, or }
    enum Token { case word(Word), op(Op), redirectStderr }
    indirect enum Command { case simple([Word], toStderr: Bool), whileTrue([Node]), forIn(String, [Word], [Node]) }
    struct Node { var command: Command; var next: Op? }

    struct SyntaxError: Error, CustomStringConvertible { var description: String }

    enum Lexer {
        static func tokens(_ s: String) throws -> [Token] {
            var tokens: [Token] = []
            var chars = Array(s)[...]
            var parts: [Part] = []
            var literal = ""
            var quoted = false
            var inWord = false
            func flushLiteral() { if !literal.isEmpty { parts.append(.literal(literal)); literal = "" } }
            func endWord() {
                flushLiteral()
                if inWord { tokens.append(.word(Word(parts: parts, quoted: quoted))) }
                parts = []; quoted = false; inWord = false
            }
            func variable(_ chars: inout ArraySlice<Character>) {
                flushLiteral()
                if chars.first == "{" {
                    chars.removeFirst()
                    var name = ""
                    while let c = chars.popFirst(), c != "}" { name.append(c) }
                    parts.append(.variable(name))
                } else if chars.first == "?" {
                    chars.removeFirst(); parts.append(.variable("?"))
                } else {
                    var name = ""
                    while let c = chars.first, c.isLetter || c.isNumber || c == "_" { name.append(c); chars.removeFirst() }
                    if name.isEmpty { literal.append("$") } else { parts.append(.variable(name)) }
                }
            }
            while let c = chars.popFirst() {
                switch c {
                case " ", "\t": endWord()
                case "\n", ";": endWord(); tokens.append(.op(.semicolon))
                case "&" where chars.first == "&": chars.removeFirst(); endWord(); tokens.append(.op(.and))
                case "|" where chars.first == "|": chars.removeFirst(); endWord(); tokens.append(.op(.or))
                case ">" where chars.starts(with: "&2"):
                    chars.removeFirst(2); endWord(); tokens.append(.redirectStderr)
                case "1" where chars.starts(with: ">&2") && !inWord:
                    chars.removeFirst(3); endWord(); tokens.append(.redirectStderr)
                case "'":
                    inWord = true; quoted = true
                    while let q = chars.popFirst(), q != "'" { literal.append(q) }
                case "\"":
                    inWord = true; quoted = true
                    while let q = chars.popFirst(), q != "\"" {
                        if q == "\\", let n = chars.first, "\"\\$".contains(n) { literal.append(n); chars.removeFirst() }
                        else if q == "$" { variable(&chars) }
                        else { literal.append(q) }
                    }
                case "\\":
                    inWord = true
                    if let n = chars.popFirst() { literal.append(n) }
                case "$":
                    inWord = true; variable(&chars)
                case "#" where !inWord:
                    while let n = chars.first, n != "\n" { chars.removeFirst() }
                default:
                    inWord = true; literal.append(c)
                }
            }
            endWord()
            return tokens
        }
    }

    struct Parser {
        var tokens: ArraySlice<Token>
        /// Loops inside loops: the parser recurses once per level, so a client's script cannot
        /// nest deep enough to exhaust the stack.
        var depth = 0
        static let maxNesting = 32
        init(tokens: [Token]) { self.tokens = tokens[...] }

        static func parse(_ script: String) throws -> [Node] {
            var parser = Parser(tokens: try Lexer.tokens(script))
            return try parser.parseList(until: [])
        }

        static func text(_ w: Word) -> String? {
            guard !w.quoted, w.parts.count == 1, case .literal(let s) = w.parts[0] else { return nil }
            return s
        }

        mutating func parseList(until terminators: Set<String>) throws -> [Node] {
            var nodes: [Node] = []
            while let t = tokens.first {
                if case .word(let w) = t, let s = Parser.text(w), terminators.contains(s) { return nodes }
                if case .op = t { tokens.removeFirst(); continue }
                let command = try parseCommand()
                var next: Op? = nil
                if case .op(let op) = tokens.first { next = op; tokens.removeFirst() }
                nodes.append(Node(command: command, next: next))
            }
            if !terminators.isEmpty { throw SyntaxError(description: "syntax error: expected '\(terminators.sorted().joined(separator: "' or '"))'") }
            return nodes
        }

        mutating func expectWord(_ s: String) throws {
            guard case .word(let w) = tokens.popFirst(), Parser.text(w) == s else {
                throw SyntaxError(description: "syntax error: expected '\(s)'")
            }
        }

        mutating func skipSeparators() { while case .op = tokens.first { tokens.removeFirst() } }

        mutating func parseCommand() throws -> Command {
            if case .word(let w) = tokens.first, let keyword = Parser.text(w), keyword == "while" || keyword == "for" {
                depth += 1
                defer { depth -= 1 }
                guard depth <= Parser.maxNesting else { throw SyntaxError(description: "loops nested more than \(Parser.maxNesting) deep") }
                if keyword == "while" {
                    tokens.removeFirst()
                    let condition = try parseList(until: ["do"])
                    guard condition.count == 1, case .simple(let words, _) = condition[0].command,
                          words.count == 1, let c = Parser.text(words[0]), c == "true" || c == ":" else {
                        throw SyntaxError(description: "only 'while true' loops are supported")
                    }
                    try expectWord("do")
                    let body = try parseList(until: ["done"])
                    try expectWord("done")
                    return .whileTrue(body)
                }
                if keyword == "for" {
                    tokens.removeFirst()
                    guard case .word(let v) = tokens.popFirst(), let name = Parser.text(v) else { throw SyntaxError(description: "syntax error after 'for'") }
                    try expectWord("in")
                    var items: [Word] = []
                    while case .word(let w) = tokens.first { items.append(w); tokens.removeFirst() }
                    skipSeparators()
                    try expectWord("do")
                    let body = try parseList(until: ["done"])
                    try expectWord("done")
                    return .forIn(name, items, body)
                }
            }
            var words: [Word] = []
            var toStderr = false
            while let t = tokens.first {
                switch t {
                case .word(let w): words.append(w); tokens.removeFirst()
                case .redirectStderr: toStderr = true; tokens.removeFirst()
                case .op: return .simple(words, toStderr: toStderr)
                }
            }
            return .simple(words, toStderr: toStderr)
        }
    }
}
