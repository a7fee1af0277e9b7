import DockerCloudAPI
import Foundation
import HTTPTypes

/// One operation of the REST and stream API: where it lives, what it takes and answers, and the
/// handler that carries it out. The router is built from `ControlPlane.routes`, and so is the
/// OpenAPI document at `/api/openapi.json`: adding an endpoint is adding one entry.
struct APIRoute: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        /// One path segment (percent-encoded slashes stay inside it).
        case param(String)
        /// The rest of the path, one or more segments (`registry.local/user/image`).
        case rest(String)
    }

    /// What a request body or an answer is.
    enum Shape: @unchecked Sendable {
        case model(any Decodable.Type)
        /// The list envelope: `meta` and `objects` of the model.
        case page(any Decodable.Type)
        case schema(JSONValue)
        /// Bytes of this content type (a tar).
        case binary(String)
        case empty
    }

    struct Parameter: Sendable {
        var name: String
        var schema: JSONValue
        var description: String
    }

    var method: HTTPRequest.Method
    var subsystem: Subsystem
    var path: [Segment]
    var summary: String
    var query: [Parameter] = []
    /// List filters: compared in SQL (stored objects) or in memory (catalogs, registries).
    var sqlFilters: [String: ControlPlane.Filter] = [:]
    var memoryFilters: Set<String> = []
    var body: Shape? = nil
    var requiredFields: [String] = []
    var status: HTTPResponse.Status = .ok
    var answer: Shape = .empty
    /// Trigger calls: the URL is the credential.
    var authenticated = true
    /// Served as a websocket; a plain GET is answered 400.
    var websocket = false
    /// Writes record an action, named in the `X-DockerCloud-Action-URI` header.
    var recordsAction = false
    var handler: @Sendable (ControlPlane, RouteCall) async throws -> APIResponse

    var isList: Bool { if case .page = answer { return true } else { return false } }

    /// The values of the path's parameters when `segments` is this route's path.
    func match(_ segments: [String]) -> [String: String]? {
        var values: [String: String] = [:]
        var i = 0
        for (n, part) in path.enumerated() {
            switch part {
            case .literal(let word):
                guard i < segments.count, segments[i] == word else { return nil }
                i += 1
            case .param(let name):
                guard i < segments.count, !segments[i].isEmpty else { return nil }
                values[name] = segments[i]
                i += 1
            case .rest(let name):
                guard n == path.count - 1, i < segments.count else { return nil }
                values[name] = segments[i...].joined(separator: "/")
                i = segments.count
            }
        }
        return i == segments.count ? values : nil
    }

    /// `/api/app/v1/service/{uuid}/start/`, as the document names it.
    var template: String {
        let parts = path.map { part -> String in
            switch part {
            case .literal(let w): return w
            case .param(let n), .rest(let n): return "{\(n)}"
            }
        }
        return "/api/\(subsystem.rawValue)/v1/" + parts.map { $0 + "/" }.joined()
    }
}

/// A request matched to its route: the caller (nil for unauthenticated routes) and the path's values.
struct RouteCall: Sendable {
    let req: APIRequest
    let callerOrNil: Caller?
    let params: [String: String]
    let route: APIRoute

    var caller: Caller { callerOrNil ?? Caller(user: "", namespace: "", visible: []) }
    func param(_ name: String) -> String { params[name] ?? "" }
    /// Actions are not namespaced: without a namespace in the path the caller sees the actions
    /// of every namespace they belong to.
    var actionNamespaces: [String] { req.namespace.map { [$0] } ?? caller.visible.sorted() }
}

