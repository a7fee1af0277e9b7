import DockerCloudAPI
import Foundation
import XCTest

final class ModelTests: XCTestCase {
    func testRFC1123RoundTrip() {
        let date = Date(timeIntervalSince1970: 1_413_198_103)  // Mon, 13 Oct 2014 11:01:43 +0000
        XCTAssertEqual(APIDate.rfc1123(date), "Mon, 13 Oct 2014 11:01:43 +0000")
        XCTAssertEqual(APIDate.parseRFC1123("Mon, 13 Oct 2014 11:01:43 +0000"), date)
        XCTAssertEqual(APIDate.iso8601(date), "2014-10-13T11:01:43Z")
        XCTAssertEqual(APIDate.parseISO8601("2014-10-13T11:01:43Z"), date)
        XCTAssertNil(APIDate.parseRFC1123("2014-10-13T11:01:43Z"))
        // Leap years and the turn of a century.
        XCTAssertEqual(APIDate.rfc1123(APIDate.parseISO8601("2000-02-29T23:59:59Z")!), "Tue, 29 Feb 2000 23:59:59 +0000")
        XCTAssertEqual(APIDate.rfc1123(APIDate.parseISO8601("2100-03-01T00:00:00Z")!), "Mon, 01 Mar 2100 00:00:00 +0000")
    }

    func testAbsentAttributesEncodeAsNull() throws {
        let data = try JSONEncoder().encode(Container())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["exit_code", "exit_code_msg", "node", "service", "deployed_datetime", "private_ip", "cpu_shares", "memory"] {
            XCTAssertTrue(object.keys.contains(key), "\(key) is missing")
            XCTAssertTrue(object[key] is NSNull, "\(key) is not null")
        }
    }

    func testDocumentedServiceAttributesAreAllPresent() throws {
        let documented = ["autodestroy", "autoredeploy", "autorestart", "bindings", "cap_add", "cap_drop", "container_envvars",
                          "container_ports", "containers", "cpu_shares", "cpuset", "cgroup_parent", "current_num_containers",
                          "deployed_datetime", "deployment_strategy", "destroyed_datetime", "devices", "dns", "dns_search",
                          "domainname", "entrypoint", "extra_hosts", "hostname", "image_name", "nickname", "labels",
                          "link_variables", "linked_from_service", "linked_to_service", "mac_address", "memory", "memory_swap",
                          "name", "net", "pid", "privileged", "public_dns", "read_only", "resource_uri", "roles", "run_command",
                          "running_num_containers", "security_opt", "sequential_deployment", "started_datetime", "state",
                          "stack", "stdin_open", "stopped_datetime", "stopped_num_containers", "synchronized", "tags",
                          "target_num_containers", "tty", "user", "uuid", "working_dir"]
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(Service())) as? [String: Any])
        XCTAssertEqual(Set(documented).subtracting(object.keys), [])
    }

    func testPortsUseTheProtocolKey() throws {
        let json = String(decoding: try JSONEncoder().encode(ServicePort(inner_port: 80)), as: UTF8.self)
        XCTAssertTrue(json.contains("\"protocol\":\"tcp\""), json)
        let decoded = try JSONDecoder().decode(ServicePort.self, from: Data(#"{"protocol":"udp","inner_port":53,"outer_port":null,"port_name":null,"endpoint_uri":null,"published":false}"#.utf8))
        XCTAssertEqual(decoded.protocol_, "udp")
    }

    func testResourceURIs() {
        XCTAssertEqual(ResourceURI.object(.service, namespace: "alice", id: "u"), "/api/app/v1/alice/service/u/")
        XCTAssertEqual(ResourceURI.object(.action, namespace: "alice", id: "u"), "/api/audit/v1/action/u/")
        XCTAssertEqual(ResourceURI.region("aws", "us-east-1"), "/api/infra/v1/region/aws/us-east-1/")
        XCTAssertEqual(ResourceURI.lastSegment("/api/app/v1/alice/service/u/"), "u")
    }
}
