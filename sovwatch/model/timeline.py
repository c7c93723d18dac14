"""Timeline: when each release was first seen, started, became ready; durations and an ETA.

A small accumulator fed with (release states, now) after each model update; still pure (no I/O, no
clock of its own). "Started" is the first time a release was seen being worked on (progressing,
failed, stalled, suspended: helm-controller began acting on it); "ready" is when it last became ready
after that (cleared if it stops being ready). Releases that were already ready when first seen, or
went from waiting to ready between two updates, have no start and no duration. Observing the same
states again is a no-op, so feeding only the releases that changed is enough.

ETA: once `eta_min_finished` releases have a duration, each unfinished release is expected to take
the median duration (minus what it has already spent, if started); the ETA is the heaviest dependency
chain of those remaining times (the critical path), so parallel waves are not summed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sovwatch.model import graph
from sovwatch.model.states import State
from sovwatch.model.times import format_time

Key = tuple[str, str, str]
_NOT_STARTED = (State.WAITING, State.UNKNOWN, State.READY)
"""States that do not start a release's clock: it has to be seen working (progressing, failing) first."""


@dataclass
class ReleaseTimes:
    first_seen: float
    started: float | None = None
    ready: float | None = None

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
        }


@dataclass
class Timeline:
    releases: dict[Key, ReleaseTimes] = field(default_factory=dict)

    def observe(self, states: Iterable[tuple[Key, State | None, float | None]], now: float) -> None:
        """Record release states at `now`: (key, state or None when deleted, first-seen time)."""
        for key, state, first_seen in states:
            if state is None:
                self.releases.pop(key, None)
                continue
            times = self.releases.get(key)
            if times is None:
                times = self.releases[key] = ReleaseTimes(
                    first_seen if first_seen is not None else now
                )
                if state is State.READY:
                    continue  # already ready when first seen: no start, no duration
            if times.started is None and state not in _NOT_STARTED:
                times.started = now
            if state is State.READY:
                if times.ready is None and times.started is not None:
                    times.ready = now
            else:
                times.ready = None

    def durations(self) -> list[float]:
        return [d for t in self.releases.values() if (d := t.duration) is not None]

    def eta(
        self,
        deps: Mapping[Key, Sequence[Key]],
        states: Mapping[Key, State],
        now: float,
        *,
        min_finished: int,
        report: graph.GraphReport | None = None,
    ) -> tuple[float | None, tuple[Key, ...]]:
        """(seconds until every release is expected ready or None, the critical path)."""
        done = self.durations()
        typical = statistics.median(done) if done else 60.0

        def remaining(key: Key) -> float:
            if states.get(key) is State.READY:
                return 0.0
            times = self.releases.get(key)
            spent = now - times.started if times and times.started is not None else 0.0
            return max(typical - spent, 1.0)

        path = graph.critical_path(deps, remaining, report=report)
        while path and states.get(path[0]) is State.READY:
            path = path[1:]  # finished ancestors link the chain but are not on what remains
        if len(done) < min_finished:
            return None, path
        return round(sum(remaining(k) for k in path), 1), path
