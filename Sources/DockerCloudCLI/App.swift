import DockerCloudKit
import Foundation

/// The `docker-cloud` program: parse with the command table, run the noun's handler, map
/// failures to the original's exit codes (0 ok, 2 usage, 3 API and other handled errors).
public enum App {
    public static let version = "1.0.9"

    public static func main(_ argv: [String]) -> Int32 {
        let parser = Parser(root: commandTable)
        let outcome: ParseOutcome
        do {
            outcome = try parser.parse(Array(argv.dropFirst()))
        } catch let error as UsageError {
            // As argparse: the usage (1.0.9's lines) of the command the error belongs to, then the error.
            var command = commandTable
            for name in error.path { command = command.subcommand(named: name) ?? command }
            let help = HelpRenderer.render(command, path: error.path, additions: false)
            Output.error(String(help[..<(help.range(of: "\n\n")?.lowerBound ?? help.endIndex)]))
            Output.error(error.description)
            return 2
        } catch {
            Output.error("docker-cloud: \(error)")
            return 2
        }
        switch outcome {
        case .version:
            Output.out("docker-cloud \(version)\n")
            return 0
        case .help(let path, let command):
            Output.out(HelpRenderer.render(command, path: path))
            return 0
        case .run(let invocation):
            guard let handler = handlers[invocation.path.joined(separator: " ")] else {
                Output.error("docker-cloud \(invocation.path.joined(separator: " ")): not available in this build yet")
                return 3
            }
            let context = Context()
            context.debug = invocation.flag("debug") == true
            do {
                return try handler(invocation, context)
            } catch let error as CommandError {
                Output.error(error.description)
                return error.exitCode
            } catch let error as Prompt.EndOfInput {
                Output.error(error.description)
            } catch let error as APIClientError {
                Output.error(error.description)
            } catch {
                Output.error("\(error)")
            }
            return 3
        }
    }

    /// Handlers by command path; each noun's file holds its verbs.
    static let handlers: [String: @Sendable (Invocation, Context) throws -> Int32] = [
        "version": { _, _ in Output.out("docker-cloud \(version)\n"); return 0 },
        "completion": ShellCompletion.print,
        "__complete": ShellCompletion.names,
        "__man": { inv, _ in
            let directory = inv.positional("directory").first ?? "man"
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for page in ManPage.pages(root: commandTable, version: version) {
                    try Data(page.text.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent(page.name))
                }
            } catch {
                throw CommandError(description: "Cannot write the man pages into \(directory): \((error as NSError).localizedDescription)")
            }
            return 0
        },
        "login": LoginCommand.run,
        "event": Streams.events,
        "exec": ExecCommand.run,
        "run": ServiceCommands.run,
        "up": StackCommands.create(start: true),

        "action cancel": ActionCommands.operate("cancel"),
        "action inspect": ActionCommands.inspect,
        "action logs": ActionCommands.logs,
        "action ls": ActionCommands.ls,
        "action retry": ActionCommands.operate("retry"),

        "container attach": ContainerEngineCommands.attach,
        "container cp": ContainerEngineCommands.cp,
        "container diff": ContainerEngineCommands.diff,
        "container exec": ExecCommand.run,
        "container export": ContainerEngineCommands.export,
        "container inspect": Lifecycle.inspect(.container),
        "container kill": ContainerEngineCommands.kill,
        "container logs": Streams.logs(.container, kind: "container"),
        "container pause": ContainerEngineCommands.operate("pause"),
        "container ps": ContainerCommands.ps,
        "container redeploy": Lifecycle.operate(.container, "redeploy"),
        "container rename": ContainerEngineCommands.rename,
        "container restart": Lifecycle.operate(.container, "restart"),
        "container start": Lifecycle.operate(.container, "start"),
        "container stats": ContainerEngineCommands.stats,
        "container stop": Lifecycle.operate(.container, "stop"),
        "container terminate": Lifecycle.operate(.container, "terminate"),
        "container top": ContainerEngineCommands.top,
        "container unpause": ContainerEngineCommands.operate("unpause"),
        "container update": ContainerEngineCommands.update,
        "container wait": ContainerEngineCommands.wait,

        "node byo": NodeCommands.byo,
        "node inspect": NodeCommands.inspect,
        "node ls": NodeCommands.ls,
        "node rm": NodeCommands.operate("rm"),
        "node upgrade": NodeCommands.operate("upgrade"),

        "nodecluster az": NodeClusterCommands.az,
        "nodecluster create": NodeClusterCommands.create,
        "nodecluster inspect": NodeClusterCommands.inspect,
        "nodecluster ls": NodeClusterCommands.ls,
        "nodecluster nodetype": NodeClusterCommands.nodetype,
        "nodecluster provider": NodeClusterCommands.provider,
        "nodecluster region": NodeClusterCommands.region,
        "nodecluster rm": NodeClusterCommands.rm,
        "nodecluster scale": NodeClusterCommands.scale,

        "repository inspect": RepositoryCommands.inspect,
        "repository ls": RepositoryCommands.ls,
        "repository register": RepositoryCommands.register,
        "repository rm": RepositoryCommands.rm,
        "repository update": RepositoryCommands.update,

        "service create": ServiceCommands.create,
        "service env add": ServiceEnvCommands.add,
        "service env ls": ServiceEnvCommands.ls,
        "service env rm": ServiceEnvCommands.rm,
        "service env set": ServiceEnvCommands.set,
        "service env update": ServiceEnvCommands.update,
        "service inspect": Lifecycle.inspect(.service),
        "service logs": Streams.logs(.service, kind: "service"),
        "service ps": ServiceCommands.ps,
        "service redeploy": Lifecycle.operate(.service, "redeploy"),
        "service run": ServiceCommands.run,
        "service scale": ServiceCommands.scale,
        "service set": ServiceCommands.set,
        "service start": Lifecycle.operate(.service, "start"),
        "service stop": Lifecycle.operate(.service, "stop"),
        "service terminate": Lifecycle.operate(.service, "terminate"),

        "stack create": StackCommands.create(start: false),
        "stack export": StackCommands.export,
        "stack inspect": StackCommands.inspect,
        "stack ls": StackCommands.ls,
        "stack redeploy": Lifecycle.operate(.stack, "redeploy"),
        "stack start": Lifecycle.operate(.stack, "start"),
        "stack stop": Lifecycle.operate(.stack, "stop"),
        "stack terminate": Lifecycle.operate(.stack, "terminate"),
        "stack up": StackCommands.create(start: true),
        "stack update": StackCommands.update,

        "tag add": TagCommands.add,
        "tag ls": TagCommands.ls,
        "tag rm": TagCommands.rm,
        "tag set": TagCommands.set,

        "trigger call": TriggerCommands.call,
        "trigger create": TriggerCommands.create,
        "trigger ls": TriggerCommands.ls,
        "trigger rm": TriggerCommands.rm,
    ]
}

/// Unbuffered writes: output interleaves correctly with the child processes and streams.
enum Output {
    static func out(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    static func error(_ s: String) { FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }
}
