import DockerCloudAPI

/// For every operation on a resource, the states that allow it (the states themselves are the
/// API's, `DockerCloudAPI.States`): defined here once, checked by the handlers and the reconciler alike.
struct Lifecycle: Sendable {
    let resource: String
    let states: Set<String>
    /// States in which an operation is under way; a state derived from children waits for it to end.
    let transitional: Set<String>
    /// Operation → states that allow it.
    let allows: [String: Set<String>]

    /// Throws the API's 400 when `state` does not allow `operation`.
    func check(_ operation: String, _ state: String, as verb: String? = nil) throws {
        guard let allowed = allows[operation] else { throw APIError.notFound("A \(resource) has no operation '\(operation)'") }
        guard allowed.contains(state) else { throw APIError.state(resource, state, verb ?? operation) }
    }

    func permits(_ operation: String, _ state: String) -> Bool { allows[operation]?.contains(state) ?? false }

    static let container = Lifecycle(
        resource: "container",
        states: Set(States.container),
        transitional: ["Starting", "Stopping", "Terminating"],
        allows: [
            "start": ["Stopped"],
            "stop": ["Running", "Starting"],
            "restart": ["Running"],
            "redeploy": ["Running", "Stopped"],
            "terminate": ["Starting", "Running", "Stopping", "Stopped"],
            // The engine's operations: those on the process need it running; files exist as long as the container.
            "exec": ["Running"], "attach": ["Running"], "stats": ["Running"], "top": ["Running"],
            "kill": ["Running"], "pause": ["Running"], "unpause": ["Running"],
            "changes": ["Starting", "Running", "Stopping", "Stopped"], "export": ["Starting", "Running", "Stopping", "Stopped"],
            "archive": ["Starting", "Running", "Stopping", "Stopped"], "wait": ["Starting", "Running", "Stopping", "Stopped"],
            "rename": ["Starting", "Running", "Stopping", "Stopped"], "update": ["Starting", "Running", "Stopping", "Stopped"],
        ])

    static let service = Lifecycle(
        resource: "service",
        states: Set(States.service),
        transitional: ["Starting", "Stopping", "Scaling", "Redeploying", "Terminating"],
        allows: [
            "start": ["Not running", "Stopped", "Partly running"],
            "stop": ["Running", "Partly running", "Starting"],
            "scale": ["Running", "Partly running", "Not running", "Stopped"],
            "redeploy": ["Running", "Partly running", "Stopped", "Not running"],
            "terminate": ["Not running", "Starting", "Running", "Partly running", "Scaling", "Redeploying", "Stopping", "Stopped"],
            "update": ["Not running", "Starting", "Running", "Partly running", "Scaling", "Redeploying", "Stopping", "Stopped"],
            "trigger": ["Not running", "Starting", "Running", "Partly running", "Scaling", "Redeploying", "Stopping", "Stopped", "Terminating"],
        ])

    static let stack = Lifecycle(
        resource: "stack",
        states: Set(States.stack),
        transitional: ["Starting", "Stopping", "Redeploying", "Terminating"],
        allows: [
            "start": ["Not Running", "Stopped", "Partly running"],
            "stop": ["Running", "Partly running"],
            "redeploy": ["Running", "Partly running", "Stopped"],
            "terminate": ["Not Running", "Running", "Partly running", "Stopped"],
            "update": ["Not Running", "Running", "Partly running", "Stopped"],
        ])

    static let node = Lifecycle(
        resource: "node",
        states: Set(States.node),
        transitional: ["Deploying", "Upgrading", "Terminating"],
        allows: [
            "docker-upgrade": ["Deployed"],
            "health-check": ["Deployed", "Unreachable"],
            "terminate": ["Deployed", "Unreachable"],
            "update": ["Deploying", "Deployed", "Unreachable", "Upgrading", "Terminating"],
        ])

    static let nodeCluster = Lifecycle(
        resource: "node cluster",
        states: Set(States.nodeCluster),
        transitional: ["Deploying", "Scaling", "Terminating"],
        allows: [
            "deploy": ["Init"],
            "terminate": ["Init", "Deployed", "Partly deployed", "Empty cluster"],
            "update": ["Init", "Deployed", "Partly deployed", "Empty cluster"],
        ])

    /// A cluster of hosts brought by users waits in Deploying or Scaling until enough join, which
    /// may be never: unlike a provider's, it can be scaled or terminated meanwhile.
    static let broughtNodeCluster = Lifecycle(
        resource: "node cluster",
        states: Set(States.nodeCluster),
        transitional: ["Deploying", "Scaling", "Terminating"],
        allows: [
            "deploy": ["Init"],
            "terminate": ["Init", "Deployed", "Partly deployed", "Empty cluster", "Deploying", "Scaling"],
            "update": ["Init", "Deployed", "Partly deployed", "Empty cluster", "Deploying", "Scaling"],
        ])

    static let action = Lifecycle(
        resource: "action",
        states: Set(States.action),
        transitional: ["Pending", "In progress", "Canceling"],
        allows: [
            "cancel": ["Pending", "In progress"],
            "retry": ["Success", "Failed", "Canceled"],
        ])
}
