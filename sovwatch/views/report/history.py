"""History: what a run went through, collected as a headless view while a recording plays.

The report needs more than the final snapshot: every HelmRelease state change with its time (the
Gantt's failures and retries), every stream-health change (the incidents) and when the verdict was
reached. `History` is a `HeadlessView` that keeps exactly that and prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sovwatch.exitcodes import ExitCode
from sovwatch.model.snapshot import Snapshot
from sovwatch.sources.events import StreamHealth
from sovwatch.views.transitions import HELMRELEASE, Transition
from sovwatch.views.verdict import decision


@dataclass(frozen=True)
class Decision:
    """The verdict the run reached and since when it has held."""

    code: ExitCode
    outcome: str
    since: float


@dataclass
class History:
    """A `HeadlessView` that remembers the run instead of printing it."""

    transitions: list[Transition] = field(default_factory=list)
    """HelmRelease state changes, oldest first."""
    streams: list[StreamHealth] = field(default_factory=list)
    """Every stream-health change, oldest first."""
    decided: Decision | None = None
    """The current verdict and since when (None while the rollout is undecided)."""
    snapshot: Snapshot | None = None
    """The last snapshot (what the report's facts read)."""
    ended: float | None = None
    """Source time of the last snapshot."""

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        self.streams.append(health)

    def cached(self, snapshot: Snapshot, ts: float) -> None:
        """A report is made from a recording, which holds no cached picture."""

    def synced(self, snapshot: Snapshot, initial: list[Transition], ts: float) -> None:
        self.changed(snapshot, initial, ts)

    def changed(self, snapshot: Snapshot, transitions: list[Transition], ts: float) -> None:
        self.transitions.extend(t for t in transitions if t.kind == HELMRELEASE)
        self._seen(snapshot, ts)

    def once(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def finished(self, snapshot: Snapshot, *, outcome: str, code: int, why: str, ts: float) -> None:
        self._seen(snapshot, ts)

    def _seen(self, snapshot: Snapshot, ts: float) -> None:
        self.snapshot, self.ended = snapshot, ts
        now = decision(snapshot)
        if now is None:
            self.decided = None
        elif self.decided is None or (self.decided.code, self.decided.outcome) != now:
            self.decided = Decision(now[0], now[1], ts)
