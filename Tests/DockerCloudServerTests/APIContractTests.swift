import Foundation
import XCTest

/// The REST contract: auth, namespaces, list envelopes, filters, dates, nulls, paths, bad input.
final class APIContractTests: ServerTestCase {

    func testMissingOrWrongCredentialsGet401WithAJSONBody() async throws {
        for client in [Client(server, user: nil), Client(server, user: "alice", key: "wrong"), Client(server, user: "nobody")] {
            let r = try await client.get("/api/app/v1/service/")
            XCTAssertEqual(r.status, 401)
            XCTAssertNotNil(r.object["error"] as? String, r.text)
        }
        var apiKey = Client(server, user: nil)
        apiKey.authorization = "ApiKey alice:alicekey"
        let ok = try await apiKey.get("/api/app/v1/service/")
        XCTAssertEqual(ok.status, 200)
    }

    func testAUserSeesTheirNamespaceAndTheirOrganisationsOnly() async throws {
        let bob = Client(server, user: "bob")
        let carol = Client(server, user: "carol")
        let mine = try await alice.createService(["image": "busybox", "name": "private"])
        let inOrg = try await alice.post("/api/app/v1/acme/service/", ["image": "busybox", "name": "shared"])
        XCTAssertEqual(inOrg.status, 201)
        XCTAssertTrue((inOrg.object["resource_uri"] as! String).hasPrefix("/api/app/v1/acme/service/"))

        let bobsOwn = try await bob.get("/api/app/v1/service/")
        XCTAssertEqual(bobsOwn.objects.count, 0)
        let bobInAlice = try await bob.get("/api/app/v1/alice/service/")
        XCTAssertEqual(bobInAlice.status, 403)
        let bobByURI = try await bob.get(mine["resource_uri"] as! String)
        XCTAssertEqual(bobByURI.status, 403)
        let bobByUUID = try await bob.get("/api/app/v1/service/\(mine["uuid"]!)/")
        XCTAssertEqual(bobByUUID.status, 404)
        let bobInOrg = try await bob.get("/api/app/v1/acme/service/")
        XCTAssertEqual(bobInOrg.objects.map { $0["name"] as? String }, ["shared"])
        let carolInOrg = try await carol.get("/api/app/v1/acme/service/")
        XCTAssertEqual(carolInOrg.status, 403)
        // An unknown namespace answers as one that exists but is not hers: names cannot be probed.
        let unknown = try await alice.get("/api/app/v1/nosuchorg/service/")
        XCTAssertEqual(unknown.status, 403)
        let othersAnswer = try await alice.get("/api/app/v1/bob/service/")
        XCTAssertEqual(othersAnswer.status, 403)
        XCTAssertEqual(unknown.text.replacingOccurrences(of: "nosuchorg", with: "bob"), othersAnswer.text)
        let bobStops = try await bob.post((mine["resource_uri"] as! String) + "start/")
        XCTAssertEqual(bobStops.status, 403)
    }

