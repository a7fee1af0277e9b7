import DockerCloudCLI
import Foundation

let code = App.main(CommandLine.arguments)
// Leave without running atexit handlers: a request still in flight on another thread (a page
// fetched ahead when an earlier one failed) must not meet OpenSSL's exit-time cleanup, which
// crashed 1 run in 6 after a TLS error. Everything the program wrote is flushed first.
fflush(nil)
_exit(code)
