"""Real terminals for the untrusted-text tests: `sovwatch` in a pseudo-terminal (the bytes a
terminal receives), and a private tmux server (a real terminal emulator with a clipboard and a
pane title that escape sequences can reach). Everything started here is stopped here."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.cli.cli_helpers import ROOT, env
from tests.trust import hostile_text as h

COLUMNS, ROWS = 120, 40


@dataclass
class PtyRun:
    code: int
    raw: bytes
    """Every byte the terminal received (stdout and stderr share it, as on a real terminal)."""

    @property
    def text(self) -> str:
        """The output as text, with the pty's CR LF turned back into newlines."""
        return self.raw.decode("utf-8").replace("\r\n", "\n")


def run_in_pty(
    *args: str,
    timeout: float = 60.0,
    until: Callable[[bytes], bool] | None = None,
    **extra_env: str,
) -> PtyRun:
    """Run `python -m sovwatch ARGS` on a 120x40 pty until it exits, or until `until(output)`
    holds (then SIGTERM, as an SSH drop sends). Fails the test after `timeout` seconds."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovwatch", *args],
        stdin=slave, stdout=slave, stderr=slave,
        env=env(TERM="xterm", **extra_env), cwd=ROOT, start_new_session=True, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every writer has gone
                    chunk = b""
                if not chunk:
                    break
                out += chunk
                if until is not None and until(out) and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    until = None
            elif proc.poll() is not None and until is None:
                break
        else:
            raise AssertionError(f"sovwatch {' '.join(args)} still running after {timeout} s:\n"
                                 + out.decode("utf-8", "replace")[-3000:])  # fmt: skip
        return PtyRun(proc.wait(timeout=20), out)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def assert_no_cluster_controls(output: str) -> None:
    """Headless output (plain text, diagnostics) holds no ESC, no C1 control and no bidi override
    at all: sovwatch writes none of its own there, so any would have come from cluster text."""
    assert "\x1b" not in output
    found = sorted({f"U+{ord(c):04X}" for c in h.FORBIDDEN.findall(output)})
    assert found == []


def assert_no_hostile_sequences(raw: bytes) -> None:
    """A TUI's bytes hold ESC for its own drawing, but none of the payloads' sequences."""
    assert [s for s in h.HOSTILE_SEQUENCES if s in raw] == []


class Tmux:
    """A private tmux server (its own socket, no user config) with `set-clipboard on`, so an OSC 52
    that reaches it becomes a paste buffer and an OSC 0 a pane title, as on an operator's desk."""

    def __init__(self) -> None:
        self.socket = f"sovwatch-test-{uuid.uuid4().hex[:12]}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, check=True, timeout=20,
        ).stdout  # fmt: skip

    def buffers(self) -> list[str]:
        """The paste buffers' contents (what OSC 52 would have put on the clipboard)."""
        names = self("list-buffers", "-F", "#{buffer_name}").split()
        return [self("show-buffer", "-b", name) for name in names]

    def title(self, target: str) -> str:
        return self("display-message", "-p", "-t", target, "#{pane_title}").strip()

    def screen(self, target: str) -> str:
        return self("capture-pane", "-p", "-t", target)

    def wait_for(self, target: str, *needles: str, gone: str = "", timeout: float = 60.0) -> str:
        """The pane's screen once it shows every needle and not `gone` (AssertionError with the
        screen if that never happens)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(target)
            missing = [n for n in needles if n not in screen]
            if not missing and not (gone and gone in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never shown: {missing!r} (or {gone!r} stayed):\n{screen}")
            time.sleep(0.2)

    def start(self, window: str, command: str, raw_log: Path) -> str:
        """Run `command` (a shell line) in a new window titled "canary", every byte it writes to
        its terminal copied to `raw_log`; returns the pane's target. The command starts only once
        the title and the copy are in place."""
        target = f"canary:{window}"
        channel = f"go-{window}"
        self(
            "new-window", "-d", "-n", window, f"tmux -L {self.socket} wait-for {channel}; {command}"
        )
        self("select-pane", "-t", target, "-T", "canary")
        self("pipe-pane", "-o", "-t", target, f"cat >> '{raw_log}'")
        self("wait-for", "-S", channel)
        return target


@contextmanager
def tmux_server() -> Iterator[Tmux]:
    tmux = Tmux()
    tmux("new-session", "-d", "-s", "canary", "-x", str(COLUMNS), "-y", str(ROWS), "sleep 600")
    tmux("set-option", "-g", "set-clipboard", "on")
    socket_path = Path(tmux("display-message", "-p", "#{socket_path}").strip())
    try:
        yield tmux
    finally:
        # Each pane's shell leads its own process group; whatever still runs in one goes with it.
        groups = [int(pid) for pid in tmux("list-panes", "-a", "-F", "#{pane_pid}").split()]
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, timeout=20)
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        socket_path.unlink(missing_ok=True)  # tmux may leave it behind


def sovwatch_command(*args: str) -> str:
    """A shell line running `python -m sovwatch ARGS` from this tree (for a tmux pane), then
    saying "sovwatch exited N" and waiting, so the pane stays."""
    quoted = " ".join(f"'{a}'" for a in args)
    return (
        f"cd '{ROOT}' && PYTHONPATH='{ROOT}' TERM=xterm '{sys.executable}' -m sovwatch "
        f"{quoted}; echo sovwatch exited $?; sleep 600"
    )
