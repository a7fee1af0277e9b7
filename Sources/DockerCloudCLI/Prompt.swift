import CEdit
import Foundation

/// Questions at the terminal: visible answers with libedit's line editing, secrets without echo.
/// Without a terminal, answers are read as plain lines from stdin (so scripts can pipe them).
enum Prompt {
    struct EndOfInput: Error, CustomStringConvertible {
        var description: String { "No answer: the input ended (pass the value as an option instead)" }
    }

    static func line(_ question: String) throws -> String {
        if isatty(0) == 1 {
            var unavailable: Int32 = 0
            if let raw = dc_readline(question, &unavailable) {
                defer { free(raw) }
                return String(cString: raw)
            }
            if unavailable == 0 { throw EndOfInput() }
            // Without libedit: a plain line (no editing).
        }
        FileHandle.standardError.write(Data(question.utf8))
        guard let answer = Swift.readLine(strippingNewline: true) else { throw EndOfInput() }
        return answer
    }

    /// A secret: echo off on a terminal (restored even on error), the prompt on stderr.
    static func secret(_ question: String) throws -> String {
        FileHandle.standardError.write(Data(question.utf8))
        guard isatty(0) == 1 else {
            guard let answer = Swift.readLine(strippingNewline: true) else { throw EndOfInput() }
            return answer
        }
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let answer = Swift.readLine(strippingNewline: true) else { throw EndOfInput() }
        return answer
    }
}
