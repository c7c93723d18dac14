"""The scenario runner: plays a scenario into an `ObjectStore`, in simulated or scaled real time.

    store = ObjectStore()
    runner = ScenarioRunner(store, load_scenario("bootstrap-kit"), seed=0, speed=40)
    await runner.run()            # real time, 40x faster: a 40-minute bootstrap in a minute
    runner.run_until(600)         # or instantly: everything up to sim minute 10
    runner.run_to_end()           # or instantly to the scenario's `duration`

Timestamps: the store's clock is `start + simulated seconds` (`start` defaults to the wall clock
when the runner is created), so creationTimestamp, lastTransitionTime and event times tell the
scenario's own story at any speed: a release that took 5 simulated minutes shows 5 minutes between
its timestamps even when played at speed 40. The same seed (and `start`) gives the same sequence of
changes, byte for byte.
"""

from __future__ import annotations

import asyncio
import gc
import time

from sovsim.controllers.events import EventRecorder
from sovsim.controllers.flux import Flux
from sovsim.controllers.helm import HelmController
from sovsim.controllers.kubelet import Kubelet
from sovsim.controllers.sim import Sim
from sovsim.controllers.source import SourceController
from sovsim.controllers.storage import Storage
from sovsim.controllers.workloads import Workloads
from sovsim.objects import ObjectStore
from sovsim.scenario_load import load_scenario, shipped_scenarios
from sovsim.scenario_schema import Scenario, ScenarioError

__all__ = ["ScenarioError", "ScenarioRunner", "load_scenario", "shipped_scenarios"]

TICK = 0.05
"""Longest real-time sleep in `run()`, so cancellation and speed changes are prompt."""


class ScenarioRunner:
    def __init__(
        self,
        store: ObjectStore,
        scenario: Scenario,
        *,
        seed: int = 0,
        speed: float = 1.0,
        start: float | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.scenario = scenario
        self.speed = speed
        self.sim = sim = Sim(
            store, scenario, seed=seed, start=time.time() if start is None else start
        )
        # Each controller gets the few others it calls. Two talk back to one built on them:
        # source-controller tells helm-controller a chart is ready, storage tells the kubelet a
        # claim is bound or a volume attached.
        events = EventRecorder(sim)
        storage = Storage(sim, events)
        kubelet = storage.kubelet = Kubelet(sim, events, storage)
        workloads = Workloads(sim, events, kubelet, storage)
        source = SourceController(sim, events)
        helm = source.helm = HelmController(sim, events, source, workloads)
        Flux(sim, events, source, helm, workloads).start()

    @property
    def sim_time(self) -> float:
        """Simulated seconds since the scenario started."""
        return self.sim.now

    @property
    def finished(self) -> bool:
        return self.sim.now >= self.scenario.duration

    def run_until(self, sim_seconds: float) -> int:
        """Play instantly up to `sim_seconds`; returns how many scheduled steps ran."""
        # Playing `large` allocates millions of acyclic dicts, and the cyclic garbage collector
        # would rescan the growing store for nothing (a quarter of the time): pause it meanwhile.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self.sim.step(sim_seconds)
        finally:
            if enabled:
                gc.enable()

    def run_to_end(self) -> int:
        """Play instantly up to the scenario's `duration`."""
        return self.run_until(self.scenario.duration)

    async def run(self, *, until: float | None = None) -> None:
        """Play in real time scaled by `speed`, until simulated `until` (None: for ever).

        Periodic reconciles continue after the scenario's story ends, as in a live cluster.
        """
        loop = asyncio.get_running_loop()
        real_start, sim_start = loop.time(), self.sim.now
        while until is None or self.sim.now < until:
            target = sim_start + (loop.time() - real_start) * self.speed
            if until is not None:
                target = min(target, until)
            self.sim.step(target)
            if until is not None and self.sim.now >= until:
                return
            nxt = self.sim.next_time()
            wait = TICK if nxt is None else (nxt - self.sim.now) / self.speed
            await asyncio.sleep(min(max(wait, 0.0), TICK))