extension ControlPlane {
    /// Finds the route of a request and runs it: 404 when no path matches, 405 when the path
    /// exists with other methods.
    func dispatch(_ req: APIRequest) async throws -> APIResponse {
        var pathMatched = false
        for route in Self.routes where route.subsystem == req.subsystem {
            guard let params = route.match(req.segments) else { continue }
            pathMatched = true
            guard route.method == req.method else { continue }
            let caller = route.authenticated ? try authorize(req) : nil
            if route.websocket {
                _ = try streamTarget(req)
                throw APIError.badRequest("\(req.rawPath) is a websocket endpoint: connect with a websocket client (Upgrade: websocket)")
            }
            return try await route.handler(self, RouteCall(req: req, callerOrNil: caller, params: params, route: route))
        }
        // Credentials first, so that the shape of the API is no answer to strangers.
        _ = try authenticate(req)
        if pathMatched { throw APIError.methodNotAllowed(req.method, req.rawPath) }
        throw APIError.notFound("No endpoint at \(req.rawPath)")
    }

    /// Whether a request must carry credentials: all but the routes that are their own (trigger
    /// calls). Checked before the body is read.
    static func needsCredentials(_ req: APIRequest) -> Bool {
        !routes.contains { !$0.authenticated && $0.subsystem == req.subsystem && $0.method == req.method && $0.match(req.segments) != nil }
    }

    // MARK: - The table

    static let routes: [APIRoute] = appRoutes + infraRoutes + repoRoutes + auditRoutes

    private static let uuid = APIRoute.Segment.param("uuid")

    private static func lit(_ s: String) -> APIRoute.Segment { .literal(s) }

    private static let serviceFilters: [String: Filter] = [
        "stack": .uriColumn("parent"),
        "stack__name": .sqlInNamespace("parent IN (SELECT key FROM objects WHERE kind = 'stack' AND namespace = ? AND name = ?)"),
        "image_name": .sql("json_extract(body, '$.image_name') = ?"),
    ]
    private static let containerFilters: [String: Filter] = [
        "service": .uriColumn("parent"),
        "node": .uriColumn("parent2"),
        "service__name": .sqlInNamespace("parent IN (SELECT key FROM objects WHERE kind = 'service' AND namespace = ? AND name = ?)"),
        "service__stack__name": .sqlInNamespace("parent IN (SELECT key FROM objects WHERE kind = 'service' AND parent IN (SELECT key FROM objects WHERE kind = 'stack' AND namespace = ? AND name = ?))"),
        "image_name": .sql("json_extract(body, '$.image_name') = ?"),
    ]

    private static let actionAnswer = APIRoute.Shape.model(Action.self)

