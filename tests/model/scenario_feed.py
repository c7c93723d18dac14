"""Emulator scenarios played instantly (simulated time) into a Store, as the watch engine feeds it.

`store_at` is a cold start: everything up to a simulated instant listed at once, as sovwatch sees a
cluster it starts watching mid-bootstrap. `Feed` streams every change (slimmed WatchEvents stamped
with the simulated receive time) so a Rollout can be updated step by step, as live.
"""

from __future__ import annotations

from sovwatch.emulator.objects import CATALOGUE, ObjectStore
from sovwatch.emulator.scenario import ScenarioRunner, load_scenario
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store

START = 1_777_543_200.0
_VIEWS = {rt.key for rt in CATALOGUE if rt.view_of}


def store_at(scenario: str, sim_seconds: float, *, seed: int = 0) -> Store:
    """The store after listing every watched object at `sim_seconds` (a cold start)."""
    objects = ObjectStore()
    ScenarioRunner(objects, load_scenario(scenario), seed=seed, start=START).run_until(sim_seconds)
    store = Store()
    for rt in CATALOGUE:
        if rt.view_of or rt.kind in ("Namespace", "CustomResourceDefinition"):
            continue
        for obj in objects.list(rt.key)[0]:
            store.apply(WatchEvent(rt.key, EventType.ADDED, slim(obj), START + sim_seconds))
    return store


class Feed:
    """A scenario whose every change reaches `store` (and `also`, e.g. a recorder) as it happens."""

    def __init__(self, scenario: str, *, seed: int = 0, also=None) -> None:
        self.store = Store()
        self._objects = ObjectStore()
        self._runner = ScenarioRunner(
            self._objects, load_scenario(scenario), seed=seed, start=START
        )
        self._also = also
        self._objects.listeners.append(self._on_change)

    def _on_change(self, change) -> None:
        if change.resource in _VIEWS:
            return
        event = WatchEvent(change.resource, EventType(change.type), slim(change.obj), self.now)
        self.store.apply(event)
        if self._also is not None:
            self._also(event)

    @property
    def now(self) -> float:
        return START + self._runner.sim_time

    def run_until(self, sim_seconds: float) -> None:
        self._runner.run_until(sim_seconds)
