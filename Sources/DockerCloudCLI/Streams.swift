import DockerCloudAPI
import DockerCloudKit
import Foundation

/// Websocket streams of the API (logs, events, exec) as the commands use them.
enum Streams {
    /// Opens `<stream host><path>` with the command's credentials. A refused handshake becomes a
    /// one-line error: 401 is "Not Authorized" with exit 2, as 1.0.9 reported it.
    /// The first connection of `event` failed: not retried.
    struct FirstConnection: Error { var error: any Error }

    static func open(_ ctx: Context, _ path: String, query: [(String, String)] = []) throws -> WebSocket {
        var url = APIConfig.join(ctx.config.streamHost, path)
        if !query.isEmpty {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            url += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        }
        var headers = ["User-Agent": ctx.config.userAgent]
        if let auth = ctx.credentials?.authorization { headers["Authorization"] = auth }
        ctx.trace("websocket: \(redactedURL(url))")
        do {
            return try WebSocket(url: url, headers: headers)
        } catch let e as WebSocketHandshakeError where e.status == 401 {
            throw CommandError(description: "Not Authorized", exitCode: 2)
        } catch let e as WebSocketHandshakeError {
            let json = try? JSONDecoder().decode(JSONValue.self, from: e.body)
            let message = json?["error"]?.stringValue ?? json?["detail"]?.stringValue ?? "HTTP \(e.status)"
            var error = CommandError(description: "\(message) (websocket \(redactedURL(url)))")
            error.refusedAccess = e.status == 403
            throw error
        } catch let e as TransportError {
            throw CommandError(description: e.description)
        }
    }


    /// `{container,service,action} logs ID... [-f] [-t N]`: one stream per identifier, in turn.
    static func logs(_ endpoint: Endpoint, kind: String) -> @Sendable (Invocation, Context) throws -> Int32 {
        { inv, ctx in
            let resolver = Resolver(api: ctx.api)
            var query = [("follow", inv.flag("follow") == true ? "true" : "false")]
            if let tail = inv.value("tail") { query.append(("tail", tail)) }
            return Lifecycle.forEach(inv.positional("identifier")) { id in
                let object = try resolver.resolve(endpoint, id, kind: kind)
                let uuid = try object.requireUUID()
                let socket = try open(ctx, ResourceURI.logs(endpoint, namespace: ctx.config.namespace, id: uuid), query: query)
                defer { socket.close() }
                var printer = LogPrinter(action: endpoint == .action, colourOut: ctx.colour(1), colourErr: ctx.colour(2))
                while true {
                    switch try socket.receive() {
                    case .text(let text): printer.print(text)
                    case .binary(let bytes): printer.print(String(decoding: bytes, as: UTF8.self))
                    case .closed(let code, let reason):
                        if let code, code != 1000 { throw CommandError(description: "The log stream of \(kind) \(id) ended: \(reason.isEmpty ? "code \(code)" : reason)") }
                        return
                    case .timeout: continue
                    }
                }
            }
        }
    }

    /// Writes log messages as 1.0.9 did: `<source> | <log>` (no newline added), stderr lines to
    /// stderr, each source in its own colour on a terminal. Actions print `log` plus a newline.
    struct LogPrinter {
        var action: Bool
        var colourOut: Bool
        var colourErr: Bool
        var sources: [String] = []

        mutating func print(_ text: String) {
            guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
                  let log = message["log"]?.stringValue else { return }
            if action {
                if message["type"]?.stringValue ?? "log" == "log" { Output.out(log + "\n") }
                return
            }
            var line = log
            if let source = message["source"]?.stringValue, !source.isEmpty { line = "\(source) | \(log)" }
            let toErr = message["streamType"]?.stringValue == "stderr"
            if toErr ? colourErr : colourOut, let source = message["source"]?.stringValue {
                let index = sources.firstIndex(of: source) ?? { sources.append(source); return sources.count - 1 }()
                line = "\u{1B}[1;\(31 + index % 7)m\(line)\u{1B}[0m"
            }
            if toErr { FileHandle.standardError.write(Data(line.utf8)) } else { Output.out(line) }
        }
    }

    /// `event`: prints every event as the JSON the server sent, one per line, until interrupted.
    /// A first connection that cannot be made is an error (exit non-zero with the reason); a
    /// connection that was had and is lost is reopened with back-off (0.5 s doubling to 30 s),
    /// reported on stderr, until the server refuses the credentials.
    static func events(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let path = ResourceURI.events(namespace: ctx.config.namespace)
        var delay = 0.5
        var connected = false
        while true {
            do {
                let socket: WebSocket
                do {
                    socket = try open(ctx, path)
                } catch {
                    if !connected { throw FirstConnection(error: error) }
                    throw error
                }
                connected = true
                delay = 0.5
                loop: while true {
                    switch try socket.receive() {
                    case .text(let text):
                        guard let event = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), event.objectValue != nil else { continue }
                        if event["type"]?.stringValue == "auth" { continue }
                        Output.out(text + "\n")
                    case .binary, .timeout: continue
                    case .closed: break loop
                    }
                }
                Output.error("The event stream closed; reconnecting in \(delay) s")
            } catch let e as FirstConnection {
                throw e.error
            } catch let e as CommandError where e.exitCode == 2 || e.refusedAccess {
                throw e
            } catch {
                Output.error("\(error); reconnecting in \(delay) s")
            }
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 30)
        }
    }
}
