import DockerCloudKit
import Foundation

/// What a command needs from its surroundings, made on first use so that parsing, `--help` and
/// `--version` touch neither the environment's credentials nor the network.
final class Context {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    lazy var config = APIConfig.fromEnvironment(environment, userAgent: "docker-cloud/\(App.version)")

    /// `--debug`: requests, answers and where the credentials came from, on stderr (never secrets).
    var debug = false

    func trace(_ line: String) { if debug { FileHandle.standardError.write(Data("DEBUG: \(line)\n".utf8)) } }

    /// Looked up once, when a command first talks to the API or a stream.
    lazy var credentials: Credentials? = {
        let lookup = Credentials.lookup(environment: environment)
        for problem in lookup.problems { trace("credentials: \(problem)") }
        trace(lookup.credentials.map { "using the \($0)" } ?? "no credentials found (DOCKERCLOUD_AUTH, DOCKERCLOUD_USER with DOCKERCLOUD_APIKEY or DOCKERCLOUD_PASS, or a Docker config file)")
        return lookup.credentials
    }()

    lazy var api: APIClient = {
        let found = credentials
        let client = APIClient(config: config) { found }
        if debug { client.trace = { FileHandle.standardError.write(Data("DEBUG: \($0)\n".utf8)) } }
        return client
    }()

    /// Colour only where a person reads it: a terminal, and never with NO_COLOR set.
    func colour(_ fd: Int32) -> Bool { isatty(fd) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb" }
}

/// A failure a command reports: one line on stderr, exit 3 (the original's code for handled errors).
struct CommandError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 3
    /// An identifier that names nothing (as opposed to an ambiguous one or a failed request).
    var notFound = false
    /// The server refused the credentials access (403): retrying will not help.
    var refusedAccess = false
}
