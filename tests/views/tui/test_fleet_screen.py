"""The fleet screen: one row per Sovereign, failing first; `enter` opens one, `esc` comes back.

The members are real pipelines fed the objects of the emulator's scenarios played to different
instants (as `fed_app` feeds one), with the clock pinned, so the screens are byte-stable; the
end-to-end path over HTTP is test_fleet_live.py's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import math

import pytest
from rich.console import Console
from textual._compositor import ChopsUpdate, LayoutUpdate

from sovsim.objects import ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.fleet import Fleet, MemberSpec
from sovwatch.fleet_recording import FleetReplay
from sovwatch.kube.errors import FatalError
from sovwatch.pipeline import Pipeline, interactive
from sovwatch.session import Session
from sovwatch.settings import WatchSettings
from sovwatch.sources.recording import Recorder, RecordingReader, TroubleNote
from sovwatch.sources.replay import ReplayControl
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.screens.fleet import FleetScreen
from sovwatch.views.tui.screens.main import MemberScreen
from sovwatch.views.tui.terminal_output import partial_update
from tests.views.tui import screen
from tests.views.tui.conftest import START, Feed, items_of
from tests.views.tui.terminal import Terminal
from tests.views.tui.test_snapshots import check

NOW = START + 3600
REFUSED = (
    "cannot connect to 10.20.0.4:6443: connection refused (server https://10.20.0.4:6443, context "
    "'sov-mad1' in fleet.yaml): is the API server running and reachable from here (VPN, "
    "firewall, port)?"
)
PLAN = (
    # context, scenario, simulated seconds
    ("sov-fra1", "bootstrap-kit", 2700),
    ("sov-ams1", "bootstrap-kit", 1500),
    ("sov-par1", "stuck", 3500),
    ("sov-lon1", "bootstrap-kit", 450),
    ("sov-waw1", "stuck", 600),
    ("sov-sto1", "bootstrap-kit", 2700),
)


async def opener(spec: MemberSpec) -> Session:
    """Each member's items, as a connected cluster's source; `sov-mad1` cannot be reached."""
    if spec.name == "sov-mad1":
        raise FatalError(REFUSED)
    return Session(
        source=Feed(FED[spec.name]),
        context=spec.name,
        server=SERVERS[spec.name],
        started=START + 600,
        clock=lambda: NOW,
    )


def played_items(scenario: str, seconds: float, seed: int) -> list:
    objects = ObjectStore()
    start = NOW - seconds
    ScenarioRunner(objects, load_scenario(scenario), seed=seed, start=start).run_until(seconds)
    return items_of(objects, NOW)


FED: dict[str, list] = {}
"""Each member's items (filled once per module)."""
SERVERS = {context: f"https://10.20.0.{10 + i}:6443" for i, (context, _, _) in enumerate(PLAN)}


@pytest.fixture(scope="module", autouse=True)
def fleet_items() -> None:
    FED.update(
        {
            context: played_items(scenario, seconds, seed)
            for seed, (context, scenario, seconds) in enumerate(PLAN)
        }
    )


@pytest.fixture
async def fleet_app():
    """`fleet_app(**settings)`: the app over a real `Fleet` of the members of `PLAN` (and one
    that cannot be reached), their clocks pinned at `NOW`."""
    fleets: list[Fleet] = []

    def make(**settings) -> SovwatchApp:
        fleet = Fleet(
            opener=opener,
            pipeline=lambda: Pipeline(
                started_at=START + 600, clock=lambda: NOW, coalescing=interactive(4.0)
            ),
            settings=WatchSettings(),
            clock=lambda: NOW,
        )
        for context in [*FED][:3] + ["sov-mad1"] + [*FED][3:]:
            fleet.add(MemberSpec(context, context=context))
        fleets.append(fleet)
        return SovwatchApp(None, fleet=fleet, settings=TuiSettings(**settings))

    yield make
    for fleet in fleets:
        await fleet.aclose()


async def shown(pilot, app: SovwatchApp, members: int) -> FleetScreen:
    """Wait until every fed member has published and the fleet screen shows them all."""
    fleet_screen = app.fleet_screen
    for _ in range(400):
        await pilot.pause(0.02)
        fed = [m for m in app.fleet if m.name in FED]
        rows = fleet_screen.rows
        published = all(m.pipeline.latest for m in fed)
        if published and len(rows) == members and all(r.outcome != "connecting" for r in rows):
            break
    await pilot.pause()
    return fleet_screen


