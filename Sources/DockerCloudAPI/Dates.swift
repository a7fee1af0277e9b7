import Foundation

/// Dates in the API are RFC 1123 strings in UTC: `Mon, 13 Oct 2014 11:01:43 +0000`.
/// Events use ISO 8601 (`2016-02-01T16:47:28Z`). Formatting is done by hand: it is on the hot
/// path of every write and DateFormatter is slow and not thread-safe on every platform.
public enum APIDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    struct Parts { var year, month, day, hour, minute, second, weekday: Int }

    static func parts(_ date: Date) -> Parts {
        let secs = Int(date.timeIntervalSince1970.rounded(.down))
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let weekday = ((days % 7) + 7) % 7
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return Parts(year: y, month: m, day: d, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60, weekday: weekday)
    }

    private static func pad(_ n: Int, _ width: Int = 2) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `Mon, 13 Oct 2014 11:01:43 +0000`
    public static func rfc1123(_ date: Date) -> String {
        let p = parts(date)
        return "\(days[p.weekday]), \(pad(p.day)) \(months[p.month - 1]) \(p.year) \(pad(p.hour)):\(pad(p.minute)):\(pad(p.second)) +0000"
    }

    /// `2016-02-01T16:47:28Z`
    public static func iso8601(_ date: Date) -> String {
        let p = parts(date)
        return "\(pad(p.year, 4))-\(pad(p.month))-\(pad(p.day))T\(pad(p.hour)):\(pad(p.minute)):\(pad(p.second))Z"
    }

    /// Parses the RFC 1123 form the API emits; nil for anything else.
    public static func parseRFC1123(_ s: String) -> Date? {
        let f = s.split(separator: " ")
        guard f.count == 6, f[5] == "+0000", let day = Int(f[1]), let year = Int(f[3]),
              let mi = months.firstIndex(of: String(f[2])) else { return nil }
        let t = f[4].split(separator: ":").compactMap { Int($0) }
        guard t.count == 3 else { return nil }
        return date(year: year, month: mi + 1, day: day, hour: t[0], minute: t[1], second: t[2])
    }

    /// Parses `2016-02-01T16:47:28Z`, or a date alone; nil otherwise. Used for `start_date__gte` filters.
    public static func parseISO8601(_ s: String) -> Date? {
        let digits = s.split(whereSeparator: { "-T:Z ".contains($0) }).compactMap { Int($0) }
        guard digits.count == 3 || digits.count == 6 else { return nil }
        return date(year: digits[0], month: digits[1], day: digits[2],
                    hour: digits.count == 6 ? digits[3] : 0, minute: digits.count == 6 ? digits[4] : 0,
                    second: digits.count == 6 ? digits[5] : 0)
    }

    static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + hour * 3600 + minute * 60 + second))
    }
}
