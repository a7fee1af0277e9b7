import Foundation

// Resource models of the Docker Cloud API, shared by client and server.
// Property names are the API's attribute names (snake_case) on purpose: they are the wire
// contract, and spelling them once here avoids a CodingKeys table per type. Optional attributes
// encode as `null` (see NullEncoding.swift); lists and objects default to empty.

public struct Tag: Codable, Equatable, Hashable, Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}

public struct EnvVar: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// An environment variable with where it came from, as `service env ls` shows it:
/// `user` (container_envvars), `image`, or `tutum` (set by the platform: links, API URLs).
public struct CalculatedEnvVar: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public var origin: String
    public init(key: String, value: String, origin: String) { self.key = key; self.value = value; self.origin = origin }
}

public struct ServicePort: Codable, Equatable, Sendable {
    public var protocol_: String
    public var inner_port: Int
    public var outer_port: Int?
    public var port_name: String?
    public var endpoint_uri: String?
    public var published: Bool
    enum CodingKeys: String, CodingKey { case protocol_ = "protocol", inner_port, outer_port, port_name, endpoint_uri, published }
    public init(protocol_: String = "tcp", inner_port: Int, outer_port: Int? = nil, port_name: String? = nil,
                endpoint_uri: String? = nil, published: Bool = false) {
        self.protocol_ = protocol_; self.inner_port = inner_port; self.outer_port = outer_port
        self.port_name = port_name; self.endpoint_uri = endpoint_uri; self.published = published
    }
}

public struct ContainerPort: Codable, Equatable, Sendable {
    public var protocol_: String
    public var inner_port: Int
    public var outer_port: Int?
    public var port_name: String?
    public var uri_protocol: String?
    public var endpoint_uri: String?
    public var published: Bool
    enum CodingKeys: String, CodingKey { case protocol_ = "protocol", inner_port, outer_port, port_name, uri_protocol, endpoint_uri, published }
    public init(protocol_: String = "tcp", inner_port: Int, outer_port: Int? = nil, port_name: String? = nil,
                uri_protocol: String? = nil, endpoint_uri: String? = nil, published: Bool = false) {
        self.protocol_ = protocol_; self.inner_port = inner_port; self.outer_port = outer_port; self.port_name = port_name
        self.uri_protocol = uri_protocol; self.endpoint_uri = endpoint_uri; self.published = published
    }
}

public struct ServiceBinding: Codable, Equatable, Sendable {
    public var host_path: String?
    public var container_path: String?
    public var rewritable: Bool
    public var volumes_from: String?
    public init(host_path: String? = nil, container_path: String? = nil, rewritable: Bool = true, volumes_from: String? = nil) {
        self.host_path = host_path; self.container_path = container_path; self.rewritable = rewritable; self.volumes_from = volumes_from
    }
}

public struct ContainerBinding: Codable, Equatable, Sendable {
    public var volume: String?
    public var host_path: String?
    public var container_path: String?
    public var rewritable: Bool
    public init(volume: String? = nil, host_path: String? = nil, container_path: String? = nil, rewritable: Bool = true) {
        self.volume = volume; self.host_path = host_path; self.container_path = container_path; self.rewritable = rewritable
    }
}

public struct ServiceLink: Codable, Equatable, Sendable {
    public var name: String
    public var from_service: String
    public var to_service: String
    public init(name: String, from_service: String, to_service: String) {
        self.name = name; self.from_service = from_service; self.to_service = to_service
    }
}

public struct ContainerLink: Codable, Equatable, Sendable {
    public var name: String
    public var from_container: String
    public var to_container: String
    public var endpoints: [String: String]
    public init(name: String, from_container: String, to_container: String, endpoints: [String: String]) {
        self.name = name; self.from_container = from_container; self.to_container = to_container; self.endpoints = endpoints
    }
}

public struct Action: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var object: String?
    public var action = ""
    public var method = ""
    public var path = ""
    public var user = ""
    public var user_agent = ""
    public var start_date: String?
    public var end_date: String?
    public var state = "Pending"
    public var ip = ""
    public var location = ""
    public var is_user_action = true
    public var can_be_canceled = false
    public var can_be_retried = false
    public init() {}
}

public struct Provider: Codable, Equatable, Sendable {
    public var name = ""
    public var label = ""
    public var regions: [String] = []
    public var available = true
    public var resource_uri = ""
    public init() {}
}

public struct Region: Codable, Equatable, Sendable {
    public var name = ""
    public var label = ""
    public var node_types: [String] = []
    public var availability_zones: [String] = []
    public var provider = ""
    public var available = true
    public var resource_uri = ""
    public init() {}
}

