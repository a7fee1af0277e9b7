import Foundation

/// Where the client's credentials come from, in the old CLI's order of precedence:
/// `DOCKERCLOUD_AUTH` (used verbatim as the Authorization header) > `DOCKERCLOUD_USER` +
/// `DOCKERCLOUD_APIKEY` > `DOCKERCLOUD_USER` + `DOCKERCLOUD_PASS` > the Docker config file
/// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`). In the config file, the entry of
/// the server in use comes first (`login` stores a self-hosted server's credentials under its own
/// address, never under Docker Hub's key, which `docker pull` would then send to Docker Hub), then
/// Docker Hub's (`https://index.docker.io/v1/`, where 1.0.9 and `docker login` kept Docker Cloud's);
/// for each, its credential helper (`credHelpers`, else `credsStore`) before its `auths` entry, as
/// docker reads them. Nothing is read until a request needs it, so `--help` and `--version` never
/// depend on it. Secrets never appear in descriptions.
public struct Credentials: Sendable, CustomStringConvertible {
    public enum Source: String, Sendable {
        case dockercloudAuth = "DOCKERCLOUD_AUTH"
        case apiKey = "DOCKERCLOUD_USER and DOCKERCLOUD_APIKEY"
        case password = "DOCKERCLOUD_USER and DOCKERCLOUD_PASS"
        case credentialHelper = "the Docker credential helper"
        case configFile = "the Docker config file"
    }

    /// The Authorization header value.
    public let authorization: String
    public let user: String?
    public let source: Source

    public init(authorization: String, user: String?, source: Source) {
        self.authorization = authorization; self.user = user; self.source = source
    }

    public var description: String { "credentials of \(user ?? "an unnamed user") from \(source.rawValue)" }

    /// Problems met while looking (an unreadable config, a failing helper), for `--debug` and errors.
    public struct Lookup: Sendable {
        public var credentials: Credentials?
        public var problems: [String]
    }

    public static let dockerHubKey = "https://index.docker.io/v1/"

    public static func basic(_ user: String, _ secret: String) -> String {
        "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
    }

    /// Docker Cloud's own REST host: its credentials are Docker Hub's.
    public static let dockerCloudHosts: Set<String> = ["cloud.docker.com"]

    /// The config-file key of the server at `restHost`: Docker Hub's key for Docker Cloud, else the
    /// server's own address (`scheme://host[:port][/prefix]`, no trailing slash).
    public static func serverKey(restHost: String) -> String {
        guard let url = URLComponents(string: restHost), let host = url.host?.lowercased(), !host.isEmpty else { return dockerHubKey }
        if dockerCloudHosts.contains(host) { return dockerHubKey }
        let scheme = (url.scheme ?? "https").lowercased()
        let port = url.port.map { ":\($0)" } ?? ""
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        return "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)\(port)\(path)"
    }

    /// A key as docker matches `credHelpers` entries: the host[:port] without scheme or path.
    static func hostname(_ key: String) -> String {
        var rest = Substring(key)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.split(separator: "/", maxSplits: 1).first ?? rest)
    }

    /// The keys credentials are looked up under, in order: the server's own, then Docker Hub's.
    public static func lookupKeys(restHost: String) -> [String] {
        let own = serverKey(restHost: restHost)
        return own == dockerHubKey ? [own] : [own, dockerHubKey]
    }

    /// The helper that holds `key`'s credentials, if the config names one (`credHelpers` by host, else `credsStore`).
    public static func helper(for key: String, in config: [String: Any]) -> String? {
        if let helpers = config["credHelpers"] as? [String: Any] {
            for candidate in [key, hostname(key)] { if let name = helpers[candidate] as? String, !name.isEmpty { return name } }
        }
        if let store = config["credsStore"] as? String, !store.isEmpty { return store }
        return nil
    }

    /// Finds credentials for the server at `restHost` (default: `DOCKERCLOUD_REST_HOST`, else Docker
    /// Cloud). `runHelper` runs `docker-credential-<name> get` for a key (injectable for tests).
    public static func lookup(environment env: [String: String] = ProcessInfo.processInfo.environment, restHost: String? = nil,
                              runHelper: (String, String) throws -> Data = { try Credentials.runCredentialHelper($0, "get", Data($1.utf8)) }) -> Lookup {
        var problems: [String] = []
        if let auth = env["DOCKERCLOUD_AUTH"], !auth.isEmpty {
            return Lookup(credentials: Credentials(authorization: auth, user: env["DOCKERCLOUD_USER"], source: .dockercloudAuth), problems: [])
        }
        if let user = env["DOCKERCLOUD_USER"], !user.isEmpty {
            if let key = env["DOCKERCLOUD_APIKEY"], !key.isEmpty {
                return Lookup(credentials: Credentials(authorization: basic(user, key), user: user, source: .apiKey), problems: [])
            }
            if let pass = env["DOCKERCLOUD_PASS"], !pass.isEmpty {
                return Lookup(credentials: Credentials(authorization: basic(user, pass), user: user, source: .password), problems: [])
            }
        }
        let path = configPath(env)
        guard let data = FileManager.default.contents(atPath: path) else { return Lookup(credentials: nil, problems: []) }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return Lookup(credentials: nil, problems: ["\(path) is not valid JSON; ignoring it"])
        }
        let host = restHost ?? APIConfig.fromEnvironment(env, userAgent: "").restHost
        for key in lookupKeys(restHost: host) {
            if let store = helper(for: key, in: config) {
                do {
                    let answer = try runHelper(store, key)
                    if let json = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any],
                       let user = json["Username"] as? String, let secret = json["Secret"] as? String, !user.isEmpty {
                        return Lookup(credentials: Credentials(authorization: basic(user, secret), user: user, source: .credentialHelper), problems: problems)
                    }
                    problems.append("docker-credential-\(store) gave no credentials for \(key)")
                } catch {
                    problems.append("docker-credential-\(store) failed for \(key): \(error)")
                }
            }
            if let auths = config["auths"] as? [String: Any], let entry = auths[key] as? [String: Any],
               let encoded = entry["auth"] as? String, let decoded = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
               let colon = decoded.firstIndex(of: ":") {
                let user = String(decoded[..<colon])
                return Lookup(credentials: Credentials(authorization: "Basic " + encoded, user: user, source: .configFile), problems: problems)
            }
        }
        return Lookup(credentials: nil, problems: problems)
    }

    public static func configPath(_ env: [String: String]) -> String {
        if let dir = env["DOCKER_CONFIG"], !dir.isEmpty { return dir + "/config.json" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json"
    }

    /// Runs `docker-credential-<name> <action>` with `input` on stdin, as Docker's helpers expect
    /// (`get`: the server URL; `store`: `{"ServerURL", "Username", "Secret"}`). The secret travels
    /// on the pipe only, never in arguments.
    public static func runCredentialHelper(_ name: String, _ action: String, _ input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(name)", action]
        let stdin = Pipe(), output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A helper may exit without reading its input: the broken pipe is its answer, not a crash
        // (FileHandle's non-throwing write traps on it); its exit status says what happened.
        let previous = signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        signal(SIGPIPE, previous)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CredentialHelperError(name: name, status: process.terminationStatus)
        }
        return data
    }
}

struct CredentialHelperError: Error, CustomStringConvertible {
    var name: String
    var status: Int32
    var description: String {
        status == 127 ? "docker-credential-\(name) is not on PATH" : "docker-credential-\(name) exited with status \(status)"
    }
}
