"""What every builder shares: the scenario clock (T0), conditions, metadata, and a Store fed
with built objects."""

from __future__ import annotations

import itertools

from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.store.store import Store

T0 = "2026-04-30T10:00:00Z"
T0_EPOCH = 1777543200.0
_rv = itertools.count(1000)


def ts(seconds: float = 0) -> str:
    """RFC 3339 at T0 + seconds."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(T0_EPOCH + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cond(
    type_: str,
    status: str,
    reason: str,
    message: str = "",
    *,
    gen: int | None = None,
    at: float = 0,
) -> dict:
    c = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": ts(at),
    }
    if gen is not None:
        c["observedGeneration"] = gen
    return c


def meta(
    name: str,
    namespace: str = "",
    *,
    generation: int | None = None,
    uid: str | None = None,
    stored: bool = True,
    **extra,
) -> dict:
    """`metadata`; `stored=False` leaves out what the API server sets (uid, resourceVersion,
    creationTimestamp), for an object a test hands to the emulator."""
    m = {"name": name}
    if stored:
        m |= {
            "uid": uid or f"uid-{namespace}-{name}",
            "resourceVersion": str(next(_rv)),
            "creationTimestamp": T0,
        }
    if namespace:
        m["namespace"] = namespace
    if generation is not None:
        m["generation"] = generation
    m.update(extra)
    return m


def store_of(*objects: dict, received_at: float = T0_EPOCH) -> Store:
    """A Store fed with these objects as ADDED watch events."""
    store = Store()
    for obj in objects:
        store.apply(WatchEvent("x", EventType.ADDED, obj, received_at))
    return store
