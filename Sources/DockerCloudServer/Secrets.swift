import Crypto
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A failure about a secret or a private file: one line, naming paths and key ids, never a secret.
struct SecretError: Error, CustomStringConvertible {
    var description: String
}

/// Small private files (keys): created atomically with mode 0600, read without following symbolic
/// links, and forced back to 0600 / 0700 when they were left wider.
enum PrivateFiles {
    static func errno(_ what: String, _ path: String) -> SecretError {
        SecretError(description: "\(what) \(path): \(String(cString: strerror(Glibc.errno)))")
    }

    /// The contents of a regular file, forced to mode 0600; nil when there is no such file.
    static func read(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if Glibc.errno == ENOENT { return nil }
            if Glibc.errno == ELOOP { throw SecretError(description: "\(path) is a symbolic link; refusing to read a key through it") }
            throw errno("cannot read", path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw errno("cannot read", path) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw SecretError(description: "\(path) is not a regular file") }
        if st.st_mode & 0o7777 != 0o600, fchmod(fd, 0o600) != 0 { throw errno("cannot make mode 0600:", path) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 { if Glibc.errno == EINTR { continue }; throw errno("cannot read", path) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > 1 << 16 { throw SecretError(description: "\(path) is too large to be a key file") }
        }
        return data
    }

    /// A trimmed text file (a key file); nil when absent or empty.
    static func readText(_ path: String) throws -> String? {
        guard let data = try read(path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Writes `data` to `path` as a whole or not at all: a fresh 0600 file beside it, synced, renamed
    /// over it, and the directory synced, so that a key acknowledged on disk survives a crash.
    static func write(_ path: String, _ data: Data) throws {
        let dir = (path as NSString).deletingLastPathComponent
        var template = Array((dir + "/.tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw errno("cannot write in", dir) }
        let temp = String(cString: template)
        var ok = false
        defer { if !ok { unlink(temp) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw errno("cannot write", path) }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if Glibc.errno == EINTR { continue }; throw errno("cannot write", path) }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw errno("cannot write", path) }
        }
        guard rename(temp, path) == 0 else { throw errno("cannot write", path) }
        ok = true
        syncDirectory(dir)
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Creates the directory (and its parents) if needed and forces it to mode 0700, even when it
    /// existed with a wider mode.
    static func privateDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SecretError(description: "cannot create the directory \(path): \(String(cString: strerror(Glibc.errno)))")
            }
        } else if !isDir.boolValue {
            throw SecretError(description: "\(path) is not a directory")
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw errno("cannot use the directory", path) }
        if st.st_mode & 0o7777 != 0o700, chmod(path, 0o700) != 0 { throw errno("cannot make mode 0700:", path) }
    }

    /// Forces an existing file to mode 0600; nothing when absent; a symbolic link is refused.
    /// By path, never through a descriptor: closing any descriptor of a file drops every POSIX lock
    /// the process holds on it, SQLite's included (its WAL index would then be shared no more).
    static func forcePrivate(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if Glibc.errno == ENOENT { return }
            throw errno("cannot use", path)
        }
        if st.st_mode & S_IFMT == S_IFLNK { throw SecretError(description: "\(path) is a symbolic link; refusing to use it") }
        if st.st_mode & 0o7777 != 0o600, chmod(path, 0o600) != 0 { throw errno("cannot make mode 0600:", path) }
    }

    /// A fresh directory with an unpredictable name, mode 0700 (mkdtemp(3)), under $TMPDIR.
    static func temporaryDirectory() throws -> String {
        var base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        if base.isEmpty { base = "/tmp" }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/docker-cloud-server.XXXXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw errno("cannot create a private directory in", base)
        }
        return String(cString: template)
    }
}

/// The data directory: mode 0700, and the state files in it 0600, at every start.
enum DataDirectory {
    static let stateFiles = ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm"]

    static func prepare(_ dir: String) throws {
        try PrivateFiles.privateDirectory(dir)
        try forceModes(dir)
    }

