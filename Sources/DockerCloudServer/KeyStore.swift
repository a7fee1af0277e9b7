import _CryptoExtras
import Crypto
import Foundation
import GRDB
import Synchronization

/// One API key as the store keeps it: a salted PBKDF2-HMAC-SHA256 hash, never the key itself.
/// `id` is random (not derived from the key), so listing keys shows nothing of their material.
struct StoredKey: Sendable {
    var id: String
    var user: String
    var rounds: Int
    var salt: [UInt8]
    var hash: [UInt8]
    /// Where it came from: `option` (--user, --users-file), `generated` (a user given without a
    /// key), `added` (`keys add`), `migrated` (a plain-text key file of an earlier version).
    var source: String
    var created: String

    /// Start-time keys are the command line's: replaced at every start by what it gives.
    var fromStart: Bool { source == "option" || source == "generated" }
}

enum KeyHash {
    /// PBKDF2-HMAC-SHA256 rounds for keys kept on disk (~0.1 s of one core here); a successful
    /// verification is then cached in memory, so it is paid once per key and process.
    static let defaultRounds = 210_000
    /// An in-memory server keeps nothing at rest: one round (still salted) keeps its starts fast.
    static let inMemoryRounds = 1

    static func derive(_ key: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        let derived = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(key.utf8), salt: salt, using: .sha256,
                                                          outputByteCount: 32, unsafeUncheckedRounds: max(1, rounds))
        return derived?.withUnsafeBytes { Array($0) } ?? []
    }

    static func make(_ key: String, user: String, source: String, rounds: Int) -> StoredKey {
        let salt = randomBytes(16)
        return StoredKey(id: randomHex(4), user: user, rounds: rounds, salt: salt, hash: derive(key, salt: salt, rounds: rounds),
                         source: source, created: ISO8601DateFormatter().string(from: Date()))
    }

    static func verify(_ key: String, _ stored: StoredKey) -> Bool {
        let candidate = derive(key, salt: stored.salt, rounds: stored.rounds)
        return !candidate.isEmpty && constantTimeEqual(candidate, stored.hash)
    }

    static func constantTimeEqual(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomHex(_ n: Int) -> String { randomBytes(n).map { String(format: "%02x", $0) }.joined() }

    /// A new API key: 160 random bits as 40 hex digits.
    static func newKey() -> String { randomHex(20) }
}

// MARK: - The api_keys table

extension Tx {
    func apiKeys(user: String? = nil) throws -> [StoredKey] {
        let rows = try Row.fetchAll(db, sql: "SELECT id, user, rounds, salt, hash, source, created FROM api_keys"
                                        + (user == nil ? "" : " WHERE user = ?") + " ORDER BY user, created, id",
                                    arguments: user.map { [$0] } ?? [])
        return rows.map { r in
            StoredKey(id: r[0], user: r[1], rounds: r[2], salt: Array((r[3] as Data?) ?? Data()), hash: Array((r[4] as Data?) ?? Data()),
                      source: r[5], created: r[6])
        }
    }

    /// Inserts the key (a fresh random id if its id is taken) and returns its id.
    @discardableResult
    func insertKey(_ key: StoredKey) throws -> String {
        var key = key
        while try Int.fetchOne(db, sql: "SELECT 1 FROM api_keys WHERE id = ?", arguments: [key.id]) != nil { key.id = KeyHash.randomHex(4) }
        try db.execute(sql: "INSERT INTO api_keys (id, user, rounds, salt, hash, source, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [key.id, key.user, key.rounds, Data(key.salt), Data(key.hash), key.source, key.created])
        return key.id
    }

    func deleteKey(id: String) throws {
        try db.execute(sql: "DELETE FROM api_keys WHERE id = ?", arguments: [id])
    }

    /// Bumped by every change of the keys table, in the same transaction: running servers re-read
    /// the table when it moves.
    func keysVersion() throws -> String { try setting("api_keys_version") ?? "0" }

    func bumpKeysVersion() throws { _ = try nextCounter("api_keys_version", start: 1) }
}

// MARK: - Verification

/// The API keys a server accepts: the store's hashes, re-read within `reloadInterval` of a change
/// made by another process (`docker-cloud-server keys add|rm`). A verification costs one PBKDF2
/// derivation per key of the user the first time; a success is then remembered under a keyed hash
/// of (user, key) with a per-process random secret, so later requests cost one HMAC-SHA256 and a
/// dictionary lookup. Repeated failures of the same (user, key) are remembered too, until the table
/// changes.
final class Keyring: Sendable {
    static let reloadInterval: Duration = .seconds(1)
    static let maxRemembered = 4096

    let store: Store
    let cacheSecret = SymmetricKey(size: .bits256)
    /// Verified against when the user is unknown, so that an unknown user costs as much as a known one.
    let decoy: StoredKey

    struct Snapshot {
        var version: String
        var byUser: [String: [StoredKey]]
        var generation = 0
    }

    struct State {
        var snapshot: Snapshot
        var accepted: [Data: String] = [:]   // tag → key id
        var refused: Set<Data> = []
        var lastCheck: ContinuousClock.Instant
        var checking = false
    }

    let state: Mutex<State>

    init(store: Store, rounds: Int, seed: [(user: String, key: String, id: String)] = []) throws {
        self.store = store
        decoy = KeyHash.make(KeyHash.newKey(), user: "", source: "", rounds: rounds)
        let (version, keys) = try store.read { tx in (try tx.keysVersion(), try tx.apiKeys()) }
        var s = State(snapshot: Snapshot(version: version, byUser: Dictionary(grouping: keys, by: \.user)), lastCheck: .now)
        for k in seed { s.accepted[Keyring.tag(cacheSecret, k.user, k.key)] = k.id }
        state = Mutex(s)
    }

