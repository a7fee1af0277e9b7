import Foundation
#if canImport(Glibc)
import Glibc
#endif

#if canImport(Glibc)
/// glibc's mallopt(3), which its Swift module does not export (malloc.h is not in it).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The `docker-cloud-server` program: options, the lines that tell a user how to reach it, serving.
public enum ServerMain {
    public static func run(_ argv: [String]) async -> Int32 {
        #if canImport(Glibc)
        // glibc gives each thread that allocates its own arena (up to 8 per core); with NIO's and
        // the concurrency pool's threads churning JSON that fragments memory into a large RSS.
        // Two arenas keep the footprint close to what is live, at no measurable cost in throughput.
        _ = glibcMallopt(-8 /* M_ARENA_MAX */, 2)
        #endif
        // Whatever the server creates (the store, key files) is private to its user.
        umask(0o077)
        if argv.count > 1 && argv[1] == "keys" { return KeysCommand.run(Array(argv.dropFirst(2))) }
        var temporaryKeyDir: String?
        defer { if let temporaryKeyDir { try? FileManager.default.removeItem(atPath: temporaryKeyDir) } }
        do {
            var (options, scrub) = try ServerOptions.parse(Array(argv.dropFirst()))
            // Keep API keys given as --user NAME:KEY out of `ps`: overwrite them in place in argv.
            for index in scrub where index + 1 < Int(CommandLine.argc) {
                if let arg = CommandLine.unsafeArgv[index + 1], let colon = strchr(arg, 0x3a) {
                    memset(colon + 1, 0x2a, strlen(colon + 1))
                }
            }
            if options.showHelp { say(ServerOptions.usage + "\n"); return 0 }
            if options.showVersion { say("docker-cloud-server \(ServerVersion.current)\n"); return 0 }
            let keyDir = try options.resolveGeneratedKeys()
            temporaryKeyDir = options.temporaryKeyDir
            let server = try DockerCloudServer(options: options)
            let announced = options
            try await server.run { port in say(announced.exportLines(port: port, keyDir: keyDir)) }
            return 0
        } catch let error as ServerOptions.UsageError {
            FileHandle.standardError.write(Data("docker-cloud-server: \(error.description)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("docker-cloud-server: \(error)\n".utf8))
            return 1
        }
    }

    /// Unbuffered, so that a parent process reading our stdout sees the lines at once.
    static func say(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    static func complain(_ text: String) { FileHandle.standardError.write(Data("docker-cloud-server: \(text)\n".utf8)) }

    /// A path as a shell word: as it is when it is plain, else in single quotes.
    static func shellQuoted(_ s: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%")
        if !s.isEmpty, s.unicodeScalars.allSatisfy(plain.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension ServerOptions {
    /// What a user pastes into a shell to point docker-cloud (or the python SDK) at this server.
    /// API keys are never printed: a generated one is read from its file.
    func exportLines(port: Int, keyDir: String?) -> String {
        let base = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let (http, ws) = usesTLS ? ("https", "wss") : ("http", "ws")
        var lines = ["docker-cloud-server \(ServerVersion.current) listening on \(http)://\(base) (\(inMemory ? "in memory" : "data in \(dataDir)"))",
                     "export DOCKERCLOUD_REST_HOST=\(http)://\(base)/",
                     "export DOCKERCLOUD_STREAM_HOST=\(ws)://\(base)/"]
        if let user = users.first {
            lines.append("export DOCKERCLOUD_USER=\(user)")
            if let keyDir, generatedKeys.contains(user) {
                lines.append("export DOCKERCLOUD_APIKEY=\"$(cat \(ServerMain.shellQuoted(keyDir + "/" + user)))\"")
            } else {
                lines.append("export DOCKERCLOUD_APIKEY=...   # the key given for \(user)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
