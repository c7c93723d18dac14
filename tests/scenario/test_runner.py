"""The runner: determinism, speed scaling on the real clock, and the large benchmark scenario."""

from __future__ import annotations

import asyncio
import time

import pytest

from sovsim.controllers.common import get_condition, is_ready
from sovsim.objects import ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario

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
    for _ in range(1000):  # until the runner has played a first step (at once when not loaded)
        if runner.sim_time > 0.0:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 0.0 < runner.sim_time < 5.0


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed must be positive"):
        ScenarioRunner(ObjectStore(), load_scenario("tiny"), speed=0)


def test_large_scenario_shape_and_first_minutes():
    """`large` is sized for benchmarks: 300 releases, 5,100 pods. Playing it all takes seconds of
    CPU, so the full check (all Ready with 5,100 pods by minute 6) is in bench/scenario_cost.py;
    here: its shape, and the first minutes (the whole kit applied, the roots installed, the rest
    waiting on dependencies with Flux's message)."""
    scenario = load_scenario("large")
    assert len(scenario.releases) == 300
    assert sum(w.replicas for r in scenario.releases for w in r.workloads) == 5100
    store = ObjectStore()
    ScenarioRunner(store, scenario, seed=0, start=START).run_until(150)
    hrs, _ = store.list(HR)
    assert len(hrs) == 300
    ready = {h["metadata"]["name"] for h in hrs if is_ready(h)}
    assert "bp-synthetic-000" in ready
    assert 2 <= len(ready) < 300
    waiting = [get_condition(h, "Ready") for h in hrs if h["metadata"]["name"] not in ready]
    assert {c["reason"] for c in waiting if c} <= {"DependencyNotReady", "Progressing"}
    assert any(c and c["reason"] == "DependencyNotReady" for c in waiting)
    pods, _ = store.list("pods", "synthetic-00")
    assert pods
    assert {p["metadata"]["labels"]["app.kubernetes.io/instance"] for p in pods} == {
        "synthetic-000"
    }
