import CCurl
import Foundation

/// An HTTP answer as the client sees it.
public struct HTTPReply: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    /// The request this answers, for messages.
    public var method = ""
    public var url = ""
}

/// URLs in messages never carry credentials: a `user:password@` part is dropped.
public func redactedURL(_ url: String) -> String {
    guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at,
          !url[scheme.upperBound..<at].contains("/") else { return url }
    return String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
}

/// A failure below HTTP: the request never got an answer.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case connect, timeout, tls, other }
    public var kind: Kind
    public var url: String
    public var detail: String
    public var description: String {
        switch kind {
        case .connect: return "cannot connect to \(redactedURL(url)): \(detail)"
        case .timeout: return "no answer from \(redactedURL(url)) in time: \(detail)"
        case .tls: return "TLS error talking to \(redactedURL(url)): \(detail)"
        case .other: return "request to \(redactedURL(url)) failed: \(detail)"
        }
    }

    /// libcurl's NUL-terminated error buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init(kind: Kind, url: String, detail: String) {
        self.kind = kind; self.url = url; self.detail = detail
    }

    init(_ code: CURLcode, url: String, detail: String) {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE: kind = .tls
        default: kind = .other
        }
        self.url = url
        self.detail = detail.isEmpty ? String(cString: dc_easy_strerror(code)) : detail
    }
}

/// HTTP over libcurl. One transport owns one easy handle, so consecutive requests reuse the
/// connection; proxies come from the environment (libcurl reads http_proxy, https_proxy,
/// no_proxy) and TLS peers are always verified.
public final class CurlTransport: @unchecked Sendable {
    /// nil when libcurl could not be loaded; every request then fails with the reason.
    private let handle: UnsafeMutableRawPointer?
    private let lock = NSLock()
    public var timeout: Int
    public var connectTimeout: Int
    public var userAgent: String

    private static let globalInit: Void = { dc_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// libcurl's one-time global initialisation; every easy handle of ours goes through it.
    static func initializeLibcurl() { _ = globalInit }

    public init(timeout: Int = 60, connectTimeout: Int = 10, userAgent: String = "docker-cloud") {
        CurlTransport.initializeLibcurl()
        handle = dc_easy_init()
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.userAgent = userAgent
    }

    deinit { dc_easy_cleanup(handle) }

    /// Collects what libcurl hands over: body bytes and header lines. With `consume`, a success's
    /// body goes there as it arrives instead (an error's body is still kept, for its message).
    private final class Sink {
        var body = Data()
        var headerLines: [String] = []
        /// The status of the last status line seen (0 before any).
        var status = 0
        var consume: (([String: String], UnsafeRawBufferPointer) -> Bool)?
        var parsedHeaders: [String: String]?

        var headers: [String: String] {
            if let parsedHeaders { return parsedHeaders }
            var answer: [String: String] = [:]
            for line in headerLines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                answer[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            parsedHeaders = answer
            return answer
        }

        /// Body bytes: to `consume` for a success, else kept. False stops the transfer.
        func take(_ bytes: UnsafeRawBufferPointer) -> Bool {
            if let consume, (200..<300).contains(status) { return consume(headers, bytes) }
            // Room for the whole body at once (a page is megabytes: growing it by doubling cost
            // copies and page faults); the stated length is trusted up to 64 MB only.
            if body.isEmpty, let length = headers["content-length"].flatMap(Int.init), length > bytes.count {
                body.reserveCapacity(min(length, 64 << 20))
            }
            body.append(bytes.bindMemory(to: UInt8.self))
            return true
        }
    }

    /// One request. `timeout` (seconds, 0 for none) replaces the transport's for this request;
    /// `stallTimeout` gives up when no byte arrives for that long. `consume` receives a success's
    /// body as it arrives (returning false aborts the transfer); the reply's body is then empty.
    public func send(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil,
                     timeout: Int? = nil, stallTimeout: Int? = nil,
                     consume: (([String: String], UnsafeRawBufferPointer) -> Bool)? = nil) throws -> HTTPReply {
        lock.lock()
        defer { lock.unlock() }
        guard let handle else { throw TransportError(kind: .other, url: url, detail: String(cString: dc_curl_load_error())) }
        dc_easy_reset(handle)
        let sink = Sink()
        sink.consume = consume
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (k, v) in headers { list = dc_slist_append(list, "\(k): \(v)") }
        list = dc_slist_append(list, "Expect:")  // no 100-continue round trip on bodies
        defer { dc_slist_free_all(list) }

        let result: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            dc_setopt_string(handle, CURLOPT_URL, url)
            dc_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
            dc_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
            dc_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
            dc_setopt_long(handle, CURLOPT_TIMEOUT, timeout ?? self.timeout)
            if let stallTimeout, stallTimeout > 0 {
                dc_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                dc_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, stallTimeout)
            }
            // HEAD answers have no body; libcurl must not wait for one.
            if method == "HEAD" { dc_setopt_long(handle, CURLOPT_NOBODY, 1) }
            dc_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
            dc_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            dc_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            dc_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            TrustedCAs.apply(to: handle)
            dc_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
            dc_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
            dc_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
            dc_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                return sink.take(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
            }
            dc_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
            dc_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                // A new status line (after a redirect or 100 Continue) starts a new header block.
                if line.hasPrefix("HTTP/") {
                    sink.headerLines.removeAll()
                    sink.parsedHeaders = nil
                    sink.status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                }
                sink.headerLines.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
                return size * count
            }
            if let body {
                return body.withUnsafeBytes { bytes in
                    dc_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
                    dc_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
                    return dc_easy_perform(handle)
                }
            }
            return dc_easy_perform(handle)
        }
        guard result == CURLE_OK else {
            var error = TransportError(result, url: url, detail: TransportError.text(errorBuffer))
            if error.kind == .timeout {
                // libcurl's text counts milliseconds; what the user needs is which limit it was.
                let total = timeout ?? self.timeout
                if error.detail.contains("too slow"), let stallTimeout {
                    error.detail = "nothing arrived for \(stallTimeout) s"
                } else if total > 0 {
                    error.detail = "the request took more than \(total) s (DOCKERCLOUD_TIMEOUT)"
                } else {
                    error.detail = "no connection within \(connectTimeout) s"
                }
            }
            throw error
        }
        var status = 0
        dc_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPReply(status: status, headers: sink.headers, body: sink.body, method: method, url: url)
    }
}

/// Certificates a server's TLS certificate is verified against: the system's, unless the
/// environment names a private CA as curl and OpenSSL read it (`CURL_CA_BUNDLE`, else
/// `SSL_CERT_FILE`; `SSL_CERT_DIR` for a hashed directory). libcurl itself reads none of them.
enum TrustedCAs {
    static let bundle: String? = {
        let env = ProcessInfo.processInfo.environment
        return [env["CURL_CA_BUNDLE"], env["SSL_CERT_FILE"]].compactMap { $0 }.first { !$0.isEmpty }
    }()
    static let directory: String? = ProcessInfo.processInfo.environment["SSL_CERT_DIR"].flatMap { $0.isEmpty ? nil : $0 }

    static func apply(to handle: UnsafeMutableRawPointer?) {
        if let bundle { dc_setopt_string(handle, CURLOPT_CAINFO, bundle) }
        if let directory { dc_setopt_string(handle, CURLOPT_CAPATH, directory) }
    }
}
