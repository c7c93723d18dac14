"""In a real terminal: SIGTERM, SIGHUP (an SSH drop) and SIGINT end the app cleanly (the alternate
screen is left, the cursor shown again, mouse and raw modes undone, and the exit code is 130), and
ctrl+l repaints the whole screen.

The program under test is `python -m sovwatch demo` in a pty, exactly as a user starts it."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def demo_in_a_pty() -> tuple[int, subprocess.Popen]:
    """`sovwatch demo --scenario stuck` on an 80x24 pty with TERM=xterm: (the pty's master, the
    process)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovwatch", "demo", "--scenario", "stuck"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return master, proc


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_signal_restores_the_terminal(sig):
    master, proc = demo_in_a_pty()
    try:
        screen = read_until(master, b"Blocked by", 30)
        assert b"Blocked by" in screen, screen[-500:]
        assert b"\x1b[?1049h" in screen  # the app took the alternate screen
        assert b"38;2;" not in screen  # TERM=xterm: 16 colours only, no truecolor
        assert b"38;5;" not in screen  # nor 256
        proc.send_signal(sig)
        rest = read_until(master, b"\x1b[?1049l", 10)
        assert proc.wait(timeout=10) == 130
        rest += read_until(master, b"<end of output>", 0.5)
        assert b"\x1b[?1049l" in rest  # and gave it back
        assert b"\x1b[?25h" in rest  # cursor visible again
        assert b"Traceback" not in screen + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_ctrl_l_sends_the_whole_screen_again():
    """The table's header never changes, so only a whole-screen update sends it a second time:
    what curses' ctrl+l does, for a terminal something else has written over."""
    master, proc = demo_in_a_pty()
    try:
        screen = read_until(master, b"Blocked by", 30)
        assert b"Blocked by" in screen, screen[-500:]
        for _ in range(10):  # until the columns have settled: two seconds without the header
            if b"Blocked by" not in read_until(master, b"Blocked by", 2):
                break
        else:
            pytest.fail("the table's header kept being sent")
        os.write(master, b"\x0c")
        again = read_until(master, b"Blocked by", 10)
        assert b"Blocked by" in again
        again += read_until(master, b"Help", 5)
        assert b"sovwatch-demo" in again  # the title line, unchanged too
        assert b"Help" in again  # and the footer
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
