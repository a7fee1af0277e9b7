import DockerCloudAPI
import Foundation
import GRDB
import HTTPTypes

/// `/api/audit/v1/action/`: the record of every API call that changed something.
extension ControlPlane {
    func visibleAction(_ tx: Tx, _ uuid: String, _ namespaces: [String]) throws -> Action {
        guard let a = try tx.get(Action.self, uuid), namespaces.contains(a.user) else { throw APIError.notFound("No action '\(uuid)'") }
        return a
    }

    func listActions(_ req: APIRequest, _ namespaces: [String]) throws -> APIResponse {
        var sqlQuery = req
        var dateFilters: [(String, String)] = []
        var extra: (String, StatementArguments)? = nil
        var includeRelated = false
        var object: String? = nil
        sqlQuery.query = req.query.filter { k, v in
            if ["start_date__gte", "start_date__lte", "end_date__gte", "end_date__lte"].contains(k) { dateFilters.append((k, v)); return false }
            if k == "include_related" { includeRelated = ["true", "1"].contains(v.lowercased()); return false }
            if k == "object" { object = v; return false }
            return true
        }
        if let object {
            var related: [String] = [ResourceURI.lastSegment(object)]
            if includeRelated { related += try read { tx in try relatedUUIDs(tx, object) } }
            extra = ("parent IN (\(related.map { _ in "?" }.joined(separator: ",")))", StatementArguments(related))
        }
        if dateFilters.isEmpty {
            return try list(Action.self, sqlQuery, namespaces: namespaces, extra: extra, newestFirst: true)
        }
        // Dates are RFC 1123 strings in the documents, so date ranges are filtered here.
        var bounds: [(String, Bool, Date)] = []
        for (k, v) in dateFilters {
            guard let d = APIDate.parseISO8601(v) ?? APIDate.parseRFC1123(v) else {
                throw APIError.badRequest("\(k): expected a date like 2016-02-01T16:47:28Z, got '\(v)'", field: k)
            }
            bounds.append((k.hasPrefix("start") ? "start" : "end", k.hasSuffix("gte"), d))
        }
        let everything = try read { tx -> [Action] in
            var conditions = "namespace IN (\(namespaces.map { _ in "?" }.joined(separator: ",")))"
            var args = StatementArguments(namespaces)
            if let extra { conditions += " AND " + extra.0; args += extra.1 }
            return try tx.all(Action.self, where: conditions, args).reversed()
        }
        let selected = everything.filter { a in
            bounds.allSatisfy { field, gte, d in
                guard let s = field == "start" ? a.start_date : a.end_date, let v = APIDate.parseRFC1123(s) else { return false }
                return gte ? v >= d : v <= d
            }
        }.filter { a in sqlQuery.query.allSatisfy { k, v in
            switch k {
            case "uuid": return a.uuid == v
            case "uuid__startswith": return a.uuid.hasPrefix(v)
            case "state": return a.state.lowercased() == v.lowercased()
            case "limit", "offset", "format": return true
            default: return true
            }
        } }
        return try page(req, objects: selected)
    }

    /// uuids of the objects related to `uri` (per the API's table: a service's containers and
    /// stack, a stack's services and their containers, a cluster's nodes, ...).
    func relatedUUIDs(_ tx: Tx, _ uri: String) throws -> [String] {
        let uuid = ResourceURI.lastSegment(uri)
        var result: [String] = []
        if uri.contains("/service/"), let s = try tx.get(Service.self, uuid) {
            result += try tx.children(Container.self, parent: uuid).map(\.uuid)
            if let st = s.stack { result.append(ResourceURI.lastSegment(st)) }
        } else if uri.contains("/stack/") {
            for s in try tx.children(Service.self, parent: uuid) {
                result.append(s.uuid)
                result += try tx.children(Container.self, parent: s.uuid).map(\.uuid)
            }
        } else if uri.contains("/container/"), let c = try tx.get(Container.self, uuid), let s = c.service {
            result.append(ResourceURI.lastSegment(s))
            if let svc = try tx.get(Service.self, ResourceURI.lastSegment(s)), let st = svc.stack { result.append(ResourceURI.lastSegment(st)) }
        } else if uri.contains("/nodecluster/") {
            result += try tx.children(Node.self, parent: uuid).map(\.uuid)
        } else if uri.contains("/node/"), let n = try tx.get(Node.self, uuid), let nc = n.node_cluster {
            result.append(ResourceURI.lastSegment(nc))
        }
        return result
    }

    func cancelAction(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ namespaces: [String]) throws -> APIResponse {
        let action = try write { tx -> Action in
            var a = try visibleAction(tx, uuid, namespaces)
            try Lifecycle.action.check("cancel", a.state)
            a.state = "Canceling"
            a.can_be_canceled = false
            try tx.put(a, namespace: a.user, event: "update", parents: a.object.map { [$0] } ?? [], resourceURI: a.resource_uri)
            try actionLog(tx, uuid, "Cancellation requested by \(caller.user): the operation stops after its current step\n")
            return a
        }
        return try .json(action, status: .accepted, actionURI: action.resource_uri)
    }

    /// Replays an operation that takes no body (start, stop, redeploy, scale, terminate, deploy, ...).
    func retryAction(_ req: APIRequest, _ caller: Caller, _ uuid: String, _ namespaces: [String]) async throws -> APIResponse {
        let original = try read { tx in try visibleAction(tx, uuid, namespaces) }
        try Lifecycle.action.check("retry", original.state)
        let method = HTTPRequest.Method(original.method)
        guard method == .post || method == .delete, let (sub, ns, segments) = APIRequest.parsePath(original.path),
              (method == .delete && segments.count == 2) || (method == .post && segments.count == 3) || (segments.count >= 5 && segments[4] == "call") else {
            throw APIError.badRequest("Action '\(original.action)' cannot be retried: it carried a request body that is not kept")
        }
        var replay = req
        replay.method = method ?? .post
        replay.rawPath = original.path
        replay.subsystem = sub
        replay.namespace = ns ?? original.user
        replay.segments = segments
        replay.query = []
        replay.body = Data()
        let response = await handle(replay)
        guard response.status.code < 300 else { return response }
        guard let newURI = response.actionURI else { return response }
        return try read { tx in try .json(try visibleAction(tx, ResourceURI.lastSegment(newURI), namespaces), status: .accepted, actionURI: newURI) }
    }
}