    static func tag(_ secret: SymmetricKey, _ user: String, _ key: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data((user + "\u{0}" + key).utf8), using: secret))
    }

    var users: Set<String> {
        refreshIfDue()
        return state.withLock { Set($0.snapshot.byUser.keys) }
    }

    func verify(user: String, key: String) -> Bool {
        refreshIfDue()
        let tag = Keyring.tag(cacheSecret, user, key)
        let (known, candidates, generation) = state.withLock { s -> (Bool?, [StoredKey], Int) in
            let keys = s.snapshot.byUser[user] ?? []
            if let id = s.accepted[tag] {
                if keys.contains(where: { $0.id == id }) { return (true, [], 0) }
                s.accepted[tag] = nil
            }
            if s.refused.contains(tag) { return (false, [], 0) }
            return (nil, keys, s.snapshot.generation)
        }
        if let known { return known }
        var match: String?
        if candidates.isEmpty {
            _ = KeyHash.verify(key, decoy)
        } else {
            for c in candidates where KeyHash.verify(key, c) { match = c.id; break }
        }
        state.withLock { s in
            guard s.snapshot.generation == generation else { return }   // the table changed meanwhile
            if let match {
                if s.accepted.count >= Keyring.maxRemembered { s.accepted.removeAll() }
                s.accepted[tag] = match
            } else {
                if s.refused.count >= Keyring.maxRemembered { s.refused.removeAll() }
                s.refused.insert(tag)
            }
        }
        return match != nil
    }

    /// At most once per `reloadInterval`, by whichever request comes first: one read of the
    /// version counter, and of the table when it moved.
    func refreshIfDue() {
        let now = ContinuousClock.now
        let (due, version) = state.withLock { s -> (Bool, String) in
            guard !s.checking, now - s.lastCheck >= Keyring.reloadInterval else { return (false, "") }
            s.checking = true
            s.lastCheck = now
            return (true, s.snapshot.version)
        }
        guard due else { return }
        // A failed read (the file busy) keeps the snapshot; the next second tries again.
        let fresh = try? store.read { tx -> (String, [StoredKey])? in
            let v = try tx.keysVersion()
            return v == version ? nil : (v, try tx.apiKeys())
        }
        state.withLock { s in
            s.checking = false
            guard let fresh = fresh ?? nil else { return }
            s.snapshot = Snapshot(version: fresh.0, byUser: Dictionary(grouping: fresh.1, by: \.user), generation: s.snapshot.generation + 1)
            s.refused.removeAll()
        }
    }

    // MARK: - At start

    /// A start key's record: the stored one that matches it, or a new hash to insert.
    private enum BoundKey { case keep(String), new(StoredKey) }

    /// What a start did to the keys table, for the operator.
    struct Binding {
        var keyring: Keyring
        var migrated = 0
    }

    /// Records the start's keys as hashes: each user given on the command line (or generated) has
    /// exactly that one start key (an unchanged key keeps its hash and id; a changed one replaces
    /// it; start keys of users no longer given are removed), and plain-text keys of earlier
    /// versions (`legacy`) are added as `migrated` unless already there. One transaction.
    static func bind(store: Store, given: [String: String], generated: Set<String>, legacy: [(user: String, key: String)],
                     rounds: Int) throws -> Binding {
        let (seed, migrated): ([(user: String, key: String, id: String)], Int) = try store.write { tx in
            let existing = try tx.apiKeys()
            var changed = false
            // Each given key: its current start record if it still matches (one derivation each,
            // spread over the cores), else a new hash.
            let work: [(user: String, key: String, source: String, candidates: [StoredKey])] = given.sorted { $0.key < $1.key }.map { u, key in
                let source = generated.contains(u) ? "generated" : "option"
                return (u, key, source, existing.filter { $0.user == u && $0.fromStart })
            }
            // Each result is the id of a matching stored key, or a new hash to insert.
            let results = Mutex([Int: BoundKey]())
            DispatchQueue.concurrentPerform(iterations: work.count) { i in
                let w = work[i]
                let result: BoundKey
                if let id = w.candidates.first(where: { $0.source == w.source && KeyHash.verify(w.key, $0) })?.id { result = .keep(id) } else {
                    result = .new(KeyHash.make(w.key, user: w.user, source: w.source, rounds: rounds))
                }
                results.withLock { $0[i] = result }
            }
            let done = results.withLock { $0 }
            var seed: [(user: String, key: String, id: String)] = []
            var kept = Set<String>()
            for (i, w) in work.enumerated() {
                let id: String
                switch done[i] {
                case .keep(let k): id = k
                case .new(let key): id = try tx.insertKey(key); changed = true
                case nil: continue
                }
                kept.insert(id)
                seed.append((w.user, w.key, id))
            }
            for k in existing where k.fromStart && !kept.contains(k.id) {
                try tx.deleteKey(id: k.id)
                changed = true
            }
            var migrated = 0
            for l in legacy {
                if seed.contains(where: { $0.user == l.user && $0.key == l.key }) { continue }
                let others = existing.filter { $0.user == l.user && !$0.fromStart }
                if others.contains(where: { KeyHash.verify(l.key, $0) }) { continue }
                try tx.insertKey(KeyHash.make(l.key, user: l.user, source: "migrated", rounds: rounds))
                migrated += 1
                changed = true
            }
            if changed { try tx.bumpKeysVersion() }
            return (seed, migrated)
        }.0
        return Binding(keyring: try Keyring(store: store, rounds: rounds, seed: seed), migrated: migrated)
    }
}
