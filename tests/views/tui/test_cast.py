"""`sovwatch replay FILE --cast OUT.cast`: the TUI's rendering of a recording as an asciicast v2
file that asciinema plays, and whose last frame is the end of the rollout.

The cast is written by the real command (a subprocess) from a recording of the `bootstrap-kit` demo;
its output is played into a small terminal model (tests/views/tui/terminal.py) to read the screen,
and into asciinema itself (`asciinema play`, `asciinema cat`) in a pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sovsim.scenario import load_scenario
from tests.demo_recordings import ROOT
from tests.views.tui.terminal import Terminal

INSTALL = "apt-get install asciinema"


def cast_of(recording: Path, out: Path, *extra: str, term: str = "xterm-256color"):
    return subprocess.run(
        [sys.executable, "-m", "sovwatch", "replay", str(recording), "--cast", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": term},
        check=False,
    )


def in_a_terminal(*argv: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal that is its controlling terminal (asciinema opens
    /dev/tty): its exit code and output. Fails the test after `timeout` seconds."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec, never return into pytest
        try:
            os.execvp(argv[0], list(argv))
        finally:
            os._exit(127)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"{' '.join(argv)} still running after {timeout} s")
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode()


@pytest.fixture(scope="module")
def kit_cast(kit_recording: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cast") / "bootstrap-kit.cast"
    done = cast_of(kit_recording, out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return out


def test_the_cast_is_asciicast_v2_and_ends_at_38_of_38_ready(kit_cast: Path):
    header, *events = [json.loads(line) for line in kit_cast.read_text().splitlines()]
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (120, 40)
    assert header["env"] == {"TERM": "xterm-256color"}
    assert isinstance(header["timestamp"], int)
    times = [at for at, _, _ in events]
    assert all(kind == "o" and isinstance(data, str) for _, kind, data in events)
    assert times == sorted(times)
    assert times[0] == 0.0
    # the recording's 40-odd minutes at its pace, idle stretches a second each
    assert 120 < header["duration"] < 900
    assert header["duration"] >= times[-1]
    assert "\x1b[38;5;" in "".join(data for _, _, data in events)  # 256 colours, as on TERM
    terminal = Terminal(40, 120)
    for _, _, data in events:
        terminal.play(data)
    lines = terminal.lines()
    kit = load_scenario("bootstrap-kit").releases
    assert len(kit) == 38
    assert "38/38 ready" in lines[1]
    assert lines[1].startswith("ready")
    rows = [line for line in lines[3:] if line.startswith("✔ ready")]
    assert len(rows) >= 30  # every row the table shows (the rest scroll)
    bar = lines[-2].split()
    assert bar[0] == "▶"
    assert bar[1] == bar[-1]  # the position bar at the recording's end (40-odd minutes) ...
    assert bar[1].endswith("m")
    assert 40 <= int(bar[1][:-1]) < 60
    assert "F failure" not in lines[-2]  # ... without the seek keys (a video has no keyboard)


@pytest.mark.skipif(shutil.which("asciinema") is None, reason=f"needs asciinema: {INSTALL}")
def test_asciinema_plays_the_cast(kit_cast: Path):
    code, played = in_a_terminal("asciinema", "play", "--idle-time-limit", "0.001", str(kit_cast))
    assert code == 0, played[-2000:]
    code, raw = in_a_terminal("asciinema", "cat", str(kit_cast))
    assert code == 0, raw[-2000:]
    terminal = Terminal(40, 120).play(raw)
    assert "38/38 ready" in terminal.lines()[1]
    assert "38/38 ready" in played


def test_bad_cast_flags_are_one_line_and_exit_2(stuck_recording: Path, tmp_path: Path):
    missing = tmp_path / "no-such-dir" / "x.cast"
    done = cast_of(stuck_recording, missing)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"sovwatch: cannot write the cast {missing}: No such file or directory; "
        "pass --cast a path in a writable directory"
    ]
    done = cast_of(stuck_recording, tmp_path / "x.cast", "--cast-size", "40x10")
    assert done.returncode == 2
    assert "invalid size '40x10': use COLSxROWS, at least 80x24, like 120x40" in done.stderr
    done = cast_of(stuck_recording, tmp_path / "x.cast", "-o", "json")
    assert done.returncode == 2
    assert "--cast writes the TUI's rendering to a file" in done.stderr
    assert not (tmp_path / "x.cast").exists()