    static func forceModes(_ dir: String) throws {
        for f in stateFiles + ["secret.key"] { try PrivateFiles.forcePrivate(dir + "/" + f) }
    }
}

/// Seals secrets kept in the store (registry passwords) with ChaCha20-Poly1305 under a key that
/// lives in its own file, never in the database. What a value is for (its settings key) is bound to
/// it as associated data, so that a sealed value cannot be moved to another repository.
struct SecretBox: Sendable {
    let key: SymmetricKey
    static let prefix = "sealed1:"

    /// A key for a server that keeps nothing (in memory only).
    static func ephemeral() -> SecretBox { SecretBox(key: SymmetricKey(size: .bits256)) }

    /// Names the key without revealing anything about it (the store records it, to recognise a
    /// wrong key file at start).
    var keyID: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("docker-cloud-server secret key id".utf8), using: key)
        return Data(mac).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    func seal(_ plaintext: Data, context: String) throws -> String {
        let box = try ChaChaPoly.seal(plaintext, using: key, authenticating: Data(context.utf8))
        return SecretBox.prefix + box.combined.base64EncodedString()
    }

    func open(_ text: String, context: String) throws -> Data {
        guard SecretBox.isSealed(text), let combined = Data(base64Encoded: String(text.dropFirst(SecretBox.prefix.count))),
              let box = try? ChaChaPoly.SealedBox(combined: combined),
              let plain = try? ChaChaPoly.open(box, using: key, authenticating: Data(context.utf8)) else {
            throw SecretError(description: "the stored secret '\(context)' cannot be opened with this server's secret key (a different key file, or a damaged value)")
        }
        return plain
    }

    /// A repository's registry login as RepoAPI stores it (`username`, `password`). Values written
    /// by earlier versions (plain JSON) are read as they are until the start that seals them.
    func openCredentials(_ stored: String, context: String) throws -> [String: String] {
        let json = SecretBox.isSealed(stored) ? try open(stored, context: context) : Data(stored.utf8)
        guard let fields = try? JSONDecoder().decode([String: String].self, from: json) else {
            throw SecretError(description: "the stored secret '\(context)' is not a registry login")
        }
        return fields
    }

    func sealCredentials(_ fields: [String: String], context: String) throws -> String {
        try seal(try JSONEncoder().encode(fields), context: context)
    }

    // MARK: the key file

    /// The key in `path` (32 bytes, base64, mode 0600); nil when there is no such file.
    static func read(file path: String) throws -> SecretBox? {
        guard let data = try PrivateFiles.read(path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else {
            throw SecretError(description: "\(path) is not a docker-cloud-server secret key file (32 bytes in base64)")
        }
        return SecretBox(key: SymmetricKey(data: raw))
    }

    func write(file path: String) throws {
        let raw = key.withUnsafeBytes { Data($0) }
        try PrivateFiles.write(path, Data((raw.base64EncodedString() + "\n").utf8))
    }
}

