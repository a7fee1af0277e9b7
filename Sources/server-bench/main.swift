import Foundation
import HummingbirdWSClient
import Logging
#if canImport(Glibc)
import Glibc
#endif

// server-bench: starts the real docker-cloud-server and measures, over loopback:
//   creates per second, list latency (100 of 10,000 services), event fan-out to 100 websocket
//   subscribers, and resident memory with 10,000 services and 30,000 containers.
// Latencies are quoted with a peer measured in the same run: GET /_ping, the cheapest request
// the server answers, so the ratio shows the cost of the work beyond HTTP itself.

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: server-bench PATH/TO/docker-cloud-server [SERVICES]\n".utf8))
    exit(2)
}
let serverBinary = args[1]
let serviceCount = args.count > 2 ? Int(args[2]) ?? 10_000 : 10_000
let containersPerService = 3
let auth = "Basic " + Data("bench:benchkey".utf8).base64EncodedString()

func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s[min(s.count - 1, Int(Double(s.count - 1) * p))]
}
func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

// MARK: start the server

let dataDir = NSTemporaryDirectory() + "server-bench-\(getpid())"
let server = Process()
server.executableURL = URL(fileURLWithPath: serverBinary)
server.arguments = ["--listen", "127.0.0.1:0", "--data-dir", dataDir, "--user", "bench:benchkey", "--nodes", "10", "--delay", "0",
                    "--quota", "service=100000", "--quota", "container=100000"]
let out = Pipe()
server.standardOutput = out
server.standardError = FileHandle.nullDevice
try server.run()
defer {
    server.terminate(); server.waitUntilExit()
    try? FileManager.default.removeItem(atPath: dataDir)
}
var port = 0
var seen = ""
while port == 0 {
    let chunk = out.fileHandleForReading.availableData
    if chunk.isEmpty { say("server did not start"); exit(1) }
    seen += String(decoding: chunk, as: UTF8.self)
    if let r = seen.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
        port = Int(seen[r].split(separator: ":").last!)!
    }
}
func rssMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return .nan }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}
say("docker-cloud-server benchmark — \(serviceCount) services × \(containersPerService) containers, 10 simulated nodes, 2-core machine")
say("server pid \(server.processIdentifier), port \(port), idle RSS \(fmt(rssMB(), 1)) MB")

/// Runs `count` jobs over `workers` keep-alive connections; returns per-request latencies (ms).
func runConcurrent(_ count: Int, workers: Int, _ job: @escaping @Sendable (HTTPConnection, Int) throws -> Void) -> [Double] {
    let lock = NSLock()
    var latencies: [Double] = []
    latencies.reserveCapacity(count)
    let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    next.pointee = 0
    let group = DispatchGroup()
    for _ in 0..<workers {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            guard let conn = try? HTTPConnection(port: port, authorization: auth) else { return }
            var mine: [Double] = []
            while true {
                lock.lock(); let i = next.pointee; next.pointee += 1; lock.unlock()
                if i >= count { break }
                let t = now()
                do { try job(conn, i) } catch { FileHandle.standardError.write(Data("request \(i) failed: \(error)\n".utf8)); break }
                mine.append(now() - t)
            }
            lock.lock(); latencies += mine; lock.unlock()
        }
    }
    group.wait()
    next.deallocate()
    return latencies
}

func expect(_ status: Int, _ wanted: Int, _ what: String) throws {
    if status != wanted { throw BenchError("\(what): HTTP \(status)") }
}

// MARK: creates

