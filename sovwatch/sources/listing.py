"""Listing a resource (paginated) and diffing a fresh list against what the reflector already had.

The diff is what makes a relist after 410 Gone correct: objects deleted while the watch was down
produce DELETED, changed ones MODIFIED and new ones ADDED, so the consumer never keeps a ghost and
never misses a change, without having to throw its state away and start over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sovwatch.kube.api import ApiClient
from sovwatch.kube.resources import WatchedResource
from sovwatch.settings import WatchSettings
from sovwatch.sources.events import EventType

ObjectKey = tuple[str, str]
"""(namespace, name) within one resource; namespace is "" for cluster-scoped objects."""


def object_key(obj: Mapping) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def resource_version(obj: Mapping) -> str | None:
    return (obj.get("metadata") or {}).get("resourceVersion")


async def list_objs(
    client: ApiClient,
    resource: WatchedResource,
    version: str,
    *,
    namespace: str | None,
    settings: WatchSettings,
) -> tuple[list[dict], str]:
    """Every object of `resource` (in `namespace`, or all), page by page, and the list's RV.

    A List response leaves `kind`/`apiVersion` off its items; they are put back so each object
    looks as it does in a watch event. Raises `APIGoneError` if a continue token expires
    mid-way (the caller lists again from the start).
    """
    path = resource.collection_path(version, namespace)
    items: list[dict] = []
    token = ""
    while True:
        params: dict[str, str | int] = {"limit": settings.list_page_size}
        if token:
            params["continue"] = token
        page = await client.get_json(path, params)
        for item in page.get("items") or ():
            item.setdefault("kind", resource.kind)
            item.setdefault("apiVersion", resource.api_version(version))
            items.append(item)
        meta = page.get("metadata") or {}
        token = meta.get("continue") or ""
        if not token:
            return items, str(meta.get("resourceVersion") or "")


def diff(known: Mapping[ObjectKey, dict], listed: Iterable[dict]) -> list[tuple[EventType, dict]]:
    """The watch events that turn `known` into `listed` (computed up front: the caller may then
    apply them to `known`).

    ADDED for new keys, MODIFIED where the resourceVersion changed, DELETED (with the last known
    object) for keys that are gone. An object deleted and re-created under the same name in the gap
    (a different uid) is reported as DELETED then ADDED.
    """
    changes: list[tuple[EventType, dict]] = []
    seen: set[ObjectKey] = set()
    for obj in listed:
        key = object_key(obj)
        seen.add(key)
        old = known.get(key)
        if old is None:
            changes.append((EventType.ADDED, obj))
        elif _uid(old) != _uid(obj):
            changes += [(EventType.DELETED, old), (EventType.ADDED, obj)]
        elif resource_version(old) != resource_version(obj):
            changes.append((EventType.MODIFIED, obj))
    changes += [(EventType.DELETED, old) for key, old in known.items() if key not in seen]
    return changes


def _uid(obj: Mapping) -> str | None:
    return (obj.get("metadata") or {}).get("uid")
