"""Keeping a live session's picture on disk, and finding the one kept last time (`--no-cache`).

`open_cache` reads the picture kept for this cluster and user (`sources.disk_cache`), which the
pipeline shows at once, marked stale, until every stream has listed. `PictureKeeper` subscribes to
the pipeline and keeps the store's slim objects: at most every `every` seconds while snapshots
come (the first one `every` seconds after the first live snapshot, which a save must not delay:
on a cluster of 5,000 pods one takes about 0.25 s), and at exit (`save`). Nothing is kept before every stream has
listed (a half-listed picture would replace a whole one), nor when nothing changed since the last
save. Events are the bulk of a big cluster's store and the model reads few of them: only the
newest `MAX_EVENTS` of those it reads are kept.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sovwatch.kube.resources import WATCHED, wanted_event
from sovwatch.pipeline import Pipeline, Update
from sovwatch.sources import disk_cache
from sovwatch.sources.disk_cache import CachedPicture, Identity
from sovwatch.sources.events import (
    CONTROLLER_LOG_KIND,
    CONTROLLER_LOG_RESOURCE,
    EXCERPT_KIND,
    EXCERPT_RESOURCE,
    EventType,
    StreamHealth,
    WatchEvent,
)
from sovwatch.store.store import Store, object_key

MAX_EVENTS = 2_000
RESOURCE_OF_KIND = {
    **{r.kind: r.key for r in WATCHED},
    EXCERPT_KIND: EXCERPT_RESOURCE,
    CONTROLLER_LOG_KIND: CONTROLLER_LOG_RESOURCE,
}


@dataclass(frozen=True)
class PictureCache:
    """Where this cluster's picture is kept, and the one found there at start (None if none)."""

    path: Path
    identity: Identity
    found: CachedPicture | None


def open_cache(
    identity: Identity, *, environ: Mapping[str, str], home: Path, now: float
) -> PictureCache:
    """Prune the cache directory, then read this cluster's picture."""
    folder = disk_cache.directory(environ, home)
    disk_cache.prune(folder, now=now)
    path = folder / identity.file_name()
    return PictureCache(path, identity, disk_cache.read(path, identity, now=now))


class PictureKeeper:
    """Keeps a live pipeline's store on disk (a `pipeline.Subscriber`)."""

    def __init__(
        self,
        pipeline: Pipeline,
        cache: PictureCache,
        *,
        every: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pipeline = pipeline
        self.cache = cache
        self.every = every
        self.clock = clock
        self.saves = 0
        """Pictures written."""
        self._since: float | None = None
        """Monotonic time of the last save, or of the first live snapshot (None before it)."""
        self._revision = -1
        pipeline.subscribe(self)

    def save(self) -> None:
        """Keep the store now, if every stream has listed and it changed since the last save."""
        store = self.pipeline.store
        if not self.pipeline.synced or store.revision == self._revision:
            return
        self._revision, self._since = store.revision, time.monotonic()
        now = self.clock()
        if disk_cache.write(self.cache.path, self.cache.identity, _items(store, now), saved_at=now):
            self.saves += 1

    def update(self, update: Update) -> None:
        if update.snapshot.stale is not None:
            return
        if self._since is None:
            self._since = time.monotonic()
        elif time.monotonic() - self._since >= self.every:
            self.save()

    def ended(self) -> None:
        self.save()

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        """Stream health is not kept: the cached picture's streams are the live ones."""

    def unlisted(self, resources: list[str]) -> None:
        """Nothing to keep before the lists."""

    def tick(self, now: float) -> None:
        """Only new snapshots are kept."""


def _items(store: Store, now: float) -> Iterator[WatchEvent]:
    """The store's objects as ADDED events (first-seen times kept), Events cut to the newest of
    those the model reads (`wanted_event`: warnings and the few Normal reasons it names)."""
    for kind in store.kinds():
        objects = store.objects(kind)
        if kind == "Event":
            read = (e for e in objects if wanted_event(e))  # the Events the model reads
            objects = heapq.nlargest(MAX_EVENTS, read, key=_resource_version)  # 2,000 held
        resource = RESOURCE_OF_KIND.get(kind, kind.lower())
        for obj in objects:
            received = store.first_seen.get(object_key(obj), now)
            yield WatchEvent(resource, EventType.ADDED, obj, received)


def _resource_version(event: dict) -> int:
    rv = (event.get("metadata") or {}).get("resourceVersion") or ""
    return int(rv) if rv.isdigit() else 0
