"""Listing a resource (paginated) and diffing a fresh list against what the reflector already had.

The diff is what makes a relist after 410 Gone correct: objects deleted while the watch was down
produce DELETED, changed ones MODIFIED and new ones ADDED, so the consumer never keeps a ghost and
never misses a change, without having to throw its state away and start over.

A reflector remembers only each object's identity (`Known`: uid and resourceVersion), not the
object: that is all a diff needs, and the objects themselves live in the store, which may forget
them (it keeps a window of Events, while a cluster may hold many more). A deletion found by a
relist is reported with a tombstone carrying that identity; nothing downstream reads more than
the key of a deleted object.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping

from sovwatch.kube import errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.resources import WatchedResource
from sovwatch.settings import WatchSettings
from sovwatch.sources import kept_json
from sovwatch.sources.events import EventType
from sovwatch.sources.slimming import slim, slim_clean

ObjectKey = tuple[str, str]
"""(namespace, name) within one resource; namespace is "" for cluster-scoped objects."""
Known = tuple[str | None, str | None]
"""(uid, resourceVersion) of an object as last emitted."""


def object_key(obj: Mapping) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def resource_version(obj: Mapping) -> str | None:
    return (obj.get("metadata") or {}).get("resourceVersion")


def identity(obj: Mapping) -> Known:
    meta = obj.get("metadata") or {}
    return (meta.get("uid"), meta.get("resourceVersion"))


async def list_pages(
    client: ApiClient,
    resource: WatchedResource,
    version: str,
    *,
    namespace: str | None,
    settings: WatchSettings,
) -> AsyncIterator[tuple[list[dict], str]]:
    """Every object of `resource` (in `namespace`, or all), slimmed, one page at a time, each with
    the list's resourceVersion (the last page's is where a watch resumes).

    A List response leaves `kind`/`apiVersion` off its items; they are put back so each object
    looks as it does in a watch event. The next page is asked for as soon as a page's continue
    token is known, so the server prepares it while this one is slimmed and consumed; at most two
    pages are held, so listing 36,000 Events never holds more than two pages of them. Raises
    `APIGoneError` if a continue token expires mid-way (the caller lists again from the start).
    """
    path = resource.collection_path(version, namespace)
    api_version = resource.api_version(version)
    decode = kept_json.list_page(resource.kind)

    def fetch(token: str) -> asyncio.Task[dict]:
        params: dict[str, str | int] = {**resource.selection, "limit": settings.list_page_size}
        if token:
            params["continue"] = token
        return asyncio.ensure_future(client.get_json(path, params, decode=decode))

    upcoming: asyncio.Task[dict] | None = fetch("")
    try:
        while upcoming is not None:
            page = await upcoming
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            upcoming = fetch(token) if token else None
            items = []
            for item in page.get("items") or ():
                if resource.wanted is not None and not resource.wanted(item):
                    continue
                item.setdefault("kind", resource.kind)
                item.setdefault("apiVersion", api_version)
                items.append(slimmed(item))
            del page
            yield items, str(meta.get("resourceVersion") or "")
    finally:
        if upcoming is not None:  # closed early (or failed): the prefetch is not wanted
            upcoming.cancel()
            await asyncio.wait([upcoming])  # never raises what the prefetch raised
            if not upcoming.cancelled():
                upcoming.exception()  # retrieved: its failure is moot


def slimmed(obj: dict, *, clean: bool = False) -> dict:
    """`slim(obj)` for an object just received (`clean`: `slim_clean(obj)`, for one that
    `kept_json` decoded as a `CleanEvent`'s); one nested too deeply to walk (a broken or hostile
    server: JSON a few hundred levels deep decodes, but no recursive walk survives it) is a
    `BadResponseError`, never a `RecursionError` escaping the reflector."""
    try:
        return slim_clean(obj) if clean else slim(obj)
    except RecursionError:
        namespace, name = object_key(obj)
        raise errors.BadResponseError(
            f"{obj.get('kind') or 'an object'} {namespace}/{name} is nested too deeply to read"
        ) from None


def changes(known: Mapping[ObjectKey, Known], obj: dict) -> list[tuple[EventType, dict]]:
    """The watch events that bring one listed object's key up to date: ADDED for a new key,
    MODIFIED where the resourceVersion changed, nothing if unchanged, and DELETED (a tombstone)
    then ADDED for an object deleted and re-created under the same name (a different uid)."""
    key = object_key(obj)
    old = known.get(key)
    if old is None:
        return [(EventType.ADDED, obj)]
    uid, rv = identity(obj)
    if old[0] != uid:
        gone = tombstone(obj.get("kind", ""), obj.get("apiVersion", ""), key, old)
        return [(EventType.DELETED, gone), (EventType.ADDED, obj)]
    if old[1] != rv:
        return [(EventType.MODIFIED, obj)]
    return []


def deletions(
    known: Mapping[ObjectKey, Known],
    listed: Collection[ObjectKey],
    *,
    kind: str,
    api_version: str,
) -> list[tuple[EventType, dict]]:
    """DELETED (tombstones) for every known key a complete list did not contain (computed up
    front: the caller may then apply them to `known`)."""
    return [
        (EventType.DELETED, tombstone(kind, api_version, key, old))
        for key, old in known.items()
        if key not in listed
    ]


def tombstone(kind: str, api_version: str, key: ObjectKey, known: Known) -> dict:
    """The object of a DELETED event for a deletion noticed by relisting: its last identity."""
    namespace, name = key
    metadata = {"name": name, "uid": known[0], "resourceVersion": known[1]}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}
