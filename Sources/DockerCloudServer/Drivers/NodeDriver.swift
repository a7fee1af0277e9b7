import AsyncAlgorithms
import DockerCloudAPI
import Foundation

/// What a node driver is told about a node.
struct NodeSpec: Sendable {
    var uuid: String
    var name: String
    var provider: String
    var nodeType: String
    /// Which of the driver's hosts backs the node (the driver's own key, given back to it on every
    /// call); nil until the node was deployed.
    var host: String?
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
    /// The host the driver put the node on (see `NodeSpec.host`).
    var host: String
    /// What the node's engine cannot do at the API version it is used at (for the operator's log).
    var limitations: [String] = []
}

/// What a node driver needs to run a container: every setting of the Docker Cloud API that the
/// container carries, as the control plane resolved it.
struct ContainerSpec: Sendable {
    var uuid: String
    var name: String
    var namespace: String
    var serviceUUID: String?
    var hostname: String
    var domainname: String
    var image: String
    var runCommand: String
    var entrypoint: String
    var environment: [EnvVar]
    var workingDir: String
    var user: String
    var tty: Bool
    var stdinOpen: Bool
    var ports: [ContainerPort]
    var bindings: [ContainerBinding]
    /// Our uuids of the containers whose volumes this one mounts.
    var volumesFrom: [String]
    var cpuShares: Int?
    var cpuset: String
    var memory: Int?
    var memorySwap: Int?
    var privileged: Bool
    var capAdd: [String]
    var capDrop: [String]
    var devices: [String]
    var dns: [String]
    var dnsSearch: [String]
    var extraHosts: [String]
    var securityOpt: [String]
    var labels: [String: String]
    var readOnly: Bool
    var pid: String
    var net: String
    var macAddress: String
    var cgroupParent: String
    /// Credentials of the image's private registry, when the namespace registered its repository.
    var registryAuth: RegistryCredentials?
    var node: NodeSpec
}

/// A registry login for pulls. Never printed: `description` hides the password.
struct RegistryCredentials: Sendable, CustomStringConvertible {
    var username: String
    var password: String
    var server: String
    var description: String { "\(username)@\(server)" }
}

/// What the driver reports once a container runs.
struct StartedContainer: Sendable {
    /// The engine's id for it (the simulated driver makes one up).
    var engineID: String
    var ip: String?
    /// Published ports as bound: "80/tcp" → host port.
    var hostPorts: [String: Int] = [:]
}

/// One line of a container's output, with the time its engine recorded it.
struct OutputLine: Sendable {
    var stream: String
    var text: String
    var date: Date
}

/// Where a running container reports to. `exited` is called once per start, when the main process
/// ends for any reason (its command finished, it was stopped, killed, or removed behind our back).
protocol ContainerIO: Sendable {
    func output(_ lines: [OutputLine])
    func exited(code: Int, reason: String?)
    /// The engine started the container again without us (someone ran `docker start`).
    func startedElsewhere()
    /// The image's health check says the container is unhealthy.
    func unhealthy()
}

/// A container of ours found on a node's engine (by its labels), for adoption after a restart.
struct FoundContainer: Sendable {
    var uuid: String
    var running: Bool
    var exitCode: Int?
}

/// Input from a client to a process's stdin, handed over with backpressure: sending waits until
/// the process has taken the previous chunk, so a client writing faster than the process reads
/// holds at most one websocket message in the server while TCP's flow control slows the client.
typealias ProcessInput = AsyncChannel<[UInt8]>

/// One `exec` session: input from the client, terminal sizes, output to it.
struct ExecIO: Sendable {
    var tty: Bool
    var input: ProcessInput
    var resize: AsyncStream<(width: Int, height: Int)>
    var output: @Sendable (_ stream: String, _ bytes: [UInt8]) async -> Void
}

