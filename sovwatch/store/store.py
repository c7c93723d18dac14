"""The store: the current truth about every watched object, slim and keyed.

Sources feed it `WatchEvent`s and `StreamHealth` records; the model reads it. Objects are keyed by
kind, namespace and name (so core/v1 and events.k8s.io/v1 Events about the same object collapse to
one entry). Events are kept in a bounded window of the newest by resourceVersion (etcd's revision,
a number on every apiserver): a relist that brings thousands of Events at once, in name order,
still leaves the most recent ones, and the window is the same however the Events arrived. They are
packed (`packing`): 20,000 of them are a large share of a big cluster's memory, and they are read
rarely (when an involved object is re-judged). The store remembers which objects changed (Events
forgotten by the window included) since the last `drain_changes()`, so the model and views can do
work proportional to what changed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from sovwatch.sources.events import EventType, SourceItem, StreamHealth, WatchEvent
from sovwatch.store.packing import field_of, pack, unpack

ObjectKey = tuple[str, str, str]
"""(kind, namespace, name); namespace is "" for cluster-scoped objects."""


def object_key(obj: dict) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))


def involved_key(event: dict) -> ObjectKey:
    """The object an Event is about, from core/v1 `involvedObject` or events.k8s.io/v1 `regarding`."""
    ref = event.get("regarding") or event.get("involvedObject") or {}
    return (ref.get("kind", ""), ref.get("namespace", ""), ref.get("name", ""))


def _packed_involved_key(packed: tuple) -> ObjectKey:
    """`involved_key` of a packed Event, unpacking only its references (an Event forgotten by
    the window or replaced is otherwise never read)."""
    return involved_key({k: field_of(packed, k) for k in ("regarding", "involvedObject")})


@dataclass
class Store:
    """Current objects, stream health and a change set."""

    max_events: int = 20_000
    """How many Events are kept; the oldest are forgotten first."""
    revision: int = 0
    """Incremented by every applied item."""
    health: dict[str, StreamHealth] = field(default_factory=dict)
    """Latest health per resource (`plural.group`)."""
    first_seen: dict[ObjectKey, float] = field(default_factory=dict)
    """When each object but an Event was first received (kept after deletion, for the timeline)."""
    _objects: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)
    """kind -> namespace -> name -> object; Events are packed (`packing.pack`)."""
    _events_by_object: dict[ObjectKey, dict[ObjectKey, tuple]] = field(default_factory=dict)
    _event_rank: dict[ObjectKey, tuple[int, int]] = field(default_factory=dict)
    """The rank (see `_rank`) of every kept Event; the lowest is forgotten first."""
    _event_heap: list[tuple[tuple[int, int], ObjectKey]] = field(default_factory=list)
    """Min-heap of (rank, key); entries whose rank is no longer the key's are skipped."""
    _changed: set[ObjectKey] = field(default_factory=set)

    def apply(self, item: SourceItem) -> None:
        """Fold one source item into the store."""
        self.revision += 1
        if isinstance(item, StreamHealth):
            self.health[item.resource] = item
            return
        self._apply_event(item)

    def _apply_event(self, event: WatchEvent) -> None:
        key = object_key(event.obj)
        kind, namespace, name = key
        bucket = self._objects.setdefault(kind, {}).setdefault(namespace, {})
        old = bucket.get(name)
        if kind == "Event" and old is not None:
            self._events_by_object.get(_packed_involved_key(old), {}).pop(key, None)
        if event.type is EventType.DELETED:
            bucket.pop(name, None)
            self._event_rank.pop(key, None)
        elif kind == "Event":
            packed = bucket[name] = pack(event.obj)
            self._events_by_object.setdefault(involved_key(event.obj), {})[key] = packed
            rank = self._rank(event.obj)
            self._event_rank[key] = rank
            heapq.heappush(self._event_heap, (rank, key))
            self._evict_events()
        else:
            bucket[name] = event.obj
            self.first_seen.setdefault(key, event.received_at)
        self._changed.add(key)

    def _rank(self, event: dict) -> tuple[int, int]:
        """Newer ranks higher: by resourceVersion; one that is not a number (never seen from an
        apiserver) by arrival, after every numbered one."""
        rv = (event.get("metadata") or {}).get("resourceVersion") or ""
        return (0, int(rv)) if rv.isdigit() else (1, self.revision)

    def _evict_events(self) -> None:
        rank, heap = self._event_rank, self._event_heap
        while len(rank) > self.max_events:
            old, key = heapq.heappop(heap)
            if rank.get(key) != old:
                continue  # a stale entry: the Event changed or was deleted since
            del rank[key]
            kind, namespace, name = key
            packed = self._objects[kind][namespace].pop(name, None)
            if packed is not None:
                self._events_by_object.get(_packed_involved_key(packed), {}).pop(key, None)
            # A forgotten Event is gone for readers too: a model that already took it in must
            # drop it (and its derived records), as if it had been deleted.
            self._changed.add(key)
        if len(heap) > 2 * len(rank) + 1024:  # modified Events leave stale entries behind
            self._event_heap = [(r, k) for k, r in rank.items()]
            heapq.heapify(self._event_heap)

    # -- reading -------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        obj = self._objects.get(kind, {}).get(namespace, {}).get(name)
        return unpack(obj) if kind == "Event" and obj is not None else obj

    def objects(self, kind: str) -> Iterator[dict]:
        """Every stored object of a kind, namespace by namespace."""
        for bucket in self._objects.get(kind, {}).values():
            yield from (map(unpack, bucket.values()) if kind == "Event" else bucket.values())

    def in_namespace(self, kind: str, namespace: str) -> dict[str, dict]:
        """Objects of a kind in one namespace, by name (a live view of all but Events, which come
        unpacked in a new mapping: do not modify)."""
        bucket = self._objects.get(kind, {}).get(namespace, {})
        return {n: unpack(p) for n, p in bucket.items()} if kind == "Event" else bucket

    def count(self, kind: str) -> int:
        return sum(len(b) for b in self._objects.get(kind, {}).values())

    def kinds(self) -> list[str]:
        return [k for k, by_ns in self._objects.items() if any(by_ns.values())]

    def events_for(self, kind: str, namespace: str, name: str) -> list[dict]:
        """Events whose involvedObject/regarding is this object."""
        return [unpack(p) for p in self._events_by_object.get((kind, namespace, name), {}).values()]

    def copy(self) -> Store:
        """An independent store holding the same objects, health and Event window, with every
        stored key in its change set (a fresh model takes everything in). Objects are shared, not
        copied: the store replaces them and never changes one in place."""
        objects = {
            k: {ns: dict(b) for ns, b in by_ns.items()} for k, by_ns in self._objects.items()
        }
        return Store(
            max_events=self.max_events,
            revision=self.revision,
            health=dict(self.health),
            first_seen=dict(self.first_seen),
            _objects=objects,
            _events_by_object={k: dict(v) for k, v in self._events_by_object.items()},
            _event_rank=dict(self._event_rank),
            _event_heap=list(self._event_heap),
            _changed={
                (kind, ns, name)
                for kind, by_ns in objects.items()
                for ns, bucket in by_ns.items()
                for name in bucket
            },
        )

    def drain_changes(self) -> set[ObjectKey]:
        """Keys of objects added, modified or deleted since the previous call."""
        changed, self._changed = self._changed, set()
        return changed
