import DockerCloudAPI
import Foundation

/// Who may call the API: users with their API keys, and organisations with their members.
/// A user sees their own namespace and the organisations they belong to, nothing else.
struct Accounts: Sendable {
    var apiKeys: [String: String] = [:]
    var orgMembers: [String: Set<String>] = [:]

    /// `Basic base64(user:apikey)`, or `ApiKey user:apikey`; nil when missing or wrong.
    func authenticate(_ header: String?) -> String? {
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
        let user = String(credentials[..<colon])
        let key = String(credentials[credentials.index(after: colon)...])
        guard let expected = apiKeys[user], constantTimeEqual(expected, key) else { return nil }
        return user
    }

    func namespaces(of user: String) -> Set<String> {
        var result: Set<String> = [user]
        for (org, members) in orgMembers where members.contains(user) { result.insert(org) }
        return result
    }

    var allNamespaces: [String] { (Array(apiKeys.keys) + Array(orgMembers.keys)).sorted() }

    func exists(_ namespace: String) -> Bool { apiKeys[namespace] != nil || orgMembers[namespace] != nil }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}