async def test_failing_clusters_come_first_with_totals_and_causes(fleet_app):
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        lines = screen.lines(app)
    outcomes = [(r.context, r.outcome) for r in fleet_screen.rows]
    assert outcomes[:2] == [("sov-par1", "failed"), ("sov-mad1", "trouble")]
    assert outcomes[-2:] == [("sov-fra1", "ready"), ("sov-sto1", "ready")]
    assert lines[0].startswith("sovwatch fleet  7 Sovereigns: 2 ready, 1 failed, 1 in trouble")
    assert "sov-par1  7/20 ▕██░░░░▏ 5    7    bp-spire ← RetriesExceeded: F…" in lines[2]
    assert "sov-mad1     —          —    —    cannot connect to 10.20.0.4:6…" in lines[3]
    # the selected one (the first) in full below the table
    assert lines[20].startswith(" sov-par1 https://10.20.0.12:6443  streams live  elapsed 50m")
    assert lines[21].startswith(" cause: bp-nats-jetstream ← bp-spire ← RetriesExceeded: Failed")
    assert all(len(line) <= 80 for line in lines)


async def test_the_first_frame_counts_the_members_already_there(fleet_app):
    """Not "0 Sovereigns" until the first redraw: the screen starts from the fleet as it is."""
    app = fleet_app()
    async with app.run_test(size=(80, 24)):
        first = app.fleet_screen.totals.members
    assert first == 7


async def test_enter_opens_a_member_and_esc_comes_back(fleet_app):
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        await pilot.press("down", "down", "down")  # sov-waw1: stuck at minute 10
        assert fleet_screen.selected == "sov-waw1"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MemberScreen)
        assert app.member.name == "sov-waw1"
        text = screen.text(app)
        assert "sov-waw1" in text.splitlines()[0]
        assert "bp-spire" in text
        await pilot.press("g")  # every view and key of the single screen
        await pilot.pause()
        assert app.screen.view == "graph"
        await pilot.press("escape")  # closes the graph
        await pilot.pause()
        assert isinstance(app.screen, MemberScreen)
        await pilot.press("escape")  # back to the fleet
        await pilot.pause()
        assert app.screen is fleet_screen
        assert app.member is None
        assert fleet_screen.selected == "sov-waw1"


async def test_a_member_in_trouble_says_why_instead_of_opening(fleet_app):
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        await pilot.press("down")
        assert fleet_screen.selected == "sov-mad1"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is fleet_screen
        assert any(REFUSED in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("variant", ["16colour", "nocolour"])
async def test_snapshot(fleet_app, monkeypatch, variant):
    if variant == "nocolour":
        monkeypatch.setenv("NO_COLOR", "1")
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app, 7)
        svg = screen.svg(app, system="16", title=f"sovwatch: fleet ({variant})")
    check(svg, f"fleet-{variant}")


async def test_help_names_the_fleet_keys(fleet_app):
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app, 7)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "enter               Open the selected cluster's screen" in screen.text(app)
        await pilot.press("escape", "enter")
        await pilot.pause()
        assert "esc Fleet" in screen.lines(app)[-1]
        await pilot.press("question_mark")
        await pilot.pause()
        assert "escape              Close pane, view or filter; else back to the fleet" in (
            screen.text(app)
        )


async def test_redrawing_an_unchanged_fleet_writes_nothing(fleet_app):
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        table = fleet_screen.query_one("#fleet-table")
        writes, repaints = table.writes, table.full_repaints
        app._fleet_dirty = True
        app._draw_fleet()
        await pilot.pause()
        assert (table.writes, table.full_repaints) == (writes, repaints)


