// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "docker-cloud",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "docker-cloud-server", targets: ["docker-cloud-server"]),
        .library(name: "DockerCloudAPI", targets: ["DockerCloudAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Resource models, URIs and API paths shared by client and server. Foundation only.
        .target(name: "DockerCloudAPI"),
        // The API server: HTTP + websocket routes, store, reconciler, node drivers.
        .target(
            name: "DockerCloudServer",
            dependencies: [
                "DockerCloudAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(name: "docker-cloud-server", dependencies: ["DockerCloudServer"]),
        // make bench: drives a real docker-cloud-server over loopback.
        .executableTarget(
            name: "server-bench",
            dependencies: [
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            // A script-like program with threads and top-level state: Swift 5 checking suits it.
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(name: "DockerCloudAPITests", dependencies: ["DockerCloudAPI"]),
        .testTarget(
            name: "DockerCloudServerTests",
            dependencies: [
                "DockerCloudServer",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
    ]
)
