#!/usr/bin/env python3
"""`docker-cloud exec` on a real terminal (a pseudo-terminal): keystrokes reach the container's
shell, its output comes back, and the command's exit status becomes ours.
Usage: pty_exec.py DOCKER_CLOUD CONTAINER   (environment: DOCKERCLOUD_* of a running server)"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

dc, container = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(dc, [dc, "exec", container])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
out = b""


def pump(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return


pump(1)
os.write(fd, b"echo typed-in\r")
pump(1)
os.write(fd, b"exit 7\r")
pump(2)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
if b"typed-in" not in out or code != 7:
    sys.exit("FAIL exec on a terminal: exit %d, output %r" % (code, out[-300:]))
print("ok   exec on a terminal (keystrokes in, output back, exit status 7)")
