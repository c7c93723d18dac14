"""Calm, exact updates through the real store and model: only changed cells are written, rows are
keyed, order moves in place, the screen is quiet when nothing changes, and a lost stream shows as
stale with the data kept."""

from __future__ import annotations

import copy

from rich.text import Text
from textual.app import App

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from sovwatch.views.tui.widgets.rollout_header import RolloutHeader
from tests.views.tui import screen
from tests.views.tui.conftest import AT, START, items_of, played, settle

HR = "helmreleases.helm.toolkit.fluxcd.io"


def table(app) -> ReleaseTable:
    return app.main.query_one(ReleaseTable)


def helmrelease(app, name: str) -> dict:
    return copy.deepcopy(app.store.get("HelmRelease", "flux-system", name))


def feed(app, *items) -> None:
    for item in items:
        app.store.apply(item)
    app.flush()


def cells(app) -> dict[str, list[str]]:
    t = table(app)
    return {row.key.value: [str(c) for c in t.get_row(row.key)] for row in t.ordered_rows}


async def test_suspending_a_release_rewrites_only_its_cells(fed_app):
    app = fed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        before, writes = cells(app), table(app).writes
        tempo = helmrelease(app, "bp-tempo")
        tempo["spec"]["suspend"] = True
        tempo["metadata"]["generation"] += 1
        feed(app, WatchEvent(HR, EventType.MODIFIED, tempo, START + AT))
        await pilot.pause()
        after = cells(app)
        changed = {k for k in before if before[k] != after[k]}
        assert changed == {"flux-system/bp-tempo"}
        assert after["flux-system/bp-tempo"][0] == "‖ suspended"
        diff = sum(
            a != b
            for a, b in zip(
                before["flux-system/bp-tempo"], after["flux-system/bp-tempo"], strict=True
            )
        )
        assert table(app).writes - writes == diff
        line = next(line for line in screen.lines(app) if "bp-tempo" in line)
        assert "‖ suspended" in line


async def test_scenario_progress_reaches_the_right_cell(fed_app):
    app = fed_app()
    later = START + 3000
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        rows = [row.key.value for row in table(app).ordered_rows]
        assert cells(app)["flux-system/bp-spire"][0] == "◐ progressing"
        app.clock = lambda: later
        feed(app, *items_of(played(3000), later, event=EventType.MODIFIED))
        await pilot.pause()
        assert cells(app)["flux-system/bp-spire"][0] == "⊘ stalled"
        assert [row.key.value for row in table(app).ordered_rows] == rows
        spire = next(line for line in screen.lines(app) if "bp-spire" in line)
        assert "⊘ stalled" in spire


