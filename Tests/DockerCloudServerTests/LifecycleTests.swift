import Foundation
import XCTest

/// Services, containers and stacks through their documented state machines.
final class LifecycleTests: ServerTestCase {

    func containers(_ serviceURI: String, live: Bool = true) async throws -> [[String: Any]] {
        let all = try await alice.get("/api/app/v1/container/?limit=0&service=\(serviceURI)").objects
        return live ? all.filter { $0["state"] as? String != "Terminated" } : all
    }

    func testServiceStateMachine() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "web", "target_num_containers": 2, "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        XCTAssertEqual(s["state"] as? String, "Not running")

        let early = try await alice.post(uri + "stop/")
        XCTAssertEqual(early.status, 400)
        XCTAssertTrue((early.object["error"] as? String ?? "").contains("Not running"), early.text)

        let start = try await alice.post(uri + "start/")
        XCTAssertEqual(start.status, 202)
        XCTAssertEqual(start.object["state"] as? String, "Starting")
        let action = try await alice.waitForAction(start)
        XCTAssertEqual(action["state"] as? String, "Success")
        XCTAssertEqual(action["action"] as? String, "Service Start")
        XCTAssertEqual(action["object"] as? String, uri)
        XCTAssertEqual(action["method"] as? String, "POST")
        var running = try await alice.waitForState(uri, "Running")
        XCTAssertEqual(running["running_num_containers"] as? Int, 2)
        let v1 = try await containers(uri).map { $0["name"] as! String }
        XCTAssertEqual(Set(v1), ["web-1", "web-2"])

        let busy = try await alice.post(uri + "start/")
        XCTAssertEqual(busy.status, 400, "a running service cannot be started")

        _ = try await alice.patch(uri, ["target_num_containers": 4])
        let scaleUp = try await alice.post(uri + "scale/")
        XCTAssertEqual(scaleUp.status, 202)
        _ = try await alice.waitForAction(scaleUp)
        running = try await alice.waitFor(uri) { ($0["running_num_containers"] as? Int) == 4 && ($0["state"] as? String) == "Running" }
        let v2 = try await containers(uri).map { $0["name"] as! String }
        XCTAssertEqual(Set(v2), ["web-1", "web-2", "web-3", "web-4"])

        _ = try await alice.patch(uri, ["target_num_containers": 1])
        _ = try await alice.waitForAction(try await alice.post(uri + "scale/"))
        try await alice.waitFor(uri) { ($0["current_num_containers"] as? Int) == 1 }
        let v3 = try await containers(uri).map { $0["name"] as! String }
        XCTAssertEqual(v3, ["web-1"])
        let v4 = try await containers(uri, live: false).filter { $0["state"] as? String == "Terminated" }.count
        XCTAssertEqual(v4, 3)

        _ = try await alice.waitForAction(try await alice.post(uri + "stop/"))
        let stopped = try await alice.waitForState(uri, "Stopped")
        XCTAssertNotEqual(stopped["stopped_datetime"] as? String, nil)
        let v5 = try await containers(uri).map { $0["state"] as! String }
        XCTAssertEqual(v5, ["Stopped"])

        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        _ = try await alice.waitForState(uri, "Running")
        let before = try await containers(uri).map { $0["uuid"] as! String }

        _ = try await alice.waitForAction(try await alice.post(uri + "redeploy/?reuse_volumes=False"))
        _ = try await alice.waitForState(uri, "Running")
        let after = try await containers(uri)
        XCTAssertEqual(after.map { $0["name"] as! String }, ["web-1"])
        XCTAssertNotEqual(after.map { $0["uuid"] as! String }, before, "redeploy replaces containers")

