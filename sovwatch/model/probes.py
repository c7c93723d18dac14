"""Probe state per container: readiness, liveness and startup, each passing|failing|none|unknown.

Sources: the probes present in the (slimmed) pod spec, the container status (`ready`, `started`,
`state.running.startedAt`, `lastState`) and the kubelet's events about that container
(`involvedObject.fieldPath: spec.containers{name}`):
- `Unhealthy` "Readiness probe failed: HTTP probe failed with statuscode: 503" (also "... errored: ...")
- `Killing` "Container loki failed liveness probe, will be restarted" (also startup)

"In the window" means the events the store still holds (it keeps a bounded, most-recent set). A probe
is failing only if a failure was seen during the container's current run (event last seen at or
after `startedAt`), so old failures of a container that has since recovered do not stick; the count
and last message still report them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sovwatch.model.events import EventRecord

PASSING = "passing"
FAILING = "failing"
NONE = "none"
UNKNOWN = "unknown"
PROBE_KINDS = ("readiness", "liveness", "startup")

_UNHEALTHY = re.compile(r"^(Readiness|Liveness|Startup) probe (?:failed|errored)", re.IGNORECASE)
_KILLING = re.compile(r"failed (liveness|startup) probe, will be restarted", re.IGNORECASE)
_RANK = {NONE: 0, PASSING: 1, UNKNOWN: 2, FAILING: 3}


@dataclass(frozen=True, slots=True)
class ProbeStatus:
    state: str
    failures: int = 0
    """Failures of this probe seen in the window (event counts summed)."""
    last_message: str = ""

    def to_dict(self) -> dict:
        """The probe's JSON document; one shared, read-only document per state when nothing
        failed (three per container of every pod: ~55,000 dicts on a large cluster otherwise)."""
        if not self.failures and not self.last_message:
            plain = _PLAIN.get(self.state)
            if plain is None:
                plain = _PLAIN[self.state] = {"state": self.state, "failures": 0, "lastMessage": ""}
            return plain
        return {"state": self.state, "failures": self.failures, "lastMessage": self.last_message}


_PLAIN: dict[str, dict] = {}


NO_PROBE = ProbeStatus(NONE)
_NOTHING_SEEN = {state: ProbeStatus(state) for state in (PASSING, FAILING, UNKNOWN)}
"""A configured probe with no failure in the window, per state (one shared value each)."""


def probe_failures(events: Iterable[EventRecord]) -> dict[tuple[str, str], list[EventRecord]]:
    """Probe failure events by (container name, probe kind)."""
    found: dict[tuple[str, str], list[EventRecord]] = {}
    for ev in events:
        if ev.reason == "Unhealthy":
            m = _UNHEALTHY.match(ev.message)
        elif ev.reason == "Killing":
            m = _KILLING.search(ev.message)
        else:
            continue  # most of a pod's Events (Scheduled, Pulled, Started, ...)
        container = _container_of(ev.field_path)
        if m and container is not None:
            found.setdefault((container, m.group(1).lower()), []).append(ev)
    return found


_CONTAINER_PATH = re.compile(r"spec\.(?:init)?[cC]ontainers\{(.+)\}")


def _container_of(field_path: str) -> str | None:
    m = _CONTAINER_PATH.match(field_path)
    return m.group(1) if m else None


def assess(
    kind: str,
    *,
    configured: bool,
    status: dict,
    started_at: float | None,
    failures: Sequence[EventRecord],
) -> ProbeStatus:
    """The state of one probe of one container."""
    if not configured:
        return NO_PROBE
    latest = max(failures, key=lambda ev: ev.last or 0.0) if failures else None
    running = "running" in (status.get("state") or {})
    recent = latest is not None and (started_at is None or (latest.last or 0.0) >= started_at)
    if kind == "readiness" and status.get("ready") or kind == "startup" and status.get("started"):
        state = PASSING
    elif kind == "readiness":
        state = FAILING if running and recent else UNKNOWN
    elif kind == "liveness" and running and not recent and status.get("started", True):
        state = PASSING
    else:
        state = FAILING if recent else UNKNOWN
    if latest is None:
        return _NOTHING_SEEN[state]
    return ProbeStatus(state, sum(ev.count for ev in failures), latest.message)


def worst(statuses: Iterable[ProbeStatus]) -> ProbeStatus:
    """The most alarming status (failing > unknown > passing > none), failures summed."""
    statuses = tuple(statuses)
    if len(statuses) == 1:
        return statuses[0]
    if not statuses:
        return NO_PROBE
    top = max(statuses, key=lambda s: _RANK[s.state])
    total = sum(s.failures for s in statuses)
    message = top.last_message or next((s.last_message for s in statuses if s.last_message), "")
    return ProbeStatus(top.state, total, message)
