"""How much each stream state worries the operator, and the one stream a badge talks about."""

from __future__ import annotations

from collections.abc import Iterable

from sovwatch.sources.events import StreamHealth

HEALTH_SEVERITY = {
    "live": 0,
    "absent": 0,
    "connecting": 1,
    "reconnecting": 2,
    "stale": 3,
    "forbidden": 4,
    "error": 5,
}
"""How much each stream state worries the badge; `absent` (CRD not installed yet) is normal."""
UNSETTLED = frozenset({"reconnecting", "stale", "error"})
"""Stream states in which what the store holds may be out of date."""
QUIET = frozenset({"live", "absent"})
"""Stream states that need no word."""


def worst_stream(streams: Iterable[StreamHealth]) -> StreamHealth | None:
    """The most worrying stream (the first among equals), None when there are none."""
    return max(streams, key=lambda s: HEALTH_SEVERITY.get(str(s.state), 5), default=None)
