import Foundation

/// `docker-cloud-server keys add|ls|rm`: users' API keys in a data directory's store, whether a
/// server runs on it or not (it re-reads the keys within `Keyring.reloadInterval` of a change).
enum KeysCommand {
    static let usage = """
        Usage: docker-cloud-server keys add NAME [--data-dir DIR] [--output FILE]
               docker-cloud-server keys ls [NAME] [--data-dir DIR]
               docker-cloud-server keys rm NAME [ID] [--data-dir DIR]

        Manage users' API keys in the store of a data directory, while a server runs on it or not: a
        running server accepts an added key, and refuses a removed one, within 1 s. The store keeps
        only salted hashes; a key is shown once, when it is made.

        Commands:
          add NAME               Make a new key for user NAME (a user may have several: add the new
                                 one, move the clients, remove the old one) and print it on stdout,
                                 once; its id and what to do next go to stderr
          ls [NAME]              List the keys (of NAME): user, id, source, creation date; never a key.
                                 Sources: added (keys add), --user (given at start), generated (for a
                                 user given without a key), migrated (a key file of an earlier version)
          rm NAME [ID]           Remove NAME's key ID, or all of NAME's keys. A --user or generated key
                                 comes back at the next start while the server's options give it

        Options:
          --data-dir DIR         The server's data directory (default $XDG_DATA_HOME/docker-cloud-server,
                                 else ~/.local/share/docker-cloud-server)
          --output FILE          add: write the key to FILE (a new file, mode 0600) instead of stdout
          -h, --help             Show this help

        Exit status: 0 done, 1 failed (no such key, no store), 2 usage error.
        """

    struct Failure: Error { var message: String; var code: Int32 }

    static func run(_ args: [String]) -> Int32 {
        do {
            return try execute(args)
        } catch let f as Failure {
            ServerMain.complain(f.message)
            return f.code
        } catch {
            ServerMain.complain("keys: \(error)")
            return 1
        }
    }

    static func usageError(_ text: String) -> Failure { Failure(message: "keys: \(text); see keys --help", code: 2) }

    static func execute(_ args: [String]) throws -> Int32 {
        var positional: [String] = []
        var dataDir = ServerOptions.defaultDataDir
        var output: String?
        var i = 0
        while i < args.count {
            let arg = args[i]
            let flag = arg.hasPrefix("--") ? String(arg.split(separator: "=", maxSplits: 1)[0]) : arg
            func value() throws -> String {
                if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--") { return String(arg[arg.index(after: eq)...]) }
                i += 1
                guard i < args.count, !args[i].isEmpty else { throw usageError("\(flag) needs a value") }
                return args[i]
            }
            switch flag {
            case "-h", "--help":
                ServerMain.say(usage + "\n")
                return 0
            case "--data-dir": dataDir = ServerOptions.absolute(try value())
            case "--output": output = ServerOptions.absolute(try value())
            default:
                if arg.hasPrefix("-") { throw usageError("unknown option '\(arg)'") }
                positional.append(arg)
            }
            i += 1
        }
        guard let command = positional.first else { throw usageError("expected add, ls or rm") }
        let rest = Array(positional.dropFirst())
        if let name = rest.first, !ServerOptions.isName(name) {
            throw usageError("'\(name)' is not a user name (letters, digits, '-' and '_')")
        }
        if output != nil && command != "add" { throw usageError("--output is for keys add") }
        switch command {
        case "add":
            guard rest.count == 1 else { throw usageError(rest.isEmpty ? "add needs a user NAME" : "add takes one NAME") }
            return try add(rest[0], dataDir: dataDir, output: output)
        case "ls", "list":
            guard rest.count <= 1 else { throw usageError("ls takes at most one NAME") }
            return try list(rest.first, dataDir: dataDir)
        case "rm", "remove":
            guard (1...2).contains(rest.count) else { throw usageError(rest.isEmpty ? "rm needs a user NAME" : "rm takes NAME and at most one ID") }
            return try remove(rest[0], id: rest.count > 1 ? rest[1] : nil, dataDir: dataDir)
        default:
            throw usageError("'\(command)' is not a keys command (add, ls, rm)")
        }
    }