extension Store {
    /// Checks the secret key against the one the store's sealed values were made with, and records
    /// it on first use. `existed == false`: the key is new and its file is written here, unless the
    /// store already holds values sealed with another key (the file is missing: refuse to start).
    func adoptSecretKey(file: String, existed: Bool) throws {
        let id = secrets.keyID
        let (recorded, sealedCount) = try read { tx in
            (try tx.setting("secret_key_id"),
             try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM settings WHERE key LIKE 'credentials:%' AND value LIKE 'sealed1:%'") ?? 0)
        }
        if let recorded, recorded != id {
            if existed {
                throw SecretError(description: "\(file) is not the secret key this data directory's registry passwords were sealed with (key id \(id), expected \(recorded)); give that key with --secret-key-file")
            }
            if sealedCount > 0 {
                throw SecretError(description: "the secret key file \(file) is missing, and the store holds \(sealedCount) registry login\(sealedCount == 1 ? "" : "s") sealed with key id \(recorded): restore the file (or give it with --secret-key-file)")
            }
        }
        if !existed { try secrets.write(file: file) }
        if recorded != id { _ = try write { tx in try tx.setSetting("secret_key_id", id) } }
    }

    /// Seals the registry logins earlier versions stored in plain text; returns how many.
    func sealPlaintextCredentials() throws -> Int {
        try write { tx -> Int in
            let rows = try Row.fetchAll(tx.db, sql: "SELECT key, value FROM settings WHERE key LIKE 'credentials:%' AND value NOT LIKE 'sealed1:%'")
            for row in rows {
                let key: String = row[0], value: String = row[1]
                let fields = try secrets.openCredentials(value, context: key)
                try tx.setSetting(key, try secrets.sealCredentials(fields, context: key))
            }
            return rows.count
        }.0
    }

    /// Rewrites the database file so that no plain text left by earlier versions (a registry
    /// password in a freed page, an old WAL frame) remains: secure_delete, VACUUM, and a truncating
    /// checkpoint. Done once per store (and again whenever plain text was found).
    func scrubIfNeeded(force: Bool) throws {
        let done = try read { tx in try tx.setting("secrets_scrubbed") } != nil
        guard force || !done else { return }
        if !done { _ = try write { tx in try tx.setSetting("secrets_scrubbed", "1") } }
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            try db.execute(sql: "VACUUM")
            try db.checkpoint(.truncate)
        }
    }
}


/// The store a server starts on, with its secrets in place: for a data directory, the directory
/// 0700 and its files 0600, the secret key checked (or made), registry logins of earlier versions
/// sealed, and the start's API keys hashed into the keys table together with the plain-text key
/// files of earlier versions (DATA/apikeys/NAME), which are then removed.
enum ServerSecrets {
    static func open(_ options: ServerOptions, notice: (String) -> Void) throws -> (Store, Accounts) {
        var accounts = options.accounts
        let given = accounts.apiKeys
        let generated = Set(options.generatedKeys)
        let store: Store
        if options.inMemory {
            store = try Store(path: nil, quotas: options.quotas)
            accounts.keyring = try Keyring.bind(store: store, given: given, generated: generated, legacy: [],
                                                rounds: KeyHash.inMemoryRounds).keyring
        } else {
            let dir = options.dataDir
            try DataDirectory.prepare(dir)
            let keyFile = options.secretKeyFile
            let existing = try SecretBox.read(file: keyFile)
            store = try Store(path: dir + "/state.sqlite", secrets: existing ?? .ephemeral(), quotas: options.quotas)
            try DataDirectory.forceModes(dir)
            try store.adoptSecretKey(file: keyFile, existed: existing != nil)
            let sealed = try store.sealPlaintextCredentials()
            let legacyDir = dir + "/apikeys"
            let legacy = try legacyKeys(legacyDir)
            let binding = try Keyring.bind(store: store, given: given, generated: generated,
                                           legacy: legacy.map { ($0.user, $0.key) }, rounds: KeyHash.defaultRounds)
            accounts.keyring = binding.keyring
            try store.scrubIfNeeded(force: sealed > 0)
            for l in legacy { unlink(l.path) }
            if !legacy.isEmpty {
                rmdir(legacyDir)
                PrivateFiles.syncDirectory(dir)
                notice("\(legacyDir): \(legacy.count) plain-text API key\(legacy.count == 1 ? "" : "s") of an earlier version hashed into the store, and the files removed")
            }
            if sealed > 0 {
                notice("\(sealed) registry login\(sealed == 1 ? "" : "s") stored in plain text by an earlier version sealed with \(keyFile)")
            }
        }
        // The store has them (hashed); the plain keys are not kept for the life of the server.
        accounts.apiKeys = [:]
        return (store, accounts)
    }

    /// The plain-text key files an earlier version kept in DATA/apikeys.
    static func legacyKeys(_ dir: String) throws -> [(user: String, key: String, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var result: [(user: String, key: String, path: String)] = []
        for name in names.sorted() where ServerOptions.isName(name) {
            let path = dir + "/" + name
            if let key = try PrivateFiles.readText(path) { result.append((name, key, path)) }
        }
        return result
    }
}
