import DockerCloudAPI
import DockerEngineAPI
import Foundation

/// The labels that tie an engine container to ours; adoption after a restart and orphan removal
/// find containers by them.
enum EngineLabels {
    static let container = "io.dockercloud.container"
    static let service = "io.dockercloud.service"
    static let namespace = "io.dockercloud.namespace"
    static let node = "io.dockercloud.node"
    static let server = "io.dockercloud.server"
    static let name = "io.dockercloud.name"
}

/// How a container's Docker Cloud settings become the engine's create request: the one place
/// that maps them.
enum EngineContainerConfig {
    static func make(_ spec: ContainerSpec, serverID: String, volumesFrom: [String]) -> ContainerConfig {
        var c = ContainerConfig(image: spec.image)
        if !spec.runCommand.isEmpty { c.Cmd = shellWords(spec.runCommand) }
        if !spec.entrypoint.isEmpty { c.Entrypoint = shellWords(spec.entrypoint) }
        c.Env = spec.environment.map { "\($0.key)=\($0.value)" }
        var labels = spec.labels
        labels[EngineLabels.container] = spec.uuid
        labels[EngineLabels.namespace] = spec.namespace
        labels[EngineLabels.node] = spec.node.uuid
        labels[EngineLabels.server] = serverID
        labels[EngineLabels.name] = spec.name
        if let s = spec.serviceUUID { labels[EngineLabels.service] = s }
        c.Labels = labels
        if !spec.hostname.isEmpty { c.Hostname = spec.hostname }
        if !spec.domainname.isEmpty { c.Domainname = spec.domainname }
        if !spec.user.isEmpty { c.User = spec.user }
        if !spec.workingDir.isEmpty, spec.workingDir != "/" { c.WorkingDir = spec.workingDir }
        c.Tty = spec.tty
        c.OpenStdin = spec.stdinOpen
        if !spec.macAddress.isEmpty { c.MacAddress = spec.macAddress }
        if !spec.ports.isEmpty {
            c.ExposedPorts = Dictionary(spec.ports.map { ("\($0.inner_port)/\($0.protocol_)", EmptyObject()) }, uniquingKeysWith: { a, _ in a })
        }

        var h = HostConfig()
        // tini as PID 1: SIGTERM stops `sh` and `sleep` at once instead of after the grace period.
        h.Init = true
        let published = spec.ports.filter(\.published)
        if !published.isEmpty {
            h.PortBindings = Dictionary(published.map { p in
                ("\(p.inner_port)/\(p.protocol_)", [PortBinding(hostPort: p.outer_port.map(String.init) ?? "")])
            }, uniquingKeysWith: { a, b in a + b })
        }
        let binds = spec.bindings.compactMap { b -> String? in
            guard let host = b.host_path, let path = b.container_path else { return nil }
            return "\(host):\(path)" + (b.rewritable ? "" : ":ro")
        }
        if !binds.isEmpty { h.Binds = binds }
        if !volumesFrom.isEmpty { h.VolumesFrom = volumesFrom }
        h.CpuShares = spec.cpuShares
        if !spec.cpuset.isEmpty { h.CpusetCpus = spec.cpuset }
        h.Memory = spec.memory.map(bytes(mebibytes:))
        h.MemorySwap = spec.memorySwap.map { $0 <= 0 ? $0 : bytes(mebibytes: $0) }
        if spec.privileged { h.Privileged = true }
        if !spec.capAdd.isEmpty { h.CapAdd = spec.capAdd }
        if !spec.capDrop.isEmpty { h.CapDrop = spec.capDrop }
        if !spec.devices.isEmpty { h.Devices = spec.devices.map(device) }
        if !spec.dns.isEmpty { h.Dns = spec.dns }
        if !spec.dnsSearch.isEmpty { h.DnsSearch = spec.dnsSearch }
        if !spec.extraHosts.isEmpty { h.ExtraHosts = spec.extraHosts }
        if !spec.securityOpt.isEmpty { h.SecurityOpt = spec.securityOpt }
        if spec.readOnly { h.ReadonlyRootfs = true }
        if spec.pid == "host" { h.PidMode = "host" }
        // "bridge" is the engine's default network: leaving it out works on engines without a
        // bridge (--bridge=none) too, where naming it fails.
        switch spec.net {
        case "host", "none": h.NetworkMode = spec.net
        default: break
        }
        if !spec.cgroupParent.isEmpty { h.CgroupParent = spec.cgroupParent }
        // The control plane restarts containers by their autorestart setting, with back-off, so
        // the engine must not restart them as well.
        h.RestartPolicy = RestartPolicy(name: "no")
        c.HostConfig = h
        return c
    }

    /// Docker Cloud gives memory in MB, the engine in bytes (capped rather than overflowing).
    static func bytes(mebibytes: Int) -> Int {
        let (product, overflow) = mebibytes.multipliedReportingOverflow(by: 1 << 20)
        return overflow ? Int.max : product
    }

    /// "/dev/fuse" or "/dev/sda:/dev/xvda:rwm", as docker's --device takes it.
    static func device(_ text: String) -> DeviceMapping {
        let parts = text.split(separator: ":").map(String.init)
        return DeviceMapping(PathOnHost: parts.first ?? text, PathInContainer: parts.count > 1 ? parts[1] : (parts.first ?? text),
                             CgroupPermissions: parts.count > 2 ? parts[2] : "rwm")
    }

    /// Splits a command line as a POSIX shell would split words (quotes and backslashes), which
    /// is how Docker Cloud turned `run_command` and `entrypoint` into the engine's argument lists.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for ch in line {
            if escaped {
                current.append(ch); escaped = false; inWord = true
                continue
            }
            switch (quote, ch) {
            case (nil, "\\"), ("\"", "\\"): escaped = true
            case (nil, "'"), (nil, "\""): quote = ch; inWord = true
            case ("'", "'"), ("\"", "\""): quote = nil
            case (nil, " "), (nil, "\t"), (nil, "\n"):
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(ch); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The engine container's name: ours, the namespace and a piece of the uuid, so that one
    /// engine can carry several namespaces and servers, readable in `docker ps`.
    static func engineName(_ spec: ContainerSpec) -> String {
        let raw = "\(spec.name).\(spec.namespace).\(spec.uuid.prefix(8))"
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" })
    }
}
