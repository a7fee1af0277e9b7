import DockerCloudAPI
import Foundation

/// What a node driver is told about a node.
struct NodeSpec: Sendable {
    var uuid: String
    var name: String
    var provider: String
    var nodeType: String
}

/// What a node driver learns when it deploys, checks or upgrades a node.
struct NodeFacts: Sendable {
    var cpu: Int
    var memory: Int
    var disk: Int
    var dockerVersion: String
    var execDriver: String
    var graphDriver: String
    var publicIP: String
}

/// What a node driver needs to run a container.
struct ContainerSpec: Sendable {
    var uuid: String
    var name: String
    var hostname: String
    var image: String
    var runCommand: String
    var entrypoint: String
    var environment: [EnvVar]
    var workingDir: String
    var user: String
    var tty: Bool
    var node: NodeSpec
}

/// Where a running container reports to. `exited` is called once per start, when the main process
/// ends for any reason (its command finished, or it was stopped).
protocol ContainerIO: Sendable {
    func output(stream: String, text: String)
    func exited(code: Int)
}

/// One `exec` session: input frames from the client, output frames to it.
struct ExecIO: Sendable {
    var input: AsyncStream<String>
    var output: @Sendable (_ stream: String, _ text: String) async -> Void
}

/// The boundary between the control plane and whatever runs containers. The simulated driver
/// keeps everything in this process; the Docker Engine driver (a later issue) talks to dockerd.
protocol NodeDriver: Sendable {
    var name: String { get }
    func deployNode(_ node: NodeSpec) async throws -> NodeFacts
    func terminateNode(_ node: NodeSpec) async throws
    /// Whether the node's engine answers.
    func checkNode(_ node: NodeSpec) async -> Bool
    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts
    /// Creates and starts the container; returns once it runs.
    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws
    /// Stops the container's main process; its `exited` follows.
    func stopContainer(_ uuid: String) async throws
    /// Removes the container (stopping it first if needed).
    func removeContainer(_ uuid: String) async throws
    /// Runs `command` inside the running container; returns its exit code.
    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int
}

struct DriverError: Error, CustomStringConvertible {
    var description: String
}
