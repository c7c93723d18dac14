"""Replay mode: space pauses and resumes, `.` lets exactly one recorded item through, the header
says which. Driven through the real `sources.replay` generator and its `ReplayControl`."""

from __future__ import annotations

import copy
import math

from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.replay import ReplayControl, replay
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.widgets.release_table import ReleaseTable
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
    control = ReplayControl(speed=1.0)
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
