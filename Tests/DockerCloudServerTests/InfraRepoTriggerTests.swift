import Foundation
import XCTest

/// Catalogs, node clusters and nodes; registries and repositories; triggers; actions.
final class InfraRepoTriggerTests: ServerTestCase {

    func testCatalogsAreBrowsable() async throws {
        let providers = try await alice.get("/api/infra/v1/provider/").objects.map { $0["name"] as! String }
        XCTAssertEqual(Set(providers), ["local", "digitalocean", "aws", "byon"])
        let region = try await alice.get("/api/infra/v1/region/digitalocean/lon1/").object
        XCTAssertEqual(region["label"] as? String, "London 1")
        XCTAssertEqual(region["provider"] as? String, "/api/infra/v1/provider/digitalocean/")
        XCTAssertTrue((region["node_types"] as! [String]).contains("/api/infra/v1/nodetype/digitalocean/1gb/"))
        let awsRegions = try await alice.get("/api/infra/v1/region/?provider=/api/infra/v1/provider/aws/").objects
        XCTAssertEqual(awsRegions.count, 3)
        let zones = try await alice.get("/api/infra/v1/az/?region=/api/infra/v1/region/aws/us-east-1/").objects
        XCTAssertEqual(zones.map { $0["name"] as! String }, ["us-east-1a", "us-east-1b", "us-east-1c"])
        let zone = try await alice.get("/api/infra/v1/az/aws/us-east-1/us-east-1b/")
        XCTAssertEqual(zone.status, 200)
        let types = try await alice.get("/api/infra/v1/nodetype/?regions=/api/infra/v1/region/digitalocean/lon1/").objects
        XCTAssertEqual(types.count, 5)
        let missing = try await alice.get("/api/infra/v1/nodetype/digitalocean/999gb/")
        XCTAssertEqual(missing.status, 404)
    }

    func testNodeClusterLifecycle() async throws {
        let bad = try await alice.post("/api/infra/v1/nodecluster/", ["name": "c", "region": "/api/infra/v1/region/digitalocean/mars1/",
                                                                       "node_type": "/api/infra/v1/nodetype/digitalocean/1gb/"])
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("region"), bad.text)
        let mixed = try await alice.post("/api/infra/v1/nodecluster/", ["name": "c", "region": "/api/infra/v1/region/aws/us-east-1/",
                                                                         "node_type": "/api/infra/v1/nodetype/digitalocean/1gb/"])
        XCTAssertEqual(mixed.status, 400)

