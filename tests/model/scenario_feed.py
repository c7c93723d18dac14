"""Emulator scenarios played instantly (simulated time) into a Store, as the watch engine feeds it.

`store_at` is a cold start: everything up to a simulated instant listed at once, as sovwatch sees a
cluster it starts watching mid-bootstrap. `Feed` streams every change (slimmed WatchEvents stamped
with the simulated receive time) so a Rollout can be updated step by step, as live.
"""

from __future__ import annotations

from sovsim.objects import CATALOGUE, ObjectStore
from sovsim.pod_logs import pick_run
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.model.rollout import Rollout
from sovwatch.settings import LogSettings
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.log_fetcher import controller_log_event, excerpt_event, lines_about
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store

START = 1_777_543_200.0
_VIEWS = {rt.key for rt in CATALOGUE if rt.view_of}


def store_at(scenario: str, sim_seconds: float, *, seed: int = 0, logs: bool = False) -> Store:
    """The store after listing every watched object at `sim_seconds` (a cold start); with `logs`
    also the log tails the model wants, read from the emulator's container runtime as the log
    fetcher reads them over `pods/log`."""
    objects = ObjectStore()
    ScenarioRunner(objects, load_scenario(scenario), seed=seed, start=START).run_until(sim_seconds)
    store = Store()
    now = START + sim_seconds
    for rt in CATALOGUE:
        if rt.view_of or rt.kind in ("Namespace", "CustomResourceDefinition"):
            continue
        for obj in objects.list(rt.key)[0]:
            store.apply(WatchEvent(rt.key, EventType.ADDED, slim(obj), now))
    if logs:
        for event in _log_events(objects, store, now):
            store.apply(event)
    return store


def _log_events(objects: ObjectStore, store: Store, now: float) -> list[WatchEvent]:
    """The log fetcher's items for what the model wants of `store`: each culprit container's run
    and helm-controller's lines about each failed or stalled release."""
    rollout = Rollout()
    rollout.update(store, store.drain_changes(), now)
    settings = LogSettings()
    pods = objects.list("pods")[0]
    events = []
    for target in rollout.log_targets(store):
        pod = next(p for p in pods if p["metadata"].get("uid") == target.uid)
        run = pick_run(pod, target.container, target.previous)
        text = "\n".join(line for _, line in objects.logs.lines(run))
        events.append(excerpt_event(target, text, now, settings))
    manager = next(
        p
        for p in pods
        if p["metadata"]["namespace"] == "flux-system"
        and p["metadata"]["name"].startswith("helm-controller-")
    )
    lines = [line for _, line in objects.logs.lines(pick_run(manager, "manager", False))]
    for target in rollout.controller_log_targets():
        about = lines_about(lines, target.namespace, target.name)
        events.append(controller_log_event(target, about, now, settings))
    return events


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