let uuids = UnsafeMutablePointer<String>.allocate(capacity: serviceCount)
uuids.initialize(repeating: "", count: serviceCount)
let createStart = now()
let createLatencies = runConcurrent(serviceCount, workers: 4) { conn, i in
    let (status, body) = try conn.request("POST", "/api/app/v1/service/",
        body: #"{"image":"busybox","name":"svc\#(i)","target_num_containers":\#(containersPerService),"run_command":"sleep 3600"}"#)
    try expect(status, 201, "create")
    let json = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
    uuids[i] = json["uuid"] as! String
}
let createSeconds = (now() - createStart) / 1000
say("")
say("creates: \(serviceCount) services in \(fmt(createSeconds, 1)) s = \(fmt(Double(serviceCount) / createSeconds, 0)) creates/s over 4 connections; latency p50 \(fmt(percentile(createLatencies, 0.5))) ms, p99 \(fmt(percentile(createLatencies, 0.99))) ms")

// MARK: starts → 30,000 containers

let startBegin = now()
_ = runConcurrent(serviceCount, workers: 4) { conn, i in
    let (status, _) = try conn.request("POST", "/api/app/v1/service/\(uuids[i])/start/")
    try expect(status, 202, "start")
}
let probe = try HTTPConnection(port: port, authorization: auth)
func total(_ path: String) throws -> Int {
    let (_, body) = try probe.request("GET", path)
    let json = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
    return (json["meta"] as! [String: Any])["total_count"] as! Int
}
let wanted = serviceCount * containersPerService
var running = 0
let deadline = now() + 600_000
while running < wanted && now() < deadline {
    running = try total("/api/app/v1/container/?state=Running&limit=1")
    if running < wanted { usleep(500_000) }
}
say("starts: \(running) containers running after \(fmt((now() - startBegin) / 1000, 1)) s")

// MARK: list latency

func timed(_ n: Int, _ path: (Int) -> String) throws -> [Double] {
    var xs: [Double] = []
    for i in 0..<n {
        let t = now()
        let (status, _) = try probe.request("GET", path(i))
        xs.append(now() - t)
        try expect(status, 200, path(i))
    }
    return xs
}
_ = try timed(200) { _ in "/api/app/v1/service/?limit=100" }  // warm-up
let ping = try timed(2000) { _ in "/_ping" }
let pages = max(1, serviceCount / 100)
let list = try timed(2000) { i in "/api/app/v1/service/?limit=100&offset=\((i * 37 % pages) * 100)" }
let filtered = try timed(1000) { i in "/api/app/v1/service/?name=svc\(i * 7919 % serviceCount)" }
let containersList = try timed(1000) { i in "/api/app/v1/container/?limit=100&offset=\((i * 37 % pages) * 300)" }
say("")
say("latency over one keep-alive connection, 2000 sequential requests each (ms):")
say("  request                                    p50      p99    p50 ÷ ping")
func row(_ name: String, _ xs: [Double]) {
    say("  " + name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%7.2f  %7.2f  %8.1f×", percentile(xs, 0.5), percentile(xs, 0.99), percentile(xs, 0.5) / percentile(ping, 0.5)))
}
row("GET /_ping (peer)", ping)
row("GET service/?limit=100 (of \(serviceCount))", list)
row("GET service/?name=X (of \(serviceCount))", filtered)
row("GET container/?limit=100 (of \(wanted))", containersList)
let listP50 = percentile(list, 0.5)
say("  target: list p50 ≤ 5 ms → \(listP50 <= 5 ? "met" : "NOT met") (\(fmt(listP50)) ms)")

// MARK: memory

usleep(1_000_000)
let rss = rssMB()
say("")
say("memory: RSS \(fmt(rss, 1)) MB with \(serviceCount) services and \(running) running containers; target ≤ 150 MB → \(rss <= 150 ? "met" : "NOT met")")

// MARK: event fan-out

let subscribers = 100
let events = 200
final class FanOut: @unchecked Sendable {
    let lock = NSLock()
    var arrivals: [String: [Double]] = [:]  // event key → arrival times
    var connected = 0
    func arrived(_ key: String, at t: Double) { lock.lock(); arrivals[key, default: []].append(t); lock.unlock() }
}
let fan = FanOut()
var logger = Logger(label: "bench")
logger.logLevel = .critical
var config = WebSocketClientConfiguration()
config.additionalHeaders[.authorization] = auth
let target = uuids[0]
let subscriberTasks = (0..<subscribers).map { _ in
    Task {
        try? await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/api/audit/v1/events?type=service", configuration: config, logger: logger) { inbound, _, _ in
            fan.lock.withLock { fan.connected += 1 }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                let t = now()
                if let r = text.range(of: #""uuid":"[^"]+""#, options: .regularExpression), text.contains(target) {
                    fan.arrived(String(text[r]), at: t)
                }
            }
        }
    }
}
while (fan.lock.withLock { fan.connected }) < subscribers { usleep(10_000) }
usleep(200_000)
var sendTimes: [Double] = []
let updater = try HTTPConnection(port: port, authorization: auth)
let fanStart = now()
for i in 0..<events {
    sendTimes.append(now())
    // Alternate the state so that every update is a state change, which is what the stream carries.
    let (status, _) = try updater.request("PATCH", "/api/app/v1/service/\(target)/", body: #"{"nickname":"n\#(i)","container_envvars":[{"key":"I","value":"\#(i)"}]}"#)
    try expect(status, 200, "update")
    usleep(2_000)
}
let fanWait = now() + 10_000
while now() < fanWait {
    let complete = fan.lock.withLock { fan.arrivals.values.filter { $0.count == subscribers }.count }
    if complete >= events { break }
    usleep(20_000)
}
let fanElapsed = (now() - fanStart) / 1000
let arrivals = fan.lock.withLock { fan.arrivals }
for t in subscriberTasks { t.cancel() }
let delivered = arrivals.values.reduce(0) { $0 + $1.count }
let spreads = arrivals.values.filter { $0.count == subscribers }.map { ($0.max()! - $0.min()!) }
say("")
say("event fan-out: \(subscribers) websocket subscribers, \(events) service updates → \(delivered) deliveries of \(subscribers * events) (\(arrivals.count) distinct events) in \(fmt(fanElapsed, 2)) s = \(fmt(Double(delivered) / fanElapsed, 0)) messages/s")
say("  spread between the first and the last subscriber receiving an event: p50 \(fmt(percentile(spreads, 0.5))) ms, p99 \(fmt(percentile(spreads, 0.99))) ms")
