"""The emulator's serialization cache: each stored object's JSON, encoded once per served shape.

kube-apiserver keeps one (its watch cache serves lists, and a serialization cache encodes each
object once for every watcher), so serving a 36,000-Event list costs it little. Without one the
emulator, a single-threaded Python process, spent most of a large list encoding JSON, for every
client again. List pages and watch events are built by joining these bytes.

Stored objects are never mutated (a change replaces the dict), so an entry is valid exactly while
it was made from the very object asked about: a hit is an identity check, and a stale entry can
never be served. Entries are made by lists and gets (what gets asked for again); a watch event
uses one when there is one but does not make it, and `forget` drops the entry of every object that
changes, so the cache holds at most the current objects that were listed: an emulator that only
streams changes to one watcher (the demo) does not keep a second copy of its cluster as JSON.

`EncodedObjects(cache=False)` keeps nothing and encodes every object for every request, as many
small API servers and proxies do (the benchmarks' foreign emulator).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from sovsim.listing import shape
from sovsim.objects import Change, ResourceType
from sovsim.tables import to_table

_Key = tuple[str, str, str]
"""(stored resource, namespace, name)."""

Encoder = Callable[[str, dict], bytes]
"""Turns (event type, stored object) into the JSON of a watch event's `object`."""


def dumps(document: object) -> bytes:
    """Compact JSON, as the apiserver writes it."""
    return json.dumps(document, separators=(",", ":")).encode()


class EncodedObjects:
    """Encoded JSON of stored objects, by object identity, one entry per object per shape."""

    def __init__(self, *, cache: bool = True) -> None:
        self._entries: dict[_Key, tuple[dict, dict[tuple[str, str], bytes]]] = {}
        self._cache = cache

    def encoded(self, rt: ResourceType, version: str, obj: dict, *, keep: bool = True) -> bytes:
        """`obj` (a stored object, or one from the history) as `rt` in `version` serves it;
        `keep=False` uses the cache but does not add to it."""
        keep = keep and self._cache
        meta = obj["metadata"]
        key = (rt.view_of or rt.key, meta.get("namespace", ""), meta["name"])
        form = (rt.key, version)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not obj:
            if not keep:
                return dumps(shape(rt, version, obj))
            entry = self._entries[key] = (obj, {})
        data = entry[1].get(form)
        if data is None:
            data = dumps(shape(rt, version, obj))
            if keep:
                entry[1][form] = data
        return data

    def list_body(
        self, rt: ResourceType, version: str, metadata: dict, items: Iterable[dict]
    ) -> bytes:
        """A `<Kind>List` document of `items`, built from their cached encodings."""
        head = dumps({"kind": f"{rt.kind}List", "apiVersion": rt.api_version(version)})
        return b"".join(
            (
                head[:-1],
                b',"metadata":',
                dumps(metadata),
                b',"items":[',
                b",".join(self.encoded(rt, version, obj) for obj in items),
                b"]}",
            )
        )

    def forget(self, change: Change) -> None:
        """Drop the entry of an object that changed or went away."""
        meta = change.obj["metadata"]
        self._entries.pop((change.resource, meta.get("namespace", ""), meta["name"]), None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def watch_encoder(
    encoded: EncodedObjects,
    rt: ResourceType,
    version: str,
    *,
    as_table: bool,
    include_object: str,
    clock: Callable[[], float],
) -> Encoder:
    """The `object` of each watch event: the shaped object (from the cache), or a one-row Table
    whose column definitions come only with the first event (kubectl accepts that, and it saves
    bytes)."""
    if not as_table:
        return lambda event_type, obj: encoded.encoded(rt, version, obj, keep=False)
    columns_sent = False

    def encode(event_type: str, obj: dict) -> bytes:
        nonlocal columns_sent
        shaped = shape(rt, version, obj)
        table = to_table(
            rt,
            [shaped],
            include_object=include_object,
            resource_version=shaped["metadata"].get("resourceVersion"),
            column_definitions=not columns_sent,
            now=clock(),
        )
        columns_sent = True
        return dumps(table)

    return encode
