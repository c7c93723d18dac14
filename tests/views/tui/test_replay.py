"""Replay mode: space pauses and resumes, `.` lets exactly one recorded item through, the header
says which; seeking (`[` `]` `<` `>` `n` `F`) lands on what a straight replay shows at that instant.
Driven through the real `sources.replay` generator and its `ReplayControl`, over recordings made by
`sovwatch demo --record`."""

from __future__ import annotations

import copy
import math
import re

from sovwatch.navigation import Navigator
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.recording import RecordingReader
from sovwatch.sources.replay import INSTANT, ReplayControl, Tape, replay
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.demo_recordings import first_failure
from tests.views.tui import screen
from tests.views.tui.conftest import AT, CLUSTER, START, settle

HR = "helmreleases.helm.toolkit.fluxcd.io"


def suspended(items, name: str, at: float) -> WatchEvent:
    """The recorded HelmRelease `name`, suspended by a later MODIFIED event at `at`."""
    obj = next(
        copy.deepcopy(i.obj)
        for i in items
        if isinstance(i, WatchEvent)
        and i.obj["kind"] == "HelmRelease"
        and i.obj["metadata"]["name"] == name
    )
    obj["spec"]["suspend"] = True
    obj["metadata"]["generation"] += 1
    obj["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1000)
    return WatchEvent(HR, EventType.MODIFIED, obj, at)


async def until(pilot, condition) -> None:
    """Let the app run until `condition()` holds, then flush what arrived onto the screen."""
    for _ in range(200):
        await pilot.pause()
        if condition():
            break
    pilot.app.flush()
    await pilot.pause()


def state_cell(app, name: str) -> str:
    return str(app.main.query_one(ReleaseTable).get_row(f"flux-system/{name}")[0])


async def test_pause_and_step_one_item_at_a_time(stuck_items):
    later = [
        suspended(stuck_items, n, START + AT + 60 * (i + 1))
        for i, n in enumerate(("bp-tempo", "bp-cnpg", "bp-flux"))
    ]
    control = ReplayControl(speed=1.0, idle_limit=None)  # the minutes between the later items
    app = SovwatchApp(
        lambda: replay([*stuck_items, *later], control=control),
        cluster=CLUSTER,
        settings=TuiSettings(refresh_hz=20),
        replay_control=control,
        clock=control.now,
        started_at=START,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        # the recording's first minute plays at once, then the replay waits for the next item
        await until(pilot, lambda: control.played == len(stuck_items))
        assert "REPLAY 1x" in screen.lines(app)[0]
        assert state_cell(app, "bp-tempo") == "✔ ready"
        await pilot.press("space")
        await pilot.pause()
        assert control.paused
        assert "PAUSED 1x" in screen.lines(app)[0]
        for step, name in enumerate(("bp-tempo", "bp-cnpg"), start=1):
            revision = app.store.revision
            await pilot.press("full_stop")
            await until(pilot, lambda before=revision: app.store.revision > before)
            await pilot.pause(0.1)  # room for a second item to slip through, if one could
            assert app.store.revision == revision + 1  # one item, not the rest
            assert control.played == len(stuck_items) + step
            assert state_cell(app, name) == "‖ suspended"
            assert state_cell(app, "bp-flux") == "✔ ready"
            assert "PAUSED 1x" in screen.lines(app)[0]
        await pilot.press("space")
        await pilot.pause()
        assert not control.paused
        assert "REPLAY 1x" in screen.lines(app)[0]
        assert control.played == len(stuck_items) + 2  # the last one is a minute away


async def test_instant_replay_says_so(stuck_items):
    control = ReplayControl(speed=math.inf)
    app = SovwatchApp(
        lambda: replay(stuck_items, control=control),
        cluster=CLUSTER,
        replay_control=control,
        clock=control.now,
        started_at=START,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert "REPLAY instant" in screen.lines(app)[0]
        assert "infx" not in screen.text(app)


# -- seeking in a recording -------------------------------------------------------------------


def _tape(recording) -> tuple[Tape, float]:
    with RecordingReader(recording) as reader:
        return Tape.of(reader), reader.header.started


def seekable_app(tape: Tape, started: float) -> SovwatchApp:
    """The TUI over a recording, paused at its start, with seeking (as `sovwatch replay`)."""
    control = ReplayControl(speed=1.0, paused=True)
    return SovwatchApp(
        lambda: replay(tape, control=control),
        cluster=CLUSTER,
        replay_control=control,
        navigator=Navigator(tape, control, started_at=started),
        clock=control.now,
        started_at=started,
    )


async def straight_replay(tape: Tape, started: float, position: int, at: float) -> tuple:
    """What a straight replay shows at recording time `at`: the first `position` items played
    through the app at once, its clock at `at`. (snapshot, the header's second line and the
    release table's rows)."""
    control = ReplayControl(speed=INSTANT)
    app = SovwatchApp(
        lambda: replay(list(tape.items[:position]), control=control),
        cluster=CLUSTER,
        replay_control=control,
        clock=lambda: at,
        started_at=started,
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: control.finished)
        return shown(app)


def shown(app: SovwatchApp) -> tuple:
    return app.main.snapshot, screen.lines(app)[1:TABLE_END]


async def seek(pilot, key: str) -> None:
    """Press a seek key and wait until it has landed (`n` and `F` search in a thread)."""
    await pilot.press(key)
    await until(pilot, lambda: not pilot.app.searching)


SIZE = (120, 40)
TABLE_END = 24
"""The header's second line, the column labels and the 20 releases of `stuck`."""


async def test_next_failure_lands_on_the_first_failing_release(stuck_recording):
    tape, started = _tape(stuck_recording)
    expected = first_failure(stuck_recording)
    app = seekable_app(tape, started)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.replay_control.position == 0
        await seek(pilot, "F")
        table = app.main.query_one(ReleaseTable)
        assert table.selected_key == f"flux-system/{expected}"
        assert state_cell(app, expected) == "✖ failed"
        failing = [r.key[2] for r in app.main.snapshot.releases if r.verdict.state == "failed"]
        assert failing == [expected]  # the first one, not a later one
        lines = screen.lines(app)
        assert "PAUSED 1x" in lines[0]
        assert lines[-2].lstrip().startswith("‖ ")  # the position bar, paused, to the second
        assert shown(app) == await straight_replay(
            tape, started, app.replay_control.position, app.clock()
        )


async def test_seeking_back_and_forth_shows_what_a_straight_replay_shows(stuck_recording):
    tape, started = _tape(stuck_recording)
    app = seekable_app(tape, started)
    seen: list[tuple[str, int, float, tuple]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # forward (played into the store the model follows), then back (rebuilt), both ends
        for keys in ("F", "]", "right_square_bracket", "n", "[", ">", "[", "<", "]"):
            await seek(pilot, keys)
            control = app.replay_control
            seen.append((keys, control.position, app.clock(), shown(app)))
    clocks = [at for _, _, at, _ in seen]
    assert clocks[1] == clocks[0] + 60
    assert clocks[2] == clocks[0] + 120
    assert clocks[4] < clocks[3]
    assert seen[5][1] == len(tape)
    assert seen[7][1:3] == (0, tape.start)
    for keys, position, at, picture in seen:
        assert picture == await straight_replay(tape, started, position, at), keys


async def test_a_search_that_finds_nothing_says_so_and_stays(stuck_recording):
    tape, started = _tape(stuck_recording)
    app = seekable_app(tape, started)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await seek(pilot, ">")
        before = shown(app)
        await seek(pilot, "F")
        await pilot.pause()
        assert app.replay_control.position == len(tape)
        assert shown(app) == before
        assert screen.lines(app)[-2].rstrip().endswith("no failure after this")
        await seek(pilot, "<")  # the next seek clears it
        assert screen.lines(app)[-2].rstrip().endswith("n change  F failure")


async def test_help_lists_the_seek_keys_in_a_replay(stuck_recording):
    tape, started = _tape(stuck_recording)
    app = seekable_app(tape, started)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.press("end")  # the list scrolls at 80x24
        await pilot.pause()
        text = screen.text(app)
        for keys, does in (
            ("[ ]", "A minute back / on"),
            ("< >", "To the start / end"),
            ("n", "Next state change"),
            ("F", "Next failure"),
        ):
            assert re.search(rf"{re.escape(keys)} +{does}", text), text


async def test_after_the_end_a_seek_back_plays_on(stuck_recording):
    tape, started = _tape(stuck_recording)
    app = seekable_app(tape, started)
    control = app.replay_control
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await seek(pilot, ">")
        await until(pilot, lambda: control.finished)  # the source has played to its end
        await seek(pilot, "<")
        assert (control.position, control.finished) == (0, False)
        await pilot.press("space")  # resume: a new source plays on from the start
        await until(pilot, lambda: control.position > tape.lead_in)
        assert app.store.revision == control.position
        assert "REPLAY 1x" in screen.lines(app)[0]
