"""`sovwatch replay FLEET --cast OUT.cast`: a fleet's recording (real emulators over HTTP: one ready,
one stuck, one unreachable) rendered as the fleet screen in an asciicast v2 file, read back through
a small terminal model and, where installed, played by asciinema itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import Recorder
from sovwatch.views.tui.widgets.fleet_table import HELD
from tests.cli.cli_helpers import sovwatch
from tests.fleet.fleet_helpers import (
    played,
    unverified_warning,
    with_unverified_member,
)
from tests.fleet.test_fleet_report import _fleet_run
from tests.model.builders.common import T0_EPOCH
from tests.model.builders.flux import hr_install_failed, hr_installing, hr_waiting
from tests.views.report.recordings import HR
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


def _retried_fleet(path: Path) -> Path:
    """A fleet's recording: z-flaky's bp-a fails at +60 s and installs again at +120 s (its
    bp-b waits for it), a-calm installs all along; nothing else happens until +1000 s."""
    t = T0_EPOCH
    with Recorder(path, context="", server="", fleet=True, started=t) as rec:
        for name in ("a-calm", "z-flaky"):
            rec.write(StreamHealth(HR, HealthState.LIVE, t, detail="v2"), cluster=name)
        rec.write(WatchEvent(HR, EventType.ADDED, hr_installing("bp-x"), t + 1), cluster="a-calm")
        for item in (
            WatchEvent(HR, EventType.ADDED, hr_installing("bp-a"), t + 1),
            WatchEvent(HR, EventType.ADDED, hr_waiting("bp-b", "bp-a"), t + 1),
            WatchEvent(
                HR, EventType.MODIFIED, hr_install_failed("bp-a", "boom", failures=1), t + 60
            ),
            WatchEvent(HR, EventType.MODIFIED, hr_installing("bp-a"), t + 120),
        ):
            rec.write(item, cluster="z-flaky")
        rec.write(StreamHealth(HR, HealthState.LIVE, t + 1000, detail="v2"), cluster="a-calm")
    return path


def test_a_recovered_cluster_is_held_among_the_failing_for_hold_seconds_of_recorded_time(tmp_path):
    """The fleet screen's hold (`model.fleet.HOLD`) counts the recording's time, not the wall
    clock's: at 100x, z-flaky stays above a-calm until 300 recorded seconds after its bp-a
    recovered (cast time 4.2 s), then the rows are in name order again."""
    out = tmp_path / "held.cast"
    done = cast_of(
        _retried_fleet(tmp_path / "held.ndjson"), out,
        "--speed", "100", "--real-gaps", "--cast-size", "80x24", term="xterm",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _, *events = [json.loads(line) for line in out.read_text().splitlines()]

    def screen_at(at: float) -> list[str]:
        return Terminal(24, 80).play("".join(d for when, _, d in events if when <= at)).lines()

    def rows_at(at: float) -> list[tuple[str, str]]:
        """(context, failed and waiting counts and cause) of the two rows at cast time `at`."""
        lines = screen_at(at)[2:4]
        return [(line.split()[2], " ".join(line.split("▏")[1].split())) for line in lines]

    failed = "1 1 bp-a ← InstallFailed: Helm insta…"
    assert rows_at(1.0) == [("z-flaky", failed), ("a-calm", "— —")]
    # recovered 230 recorded seconds ago: held, and marked so
    assert rows_at(3.5) == [("z-flaky", f"— 1 {HELD}"), ("a-calm", "— —")]
    assert rows_at(events[-1][0]) == [("a-calm", "— —"), ("z-flaky", "— 1")]  # +1000 s: let go


async def test_a_member_s_connection_warning_is_recorded_and_marked_on_replay(tmp_path):
    """A fleet watched live, one member's server not verified (insecure-skip-tls-verify over
    https): its recording notes the warning, a replay says it on stderr as the live run did, and
    the fleet screen played from it marks the row `!` and counts it in the header, as live."""
    async with Emulator(tls=True) as insecure, Emulator() as plain:
        kubeconfig = with_unverified_member(
            tmp_path / "fleet.yaml",
            "sov-insecure",
            played(insecure, "tiny"),
            {"sov-plain": played(plain, "tiny")},
        )
        recording = tmp_path / "fleet.ndjson"
        run = await sovwatch(
            "--kubeconfig", str(kubeconfig), "--all-contexts", "-o", "json", "--exit-on-done",
            "--no-logs", "--record", str(recording),
        )  # fmt: skip
    assert run.code == 0, run.err
    warning = unverified_warning("sov-insecure", kubeconfig)
    noted = [json.loads(line) for line in recording.read_text().splitlines()[1:]]
    assert {(n["cluster"], w) for n in noted for w in n.get("warnings", [])} == {
        ("sov-insecure", warning)
    }
    said = [f"sovwatch: sov-insecure: warning: {warning}"]
    assert run.err.splitlines() == said
    replayed = await sovwatch("replay", str(recording), "--speed", "instant", "-o", "plain")
    assert replayed.code == 0, replayed.err
    assert replayed.err.splitlines() == said  # said again, as live
    out = tmp_path / "fleet.cast"
    done = cast_of(recording, out, "--speed", "100", "--cast-size", "80x24", term="xterm")
    assert done.returncode == 0, done.stderr
    _, *events = [json.loads(line) for line in out.read_text().splitlines()]
    lines = Terminal(24, 80).play("".join(data for _, _, data in events)).lines()
    assert lines[0].rstrip().endswith("2 Sovereigns: 2 ready  ! 1 with warnings"), lines[0]
    rows = [line.split()[2:4] for line in lines[2:4]]
    assert rows[0] == ["sov-insecure", "!"], lines
    assert rows[1][0] == "sov-plain", lines
    assert rows[1][1] != "!", lines
