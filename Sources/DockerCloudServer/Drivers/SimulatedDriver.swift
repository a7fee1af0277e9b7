import DockerCloudAPI
import Foundation
import Synchronization

/// Nodes and containers that exist only in this process. A container's run_command is executed by
/// a small shell interpreter (SimulatedShell), so its output is deterministic and real enough for
/// logs and exec, and it exits with a code when its command ends.
///
/// A container whose command has nothing left to do but wait (no command, `sleep N` or
/// `sleep infinity` as its last step) is *parked*: it holds no task, only an entry with its wake-up
/// time, which one scheduler task serves. Thousands of idle containers cost a few hundred bytes each.
final class SimulatedDriver: NodeDriver {
    let name = "simulated"
    private let delay: Duration
    private struct Parked { var deadline: ContinuousClock.Instant?; var io: any ContainerIO }
    /// Shared with the scheduler task, hence a reference.
    private final class ParkingLot: Sendable { let table = Mutex<[String: Parked]>([:]) }
    private let active = Mutex<[String: Task<Void, Never>]>([:])
    private let lot = ParkingLot()
    private let wake: AsyncStream<Void>.Continuation
    private let scheduler: Task<Void, Never>
    private let nodeCounter = Atomic<Int>(0)

    init(delay: Duration) {
        self.delay = delay
        let (signals, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let lot = self.lot
        scheduler = Task.detached {
            var iterator = signals.makeAsyncIterator()
            while !Task.isCancelled {
                let now = ContinuousClock.now
                let due: [(String, any ContainerIO)] = lot.table.withLock { table in
                    let ready = table.filter { $0.value.deadline.map { $0 <= now } ?? false }
                    for key in ready.keys { table.removeValue(forKey: key) }
                    return ready.map { ($0.key, $0.value.io) }
                }
                for (_, io) in due { io.exited(code: 0) }
                let next = lot.table.withLock { $0.values.compactMap(\.deadline).min() }
                if let next {
                    // Sleep until the next deadline, at most 100 ms so a new, earlier one is not missed by much.
                    try? await Task.sleep(for: min(next - ContinuousClock.now, .milliseconds(100)))
                } else if await iterator.next() == nil {
                    return
                }
            }
        }
    }

    deinit {
        scheduler.cancel()
        wake.finish()
    }

    func deployNode(_ node: NodeSpec) async throws -> NodeFacts {
        try await Task.sleep(for: delay)
        let n = nodeCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return facts(ip: "127.0.\(1 + n / 250).\(1 + n % 250)")
    }

    private func facts(ip: String) -> NodeFacts {
        NodeFacts(cpu: 0, memory: 0, disk: 0, dockerVersion: "1.13.1", execDriver: "native-0.2", graphDriver: "overlay2", publicIP: ip)
    }

    func terminateNode(_ node: NodeSpec) async throws {
        try await Task.sleep(for: delay)
    }

    /// A simulated node lives in this process, so it always answers.
    func checkNode(_ node: NodeSpec) async -> Bool { true }

    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts {
        try await Task.sleep(for: delay)
        return facts(ip: "")
    }

    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws {
        try await Task.sleep(for: delay)
        let command = [spec.entrypoint, spec.runCommand].filter { !$0.isEmpty }.joined(separator: " ")
        if command.isEmpty {
            // No command: the image's own long-running process.
            io.output(stream: "stdout", text: "\(spec.image) is running in \(spec.hostname)\n")
            park(spec.uuid, for: nil, io: io)
            return
        }
        let shell = SimulatedShell(environment: spec.environment, hostname: spec.hostname, workingDir: spec.workingDir, user: spec.user)
        let uuid = spec.uuid
        let task = Task { [self] in
            let outcome = await shell.runParkable(command) { stream, text in io.output(stream: stream, text: text) }
            _ = active.withLock { $0.removeValue(forKey: uuid) }
            switch outcome {
            case .exited(let code): io.exited(code: code)
            case .parked(let wait): if !Task.isCancelled { park(uuid, for: wait, io: io) } else { io.exited(code: 143) }
            }
        }
        active.withLock { $0[uuid] = task }
    }

    private func park(_ uuid: String, for wait: Duration?, io: any ContainerIO) {
        lot.table.withLock { $0[uuid] = Parked(deadline: wait.map { ContinuousClock.now + $0 }, io: io) }
        wake.yield()
    }

    func stopContainer(_ uuid: String) async throws {
        active.withLock { $0.removeValue(forKey: uuid) }?.cancel()
        if let idle = lot.table.withLock({ $0.removeValue(forKey: uuid) }) { idle.io.exited(code: 143) }
        try await Task.sleep(for: delay)
    }

    func removeContainer(_ uuid: String) async throws {
        try await stopContainer(uuid)
    }

    func isRunning(_ uuid: String) -> Bool {
        active.withLock { $0[uuid] != nil } || lot.table.withLock { $0[uuid] != nil }
    }

    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int {
        guard isRunning(container.uuid) else { throw DriverError(description: "container is not running") }
        let shell = SimulatedShell(environment: container.environment, hostname: container.hostname,
                                   workingDir: container.workingDir, user: container.user)
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || ["sh", "bash", "/bin/sh", "/bin/bash", "ash"].contains(trimmed) {
            return await shell.interactive(input: io.input, output: io.output)
        }
        return await shell.run(command, emit: io.output)
    }
}
