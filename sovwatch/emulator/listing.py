"""What list, get and watch return: objects in the requested version's shape, and pagination.

Pagination follows the apiserver's contract: `limit` cuts a page, `metadata.continue` resumes after
the last key, every page reports the first page's resourceVersion, and a continue token whose
resourceVersion has been compacted away is a 410. Pages show objects as they are now rather than
as a consistent snapshot at that resourceVersion (etcd would give the snapshot); clients only
rely on seeing every object once, which holds because keys are visited in order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from sovwatch.emulator.eventsview import to_events_v1
from sovwatch.emulator.objects import ResourceType
from sovwatch.emulator.status import StatusError
from sovwatch.emulator.tables import to_table

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


def watch_encoder(
    rt: ResourceType,
    version: str,
    *,
    as_table: bool,
    include_object: str,
    clock: Callable[[], float],
) -> Callable[[str, dict], dict]:
    """The `object` of each watch event: the shaped object, or a one-row Table whose column
    definitions come only with the first event (kubectl accepts that, and it saves bytes)."""
    columns_sent = False

    def encode(event_type: str, obj: dict) -> dict:
        nonlocal columns_sent
        shaped = shape(rt, version, obj)
        if not as_table:
            return shaped
        table = to_table(
            rt,
            [shaped],
            include_object=include_object,
            resource_version=shaped["metadata"].get("resourceVersion"),
            column_definitions=not columns_sent,
            now=clock(),
        )
        columns_sent = True
        return table

    return encode


def _key(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _encode_continue(rv: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), str(data["start"])
    except (
        binascii.Error,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        UnicodeDecodeError,
        ValueError,
    ):
        raise StatusError(400, f"continue key is not valid: {token}") from None


def paginate(
    items: list[dict], rv: int, *, limit: str | None, token: str | None, oldest_rv: int
) -> tuple[list[dict], dict]:
    """One page of `items` (sorted by namespace/name) and the list's `metadata`."""
    if token:
        rv, start = _decode_continue(token)
        if rv < oldest_rv:
            raise StatusError(410, CONTINUE_EXPIRED, reason="Expired", details={})
        items = [o for o in items if _key(o) > start]
    metadata: dict = {"resourceVersion": str(rv)}
    if limit and limit.isdigit() and 0 < int(limit) < len(items):
        remaining = len(items) - int(limit)
        items = items[: int(limit)]
        metadata["continue"] = _encode_continue(rv, _key(items[-1]))
        metadata["remainingItemCount"] = remaining
    return items, metadata
