import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `login`: asks for a user name (with line editing) and a password or API key (without echo),
/// checks them against the API, and stores them where every later command finds them: under the
/// server's own key in the Docker config file (Docker Hub's key only for Docker Cloud itself, so
/// `docker pull` never sends a self-hosted server's key to Docker Hub), through the config's
/// credential helper when it names one (as `docker login` does), else in the file (mode 0600).
/// 1.0.9 only printed a hint to use `docker login`.
enum LoginCommand {
    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let path = Credentials.configPath(ctx.environment)
        let key = Credentials.serverKey(restHost: ctx.config.restHost)
        // The user already stored for this server (not one from DOCKERCLOUD_* variables) is the default answer.
        let stored = ctx.environment.filter { !["DOCKERCLOUD_AUTH", "DOCKERCLOUD_USER", "DOCKERCLOUD_APIKEY", "DOCKERCLOUD_PASS"].contains($0.key) }
        let previous = Credentials.lookup(environment: stored, restHost: ctx.config.restHost).credentials?.user
        var user = try Prompt.line(previous.map { "Username (\($0)): " } ?? "Username: ").trimmingCharacters(in: .whitespaces)
        if user.isEmpty, let previous { user = previous }
        guard !user.isEmpty, !user.contains(":") else { throw CommandError(description: "A user name is required, without ':'") }
        let secret = try Prompt.secret("Password or API key: ")
        guard !secret.isEmpty else { throw CommandError(description: "A password or API key is required") }

        let authorization = Credentials.basic(user, secret)
        let checked = Credentials(authorization: authorization, user: user, source: .configFile)
        let check = APIClient(config: ctx.config) { checked }
        do {
            _ = try check.send("GET", check.path(.service), query: [("limit", "1")])
        } catch let e as APIClientError where e.status == 401 {
            throw CommandError(description: "Login failed: the server did not accept the user name and password or API key")
        }
        let place = try store(path: path, key: key, user: user, secret: secret)
        Output.out("Login succeeded as \(user); the credentials are stored \(place) for \(key)\n")
        if ctx.environment["DOCKERCLOUD_AUTH"] != nil || ctx.environment["DOCKERCLOUD_USER"] != nil {
            Output.error("Note: DOCKERCLOUD_AUTH or DOCKERCLOUD_USER in the environment take precedence over the stored credentials")
        }
        return 0
    }

    /// Stores the credentials under `key` and says where: through the credential helper the config
    /// names for that key (`credHelpers`, else `credsStore`), leaving no plain-text copy in the file
    /// that could shadow or outlive it; else as `auths[key].auth`. Everything else in the file is
    /// kept; it is replaced atomically and is readable by its owner only.
    static func store(path: String, key: String, user: String, secret: String) throws -> String {
        var config: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            guard let parsed = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw CommandError(description: "\(path) is not valid JSON; fix or remove it, then log in again")
            }
            config = parsed
        }
        var auths = config["auths"] as? [String: Any] ?? [:]
        var entry = auths[key] as? [String: Any] ?? [:]
        let place: String
        if let helper = Credentials.helper(for: key, in: config) {
            let payload = try JSONSerialization.data(withJSONObject: ["ServerURL": key, "Username": user, "Secret": secret])
            do { _ = try Credentials.runCredentialHelper(helper, "store", payload) } catch {
                throw CommandError(description: "Cannot store the credentials with docker-credential-\(helper) (named by \(path)): \(error)")
            }
            entry.removeValue(forKey: "auth")
            place = "by docker-credential-\(helper)"
        } else {
            entry["auth"] = Data("\(user):\(secret)".utf8).base64EncodedString()
            place = "in \(path)"
        }
        auths[key] = entry
        config["auths"] = auths
        try write(config, to: path)
        return place
    }

    static func write(_ config: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let temporary = directory + "/.config.json.\(getpid())"
            guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CommandError(description: "Cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw CommandError(description: "Cannot replace \(path): \(String(cString: strerror(errno)))")
            }
        } catch let e as CommandError { throw e } catch {
            throw CommandError(description: "Cannot store the credentials in \(path): \((error as NSError).localizedDescription)")
        }
    }
}
