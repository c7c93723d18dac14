"""What list, get and watch return: objects in the requested version's shape, and pagination.

Pagination follows the apiserver's contract: `limit` cuts a page, `metadata.continue` resumes after
the last key, every page reports the first page's resourceVersion, and a continue token whose
resourceVersion has been compacted away is a 410. Keys are (namespace, name) pairs in the order
the store keeps them, so a page starts by bisection and costs its own size: listing 36,000 Events
in pages of 500 is linear, not quadratic. Pages show objects as they are now rather than
as a consistent snapshot at that resourceVersion (etcd would give the snapshot); clients only
rely on seeing every object once, which holds because keys are visited in order.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Iterator

from sovsim.eventsview import to_events_v1
from sovsim.objects import ObjectStore, ResourceType
from sovsim.selectors import Filter
from sovsim.status import StatusError

CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue value from the response "
    "to the next list request."
)


def shape(rt: ResourceType, version: str, obj: dict) -> dict:
    """A stored object as the requested group/version serves it (never mutates `obj`)."""
    if rt.view_of:
        return to_events_v1(obj)
    return {**obj, "kind": rt.kind, "apiVersion": rt.api_version(version)}


def _encode_continue(rv: int, start: tuple[str, str]) -> str:
    raw = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": rv, "start": "/".join(start)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        namespace, _, name = str(data["start"]).partition("/")  # neither may contain "/"
        return int(data["rv"]), (namespace, name)
    except (
        binascii.Error,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        UnicodeDecodeError,
        ValueError,
    ):
        raise StatusError(400, f"continue key is not valid: {token}") from None


def _span(keys: list[tuple[str, str]], namespace: str | None) -> tuple[int, int]:
    """The index range of `keys` (sorted (namespace, name) pairs) inside one namespace, or all."""
    if namespace is None:
        return 0, len(keys)
    # Names are never empty, so (ns, name) sorts between (ns,) and (ns + "\0",).
    return bisect.bisect_left(keys, (namespace,)), bisect.bisect_left(keys, (namespace + "\0",))


def matching(store: ObjectStore, resource: str, filt: Filter) -> Iterator[dict]:
    """Every stored object of `resource` that `filt` shows, in key order. The stored objects
    themselves, never copies: they are never mutated, and every response shapes them into new
    dicts before serialising."""
    keys = store.keys(resource)
    lo, hi = _span(keys, filt.namespace)
    for key in keys[lo:hi]:
        obj = store.peek(resource, *key)
        if obj is not None and filt.matches(obj):
            yield obj


def list_page(
    store: ObjectStore, resource: str, filt: Filter, *, limit: str | None, token: str | None
) -> tuple[list[dict], dict]:
    """One page of the objects `filt` shows (stored objects, not copies; see `matching`) and the
    list's `metadata`.

    A page resumes after the continue token's key by bisection in the store's sorted keys, so
    each page costs its own size, not the resource's. `remainingItemCount` is the number of keys
    after the page, given only without selectors (as the apiserver does: with a selector it
    cannot know without filtering the rest).
    """
    rv = store.resource_version
    keys = store.keys(resource)
    lo, hi = _span(keys, filt.namespace)
    if token:
        rv, start = _decode_continue(token)
        if rv < store.oldest_resource_version:
            raise StatusError(410, CONTINUE_EXPIRED, reason="Expired", details={})
        lo = max(lo, bisect.bisect_right(keys, start))
    size = int(limit) if limit and limit.isdigit() and int(limit) > 0 else hi
    items: list[dict] = []
    i = lo
    while i < hi and len(items) < size:
        obj = store.peek(resource, *keys[i])
        i += 1
        if obj is not None and filt.matches(obj):
            items.append(obj)
    metadata: dict = {"resourceVersion": str(rv)}
    if i < hi:
        metadata["continue"] = _encode_continue(rv, keys[i - 1])
        if not filt.labels and not filt.fields:
            metadata["remainingItemCount"] = hi - i
    return items, metadata
