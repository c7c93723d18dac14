"""A consumer for the live source in tests: feeds a real `Store` and waits on conditions.

`Harness.start()` connects the way the CLI does (kubeconfig → `load_connection` → `connect`) and
consumes `live.stream` in a task. `until()` waits (bounded) for a condition on what arrived.
`assert_matches_truth()` compares, per resource, the keys and resourceVersions in the consumer's
store with the emulator's own objects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from contextlib import aclosing
from pathlib import Path

import pytest

from sovsim.server import Emulator, RequestRecord
from sovwatch.kube import api, config
from sovwatch.kube.resources import WATCHED, WatchedResource
from sovwatch.settings import WatchSettings
from sovwatch.sources import live
from sovwatch.sources.events import HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.store.store import Store
from tests.timings import FAST

BY_KEY = {r.key: r for r in WATCHED}
WAIT = 15.0
"""Upper bound for any wait; generous for a loaded 2-core machine, never reached when green."""


class Harness:
    def __init__(self, emulator: Emulator, kubeconfig: Path) -> None:
        self.emulator = emulator
        self.kubeconfig = kubeconfig
        self.store = Store()
        self.items: list[SourceItem] = []
        self.client: api.ApiClient | None = None
        self._task: asyncio.Task | None = None
        self._arrived = asyncio.Event()

    async def start(
        self,
        resources: Iterable[str] | None = None,
        *,
        namespace: str | None = None,
        settings: WatchSettings = FAST,
    ) -> Harness:
        watched = [BY_KEY[k] for k in resources] if resources is not None else list(WATCHED)
        connection = await config.load_connection((self.kubeconfig,), settings=settings)
        self.client = await api.connect(connection, settings=settings)
        items = live.stream(self.client, settings=settings, namespace=namespace, resources=watched)
        self._task = asyncio.create_task(self._consume(items))
        return self

    async def _consume(self, items) -> None:
        async with aclosing(items):
            async for item in items:
                self.items.append(item)
                self.store.apply(item)
                self._arrived.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # -- waiting --------------------------------------------------------------------------------

    async def until(self, predicate: Callable[[], bool], what: str, within: float = WAIT) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if self._task is not None and self._task.done():
                self._task.result()  # raises what killed the consumer
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"timed out waiting for {what}; health: {self.health_summary()}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    async def until_state(self, key: str, state: HealthState) -> StreamHealth:
        await self.until(lambda: self.state(key) is state, f"{key} {state}")
        return self.store.health[key]

    async def until_all_live(self, keys: Iterable[str] | None = None) -> None:
        keys = list(keys) if keys is not None else [r.key for r in WATCHED]
        await self.until(
            lambda: all(self.state(k) is HealthState.LIVE for k in keys), "every stream live"
        )

    async def put_and_see(self, obj: dict) -> dict:
        """Write `obj` to the emulator and wait until the store holds that version of it.

        Watch events arrive in resourceVersion order, so once this returns every earlier change
        of the same resource has been delivered too.
        """
        stored = self.emulator.store.put(obj)
        meta = stored["metadata"]
        await self.until(
            lambda: (
                (self.store.get(stored["kind"], meta.get("namespace", ""), meta["name"]) or {})
                .get("metadata", {})
                .get("resourceVersion")
                == meta["resourceVersion"]
            ),
            f"{stored['kind']} {meta['name']} at resourceVersion {meta['resourceVersion']}",
        )
        return stored

    # -- reading --------------------------------------------------------------------------------

    def state(self, key: str) -> HealthState | None:
        health = self.store.health.get(key)
        return health.state if health else None

    def healths(self, key: str) -> list[StreamHealth]:
        return [i for i in self.items if isinstance(i, StreamHealth) and i.resource == key]

    def events(self, key: str) -> list[WatchEvent]:
        return [i for i in self.items if isinstance(i, WatchEvent) and i.resource == key]

    def health_summary(self) -> str:
        return ", ".join(
            f"{k}={h.state}{f'({h.detail})' if h.detail else ''}"
            for k, h in sorted(self.store.health.items())
        )

    def assert_matches_truth(self, keys: Iterable[str] | None = None, namespace=None) -> None:
        """Per resource: the store's {(namespace, name): resourceVersion} equals the emulator's."""
        for key in keys if keys is not None else [r.key for r in WATCHED]:
            resource = BY_KEY[key]
            assert held(self.store, resource) == truth(self.emulator, resource, namespace), key


def truth(emulator: Emulator, resource: WatchedResource, namespace: str | None = None) -> dict:
    """What the source should hold of `resource`: the emulator's objects it selects."""
    items, _ = emulator.store.list(resource.key, namespace if resource.namespaced else None)
    wanted = resource.wanted or (lambda _: True)
    return {_key(o): o["metadata"]["resourceVersion"] for o in items if wanted(o)}


def held(store: Store, resource: WatchedResource) -> dict:
    return {_key(o): o["metadata"]["resourceVersion"] for o in store.objects(resource.kind)}


def _key(obj: dict) -> tuple[str, str]:
    return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def is_list(record: RequestRecord) -> bool:
    """A list request: a page, or a streamed list (a watch asking for the initial events) that
    the server did not refuse (an older server answers it 422)."""
    return (not record.watch or "sendInitialEvents" in record.query) and record.status != 422


def is_watch(record: RequestRecord) -> bool:
    """A watch connection the server served (a streamed list is one too)."""
    return record.watch and record.status != 422


def requests_for(emulator: Emulator, resource_key: str, since: int = 0) -> list:
    """The emulator's request records for one resource's list/watch URLs (not discovery)."""
    resource = BY_KEY[resource_key]
    prefix = f"/apis/{resource.group}/" if resource.group else "/api/"
    return [
        r
        for r in emulator.request_log[since:]
        if r.path.startswith(prefix) and r.path.endswith("/" + resource.plural)
    ]
