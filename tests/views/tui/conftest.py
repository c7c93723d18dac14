"""Fixtures for the TUI tests: the real app, store and model fed from the `stuck` scenario.

The scenario (sovsim/scenarios/stuck.yaml) is played instantly to a fixed simulated time
from a fixed start, so every object, name and timestamp is the same on every run; the app's clock is
pinned to that instant, which makes its screens reproducible to the byte. `fed_app` feeds the
objects as the watch engine would (slimmed ADDED events, then every stream LIVE); the end-to-end
tests in test_live_emulator.py go through HTTP and the real engine instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from sovsim.objects import CATALOGUE, ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import EventType, HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings

START = 1_777_543_200.0
"""Scenario start (2026-04-30T10:00:00Z)."""
AT = 600.0
"""Simulated seconds: ten minutes in, every trouble of the scenario is visible."""
CLUSTER = {"context": "sov-omantel", "server": "https://203.0.113.10:6443"}


def played(sim_seconds: float = AT) -> ObjectStore:
    objects = ObjectStore()
    ScenarioRunner(objects, load_scenario("stuck"), seed=0, start=START).run_until(sim_seconds)
    return objects


def items_of(
    objects: ObjectStore, at: float, *, event: EventType = EventType.ADDED
) -> list[SourceItem]:
    """Every watched object as the engine delivers it, then each stream's LIVE health."""
    items: list[SourceItem] = []
    watched = {r.key for r in WATCHED}
    for rt in CATALOGUE:
        if rt.key not in watched or rt.view_of:
            continue
        for obj in objects.list(rt.key)[0]:
            items.append(WatchEvent(rt.key, event, slim(obj), at))
    items += [StreamHealth(key, HealthState.LIVE, since=START + 1) for key in sorted(watched)]
    return items


class Feed:
    """The source the app reads: a list of items, then nothing (the stream stays open)."""

    def __init__(self, items: list[SourceItem]) -> None:
        self.items = items

    async def __call__(self) -> AsyncIterator[SourceItem]:
        for item in self.items:
            yield item


@pytest.fixture(autouse=True)
def terminal(monkeypatch) -> None:
    """Every TUI test runs as on `TERM=xterm` (16 colours), unless it sets its own TERM: the
    colour system is what a real console detects from the environment when the app is created."""
    monkeypatch.setenv("TERM", "xterm")
    for var in ("COLORTERM", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def stuck_items() -> list[SourceItem]:
    return items_of(played(AT), START + AT)


@pytest.fixture
def fed_app(stuck_items) -> Callable[..., SovwatchApp]:
    """`fed_app(**settings)`: the app over the stuck scenario at minute 10, clock pinned there."""

    def make(**settings) -> SovwatchApp:
        return SovwatchApp(
            Feed(stuck_items),
            cluster=CLUSTER,
            settings=TuiSettings(**settings),
            clock=lambda: START + AT,
            started_at=START,
        )

    return make


async def settle(pilot, app: SovwatchApp) -> None:
    """Wait until the source's items are in the store and a flush has shown them."""
    for _ in range(200):
        await pilot.pause()
        if app.store.revision and not any(not w.is_finished for w in app.workers):
            break
    app.flush()
    await pilot.pause()
