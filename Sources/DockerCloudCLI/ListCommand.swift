import DockerCloudAPI
import DockerCloudKit
import Foundation

/// The shape every list command shares: `--format json` or a template prints the API's objects as
/// the server sent them; `-q` prints long uuids; otherwise `table` renders the typed objects.
func runList<T: Codable & Sendable>(_ inv: Invocation, _ api: APIClient, _ endpoint: Endpoint, _ type: T.Type,
                                    filters: [(String, String)] = [], uuid: (T) -> String,
                                    table: ([T]) throws -> String) throws -> Int32 {
    let format = OutputFormat(inv.value("format"))
    if case .table = format {} else {
        let objects = try api.listAll(JSONValue.self, api.path(endpoint), filters: filters)
        if case .template(let t) = format { Output.out(objects.map { OutputFormat.render(template: t, $0) }.joined()) }
        else { Output.out(OutputFormat.json(objects)) }
        return 0
    }
    let objects = try api.listAll(T.self, api.path(endpoint), filters: filters)
    if inv.flag("quiet") == true {
        Output.out(objects.map { uuid($0) + "\n" }.joined())
        return 0
    }
    Output.out(try table(objects))
    return 0
}

/// Work started now on another thread, its result collected later: list commands fetch their
/// lookup tables (stacks, services, nodes) while the main list is still arriving.
final class Background<T>: @unchecked Sendable {
    private var result: Result<T, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> T) {
        DispatchQueue.global().async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    func value() throws -> T {
        done.wait()
        done.signal()  // later calls return at once
        return try result!.get()
    }
}

/// Whether a list command prints its table (and so needs its lookups).
func printsTable(_ inv: Invocation) -> Bool {
    if case .table = OutputFormat(inv.value("format")), inv.flag("quiet") != true { return true }
    return false
}
