"""Fault hooks: the ways a real apiserver, proxy or network misbehaves, on demand.

Tests and scenarios call these on `Emulator.faults` (out-of-process callers use
`POST /_sim/faults/<name>`). `resource` arguments name a resource by `ResourceType.key`
(`pods`, `helmreleases.helm.toolkit.fluxcd.io`), or `pods/log` for container logs (`forbid`);
None means every resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from sovsim.objects import ObjectStore, resource_type
from sovsim.watch import CLOSE, MALFORMED, WAKE, Signal, WatchStream

ALL = "*"
POD_LOG = "pods/log"
"""The subresource `forbid` can deny on its own, as RBAC can (`get` on `pods/log`)."""


@dataclass(frozen=True)
class InjectedFailure:
    status: int
    retry_after: float | None


class Faults:
    """Fault state consulted by the server, plus signals to open watch streams."""

    def __init__(self, store: ObjectStore, streams: set[WatchStream]) -> None:
        self._store = store
        self._streams = streams
        self._stalled: set[str] = set()
        self._forbidden: set[str] = set()
        self._failures_left = 0
        self._failure = InjectedFailure(500, None)

    # -- watch streams ---------------------------------------------------------------------------

    def close_watches(self, resource: str | None = None) -> int:
        """End open watch streams cleanly (the client sees EOF); returns how many."""
        return self._signal(CLOSE, resource)

    def malformed_line(self, resource: str | None = None) -> int:
        """Send one line that is not JSON on open watch streams; returns how many got it."""
        return self._signal(MALFORMED, resource)

    def stall(self, resource: str | None = None) -> None:
        """Keep matching streams open but send nothing on them until `unstall`: no events, no
        bookmarks, and no end at `timeoutSeconds` either, like a black-holed connection. Only the
        client's own timeout (or close_watches/stop) ends it."""
        self._stalled.add(self._key(resource))

    def unstall(self) -> None:
        """Resume every stalled stream; what queued up meanwhile is delivered in order."""
        self._stalled.clear()
        self._signal(WAKE, None)

    def is_stalled(self, key: str) -> bool:
        return ALL in self._stalled or key in self._stalled

    def compact(self) -> None:
        """Forget the change history: resuming from any resourceVersion handed out so far gets 410."""
        self._store.compact()

    # -- requests ----------------------------------------------------------------------------------

    def forbid(self, resource: str) -> None:
        """Answer every request for `resource` with 403 Forbidden (RBAC denies it)."""
        self._forbidden.add(self._key(resource))

    def allow(self, resource: str) -> None:
        self._forbidden.discard(self._key(resource))

    def is_forbidden(self, key: str) -> bool:
        return key in self._forbidden

    def fail_next(self, n: int, status: int = 500, retry_after: float | None = None) -> None:
        """Answer the next `n` API requests with `status` (429 or 500), with Retry-After if given."""
        if status not in (429, 500):
            raise ValueError(f"fail_next supports status 429 or 500, not {status}")
        self._failures_left = int(n)
        self._failure = InjectedFailure(status, retry_after)

    def take_failure(self) -> InjectedFailure | None:
        """The failure to answer the current request with, if one is still due."""
        if self._failures_left <= 0:
            return None
        self._failures_left -= 1
        return self._failure

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _key(resource: str | None) -> str:
        if resource is None:
            return ALL
        if resource == POD_LOG:
            return POD_LOG
        return resource_type(resource).key  # KeyError names an unknown resource early

    def _signal(self, signal: Signal, resource: str | None) -> int:
        key = self._key(resource)
        targets = [s for s in self._streams if key in (ALL, s.rt.key)]
        for stream in targets:
            stream.signal(signal)
        return len(targets)
