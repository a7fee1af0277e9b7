import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A private dockerd (Tests/engine/dockerd.sh) for one test class: started in the class's
/// `setUp`, stopped in its `tearDown`. A watchdog process stops it too if the test process dies
/// first (a crash skips tearDown), so no daemon outlives the run.
final class EngineDaemon: @unchecked Sendable {
    let directory: String
    let socket: String

    static let script: String = {
        // Tests/DockerEngineAPITests/EngineDaemon.swift → Tests/engine/dockerd.sh
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("engine/dockerd.sh").path
    }()

    /// Why an engine cannot run here (the script's own words), or nil when it can.
    static func whyNot() -> String? {
        let (status, out, err) = run(["check"])
        if status == 0 { return nil }
        let text = (out + err).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "dockerd.sh check failed (\(status))" : text
    }

    /// `flags`: extra dockerd flags (a TLS listener, for one).
    init(flags: [String] = []) throws {
        var template = Array("/tmp/dk.XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: dir)
        // The watchdog first: it outlives a crash of this process and then stops the daemon.
        let pid = ProcessInfo.processInfo.processIdentifier
        let watchdog = "while kill -0 \(pid) 2>/dev/null; do sleep 0.5; done; exec '\(Self.script)' stop '\(directory)'"
        _ = Self.run(["-c", "setsid bash -c \"$0\" </dev/null >/dev/null 2>&1 &", watchdog], shell: true)
        let (status, out, err) = Self.run(["start", directory] + flags)
        guard status == 0, let path = out.split(separator: "\n").last.map(String.init), path.hasSuffix(".sock") else {
            _ = Self.run(["stop", directory])
            throw DaemonError(description: "dockerd.sh start failed (\(status)): \(err) \(out)")
        }
        socket = path
    }

    func stop() {
        let (status, out, err) = Self.run(["stop", directory])
        if status != 0 { print("dockerd.sh stop \(directory) failed (\(status)): \(out) \(err)") }
    }

    struct DaemonError: Error, CustomStringConvertible { var description: String }

    /// Runs dockerd.sh (or bash itself with `shell`), returning its status, stdout and stderr.
    /// posix_spawn and waitpid, not Foundation's Process: Process learns of an exit through a
    /// descriptor the child inherits, so it would wait for the daemon (or the watchdog) the script
    /// leaves running. Output goes to files for the same reason; descriptors above 2 are closed.
    @discardableResult
    static func run(_ args: [String], shell: Bool = false) -> (Int32, String, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("dockerd-sh-\(UUID())").path
        defer { unlink(base + ".out"); unlink(base + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 && fcntl(fd, F_GETFD) >= 0 && fcntl(fd, F_GETFD) & FD_CLOEXEC == 0 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let argv = ["/bin/bash"] + (shell ? args : [script] + args)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/bash", &actions, nil, &cargs, environ)
        guard rc == 0 else { return (127, "", "posix_spawn: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (code, read(base + ".out"), read(base + ".err"))
    }
}
