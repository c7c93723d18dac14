"""Timeline: when each release was first seen, started, became ready, and how long it took.

The instants come from the objects (`release_times`: creationTimestamp, status.history, the Ready
condition, the pods' startTime and Ready transitions), so a cold start mid-bootstrap, `--once`, a
live watch and a replay at any speed give the same timeline. Observation time is only the fallback,
per instant, when the API records nothing (basis "observed"): first seen = when the store first
received the HelmRelease; started = the first update that saw it being worked on (progressing,
failed, stalled, suspended); ready = the update that saw it ready. A start once known is kept while
nothing newer is recorded; `ready` is cleared when the release stops being ready. Observing the same
release again is idempotent, so feeding only the releases that changed is enough.

The ETA lives in `eta.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sovwatch.model.release import ReleaseCore
from sovwatch.model.release_times import OBSERVED, Instant
from sovwatch.model.states import State
from sovwatch.model.times import format_time

Key = tuple[str, str, str]
_NOT_STARTED = (State.WAITING, State.UNKNOWN, State.READY)
"""States that do not start a release's observed clock: it has to be seen working first."""


@dataclass
class ReleaseTimes:
    first_seen: float
    started: float | None = None
    ready: float | None = None
    installed: float | None = None
    """HelmRelease Ready=True since (helm-controller finished its action; with disableWait only
    "manifests applied")."""
    workloads_ready: float | None = None
    """When the last of the release's pods became ready (all ready), else None."""
    basis: dict[str, str] = field(default_factory=dict)
    """Where firstSeen / started / ready came from (a `release_times` field name, or "observed")."""

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ready is None:
            return None
        return max(self.ready - self.started, 0.0)

    def to_dict(self) -> dict:
        return {
            "firstSeen": format_time(self.first_seen),
            "started": format_time(self.started),
            "ready": format_time(self.ready),
            "durationSeconds": None if self.duration is None else round(self.duration, 3),
            "installed": format_time(self.installed),
            "workloadsReady": format_time(self.workloads_ready),
            "basis": {k: self.basis.get(k) for k in ("firstSeen", "started", "ready")},
        }


@dataclass
class Timeline:
    releases: dict[Key, ReleaseTimes] = field(default_factory=dict)

    def observe(
        self, releases: Iterable[tuple[Key, ReleaseCore | None, float | None]], now: float
    ) -> None:
        """Record releases at `now`: (key, the release or None when deleted, when the store first
        received it)."""
        for key, core, received in releases:
            if core is None:
                self.releases.pop(key, None)
                continue
            self.releases[key] = _times(core, self.releases.get(key), received, now)

    def durations(self) -> list[float]:
        return [d for t in self.releases.values() if (d := t.duration) is not None]


def _times(
    core: ReleaseCore, before: ReleaseTimes | None, received: float | None, now: float
) -> ReleaseTimes:
    rec = core.recorded
    state = core.verdict.state
    first = rec.created or _kept(before, "first_seen", "firstSeen")
    first = first or Instant(received if received is not None else now, OBSERVED)
    started = rec.started or _kept(before, "started", "started")
    if started is None and state not in _NOT_STARTED:
        started = Instant(now, OBSERVED)
    ready = None
    if state is State.READY:
        ready = rec.ready or _kept(before, "ready", "ready") or Instant(now, OBSERVED)
    chosen = {"firstSeen": first, "started": started, "ready": ready}
    return ReleaseTimes(
        first_seen=first.at,
        started=started.at if started else None,
        ready=ready.at if ready else None,
        installed=rec.installed.at if rec.installed else None,
        workloads_ready=rec.workloads_ready.at if rec.workloads_ready else None,
        basis={k: i.basis for k, i in chosen.items() if i is not None},
    )


def _kept(before: ReleaseTimes | None, attr: str, name: str) -> Instant | None:
    """An instant remembered from an earlier update."""
    if before is None or getattr(before, attr) is None:
        return None
    return Instant(getattr(before, attr), before.basis.get(name, OBSERVED))
