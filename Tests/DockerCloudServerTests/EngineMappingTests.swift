@testable import DockerCloudServer
import DockerCloudAPI
import DockerEngineAPI
import Foundation
import XCTest

/// How a container's Docker Cloud settings become the engine's create request, and the state table.
final class EngineMappingTests: XCTestCase {
    func spec() -> ContainerSpec {
        ContainerSpec(
            uuid: "0123abcd-0000-4000-8000-000000000001", name: "web-1", namespace: "alice", serviceUUID: "svc-uuid",
            hostname: "web-1", domainname: "example.org", image: "local/busybox:latest",
            runCommand: #"sh -c 'echo "a b"; sleep 1' x\ y"#, entrypoint: "", environment: [EnvVar(key: "A", value: "1=2")],
            workingDir: "/app", user: "nobody", tty: true, stdinOpen: true,
            ports: [ContainerPort(protocol_: "tcp", inner_port: 80, outer_port: 8080, port_name: nil, uri_protocol: "http", endpoint_uri: nil, published: true),
                    ContainerPort(protocol_: "udp", inner_port: 53, outer_port: nil, port_name: nil, uri_protocol: nil, endpoint_uri: nil, published: false)],
            bindings: [ContainerBinding(volume: nil, host_path: "/srv/data", container_path: "/data", rewritable: false),
                       ContainerBinding(volume: "v", host_path: nil, container_path: "/cache", rewritable: true)],
            volumesFrom: [], cpuShares: 512, cpuset: "0", memory: 64, memorySwap: -1, privileged: true,
            capAdd: ["NET_ADMIN"], capDrop: ["MKNOD"], devices: ["/dev/fuse", "/dev/sda:/dev/xvda:r"], dns: ["1.1.1.1"],
            dnsSearch: ["example.org"], extraHosts: ["db:10.0.0.2"], securityOpt: ["no-new-privileges"], labels: ["team": "a"],
            readOnly: true, pid: "host", net: "host", macAddress: "", cgroupParent: "", registryAuth: nil,
            node: NodeSpec(uuid: "node-1", name: "n", provider: "local", nodeType: "local", host: "h"))
    }