public struct AvailabilityZone: Codable, Equatable, Sendable {
    public var name = ""
    public var region = ""
    public var available = true
    public var resource_uri = ""
    public init() {}
}

public struct NodeType: Codable, Equatable, Sendable {
    public var name = ""
    public var label = ""
    public var regions: [String] = []
    public var availability_zones: [String] = []
    public var provider = ""
    public var available = true
    public var resource_uri = ""
    public init() {}
}

public struct NodeCluster: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var name = ""
    public var nickname = ""
    public var state = "Init"
    public var node_type = ""
    public var region = ""
    public var disk = 60
    public var nodes: [String] = []
    public var target_num_nodes = 1
    public var current_num_nodes = 0
    public var deployed_datetime: String?
    public var destroyed_datetime: String?
    public var tags: [Tag] = []
    public var provider_options: JSONValue = .object([:])
    public init() {}
}

public struct Node: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var external_fqdn = ""
    public var nickname = ""
    public var state = "Deploying"
    public var node_cluster: String?
    public var node_type = ""
    public var region = ""
    public var availability_zone: String?
    public var docker_execdriver = ""
    public var docker_graphdriver = ""
    public var docker_version = ""
    public var cpu = 1
    public var disk = 60
    public var memory = 1024
    public var current_num_containers = 0
    public var last_seen: String?
    public var public_ip = ""
    public var tunnel: String?
    public var deployed_datetime: String?
    public var destroyed_datetime: String?
    public var tags: [Tag] = []
    public init() {}
}

public struct Registry: Codable, Equatable, Sendable {
    public var name = ""
    public var host = ""
    public var is_docker_registry = false
    public var is_ssl = true
    public var port = 443
    public var resource_uri = ""
    public init() {}
}

public struct Repository: Codable, Equatable, Sendable {
    public var name = ""
    public var in_use = false
    public var registry = ""
    public var resource_uri = ""
    public init() {}
}

public struct Stack: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var name = ""
    public var nickname = ""
    public var state = "Not Running"
    public var synchronized = true
    public var services: [String] = []
    public var deployed_datetime: String?
    public var destroyed_datetime: String?
    public init() {}
}

public struct Service: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var image_name = ""
    public var name = ""
    public var nickname = ""
    public var public_dns: String?
    public var state = "Not running"
    public var synchronized = true
    public var net = "bridge"
    public var pid = "none"
    public var deployed_datetime: String?
    public var started_datetime: String?
    public var stopped_datetime: String?
    public var destroyed_datetime: String?
    public var target_num_containers = 1
    public var current_num_containers = 0
    public var running_num_containers = 0
    public var stopped_num_containers = 0
    public var stack: String?
    public var containers: [String] = []
    public var container_ports: [ServicePort] = []
    public var container_envvars: [EnvVar] = []
    public var calculated_envvars: [CalculatedEnvVar] = []
    public var labels: [String: String] = [:]
    public var working_dir = "/"
    public var user = ""
    public var hostname = ""
    public var domainname = ""
    public var mac_address = ""
    public var cgroup_parent = ""
    public var tty = false
    public var stdin_open = false
    public var dns: [String] = []
    public var dns_search: [String] = []
    public var cap_add: [String] = []
    public var cap_drop: [String] = []
    public var devices: [String] = []
    public var extra_hosts: [String] = []
    public var security_opt: [String] = []
    public var entrypoint = ""
    public var run_command = ""
    public var sequential_deployment = false
    public var cpu_shares: Int?
    public var cpuset = ""
    public var memory: Int?
    public var memory_swap: Int?
    public var linked_from_service: [ServiceLink] = []
    public var linked_to_service: [ServiceLink] = []
    public var bindings: [ServiceBinding] = []
    public var autorestart = "OFF"
    public var autodestroy = "OFF"
    public var roles: [String] = []
    public var link_variables: [String: String] = [:]
    public var privileged = false
    public var read_only = false
    public var deployment_strategy = "EMPTIEST_NODE"
    public var tags: [Tag] = []
    public var autoredeploy = false
    /// Our extension: the containers move off a node that stays unreachable, as those of
    /// HIGH_AVAILABILITY services do.
    public var reschedule = false
    public init() {}
}