        let terminate = try await alice.delete(uri)
        XCTAssertEqual(terminate.status, 202)
        _ = try await alice.waitForAction(terminate)
        let gone = try await alice.waitForState(uri, "Terminated")
        XCTAssertNotEqual(gone["destroyed_datetime"] as? String, nil)
        let v6 = try await containers(uri).count
        XCTAssertEqual(v6, 0)
        let late = try await alice.post(uri + "start/")
        XCTAssertEqual(late.status, 400)
        XCTAssertTrue(late.text.contains("Terminated"), late.text)
    }

    func testContainerOperations() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "solo", "target_num_containers": 2, "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let c = try await containers(uri)[0]
        let curi = c["resource_uri"] as! String
        let started = try await alice.post(curi + "start/")
        XCTAssertEqual(started.status, 400, "a running container cannot be started")
        _ = try await alice.waitForAction(try await alice.post(curi + "stop/"))
        let stopped = try await alice.waitForState(curi, "Stopped")
        XCTAssertEqual(stopped["exit_code"] as? Int, 143)
        try await alice.waitFor(uri) { ($0["state"] as? String) == "Partly running" }
        _ = try await alice.waitForAction(try await alice.post(curi + "start/"))
        _ = try await alice.waitForState(curi, "Running")
        _ = try await alice.waitForState(uri, "Running")
        _ = try await alice.waitForAction(try await alice.delete(curi))
        _ = try await alice.waitForState(curi, "Terminated")
        let after = try await alice.waitFor(uri) { ($0["current_num_containers"] as? Int) == 1 }
        XCTAssertEqual(after["target_num_containers"] as? Int, 1, "terminating a container lowers the target")
    }

    func testPlacementFollowsStrategyAndTags() async throws {
        let nodes = try await alice.get("/api/infra/v1/node/").objects
        XCTAssertEqual(nodes.count, 3)
        let ha = try await alice.createService(["image": "busybox", "name": "ha", "target_num_containers": 3,
                                                "deployment_strategy": "HIGH_AVAILABILITY", "run_command": "sleep 600"])
        _ = try await alice.waitForAction(try await alice.post((ha["resource_uri"] as! String) + "start/"))
        let v7 = try await containers(ha["resource_uri"] as! String).map { $0["node"] as! String }
        XCTAssertEqual(Set(v7).count, 3)

        let every = try await alice.createService(["image": "busybox", "name": "agent", "deployment_strategy": "EVERY_NODE", "run_command": "sleep 600"])
        _ = try await alice.waitForAction(try await alice.post((every["resource_uri"] as! String) + "start/"))
        let v8 = try await containers(every["resource_uri"] as! String).count
        XCTAssertEqual(v8, 3)
        let scale = try await alice.post((every["resource_uri"] as! String) + "scale/")
        XCTAssertEqual(scale.status, 400, "EVERY_NODE services are not scaled by hand")

        let gpu = try await alice.createService(["image": "busybox", "name": "gpu", "tags": [["name": "gpu"]], "run_command": "sleep 600"])
        let refused = try await alice.post((gpu["resource_uri"] as! String) + "start/")
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssertTrue(refused.text.contains("gpu"), refused.text)
        let fresh = try await alice.get(gpu["resource_uri"] as! String)
        XCTAssertEqual(fresh.object["state"] as? String, "Not running", "a refused start changes nothing")
        let tagged = nodes[1]["resource_uri"] as! String
        let patched = try await alice.patch(tagged, ["tags": [["name": "gpu"]]])
        XCTAssertEqual(patched.status, 200, patched.text)
        _ = try await alice.waitForAction(try await alice.post((gpu["resource_uri"] as! String) + "start/"))
        let v9 = try await containers(gpu["resource_uri"] as! String).map { $0["node"] as! String }
        XCTAssertEqual(v9, [tagged])
    }

    func testOneOffJobsExitWithTheirCodeAndAutodestroyAndAutorestart() async throws {
        let job = try await alice.createService(["image": "busybox", "name": "job", "run_command": "sh -c 'echo working; exit 3'"])
        _ = try await alice.waitForAction(try await alice.post((job["resource_uri"] as! String) + "start/"))
        let c = try await alice.waitFor("/api/app/v1/container/?service=\(job["resource_uri"]!)") { ($0["objects"] as? [[String: Any]])?.first?["state"] as? String == "Stopped" }
        let container = (c["objects"] as! [[String: Any]])[0]
        XCTAssertEqual(container["exit_code"] as? Int, 3)
        _ = try await alice.waitForState(job["resource_uri"] as! String, "Stopped")

        let gone = try await alice.createService(["image": "busybox", "name": "ephemeral", "autodestroy": "ALWAYS", "run_command": "echo bye"])
        _ = try await alice.waitForAction(try await alice.post((gone["resource_uri"] as! String) + "start/"))
        try await alice.waitFor("/api/app/v1/container/?service=\(gone["resource_uri"]!)") { ($0["objects"] as? [[String: Any]])?.first?["state"] as? String == "Terminated" }

        let flaky = try await alice.createService(["image": "busybox", "name": "flaky", "autorestart": "ON_FAILURE", "run_command": "sh -c 'echo boom; exit 1'"])
        _ = try await alice.waitForAction(try await alice.post((flaky["resource_uri"] as! String) + "start/"))
        let flakyContainer = try await containers(flaky["resource_uri"] as! String)[0]
        // Restarted at least twice: its logs hold the line of three runs. One followed stream sees
        // them come (polling with follow=false came back empty under load, the runs notwithstanding).
        let lines = try await alice.stream((flakyContainer["resource_uri"] as! String) + "logs/?follow=true", timeout: 20) { $0.count >= 3 }.messages
        XCTAssertGreaterThanOrEqual(lines.count, 3, "\(lines)")
    }

    func testLinksExposeTheTargetsEnvironment() async throws {
        let db = try await alice.createService(["image": "postgres", "name": "db", "run_command": "sleep 600",
                                                "container_ports": [["protocol": "tcp", "inner_port": 5432]],
                                                "container_envvars": [["key": "POSTGRES_DB", "value": "app"]]])
        let web = try await alice.createService(["image": "busybox", "name": "web", "run_command": "sleep 600",
                                                 "linked_to_service": [["to_service": db["resource_uri"]!, "name": "DATABASE"]]])
        _ = try await alice.waitForAction(try await alice.post((db["resource_uri"] as! String) + "start/"))
        _ = try await alice.waitForAction(try await alice.post((web["resource_uri"] as! String) + "start/"))
        let c = try await containers(web["resource_uri"] as! String)[0]
        let env = Dictionary(uniqueKeysWithValues: (c["container_envvars"] as! [[String: String]]).map { ($0["key"]!, $0["value"]!) })
        XCTAssertEqual(env["DATABASE_PORT_5432_TCP_PORT"], "5432")
        XCTAssertEqual(env["DATABASE_1_ENV_POSTGRES_DB"], "app")
        XCTAssertEqual(env["DATABASE_ENV_POSTGRES_DB"], "app")
        XCTAssertNotNil(env["DATABASE_PORT_5432_TCP_ADDR"])
        let links = c["linked_to_container"] as! [[String: Any]]
        XCTAssertEqual(links.first?["name"] as? String, "DATABASE_1")
        XCTAssertNotNil((links.first?["endpoints"] as? [String: String])?["5432/tcp"])
        let dbNow = try await alice.get(db["resource_uri"] as! String).object
        let from = dbNow["linked_from_service"] as! [[String: Any]]
        XCTAssertEqual(from.first?["from_service"] as? String, web["resource_uri"] as? String)
        let vars = dbNow["link_variables"] as! [String: String]
        XCTAssertEqual(vars["DB_1_PORT_5432_TCP_PORT"], "5432")
        XCTAssertNotNil(vars["DB_DOCKERCLOUD_API_URL"])
    }

    func testSequentialDeploymentLinksEachContainerToTheEarlierOnes() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "chain", "target_num_containers": 3, "sequential_deployment": true,
                                               "run_command": "sleep 600", "container_ports": [["inner_port": 7000]]])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let containers = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects
        let byName = Dictionary(uniqueKeysWithValues: containers.map { ($0["name"] as! String, $0) })
        let third = try XCTUnwrap(byName["chain-3"])
        XCTAssertEqual(Set((third["linked_to_container"] as! [[String: Any]]).map { $0["name"] as! String }), ["CHAIN_1", "CHAIN_2"])
        XCTAssertTrue((third["container_envvars"] as! [[String: String]]).contains { $0["key"] == "CHAIN_1_PORT_7000_TCP_PORT" })
        XCTAssertEqual((byName["chain-1"]?["linked_to_container"] as? [Any])?.count, 0)
    }

    func testUpdatingARunningServiceMarksItUnsynchronizedUntilRedeployed() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "cfg", "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let renamed = try await alice.patch(uri, ["nickname": "configured"])
        XCTAssertEqual(renamed.object["synchronized"] as? Bool, true, "a nickname does not touch containers")
        let changed = try await alice.patch(uri, ["container_envvars": [["key": "MODE", "value": "fast"]]])
        XCTAssertEqual(changed.status, 200, changed.text)
        XCTAssertEqual(changed.object["synchronized"] as? Bool, false)
        _ = try await alice.waitForAction(try await alice.post(uri + "redeploy/"))
        let after = try await alice.waitForState(uri, "Running")
        XCTAssertEqual(after["synchronized"] as? Bool, true)
        let env = (try await containers(uri)[0]["container_envvars"] as! [[String: String]])
        XCTAssertTrue(env.contains { $0["key"] == "MODE" && $0["value"] == "fast" })
        let rename = try await alice.patch(uri, ["name": "other"])
        XCTAssertEqual(rename.status, 400)
        // Tags no node carries: the next redeploy is refused up front, and nothing changes.
        _ = try await alice.patch(uri, ["tags": [["name": "nowhere"]]])
        let refused = try await alice.post(uri + "redeploy/")
        XCTAssertEqual(refused.status, 409, refused.text)
        let still = try await alice.get(uri).object
        XCTAssertEqual(still["state"] as? String, "Running")
    }

    func testStacksCreateStartUpdateExportTerminate() async throws {
        let created = try await alice.post("/api/app/v1/stack/", ["name": "shop", "services": [
            ["name": "web", "image": "busybox", "target_num_containers": 2, "run_command": "sleep 600",
             "linked_to_service": [["to_service": "db", "name": "DB"]]],
            ["name": "db", "image": "postgres", "run_command": "sleep 600", "container_ports": [["protocol": "tcp", "inner_port": 5432]]],
            ["name": "backup", "image": "busybox", "run_command": "sleep 600", "bindings": [["volumes_from": "db"]]],
        ]])
        XCTAssertEqual(created.status, 201, created.text)
        let uri = created.object["resource_uri"] as! String
        XCTAssertEqual(created.object["state"] as? String, "Not Running")
        XCTAssertEqual((created.object["services"] as! [String]).count, 3)
        let services = try await alice.get("/api/app/v1/service/?stack=\(uri)").objects
        XCTAssertEqual(Set(services.map { $0["name"] as! String }), ["web", "db", "backup"])
        let byStackName = try await alice.get("/api/app/v1/service/?stack__name=shop&name=web").objects
        XCTAssertEqual(byStackName.count, 1)

        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        _ = try await alice.waitForState(uri, "Running")
        let inStack = try await alice.get("/api/app/v1/container/?service__stack__name=shop&limit=0").objects
        XCTAssertEqual(inStack.count, 4)

        let export = try await alice.get(uri + "export/").object
        XCTAssertEqual((export["web"] as? [String: Any])?["links"] as? [String], ["db:DB"])
        XCTAssertEqual((export["web"] as? [String: Any])?["target_num_containers"] as? Int, 2)
        XCTAssertEqual((export["backup"] as? [String: Any])?["volumes_from"] as? [String], ["db"])

        let updated = try await alice.patch(uri, ["services": [
            ["name": "web", "image": "busybox:1.36", "target_num_containers": 2, "run_command": "sleep 600",
             "linked_to_service": [["to_service": "db", "name": "DB"]]],
            ["name": "db", "image": "postgres", "run_command": "sleep 600", "container_ports": [["protocol": "tcp", "inner_port": 5432]]],
            ["name": "cache", "image": "redis", "run_command": "sleep 600"],
        ]])
        XCTAssertEqual(updated.status, 200, updated.text)
        _ = try await alice.waitForAction(updated)
        let now = try await alice.get("/api/app/v1/service/?stack=\(uri)&limit=0").objects
        let byName = Dictionary(uniqueKeysWithValues: now.map { ($0["name"] as! String, $0) })
        XCTAssertEqual(byName["backup"]?["state"] as? String, "Terminated")
        XCTAssertEqual(byName["web"]?["image_name"] as? String, "busybox:1.36")
        XCTAssertEqual(byName["web"]?["synchronized"] as? Bool, false)
        _ = try await alice.waitForState(byName["cache"]!["resource_uri"] as! String, "Running")

        _ = try await alice.waitForAction(try await alice.post(uri + "stop/"))
        _ = try await alice.waitForState(uri, "Stopped")
        _ = try await alice.waitForAction(try await alice.delete(uri))
        _ = try await alice.waitForState(uri, "Terminated")
        let left = try await alice.get("/api/app/v1/service/?stack=\(uri)&limit=0").objects
        XCTAssertTrue(left.allSatisfy { $0["state"] as? String == "Terminated" })
    }
}

