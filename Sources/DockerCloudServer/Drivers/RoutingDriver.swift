import DockerCloudAPI
import Foundation

/// Two kinds of node behind the one driver the control plane talks to: those of the server's own
/// hosts (simulated, or its `--engine`s) and hosts brought by users (`docker-cloud node byo`),
/// which are always Docker engines reached over mutual TLS. A node's provider says which.
final class RoutingDriver: NodeDriver {
    let own: any NodeDriver
    let brought: EngineDriver
    var name: String { own.name }

    init(own: any NodeDriver, brought: EngineDriver) {
        self.own = own
        self.brought = brought
    }

    private func route(_ node: NodeSpec) -> any NodeDriver {
        node.provider == Catalog.broughtProvider ? brought : own
    }

    func deployNode(_ node: NodeSpec) async throws -> NodeFacts { try await route(node).deployNode(node) }
    func terminateNode(_ node: NodeSpec) async throws { try await route(node).terminateNode(node) }
    func checkNode(_ node: NodeSpec) async -> Bool { await route(node).checkNode(node) }
    func upgradeNode(_ node: NodeSpec) async throws -> NodeFacts { try await route(node).upgradeNode(node) }
    func prepareImage(_ spec: ContainerSpec, progress: @escaping @Sendable (String) -> Void) async throws {
        try await route(spec.node).prepareImage(spec, progress: progress)
    }
    func startContainer(_ spec: ContainerSpec, io: any ContainerIO) async throws -> StartedContainer {
        try await route(spec.node).startContainer(spec, io: io)
    }
    func adoptContainer(_ spec: ContainerSpec, io: any ContainerIO, since: Date?) async throws -> StartedContainer {
        try await route(spec.node).adoptContainer(spec, io: io, since: since)
    }
    func stopContainer(_ uuid: String, node: NodeSpec) async throws { try await route(node).stopContainer(uuid, node: node) }
    func removeContainer(_ uuid: String, node: NodeSpec) async throws { try await route(node).removeContainer(uuid, node: node) }
    func inventory(_ node: NodeSpec) async throws -> [FoundContainer] { try await route(node).inventory(node) }
    func exec(_ container: ContainerSpec, command: String, io: ExecIO) async throws -> Int {
        try await route(container.node).exec(container, command: command, io: io)
    }
    func operations(for node: NodeSpec) -> (any ContainerOperations)? { route(node).operations(for: node) }
}
