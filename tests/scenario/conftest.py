"""Shared helpers: play a scenario into a fresh store and record every change it makes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sovsim.objects import Change, ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario

START = 1_700_000_000.0
HR = "helmreleases.helm.toolkit.fluxcd.io"


@dataclass
class Played:
    store: ObjectStore
    runner: ScenarioRunner
    changes: list[tuple[float, Change]]
    """Every change with the simulated time it happened at."""

    def hr(self, name: str) -> dict:
        return self.store.get(HR, "flux-system", name)

    def events_for(self, namespace: str, name: str) -> list[dict]:
        items, _ = self.store.list("events", namespace)
        return [e for e in items if e["involvedObject"]["name"] == name]


def play(name: str, until: float | None = None, *, seed: int = 0) -> Played:
    store = ObjectStore(history_limit=1_000_000)
    runner = ScenarioRunner(store, load_scenario(name), seed=seed, start=START)
    changes: list[tuple[float, Change]] = []
    store.listeners.append(lambda change: changes.append((runner.sim_time, change)))
    if until is None:
        runner.run_to_end()
    else:
        runner.run_until(until)
    return Played(store, runner, changes)


@pytest.fixture(scope="session")
def kit() -> Played:
    return play("bootstrap-kit")