/// Stacks sent the way the docker-cloud CLI sends them: each service as its parsed Stack YAML.
final class StackfileTests: ServerTestCase {
    func testStackfileKeysBecomeServiceFields() async throws {
        let created = try await alice.post("/api/app/v1/stack/", ["name": "yaml", "services": [
            ["name": "web", "image": "busybox", "command": ["sh", "-c", "echo hi; sleep 600"], "links": ["db:database"],
             "ports": ["8080:80", "443", "53/udp"], "expose": ["9000", "80"], "environment": ["MODE=prod", "EMPTY"],
             "volumes": ["/data", "/srv:/srv:ro"], "volumes_from": ["db"], "restart": "on-failure", "mem_limit": "1g",
             "labels": ["team=core"], "tags": ["fast"], "target_num_containers": 2],
            ["name": "db", "image": "postgres", "environment": ["POSTGRES_DB": "app", "PORT": 5432], "expose": [5432]],
        ]])
        XCTAssertEqual(created.status, 201, created.text)
        let services = try await alice.get("/api/app/v1/service/?stack=\(created.object["resource_uri"]!)").objects
        let web = try XCTUnwrap(services.first { $0["name"] as? String == "web" })
        XCTAssertEqual(web["run_command"] as? String, "sh -c 'echo hi; sleep 600'")
        XCTAssertEqual(web["autorestart"] as? String, "ON_FAILURE")
        XCTAssertEqual(web["memory"] as? Int, 1024)
        XCTAssertEqual(web["labels"] as? [String: String], ["team": "core"])
        XCTAssertEqual((web["tags"] as? [[String: String]])?.map { $0["name"]! }, ["fast"])
        let env = (web["container_envvars"] as! [[String: String]]).map { "\($0["key"]!)=\($0["value"]!)" }
        XCTAssertEqual(env, ["MODE=prod", "EMPTY="])
        let ports = (web["container_ports"] as! [[String: Any]]).map { "\($0["inner_port"]!)/\($0["protocol"]!)/\($0["published"]!)/\($0["outer_port"] ?? "-")" }
        XCTAssertEqual(ports, ["80/tcp/1/8080", "443/tcp/1/<null>", "53/udp/1/<null>", "9000/tcp/0/<null>"].map { $0.replacingOccurrences(of: "<null>", with: "\(NSNull())") })
        let links = web["linked_to_service"] as! [[String: Any]]
        XCTAssertEqual(links.first?["name"] as? String, "database")
        let bindings = web["bindings"] as! [[String: Any]]
        XCTAssertEqual(bindings.count, 3)
        XCTAssertEqual(bindings[1]["rewritable"] as? Bool, false)
        XCTAssertTrue((bindings[2]["volumes_from"] as? String)?.contains("/service/") == true)
        let db = try XCTUnwrap(services.first { $0["name"] as? String == "db" })
        XCTAssertEqual(Set((db["container_envvars"] as! [[String: String]]).map { $0["key"]! + "=" + $0["value"]! }), ["POSTGRES_DB=app", "PORT=5432"])

        let unsupported = try await alice.post("/api/app/v1/stack/", ["name": "built", "services": [["name": "x", "build": "."]]])
        XCTAssertEqual(unsupported.status, 400)
        XCTAssertTrue(unsupported.text.contains("services[0].build"), unsupported.text)
        let badPort = try await alice.post("/api/app/v1/stack/", ["name": "ports", "services": [["name": "x", "image": "busybox", "ports": ["eighty"]]]])
        XCTAssertEqual(badPort.status, 400)
        XCTAssertTrue(badPort.text.contains("services[0].ports"), badPort.text)
    }

    func testAFixedHostPortIsBoundOncePerNode() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "edge", "target_num_containers": 3, "run_command": "sleep 600",
                                               "container_ports": [["inner_port": 80, "outer_port": 80, "published": true]]])
        _ = try await alice.waitForAction(try await alice.post((s["resource_uri"] as! String) + "start/"))
        let nodes = try await alice.get("/api/app/v1/container/?service=\(s["resource_uri"]!)").objects.map { $0["node"] as! String }
        XCTAssertEqual(Set(nodes).count, 3, "three nodes, one container each")
        _ = try await alice.patch(s["resource_uri"] as! String, ["target_num_containers": 4])
        let scale = try await alice.post((s["resource_uri"] as! String) + "scale/")
        XCTAssertEqual(scale.status, 409, scale.text)
        XCTAssertTrue(scale.text.contains("80/tcp"), scale.text)
    }
}