    func testListsArePagedWithMetaAndFiltered() async throws {
        for i in 0..<30 { _ = try await alice.createService(["image": "busybox", "name": "svc\(i)"]) }
        let first = try await alice.get("/api/app/v1/service/")
        let meta = try XCTUnwrap(first.object["meta"] as? [String: Any])
        XCTAssertEqual(meta["limit"] as? Int, 25)
        XCTAssertEqual(meta["offset"] as? Int, 0)
        XCTAssertEqual(meta["total_count"] as? Int, 30)
        XCTAssertTrue(meta["previous"] is NSNull)
        let next = try XCTUnwrap(meta["next"] as? String)
        XCTAssertTrue(next.contains("offset=25"), next)
        XCTAssertEqual(first.objects.count, 25)
        XCTAssertEqual(first.objects.first?["name"] as? String, "svc0")
        let second = try await alice.get(next)
        XCTAssertEqual(second.objects.map { $0["name"] as! String }, (25..<30).map { "svc\($0)" })
        XCTAssertTrue((second.object["meta"] as! [String: Any])["next"] is NSNull)
        let all = try await alice.get("/api/app/v1/service/?limit=0")
        XCTAssertEqual(all.objects.count, 30)

        let byName = try await alice.get("/api/app/v1/service/?name=svc7")
        XCTAssertEqual(byName.objects.count, 1)
        let uuid = byName.objects[0]["uuid"] as! String
        let byPrefix = try await alice.get("/api/app/v1/service/?uuid__startswith=\(uuid.prefix(8))")
        XCTAssertEqual(byPrefix.objects.map { $0["uuid"] as! String }, [uuid])
        let prefixed = try await alice.get("/api/app/v1/service/?name__startswith=svc1&limit=0")
        XCTAssertEqual(prefixed.objects.count, 11)
        let literal = try await alice.get("/api/app/v1/service/?name__startswith=svc_&limit=0")
        XCTAssertEqual(literal.objects.count, 0, "LIKE wildcards in a prefix are taken literally")
        let byState = try await alice.get("/api/app/v1/service/?state=Not%20running&limit=5")
        XCTAssertEqual((byState.object["meta"] as! [String: Any])["total_count"] as? Int, 30)
        let none = try await alice.get("/api/app/v1/service/?state=Running")
        XCTAssertEqual(none.objects.count, 0)
        let bad = try await alice.get("/api/app/v1/service/?colour=blue")
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("colour"), bad.text)
        let badLimit = try await alice.get("/api/app/v1/service/?limit=-1")
        XCTAssertEqual(badLimit.status, 400)
        // Offsets at and past Int's limit: a 400 naming the field, never a trap that ends the server
        // for everyone (offset + limit once overflowed); the largest accepted one is an empty page.
        for offset in ["9223372036854775807", "9223372036854775808", "99999999999999999999999", "1000000001"] {
            for path in ["/api/app/v1/service/", "/api/infra/v1/provider/", "/api/audit/v1/action/"] {
                let huge = try await alice.get(path + "?offset=\(offset)&limit=1000")
                XCTAssertEqual(huge.status, 400, "\(path) offset \(offset): \(huge.text)")
                XCTAssertTrue(huge.text.contains("offset"), huge.text)
            }
        }
        let farthest = try await alice.get("/api/app/v1/service/?offset=1000000000&limit=1000")
        XCTAssertEqual(farthest.status, 200, farthest.text)
        XCTAssertEqual(farthest.objects.count, 0)
        XCTAssertTrue((farthest.object["meta"] as! [String: Any])["next"] is NSNull)
        let alive = try await alice.get("/api/app/v1/service/?limit=1")
        XCTAssertEqual(alive.status, 200, "the server is still there")
    }

    func testAbsentValuesAreNullAndDatesAreRFC1123() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "dated", "run_command": "sleep 60"])
        for key in ["deployed_datetime", "started_datetime", "stopped_datetime", "destroyed_datetime", "stack", "cpu_shares", "memory"] {
            XCTAssertTrue(s.keys.contains(key), key)
            XCTAssertTrue(s[key] is NSNull, key)
        }
        let uri = s["resource_uri"] as! String
        _ = try await alice.post(uri + "start/")
        let running = try await alice.waitForState(uri, "Running")
        let date = try XCTUnwrap(running["deployed_datetime"] as? String)
        XCTAssertNotNil(date.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$"#, options: .regularExpression), date)
        let containers = try await alice.get("/api/app/v1/container/?service=\(uri)")
        let c = try XCTUnwrap(containers.objects.first)
        XCTAssertTrue(c["exit_code"] is NSNull)
        XCTAssertTrue(c["exit_code_msg"] is NSNull)
    }

    func testPathsWithDoubledOrMissingSlashesReachTheSameHandler() async throws {
        let s = try await alice.createService(["image": "busybox", "name": "slashes"])
        let uuid = s["uuid"] as! String
        for path in ["/api/app/v1/service/\(uuid)", "/api/app/v1/service//\(uuid)//", "/api/app/v1/alice/service/\(uuid)/"] {
            let r = try await alice.get(path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.object["uuid"] as? String, uuid, path)
        }
        let list = try await alice.get("/api/app/v1/service")
        XCTAssertEqual(list.status, 200)
    }

    func testBadInputGets400NamingTheFieldAndWritesNothing() async throws {
        let cases: [(Any?, String?, String)] = [
            (nil, "{not json", "JSON"),
            (["name": "x"], nil, "image"),
            (["image": "busybox", "target_num_containers": "many"], nil, "target_num_containers"),
            (["image": "busybox", "target_num_containers": 2.5], nil, "target_num_containers"),
            (["image": "busybox", "autorestart": "SOMETIMES"], nil, "autorestart"),
            (["image": "busybox", "deployment_strategy": "RANDOM"], nil, "deployment_strategy"),
            (["image": "busybox", "linked_to_service": [["to_service": "ghost", "name": "g"]]], nil, "linked_to_service[0].to_service"),
            (["image": "busybox", "container_ports": [["inner_port": 99999]]], nil, "container_ports[0].inner_port"),
            (["image": "busybox", "bindings": [["host_path": "/tmp"]]], nil, "bindings[0].container_path"),
            (["image": "busybox", "colour": "blue"], nil, "colour"),
            (["image": "busybox", "name": "no spaces please"], nil, "name"),
            (["image": 42], nil, "image"),
            ([1, 2, 3], nil, "object"),
        ]
        for (json, raw, field) in cases {
            let r = try await alice.request("POST", "/api/app/v1/service/", json: json, raw: raw)
            XCTAssertEqual(r.status, 400, "\(raw ?? String(describing: json!)): \(r.text)")
            XCTAssertTrue((r.object["error"] as? String ?? "").contains(field), "\(field) not named in \(r.text)")
        }
        let list = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(list.objects.count, 0, "nothing was written")
        // An environment variable without a value is an empty string, not an error.
        let bare = try await alice.post("/api/app/v1/service/", ["image": "busybox", "container_envvars": [["key": "A"]]])
        XCTAssertEqual(bare.status, 201, bare.text)
        XCTAssertEqual((bare.object["container_envvars"] as? [[String: String]])?.first?["value"], "")

        // A stack whose second service is invalid creates neither the stack nor the first service.
        let stack = try await alice.post("/api/app/v1/stack/", ["name": "broken", "services": [
            ["name": "ok", "image": "busybox"], ["name": "bad", "image": "busybox", "autodestroy": "NEVER"]]])
        XCTAssertEqual(stack.status, 400)
        XCTAssertTrue(stack.text.contains("services[1].autodestroy") || stack.text.contains("autodestroy"), stack.text)
        let stacks = try await alice.get("/api/app/v1/stack/")
        XCTAssertEqual(stacks.objects.count, 0)
        let services = try await alice.get("/api/app/v1/service/")
        XCTAssertEqual(services.objects.count, 1)
    }

    func testUnknownEndpointsAndMethods() async throws {
        let r = try await alice.get("/api/app/v1/widget/")
        XCTAssertEqual(r.status, 404)
        XCTAssertNotNil(r.object["error"])
        let m = try await alice.request("PUT", "/api/app/v1/service/")
        XCTAssertEqual(m.status, 405)
        let root = try await alice.get("/nothing-here")
        XCTAssertEqual(root.status, 404)
    }

    func testDuplicateNamesConflict() async throws {
        _ = try await alice.createService(["image": "busybox", "name": "dup"])
        let again = try await alice.post("/api/app/v1/service/", ["image": "busybox", "name": "dup"])
        XCTAssertEqual(again.status, 409)
    }

    func testTheOldCLIsRequestShapesAreAccepted() async throws {
        // docker-cloud 1.0.9 sends ports as strings and links by service name.
        _ = try await alice.createService(["image": "busybox", "name": "db"])
        let r = try await alice.post("/api/app/v1/service/", [
            "image": "alice/app:1.0", "name": "myweb", "autodestroy": "ALWAYS", "autoredeploy": true, "autorestart": "ON_FAILURE",
            "bindings": [["container_path": "/data"], ["container_path": "/c", "host_path": "/host", "rewritable": false]],
            "container_envvars": [["key": "A", "value": "1"], ["key": "B", "value": "two=2"]],
            "container_ports": [["inner_port": "8080", "outer_port": "80", "protocol": "udp", "published": true],
                                ["inner_port": "9000", "protocol": "tcp", "published": false]],
            "cpu_shares": 512, "deployment_strategy": "HIGH_AVAILABILITY", "entrypoint": "/bin/sh",
            "linked_to_service": [["name": "mysql", "to_service": "db"]], "memory": 256, "net": "host", "pid": "host",
            "privileged": true, "roles": ["global"], "run_command": "python app.py", "sequential_deployment": true,
            "tags": [["name": "t1"], ["name": "t2"]], "target_num_containers": 3,
        ])
        XCTAssertEqual(r.status, 201, r.text)
        let ports = r.object["container_ports"] as! [[String: Any]]
        XCTAssertEqual(ports[0]["inner_port"] as? Int, 8080)
        XCTAssertEqual(ports[0]["outer_port"] as? Int, 80)
        XCTAssertEqual(ports[0]["protocol"] as? String, "udp")
        let links = r.object["linked_to_service"] as! [[String: Any]]
        XCTAssertTrue((links[0]["to_service"] as! String).hasPrefix("/api/app/v1/alice/service/"))
        XCTAssertEqual(links[0]["from_service"] as? String, r.object["resource_uri"] as? String)
        XCTAssertEqual(r.object["image_name"] as? String, "alice/app:1.0")
    }
}
