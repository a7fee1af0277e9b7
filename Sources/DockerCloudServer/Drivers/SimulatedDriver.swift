import DockerCloudAPI
import Foundation
import Synchronization

/// Nodes and containers that exist only in this process. A container's run_command is executed by
/// a small shell interpreter (SimulatedShell), so its output is deterministic and real enough for
/// logs and exec, and it exits with a code when its command ends.
final class SimulatedDriver: NodeDriver {
    let name = "simulated"
    private let delay: Duration
    private struct Running { var task: Task<Void, Never>; var spec: ContainerSpec }
    private let running = Mutex<[String: Running]>([:])
    private let nodeCounter = Atomic<Int>(0)
    /// Nodes made unreachable by tests or the operator (health checks fail for them).
    let unreachable = Mutex<Set<String>>([])

    init(delay: Duration) { self.delay = delay }

    func deployNode(_ node: NodeSpec) async throws -> NodeFacts {
        try await Task.sleep(for: delay)
        let n = nodeCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return facts(for: node, ip: "127.0.\(1 + n / 250).\(1 + n % 250)", version: "1.13.1")
    }

    private func facts(for node: NodeSpec, ip: String, version: String) -> NodeFacts {
        let (cpu, memory) = SimulatedDriver.size(of: node.nodeType)
        return NodeFacts(cpu: cpu, memory: memory, disk: 60, dockerVersion: version, execDriver: "native-0.2",
                         graphDriver: "overlay2", publicIP: ip)
    }

    /// CPU and memory (MB) of a node type: from the catalog name where it says (`2gb`), else 1/1024.
    static func size(of nodeType: String) -> (Int, Int) {
        let digits = nodeType.prefix { $0.isNumber }
        if let gb = Int(digits), nodeType.hasSuffix("gb") { return (max(1, gb / 2), gb * 1024) }
        return (1, 1024)
    }

    func terminateNode(_ node: NodeSpec) async throws {
        try await Task.sleep(for: delay)
    }

    func checkNode(_ node: NodeSpec) async -> Bool {
        !unreachable.withLock { $0.contains(node.uuid) }
    }

    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts {
        try await Task.sleep(for: delay)
        return facts(for: node, ip: "", version: "1.13.1")
    }

    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws {
        try await Task.sleep(for: delay)
        let shell = SimulatedShell(environment: spec.environment, hostname: spec.hostname, workingDir: spec.workingDir,
                                   user: spec.user)
        let command = [spec.entrypoint, spec.runCommand].filter { !$0.isEmpty }.joined(separator: " ")
        let image = spec.image
        let task = Task {
            let code: Int
            if command.isEmpty {
                // No command: the image's own long-running process.
                io.output(stream: "stdout", text: "\(image) is running in \(spec.hostname)\n")
                code = await SimulatedShell.waitForever()
            } else {
                code = await shell.run(command) { stream, text in io.output(stream: stream, text: text) }
            }
            io.exited(code: code)
        }
        running.withLock { $0[spec.uuid] = Running(task: task, spec: spec) }
    }

    func stopContainer(_ uuid: String) async throws {
        let entry = running.withLock { $0.removeValue(forKey: uuid) }
        entry?.task.cancel()
        try await Task.sleep(for: delay)
    }

    func removeContainer(_ uuid: String) async throws {
        try await stopContainer(uuid)
    }

    func exec(_ uuid: String, command: String, io: ExecIO) async throws -> Int {
        guard let spec = running.withLock({ $0[uuid]?.spec }) else {
            throw DriverError(description: "container is not running")
        }
        let shell = SimulatedShell(environment: spec.environment, hostname: spec.hostname, workingDir: spec.workingDir,
                                   user: spec.user)
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || ["sh", "bash", "/bin/sh", "/bin/bash", "ash"].contains(trimmed) {
            return await shell.interactive(input: io.input, output: io.output)
        }
        return await shell.run(command, emit: io.output)
    }
}
