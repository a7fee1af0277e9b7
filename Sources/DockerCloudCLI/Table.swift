import DockerCloudAPI
import Foundation

/// Tables as docker-cloud 1.0.9 printed them (python-tabulate's "plain" format), so scripts that
/// cut and awk its output keep working:
/// - a column whose every non-empty cell is an integer is numeric: right-aligned, header too;
/// - a column is as wide as its longest cell, and at least its header plus two;
/// - cells are joined by two spaces and every line is right-trimmed.
/// Unlike the original, columns marked `.text` (short uuids) are never taken for numbers, and an
/// empty table keeps all its headers.
public struct TextTable {
    public enum Kind { case auto, text }

    public var headers: [String]
    public var kinds: [Kind]
    public var rows: [[String?]] = []

    public init(_ headers: [String], kinds: [Kind]? = nil) {
        self.headers = headers
        self.kinds = kinds ?? Array(repeating: .auto, count: headers.count)
    }

    public mutating func append(_ row: [String?]) { rows.append(row) }

    /// Python's `len()`: code points, not grapheme clusters or bytes.
    static func width(_ s: String) -> Int { s.unicodeScalars.count }

    /// Python's `int()` of the cell, surrounding blanks allowed (without Foundation: thousands of cells).
    static func isInteger(_ s: String) -> Bool {
        var t = Substring(s)
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        return !t.isEmpty && Int(t) != nil
    }

    /// Built as bytes, each cell measured once: `container ps` renders tens of thousands of cells.
    public func render() -> String {
        let columns = headers.count
        let body = rows.isEmpty ? [Array(repeating: String?.none, count: columns)] : rows
        var widths = headers.map { TextTable.width($0) + 2 }
        var integers = kinds.map { $0 == .auto }
        var filled = [Bool](repeating: false, count: columns)
        var cellWidths: [[Int]] = []
        cellWidths.reserveCapacity(body.count)
        for row in body {
            var w = [Int](repeating: 0, count: columns)
            for c in 0..<min(columns, row.count) {
                guard let cell = row[c] else { continue }
                w[c] = TextTable.width(cell)
                widths[c] = max(widths[c], w[c])
                filled[c] = true
                if integers[c], !TextTable.isInteger(cell) { integers[c] = false }
            }
            cellWidths.append(w)
        }
        let numeric = (0..<columns).map { integers[$0] && filled[$0] }
        var out: [UInt8] = []
        out.reserveCapacity((widths.reduce(0, +) + 2 * columns + 1) * (body.count + 1))
        func line(_ cell: (Int) -> String?, _ width: (Int) -> Int) {
            let start = out.count
            for c in 0..<columns {
                if c > 0 { out.append(0x20); out.append(0x20) }
                let pad = max(0, widths[c] - width(c))
                if numeric[c] { out.append(contentsOf: repeatElement(0x20, count: pad)) }
                if let text = cell(c) { out.append(contentsOf: text.utf8) }
                if !numeric[c] { out.append(contentsOf: repeatElement(0x20, count: pad)) }
            }
            while out.count > start, out.last == 0x20 { out.removeLast() }
        }
        line({ headers[$0] }, { TextTable.width(headers[$0]) })
        for (r, row) in body.enumerated() {
            out.append(0x0A)
            line({ $0 < row.count ? row[$0] : nil }, { cellWidths[r][$0] })
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The state decoration of list tables: `▶ Running`, `◼ Stopped`, `⚙ Starting`, ...
public enum StateGlyph {
    public static func decorate(_ state: String) -> String {
        switch state {
        case "Running", "Partly running", "Deployed": return "▶ " + state
        case "Init", "Stopped", "Not running": return "◼ " + state
        case "Starting", "Stopping", "Scaling", "Terminating", "Deploying", "Redeploying": return "⚙ " + state
        case "Start failed", "Stopped with errors": return "! " + state
        case "Terminated": return "✘ " + state
        case "Unreachable": return "❓ " + state
        default: return state
        }
    }
}

/// "5 minutes ago": the single largest unit of the difference, as the `ago` package printed it.
public enum Ago {
    public static func describe(_ date: Date, now: Date = Date()) -> String {
        let delta = now.timeIntervalSince(date)
        let future = delta < 0
        var micro = Int64((abs(delta) * 1_000_000).rounded(.down))
        let units: [(String, Int64)] = [("year", 365 * 86_400 * 1_000_000), ("day", 86_400 * 1_000_000), ("hour", 3_600 * 1_000_000),
                                        ("minute", 60 * 1_000_000), ("second", 1_000_000), ("millisecond", 1_000), ("microsecond", 1)]
        var text = "0 microseconds"
        for (name, size) in units where micro >= size {
            let n = micro / size
            text = "\(n) \(name)" + (n == 1 ? "" : "s")
            micro = 0
            break
        }
        return future ? "in \(text)" : "\(text) ago"
    }

    /// For an API date (`Mon, 13 Oct 2014 11:01:43 +0000`); empty for null or empty.
    public static func describe(apiDate: String?, now: Date = Date()) -> String? {
        guard let apiDate, !apiDate.isEmpty else { return "" }
        return APIDate.parseRFC1123(apiDate).map { describe($0, now: now) }
    }
}
