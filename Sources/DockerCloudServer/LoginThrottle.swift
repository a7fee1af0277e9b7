import Foundation
import Synchronization

/// Failed logins per client address, as Docker Cloud throttled them: after `maxFailures` bad
/// credentials within `window`, that address is answered 429 (with Retry-After) until the window
/// ends, good credentials included, so a key cannot be guessed at line rate. Bounded: at most
/// `maxTracked` addresses are remembered (the stalest forgotten first).
final class LoginThrottle: Sendable {
    struct Entry { var failures: Int; var windowStart: ContinuousClock.Instant }

    let maxFailures: Int
    let window: Duration
    let maxTracked: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(maxFailures: Int = 20, window: Duration = .seconds(60), maxTracked: Int = 10_000) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxTracked = maxTracked
    }

    /// Seconds to wait when `ip` is blocked now, else nil.
    func blocked(_ ip: String, now: ContinuousClock.Instant = .now) -> Int? {
        entries.withLock { table in
            guard let e = table[ip], e.failures >= maxFailures else { return nil }
            let left = e.windowStart + window - now
            guard left > .zero else { table[ip] = nil; return nil }
            return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
        }
    }

    func recordFailure(_ ip: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { table in
            if var e = table[ip], now - e.windowStart <= window {
                e.failures += 1
                table[ip] = e
                return
            }
            if table.count >= maxTracked {
                // Forget the addresses whose window is over, else the stalest one.
                table = table.filter { now - $0.value.windowStart <= window }
                if table.count >= maxTracked, let stalest = table.min(by: { $0.value.windowStart < $1.value.windowStart })?.key {
                    table[stalest] = nil
                }
            }
            table[ip] = Entry(failures: 1, windowStart: now)
        }
    }
}
