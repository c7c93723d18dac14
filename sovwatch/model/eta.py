"""ETA: when every release is expected to be ready, from the critical path of what remains.

A release's *step* is the time it adds to a dependency chain: from when it could start (the later
of its first-seen instant and its dependencies' ready instants) until it became ready. Steps include
what plain install durations miss: Flux's dependency requeue delay, chart pulls, pods coming up.

Each unfinished release is given an expected remaining time from the steps of finished ones, pooled
per wave (the wave's own steps when at least `_MIN_WAVE_POOL` of its releases have finished, else
all finished steps):
- not started yet (waiting, unknown): the pool's median;
- being worked on (progressing, failed and retrying) for `elapsed` seconds since it could start: the
  median of `step - elapsed` over the pooled steps longer than `elapsed` (what releases that took
  at least this long still needed); when it has run longer than every pooled step, the pool's
  median again (it is behind and nothing finished says by how much: one more typical step, so the
  ETA never collapses to "<1m" while releases are still running, nor grows without bound).
The ETA is the heaviest chain of those remaining times through the dependsOn graph (the critical
path), so parallel releases are not summed. There is none (null, with the reason) until
`eta_min_finished` releases have finished, or while a release is stalled, suspended or in a
dependency cycle (it will not finish by itself). Releases expected but not seen yet add nothing.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sovwatch.model import graph
from sovwatch.model.states import State
from sovwatch.model.timeline import Timeline

Key = tuple[str, str, str]
_MIN_WAVE_POOL = 2
_NEVER_FINISH = (State.STALLED, State.SUSPENDED)
_NOT_STARTED = (State.WAITING, State.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Estimate:
    seconds: float | None
    path: tuple[Key, ...]
    """The critical path of what remains, root first (ready ancestors trimmed)."""
    finished: int
    """Releases whose step is known (the sample the estimate rests on)."""
    typical: float | None
    """The median step over every finished release."""
    unknown_because: str | None
    """Why `seconds` is None, in a few words; None when there is an ETA."""

    def to_dict(self) -> dict:
        return {
            "finished": self.finished,
            "typicalStepSeconds": None if self.typical is None else round(self.typical, 1),
            "unknownBecause": self.unknown_because,
        }


def estimate(
    timeline: Timeline,
    deps: Mapping[Key, Sequence[Key]],
    states: Mapping[Key, State],
    report: graph.GraphReport,
    now: float,
    *,
    min_finished: int,
) -> Estimate:
    """The ETA of the rollout (see the module docstring)."""
    steps = _steps(timeline, deps, states)
    every = sorted(steps.values())
    by_wave: dict[int | None, list[float]] = {}
    for key, step in steps.items():
        by_wave.setdefault(report.waves.get(key), []).append(step)

    def pool(key: Key) -> list[float]:
        own = by_wave.get(report.waves.get(key), [])
        return sorted(own) if len(own) >= _MIN_WAVE_POOL else every

    def remaining(key: Key) -> float:
        state = states.get(key)
        if state is State.READY or not every:
            return 0.0
        if state in _NOT_STARTED:
            return statistics.median(pool(key))
        elapsed = max(now - _could_start(timeline, deps, key), 0.0)
        longer = [s - elapsed for s in pool(key) if s > elapsed]
        return statistics.median(longer) if longer else statistics.median(pool(key))

    path = graph.critical_path(deps, remaining, report=report)
    while path and states.get(path[0]) is State.READY:
        path = path[1:]  # finished ancestors link the chain but are not on what remains
    typical = statistics.median(every) if every else None
    why = _why_unknown(states, report, len(every), min_finished)
    seconds = None if why else round(sum(remaining(k) for k in path), 1)
    return Estimate(seconds, path, len(every), typical, why)


def _steps(
    timeline: Timeline, deps: Mapping[Key, Sequence[Key]], states: Mapping[Key, State]
) -> dict[Key, float]:
    """Step durations of the releases that are ready with a known ready instant."""
    out = {}
    for key, state in states.items():
        times = timeline.releases.get(key)
        if state is State.READY and times is not None and times.ready is not None:
            out[key] = max(times.ready - _could_start(timeline, deps, key), 0.0)
    return out


def _could_start(timeline: Timeline, deps: Mapping[Key, Sequence[Key]], key: Key) -> float:
    times = timeline.releases.get(key)
    if times is None:
        return math.inf  # not observed yet: no time spent
    ready_deps = [t.ready for d in deps.get(key, ()) if (t := timeline.releases.get(d)) and t.ready]
    return max([times.first_seen, *ready_deps])


def _why_unknown(
    states: Mapping[Key, State], report: graph.GraphReport, finished: int, min_finished: int
) -> str | None:
    for key in sorted(states):
        if states[key] in _NEVER_FINISH:
            return f"{key[2]} is {states[key]}"
        if states[key] is not State.READY and report.waves.get(key) is None:
            return f"{key[2]} is in a dependency cycle"
    if finished < min_finished:
        return f"{finished} release(s) finished, {min_finished} needed for an estimate"
    return None
