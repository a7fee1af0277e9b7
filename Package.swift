// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "docker-cloud",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "docker-cloud", targets: ["docker-cloud"]),
        .executable(name: "docker-cloud-server", targets: ["docker-cloud-server"]),
        .library(name: "DockerCloudAPI", targets: ["DockerCloudAPI"]),
        .library(name: "DockerCloudKit", targets: ["DockerCloudKit"]),
        .library(name: "DockerEngineAPI", targets: ["DockerEngineAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Used directly by the server's HTTP/websocket channel (already in Hummingbird's graph).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // TLS with client certificates to Docker engines (the DOCKER_CERT_PATH layout).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        // Stackfiles (docker-cloud.yml / docker-compose.yml) and `stack export`.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // API keys as salted PBKDF2 hashes, registry passwords sealed with ChaCha20-Poly1305 (the server only).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // AsyncChannel: input to a process handed over with backpressure (already in Hummingbird's graph).
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        // The node CA: certificates for node engines and the server's client certificate (issue 11).
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // Streams end at the server's graceful shutdown (already in Hummingbird's graph).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Resource models, URIs and API paths shared by client and server. Foundation only.
        .target(name: "DockerCloudAPI"),
        // libcurl (Debian: libcurl4-openssl-dev): its headers at build time; the library is opened
        // with dlopen on the first request, so --help and --version never load it.
        .target(name: "CCurl"),
        // libedit's readline, for prompts with line editing (Debian: libedit-dev), opened on first use.
        .target(name: "CEdit"),
        // The client core: HTTP and websockets over libcurl. Must not depend on the server's packages.
        .target(name: "DockerCloudKit", dependencies: ["DockerCloudAPI", "CCurl"]),
        // The command line: the command table, the parser, help, and one file per noun.
        .target(name: "DockerCloudCLI", dependencies: ["DockerCloudKit", "DockerCloudAPI", "CEdit", .product(name: "Yams", package: "Yams")]),
        // A Docker Engine API client of its own, usable without the server: unix socket, TCP, TLS,
        // version negotiation, stream demultiplexing, hijacked connections, events.
        .target(
            name: "DockerEngineAPI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The API server: HTTP + websocket routes, store, reconciler, node drivers.
        .target(
            name: "DockerCloudServer",
            dependencies: [
                "DockerCloudAPI",
                "DockerEngineAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .executableTarget(name: "docker-cloud", dependencies: ["DockerCloudCLI"]),
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
        .testTarget(name: "DockerCloudKitTests", dependencies: ["DockerCloudKit"]),
        .testTarget(name: "DockerEngineAPITests", dependencies: ["DockerEngineAPI"]),
        .testTarget(name: "DockerCloudCLITests", dependencies: ["DockerCloudCLI", "DockerCloudAPI"]),
        .testTarget(
            name: "DockerCloudServerTests",
            dependencies: [
                "DockerCloudServer",
                "DockerCloudKit",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
    ]
)