public struct Container: Codable, Equatable, Sendable {
    public var uuid = ""
    public var resource_uri = ""
    public var image_name = ""
    public var name = ""
    public var node: String?
    public var service: String?
    public var public_dns: String?
    public var state = "Starting"
    public var synchronized = true
    public var exit_code: Int?
    public var exit_code_msg: String?
    public var deployed_datetime: String?
    public var started_datetime: String?
    public var stopped_datetime: String?
    public var destroyed_datetime: String?
    public var bindings: [ContainerBinding] = []
    public var container_ports: [ContainerPort] = []
    public var container_envvars: [EnvVar] = []
    public var labels: [String: String] = [:]
    public var working_dir = "/"
    public var user = ""
    public var hostname = ""
    public var domainname = ""
    public var mac_address = ""
    public var cgroup_parent = ""
    public var tty = false
    public var stdin_open = false
    public var dns: [String] = []
    public var dns_search: [String] = []
    public var cap_add: [String] = []
    public var cap_drop: [String] = []
    public var devices: [String] = []
    public var extra_hosts: [String] = []
    public var security_opt: [String] = []
    public var entrypoint = ""
    public var run_command = ""
    public var cpu_shares: Int?
    public var cpuset = ""
    public var memory: Int?
    public var memory_swap: Int?
    public var autorestart = "OFF"
    public var autodestroy = "OFF"
    public var roles: [String] = []
    public var linked_to_container: [ContainerLink] = []
    public var link_variables: [String: String] = [:]
    public var privileged = false
    public var read_only = false
    public var private_ip: String?
    public var net = "bridge"
    public var pid = "none"
    public init() {}
}

public struct Trigger: Codable, Equatable, Sendable {
    public var uuid = ""
    public var name = ""
    public var operation = "REDEPLOY"
    public var url = ""
    public var resource_uri = ""
    public init() {}
}

/// A message of the events stream.
public struct Event: Codable, Equatable, Sendable {
    public var type: String
    public var action: String
    public var parents: [String]
    public var resource_uri: String
    public var state: String?
    public var uuid: String
    public var datetime: String
    public init(type: String, action: String, parents: [String], resource_uri: String, state: String?, uuid: String, datetime: String) {
        self.type = type; self.action = action; self.parents = parents; self.resource_uri = resource_uri
        self.state = state; self.uuid = uuid; self.datetime = datetime
    }
}

/// A line of the logs streams (container, service and action logs).
public struct LogMessage: Codable, Equatable, Sendable {
    public var type = "log"
    public var source: String?
    public var log: String
    public var streamType: String?
    public var timestamp: Int
    public init(source: String?, log: String, streamType: String?, timestamp: Int) {
        self.source = source; self.log = log; self.streamType = streamType; self.timestamp = timestamp
    }
}

/// The list envelope of every collection endpoint.
public struct ListMeta: Codable, Equatable, Sendable {
    public var limit: Int
    public var offset: Int
    public var next: String?
    public var previous: String?
    /// Optional for clients: a server may leave it out, and then only `next` says whether more follow.
    public var total_count: Int?
    public init(limit: Int, offset: Int, next: String?, previous: String?, total_count: Int?) {
        self.limit = limit; self.offset = offset; self.next = next; self.previous = previous; self.total_count = total_count
    }
}

public struct ListPage<T: Codable & Sendable>: Codable, Sendable {
    public var meta: ListMeta
    public var objects: [T]
    public init(meta: ListMeta, objects: [T]) { self.meta = meta; self.objects = objects }
}

/// Documented states, so that client and server agree on spelling.
public enum States {
    public static let service = ["Not running", "Starting", "Running", "Partly running", "Scaling", "Redeploying",
                                 "Stopping", "Stopped", "Terminating", "Terminated"]
    public static let stack = ["Not Running", "Starting", "Running", "Partly running", "Stopping", "Stopped",
                               "Redeploying", "Terminating", "Terminated"]
    public static let container = ["Starting", "Running", "Stopping", "Stopped", "Terminating", "Terminated"]
    public static let nodeCluster = ["Init", "Deploying", "Deployed", "Partly deployed", "Scaling", "Terminating",
                                     "Terminated", "Empty cluster"]
    public static let node = ["Deploying", "Deployed", "Unreachable", "Upgrading", "Terminating", "Terminated"]
    public static let action = ["Pending", "In progress", "Canceling", "Canceled", "Success", "Failed"]
}

public enum Choices {
    public static let autorestart = ["OFF", "ON_FAILURE", "ALWAYS"]
    public static let autodestroy = ["OFF", "ON_SUCCESS", "ALWAYS"]
    public static let deploymentStrategy = ["EMPTIEST_NODE", "HIGH_AVAILABILITY", "EVERY_NODE"]
    public static let net = ["bridge", "host"]
    public static let pid = ["none", "host"]
    public static let roles = ["global"]
    public static let triggerOperation = ["REDEPLOY", "SCALEUP"]
    public static let portProtocol = ["tcp", "udp"]
}
