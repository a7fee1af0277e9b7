import DockerCloudAPI
import Foundation
import HTTPTypes

/// The OpenAPI 3.0 document of the API, served at `/api/openapi.json`, derived from the route
/// table (paths, methods, parameters, statuses) and the resource models (schemas): it cannot
/// drift from what the server does. Paths are documented without the optional namespace segment
/// (`/api/app/v1/[namespace/]service/` in the Docker Cloud documents).
enum OpenAPI {
    static let document: Data = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(build(ControlPlane.routes))) ?? Data("{}".utf8)
    }()

    static func build(_ routes: [APIRoute]) -> JSONValue {
        var schemas: [String: JSONValue] = [
            "Error": ["type": "object", "required": ["error"], "properties": [
                "error": ["type": "string"], "field": ["type": "string", "description": "The request field at fault"],
            ]],
            "ListMeta": SchemaProbe.schema(of: ListMeta.self),
        ]
        var paths: [String: JSONValue] = [:]
        for route in routes {
            var operation: [String: JSONValue] = [
                "summary": .string(route.summary),
                "operationId": .string(operationID(route)),
                "tags": [.string(route.subsystem.rawValue)],
            ]
            if !route.authenticated { operation["security"] = [] }
            var parameters: [JSONValue] = route.path.compactMap { part in
                switch part {
                case .literal: return nil
                case .param(let name), .rest(let name):
                    var schema: JSONValue = ["type": "string", "minLength": 1]
                    if case .rest = part {} else { schema = ["type": "string", "minLength": 1, "pattern": "^[^/]+$"] }
                    return ["name": .string(name), "in": "path", "required": true, "schema": schema]
                }
            }
            var query = route.query
            if route.isList {
                query.append(.init(name: "limit", schema: ["type": "integer", "minimum": 0, "maximum": 1000],
                                   description: "Objects per page (default 25; 0 and anything above 1000 mean 1000)"))
                query.append(.init(name: "offset", schema: ["type": "integer", "minimum": 0, "maximum": .number(Double(ControlPlane.maxOffset))],
                                   description: "Objects to skip"))
                let filterNames = route.memoryFilters.isEmpty
                    ? Set(ControlPlane.commonFilters.keys).union(route.sqlFilters.keys) : route.memoryFilters
                for name in filterNames.sorted() where !query.contains(where: { $0.name == name }) {
                    query.append(.init(name: name, schema: ["type": "string"], description: "Filter: objects whose \(name) is this value"))
                }
            }
            parameters += query.map { ["name": .string($0.name), "in": "query", "required": false, "schema": $0.schema,
                                       "description": .string($0.description)] }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let body = route.body {
                var schema = shapeSchema(body, &schemas, forRequest: true)
                if !route.requiredFields.isEmpty, case .object(var o) = schema {
                    // A request names its own required fields; the model's say what an answer always has.
                    o["required"] = .array(route.requiredFields.map { .string($0) })
                    schema = .object(o)
                }
                var content: [String: JSONValue] = [mediaType(body): ["schema": schema]]
                // Bytes are bytes: the server does not look at the content type of a tar it unpacks.
                if case .binary = body { content["application/octet-stream"] = ["schema": schema] }
                operation["requestBody"] = ["required": .bool(!route.requiredFields.isEmpty), "content": .object(content)]
            }
            var responses: [String: JSONValue] = [
                "default": ["description": "An error: the status says which, the body why",
                            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
            ]
            if route.websocket {
                responses["101"] = ["description": "Switching to the websocket protocol (send Upgrade: websocket)"]
            } else {
                var success: JSONValue = ["description": .string(HTTPResponse.Status(code: route.status.code).reasonPhrase)]
                switch route.answer {
                case .empty: break
                default:
                    if route.method != .head, case .object(var o) = success {
                        o["content"] = .object([mediaType(route.answer): ["schema": shapeSchema(route.answer, &schemas, forRequest: false)]])
                        success = .object(o)
                    }
                }
                if case .object(var o) = success, let links = links(from: route, in: routes) {
                    o["links"] = links
                    success = .object(o)
                }
                responses[String(route.status.code)] = success
                if route.recordsAction {
                    if case .object(var o) = responses[String(route.status.code)] {
                        o["headers"] = ["X-DockerCloud-Action-URI": ["description": "The action that records this operation",
                                                                      "schema": ["type": "string"]]]
                        responses[String(route.status.code)] = .object(o)
                    }
                }
            }
            operation["responses"] = .object(responses)
            var item = paths[route.template]?.objectValue ?? [:]
            item[route.method.rawValue.lowercased()] = .object(operation)
            paths[route.template] = .object(item)
        }
        return [
            "openapi": "3.0.3",
            "info": ["title": "Docker Cloud API (docker-cloud-server)", "version": .string(ServerVersion.current),
                     "description": "The Docker Cloud REST and stream API as docker-cloud-server serves it. Every path also exists with a namespace after /v1/ (an organisation the caller belongs to)."],
            "components": [
                "securitySchemes": ["basicAuth": ["type": "http", "scheme": "basic", "description": "user:apikey"]],
                "schemas": .object(schemas),
            ],
            "security": [["basicAuth": []]],
            "paths": .object(paths),
        ]
    }

    /// From a create (POST to a collection) or a list to the operations on one of its objects,
    /// so that a client (or a fuzzer's stateful phase) can follow the uuid it was given.
    static func links(from route: APIRoute, in routes: [APIRoute]) -> JSONValue? {
        guard route.path.count == 1, case .literal(let collection) = route.path[0] else { return nil }
        let pointer: String
        switch (route.method, route.answer) {
        case (.post, .model): pointer = "$response.body#/uuid"
        case (.get, .page): pointer = "$response.body#/objects/0/uuid"
        default: return nil
        }
        var links: [String: JSONValue] = [:]
        for target in routes where target.subsystem == route.subsystem && !target.websocket && target.path.count >= 2
            && target.path[0] == .literal(collection) && target.path[1] == .param("uuid") && target.path.count <= 3 {
            links[operationID(target)] = ["operationId": .string(operationID(target)), "parameters": ["uuid": .string(pointer)]]
        }
        return links.isEmpty ? nil : .object(links)
    }

    static func operationID(_ route: APIRoute) -> String {
        let words = route.path.map { part -> String in
            switch part {
            case .literal(let w): return w
            case .param(let n), .rest(let n): return "by_" + n
            }
        }
        return ([route.method.rawValue.lowercased(), route.subsystem.rawValue] + words).joined(separator: "_").replacingOccurrences(of: "-", with: "_")
    }

    static func mediaType(_ shape: APIRoute.Shape) -> String {
        if case .binary(let type) = shape { return type }
        return "application/json"
    }

    static func modelName(_ type: any Decodable.Type) -> String { String(describing: type) }

    static func shapeSchema(_ shape: APIRoute.Shape, _ schemas: inout [String: JSONValue], forRequest: Bool) -> JSONValue {
        func reference(_ type: any Decodable.Type) -> JSONValue {
            let name = modelName(type)
            if schemas[name] == nil { schemas[name] = probe(type) }
            return ["$ref": .string("#/components/schemas/\(name)")]
        }
        switch shape {
        case .model(let type):
            guard forRequest else { return reference(type) }
            // A request sends what it changes: the model's attributes, none of them required.
            guard case .object(var o) = probe(type) else { return ["type": "object"] }
            o["required"] = nil
            return .object(o)
        case .page(let type):
            return ["type": "object", "required": ["meta", "objects"], "properties": [
                "meta": ["$ref": "#/components/schemas/ListMeta"],
                "objects": ["type": "array", "items": reference(type)],
            ]]
        case .schema(let s): return s
        case .binary: return ["type": "string", "format": "binary"]
        case .empty: return [:]
        }
    }

    private static func probe(_ type: any Decodable.Type) -> JSONValue {
        func open<T: Decodable>(_ t: T.Type) -> JSONValue { SchemaProbe.schema(of: t) }
        return open(type)
    }
}
