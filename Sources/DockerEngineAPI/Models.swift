import Foundation

// The Engine API's objects, with the engine's own field names. Everything is optional where an
// engine version may leave it out, so that an answer from 1.21 decodes as well as one from 1.43.

/// The body of `POST /containers/create`.
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var Image: String
    public var Cmd: [String]?
    public var Entrypoint: [String]?
    public var Env: [String]?
    public var Labels: [String: String]?
    public var Hostname: String?
    public var Domainname: String?
    public var User: String?
    public var WorkingDir: String?
    public var Tty: Bool?
    public var OpenStdin: Bool?
    public var StdinOnce: Bool?
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var ExposedPorts: [String: EmptyObject]?
    public var MacAddress: String?
    public var StopSignal: String?
    public var HostConfig: HostConfig?

    public init(image: String) { Image = image }
}

public struct EmptyObject: Codable, Sendable, Equatable { public init() {} }

public struct HostConfig: Codable, Sendable, Equatable {
    public var Binds: [String]?
    public var PortBindings: [String: [PortBinding]]?
    public var PublishAllPorts: Bool?
    public var Links: [String]?
    public var VolumesFrom: [String]?
    public var CpuShares: Int?
    public var CpusetCpus: String?
    public var Memory: Int?
    public var MemorySwap: Int?
    public var Privileged: Bool?
    public var CapAdd: [String]?
    public var CapDrop: [String]?
    public var Devices: [DeviceMapping]?
    public var Dns: [String]?
    public var DnsSearch: [String]?
    public var ExtraHosts: [String]?
    public var ReadonlyRootfs: Bool?
    public var PidMode: String?
    public var NetworkMode: String?
    public var RestartPolicy: RestartPolicy?
    public var SecurityOpt: [String]?
    public var CgroupParent: String?
    /// API 1.25+: tini as PID 1, so SIGTERM reaches `sh` and `sleep` at once.
    public var Init: Bool?
    public init() {}
}

public struct PortBinding: Codable, Sendable, Equatable {
    public var HostIp: String?
    public var HostPort: String?
    public init(hostIP: String? = nil, hostPort: String?) { HostIp = hostIP; HostPort = hostPort }
}

public struct DeviceMapping: Codable, Sendable, Equatable {
    public var PathOnHost: String
    public var PathInContainer: String
    public var CgroupPermissions: String
    public init(PathOnHost: String, PathInContainer: String, CgroupPermissions: String) {
        self.PathOnHost = PathOnHost; self.PathInContainer = PathInContainer; self.CgroupPermissions = CgroupPermissions
    }
}

public struct RestartPolicy: Codable, Sendable, Equatable {
    /// "", "no", "always", "unless-stopped", "on-failure".
    public var Name: String
    public var MaximumRetryCount: Int?
    public init(name: String, maximumRetryCount: Int? = nil) { Name = name; MaximumRetryCount = maximumRetryCount }
}

public struct CreatedContainer: Codable, Sendable {
    public var Id: String
    public var Warnings: [String]?
}

/// `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable {
    public var Id: String
    public var Names: [String]?
    public var Image: String?
    public var State: String?
    public var Status: String?
    public var Labels: [String: String]?
    public var Created: Int?
}

/// `GET /containers/{id}/json`, the parts a node driver uses.
public struct ContainerInspect: Codable, Sendable {
    public struct StateInfo: Codable, Sendable {
        public var Status: String?
        public var Running: Bool?
        public var Paused: Bool?
        public var Restarting: Bool?
        public var OOMKilled: Bool?
        public var Dead: Bool?
        public var Pid: Int?
        public var ExitCode: Int?
        public var Error: String?
        public var StartedAt: String?
        public var FinishedAt: String?
        public var Health: Health?
    }
    public struct Health: Codable, Sendable {
        public var Status: String?
        public var FailingStreak: Int?
    }
    public struct ConfigInfo: Codable, Sendable {
        public var Image: String?
        public var Labels: [String: String]?
        public var Tty: Bool?
        public var OpenStdin: Bool?
        public var Hostname: String?
    }
    public struct NetworkInfo: Codable, Sendable {
        public var IPAddress: String?
    }
    public struct NetworkSettingsInfo: Codable, Sendable {
        public var IPAddress: String?
        public var Ports: [String: [PortBinding]?]?
        public var Networks: [String: NetworkInfo]?
    }
    public var Id: String
    public var Name: String?
    public var Created: String?
    public var RestartCount: Int?
    public var State: StateInfo?
    public var Config: ConfigInfo?
    public var NetworkSettings: NetworkSettingsInfo?
    public var HostConfig: HostConfig?

    /// The container's address: the default network's, else the first network's.
    public var ipAddress: String? {
        if let ip = NetworkSettings?.IPAddress, !ip.isEmpty { return ip }
        return NetworkSettings?.Networks?.values.compactMap(\.IPAddress).first { !$0.isEmpty }
    }

