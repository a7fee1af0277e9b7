import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud stack ls`
enum StackCommands {
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        try runList(inv, ctx.api, .stack, Stack.self, uuid: \.uuid) { stacks in
            var table = TextTable(["NAME", "UUID", "STATUS", "DEPLOYED", "DESTROYED"], kinds: [.text, .text, .text, .text, .text])
            let now = Date()
            for s in stacks {
                table.append([s.name, String(s.uuid.prefix(8)), StateGlyph.decorate(s.state),
                              Ago.describe(apiDate: s.deployed_datetime, now: now) ?? "", Ago.describe(apiDate: s.destroyed_datetime, now: now) ?? ""])
            }
            return table.render() + "\n"
        }
    }
}

extension StackCommands {
    static let inspect = Lifecycle.inspect(.stack)

    /// The services of the stackfiles given with `-f`, or of the one found from the working directory.
    static func services(_ inv: Invocation, _ ctx: Context) throws -> [JSONValue] {
        var files = inv.values("file")
        if files.isEmpty { files = StackfileLoader.discover(from: FileManager.default.currentDirectoryPath) }
        let loader = StackfileLoader(environment: ctx.environment) { Output.error($0) }
        return try loader.load(files: files)
    }

    /// `stack create` (and, with `start`, `stack up` and `up`): the name is `-n`, else the working directory's.
    static func create(start: Bool) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let services = try services(inv, ctx)
            let name = inv.value("name") ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).lastPathComponent
            let api = ctx.api
            var reply = try api.send("POST", api.path(.stack), json: .object(["name": .string(name), "services": .array(services)]))
            let stack = try api.decode(JSONValue.self, reply)
            let uuid = try stack.requireUUID()
            if start { reply = try api.send("POST", api.path(.stack, id: uuid, operation: "start")) }
            try Lifecycle.syncIfAsked(inv, api, reply)
            Output.out(uuid + "\n")
            return 0
        }
    }

    /// `stack update ID -f FILE...`: the stack's services become those of the files.
    static func update(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let stack = try Resolver(api: api).resolve(.stack, inv.positional("identifier").first ?? "", kind: "stack")
        let services = try services(inv, ctx)
        let uuid = try stack.requireUUID()
        let reply = try api.send("PATCH", api.path(.stack, id: uuid), json: .object(["services": .array(services)]))
        try Lifecycle.syncIfAsked(inv, api, reply)
        Output.out(uuid + "\n")
        return 0
    }

    /// `stack export ID [-f FILE]`: the stack as a stackfile (YAML, keys sorted), to stdout or FILE.
    static func export(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let stack = try Resolver(api: api).resolve(.stack, inv.positional("identifier").first ?? "", kind: "stack")
        let exported = try api.get(JSONValue.self, api.path(.stack, id: try stack.requireUUID(), operation: "export"))
        let yaml = try StackfileYAML.dump(exported)
        guard let file = inv.value("file") else {
            Output.out(yaml + "\n")
            return 0
        }
        do { try Data(yaml.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
            throw CommandError(description: "Cannot write '\(file)': \((error as NSError).localizedDescription)")
        }
        return 0
    }
}