    func testEverySettingReachesTheEngine() throws {
        let c = EngineContainerConfig.make(spec(), serverID: "server-1", volumesFrom: ["abc"])
        XCTAssertEqual(c.Image, "local/busybox:latest")
        XCTAssertEqual(c.Cmd, ["sh", "-c", #"echo "a b"; sleep 1"#, "x y"])
        XCTAssertNil(c.Entrypoint)
        XCTAssertEqual(c.Env, ["A=1=2"])
        XCTAssertEqual(c.Labels?[EngineLabels.container], "0123abcd-0000-4000-8000-000000000001")
        XCTAssertEqual(c.Labels?[EngineLabels.server], "server-1")
        XCTAssertEqual(c.Labels?[EngineLabels.namespace], "alice")
        XCTAssertEqual(c.Labels?[EngineLabels.node], "node-1")
        XCTAssertEqual(c.Labels?[EngineLabels.service], "svc-uuid")
        XCTAssertEqual(c.Labels?["team"], "a")
        XCTAssertEqual(c.Hostname, "web-1")
        XCTAssertEqual(c.Domainname, "example.org")
        XCTAssertEqual(c.User, "nobody")
        XCTAssertEqual(c.WorkingDir, "/app")
        XCTAssertEqual(c.Tty, true)
        XCTAssertEqual(c.OpenStdin, true)
        XCTAssertEqual(Set(c.ExposedPorts?.keys ?? [:].keys), ["80/tcp", "53/udp"])
        let h = try XCTUnwrap(c.HostConfig)
        XCTAssertEqual(h.Init, true)
        XCTAssertEqual(h.PortBindings?["80/tcp"], [PortBinding(hostPort: "8080")])
        XCTAssertNil(h.PortBindings?["53/udp"])
        XCTAssertEqual(h.Binds, ["/srv/data:/data:ro"])
        XCTAssertEqual(h.VolumesFrom, ["abc"])
        XCTAssertEqual(h.CpuShares, 512)
        XCTAssertEqual(h.CpusetCpus, "0")
        XCTAssertEqual(h.Memory, 64 << 20)
        XCTAssertEqual(h.MemorySwap, -1)
        XCTAssertEqual(h.Privileged, true)
        XCTAssertEqual(h.CapAdd, ["NET_ADMIN"])
        XCTAssertEqual(h.CapDrop, ["MKNOD"])
        XCTAssertEqual(h.Devices, [DeviceMapping(PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"),
                                   DeviceMapping(PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "r")])
        XCTAssertEqual(h.Dns, ["1.1.1.1"])
        XCTAssertEqual(h.DnsSearch, ["example.org"])
        XCTAssertEqual(h.ExtraHosts, ["db:10.0.0.2"])
        XCTAssertEqual(h.SecurityOpt, ["no-new-privileges"])
        XCTAssertEqual(h.ReadonlyRootfs, true)
        XCTAssertEqual(h.PidMode, "host")
        XCTAssertEqual(h.NetworkMode, "host")
        // The control plane restarts by autorestart, so the engine must not.
        XCTAssertEqual(h.RestartPolicy, RestartPolicy(name: "no"))
    }

    func testDefaultsStayTheEngines() {
        var s = spec()
        s.net = "bridge"; s.pid = "none"; s.privileged = false; s.readOnly = false; s.workingDir = "/"; s.memory = nil; s.runCommand = ""
        let c = EngineContainerConfig.make(s, serverID: "x", volumesFrom: [])
        // Naming "bridge" fails on engines without one (--bridge=none); leaving it out works on both.
        XCTAssertNil(c.HostConfig?.NetworkMode)
        XCTAssertNil(c.HostConfig?.PidMode)
        XCTAssertNil(c.HostConfig?.Privileged)
        XCTAssertNil(c.HostConfig?.Memory)
        XCTAssertNil(c.WorkingDir)
        XCTAssertNil(c.Cmd)
    }

    func testMemoryNeverOverflows() {
        XCTAssertEqual(EngineContainerConfig.bytes(mebibytes: 3), 3 << 20)
        XCTAssertEqual(EngineContainerConfig.bytes(mebibytes: Int.max / 2), Int.max)
    }

    func testShellWords() {
        XCTAssertEqual(EngineContainerConfig.shellWords("python app.py  --port 80"), ["python", "app.py", "--port", "80"])
        XCTAssertEqual(EngineContainerConfig.shellWords(#"sh -c "echo \"hi\" \$X""#), ["sh", "-c", #"echo "hi" $X"#])
        XCTAssertEqual(EngineContainerConfig.shellWords("echo '' a"), ["echo", "", "a"])
        XCTAssertEqual(EngineContainerConfig.shellWords("   "), [])
    }

    func testEngineNamesAreValidAndDistinct() {
        var s = spec()
        s.name = "web_1"
        let a = EngineContainerConfig.engineName(s)
        s.uuid = "ffff" + s.uuid.dropFirst(4)
        let b = EngineContainerConfig.engineName(s)
        XCTAssertNotEqual(a, b)
        for n in [a, b] { XCTAssertNotNil(n.range(of: "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", options: .regularExpression), n) }
    }

    func testStateTable() throws {
        XCTAssertNoThrow(try Lifecycle.container.check("stop", "Starting"))
        XCTAssertThrowsError(try Lifecycle.container.check("start", "Running"))
        XCTAssertThrowsError(try Lifecycle.container.check("top", "Stopped"))
        XCTAssertThrowsError(try Lifecycle.container.check("no-such-operation", "Running"))
        XCTAssertTrue(Lifecycle.service.permits("scale", "Stopped"))
        XCTAssertFalse(Lifecycle.service.permits("terminate", "Terminated"))
        // Every state named in a table is one of the resource's states.
        for l in [Lifecycle.container, .service, .stack, .node, .nodeCluster, .action] {
            for (op, states) in l.allows { XCTAssertTrue(states.isSubset(of: l.states), "\(l.resource) \(op)") }
            XCTAssertTrue(l.transitional.isSubset(of: l.states), l.resource)
        }
    }

    func testHostAccessSettingsAreNamed() {
        var s = Service()
        XCTAssertEqual(ControlPlane.hostAccessSettings(s), [])
        s.privileged = true
        s.net = "host"
        s.bindings = [ServiceBinding(host_path: "/etc", container_path: "/x")]
        XCTAssertEqual(ControlPlane.hostAccessSettings(s), ["privileged", "bindings.host_path", "net"])
        XCTAssertTrue(HostAccess.all.allows("x"))
        XCTAssertFalse(HostAccess.namespaces(["a"]).allows("b"))
    }
}
