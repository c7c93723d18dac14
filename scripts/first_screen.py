"""Seconds from starting `sovwatch demo` in a pseudo-terminal to its first screen: the TUI drawn
(its footer) with the demo's streams `live` in the header. Used for the Install section's
start-up figures (the one-file executable and the zipapp against the installed package):

    python scripts/first_screen.py --runs 7 'dist/sovwatch demo' '.venv/bin/sovwatch demo'

Each command (split as a shell splits words) runs at 80x24 with TERM=xterm and NO_COLOR=1, the
commands taking turns run by run so a drift in the machine's speed touches them alike; it is
stopped with `q` once its first screen is there. Prints each command's median, min and max, and
every command's median over the first one's.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shlex
import statistics
import struct
import subprocess
import termios
import time

MARKERS = (b"live", b"Quit")
"""Both on screen = the first screen: the header's stream badge and the footer's keys."""
TIMEOUT = 60.0


def first_screen(argv: list[str]) -> float:
    """Seconds until every marker has been written to the terminal; RuntimeError if the
    command exits or `TIMEOUT` passes first."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": "80", "LINES": "24"}
    start = time.monotonic()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while not all(marker in seen for marker in MARKERS):
            left = TIMEOUT - (time.monotonic() - start)
            ready, _, _ = select.select([master], [], [], max(left, 0))
            if not ready:
                raise RuntimeError(f"{argv}: no first screen within {TIMEOUT:.0f} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the command has gone
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv} exited before its first screen: {seen[-300:]!r}")
            seen += chunk
        return time.monotonic() - start
    finally:
        os.write(master, b"q")
        try:
            while process.poll() is None and select.select([master], [], [], 10)[0]:
                if not os.read(master, 65536):
                    break
        except OSError:
            pass
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)
        os.close(master)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", metavar="COMMAND")
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each (default 5)")
    args = parser.parse_args(argv)
    commands = [shlex.split(command) for command in args.commands]
    for argv_ in commands:  # unmeasured: page cache, pex's first-start venv
        first_screen(argv_)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(args.runs):
        for index, argv_ in enumerate(commands):
            times[index].append(first_screen(argv_))
    base = statistics.median(times[0])
    for command, seconds in zip(args.commands, times, strict=True):
        median = statistics.median(seconds)
        print(
            f"{median:6.3f} s median ({min(seconds):.3f}-{max(seconds):.3f}, "
            f"{len(seconds)} runs, x{median / base:.2f})  {command}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
