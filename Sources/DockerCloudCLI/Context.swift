import DockerCloudKit
import Foundation

/// What a command needs from its surroundings, made on first use so that parsing, `--help` and
/// `--version` touch neither the environment's credentials nor the network.
final class Context {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    lazy var config = APIConfig.fromEnvironment(environment, userAgent: "docker-cloud/\(App.version)")

    lazy var api: APIClient = {
        let env = environment
        return APIClient(config: config) { Credentials.lookup(environment: env).credentials }
    }()
}

/// A failure a command reports: one line on stderr, exit 3 (the original's code for handled errors).
struct CommandError: Error, CustomStringConvertible {
    var description: String
}
