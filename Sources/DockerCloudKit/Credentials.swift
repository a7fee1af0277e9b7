import Foundation

/// Where the client's credentials come from, in the old CLI's order of precedence:
/// `DOCKERCLOUD_AUTH` (used verbatim as the Authorization header) > `DOCKERCLOUD_USER` +
/// `DOCKERCLOUD_APIKEY` > `DOCKERCLOUD_USER` + `DOCKERCLOUD_PASS` > the Docker config file
/// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): its `credsStore` helper, else
/// `auths["https://index.docker.io/v1/"].auth`. Nothing is read until a request needs it, so
/// `--help` and `--version` never depend on it. Secrets never appear in descriptions.
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

    /// Finds credentials. `runHelper` runs `docker-credential-<name> get` (injectable for tests).
    public static func lookup(environment env: [String: String] = ProcessInfo.processInfo.environment,
                              runHelper: (String, String) throws -> Data = Credentials.runCredentialHelper) -> Lookup {
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
        if let store = config["credsStore"] as? String, !store.isEmpty {
            do {
                let answer = try runHelper(store, dockerHubKey)
                if let json = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any],
                   let user = json["Username"] as? String, let secret = json["Secret"] as? String, !user.isEmpty {
                    return Lookup(credentials: Credentials(authorization: basic(user, secret), user: user, source: .credentialHelper), problems: [])
                }
                problems.append("docker-credential-\(store) gave no credentials for \(dockerHubKey)")
            } catch {
                problems.append("docker-credential-\(store) failed: \(error)")
            }
        }
        if let auths = config["auths"] as? [String: Any], let entry = auths[dockerHubKey] as? [String: Any],
           let encoded = entry["auth"] as? String, let decoded = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
           let colon = decoded.firstIndex(of: ":") {
            let user = String(decoded[..<colon])
            return Lookup(credentials: Credentials(authorization: "Basic " + encoded, user: user, source: .configFile), problems: problems)
        }
        return Lookup(credentials: nil, problems: problems)
    }

    public static func configPath(_ env: [String: String]) -> String {
        if let dir = env["DOCKER_CONFIG"], !dir.isEmpty { return dir + "/config.json" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json"
    }

    /// Runs `docker-credential-<name> get` with the server URL on stdin, as Docker's helpers expect.
    public static func runCredentialHelper(_ name: String, _ server: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(name)", "get"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(server.utf8))
        try input.fileHandleForWriting.close()
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