async def test_nothing_written_when_nothing_changes(fed_app):
    app = fed_app()
    now = [START + AT]
    app.clock = lambda: now[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        t, header = table(app), app.main.query_one(RolloutHeader)
        state = (t.writes, header.repaints, app.flushes)
        for _ in range(5):  # same store revision, same second: nothing to do
            app.flush()
        await pilot.pause()
        assert (t.writes, header.repaints, app.flushes) == state
        now[0] += 1  # a second later nothing moves: the clock shows minutes
        app.flush()
        await pilot.pause()
        assert (t.writes, header.repaints, app.flushes) == state
        assert "elapsed 10m" in screen.text(app)
        now[0] += 60  # a minute later the clock and the "in state" ages move, nothing else
        app.flush()
        await pilot.pause()
        assert header.repaints == state[1] + 1
        assert "elapsed 11m" in screen.text(app)
        assert 0 < t.writes - state[0] <= t.row_count
        assert app.flushes == state[2]


async def test_releases_appear_disappear_and_reorder_in_place(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("down", "down", "down", "down")
        selected = table(app).selected_key
        velero = helmrelease(app, "bp-tempo")
        velero["metadata"]["name"] = "bp-velero"
        reloader = helmrelease(app, "bp-reloader")
        vpa = helmrelease(app, "bp-vpa")  # now waits for bp-flux: wave 0 -> wave 3
        vpa["spec"]["dependsOn"] = [{"name": "bp-flux"}]
        feed(
            app,
            WatchEvent(HR, EventType.ADDED, velero, START + AT),
            WatchEvent(HR, EventType.DELETED, reloader, START + AT),
            WatchEvent(HR, EventType.MODIFIED, vpa, START + AT),
        )
        await pilot.pause()
        keys = [row.key.value.split("/")[1] for row in table(app).ordered_rows]
        assert "bp-velero" in keys
        assert "bp-reloader" not in keys
        assert keys.index("bp-vpa") > keys.index("bp-flux")
        assert table(app).selected_key == selected  # the cursor stays on the same release


async def test_lost_stream_marks_stale_and_recovers(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        rows = table(app).row_count
        lost = StreamHealth(
            "pods",
            HealthState.RECONNECTING,
            since=START + AT - 12,
            attempt=3,
            detail="Cannot connect to host 203.0.113.10:6443",
        )
        feed(app, lost)
        await pilot.pause()
        first = screen.lines(app)[0]
        assert "STALE" in first
        assert "reconnecting: pods" in first
        assert app.main.has_class("stale")
        assert table(app).row_count == rows
        await pilot.press("s")
        await pilot.pause()
        assert "Cannot connect to host 203.0.113.10:6443" in screen.text(app)
        pods_line = next(line for line in screen.lines(app) if "  pods  " in line)
        assert "reconnecting" in pods_line
        assert "attempt 3" in pods_line
        await pilot.press("escape")
        feed(app, StreamHealth("pods", HealthState.LIVE, since=START + AT))
        await pilot.pause()
        assert "STALE" not in screen.lines(app)[0]
        assert screen.lines(app)[0].rstrip().endswith("live")
        assert not app.main.has_class("stale")


async def test_a_style_change_alone_rewrites_the_cell():
    """A release turning from progressing to failed keeps its cause text; the colour must follow."""

    class One(App[None]):
        def compose(self):
            yield KeyedTable(id="t")

    app = One()
    async with app.run_test(size=(40, 5)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns([Column("cause", "Cause", 30)])
        table.sync([("a", (Text("Unhealthy web-0", style="cyan"),))])
        writes = table.writes
        table.sync([("a", (Text("Unhealthy web-0", style="cyan"),))])
        assert table.writes == writes
        table.sync([("a", (Text("Unhealthy web-0", style="bold red"),))])
        await pilot.pause()
        assert table.writes == writes + 1
        assert str(table.get_row("a")[0].style) == "bold red"


async def test_a_changed_cell_repaints_its_row_only_and_an_idle_second_sends_nothing(fed_app):
    """What reaches the terminal: one suspended release sends its own row (and the header's
    progress line), not the table; an idle second sends nothing at all."""
    app = fed_app()
    now = [START + AT]
    app.clock = lambda: now[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        frames = screen.Frames(app)
        await frames.quiet(pilot)
        now[0] += 1
        app.flush()
        await pilot.pause()
        assert frames.take() == (set(), 0)
        tempo = helmrelease(app, "bp-tempo")
        tempo["spec"]["suspend"] = True
        tempo["metadata"]["generation"] += 1
        feed(app, WatchEvent(HR, EventType.MODIFIED, tempo, START + AT))
        await pilot.pause()
        rows, _ = frames.take()
        tempo_row = next(y for y, line in enumerate(screen.lines(app)) if "bp-tempo" in line)
        assert rows - {0, 1} == {tempo_row}


async def test_a_change_after_a_quiet_period_flushes_without_waiting_for_a_tick(fed_app):
    """The first change of a quiet period is shown after the pipeline's settle delay, not on a fixed
    tick; changes arriving meanwhile join the same flush."""
    app = fed_app(refresh_hz=0.5)  # a 2 s coalescing gap: only the scheduled flush can be seen
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.pause(app.min_flush_gap)  # a quiet period
        flushes = app.flushes
        for name in ("bp-tempo", "bp-loki"):
            release = helmrelease(app, name)
            release["spec"]["suspend"] = True
            release["metadata"]["generation"] += 1
            app.store.apply(WatchEvent(HR, EventType.MODIFIED, release, START + AT))
            app.schedule_flush()
        for _ in range(50):  # well under the 2 s gap
            await pilot.pause(0.02)
            if app.flushes > flushes:
                break
        assert app.flushes == flushes + 1
        shown = cells(app)
        assert shown["flux-system/bp-tempo"][0] == shown["flux-system/bp-loki"][0] == "‖ suspended"


async def test_the_clock_tick_does_not_repaint_the_table_scrollbar(fed_app):
    """A moving clock keeps its width: no layout pass, so the scrolled table's scrollbar (1.4 KB a
    time at 120x40) is not repainted with it."""
    app = fed_app()
    now = [START + AT]
    app.clock = lambda: now[0]
    async with app.run_test(size=(100, 16)) as pilot:
        await settle(pilot, app)
        assert table(app).max_scroll_y > 0  # the table scrolls: its scrollbar is on screen
        frames = screen.Frames(app)
        await frames.quiet(pilot)
        for _ in range(3):  # the clock alone, as when its minute turns between flushes
            app.main.now += 60
            app.main.refresh_header()
            await pilot.pause()
            assert frames.take()[0] == {1}


async def test_a_fixed_width_line_changing_length_does_not_repaint_the_screen():
    """The header's progress line is as wide as the screen: "9/38 ready" becoming "10/38 ready"
    cannot resize it, so no layout pass (which repaints every line) is asked for."""
    from textual.content import Content

    from sovwatch.views.tui.widgets.calm_static import CalmStatic

    class Two(App[None]):
        def compose(self):
            yield CalmStatic(id="line")
            yield KeyedTable(id="t")

    app = Two()
    async with app.run_test(size=(40, 8)) as pilot:
        line, keyed = app.query_one(CalmStatic), app.query_one(KeyedTable)
        line.show(Content("in-progress 9/38 ready"))
        keyed.set_columns([Column("name", "Release", 20)])
        keyed.sync([(f"r{n}", (Text(f"bp-{n}"),)) for n in range(20)])
        frames = screen.Frames(app)
        await frames.quiet(pilot)
        line.show(Content("in-progress 10/38 ready"))
        await pilot.pause()
        assert frames.take()[0] == {0}
        line.show(Content("in-progress 10/38 ready\nsecond line"))  # taller: a layout is due
        await pilot.pause()
        assert len(frames.take()[0]) > 2
