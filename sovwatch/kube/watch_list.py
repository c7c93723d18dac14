"""Whether an API server serves streamed lists (watch-list, KEP-3157), learnt once per server.

A streamed list is one watch request (`sendInitialEvents=true`, `resourceVersionMatch=NotOlderThan`,
`allowWatchBookmarks=true`) whose first events are the current objects, ended by a BOOKMARK
annotated `k8s.io/initial-events-end: "true"`; the same stream then carries the changes. Servers
without it answer as kube-apiserver's option validation does with its WatchList feature gate off
(422 Invalid, `sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the
WatchList feature gate is enabled`; before 1.27, `resourceVersionMatch is forbidden for watch`),
or 400 from other servers; client-go's reflector falls back to a paginated list on such an answer.

client-go asks again at every relist of every reflector. sovwatch remembers the answer per server
(one `WatchListSupport` per `ApiClient`), and while it is unknown only one reflector asks at a
time, the others waiting for its verdict: an old server costs one refused request in all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
"""The annotation of the bookmark that ends a streamed list's initial events."""

REFUSED_STATUSES = (400, 422)
"""Answers to a streamed-list request that mean "not served here" (BadRequest, Invalid)."""


class WatchListSupport:
    """One server's verdict: `served` is None until known, then True or False."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.served: bool | None = None if enabled else False
        self._asking = asyncio.Lock()

    @asynccontextmanager
    async def asking(self) -> AsyncIterator[bool]:
        """Whether to ask for a streamed list; the block sends the request and records the
        answer (`served = True` on 2xx, `refused()` on a refusal). While the verdict is unknown
        one block runs at a time; one that leaves without a verdict (a transport error) lets the
        next waiter ask."""
        if self.served is not None:
            yield self.served
            return
        async with self._asking:
            yield self.served is not False

    def refused(self) -> None:
        """The server refused a streamed list, or showed it ignores one: lists from now on."""
        self.served = False


def is_initial_events_end(bookmark: dict) -> bool:
    """True for the bookmark that ends a streamed list's initial events."""
    annotations = (bookmark.get("metadata") or {}).get("annotations") or {}
    return isinstance(annotations, dict) and annotations.get(INITIAL_EVENTS_END) == "true"
