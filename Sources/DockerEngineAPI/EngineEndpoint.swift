import Foundation
import NIOSSL

/// Where a Docker engine listens, and how to talk to it: a unix socket, or TCP with or without
/// TLS (client certificates in the `DOCKER_CERT_PATH` layout: `ca.pem`, `cert.pem`, `key.pem`).
public struct EngineEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case unix(path: String)
        case tcp(host: String, port: Int)
    }

    /// The TLS material of a TCP endpoint: the CA that signed the engine's certificate and our own
    /// certificate and key.
    public struct TLSFiles: Sendable, Hashable {
        public var caFile: String
        public var certFile: String
        public var keyFile: String
        /// The same material held in memory (PEM text) instead of files; files are then not read.
        public var inline: Inline?
        public struct Inline: Sendable, Hashable { public var ca, certificate, key: String }
        public init(caFile: String, certFile: String, keyFile: String) {
            self.caFile = caFile; self.certFile = certFile; self.keyFile = keyFile
        }
        public init(pemCA ca: String, certificate: String, key: String) {
            self.init(caFile: "(memory)", certFile: "(memory)", keyFile: "(memory)")
            inline = Inline(ca: ca, certificate: certificate, key: key)
        }
        /// `DIR/ca.pem`, `DIR/cert.pem`, `DIR/key.pem`, as docker's `DOCKER_CERT_PATH` lays them out.
        public init(certDirectory dir: String) {
            self.init(caFile: dir + "/ca.pem", certFile: dir + "/cert.pem", keyFile: dir + "/key.pem")
        }
    }

    public var address: Address
    public var tls: TLSFiles?
    /// The SHA-256 of the one certificate (DER) the engine may present (a node brought by a
    /// user: its certificate was signed for it and recorded). With a pin the CA and host name
    /// checks give way to it: nothing else is accepted, whoever signed it.
    public var pinnedCertificateSHA256: [UInt8]?

    public init(address: Address, tls: TLSFiles? = nil, pinnedCertificateSHA256: [UInt8]? = nil) {
        self.address = address
        self.tls = tls
        self.pinnedCertificateSHA256 = pinnedCertificateSHA256
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `unix:///var/run/docker.sock`, `/var/run/docker.sock`, `tcp://HOST:PORT` (also `http://`,
    /// `https://`). Without a port, TCP uses 2376 with TLS and 2375 without, as docker does.
    public init(parsing text: String, certDirectory: String? = nil) throws {
        let tls = certDirectory.map(TLSFiles.init(certDirectory:))
        if text.hasPrefix("/") {
            self.init(address: .unix(path: text)); return
        }
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw ParseError(description: "'\(text)': a unix socket needs an absolute path (unix:///var/run/docker.sock)") }
            self.init(address: .unix(path: path)); return
        }
        var rest = text
        var secure = tls != nil
        for scheme in ["tcp://", "http://", "https://"] where rest.hasPrefix(scheme) {
            rest = String(rest.dropFirst(scheme.count))
            if scheme == "https://" { secure = true }
        }
        guard rest != text || !text.contains("://") else {
            throw ParseError(description: "'\(text)' is not an engine address: use unix:///PATH or tcp://HOST:PORT")
        }
        while rest.hasSuffix("/") { rest.removeLast() }
        var host = rest
        var port = secure ? 2376 : 2375
        if let close = rest.lastIndex(of: "]"), rest.hasPrefix("[") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw ParseError(description: "'\(text)': the port is not a number from 1 to 65535") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw ParseError(description: "'\(text)': the port is not a number from 1 to 65535")
            }
            port = p
        }
        guard !host.isEmpty else { throw ParseError(description: "'\(text)': no host") }
        if secure && tls == nil {
            throw ParseError(description: "'\(text)': TLS needs a certificate directory (ca.pem, cert.pem, key.pem)")
        }
        self.init(address: .tcp(host: host, port: port), tls: secure ? tls : nil)
    }

    /// The endpoint docker's own CLI would use: `DOCKER_HOST` (with `DOCKER_CERT_PATH` when
    /// `DOCKER_TLS_VERIFY` is set), else `/var/run/docker.sock`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> EngineEndpoint {
        guard let host = env["DOCKER_HOST"], !host.isEmpty else { return EngineEndpoint(address: .unix(path: "/var/run/docker.sock")) }
        let verify = !(env["DOCKER_TLS_VERIFY"] ?? "").isEmpty
        let home = env["HOME"] ?? "/root"
        let certs = verify ? (env["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.docker") : nil
        return try EngineEndpoint(parsing: host, certDirectory: certs)
    }

    public var description: String {
        switch address {
        case .unix(let path): return "unix://" + path
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "tcp://\(h):\(port)" + (tls != nil ? " (TLS)" : "")
        }
    }

    /// The TLS context for this endpoint's certificates: the engine must present a certificate
    /// signed by the CA, and we present ours.
    func makeTLSContext() throws -> NIOSSLContext? {
        guard let tls else { return nil }
        var config = TLSConfiguration.makeClientConfiguration()
        if let inline = tls.inline {
            do {
                config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(inline.ca.utf8)))
                config.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(inline.certificate.utf8)).map { .certificate($0) }
                config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(inline.key.utf8), format: .pem))
                config.certificateVerification = .fullVerification
                return try NIOSSLContext(configuration: config)
            } catch {
                throw EngineError(.tls, "the TLS material of \(self) is not usable: \(error)")
            }
        }
        for file in [tls.caFile, tls.certFile, tls.keyFile] where !FileManager.default.isReadableFile(atPath: file) {
            throw EngineError(.tls, "cannot read \(file) (the TLS files of \(self))")
        }
        do {
            config.trustRoots = .file(tls.caFile)
            config.certificateChain = try NIOSSLCertificate.fromPEMFile(tls.certFile).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(file: tls.keyFile, format: .pem))
            config.certificateVerification = .fullVerification
            return try NIOSSLContext(configuration: config)
        } catch {
            throw EngineError(.tls, "the TLS files of \(self) are not usable: \(error)")
        }
    }
}