        let created = try await alice.post("/api/infra/v1/nodecluster/", [
            "name": "prod", "region": "/api/infra/v1/region/aws/us-east-1/", "node_type": "/api/infra/v1/nodetype/aws/t2.micro/",
            "disk": "30", "target_num_nodes": 2, "tags": [["name": "prod"]],
            "provider_options": ["vpc": ["id": "vpc-1", "subnets": ["subnet-a"]]]])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.object["state"] as? String, "Init")
        XCTAssertEqual(created.object["disk"] as? Int, 30)
        XCTAssertEqual(((created.object["provider_options"] as? [String: Any])?["vpc"] as? [String: Any])?["id"] as? String, "vpc-1")
        let uri = created.object["resource_uri"] as! String

        let deploy = try await alice.post(uri + "deploy/")
        XCTAssertEqual(deploy.status, 202)
        _ = try await alice.waitForAction(deploy)
        var cluster = try await alice.waitForState(uri, "Deployed")
        XCTAssertEqual(cluster["current_num_nodes"] as? Int, 2)
        let nodes = try await alice.get("/api/infra/v1/node/?node_cluster=\(uri)").objects
        XCTAssertEqual(nodes.count, 2)
        XCTAssertTrue(nodes.allSatisfy { ($0["tags"] as? [[String: String]])?.first?["name"] == "prod" })
        XCTAssertTrue(nodes.allSatisfy { ($0["availability_zone"] as? String)?.hasPrefix("/api/infra/v1/az/aws/us-east-1/") == true })
        XCTAssertEqual(nodes.first?["memory"] as? Int, 1024)
        let again = try await alice.post(uri + "deploy/")
        XCTAssertEqual(again.status, 400)

        let scaled = try await alice.patch(uri, ["target_num_nodes": 3])
        XCTAssertEqual(scaled.status, 200)
        XCTAssertEqual(scaled.object["state"] as? String, "Scaling")
        _ = try await alice.waitForAction(scaled)
        cluster = try await alice.waitFor(uri) { ($0["current_num_nodes"] as? Int) == 3 && ($0["state"] as? String) == "Deployed" }

        let node = try await alice.get("/api/infra/v1/node/?node_cluster=\(uri)").objects[0]
        let nodeURI = node["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(nodeURI + "health-check/"))
        let upgrade = try await alice.post(nodeURI + "docker-upgrade/")
        XCTAssertEqual(upgrade.status, 202)
        XCTAssertEqual(upgrade.object["state"] as? String, "Upgrading")
        _ = try await alice.waitForAction(upgrade)
        _ = try await alice.waitForState(nodeURI, "Deployed")
        _ = try await alice.waitForAction(try await alice.delete(nodeURI))
        _ = try await alice.waitForState(nodeURI, "Terminated")
        cluster = try await alice.waitFor(uri) { ($0["current_num_nodes"] as? Int) == 2 }
        XCTAssertEqual(cluster["target_num_nodes"] as? Int, 2)

        _ = try await alice.waitForAction(try await alice.delete(uri))
        _ = try await alice.waitForState(uri, "Terminated")
        let left = try await alice.get("/api/infra/v1/node/?node_cluster=\(uri)").objects
        XCTAssertTrue(left.allSatisfy { $0["state"] as? String == "Terminated" })
    }

    func testTerminatingANodeTerminatesItsContainers() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "spread", "target_num_containers": 3,
                                               "deployment_strategy": "HIGH_AVAILABILITY", "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let node = try await alice.get("/api/infra/v1/node/").objects[0]["resource_uri"] as! String
        _ = try await alice.waitForAction(try await alice.delete(node))
        let after = try await alice.waitFor(uri) { ($0["current_num_containers"] as? Int) == 2 }
        XCTAssertEqual(after["state"] as? String, "Running")
    }

    func testRepositoriesKeepTheirCredentialsSecret() async throws {
        let created = try await alice.post("/api/repo/v1/repository/", ["name": "registry.example.com/team/app", "username": "u", "password": "hunter2"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertFalse(created.text.contains("hunter2"))
        XCTAssertEqual(created.object["registry"] as? String, "/api/repo/v1/alice/registry/registry.example.com/")
        XCTAssertEqual(created.object["in_use"] as? Bool, false)
        let dup = try await alice.post("/api/repo/v1/repository/", ["name": "registry.example.com/team/app"])
        XCTAssertEqual(dup.status, 409)
        let tagged = try await alice.post("/api/repo/v1/repository/", ["name": "registry.example.com/team/app:1.0"])
        XCTAssertEqual(tagged.status, 400)

        _ = try await alice.createService(["image": "registry.example.com/team/app:2.0", "name": "app"])
        let fetched = try await alice.get("/api/repo/v1/repository/registry.example.com/team/app/")
        XCTAssertEqual(fetched.status, 200)
        XCTAssertEqual(fetched.object["in_use"] as? Bool, true)
        XCTAssertFalse(fetched.text.contains("hunter2"))
        let patched = try await alice.patch("/api/repo/v1/repository/registry.example.com/team/app/", ["password": "new-secret"])
        XCTAssertEqual(patched.status, 200)
        XCTAssertFalse(patched.text.contains("new-secret"))
        let registries = try await alice.get("/api/repo/v1/registry/").objects.map { $0["host"] as! String }
        XCTAssertEqual(registries, ["registry-1.docker.io", "registry.example.com"])
        let hub = try await alice.get("/api/repo/v1/registry/registry-1.docker.io/").object
        XCTAssertEqual(hub["is_docker_registry"] as? Bool, true)
        let deleted = try await alice.delete("/api/repo/v1/repository/registry.example.com/team/app/")
        XCTAssertEqual(deleted.status, 200)
        XCTAssertEqual(deleted.object["name"] as? String, "registry.example.com/team/app", "every answer carries a JSON body")
        XCTAssertNotNil(deleted.actionURI)
        let gone = try await alice.get("/api/repo/v1/repository/registry.example.com/team/app/")
        XCTAssertEqual(gone.status, 404)
        let actions = try await alice.get("/api/audit/v1/action/?limit=0").text
        XCTAssertFalse(actions.contains("hunter2") || actions.contains("new-secret"))
    }

    func testTriggersRedeployAndScaleWithoutCredentials() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "hooked", "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        let uuid = s["uuid"] as! String
        _ = try await alice.waitForAction(try await alice.post(uri + "start/"))
        let redeploy = try await alice.post(uri + "trigger/", ["name": "deploy-hook", "operation": "REDEPLOY"])
        XCTAssertEqual(redeploy.status, 201, redeploy.text)
        let scale = try await alice.post("/api/app/v1/service/\(uuid)//trigger/", ["operation": "SCALEUP"])
        XCTAssertEqual(scale.status, 201, "the Python 2 SDK's doubled slash reaches the trigger collection")
        let badOp = try await alice.post(uri + "trigger/", ["operation": "EXPLODE"])
        XCTAssertEqual(badOp.status, 400)
        let list = try await alice.get("/api/app/v1/service/\(uuid)//trigger/").objects
        XCTAssertEqual(list.count, 2)
        XCTAssertEqual(Set(list.map { $0["operation"] as! String }), ["REDEPLOY", "SCALEUP"])
        let url = redeploy.object["url"] as! String
        XCTAssertTrue(url.hasSuffix("/call/"))

        let anonymous = Client(server, user: nil)
        let before = try await alice.get("/api/app/v1/container/?service=\(uri)").objects.map { $0["uuid"] as! String }
        let called = try await anonymous.post(url)
        XCTAssertEqual(called.status, 202, called.text)
        let action = try await alice.waitForAction(called)
        XCTAssertEqual(action["action"] as? String, "Service Redeploy")
        XCTAssertEqual(action["is_user_action"] as? Bool, false)
        let after = try await alice.waitFor("/api/app/v1/container/?service=\(uri)&state=Running") { ($0["objects"] as? [[String: Any]])?.count == 1 }
        XCTAssertFalse(before.contains((after["objects"] as! [[String: Any]])[0]["uuid"] as! String))

        let scaleURL = scale.object["url"] as! String
        let scaled = try await anonymous.post(scaleURL + "3/")
        XCTAssertEqual(scaled.status, 202, scaled.text)
        _ = try await alice.waitForAction(scaled)
        let grown = try await alice.waitFor(uri) { ($0["running_num_containers"] as? Int) == 4 }
        XCTAssertEqual(grown["target_num_containers"] as? Int, 4)

        let forged = try await anonymous.post("/api/app/v1/service/\(uuid)/trigger/\(UUID().uuidString.lowercased())/call/")
        XCTAssertEqual(forged.status, 404)
        let removed = try await alice.delete(redeploy.object["resource_uri"] as! String)
        XCTAssertEqual(removed.status, 200)
        XCTAssertEqual(removed.object["name"] as? String, "deploy-hook")
        let stale = try await anonymous.post(url)
        XCTAssertEqual(stale.status, 404)
        let listWithoutAuth = try await anonymous.get("/api/app/v1/service/\(uuid)/trigger/")
        XCTAssertEqual(listWithoutAuth.status, 401, "only the call is unauthenticated")
    }

    func testActionsAreRecordedFilteredCanceledAndRetried() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "audited", "run_command": "sleep 600"])
        let uri = s["resource_uri"] as! String
        let start = try await alice.post(uri + "start/")
        let startAction = try await alice.waitForAction(start)
        XCTAssertEqual(startAction["user"] as? String, "alice")
        XCTAssertNotNil(startAction["end_date"] as? String)
        XCTAssertEqual(startAction["path"] as? String, uri + "start/")
        XCTAssertEqual(startAction["ip"] as? String, "127.0.0.1")
        let list = try await alice.get("/api/audit/v1/action/").objects
        XCTAssertEqual(list.first?["action"] as? String, "Service Start", "newest first")
        let forObject = try await alice.get("/api/audit/v1/action/?object=\(uri)").objects
        XCTAssertEqual(Set(forObject.map { $0["action"] as! String }), ["Service Create", "Service Start"])
        let success = try await alice.get("/api/audit/v1/action/?state=Success").objects
        XCTAssertEqual(success.count, 2)
        let since = try await alice.get("/api/audit/v1/action/?start_date__gte=2000-01-01T00:00:00Z").objects
        XCTAssertEqual(since.count, 2)
        let future = try await alice.get("/api/audit/v1/action/?start_date__gte=2999-01-01T00:00:00Z").objects
        XCTAssertEqual(future.count, 0)

        let cancel = try await alice.post((startAction["resource_uri"] as! String) + "cancel/")
        XCTAssertEqual(cancel.status, 400, "a finished action cannot be canceled")
        _ = try await alice.waitForAction(try await alice.post(uri + "stop/"))
        let stopAction = try await alice.get("/api/audit/v1/action/").objects[0]
        let retry = try await alice.post((startAction["resource_uri"] as! String) + "retry/")
        XCTAssertEqual(retry.status, 202, retry.text)
        XCTAssertEqual(retry.object["action"] as? String, "Service Start")
        XCTAssertNotEqual(retry.object["uuid"] as? String, startAction["uuid"] as? String)
        _ = try await alice.waitForState(uri, "Running")
        XCTAssertEqual(stopAction["action"] as? String, "Service Stop")

        let bob = Client(server, user: "bob")
        let hidden = try await bob.get(startAction["resource_uri"] as! String)
        XCTAssertEqual(hidden.status, 404, "actions of other namespaces are invisible")
        let create = try await alice.get("/api/audit/v1/action/?object=\(uri)&state=Success").objects.first { $0["action"] as? String == "Service Create" }!
        let noRetry = try await alice.post((create["resource_uri"] as! String) + "retry/")
        XCTAssertEqual(noRetry.status, 400, "a create carried a body that is not kept")
    }
}
