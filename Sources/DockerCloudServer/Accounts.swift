import DockerCloudAPI
import Foundation

/// Who may call the API: users with their API keys, and organisations with their members.
/// A user sees their own namespace and the organisations they belong to, nothing else.
struct Accounts: Sendable {
    /// Keys as given at start (`--user`, `--users-file`, generated), in memory only: a running
    /// server hashes them into its store (`Keyring.bind`) and empties this map.
    var apiKeys: [String: String] = [:]
    var orgMembers: [String: Set<String>] = [:]
    /// The store's keys (salted hashes, several per user), seen by a running server within a second
    /// of `docker-cloud-server keys add|rm`. nil: only `apiKeys` (unit tests).
    var keyring: Keyring?

    /// `Basic base64(user:apikey)`, or `ApiKey user:apikey`; nil when missing or wrong.
    func authenticate(_ header: String?) -> String? {
        guard let (user, key) = Accounts.credentials(header), !user.isEmpty, !key.isEmpty else { return nil }
        // An organisation is a namespace, never a login, whatever the keys table holds.
        guard orgMembers[user] == nil else { return nil }
        if let keyring { return keyring.verify(user: user, key: key) ? user : nil }
        guard let expected = apiKeys[user], KeyHash.constantTimeEqual(Array(expected.utf8), Array(key.utf8)) else { return nil }
        return user
    }

    /// The user and key of an Authorization header.
    static func credentials(_ header: String?) -> (String, String)? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let credentials: String
        switch parts[0].lowercased() {
        case "basic":
            guard let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
                  let text = String(data: data, encoding: .utf8) else { return nil }
            credentials = text
        case "apikey":
            credentials = parts[1].trimmingCharacters(in: .whitespaces)
        default:
            return nil
        }
        guard let colon = credentials.firstIndex(of: ":") else { return nil }
        return (String(credentials[..<colon]), String(credentials[credentials.index(after: colon)...]))
    }

    /// Users: those with a key in the store (or, without a store, those given).
    var users: Set<String> {
        (keyring?.users ?? Set(apiKeys.keys)).subtracting(orgMembers.keys)
    }

    func namespaces(of user: String) -> Set<String> {
        var result: Set<String> = [user]
        for (org, members) in orgMembers where members.contains(user) { result.insert(org) }
        return result
    }

    var allNamespaces: [String] { (Array(users) + Array(orgMembers.keys)).sorted() }

    func exists(_ namespace: String) -> Bool { orgMembers[namespace] != nil || users.contains(namespace) }
}
