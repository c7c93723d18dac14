"""The fleet screen: one row per Sovereign, failing first; `enter` opens one, `esc` comes back.

The members are real pipelines fed the objects of the emulator's scenarios played to different
instants (as `fed_app` feeds one), with the clock pinned, so the screens are byte-stable; the
end-to-end path over HTTP is test_fleet_live.py's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from sovsim.objects import ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.model.snapshot import ClusterInfo
from sovwatch.pipeline import Pipeline, interactive
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.screens.fleet import FleetScreen
from sovwatch.views.tui.screens.main import MemberScreen
from tests.views.tui import screen
from tests.views.tui.conftest import START, Feed, items_of
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


@dataclass
class Member:
    name: str
    server: str
    pipeline: Pipeline
    source: Feed | None
    trouble: str | None = None
    log_streams: None = None


@dataclass
class PlayedFleet:
    """Members fed from recorded items; one (no source) never connects."""

    members: list[Member]
    subscribers: list = field(default_factory=list)

    def subscribe(self, subscriber) -> None:
        self.subscribers.append(subscriber)

    async def run(self) -> None:
        await asyncio.gather(*(m.pipeline.run(m.source()) for m in self.members if m.source))
        await asyncio.Event().wait()  # a fleet runs until the app ends


def played_items(scenario: str, seconds: float, seed: int) -> list:
    objects = ObjectStore()
    start = NOW - seconds
    ScenarioRunner(objects, load_scenario(scenario), seed=seed, start=start).run_until(seconds)
    return items_of(objects, NOW)


@pytest.fixture(scope="module")
def fleet_items() -> dict[str, list]:
    return {
        context: played_items(scenario, seconds, seed)
        for seed, (context, scenario, seconds) in enumerate(PLAN)
    }


def member(context: str, items: list | None, *, trouble: str | None = None) -> Member:
    server = f"https://10.20.0.{len(context)}:6443"
    pipeline = Pipeline(
        cluster=ClusterInfo(context=context, server=server),
        started_at=START + 600,
        clock=lambda: NOW,
        coalescing=interactive(4.0),
    )
    return Member(context, server, pipeline, Feed(items) if items else None, trouble)


@pytest.fixture
def fleet_app(fleet_items):
    def make(**settings) -> SovwatchApp:
        members = [member(c, items) for c, items in fleet_items.items()]
        members.insert(3, member("sov-mad1", None, trouble=REFUSED))
        return SovwatchApp(
            lambda: None, fleet=PlayedFleet(members), settings=TuiSettings(**settings)
        )

    return make


async def shown(pilot, app: SovwatchApp, members: int) -> FleetScreen:
    """Wait until every fed member has published and the fleet screen shows them all."""
    fleet_screen = app.fleet_screen
    for _ in range(400):
        await pilot.pause(0.02)
        fed = [m for m in app.fleet.members if m.source]
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
    assert lines[20].startswith(" sov-par1 https://10.20.0.8:6443  streams live  elapsed 50m")
    assert lines[21].startswith(" cause: bp-nats-jetstream ← bp-spire ← RetriesExceeded: Failed")
    assert all(len(line) <= 80 for line in lines)


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
