import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `login`: asks for a user name (with line editing) and a password or API key (without echo),
/// checks them against the API, and stores them in the Docker config file (mode 0600) where every
/// later command finds them. 1.0.9 only printed a hint to use `docker login`.
enum LoginCommand {
    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let path = Credentials.configPath(ctx.environment)
        // The user already stored (not one from DOCKERCLOUD_* variables) is the default answer.
        let previous = Credentials.lookup(environment: ctx.environment.filter { !$0.key.hasPrefix("DOCKERCLOUD_") }).credentials?.user
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
        try store(path: path, authorization: String(authorization.dropFirst("Basic ".count)))
        Output.out("Login succeeded as \(user); the credentials are stored in \(path)\n")
        if ctx.environment["DOCKERCLOUD_AUTH"] != nil || ctx.environment["DOCKERCLOUD_USER"] != nil {
            Output.error("Note: DOCKERCLOUD_AUTH or DOCKERCLOUD_USER in the environment take precedence over the stored credentials")
        }
        return 0
    }

    /// Writes `auths["https://index.docker.io/v1/"].auth`, keeping everything else in the file.
    /// The file is replaced atomically and is readable by its owner only.
    static func store(path: String, authorization: String) throws {
        var config: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            guard let parsed = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw CommandError(description: "\(path) is not valid JSON; fix or remove it, then log in again")
            }
            config = parsed
        }
        var auths = config["auths"] as? [String: Any] ?? [:]
        var entry = auths[Credentials.dockerHubKey] as? [String: Any] ?? [:]
        entry["auth"] = authorization
        auths[Credentials.dockerHubKey] = entry
        config["auths"] = auths
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
