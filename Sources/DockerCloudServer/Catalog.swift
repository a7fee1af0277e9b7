import DockerCloudAPI
import Foundation

/// The built-in catalog of providers, regions, availability zones and node types, so that
/// `nodecluster create NAME PROVIDER REGION TYPE` names something real. The `local` provider is
/// for nodes attached by the operator (or simulated): its one region and type fit any machine.
struct Catalog: Sendable {
    /// The catalog is constant: built once, not per request.
    static let shared = Catalog()

    struct TypeInfo: Sendable { var name: String; var label: String; var cpu: Int; var memory: Int }
    struct RegionInfo: Sendable { var name: String; var label: String; var zones: [String] }
    struct ProviderInfo: Sendable { var name: String; var label: String; var regions: [RegionInfo]; var types: [TypeInfo] }

    /// Hosts users bring (`docker-cloud node byo`): Docker engines reached over mutual TLS.
    static let broughtProvider = "byon"

    let providers: [ProviderInfo] = [
        ProviderInfo(name: "local", label: "Local nodes", regions: [RegionInfo(name: "local", label: "Local", zones: [])],
                     types: [TypeInfo(name: "local", label: "Local node", cpu: 2, memory: 2048)]),
        ProviderInfo(name: "digitalocean", label: "Digital Ocean", regions: [
            RegionInfo(name: "ams2", label: "Amsterdam 2", zones: []), RegionInfo(name: "ams3", label: "Amsterdam 3", zones: []),
            RegionInfo(name: "fra1", label: "Frankfurt 1", zones: []), RegionInfo(name: "lon1", label: "London 1", zones: []),
            RegionInfo(name: "nyc1", label: "New York 1", zones: []), RegionInfo(name: "nyc3", label: "New York 3", zones: []),
            RegionInfo(name: "sfo2", label: "San Francisco 2", zones: []), RegionInfo(name: "sgp1", label: "Singapore 1", zones: []),
        ], types: [
            TypeInfo(name: "1gb", label: "1GB", cpu: 1, memory: 1024), TypeInfo(name: "2gb", label: "2GB", cpu: 2, memory: 2048),
            TypeInfo(name: "4gb", label: "4GB", cpu: 2, memory: 4096), TypeInfo(name: "8gb", label: "8GB", cpu: 4, memory: 8192),
            TypeInfo(name: "16gb", label: "16GB", cpu: 8, memory: 16384),
        ]),
        ProviderInfo(name: "aws", label: "Amazon Web Services", regions: [
            RegionInfo(name: "us-east-1", label: "US East (N. Virginia)", zones: ["us-east-1a", "us-east-1b", "us-east-1c"]),
            RegionInfo(name: "us-west-2", label: "US West (Oregon)", zones: ["us-west-2a", "us-west-2b", "us-west-2c"]),
            RegionInfo(name: "eu-west-1", label: "EU (Ireland)", zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ], types: [
            TypeInfo(name: "t2.nano", label: "T2 Nano", cpu: 1, memory: 512), TypeInfo(name: "t2.micro", label: "T2 Micro", cpu: 1, memory: 1024),
            TypeInfo(name: "t2.small", label: "T2 Small", cpu: 1, memory: 2048), TypeInfo(name: "t2.medium", label: "T2 Medium", cpu: 2, memory: 4096),
            TypeInfo(name: "m4.large", label: "M4 Large", cpu: 2, memory: 8192),
        ]),
        ProviderInfo(name: broughtProvider, label: "Bring your own node", regions: [RegionInfo(name: broughtProvider, label: "Your own hosts", zones: [])],
                     types: [TypeInfo(name: broughtProvider, label: "Your own host", cpu: 1, memory: 1024)]),
    ]

    var providerObjects: [Provider] {
        providers.map { p in
            var o = Provider()
            o.name = p.name; o.label = p.label
            o.regions = p.regions.map { ResourceURI.region(p.name, $0.name) }
            o.resource_uri = ResourceURI.provider(p.name)
            return o
        }
    }

    var regionObjects: [Region] {
        providers.flatMap { p in p.regions.map { r in
            var o = Region()
            o.name = r.name; o.label = r.label
            o.node_types = p.types.map { ResourceURI.nodeType(p.name, $0.name) }
            o.availability_zones = r.zones.map { ResourceURI.az(p.name, r.name, $0) }
            o.provider = ResourceURI.provider(p.name)
            o.resource_uri = ResourceURI.region(p.name, r.name)
            return o
        } }
    }

    var zoneObjects: [AvailabilityZone] {
        providers.flatMap { p in p.regions.flatMap { r in r.zones.map { z in
            var o = AvailabilityZone()
            o.name = z
            o.region = ResourceURI.region(p.name, r.name)
            o.resource_uri = ResourceURI.az(p.name, r.name, z)
            return o
        } } }
    }

    var nodeTypeObjects: [NodeType] {
        providers.flatMap { p in p.types.map { t in
            var o = NodeType()
            o.name = t.name; o.label = t.label
            o.regions = p.regions.map { ResourceURI.region(p.name, $0.name) }
            o.availability_zones = p.regions.flatMap { r in r.zones.map { ResourceURI.az(p.name, r.name, $0) } }
            o.provider = ResourceURI.provider(p.name)
            o.resource_uri = ResourceURI.nodeType(p.name, t.name)
            return o
        } }
    }

    func typeInfo(uri: String) -> (ProviderInfo, TypeInfo)? {
        for p in providers { for t in p.types where ResourceURI.nodeType(p.name, t.name) == normalize(uri) { return (p, t) } }
        return nil
    }

    func regionInfo(uri: String) -> (ProviderInfo, RegionInfo)? {
        for p in providers { for r in p.regions where ResourceURI.region(p.name, r.name) == normalize(uri) { return (p, r) } }
        return nil
    }

    /// Accepts a URI with or without its trailing slash.
    func normalize(_ uri: String) -> String { uri.hasSuffix("/") ? uri : uri + "/" }
}
