"""Measuring child processes without extra dependencies: CPU from /proc/<pid>/stat, peak RSS
from /proc/<pid>/status (VmHWM), quiescence detection, and a pseudo-terminal of a fixed size.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent
KUBECTL = "/usr/bin/kubectl"


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User+system CPU of `pid` (plus its waited-for children), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its live descendants."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{parent}/task"):
                with contextlib.suppress(OSError):
                    kids = Path(f"/proc/{parent}/task/{tid}/children").read_text().split()
                    found.extend(int(k) for k in kids)
                    frontier.extend(int(k) for k in kids)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process tree: live descendants plus everything they have already reaped."""
    total = 0.0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(p)
    return total


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def wait_quiescent(
    pids: Sequence[int],
    *,
    window: float = 0.6,
    max_rate: float = 0.05,
    timeout: float = 120.0,
    interval: float = 0.1,
) -> float:
    """Wait until the processes together use less than `max_rate` of a core over `window`
    seconds (they have consumed everything sent to them); returns their CPU seconds at that
    point. TimeoutError if they never settle."""
    deadline = time.monotonic() + timeout
    samples: list[tuple[float, float]] = []
    while time.monotonic() < deadline:
        now = time.monotonic()
        cpu = sum(tree_cpu_seconds(p) for p in pids)
        samples.append((now, cpu))
        old = [s for s in samples if now - s[0] >= window]
        if old:
            t0, c0 = old[-1]
            if (cpu - c0) / (now - t0) <= max_rate:
                return cpu
            samples = [s for s in samples if now - s[0] < window * 2]
        time.sleep(interval)
    raise TimeoutError(f"processes {list(pids)} still busy after {timeout:.0f}s")


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def kubectl(kubeconfig: Path, cache_dir: Path, *args: str) -> list[str]:
    """A kubectl command line against the emulator, with its own discovery cache."""
    return [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache_dir), *args]


def python_env() -> dict[str, str]:
    """The environment for `python -m sovwatch` children: the tree under test on the path."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


def stop(proc: subprocess.Popen, *, grace: float = 3.0) -> None:
    """SIGTERM the process (and its process group), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


def spawn(argv: Sequence[str], **kwargs) -> subprocess.Popen:
    """Start a child in its own process group (so `stop` reaches what it starts, e.g. `watch`)."""
    return subprocess.Popen(argv, start_new_session=True, **kwargs)


@dataclass
class PtyProcess:
    """A child on a pseudo-terminal of `columns` x `rows`, with every byte it writes counted."""

    argv: Sequence[str]
    columns: int = 120
    rows: int = 40
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    total: int = 0
    _fd: int = -1
    marks: list[tuple[float, int]] = field(default_factory=list)
    capture: Path | None = None
    """A file every byte the child writes is appended to (for `bench.terminal_profile`)."""

    def start(self) -> PtyProcess:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        env = {**(self.env or os.environ), "TERM": "xterm-256color"}
        env.update(COLUMNS=str(self.columns), LINES=str(self.rows))
        self.proc = subprocess.Popen(
            self.argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        os.set_blocking(master, False)
        self._fd = master
        return self

    def drain(self) -> int:
        """Read whatever the child wrote so far (so it never blocks on a full pty)."""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            self.total += len(chunk)
            if self.capture is not None:
                with open(self.capture, "ab") as out:
                    out.write(chunk)
        return self.total

    def pump(self, seconds: float, *, interval: float = 0.02) -> int:
        """Drain for `seconds`; returns the bytes written during them."""
        before = self.drain()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(interval)
            self.drain()
        return self.total - before

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
