"""The simulation core shared by every controller: a clock, a scheduler and careful store writes.

Time is simulated. `now` is seconds since the scenario started, and the store's clock reads
`start + now`, so every timestamp (creationTimestamp, lastTransitionTime, event times) tells the
scenario's own story whatever the playback speed. Work is scheduled as callbacks at simulated times
and run in (time, insertion) order, which with a seeded RNG makes a run fully deterministic.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from typing import Any

from sovsim.controllers.common import rfc3339
from sovsim.objects import ObjectStore, json_copy, resource_type_for
from sovsim.scenario_schema import Scenario

_BOOKKEEPING = ("resourceVersion", "managedFields", "uid", "creationTimestamp", "generation")


def _comparable(obj: dict) -> dict:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in _BOOKKEEPING}
    return {**obj, "metadata": meta, "apiVersion": None}


def _writable(obj: dict) -> dict:
    """A copy of a stored object for `Sim.update`: deep except `spec` (one level) and
    `metadata.managedFields` (shared: the store replaces it on every write)."""
    copy = {}
    for key, value in obj.items():
        if key == "spec":
            copy[key] = dict(value)
        elif key == "metadata":
            copy[key] = {k: v if k == "managedFields" else json_copy(v) for k, v in value.items()}
        else:
            copy[key] = json_copy(value)
    return copy


class Sim:
    """Clock, scheduler, RNG and store access for one scenario run."""

    def __init__(self, store: ObjectStore, scenario: Scenario, *, seed: int, start: float) -> None:
        self.store = store
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.start = start
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._seq = itertools.count()
        store.clock = lambda: self.start + self.now

    # -- time --------------------------------------------------------------------------------------

    def at(self, when: float, fn: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (max(when, self.now), next(self._seq), fn, args))

    def after(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self.at(self.now + delay, fn, *args)

    def jitter(self, seconds: float, spread: float = 0.25) -> float:
        """`seconds` varied by up to ±spread, from the seeded RNG."""
        return seconds * (1 + self.rng.uniform(-spread, spread))

    def timestamp(self, offset: float = 0.0) -> str:
        return rfc3339(self.start + self.now + offset)

    def next_time(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def step(self, until: float) -> int:
        """Run everything scheduled up to `until` (simulated seconds); returns how many ran."""
        ran = 0
        while self._queue and self._queue[0][0] <= until:
            when, _, fn, args = heapq.heappop(self._queue)
            self.now = when
            fn(*args)
            ran += 1
        self.now = max(self.now, until)
        return ran

    # -- store -------------------------------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        """The stored object, read-only (not a copy: never mutate it)."""
        return self.store.peek(resource, namespace, name)

    def apply(self, obj: dict) -> dict:
        """Create or update `obj`, writing nothing when nothing changed (as a no-op patch).

        The store takes ownership of `obj`: don't touch it afterwards. Returns the stored object
        (read-only)."""
        rt = resource_type_for(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        current = self.store.peek(
            rt.key, meta.get("namespace", "") if rt.namespaced else "", meta["name"]
        )
        if current is not None and _comparable(current) == _comparable(obj):
            return current
        return self.store.put(obj, owned=True)

    def update(
        self, resource: str, namespace: str, name: str, mutate: Callable[[dict], None]
    ) -> dict | None:
        """Read, change and write one object; None (and no write) if it does not exist.

        `mutate` gets a copy to change in place, except that `spec` is copied only one level deep
        (a chart's pod template is big and never changes): set top-level spec fields, never change
        nested ones. Nothing is written when `mutate` changed nothing."""
        before = self.store.peek(resource, namespace, name)
        if before is None:
            return None
        obj = _writable(before)
        mutate(obj)
        if _comparable(obj) == _comparable(before):
            return before
        return self.store.put(obj, owned=True)

    def patch(
        self, resource: str, namespace: str, name: str, fields: dict, *, spec: dict | None = None
    ) -> dict | None:
        """Replace top-level fields of one object (`status`, an Event's `count`) and set top-level
        `spec` fields, sharing everything else with the stored version: the cheap write for
        controllers that recompute a whole status (the kubelet, the apps/v1 controllers). None if
        the object does not exist; nothing is written when nothing changed. The store takes
        ownership of the values."""
        before = self.store.peek(resource, namespace, name)
        if before is None:
            return None
        old_spec = before.get("spec", {})
        if all(before.get(k) == v for k, v in fields.items()) and all(
            old_spec.get(k) == v for k, v in (spec or {}).items()
        ):
            return before
        obj = {**before, "metadata": dict(before["metadata"]), **fields}
        if spec:
            obj["spec"] = {**old_spec, **spec}
        return self.store.put(obj, owned=True)

    def delete(self, resource: str, namespace: str, name: str) -> dict | None:
        return self.store.delete(resource, namespace, name)

    def secret_exists(self, namespace: str, name: str) -> bool:
        return any(
            s.namespace == namespace and s.name == name and s.appears_at <= self.now
            for s in self.scenario.cluster.secrets
        )
