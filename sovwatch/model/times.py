"""Kubernetes timestamps ↔ epoch seconds.

The API writes `metav1.Time` as RFC 3339 with second precision ("2026-04-30T10:00:00Z") and
`metav1.MicroTime` with microseconds ("2026-04-30T10:00:00.123456Z"); the model works in epoch
seconds (floats), like the store's receive times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def parse_time(value: object) -> float | None:
    """Epoch seconds for an RFC 3339 string, None when absent or unparseable."""
    if not isinstance(value, str) or not value:
        return None
    return _parse(value)


@lru_cache(maxsize=4096)
def _parse(value: str) -> float | None:
    """`parse_time` of a string: an object's timestamps are read again at every change of it."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def format_time(epoch: float | None) -> str | None:
    """RFC 3339 UTC with second precision (how the API writes metav1.Time), None for None; the
    same instants are written again and again (every transition of a run, every document's
    timestamps of objects that did not change)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