async def test_a_minute_passing_rewrites_only_the_clocks_and_a_wobbling_eta_nothing(fleet_app):
    """Between two redraws a minute passed on every member and the in-progress ones' estimates
    moved within their bound (6 to 8 minutes): only the elapsed cells are written, no row moves."""
    app = fleet_app()
    async with app.run_test(size=(200, 50)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        table = fleet_screen.query_one("#fleet-table")
        assert {"elapsed", "eta"} <= {c.key for c in table.layout_columns}

        def moved(eta: float, minutes: float) -> list:
            return [
                dataclasses.replace(
                    r,
                    eta=eta if r.outcome == "in-progress" else r.eta,
                    elapsed=r.elapsed + minutes * 60,
                )
                for r in rows
            ]

        rows = fleet_screen.rows
        in_progress = [r for r in rows if r.outcome == "in-progress"]
        assert in_progress
        assert all(r.elapsed is not None for r in rows)
        fleet_screen.show(moved(6 * 60, 0), fleet_screen.totals)
        await pilot.pause()
        writes, repaints = table.writes, table.full_repaints
        fleet_screen.show(moved(8 * 60, 1), fleet_screen.totals)
        await pilot.pause()
        assert (table.writes - writes, table.full_repaints) == (len(rows), repaints)
        cells = [table.get_row(r.context) for r in in_progress]
        assert all(str(row[-2]) == "<10m" for row in cells), cells


async def test_rows_moving_leave_the_terminal_as_a_full_repaint_would(fleet_app):
    """The fleet screen's updates while rows move up and down (a Sovereign starts failing, one
    finishes) and clocks tick, played into one terminal, end up as a whole paint shows the final
    state: the terminal's line shifts never leave a stale cell."""
    app = fleet_app()
    width, height = 160, 20
    terminal = Terminal(height, width)
    output = Console(width=width, file=io.StringIO(), force_terminal=True, color_system="256")
    sent: list[str] = []
    async with app.run_test(size=(width, height)) as pilot:
        fleet_screen = await shown(pilot, app, 7)
        original = app._display

        def display(screen, renderable) -> None:
            if isinstance(renderable, (ChopsUpdate, LayoutUpdate)) and not app._batch_count:
                sent.append(renderable.render_segments(output))
                terminal.play(sent[-1])
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]
        first = app.screen._compositor.render_update(full=True)
        terminal.play(first.render_segments(output))
        rows = fleet_screen.rows
        orders = [rows, [rows[-1], *rows[:-1]], [*rows[1:], rows[0]], rows[2:] + rows[:2]]
        for minute, order in enumerate(orders):
            later = [dataclasses.replace(r, elapsed=r.elapsed + 60 * minute) for r in order]
            fleet_screen.show(later, fleet_screen.totals)
            await pilot.pause()
        full = app.screen._compositor.render_update(full=True)
        expected = Terminal(height, width).play(partial_update.render_layout(full, output))
    assert terminal.looks() == expected.looks()
    assert any("\x1b[L" in s for s in sent)
    assert any("\x1b[M" in s for s in sent)


async def test_a_fleet_recording_replays_on_the_fleet_screen(tmp_path):
    """A fleet's recording (the members' items tagged with their cluster, a trouble note) played
    into a `FleetReplay`'s fleet: the same rows as live, space pauses, a member opens and
    closes while paused and after."""
    path = tmp_path / "fleet.ndjson"
    with Recorder(path, context="", server="", fleet=True) as recorder:
        for context, items in FED.items():
            recorder.note(TroubleNote(context, START + 600, server=SERVERS[context], trouble=None))
            for item in items:
                recorder.write(item, cluster=context)
        recorder.note(TroubleNote("sov-mad1", START + 600, server="", trouble=REFUSED))
    control = ReplayControl(speed=math.inf, idle_limit=None)
    with RecordingReader(path) as reader:
        played = FleetReplay(
            reader,
            control=control,
            pipeline=lambda: Pipeline(
                clock=control.now, started_at=START + 600, coalescing=interactive(4.0)
            ),
            settings=WatchSettings(),
        )
    app = SovwatchApp(None, fleet=played.fleet, replay_control=control)
    async with app.run_test(size=(80, 24)) as pilot:
        feeding = asyncio.create_task(played.play())
        try:
            fleet_screen = await shown(pilot, app, 7)
            outcomes = [(r.context, r.outcome) for r in fleet_screen.rows]
            assert outcomes[:2] == [("sov-par1", "failed"), ("sov-mad1", "trouble")]
            await feeding
            await played.end()
            await pilot.press("space")
            await pilot.pause(0.3)
            assert screen.lines(app)[0].endswith("PAUSED instant")
            assert [r.outcome for r in fleet_screen.rows][:2] == ["failed", "trouble"]
            fleet_screen.query_one("#fleet-table").move_cursor(row=0)
            await pilot.press("enter", "escape", "space", "enter")
            await pilot.pause()
            assert isinstance(app.screen, MemberScreen)
            assert app.member.name == "sov-par1"
            assert "REPLAY instant" in screen.lines(app)[0]
        finally:
            feeding.cancel()
            await played.fleet.aclose()


def test_the_selected_held_row_says_why_it_is_among_the_failing():
    """A row held among the failing ones with nothing broken now (`FleetRow.held`) says so below
    the table; once let go (or with a cause of its own) it does not."""
    from dataclasses import replace

    from sovwatch.model.fleet import IN_PROGRESS, FleetRow, StreamSummary
    from sovwatch.views.tui.glyphs import UTF8
    from sovwatch.views.tui.screens.fleet import HELD_LINE, member_lines

    held = FleetRow(
        context="sov-fra1", server="https://10.20.0.12:6443", outcome=IN_PROGRESS, ready=37,
        target=38, failed=0, waiting=0, cause=(), streams=StreamSummary("live"), elapsed=600.0,
        eta=60.0, rank=3, held=True,
    )  # fmt: skip
    lines = member_lines(held, glyphs=UTF8).plain.splitlines()
    assert lines[1:] == [f"cause: {HELD_LINE}"]
    assert member_lines(replace(held, held=False), glyphs=UTF8).plain.splitlines()[1:] == []
