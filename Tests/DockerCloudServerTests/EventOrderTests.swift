import Foundation
import XCTest

/// Events reach a subscriber in commit order under concurrent writes: an object's create before
/// its updates, each event once, and every committed create seen.
final class EventOrderTests: ServerTestCase {
    func testEventsFollowCommitOrderUnderConcurrentWrites() async throws {
        let box = Collected()
        let client = alice!
        let subscriber = Task { try await client.stream("/api/audit/v1/events/?type=service", timeout: 20) { all in
            if let last = all.last { box.append(last) }
            return false
        } }
        try await Task.sleep(for: .milliseconds(300))
        let created = try await withThrowingTaskGroup(of: [String].self) { group in
            for w in 0..<4 {
                group.addTask {
                    var uuids: [String] = []
                    for i in 0..<15 {
                        let s = try await client.createService(["image": "busybox", "name": "e\(w)-\(i)"])
                        let uuid = s["uuid"] as? String ?? ""
                        uuids.append(uuid)
                        _ = try await client.post("/api/app/v1/service/\(uuid)/start/")
                    }
                    return uuids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        // Let the last events arrive.
        let deadline = Date().addingTimeInterval(10)
        var first: [String: String] = [:]
        var ids = Set<String>()
        var duplicates: [String] = []
        while Date() < deadline {
            first = [:]; ids = []; duplicates = []
            for text in box.all {
                let e = decode(text)
                guard let uri = e["resource_uri"] as? String, let action = e["action"] as? String else { continue }
                if first[uri] == nil { first[uri] = action }
                if let id = e["uuid"] as? String, !ids.insert(id).inserted { duplicates.append(id) }
            }
            if created.allSatisfy({ uuid in first.keys.contains { $0.contains(uuid) } }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        subscriber.cancel()
        XCTAssertEqual(created.count, 60)
        let unseen = created.filter { uuid in !first.keys.contains { $0.contains(uuid) } }
        XCTAssertEqual(unseen, [], "every committed create reaches the subscriber")
        XCTAssertEqual(first.filter { $0.value != "create" }.map(\.key), [], "each service's first event is its create")
        XCTAssertEqual(duplicates, [], "each event once")
    }
}