    /// Published ports: "80/tcp" → host port.
    public var hostPorts: [String: Int] {
        var out: [String: Int] = [:]
        for (key, bindings) in NetworkSettings?.Ports ?? [:] {
            if let port = bindings?.compactMap({ $0.HostPort.flatMap(Int.init) }).first { out[key] = port }
        }
        return out
    }
}

/// `GET /containers/{id}/top`.
public struct ProcessList: Codable, Sendable, Equatable {
    public var Titles: [String]
    public var Processes: [[String]]
}

/// `GET /containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted.
public struct FilesystemChange: Codable, Sendable, Equatable {
    public var Path: String
    public var Kind: Int
}

/// `POST /containers/{id}/wait`.
public struct WaitResult: Codable, Sendable {
    public struct WaitError: Codable, Sendable { public var Message: String? }
    public var StatusCode: Int
    public var Error: WaitError?
}

/// `X-Docker-Container-Path-Stat` of `HEAD /containers/{id}/archive`.
public struct PathStat: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int
    public var mode: UInt32
    public var mtime: String
    public var linkTarget: String
}

/// The body of `POST /containers/{id}/update` (API 1.22+).
public struct ContainerUpdate: Codable, Sendable, Equatable {
    public var CpuShares: Int?
    public var Memory: Int?
    public var MemorySwap: Int?
    public var CpusetCpus: String?
    public var RestartPolicy: RestartPolicy?
    public init() {}
}

public struct UpdateResult: Codable, Sendable { public var Warnings: [String]? }

public struct PruneResult: Codable, Sendable {
    public var ContainersDeleted: [String]?
    public var SpaceReclaimed: Int?
}

/// `POST /containers/{id}/exec`.
public struct ExecConfig: Codable, Sendable {
    public var Cmd: [String]
    public var AttachStdin: Bool
    public var AttachStdout = true
    public var AttachStderr = true
    public var Tty: Bool
    public var Env: [String]?
    public var User: String?
    public var WorkingDir: String?
    public init(cmd: [String], stdin: Bool, tty: Bool) { Cmd = cmd; AttachStdin = stdin; Tty = tty }
}

public struct IDResponse: Codable, Sendable { public var Id: String }

/// `GET /exec/{id}/json`.
public struct ExecInspect: Codable, Sendable {
    public var Running: Bool?
    public var ExitCode: Int?
    public var Pid: Int?
}

/// `GET /version`.
public struct VersionInfo: Codable, Sendable {
    public var Version: String?
    public var ApiVersion: String?
    public var MinAPIVersion: String?
    public var Os: String?
    public var Arch: String?
    public var KernelVersion: String?
}

/// `GET /info`, the facts a node shows.
public struct SystemInfo: Codable, Sendable {
    public var ID: String?
    public var Name: String?
    public var NCPU: Int?
    public var MemTotal: Int?
    public var Driver: String?
    public var ServerVersion: String?
    public var ExecutionDriver: String?
    public var CgroupDriver: String?
    public var CgroupVersion: String?
    public var OperatingSystem: String?
    public var KernelVersion: String?
    public var DockerRootDir: String?
    public var Containers: Int?
}

/// One line of `GET /events`.
public struct EngineEvent: Codable, Sendable, Equatable {
    public struct ActorInfo: Codable, Sendable, Equatable {
        public var ID: String?
        public var Attributes: [String: String]?
    }
    public var `Type`: String?
    public var Action: String?
    public var Actor: ActorInfo?
    /// Before API 1.22 events only had these.
    public var status: String?
    public var id: String?
    public var from: String?
    public var time: Int?
    public var timeNano: Int?

    /// "container", "image", ... (old engines: container events only).
    public var kind: String { Type ?? "container" }
    /// "start", "die", "oom", "health_status: healthy", "destroy", ...
    public var action: String { Action ?? status ?? "" }
    public var subject: String { Actor?.ID ?? id ?? "" }
    public var attributes: [String: String] { Actor?.Attributes ?? [:] }
}

/// One line of image pull or import progress.
public struct ProgressMessage: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var current: Int?
        public var total: Int?
        public var message: String?
    }
    public var status: String?
    public var id: String?
    public var progress: String?
    public var error: String?
    public var errorDetail: Detail?

    /// The line as `docker pull` prints it: "ID: status progress".
    public var text: String {
        if let error { return error }
        var parts: [String] = []
        if let id, !id.isEmpty { parts.append(id + ":") }
        if let status { parts.append(status) }
        if let progress, !progress.isEmpty { parts.append(progress) }
        return parts.joined(separator: " ")
    }
}

/// Credentials for a private registry (`X-Registry-Auth`).
public struct RegistryAuth: Codable, Sendable {
    public var username: String
    public var password: String
    public var serveraddress: String
    public init(username: String, password: String, serveraddress: String) {
        self.username = username; self.password = password; self.serveraddress = serveraddress
    }

    /// URL-safe base64 of the JSON, as the engine expects the header.
    var header: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
