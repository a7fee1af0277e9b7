import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate authority of this server's nodes (issue 11): made at the first start in
/// `DIR/ca/`, it signs each node engine's TLS certificate for that host's address and the client
/// certificate the server presents to engines, so that every engine connection is verified both
/// ways. Keys are P-256, kept in 0600 files in a 0700 directory; the CA key never leaves it.
struct NodeAuthority: Sendable {
    let certificate: Certificate
    let key: Certificate.PrivateKey
    /// The server's client certificate and key, signed by the CA, kept in the DOCKER_CERT_PATH
    /// layout (`ca.pem`, `cert.pem`, `key.pem`) under `clientDir` (nil: in memory only).
    let clientDir: String?
    var clientCertificatePEM = ""
    var clientKeyPEM = ""

    static let caValidity: TimeInterval = 10 * 365 * 86_400
    static let leafValidity: TimeInterval = 825 * 86_400

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Opens the CA in `dir` (normally DATA/ca), making it and the server's client certificate at
    /// the first start. A half-made directory (a key without its certificate) is an error, never
    /// silently replaced: nodes already trust the CA that was there.
    static func open(dir: String, serverName: String = "docker-cloud-server") throws -> NodeAuthority {
        try PrivateFiles.privateDirectory(dir)
        let caKeyPath = dir + "/ca-key.pem", caPath = dir + "/ca.pem"
        let clientDir = dir + "/client"
        let caKeyText = try PrivateFiles.readText(caKeyPath)
        let caText = try PrivateFiles.readText(caPath)
        let certificate: Certificate, key: Certificate.PrivateKey
        switch (caKeyText, caText) {
        case let (keyText?, certText?):
            do {
                key = try Certificate.PrivateKey(pemEncoded: keyText)
                certificate = try Certificate(pemEncoded: certText)
            } catch {
                throw Failure(description: "\(dir): the node CA's files cannot be read (\(error)); restore them from a backup")
            }
            guard certificate.publicKey == key.publicKey else {
                throw Failure(description: "\(caKeyPath) does not belong to \(caPath); restore the pair from a backup")
            }
        case (nil, nil):
            let p256 = P256.Signing.PrivateKey()
            key = Certificate.PrivateKey(p256)
            certificate = try makeCACertificate(key: key, serverName: serverName)
            try PrivateFiles.write(caKeyPath, Data(p256.pemRepresentation.utf8))
            try PrivateFiles.write(caPath, Data(try certificate.serializeAsPEM().pemString.utf8))
        default:
            throw Failure(description: "\(dir): the node CA is incomplete (\(caKeyText == nil ? caKeyPath : caPath) is missing); restore it from a backup")
        }
        var authority = NodeAuthority(certificate: certificate, key: key, clientDir: clientDir)
        try authority.ensureClientCertificate(serverName: serverName)
        return authority
    }

    /// A CA that lives as long as the process (an --in-memory server, which writes nothing).
    static func ephemeral(serverName: String = "docker-cloud-server") throws -> NodeAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        var authority = NodeAuthority(certificate: try makeCACertificate(key: key, serverName: serverName), key: key, clientDir: nil)
        let p256 = P256.Signing.PrivateKey()
        let leaf = try authority.issue(publicKey: Certificate.PublicKey(p256.publicKey), commonName: serverName, addresses: [], usage: .clientAuth)
        authority.clientCertificatePEM = try leaf.serializeAsPEM().pemString
        authority.clientKeyPEM = p256.pemRepresentation
        return authority
    }

    private static func makeCACertificate(key: Certificate.PrivateKey, serverName: String) throws -> Certificate {
        let name = try DistinguishedName { CommonName("\(serverName) node CA") }
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(caValidity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
    }

    /// The PEM of the CA certificate, which nodes are given to trust the server's client certificate.
    var certificatePEM: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    private mutating func ensureClientCertificate(serverName: String) throws {
        guard let clientDir else { return }
        try PrivateFiles.privateDirectory(clientDir)
        let certPath = clientDir + "/cert.pem", keyPath = clientDir + "/key.pem"
        if let text = try PrivateFiles.readText(certPath), let keyText = try PrivateFiles.readText(keyPath),
           let existing = try? Certificate(pemEncoded: text), existing.issuer == certificate.subject,
           existing.notValidAfter > Date().addingTimeInterval(30 * 86_400) {
            if try PrivateFiles.readText(clientDir + "/ca.pem") != certificatePEM {
                try PrivateFiles.write(clientDir + "/ca.pem", Data(certificatePEM.utf8))
            }
            clientCertificatePEM = text
            clientKeyPEM = keyText
            return
        }
        let p256 = P256.Signing.PrivateKey()
        let leaf = try issue(publicKey: Certificate.PublicKey(p256.publicKey), commonName: serverName, addresses: [], usage: .clientAuth)
        clientCertificatePEM = try leaf.serializeAsPEM().pemString
        clientKeyPEM = p256.pemRepresentation
        try PrivateFiles.write(keyPath, Data(clientKeyPEM.utf8))
        try PrivateFiles.write(certPath, Data(clientCertificatePEM.utf8))
        try PrivateFiles.write(clientDir + "/ca.pem", Data(certificatePEM.utf8))
    }

    /// Signs a node's certificate request (PEM, as `openssl req` writes it) for the host's
    /// addresses (IP addresses or DNS names), as an engine's server certificate. The request must
    /// be signed by the key it carries; its own names and extensions are ignored: the server
    /// decides what the certificate says.
    func signNodeRequest(_ pem: String, commonName: String, addresses: [String]) throws -> Certificate {
        let request: CertificateSigningRequest
        do { request = try CertificateSigningRequest(pemEncoded: pem) } catch {
            throw Failure(description: "not a PEM certificate request (openssl req -new): \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw Failure(description: "the certificate request is not signed by its own key")
        }
        guard !addresses.isEmpty else { throw Failure(description: "a node certificate needs the host's address") }
        return try issue(publicKey: request.publicKey, commonName: commonName, addresses: addresses, usage: .serverAuth)
    }

    private func issue(publicKey: Certificate.PublicKey, commonName: String, addresses: [String], usage: ExtendedKeyUsage.Usage) throws -> Certificate {
        let names: [GeneralName] = try addresses.map { address in
            if let ip = Self.ipBytes(address) { return .ipAddress(ASN1OctetString(contentBytes: ip[...])) }
            guard Self.isHostName(address) else { throw Failure(description: "'\(address.prefix(80))' is neither an IP address nor a host name") }
            return .dnsName(address)
        }
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Self.leafValidity),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                if !names.isEmpty { SubjectAlternativeNames(names) }
                AuthorityKeyIdentifier(keyIdentifier: try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: key)
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address, or nil for anything else.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func isHostName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
