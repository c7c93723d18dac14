"""The runner: determinism, speed scaling on the real clock, and the large benchmark scenario."""

from __future__ import annotations

import asyncio
import time

import pytest

from sovwatch.emulator.controllers.common import is_ready
from sovwatch.emulator.objects import ObjectStore
from sovwatch.emulator.scenario import ScenarioRunner, load_scenario

from .conftest import HR, START, play


def _trace(played) -> list[tuple]:
    return [
        (
            c.rv,
            c.type,
            c.resource,
            c.obj["metadata"].get("namespace"),
            c.obj["metadata"]["name"],
            repr(c.obj),
        )
        for _, c in played.changes
    ]


def test_same_seed_same_changes():
    first, second = play("tiny", seed=7), play("tiny", seed=7)
    assert len(first.changes) > 100
    assert _trace(first) == _trace(second)


def test_different_seed_differs():
    assert _trace(play("tiny", seed=1)) != _trace(play("tiny", seed=2))


def test_timestamps_follow_the_sim_clock():
    played = play("tiny", 6 * 60)
    cilium = played.hr("bp-cilium")
    # tiny: CRDs at 30s, sync objects 2s later, git ready 15s later, kit applied 20s after that.
    assert cilium["metadata"]["creationTimestamp"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + 67)
    )


async def test_speed_scales_real_time():
    store = ObjectStore()
    runner = ScenarioRunner(store, load_scenario("tiny"), seed=0, speed=400.0, start=START)
    began = time.monotonic()
    await runner.run(until=120.0)
    elapsed = time.monotonic() - began
    assert runner.sim_time == 120.0
    assert 0.15 < elapsed < 10.0  # 120 simulated seconds at speed 400 take about 0.3 s
    assert store.list(HR)[0]


async def test_run_can_be_cancelled():
    runner = ScenarioRunner(ObjectStore(), load_scenario("tiny"), speed=1.0)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 0.0 < runner.sim_time < 5.0


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed must be positive"):
        ScenarioRunner(ObjectStore(), load_scenario("tiny"), speed=0)


def test_large_scenario_reaches_300_releases_and_5000_pods():
    scenario = load_scenario("large")
    assert len(scenario.releases) == 300
    store = ObjectStore()
    runner = ScenarioRunner(store, scenario, seed=0, start=START)
    runner.run_until(6 * 60)
    hrs, _ = store.list(HR)
    assert len(hrs) == 300
    assert all(is_ready(h) for h in hrs)
    assert len(store.list("pods")[0]) == 5100