/// The boundary between the control plane and whatever runs containers: one handle per node
/// inside the driver (endpoint, TLS, API version), keyed by `NodeSpec.host`. Every call is bounded
/// in time. The simulated driver keeps everything in this process; the engine driver talks to dockerd.
protocol NodeDriver: Sendable {
    var name: String { get }
    func deployNode(_ node: NodeSpec) async throws -> NodeFacts
    func terminateNode(_ node: NodeSpec) async throws
    /// Whether the node's engine answers (within a few seconds).
    func checkNode(_ node: NodeSpec) async -> Bool
    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts
    /// Makes the image available on the node (pulls it when missing), reporting progress lines.
    func prepareImage(_ spec: ContainerSpec, progress: @escaping @Sendable (String) -> Void) async throws
    /// Creates (or reuses) and starts the container; returns once it runs.
    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws -> StartedContainer
    /// Takes over a container that runs on the engine already (after a restart of the server):
    /// its exit is reported to `io`, its output from `since` on.
    func adoptContainer(_ spec: ContainerSpec, io: any ContainerIO, since: Date?) async throws -> StartedContainer
    /// Stops the container's main process; its `exited` follows.
    func stopContainer(_ uuid: String, node: NodeSpec) async throws
    /// Removes the container (stopping it first if needed). Gone already is not an error.
    func removeContainer(_ uuid: String, node: NodeSpec) async throws
    /// Our containers that exist on the node's engine.
    func inventory(_ node: NodeSpec) async throws -> [FoundContainer]
    /// Runs `command` inside the running container; returns its exit code.
    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int
    /// The engine's own operations on the node's containers, if the node has an engine.
    func operations(for node: NodeSpec) -> (any ContainerOperations)?
}

extension NodeDriver {
    func operations(for node: NodeSpec) -> (any ContainerOperations)? { self as? any ContainerOperations }
}

struct DriverError: Error, CustomStringConvertible {
    var description: String
}

/// The engine's own operations on one container, beyond the Docker Cloud API (our extension).
/// Only drivers with a real engine have them; the control plane answers 4xx for the others.
protocol ContainerOperations: Sendable {
    func top(_ c: ContainerSpec, psArgs: String?) async throws -> ProcessTable
    /// One stats sample as the engine's JSON.
    func stats(_ c: ContainerSpec) async throws -> [UInt8]
    /// Samples as the engine streams them (about one a second) until `each` returns false.
    func streamStats(_ c: ContainerSpec, _ each: @escaping @Sendable ([UInt8]) async throws -> Bool) async throws
    func changes(_ c: ContainerSpec) async throws -> [FileChange]
    /// The container's filesystem as a tar, chunk by chunk.
    func export(_ c: ContainerSpec, _ chunk: @escaping @Sendable ([UInt8]) async throws -> Void) async throws
    /// What is at `path`: the engine's base64 JSON stat, as docker's archive API gives it.
    func statPath(_ c: ContainerSpec, path: String) async throws -> String
    func getArchive(_ c: ContainerSpec, path: String, _ chunk: @escaping @Sendable ([UInt8]) async throws -> Void) async throws
    func putArchive(_ c: ContainerSpec, path: String, tar: [UInt8]) async throws
    func kill(_ c: ContainerSpec, signal: String) async throws
    func pause(_ c: ContainerSpec) async throws
    func unpause(_ c: ContainerSpec) async throws
    /// Waits for the main process to end; its exit code.
    func wait(_ c: ContainerSpec) async throws -> Int
    func rename(_ c: ContainerSpec, to name: String) async throws
    func update(_ c: ContainerSpec, cpuShares: Int?, memory: Int?, memorySwap: Int?, cpuset: String?) async throws
    /// The container's stdio: output to `output`, `input` to its stdin (if it keeps one open).
    func attach(_ c: ContainerSpec, input: ProcessInput, output: @escaping @Sendable (_ stream: String, _ bytes: [UInt8]) async -> Void) async throws
}

/// `top`: column titles and one row per process.
struct ProcessTable: Codable, Sendable {
    var Titles: [String]
    var Processes: [[String]]
}

/// `diff`: Kind 0 changed, 1 added, 2 deleted (the engine's numbering).
struct FileChange: Codable, Sendable {
    var Path: String
    var Kind: Int
}