    static let appRoutes: [APIRoute] = {
        var r: [APIRoute] = []
        // Stacks
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("stack")], summary: "List stacks", sqlFilters: [:], answer: .page(Stack.self)) { p, c in
            try p.list(Stack.self, c.req, namespaces: [c.caller.namespace], filters: c.route.sqlFilters)
        })
        r.append(APIRoute(method: .post, subsystem: .app, path: [lit("stack")], summary: "Create a stack", body: .model(Stack.self), requiredFields: ["name"],
                          status: .created, answer: .model(Stack.self), recordsAction: true) { p, c in try p.createStack(c.req, c.caller) })
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("stack"), uuid], summary: "Get a stack", answer: .model(Stack.self)) { p, c in
            try p.fetchRaw(.stack, c.param("uuid"), c.caller)
        })
        r.append(APIRoute(method: .patch, subsystem: .app, path: [lit("stack"), uuid], summary: "Update a stack (its services)", body: .model(Stack.self),
                          answer: .model(Stack.self), recordsAction: true) { p, c in try p.updateStack(c.req, c.caller, c.param("uuid")) })
        r.append(APIRoute(method: .delete, subsystem: .app, path: [lit("stack"), uuid], summary: "Terminate a stack and its services", status: .accepted,
                          answer: .model(Stack.self), recordsAction: true) { p, c in try p.stackOperation(c.req, c.caller, c.param("uuid"), "terminate") })
        for op in ["start", "stop", "redeploy"] {
            r.append(APIRoute(method: .post, subsystem: .app, path: [lit("stack"), uuid, lit(op)], summary: "\(op.capitalized) a stack",
                              query: op == "redeploy" ? [reuseVolumes] : [], status: .accepted, answer: .model(Stack.self), recordsAction: true) { p, c in
                try p.stackOperation(c.req, c.caller, c.param("uuid"), op)
            })
        }
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("stack"), uuid, lit("export")], summary: "Export a stack as a stackfile",
                          answer: .schema(.object(["type": "object"]))) { p, c in try p.exportStack(c.caller, c.param("uuid")) })
        // Services
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("service")], summary: "List services", sqlFilters: serviceFilters,
                          answer: .page(Service.self)) { p, c in
            try p.list(Service.self, c.req, namespaces: [c.caller.namespace], filters: c.route.sqlFilters)
        })
        r.append(APIRoute(method: .post, subsystem: .app, path: [lit("service")], summary: "Create a service", body: .model(Service.self),
                          requiredFields: ["image"], status: .created, answer: .model(Service.self), recordsAction: true) { p, c in
            try p.createService(c.req, c.caller)
        })
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("service"), uuid], summary: "Get a service", answer: .model(Service.self)) { p, c in
            try p.fetchRaw(.service, c.param("uuid"), c.caller)
        })
        r.append(APIRoute(method: .patch, subsystem: .app, path: [lit("service"), uuid], summary: "Update a service", body: .model(Service.self),
                          answer: .model(Service.self), recordsAction: true) { p, c in try p.updateService(c.req, c.caller, c.param("uuid")) })
        r.append(APIRoute(method: .delete, subsystem: .app, path: [lit("service"), uuid], summary: "Terminate a service", status: .accepted,
                          answer: .model(Service.self), recordsAction: true) { p, c in try p.serviceOperation(c.req, c.caller, c.param("uuid"), "terminate") })
        for op in ["start", "stop", "scale", "redeploy"] {
            r.append(APIRoute(method: .post, subsystem: .app, path: [lit("service"), uuid, lit(op)], summary: "\(op.capitalized) a service",
                              query: op == "redeploy" ? [reuseVolumes] : [], status: .accepted, answer: .model(Service.self), recordsAction: true) { p, c in
                try p.serviceOperation(c.req, c.caller, c.param("uuid"), op)
            })
        }
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("service"), uuid, lit("logs")], summary: "Stream a service's logs (websocket)",
                          query: logQuery, websocket: true) { _, _ in .error(.notFound()) })
        // Triggers
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("service"), uuid, lit("trigger")], summary: "List a service's triggers",
                          answer: .page(Trigger.self)) { p, c in try p.listTriggers(c.req, c.caller, c.param("uuid")) })
        r.append(APIRoute(method: .post, subsystem: .app, path: [lit("service"), uuid, lit("trigger")], summary: "Create a trigger",
                          body: .model(Trigger.self), requiredFields: ["operation"], status: .created, answer: .model(Trigger.self)) { p, c in
            try p.createTrigger(c.req, c.caller, c.param("uuid"))
        })
        let trigger = APIRoute.Segment.param("trigger_uuid")
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("service"), uuid, lit("trigger"), trigger], summary: "Get a trigger",
                          answer: .model(Trigger.self)) { p, c in try p.getTrigger(c.caller, c.param("uuid"), c.param("trigger_uuid")) })
        r.append(APIRoute(method: .delete, subsystem: .app, path: [lit("service"), uuid, lit("trigger"), trigger], summary: "Delete a trigger",
                          answer: .model(Trigger.self), recordsAction: true) { p, c in try p.deleteTrigger(c.req, c.caller, c.param("uuid"), c.param("trigger_uuid")) })
        r.append(APIRoute(method: .post, subsystem: .app, path: [lit("service"), uuid, lit("trigger"), trigger, lit("call")],
                          summary: "Call a trigger (no credentials: the URL is the secret)", status: .accepted, answer: .schema(.object(["type": "object"])),
                          authenticated: false) { p, c in
            try await p.callTrigger(c.req, serviceUUID: c.param("uuid"), triggerUUID: c.param("trigger_uuid"), amount: nil)
        })
        r.append(APIRoute(method: .post, subsystem: .app, path: [lit("service"), uuid, lit("trigger"), trigger, lit("call"), .param("amount")],
                          summary: "Call a scale-up trigger with an amount (1 to 100)", status: .accepted, answer: .schema(.object(["type": "object"])),
                          authenticated: false) { p, c in
            try await p.callTrigger(c.req, serviceUUID: c.param("uuid"), triggerUUID: c.param("trigger_uuid"), amount: c.param("amount"))
        })
        // Containers
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("container")], summary: "List containers", sqlFilters: containerFilters,
                          answer: .page(Container.self)) { p, c in
            try p.list(Container.self, c.req, namespaces: [c.caller.namespace], filters: c.route.sqlFilters)
        })
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("container"), uuid], summary: "Get a container", answer: .model(Container.self)) { p, c in
            try p.fetchRaw(.container, c.param("uuid"), c.caller)
        })
        r.append(APIRoute(method: .delete, subsystem: .app, path: [lit("container"), uuid], summary: "Terminate a container", status: .accepted,
                          answer: .model(Container.self), recordsAction: true) { p, c in
            try p.containerOperation(c.req, c.caller, c.param("uuid"), "terminate")
        })
        for op in ["start", "stop", "redeploy", "restart"] {
            r.append(APIRoute(method: .post, subsystem: .app, path: [lit("container"), uuid, lit(op)], summary: "\(op.capitalized) a container",
                              query: op == "redeploy" ? [reuseVolumes] : [], status: .accepted, answer: .model(Container.self), recordsAction: true) { p, c in
                try p.containerOperation(c.req, c.caller, c.param("uuid"), op)
            })
        }
        for (op, info) in containerOperationRoutes {
            for method in info.methods {
                r.append(APIRoute(method: method, subsystem: .app, path: [lit("container"), uuid, lit(op)], summary: info.summary,
                                  query: info.query, body: method == .put ? .binary("application/x-tar") : (op == "update" ? .schema(containerUpdateBody) : nil),
                                  answer: method == .head ? .empty : info.answer) { p, c in
                    try await p.routeContainerOperation(c.req, c.caller, c.param("uuid"), op)
                })
            }
        }
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("container"), uuid, lit("logs")], summary: "Stream a container's logs (websocket)",
                          query: logQuery, websocket: true) { _, _ in .error(.notFound()) })
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("container"), uuid, lit("exec")], summary: "Run a command in a container (websocket)",
                          query: [.init(name: "user_command", schema: ["type": "string"], description: "The command line to run"),
                                  .init(name: "tty", schema: ["type": "boolean"], description: "Give the command a terminal")],
                          websocket: true) { _, _ in .error(.notFound()) })
        r.append(APIRoute(method: .get, subsystem: .app, path: [lit("container"), uuid, lit("attach")], summary: "Attach to a container's streams (websocket)",
                          websocket: true) { _, _ in .error(.notFound()) })
        return r
    }()

    static let reuseVolumes = APIRoute.Parameter(name: "reuse_volumes", schema: ["type": "boolean"], description: "Keep the containers' volumes (default true)")
    static let logQuery: [APIRoute.Parameter] = [
        .init(name: "tail", schema: ["type": "string"], description: "Lines of history to send first: a number, or all (default 300)"),
        .init(name: "follow", schema: ["type": "boolean"], description: "Keep sending new lines (default true)"),
    ]
    static let containerUpdateBody: JSONValue = ["type": "object", "properties": [
        "cpu_shares": ["type": "integer", "minimum": 0], "memory": ["type": "integer", "minimum": 0],
        "memory_swap": ["type": "integer", "minimum": -1], "cpuset": ["type": "string"],
    ]]

    /// Our extension under each container: the engine operations (see ContainerOpsAPI.swift).
    static let containerOperationRoutes: [(String, (methods: [HTTPRequest.Method], summary: String, query: [APIRoute.Parameter], answer: APIRoute.Shape))] = [
        ("top", ([.get], "The container's processes", [.init(name: "ps_args", schema: ["type": "string"], description: "Arguments for ps")], .schema(["type": "object"]))),
        ("stats", ([.get], "One sample of the container's resource use (a websocket on this path streams them)", [], .schema(["type": "object"]))),
        ("changes", ([.get], "Files changed in the container", [], .schema(["type": "array"]))),
        ("export", ([.get], "The container's file system as a tar", [], .binary("application/x-tar"))),
        ("archive", ([.head, .get, .put], "Files of the container: stat (HEAD), a tar of a path (GET), unpack a tar (PUT)",
                     [.init(name: "path", schema: ["type": "string"], description: "Path in the container (required)")], .binary("application/x-tar"))),
        ("kill", ([.post], "Send a signal", [.init(name: "signal", schema: ["type": "string"], description: "Signal name or number (default SIGKILL)")], .model(Container.self))),
        ("pause", ([.post], "Pause the container's processes", [], .model(Container.self))),
        ("unpause", ([.post], "Resume the container's processes", [], .model(Container.self))),
        ("wait", ([.post], "Wait until the container stops", [], .schema(["type": "object"]))),
        ("rename", ([.post], "Rename the container", [.init(name: "name", schema: ["type": "string"], description: "The new name (required)")], .model(Container.self))),
        ("update", ([.post, .patch], "Change the container's resource limits", [], .model(Container.self))),
    ]

    static let infraRoutes: [APIRoute] = {
        var r: [APIRoute] = []
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("provider")], summary: "List providers", memoryFilters: ["name"],
                          answer: .page(Provider.self)) { p, c in try p.filtered(c.req, Catalog.shared.providerObjects, filters: c.route.memoryFilters) })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("provider"), .param("name")], summary: "Get a provider",
                          answer: .model(Provider.self)) { p, c in
            try p.catalogEntry(Catalog.shared.providerObjects, id: c.param("name")) { $0.name }
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("region")], summary: "List regions", memoryFilters: ["name", "provider"],
                          answer: .page(Region.self)) { p, c in try p.filtered(c.req, Catalog.shared.regionObjects, filters: c.route.memoryFilters) })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("region"), .param("provider"), .param("name")], summary: "Get a region",
                          answer: .model(Region.self)) { p, c in
            try p.catalogEntry(Catalog.shared.regionObjects, id: c.param("provider") + "/" + c.param("name")) { ResourceURI.lastSegment($0.provider) + "/" + $0.name }
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("az")], summary: "List availability zones", memoryFilters: ["name", "region"],
                          answer: .page(AvailabilityZone.self)) { p, c in try p.filtered(c.req, Catalog.shared.zoneObjects, filters: c.route.memoryFilters) })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("az"), .param("provider"), .param("region"), .param("name")],
                          summary: "Get an availability zone", answer: .model(AvailabilityZone.self)) { p, c in
            try p.catalogEntry(Catalog.shared.zoneObjects, id: [c.param("provider"), c.param("region"), c.param("name")].joined(separator: "/")) {
                $0.resource_uri.split(separator: "/").suffix(3).joined(separator: "/")
            }
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("nodetype")], summary: "List node types",
                          memoryFilters: ["name", "provider", "regions", "availability_zones"], answer: .page(NodeType.self)) { p, c in
            try p.filtered(c.req, Catalog.shared.nodeTypeObjects, filters: c.route.memoryFilters)
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("nodetype"), .param("provider"), .param("name")], summary: "Get a node type",
                          answer: .model(NodeType.self)) { p, c in
            try p.catalogEntry(Catalog.shared.nodeTypeObjects, id: c.param("provider") + "/" + c.param("name")) { ResourceURI.lastSegment($0.provider) + "/" + $0.name }
        })
        // Bringing your own node (BroughtNodes.swift): the token is the credential of the join calls.
        let joinToken: JSONValue = ["type": "object", "properties": [
            "token": ["type": "string"], "namespace": ["type": "string"], "expires": ["type": "string"],
            "command": ["type": "string"], "script": ["type": "string"], "node_cluster": ["type": ["string", "null"]],
        ], "required": ["token", "namespace"]]
        r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("token")], summary: "A one-time token for bringing your own node (optionally into a byon node cluster)",
                          body: .schema(["type": "object", "properties": ["node_cluster": ["type": "string"]]]),
                          status: .created, answer: .schema(joinToken)) { p, c in
            try p.createJoinToken(c.req, c.caller)
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("token"), lit("join.sh")], summary: "The script a host runs to join with a token (POSIX sh, openssl, curl)",
                          answer: .binary("text/x-shellscript"), authenticated: false) { p, _ in p.joinScript() })
        r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("token"), lit("sign")], summary: "Sign a joining host engine's certificate request with a token",
                          body: .schema(["type": "object", "properties": ["token": ["type": "string"], "csr": ["type": "string"], "address": ["type": "string"],
                                                                          "port": ["type": "integer", "minimum": 1, "maximum": 65535]]]),
                          requiredFields: ["token", "csr"], status: .created,
                          answer: .schema(["type": "object", "properties": ["certificate": ["type": "string"], "ca": ["type": "string"], "address": ["type": "string"], "port": ["type": "string"]]]),
                          authenticated: false) { p, c in try p.signJoiningHost(c.req) })
        r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("token"), lit("register")], summary: "Register a joining host, whose engine now serves the signed certificate, as a node",
                          body: .schema(["type": "object", "properties": ["token": ["type": "string"], "name": ["type": "string"]]]),
                          requiredFields: ["token"], status: .created, answer: .model(Node.self),
                          authenticated: false) { p, c in try await p.registerJoiningHost(c.req) })
        // Node clusters
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("nodecluster")], summary: "List node clusters", sqlFilters: [
            "region": .sql("json_extract(body, '$.region') = ?"), "node_type": .sql("json_extract(body, '$.node_type') = ?"),
        ], answer: .page(NodeCluster.self)) { p, c in
            try p.list(NodeCluster.self, c.req, namespaces: [c.caller.namespace], filters: c.route.sqlFilters)
        })
        r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("nodecluster")], summary: "Create a node cluster", body: .model(NodeCluster.self),
                          requiredFields: ["name", "node_type", "region"], status: .created, answer: .model(NodeCluster.self), recordsAction: true) { p, c in
            try p.createNodeCluster(c.req, c.caller)
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("nodecluster"), uuid], summary: "Get a node cluster", answer: .model(NodeCluster.self)) { p, c in
            try p.fetchRaw(.nodecluster, c.param("uuid"), c.caller)
        })
        r.append(APIRoute(method: .patch, subsystem: .infra, path: [lit("nodecluster"), uuid], summary: "Update (scale) a node cluster",
                          body: .model(NodeCluster.self), answer: .model(NodeCluster.self), recordsAction: true) { p, c in
            try p.updateNodeCluster(c.req, c.caller, c.param("uuid"))
        })
        r.append(APIRoute(method: .delete, subsystem: .infra, path: [lit("nodecluster"), uuid], summary: "Terminate a node cluster", status: .accepted,
                          answer: .model(NodeCluster.self), recordsAction: true) { p, c in
            try p.clusterOperation(c.req, c.caller, c.param("uuid"), "terminate")
        })
        r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("nodecluster"), uuid, lit("deploy")], summary: "Deploy a node cluster",
                          status: .accepted, answer: .model(NodeCluster.self), recordsAction: true) { p, c in
            try p.clusterOperation(c.req, c.caller, c.param("uuid"), "deploy")
        })
        // Nodes
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("node")], summary: "List nodes", sqlFilters: [
            "node_cluster": .uriColumn("parent"), "node_type": .sql("json_extract(body, '$.node_type') = ?"),
            "region": .sql("json_extract(body, '$.region') = ?"), "docker_version": .sql("json_extract(body, '$.docker_version') = ?"),
            "nickname": .column("name"),
        ], answer: .page(Node.self)) { p, c in
            try p.list(Node.self, c.req, namespaces: [c.caller.namespace], filters: c.route.sqlFilters)
        })
        r.append(APIRoute(method: .get, subsystem: .infra, path: [lit("node"), uuid], summary: "Get a node", answer: .model(Node.self)) { p, c in
            try p.fetchRaw(.node, c.param("uuid"), c.caller)
        })
        r.append(APIRoute(method: .patch, subsystem: .infra, path: [lit("node"), uuid], summary: "Update a node (nickname, tags)",
                          body: .schema(["type": "object", "properties": ["nickname": ["type": "string"], "tags": ["type": "array"]]]),
                          answer: .model(Node.self), recordsAction: true) { p, c in try p.updateNode(c.req, c.caller, c.param("uuid")) })
        r.append(APIRoute(method: .delete, subsystem: .infra, path: [lit("node"), uuid], summary: "Terminate a node", status: .accepted,
                          answer: .model(Node.self), recordsAction: true) { p, c in try p.nodeOperation(c.req, c.caller, c.param("uuid"), "terminate") })
        for op in ["docker-upgrade", "health-check"] {
            r.append(APIRoute(method: .post, subsystem: .infra, path: [lit("node"), uuid, lit(op)], summary: op == "docker-upgrade" ? "Upgrade a node's Docker" : "Check a node's health",
                              status: .accepted, answer: .model(Node.self), recordsAction: true) { p, c in
                try p.nodeOperation(c.req, c.caller, c.param("uuid"), op)
            })
        }
        return r
    }()

    static let repoRoutes: [APIRoute] = {
        var r: [APIRoute] = []
        r.append(APIRoute(method: .get, subsystem: .repo, path: [lit("registry")], summary: "List registries",
                          memoryFilters: ["name", "host", "is_docker_registry", "uuid"], answer: .page(Registry.self)) { p, c in
            let registries: [Registry] = try p.read { tx in try p.registries(tx, c.caller.namespace) }
            return try p.filtered(c.req, registries, filters: c.route.memoryFilters)
        })
        r.append(APIRoute(method: .get, subsystem: .repo, path: [lit("registry"), .rest("host")], summary: "Get a registry", answer: .model(Registry.self)) { p, c in
            let registries: [Registry] = try p.read { tx in try p.registries(tx, c.caller.namespace) }
            guard let found = registries.first(where: { $0.host == c.param("host") }) else { throw APIError.notFound("No registry '\(c.param("host"))'") }
            return try .json(found)
        })
        r.append(APIRoute(method: .get, subsystem: .repo, path: [lit("repository")], summary: "List repositories",
                          memoryFilters: ["name", "registry", "in_use"], answer: .page(Repository.self)) { p, c in
            let repos: [Repository] = try p.read { tx in try p.repositories(tx, c.caller.namespace) }
            return try p.filtered(c.req, repos, filters: c.route.memoryFilters)
        })
        let credentials: JSONValue = ["type": "object", "properties": ["name": ["type": "string"], "username": ["type": "string"], "password": ["type": "string"]]]
        r.append(APIRoute(method: .post, subsystem: .repo, path: [lit("repository")], summary: "Register a repository (with its registry's login)",
                          body: .schema(credentials), requiredFields: ["name"], status: .created, answer: .model(Repository.self)) { p, c in
            try p.registerRepository(c.req, c.caller)
        })
        r.append(APIRoute(method: .get, subsystem: .repo, path: [lit("repository"), .rest("name")], summary: "Get a repository", answer: .model(Repository.self)) { p, c in
            let name = c.param("name")
            let repo: Repository? = try p.read { tx in try p.repositories(tx, c.caller.namespace).first(where: { $0.name == name }) }
            guard let repo else { throw APIError.notFound("No repository '\(name)' in namespace '\(c.caller.namespace)'") }
            return try .json(repo)
        })
        r.append(APIRoute(method: .patch, subsystem: .repo, path: [lit("repository"), .rest("name")], summary: "Change a repository's login",
                          body: .schema(credentials), answer: .model(Repository.self)) { p, c in try p.updateRepository(c.req, c.caller, c.param("name")) })
        r.append(APIRoute(method: .delete, subsystem: .repo, path: [lit("repository"), .rest("name")], summary: "Remove a repository",
                          answer: .model(Repository.self), recordsAction: true) { p, c in try p.deleteRepository(c.req, c.caller, c.param("name")) })
        return r
    }()

    static let auditRoutes: [APIRoute] = {
        var r: [APIRoute] = []
        r.append(APIRoute(method: .get, subsystem: .audit, path: [lit("action")], summary: "List actions (newest first)",
                          query: ["start_date__gte", "start_date__lte", "end_date__gte", "end_date__lte"].map {
                              .init(name: $0, schema: ["type": "string"], description: "A date (RFC 1123 or ISO 8601)")
                          } + [.init(name: "object", schema: ["type": "string"], description: "Actions on this resource URI"),
                               .init(name: "include_related", schema: ["type": "boolean"], description: "With object: also its children's actions")],
                          sqlFilters: ["state": .sql("state = ? COLLATE NOCASE")], answer: .page(Action.self)) { p, c in
            try p.listActions(c.req, c.actionNamespaces)
        })
        r.append(APIRoute(method: .get, subsystem: .audit, path: [lit("action"), uuid], summary: "Get an action", answer: .model(Action.self)) { p, c in
            let action = try p.read { tx in try p.visibleAction(tx, c.param("uuid"), c.actionNamespaces) }
            return try .json(action)
        })
        r.append(APIRoute(method: .post, subsystem: .audit, path: [lit("action"), uuid, lit("cancel")], summary: "Cancel an action", status: .accepted,
                          answer: .model(Action.self)) { p, c in try p.cancelAction(c.req, c.caller, c.param("uuid"), c.actionNamespaces) })
        r.append(APIRoute(method: .post, subsystem: .audit, path: [lit("action"), uuid, lit("retry")], summary: "Retry an action", status: .accepted,
                          answer: .model(Action.self)) { p, c in try await p.retryAction(c.req, c.caller, c.param("uuid"), c.actionNamespaces) })
        r.append(APIRoute(method: .get, subsystem: .audit, path: [lit("action"), uuid, lit("logs")], summary: "Stream an action's logs (websocket)",
                          query: logQuery, websocket: true) { _, _ in .error(.notFound()) })
        r.append(APIRoute(method: .get, subsystem: .audit, path: [lit("events")], summary: "Stream events (websocket)",
                          query: ["type", "object", "parent"].map { .init(name: $0, schema: ["type": "string"], description: "Only events with this \($0)") },
                          websocket: true) { _, _ in .error(.notFound()) })
        return r
    }()

    /// One catalog entry by its path id, or 404.
    func catalogEntry<T: Codable & Sendable>(_ objects: [T], id: String, key: (T) -> String) throws -> APIResponse {
        guard let o = objects.first(where: { key($0) == id }) else { throw APIError.notFound("No such object: \(id)") }
        return try .json(o)
    }
}
