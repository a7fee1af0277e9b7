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
            do {
                return try handler(invocation, Context())
            } catch let error as CommandError {
                Output.error(error.description)
            } catch let error as APIClientError {
                Output.error(error.description)
            } catch {
                Output.error("\(error)")
            }
            return 3
        }
    }

    /// Handlers by command path; each noun's file registers its verbs.
    static let handlers: [String: @Sendable (Invocation, Context) throws -> Int32] = [
        "version": { _, _ in Output.out("docker-cloud \(version)\n"); return 0 },
        "service ps": ServiceCommands.ps,
        "container ps": ContainerCommands.ps,
        "stack ls": StackCommands.ls,
        "node ls": NodeCommands.ls,
        "service inspect": Lifecycle.inspect(.service),
        "container inspect": Lifecycle.inspect(.container),
        "stack inspect": Lifecycle.inspect(.stack),
        "service start": Lifecycle.operate(.service, "start"),
        "service stop": Lifecycle.operate(.service, "stop"),
        "service redeploy": Lifecycle.operate(.service, "redeploy"),
        "service terminate": Lifecycle.operate(.service, "terminate"),
        "container start": Lifecycle.operate(.container, "start"),
        "container stop": Lifecycle.operate(.container, "stop"),
        "container redeploy": Lifecycle.operate(.container, "redeploy"),
        "container terminate": Lifecycle.operate(.container, "terminate"),
        "stack start": Lifecycle.operate(.stack, "start"),
        "stack stop": Lifecycle.operate(.stack, "stop"),
        "stack redeploy": Lifecycle.operate(.stack, "redeploy"),
        "stack terminate": Lifecycle.operate(.stack, "terminate"),
    ]
}

/// Unbuffered writes: output interleaves correctly with the child processes and streams.
enum Output {
    static func out(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    static func error(_ s: String) { FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }
}
