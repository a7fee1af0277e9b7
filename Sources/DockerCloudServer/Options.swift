import DockerEngineAPI
import Foundation
import Logging

/// The operator's command line: `docker-cloud-server --listen 127.0.0.1:8080 --user alice:KEY ...`.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir = ServerOptions.defaultDataDir
    public var inMemory = false
    var accounts = Accounts()
    /// Users whose API key the server generated (and keeps in `keyDir`, outside the data directory).
    public var generatedKeys: [String] = []
    /// `--key-dir`: where generated keys are kept (nil: the default, or a private temporary
    /// directory for an in-memory server).
    public var keyDirOverride: String?
    /// `--secret-key-file`: the key that seals registry passwords (nil: DATA/secret.key).
    public var secretKeyFileOverride: String?
    /// The private directory an in-memory server made for its generated keys (removed at exit).
    public var temporaryKeyDir: String?
    public var nodes = 1
    var nodesGiven = false
    /// Docker engines to run containers on (`--engine`): each one a host for nodes. None: simulated.
    public var engines: [EngineEndpoint] = []
    /// Caps the Engine API version used with every engine (old engines, tests).
    public var engineAPIVersion: APIVersion = .newest
    /// `--allow-privileged[=NS,...]`; nil: every namespace with simulated nodes, none with engines.
    var allowPrivileged: HostAccess?
    var hostAccess: HostAccess { allowPrivileged ?? (engines.isEmpty ? .all : .namespaces([])) }
    /// On hosts brought by users (`node byo`) these are refused unless --allow-privileged says otherwise.
    var broughtHostAccess: HostAccess { allowPrivileged ?? .namespaces([]) }
    public var domain = "dockercloud.local"
    public var transitionDelay: Duration = .milliseconds(50)
    /// How long a node may be unreachable before its movable containers move (LostNodes.swift).
    public var rescheduleAfter: Duration = .seconds(30)
    public var joinTokenLifetime: TimeInterval = 3600
    public var publicURLOverride: String?
    /// `--tls-cert FILE --tls-key FILE`: HTTPS and WSS on the listener.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    public var maxFailedLogins = 20
    public var maxConnectionsPerClient = 256
    /// `--quota NAME=N`: what one namespace may keep (Quotas.swift).
    var quotas = Quotas.standard
    public var usesTLS: Bool { tlsCertificateFile != nil }
    public var logLevel: Logger.Level = .warning
    public var showHelp = false
    public var showVersion = false

    public var publicURL: String { publicURLOverride ?? "\(usesTLS ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    public var users: [String] { accounts.apiKeys.keys.sorted() }

    public static var defaultDataDir: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/docker-cloud-server" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.local/share/docker-cloud-server"
    }

    /// Generated keys live apart from the data directory (which holds only their hashes).
    public static var defaultKeyDir: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/docker-cloud-server/apikeys" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.config/docker-cloud-server/apikeys"
    }

    public var secretKeyFile: String { secretKeyFileOverride ?? dataDir + "/secret.key" }

    public static let usage = """
        Usage: docker-cloud-server [OPTIONS]

        A self-hosted Docker Cloud control plane: the REST API (/api/{app,infra,repo,audit}/v1/) and the
        stream API (websockets: events, logs, exec) on one listener, with state in SQLite.

        Options:
          --listen HOST:PORT     Address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
          --data-dir DIR         Where the state is kept (default $XDG_DATA_HOME/docker-cloud-server,
                                 else ~/.local/share/docker-cloud-server)
          --in-memory            Keep nothing: a throwaway server for tests and demos (nothing on disk
                                 but a private, randomly named directory for generated keys,
                                 removed at exit)
          --user NAME[:APIKEY]   A user and their API key (repeatable). Without a key, one is generated
                                 and kept in KEYDIR/NAME (mode 0600). The key is wiped from the
                                 process's command line once read. Default: one user, "admin".
                                 The store keeps only salted hashes of keys (see keys below)
          --users-file FILE      Users as NAME:APIKEY lines (keeps keys out of the process list)
          --key-dir KEYDIR       Where generated keys are kept, apart from the data (mode 0700; default
                                 $XDG_CONFIG_HOME/docker-cloud-server/apikeys, else
                                 ~/.config/docker-cloud-server/apikeys)
          --secret-key-file FILE The key that seals registry passwords in the store (default
                                 DIR/secret.key, made at first start, mode 0600); keep it out of
                                 copies of state.sqlite
          --org NAME:MEMBER[,MEMBER...]
                                 An organisation namespace and the users who belong to it (repeatable)
          --nodes N              Deployed local nodes to give each namespace that has no node cluster
                                 yet (default 1)
          --driver simulated     Node driver: simulated (containers run in this process)
          --engine URL           A Docker engine to run real containers on (repeatable; each engine a
                                 node of every namespace): unix:///var/run/docker.sock or
                                 tcp://HOST:2376. --nodes then defaults to the number of engines
          --engine-cert-dir DIR  TLS files for the tcp engines that follow: DIR/ca.pem, cert.pem, key.pem
          --engine-api-version V Use at most Engine API version V (e.g. 1.21) with every engine
          --allow-privileged[=NS,...]
                                 Let every namespace (or those named) use settings that reach the
                                 host: privileged, host bind mounts, net/pid host, cap_add, devices.
                                 Default: allowed with simulated nodes, refused (403) with engines;
                                 never placed on hosts brought with node byo unless given
          --reschedule-after S   Seconds a node may stay unreachable before the containers of its
                                 HIGH_AVAILABILITY services are started on other nodes (default 30)
          --join-token-lifetime S
                                 Seconds a node byo join token can be used (default 3600)
          --delay MS             Duration of simulated transitions: node deploys, container starts
                                 (default 50)
          --domain DOMAIN        DNS domain of generated names (default dockercloud.local)
          --public-url URL       Base URL clients use to reach this server (default http://LISTEN)
          --tls-cert FILE        Serve HTTPS and WSS with this PEM certificate (chain) ...
          --tls-key FILE         ... and its PEM private key (both or neither)
          --max-failed-logins N  Bad credentials from one address per minute before it gets 429
                                 until the minute is over (default 20; 0: no limit)
          --max-connections-per-client N
                                 Connections open at once from one address (default 256)
          --quota NAME=N         What one namespace may keep (repeatable; N from 0 to 1000000):
        \(Quotas.help)
          --log-level LEVEL      trace, debug, info, notice, warning, error or critical (default warning)
          -h, --help             Show this help
          --version              Show the version

        On start it prints the export lines that point docker-cloud and the python SDK at it.
        SIGINT or SIGTERM shut it down cleanly. DIR is forced to mode 0700 and its files to 0600.

        Keys, while the server runs or not (a running server sees a change within 1 s):
          docker-cloud-server keys add NAME [--data-dir DIR]       Make a key for NAME; print it, once
          docker-cloud-server keys ls [NAME] [--data-dir DIR]      List keys: user, id, source, created
          docker-cloud-server keys rm NAME [ID] [--data-dir DIR]   Remove NAME's key ID (all without ID)
        """

    public struct UsageError: Error, CustomStringConvertible { public var description: String }

    /// Parses arguments (without the program name). Secrets given on the command line are wiped
    /// from `argv` by the caller through `scrubIndices`.
    public static func parse(_ args: [String]) throws -> (ServerOptions, scrub: [Int]) {
        var o = ServerOptions()
        var scrub: [Int] = []
        var userSpecs: [(String, String?)] = []
        var orgSpecs: [(String, [String])] = []
        var i = 0
        var certDir: String? = nil
        func value(_ flag: String) throws -> String {
            if let eq = args[i].firstIndex(of: "="), args[i].hasPrefix("--") { return String(args[i][args[i].index(after: eq)...]) }
            i += 1
            guard i < args.count else { throw UsageError(description: "\(flag) needs a value; see --help") }
            return args[i]
        }
        while i < args.count {
            let arg = args[i]
            let flag = arg.hasPrefix("--") ? String(arg.split(separator: "=", maxSplits: 1)[0]) : arg
            switch flag {
            case "-h", "--help": o.showHelp = true
            case "--version": o.showVersion = true
            case "--in-memory": o.inMemory = true
            case "--listen":
                let v = try value(flag)
                guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port) else {
                    throw UsageError(description: "--listen: '\(v)' is not HOST:PORT (e.g. 127.0.0.1:8080)")
                }
                o.host = String(v[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                if o.host.isEmpty { o.host = "127.0.0.1" }
                o.port = port
            case "--data-dir":
                let v = try value(flag)
                o.dataDir = absolute(v)
            case "--key-dir":
                let v = try value(flag)
                guard !v.isEmpty else { throw UsageError(description: "--key-dir needs a directory") }
                o.keyDirOverride = absolute(v)
            case "--secret-key-file":
                let v = try value(flag)
                guard !v.isEmpty, !v.hasSuffix("/") else { throw UsageError(description: "--secret-key-file needs a file name") }
                o.secretKeyFileOverride = absolute(v)
            case "--user":
                let v = try value(flag)
                scrub.append(i)
                let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
                guard let name = parts.first, !name.isEmpty, isName(name) else { throw UsageError(description: "--user: expected NAME[:APIKEY] with a name of letters, digits, '-' and '_'") }
                if parts.count > 1, parts[1].isEmpty { throw UsageError(description: "--user \(name): the API key is empty") }
                userSpecs.append((name, parts.count > 1 ? parts[1] : nil))
            case "--users-file":
                let path = try value(flag)
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw UsageError(description: "--users-file: cannot read \(path)") }
                for (n, line) in text.split(separator: "\n").enumerated() {
                    let l = line.trimmingCharacters(in: .whitespaces)
                    if l.isEmpty || l.hasPrefix("#") { continue }
                    let parts = l.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, isName(parts[0]), !parts[1].isEmpty else { throw UsageError(description: "--users-file \(path):\(n + 1): expected NAME:APIKEY") }
                    userSpecs.append((parts[0], parts[1]))
                }
            case "--org":
                let v = try value(flag)
                let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, isName(parts[0]) else { throw UsageError(description: "--org: expected NAME:MEMBER[,MEMBER...]") }
                orgSpecs.append((parts[0], parts[1].split(separator: ",").map(String.init)))
            case "--nodes":
                let v = try value(flag)
                guard let n = Int(v), (0...100).contains(n) else { throw UsageError(description: "--nodes: expected a number from 0 to 100, got '\(v)'") }
                o.nodes = n
                o.nodesGiven = true
            case "--engine":
                let v = try value(flag)
                do { o.engines.append(try EngineEndpoint(parsing: v, certDirectory: certDir)) } catch {
                    throw UsageError(description: "--engine: \(error)")
                }
            case "--engine-cert-dir":
                let v = try value(flag)
                for file in ["ca.pem", "cert.pem", "key.pem"] where !FileManager.default.isReadableFile(atPath: v + "/" + file) {
                    throw UsageError(description: "--engine-cert-dir: cannot read \(v)/\(file)")
                }
                certDir = v
            case "--engine-api-version":
                let v = try value(flag)
                guard let version = APIVersion(v), version >= .oldest else {
                    throw UsageError(description: "--engine-api-version: expected a version from \(APIVersion.oldest) to \(APIVersion.newest), got '\(v)'")
                }
                o.engineAPIVersion = version
            case "--allow-privileged":
                if let eq = arg.firstIndex(of: "=") {
                    let names = arg[arg.index(after: eq)...].split(separator: ",").map(String.init)
                    guard !names.isEmpty, names.allSatisfy(isName) else { throw UsageError(description: "--allow-privileged=NS[,NS...]: expected namespace names") }
                    o.allowPrivileged = .namespaces(Set(names))
                } else {
                    o.allowPrivileged = .all
                }
            case "--driver":
                let v = try value(flag)
                guard v == "simulated" else { throw UsageError(description: "--driver: '\(v)' is not available; drivers: simulated") }
            case "--max-failed-logins", "--max-connections-per-client":
                let v = try value(flag)
                let range = flag == "--max-failed-logins" ? 0...1_000_000 : 1...1_000_000
                guard let n = Int(v), range.contains(n) else {
                    throw UsageError(description: "\(flag): expected a number from \(range.lowerBound) to 1000000, got '\(v)'")
                }
                if flag == "--max-failed-logins" { o.maxFailedLogins = n } else { o.maxConnectionsPerClient = n }
            case "--quota": try o.quotas.set(try value(flag))
            case "--reschedule-after", "--join-token-lifetime":
                let v = try value(flag)
                guard let n = Int(v), (1...86_400).contains(n) else { throw UsageError(description: "\(flag): expected seconds from 1 to 86400, got '\(v)'") }
                if flag == "--reschedule-after" { o.rescheduleAfter = .seconds(n) } else { o.joinTokenLifetime = TimeInterval(n) }
            case "--delay":
                let v = try value(flag)
                guard let ms = Int(v), (0...60000).contains(ms) else { throw UsageError(description: "--delay: expected milliseconds from 0 to 60000, got '\(v)'") }
                o.transitionDelay = .milliseconds(ms)
            case "--domain": o.domain = try value(flag)
            case "--tls-cert": o.tlsCertificateFile = try value(flag)
            case "--tls-key": o.tlsKeyFile = try value(flag)
            case "--public-url": o.publicURLOverride = try value(flag).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            case "--log-level":
                let v = try value(flag)
                guard let level = Logger.Level(rawValue: v) else { throw UsageError(description: "--log-level: '\(v)' is not one of trace, debug, info, notice, warning, error, critical") }
                o.logLevel = level
            default:
                throw UsageError(description: "unknown option '\(arg)'; see --help")
            }
            i += 1
        }
        if !o.engines.isEmpty && !o.nodesGiven { o.nodes = o.engines.count }
        if o.inMemory, o.secretKeyFileOverride != nil {
            throw UsageError(description: "--secret-key-file: an --in-memory server keeps no secrets on disk")
        }
        if (o.tlsCertificateFile == nil) != (o.tlsKeyFile == nil) {
            throw UsageError(description: "--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        }
        if userSpecs.isEmpty { userSpecs = [("admin", nil)] }
        for (name, key) in userSpecs {
            if o.accounts.apiKeys[name] != nil { throw UsageError(description: "--user \(name) is given twice") }
            o.accounts.apiKeys[name] = key ?? ""
            if key == nil { o.generatedKeys.append(name) }
        }
        for (org, members) in orgSpecs {
            if o.accounts.apiKeys[org] != nil { throw UsageError(description: "--org \(org): a user has that name already") }
            for m in members where o.accounts.apiKeys[m] == nil {
                throw UsageError(description: "--org \(org): '\(m)' is not a user given with --user")
            }
            o.accounts.orgMembers[org, default: []].formUnion(members)
        }
        return (o, scrub)
    }

    static func isName(_ s: String) -> Bool { ServiceSpec.isValidName(s) }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Fills in generated API keys. Each is kept in KEYDIR/NAME (0600, KEYDIR 0700), outside the data
    /// directory, so that it survives restarts and the export line can read it; the store holds only
    /// its hash. A key an earlier version kept in DATA/apikeys/NAME is adopted (the server then
    /// hashes and removes that file). An in-memory server reads no fixed path: its keys are fresh,
    /// in a new randomly named 0700 directory (`temporaryKeyDir`), removed at exit.
    public mutating func resolveGeneratedKeys() throws -> String? {
        guard !generatedKeys.isEmpty else { return nil }
        let dir: String
        if let keyDirOverride {
            dir = keyDirOverride
            try PrivateFiles.privateDirectory(dir)
        } else if inMemory {
            dir = try PrivateFiles.temporaryDirectory()
            temporaryKeyDir = dir
        } else {
            dir = ServerOptions.defaultKeyDir
            try PrivateFiles.privateDirectory((dir as NSString).deletingLastPathComponent)
            try PrivateFiles.privateDirectory(dir)
        }
        for name in generatedKeys {
            let file = dir + "/" + name
            if let existing = try PrivateFiles.readText(file) {
                accounts.apiKeys[name] = existing
                continue
            }
            let legacy = inMemory ? nil : try PrivateFiles.readText(dataDir + "/apikeys/" + name)
            let key = legacy ?? KeyHash.newKey()
            try PrivateFiles.write(file, Data((key + "\n").utf8))
            accounts.apiKeys[name] = key
        }
        return dir
    }
}
