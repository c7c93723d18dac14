"""What a source emits: watch events and stream health. Nothing else crosses into the store.

A live cluster (the watch engine) and a recording (replay) both produce exactly these records, so
the store, the model and every view cannot tell the two apart.

Beside them, the one seam through which a view reads a container's log without calling the API:
`LogStreams.open(LogQuery(...))` (implemented over the cluster by `sources.log_streams`); and what
the model asks `sources.log_fetcher` to read (`LogTarget`, `ControllerLogTarget`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class EventType(StrEnum):
    """The type of a watch event, as the Kubernetes API names it."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change to one object, as received."""

    resource: str
    """The watched resource as `plural.group` (`pods` for the core group), e.g. `helmreleases.helm.toolkit.fluxcd.io`."""
    type: EventType
    obj: dict
    """The object, already slimmed (see `sovwatch.sources.slimming`); never mutated after creation."""
    received_at: float
    """Wall-clock time (epoch seconds) when the event was received."""


class HealthState(StrEnum):
    """Where a resource's stream is; the views show it, `--once` waits on it."""

    CONNECTING = "connecting"
    """First list not finished yet."""
    LIVE = "live"
    """Listed and watching; what the store holds for this resource is current."""
    RECONNECTING = "reconnecting"
    """Lost the stream; retrying (see `attempt`). The last known objects stay."""
    STALE = "stale"
    """No bytes for longer than the inactivity timeout; reconnecting, data may be old."""
    FORBIDDEN = "forbidden"
    """403: this resource cannot be read with these credentials; the rest keep running."""
    ABSENT = "absent"
    """The API group is not served (CRD not installed yet); re-checked until it appears."""
    ERROR = "error"
    """Any other failure; `detail` says which."""


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """The health of one resource's stream, emitted whenever it changes."""

    resource: str
    state: HealthState
    since: float
    """Wall-clock time of the transition into `state`."""
    attempt: int = 0
    """Reconnect attempt number while reconnecting."""
    detail: str = ""
    """One line for the operator: the error, the API version being watched, the 403 message."""

    @property
    def settled(self) -> bool:
        """True once the stream has listed, or is known not to be able to (for `--once`)."""
        return self.state in (
            HealthState.LIVE,
            HealthState.FORBIDDEN,
            HealthState.ABSENT,
            HealthState.ERROR,
        )


SourceItem = WatchEvent | StreamHealth
"""Everything a source yields."""

# Objects sovwatch makes itself (the log fetcher), carried as WatchEvents like cluster objects so
# the store, recordings and replay treat them alike; the model reads them.
OWN_API_VERSION = "sovwatch.io/v1"
EXCERPT_KIND = "LogExcerpt"
"""A culprit container's log tail, named `POD/CONTAINER` in the pod's namespace."""
EXCERPT_RESOURCE = "logexcerpts.sovwatch.io"
CONTROLLER_LOG_KIND = "HelmControllerLog"
"""helm-controller's log lines about one HelmRelease, named after it."""
CONTROLLER_LOG_RESOURCE = "helmcontrollerlogs.sovwatch.io"


def excerpt_name(pod: str, container: str) -> str:
    """The object name of a container's log excerpt (`/` cannot occur in either name)."""
    return f"{pod}/{container}"


@dataclass(frozen=True, slots=True)
class LogTarget:
    """One container run whose log explains a root cause (the model chooses it, `sources.log_fetcher`
    reads it)."""

    namespace: str
    pod: str
    uid: str
    container: str
    previous: bool
    """Read the run that ended (`previous=true`): the container crashed and waits to restart."""
    restarts: int
    """The container's restartCount when the target was chosen: one fetch per run."""

    @property
    def run_key(self) -> tuple[str, str, int, bool]:
        return (self.uid, self.container, self.restarts, self.previous)


@dataclass(frozen=True, slots=True)
class ControllerLogTarget:
    """helm-controller's lines about one release, wanted while its verdict is `signature` (the
    model chooses it, `sources.log_fetcher` reads it)."""

    namespace: str
    name: str
    signature: str

    @property
    def run_key(self) -> tuple[str, str, str, str]:
        return ("helm-controller", self.namespace, self.name, self.signature)


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which container log a view wants: its run, whether to follow it, how many lines back."""

    namespace: str
    pod: str
    container: str
    previous: bool = False
    """The run before the current one (the one that crashed)."""
    follow: bool = False
    """Keep the stream open for new lines until the run ends (a previous run has ended)."""
    tail_lines: int | None = None


class LogUnavailable(Exception):
    """The server will not give this log: `forbidden` for a 403 (RBAC denies `pods/log`), else its
    one-line reason (400: no such container, no previous run, not started; 404: no such pod), or
    why the stream broke."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden


class LogStreams(Protocol):
    """Opens container logs for a view; leaving the block closes the stream (its connection)."""

    def open(self, query: LogQuery) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """The log's lines, then (with `follow`) each new one; raises `LogUnavailable`."""
        ...
