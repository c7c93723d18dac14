"""`sovwatch replay FLEET --cast OUT.cast`: a fleet's recording (real emulators over HTTP: one ready,
one stuck, one unreachable) rendered as the fleet screen in an asciicast v2 file, read back through
a small terminal model and, where installed, played by asciinema itself."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.fleet.test_fleet_report import _fleet_run
from tests.views.tui.terminal import Terminal
from tests.views.tui.test_cast import INSTALL, cast_of, in_a_terminal


async def test_a_fleet_recording_becomes_a_cast_of_the_fleet_screen(tmp_path, refused):
    run = await _fleet_run(tmp_path, refused)
    assert run.result.code == 1, run.result.err
    out = tmp_path / "fleet.cast"
    done = cast_of(run.recording, out, "--speed", "10", "--cast-size", "100x30", term="xterm")
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert out.stat().st_mode & 0o777 == 0o600
    header, *events = [json.loads(line) for line in out.read_text().splitlines()]
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (100, 30)
    assert header["env"] == {"TERM": "xterm"}
    assert header["title"] == "sovwatch replay fleet.ndjson"
    times = [at for at, _, _ in events]
    assert all(kind == "o" and isinstance(data, str) for _, kind, data in events)
    assert times == sorted(times)
    assert times[0] == 0.0
    assert header["duration"] >= times[-1]
    raw = "".join(data for _, _, data in events)
    assert "\x1b[38;5;" not in raw  # 16 colours, as TERM=xterm says
    lines = Terminal(30, 100).play(raw).lines()
    assert lines[0].startswith("sovwatch fleet  3 Sovereigns: 1 ready, 1 failed, 1 in trouble")
    rows = [line.split()[:3] for line in lines[2:5]]
    assert rows == [  # failing first, as on a live fleet screen
        ["✖", "failed", "sov-stuck"],
        ["⊘", "trouble", "sov-gone"],
        ["✔", "ready", "sov-ready"],
    ], "\n".join(lines)
    assert "trouble          cannot connect to 127.0.0.1:" in lines[3]

    if shutil.which("asciinema") is None:
        pytest.skip(f"asciinema plays it: needs asciinema: {INSTALL}")
    code, played = in_a_terminal("asciinema", "cat", str(out))
    assert code == 0, played[-2000:]
    assert Terminal(30, 100).play(played).lines()[0] == lines[0]