    /// The data directory's store; `create` makes both when they do not exist yet.
    static func openStore(_ dataDir: String, create: Bool) throws -> Store {
        let path = dataDir + "/state.sqlite"
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw Failure(message: "keys: no store in \(dataDir) (give the server's --data-dir)", code: 1)
        }
        try DataDirectory.prepare(dataDir)
        let store = try Store(path: path)
        try DataDirectory.forceModes(dataDir)
        return store
    }

    static func add(_ user: String, dataDir: String, output: String?) throws -> Int32 {
        if let output, FileManager.default.fileExists(atPath: output) {
            throw Failure(message: "keys add: \(output) exists; give a new file", code: 1)
        }
        let store = try openStore(dataDir, create: true)
        let key = KeyHash.newKey()
        let record = KeyHash.make(key, user: user, source: "added", rounds: KeyHash.defaultRounds)
        // The key reaches its file (or stdout) before the store accepts it, so that an accepted key
        // is never lost; a failed write leaves the store as it was.
        if let output { try PrivateFiles.write(output, Data((key + "\n").utf8)) }
        let id: String
        do {
            id = try store.write { tx -> String in
                let id = try tx.insertKey(record)
                try tx.bumpKeysVersion()
                return id
            }.0
        } catch {
            if let output { unlink(output) }
            throw error
        }
        if output == nil { ServerMain.say(key + "\n") }
        ServerMain.complain("key \(id) added for \(user)\(output.map { " in \($0)" } ?? ""); it is shown only this once. A running server on \(dataDir) accepts it within 1 s")
        return 0
    }

    static func list(_ user: String?, dataDir: String) throws -> Int32 {
        let store = try openStore(dataDir, create: false)
        let keys = try store.read { tx in try tx.apiKeys(user: user) }
        if let user, keys.isEmpty { throw Failure(message: "keys ls: \(user) has no keys", code: 1) }
        let rows = [["USER", "ID", "SOURCE", "CREATED"]] + keys.map { [$0.user, $0.id, label($0.source), $0.created] }
        var widths = [Int](repeating: 0, count: 4)
        for r in rows { for (c, v) in r.enumerated() { widths[c] = max(widths[c], v.count) } }
        var out = ""
        for r in rows {
            out += r.enumerated().map { c, v in c == r.count - 1 ? v : v.padding(toLength: widths[c] + 2, withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        ServerMain.say(out)
        if !((try? FileManager.default.contentsOfDirectory(atPath: dataDir + "/apikeys")) ?? []).isEmpty {
            ServerMain.complain("note: \(dataDir)/apikeys holds plain-text keys of an earlier version; the server's next start hashes them into the store and removes them")
        }
        return 0
    }

    static func label(_ source: String) -> String { source == "option" ? "--user" : source }

    static func remove(_ user: String, id: String?, dataDir: String) throws -> Int32 {
        let store = try openStore(dataDir, create: false)
        let removed = try store.write { tx -> [StoredKey] in
            let keys = try tx.apiKeys(user: user).filter { id == nil || $0.id == id }
            for k in keys { try tx.deleteKey(id: k.id) }
            if !keys.isEmpty { try tx.bumpKeysVersion() }
            return keys
        }.0
        if removed.isEmpty {
            throw Failure(message: "keys rm: \(id.map { "\(user) has no key \($0)" } ?? "\(user) has no keys") (see keys ls)", code: 1)
        }
        let ids = removed.map(\.id).joined(separator: ", ")
        ServerMain.complain("removed \(user)'s key\(removed.count == 1 ? "" : "s") \(ids); a running server on \(dataDir) refuses \(removed.count == 1 ? "it" : "them") within 1 s")
        if removed.contains(where: \.fromStart) {
            ServerMain.complain("note: a key given with --user or generated at start comes back at the server's next start while its options still give it")
        }
        return 0
    }
}
