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
                for (_, io) in due { io.exited(code: 0, reason: nil) }
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
        NodeFacts(cpu: 0, memory: 0, disk: 0, dockerVersion: "1.13.1", execDriver: "native-0.2", graphDriver: "overlay2", publicIP: ip, host: "simulated")
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

    /// Images need no pulling here.
    func prepareImage(_ spec: ContainerSpec, progress: @escaping @Sendable (String) -> Void) async throws {}

    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws -> StartedContainer {
        try await Task.sleep(for: delay)
        let started = StartedContainer(engineID: "sim-" + spec.uuid, ip: nil)
        let command = [spec.entrypoint, spec.runCommand].filter { !$0.isEmpty }.joined(separator: " ")
        if command.isEmpty {
            // No command: the image's own long-running process.
            io.output([OutputLine(stream: "stdout", text: "\(spec.image) is running in \(spec.hostname)\n", date: Date())])
            park(spec.uuid, for: nil, io: io)
            return started
        }
        let shell = SimulatedShell(environment: spec.environment, hostname: spec.hostname, workingDir: spec.workingDir, user: spec.user)
        let uuid = spec.uuid
        let task = Task { [self] in
            let outcome = await shell.runParkable(command) { stream, text in io.output([OutputLine(stream: stream, text: text, date: Date())]) }
            _ = active.withLock { $0.removeValue(forKey: uuid) }
            switch outcome {
            case .exited(let code): io.exited(code: code, reason: nil)
            case .parked(let wait): if !Task.isCancelled { park(uuid, for: wait, io: io) } else { io.exited(code: 143, reason: nil) }
            }
        }
        active.withLock { $0[uuid] = task }
        return started
    }

    /// Nothing simulated outlives the process, so there is never anything to adopt.
    func adoptContainer(_ spec: ContainerSpec, io: any ContainerIO, since: Date?) async throws -> StartedContainer {
        throw DriverError(description: "simulated containers do not survive a restart")
    }

    func inventory(_ node: NodeSpec) async throws -> [FoundContainer] { [] }

    private func park(_ uuid: String, for wait: Duration?, io: any ContainerIO) {
        lot.table.withLock { $0[uuid] = Parked(deadline: wait.map { ContinuousClock.now + $0 }, io: io) }
        wake.yield()
    }

    func stopContainer(_ uuid: String, node: NodeSpec) async throws {
        active.withLock { $0.removeValue(forKey: uuid) }?.cancel()
        if let idle = lot.table.withLock({ $0.removeValue(forKey: uuid) }) { idle.io.exited(code: 143, reason: nil) }
        try await Task.sleep(for: delay)
    }

    func removeContainer(_ uuid: String, node: NodeSpec) async throws {
        try await stopContainer(uuid, node: node)
    }

    func isRunning(_ uuid: String) -> Bool {
        active.withLock { $0[uuid] != nil } || lot.table.withLock { $0[uuid] != nil }
    }

    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int {
        guard isRunning(container.uuid) else { throw DriverError(description: "container is not running") }
        let shell = SimulatedShell(environment: container.environment, hostname: container.hostname,
                                   workingDir: container.workingDir, user: container.user)
        let output = io.output
        let emit: SimulatedShell.Emit = { stream, text in await output(stream, Array(text.utf8)) }
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || ["sh", "bash", "/bin/sh", "/bin/bash", "ash"].contains(trimmed) {
            return await shell.interactive(input: io.input, output: emit)
        }
        return await shell.run(command, emit: emit)
    }
}
