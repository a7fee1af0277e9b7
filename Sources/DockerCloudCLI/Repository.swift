import DockerCloudAPI
import DockerCloudKit
import Foundation

/// `docker-cloud repository ...`: images in third-party registries. Repositories are named by
/// their full name (`quay.io/alice/app`), which is also their id in the API.
enum RepositoryCommands {
    static func ls(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        let format = OutputFormat(inv.value("format"))
        if case .table = format, inv.flag("quiet") == true {
            Output.out(try api.listAll(Repository.self, api.path(.repository)).map { $0.name + "\n" }.joined())
            return 0
        }
        return try runList(inv, api, .repository, Repository.self, uuid: \.name) { repositories in
            var table = TextTable(["NAME", "IN_USE"], kinds: [.text, .text])
            for r in repositories { table.append([r.name, r.in_use ? "yes" : "no"]) }
            return table.render() + "\n"
        }
    }

    static func inspect(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        return Lifecycle.forEach(inv.positional("identifier")) { name in
            let repository: JSONValue
            do { repository = try api.get(JSONValue.self, api.path(.repository, id: name)) } catch let e as APIClientError where e.status == 404 {
                throw CommandError(description: "Cannot find a repository with the identifier '\(name)'")
            }
            Lifecycle.printInspected(inv, repository)
        }
    }

    /// The password from `-p`, or from stdin with `--password-stdin` (one line; the newline dropped).
    static func password(_ inv: Invocation) throws -> String? {
        guard inv.flag("password_stdin") == true else { return inv.value("password") }
        if inv.value("password") != nil { throw CommandError(description: "--password and --password-stdin cannot be used together", exitCode: 2) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CommandError(description: "--password-stdin: no password on standard input")
        }
        return line
    }

    /// `repository register NAME [-u USER] [-p PASSWORD | --password-stdin]`: asks for what is missing.
    static func register(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.positional("repository_name").first ?? ""
        var username = inv.value("username"), password = try password(inv)
        switch (username, password) {
        case (nil, nil): Output.out("Please input username and password of the registry:\n")
        case (nil, _): Output.out("Please input username of the registry:\n")
        case (_, nil): Output.out("Please input password of the registry:\n")
        default: break
        }
        if username == nil { username = try Prompt.line("Username: ") }
        if password == nil { password = try Prompt.secret("Password: ") }
        let api = ctx.api
        let body: JSONValue = .object(["name": .string(name), "username": .string(username ?? ""), "password": .string(password ?? "")])
        let created = try api.decode(JSONValue.self, try api.send("POST", api.path(.repository), json: body))
        Output.out((created["name"]?.stringValue ?? name) + "\n")
        return 0
    }

    static func update(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        var body: [String: JSONValue] = [:]
        if let u = inv.value("username") { body["username"] = .string(u) }
        if let p = try password(inv) { body["password"] = .string(p) }
        return Lifecycle.forEach(inv.positional("repository_name")) { name in
            if !body.isEmpty { _ = try api.send("PATCH", api.path(.repository, id: name), json: .object(body)) }
            Output.out(name + "\n")
        }
    }

    /// `repository rm NAME...`: as 1.0.9, each repository is fetched first (a name that does not
    /// exist fails there, with nothing deleted), then deleted at the `resource_uri` the server
    /// answered; the name is echoed as typed.
    static func rm(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let api = ctx.api
        return Lifecycle.forEach(inv.positional("repository_name")) { name in
            let path = api.path(.repository, id: name)
            let repository = try api.get(JSONValue.self, path)
            let uri = repository["resource_uri"]?.stringValue ?? ""
            _ = try api.send("DELETE", uri.isEmpty ? path : uri)
            Output.out(name + "\n")
        }
    }
}
